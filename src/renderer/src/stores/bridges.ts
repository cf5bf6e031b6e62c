import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type {
  AppError,
  BridgeDraft,
  BridgePatch,
  BridgePreview,
  BridgeStatus,
  BridgeView,
  MethodInput,
} from '../../../shared/contract'
import { api } from '../api'
import { toAppError } from '../utils/errors'
import { SetupStoreId } from './ids'

/** What a bridge is busy with (one action at a time per bridge; the buttons show it). */
export type BridgeAction = 'run' | 'enable' | 'resolve' | 'remove' | 'save'

/**
 * The traffic bridges (issue 6): each bridge's settings and live status, keyed by id. Statuses
 * arrive as `bridges.status` events (see `composables/use-bridges-sync.ts`); a status of a bridge
 * the list does not know yet makes the caller reload the list.
 */
export const useBridgesStore = defineStore(SetupStoreId.Bridges, () => {
  const byId = ref<Record<string, BridgeView>>({})
  /** The core's order (creation order): cards do not jump when a state changes. */
  const order = ref<string[]>([])
  const loaded = ref(false)
  /** Why the last `bridges.list` failed (shown by the Bridges view); null when it worked. */
  const loadError = ref<AppError | null>(null)
  const busy = ref<Record<string, BridgeAction | undefined>>({})

  const list = computed<BridgeView[]>(() =>
    order.value.map((id) => byId.value[id]).filter((b): b is BridgeView => b !== undefined),
  )
  /** Bridges waiting for an admin's decision. */
  const attentionCount = computed(
    () => list.value.filter((b) => b.status.state === 'needs_attention').length,
  )
  /** Bridges whose last attempt failed. */
  const errorCount = computed(() => list.value.filter((b) => b.status.state === 'error').length)

  function get(id: string): BridgeView | undefined {
    return byId.value[id]
  }

  /** Replaces the whole list (`bridges.list`). */
  function applyList(views: BridgeView[]): void {
    const next: Record<string, BridgeView> = {}
    for (const v of views) next[v.config.id] = v
    byId.value = next
    order.value = views.map((v) => v.config.id)
    loaded.value = true
  }

  /** One bridge's new status; false when the bridge is not (yet) in the list. */
  function applyStatus(status: BridgeStatus): boolean {
    const v = byId.value[status.bridgeId]
    if (!v) return false
    byId.value[status.bridgeId] = { ...v, status }
    return true
  }

  async function load(): Promise<void> {
    try {
      applyList(await api.bridges.list())
      loadError.value = null
    } catch (err) {
      loadError.value = toAppError(err)
      throw err
    }
  }

  /** Runs `fn` with the bridge marked busy with `action`. */
  async function withBusy<T>(id: string, action: BridgeAction, fn: () => Promise<T>): Promise<T> {
    busy.value[id] = action
    try {
      return await fn()
    } finally {
      busy.value[id] = undefined
    }
  }

  /** Saves a new bridge; the list is reloaded so it shows at once. */
  async function add(draft: BridgeDraft): Promise<string> {
    const { id } = await api.bridges.add(draft)
    await load()
    return id
  }

  async function update(id: string, patch: BridgePatch): Promise<BridgeView> {
    return withBusy(id, 'save', async () => {
      const view = await api.bridges.update(id, patch)
      if (byId.value[id]) byId.value[id] = view
      return view
    })
  }

  /** Removes a bridge; `force` discards bytes its journal still holds (never reported). */
  async function remove(id: string, force: boolean): Promise<void> {
    await withBusy(id, 'remove', () => api.bridges.remove(id, force))
    if (byId.value[id]) {
      const next = { ...byId.value }
      delete next[id]
      byId.value = next
      order.value = order.value.filter((x) => x !== id)
    }
  }

  /** Runs one report now and waits for it. */
  async function runNow(id: string): Promise<BridgeStatus> {
    return withBusy(id, 'run', async () => {
      const status = await api.bridges.runNow(id)
      applyStatus(status)
      return status
    })
  }

  async function setEnabled(id: string, enabled: boolean): Promise<BridgeStatus> {
    return withBusy(id, 'enable', async () => {
      const status = await api.bridges.setEnabled(id, enabled)
      const v = byId.value[id]
      if (v) byId.value[id] = { config: { ...v.config, enabled }, status }
      return status
    })
  }

  /** The admin's decision on a batch in `needs_attention`. */
  async function resolve(id: string, decision: 'applied' | 'resend'): Promise<BridgeStatus> {
    return withBusy(id, 'resolve', async () => {
      const status = await api.bridges.resolve(id, decision)
      applyStatus(status)
      return status
    })
  }

  function preview(input: MethodInput<'bridges.preview'>): Promise<BridgePreview> {
    return api.bridges.preview(input)
  }

  return {
    byId,
    order,
    loaded,
    loadError,
    busy,
    list,
    attentionCount,
    errorCount,
    get,
    applyList,
    applyStatus,
    load,
    add,
    update,
    remove,
    runNow,
    setEnabled,
    resolve,
    preview,
  }
})
