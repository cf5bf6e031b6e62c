import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { AppError, UsersSnapshot } from '../../../shared/contract'
import { api } from '../api'
import { toAppError } from '../utils/errors'
import { SetupStoreId } from './ids'

/** The latest users reading per server (initial `users.list`, then `users.snapshot` events). */
export const useUsersStore = defineStore(SetupStoreId.Users, () => {
  const snapshots = ref<Record<string, UsersSnapshot>>({})
  const loading = ref<Record<string, boolean>>({})
  /** Why the initial load failed (no reading at all yet); cleared by the next snapshot. */
  const loadErrors = ref<Record<string, AppError | null>>({})

  function snapshot(serverId: string): UsersSnapshot | null {
    return snapshots.value[serverId] ?? null
  }

  /** Applies a reading; an older one (a late answer after a live event) is ignored. */
  function apply(snap: UsersSnapshot): void {
    const prev = snapshots.value[snap.serverId]
    if (prev && prev.at !== null && snap.at !== null && snap.at < prev.at) return
    snapshots.value[snap.serverId] = snap
    loadErrors.value[snap.serverId] = null
  }

  /** Loads the current reading (`users.list`). */
  async function load(serverId: string): Promise<void> {
    loading.value[serverId] = true
    try {
      apply(await api.users.list(serverId))
    } catch (err) {
      loadErrors.value[serverId] = toAppError(err, serverId)
      throw err
    } finally {
      loading.value[serverId] = false
    }
  }

  /** Asks the server to kick users (Hysteria: lazily, one connection per name and call). */
  async function kick(serverId: string, users: string[]): Promise<void> {
    await api.users.kick(serverId, users)
  }

  return { snapshots, loading, loadErrors, snapshot, apply, load, kick }
})
