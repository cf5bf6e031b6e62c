import { defineStore } from 'pinia'
import { ref } from 'vue'
import type {
  AppError,
  MethodInput,
  MethodOutput,
  WgMonActionName,
  WgMonChartView,
  WgMonDashboardView,
  WgMonStatusView,
} from '../../../shared/contract'
import { api } from '../api'
import { toAppError } from '../utils/errors'
import { SetupStoreId } from './ids'

/**
 * One read of a server: the last value that arrived, when (`at`, ms), why the latest read failed,
 * and whether one is running. A failed read keeps the value and its time: the panel shows old
 * data with its age beside the error, never an empty section.
 */
export interface WgSlot<T> {
  value: T | null
  at: number | null
  error: AppError | null
  loading: boolean
}

/**
 * Reads per server that never overlap: the monitor serves ONE request at a time (apis.md §5
 * gotcha 8), so a panel section has at most one read in flight. A periodic tick while a read runs
 * is dropped; a change (new page, filter, range: `again`) runs one more read right after the
 * running one, with the query as it is then.
 */
function useSerialReads<T>(fetch: (serverId: string) => Promise<T>) {
  const slots = ref<Record<string, WgSlot<T>>>({})
  const running = new Map<string, Promise<void>>()
  const queued = new Set<string>()

  function slot(serverId: string): WgSlot<T> {
    if (!slots.value[serverId]) {
      slots.value[serverId] = { value: null, at: null, error: null, loading: false }
    }
    return slots.value[serverId] as WgSlot<T>
  }

  /** Reads now, or after the read in flight (`again`), or not at all (a tick while one runs). */
  function load(serverId: string, again = false): Promise<void> {
    const current = running.get(serverId)
    if (current) {
      if (again) queued.add(serverId)
      return current
    }
    const s = slot(serverId)
    const run = (async () => {
      s.loading = true
      try {
        do {
          queued.delete(serverId)
          try {
            const value = await fetch(serverId)
            s.value = value as never
            s.at = Date.now()
            s.error = null
          } catch (err) {
            s.error = toAppError(err, serverId)
          }
        } while (queued.has(serverId))
      } finally {
        s.loading = false
        running.delete(serverId)
      }
    })()
    running.set(serverId, run)
    return run
  }

  return { slots, slot, load }
}

/** What the users view asks for (every field set). */
export type WgUsersQuery = Required<Omit<MethodInput<'wgmon.users'>, 'serverId'>>
/** What the history view asks for; no `userId` = every user. */
export type WgHistoryQuery = Required<
  Omit<MethodInput<'wgmon.eventHistory'>, 'serverId' | 'userId'>
> & {
  userId?: number
}

/** How old the raw user list may get before a page read also reads it again (ms). */
export const LIST_MAX_AGE_MS = 60_000

/** The users view a server opens with: page 1, 50 a page, everyone. */
export const defaultUsersQuery = (): WgUsersQuery => ({
  page: 1,
  perPage: 50,
  search: '',
  status: 'all',
})
export const defaultHistoryQuery = (): WgHistoryQuery => ({ page: 1, perPage: 50, status: 'all' })

/**
 * WireGuard monitor servers (apis.md §5): dashboard and status, a page of users, the raw user
 * list (tunnel addresses), the latest event per user, the event history and the daily traffic chart; and the user actions. Queries (page, filters,
 * chart range) live here per server, so a tab shown again opens where it was left.
 */
