import { defineStore } from 'pinia'
import { markRaw, ref, shallowRef, triggerRef, watch } from 'vue'
import type {
  FleetRow,
  FleetSummary,
  FleetSummaryDelta,
  FleetTotals,
  UserHit,
} from '../../../shared/contract'
import { useApi } from '../api'
import { readLocal, writeLocal } from '../utils/storage'
import {
  EMPTY_FILTER,
  FLEET_SORT_KEYS,
  type FleetFilter,
  type FleetSortKey,
  type SortOrder,
} from '../views/fleet/shared'
import { SetupStoreId } from './ids'
import { useTabsStore } from './tabs'

/** Search hits fetched per request (the results table asks for the pages it shows). */
export const SEARCH_PAGE = 200

/** localStorage key of the fleet view's layout choices (no data, nothing secret). */
const PREFS_KEY = 'nodedeck.fleet'

/** How the fleet view lays itself out; remembered across restarts. */
export interface FleetPrefs {
  mode: 'table' | 'cards'
  grouped: boolean
  sortKey: FleetSortKey
  sortOrder: SortOrder
  collapsed: string[]
}

const DEFAULT_PREFS: FleetPrefs = {
  mode: 'table',
  grouped: false,
  sortKey: 'state',
  sortOrder: 'asc',
  collapsed: [],
}

function parsePrefs(v: unknown): FleetPrefs | null {
  if (typeof v !== 'object' || v === null) return null
  const o = v as Record<string, unknown>
  return {
    mode: o.mode === 'cards' ? 'cards' : 'table',
    grouped: o.grouped === true,
    sortKey: FLEET_SORT_KEYS.includes(o.sortKey as FleetSortKey)
      ? (o.sortKey as FleetSortKey)
      : DEFAULT_PREFS.sortKey,
    sortOrder: o.sortOrder === 'desc' ? 'desc' : 'asc',
    collapsed: Array.isArray(o.collapsed)
      ? o.collapsed.filter((g): g is string => typeof g === 'string').slice(0, 500)
      : [],
  }
}

/** A user the fleet search jumped to: the kind's users table shows it (search box, highlight). */
export interface UserFocus {
  serverId: string
  /** The user's name as the server's users table lists it. */
  user: string
  /** The user's first key (WireGuard public key…), for tables that search by key. */
  key: string | null
  /** Distinguishes two jumps to the same user. */
  nonce: number
}

/**
 * The fleet view's data: the core's live summary rows (applied from ~1 Hz deltas, one reactive
 * update per event: rows are raw objects in a shallow map), its layout choices and filter, the
 * cross-server user search (pages fetched as the results table scrolls) and the user focus a
 * search result hands to a server tab.
 */
