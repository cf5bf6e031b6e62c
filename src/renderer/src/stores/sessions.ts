import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppError, BulkResult, SessionsSnapshot } from '../../../shared/contract'
import { api } from '../api'
import { toAppError } from '../utils/errors'
import { SetupStoreId } from './ids'

/** The latest sessions (Hysteria 2: TCP streams) listing per server, loaded on demand. */
export const useSessionsStore = defineStore(SetupStoreId.Sessions, () => {
  const snapshots = ref<Record<string, SessionsSnapshot>>({})
  const loading = ref<Record<string, boolean>>({})
  const errors = ref<Record<string, AppError | null>>({})

  /** Loads the list; a failure is kept in `errors` (shown inline, not as a toast every 5 s). */
  async function load(serverId: string): Promise<void> {
    if (loading.value[serverId]) return
    loading.value[serverId] = true
    try {
      snapshots.value[serverId] = await api.sessions.list(serverId)
      errors.value[serverId] = null
    } catch (err) {
      errors.value[serverId] = toAppError(err, serverId)
    } finally {
      loading.value[serverId] = false
    }
  }

  /**
   * Disconnects sessions by id (HY2 SCALE: device keys, refused for 60 s), then reloads; a
   * partial failure comes back in the result.
   */
  async function kick(serverId: string, ids: string[]): Promise<BulkResult> {
    try {
      return await api.sessions.kick(serverId, ids)
    } finally {
      await load(serverId)
    }
  }

  return { snapshots, loading, errors, load, kick }
})