export const useWgMonStore = defineStore(SetupStoreId.WgMon, () => {
  const usersQuery = ref<Record<string, WgUsersQuery>>({})
  const historyQuery = ref<Record<string, WgHistoryQuery>>({})
  const chartDays = ref<Record<string, number>>({})

  const usersQueryOf = (id: string) => usersQuery.value[id] ?? defaultUsersQuery()
  const historyQueryOf = (id: string) => historyQuery.value[id] ?? defaultHistoryQuery()
  const chartDaysOf = (id: string) => chartDays.value[id] ?? 7

  const dashboard = useSerialReads<WgMonDashboardView>((id) => api.wgmon.dashboard(id))
  const status = useSerialReads<WgMonStatusView>((id) => api.wgmon.status(id))
  const allUsers = useSerialReads<MethodOutput<'wgmon.allUsers'>>((id) => api.wgmon.allUsers(id))
  /** Servers whose raw list is out of date after a create or delete. */
  const listStale = new Set<string>()
  /**
   * The raw list (tunnel addresses, names for the history filter) is read after a page, in the
   * same turn, when it is older than a minute or out of date: never beside another read.
   */
  async function freshList(id: string): Promise<void> {
    const l = allUsers.slots.value[id]
    if (listStale.has(id) || !l?.at || Date.now() - l.at > LIST_MAX_AGE_MS) {
      listStale.delete(id)
      await allUsers.load(id)
    }
  }
  const users = useSerialReads<MethodOutput<'wgmon.users'> & { query: WgUsersQuery }>(
    async (id) => {
      const query = { ...usersQueryOf(id) }
      const page = await api.wgmon.users({ serverId: id, ...query })
      await freshList(id)
      return { ...page, query }
    },
  )
  const events = useSerialReads<MethodOutput<'wgmon.events'>>((id) => api.wgmon.events(id))
  const history = useSerialReads<MethodOutput<'wgmon.eventHistory'> & { query: WgHistoryQuery }>(
    async (id) => {
      const query = { ...historyQueryOf(id) }
      const page = await api.wgmon.eventHistory({ serverId: id, ...query })
      await freshList(id)
      return { ...page, query }
    },
  )
  const chart = useSerialReads<WgMonChartView>((id) => api.wgmon.chart(id, chartDaysOf(id)))

  /** The dashboard, then the status: one after the other, never side by side. */
  async function loadOverview(id: string, again = false): Promise<void> {
    await dashboard.load(id, again)
    await status.load(id, again)
  }

  function setUsersQuery(id: string, patch: Partial<WgUsersQuery>): Promise<void> {
    usersQuery.value[id] = { ...usersQueryOf(id), ...patch }
    return users.load(id, true)
  }
  function setHistoryQuery(id: string, patch: Partial<WgHistoryQuery>): Promise<void> {
    const next = { ...historyQueryOf(id), ...patch }
    if ('userId' in patch && patch.userId === undefined) delete next.userId
    historyQuery.value[id] = next
    return history.load(id, true)
  }
  function setChartDays(id: string, days: number): Promise<void> {
    chartDays.value[id] = days
    return chart.load(id, true)
  }

  /** After a change: the users page (and the raw list when addresses or ids changed). */
  async function afterChange(id: string, list: boolean): Promise<void> {
    if (list) listStale.add(id)
    await users.load(id, true)
  }

  async function action(id: string, userId: number, act: WgMonActionName) {
    try {
      return await api.wgmon.action({ serverId: id, userId, action: act })
    } finally {
      await afterChange(id, false)
    }
  }
  async function create(id: string, user: MethodInput<'wgmon.create'>['user']) {
    const r = await api.wgmon.create({ serverId: id, user })
    await afterChange(id, true)
    return r
  }
  async function update(id: string, userId: number, patch: MethodInput<'wgmon.update'>['patch']) {
    try {
      return await api.wgmon.update({ serverId: id, userId, patch })
    } finally {
      await afterChange(id, false)
    }
  }
  async function remove(id: string, userId: number) {
    try {
      return await api.wgmon.remove(id, userId)
    } finally {
      await afterChange(id, true)
    }
  }

  return {
    dashboard: dashboard.slots,
    status: status.slots,
    users: users.slots,
    allUsers: allUsers.slots,
    events: events.slots,
    history: history.slots,
    chart: chart.slots,
    usersQueryOf,
    historyQueryOf,
    chartDaysOf,
    loadOverview,
    loadUsers: users.load,
    loadEvents: events.load,
    loadHistory: history.load,
    loadChart: chart.load,
    setUsersQuery,
    setHistoryQuery,
    setChartDays,
    action,
    create,
    update,
    remove,
  }
})