export const useFleetStore = defineStore(SetupStoreId.Fleet, () => {
  const rows = shallowRef(new Map<string, FleetRow>())
  const totals = shallowRef<FleetTotals | null>(null)
  const loaded = ref(false)

  const prefs = ref<FleetPrefs>({ ...DEFAULT_PREFS, ...readLocal(PREFS_KEY, parsePrefs) })
  watch(prefs, (p) => writeLocal(PREFS_KEY, p), { deep: true })
  const filter = ref<FleetFilter>({ ...EMPTY_FILTER })

  /** Replaces every row (`fleet.summary`). */
  function applySummary(s: FleetSummary): void {
    const next = new Map<string, FleetRow>()
    for (const r of s.rows) next.set(r.serverId, markRaw(r))
    rows.value = next
    totals.value = s.totals
    loaded.value = true
  }

  /** Applies a `fleet.summary` event: the changed rows and removed servers, in one update. */
  function applyDelta(d: FleetSummaryDelta): void {
    const map = rows.value
    for (const r of d.rows) map.set(r.serverId, markRaw(r))
    for (const id of d.removed) map.delete(id)
    triggerRef(rows)
    totals.value = d.totals
  }

  async function load(): Promise<void> {
    applySummary(await useApi().call('fleet.summary', undefined))
  }

  // ---- user search ------------------------------------------------------------------------------

  const search = ref('')
  /** The query whose results are shown ('' = none). */
  const shownQuery = ref('')
  const searchTotal = ref(0)
  const searchTookMs = ref<number | null>(null)
  const searchError = ref<unknown>(null)
  const searching = ref(false)
  /** Hits by index, filled page by page; a shallow array replaced on each page. */
  const hits = shallowRef<(UserHit | null)[]>([])
  const pagesLoading = new Set<number>()
  /** Bumped by each new query: late answers of an older one are dropped. */
  let generation = 0

  async function fetchPage(page: number, gen: number): Promise<void> {
    if (pagesLoading.has(page)) return
    pagesLoading.add(page)
    try {
      const r = await useApi().call('fleet.searchUsers', {
        query: shownQuery.value,
        limit: SEARCH_PAGE,
        offset: page * SEARCH_PAGE,
      })
      if (gen !== generation) return
      const next = hits.value.length === r.total ? hits.value.slice() : resize(hits.value, r.total)
      r.hits.forEach((h, i) => {
        next[r.offset + i] = markRaw(h)
      })
      hits.value = next
      searchTotal.value = r.total
      searchTookMs.value = r.tookMs
      searchError.value = null
    } catch (err) {
      if (gen === generation) searchError.value = err
    } finally {
      pagesLoading.delete(page)
    }
  }

  /** Runs the search box's query from its first page (empty = results closed). */
  async function runSearch(): Promise<void> {
    const q = search.value.trim()
    generation++
    pagesLoading.clear()
    shownQuery.value = q
    hits.value = []
    searchTotal.value = 0
    searchError.value = null
    if (q === '') return
    searching.value = true
    try {
      await fetchPage(0, generation)
    } finally {
      searching.value = false
    }
  }

  /** The results table shows rows `start`…`end`: fetches their pages not loaded yet. */
  function ensureHits(start: number, end: number): void {
    if (shownQuery.value === '') return
    const last = Math.min(end, searchTotal.value - 1)
    for (let p = Math.floor(start / SEARCH_PAGE); p * SEARCH_PAGE <= last; p++) {
      if (hits.value[p * SEARCH_PAGE] == null) void fetchPage(p, generation)
    }
  }

  /** Re-reads the shown pages (live figures move): same query, same place. */
  function refreshHits(start: number, end: number): void {
    if (shownQuery.value === '') return
    const last = Math.min(end, Math.max(0, searchTotal.value - 1))
    for (let p = Math.floor(start / SEARCH_PAGE); p * SEARCH_PAGE <= last; p++) {
      void fetchPage(p, generation)
    }
  }

  // ---- jump to a user ---------------------------------------------------------------------------

  const focus = ref<UserFocus | null>(null)
  let nonce = 0

  /** Opens the server's tab and asks its users table to show the user. */
  function focusUser(hit: Pick<UserHit, 'serverId' | 'user' | 'key'>): void {
    focus.value = { serverId: hit.serverId, user: hit.user, key: hit.key, nonce: ++nonce }
    useTabsStore().openServer(hit.serverId)
  }

  /** The focus for a server, if any (read by the kind's panel). */
  function focusOf(serverId: string): UserFocus | null {
    return focus.value?.serverId === serverId ? focus.value : null
  }

  /** The users table has shown the user: done. */
  function clearFocus(n: number): void {
    if (focus.value?.nonce === n) focus.value = null
  }

  return {
    rows,
    totals,
    loaded,
    prefs,
    filter,
    applySummary,
    applyDelta,
    load,
    search,
    shownQuery,
    searchTotal,
    searchTookMs,
    searchError,
    searching,
    hits,
    runSearch,
    ensureHits,
    refreshHits,
    focus,
    focusUser,
    focusOf,
    clearFocus,
  }
})

/** A copy of `list` with `length` slots (unknown ones null). */
function resize<T>(list: readonly (T | null)[], length: number): (T | null)[] {
  const out = new Array<T | null>(length).fill(null)
  for (let i = 0; i < Math.min(length, list.length); i++) out[i] = list[i] ?? null
  return out
}

/**
 * For a server panel: calls `show` when a fleet search jumps to a user of this server (now, if a
 * jump is pending, and on each new one), to bring its users tab to front. Does not consume the
 * jump: the users table does, with {@link useFocusedUser}.
 */
export function useFocusTab(serverId: () => string | undefined, show: () => void): void {
  const fleet = useFleetStore()
  watch(
    () => {
      const id = serverId()
      return id ? fleet.focusOf(id) : null
    },
    (f) => {
      if (f) show()
    },
    { immediate: true },
  )
}

/**
 * For a users table: `apply` puts the user a fleet search jumped to into the table's search box
 * (now, if a jump is pending, and on each new one); the jump is then done.
 */
export function useFocusedUser(
  serverId: () => string | undefined,
  apply: (focus: UserFocus) => void,
): void {
  const fleet = useFleetStore()
  watch(
    () => {
      const id = serverId()
      return id ? fleet.focusOf(id) : null
    },
    (f) => {
      if (!f) return
      apply(f)
      fleet.clearFocus(f.nonce)
    },
    { immediate: true },
  )
}
