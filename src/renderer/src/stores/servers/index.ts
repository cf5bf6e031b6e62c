import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type {
  MethodInput,
  MethodOutput,
  ServerStatus,
  ServerView,
} from '../../../../shared/contract'
import { api } from '../../api'
import { SetupStoreId } from '../ids'

/** The fleet: every server's config (no secrets) and live status, keyed by id. */
export const useServersStore = defineStore(SetupStoreId.Servers, () => {
  const byId = ref<Record<string, ServerView>>({})
  /** Config-file order, as the core lists them. */
  const order = ref<string[]>([])
  const loaded = ref(false)

  const list = computed<ServerView[]>(() =>
    order.value.map((id) => byId.value[id]).filter((s): s is ServerView => s !== undefined),
  )
  const groups = computed(() => [...new Set(list.value.map((s) => s.group).filter(Boolean))].sort())

  function get(id: string): ServerView | undefined {
    return byId.value[id]
  }

  /** A server's name for messages, or its id if it is not (or no longer) known. */
  function nameOf(id: string): string {
    return byId.value[id]?.name ?? id
  }

  function setList(servers: ServerView[]): void {
    const next: Record<string, ServerView> = {}
    for (const s of servers) next[s.id] = s
    byId.value = next
    order.value = servers.map((s) => s.id)
  }

  /** Replaces the whole list (`servers.list`, `servers.changed`). */
  function applyList(servers: ServerView[]): void {
    setList(servers)
    loaded.value = true
  }

  /** One server's new health (`server.status`); unknown ids wait for the next list. */
  function applyStatus(status: ServerStatus): void {
    const s = byId.value[status.serverId]
    if (s) byId.value[status.serverId] = { ...s, status }
  }

  /**
   * Statuses arrive one WebSocket/IPC message each; applied one by one, a fleet of hundreds
   * re-renders the sidebar and fleet table hundreds of times. Queued here, they are applied
   * together at most once per animation frame (a burst costs one render).
   */
  const pendingStatus = new Map<string, ServerStatus>()
  let flushScheduled = false
  function flushStatuses(): void {
    flushScheduled = false
    if (pendingStatus.size === 0) return
    const next = { ...byId.value }
    for (const [id, status] of pendingStatus) {
      const s = next[id]
      if (s) next[id] = { ...s, status }
    }
    pendingStatus.clear()
    byId.value = next
  }
  function queueStatus(status: ServerStatus): void {
    pendingStatus.set(status.serverId, status)
    if (flushScheduled) return
    flushScheduled = true
    // rAF pauses in a hidden tab: a timer keeps the data current there too.
    if (typeof requestAnimationFrame === 'function' && document.visibilityState === 'visible') {
      requestAnimationFrame(flushStatuses)
    } else {
      setTimeout(flushStatuses, 100)
    }
  }

  /**
   * The browser host's servers preview (the config file's servers, every state unknown), shown
   * until the core's own list arrives; once that has, a late preview is dropped. `loaded` stays
   * false: the list is not the core's yet.
   */
  function applyPreview(servers: ServerView[]): void {
    if (!loaded.value) setList(servers)
  }

  async function load(): Promise<void> {
    applyList(await api.servers.list())
  }

  async function add(input: MethodInput<'servers.add'>): Promise<string> {
    const { id } = await api.servers.add(input)
    // servers.changed follows; reloading makes the new server visible even if it was missed.
    await load()
    return id
  }

  async function update(input: MethodInput<'servers.update'>): Promise<ServerView> {
    const view = await api.servers.update(input)
    if (byId.value[view.id]) byId.value[view.id] = view
    return view
  }

  async function remove(id: string): Promise<void> {
    await api.servers.remove(id)
    if (byId.value[id]) {
      const next = { ...byId.value }
      delete next[id]
      byId.value = next
      order.value = order.value.filter((x) => x !== id)
    }
  }

  function test(input: MethodInput<'servers.test'>): Promise<MethodOutput<'servers.test'>> {
    return api.servers.test(input)
  }

  async function refresh(id?: string): Promise<void> {
    await api.servers.refresh(id)
  }

  return {
    byId,
    order,
    loaded,
    list,
    groups,
    get,
    nameOf,
    applyList,
    applyPreview,
    applyStatus,
    queueStatus,
    flushStatuses,
    load,
    add,
    update,
    remove,
    test,
    refresh,
  }
})
