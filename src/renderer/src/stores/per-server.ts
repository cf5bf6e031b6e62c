import { ref } from 'vue'
import type { AppError } from '../../../shared/contract'
import { toAppError } from '../utils/errors'

/**
 * Data loaded per server on demand (accounts, WireGuard, certificates…): the latest value, whether
 * a load is running, and why the last load failed. Used inside setup stores; a failed load keeps
 * the previous value (shown with an inline status line, not a toast on every poll).
 */
export function usePerServer<T>(fetch: (serverId: string) => Promise<T>) {
  const data = ref<Record<string, T>>({})
  const loading = ref<Record<string, boolean>>({})
  const errors = ref<Record<string, AppError | null>>({})

  /** Loads the value; a load already running for the server is not doubled. */
  async function load(serverId: string): Promise<void> {
    if (loading.value[serverId]) return
    loading.value[serverId] = true
    try {
      const value = await fetch(serverId)
      data.value[serverId] = value
      errors.value[serverId] = null
    } catch (err) {
      errors.value[serverId] = toAppError(err, serverId)
    } finally {
      loading.value[serverId] = false
    }
  }

  return { data, loading, errors, load }
}
