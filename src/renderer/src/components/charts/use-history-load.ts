import { ref, shallowRef, type Ref, type ShallowRef } from 'vue'
import type { AppError } from '../../../../shared/contract'
import { toAppError } from '../../utils/errors'

/** A list read from the history: its rows, why the last read failed, and whether one runs. */
export interface HistoryLoad<T> {
  rows: ShallowRef<T[]>
  error: Ref<AppError | null>
  loading: Ref<boolean>
  /** Reads again; a failure empties the rows and keeps the error (shown instead of the table). */
  load: () => Promise<void>
}

/** One way for history tables (top users, state changes) to read and show their rows. */
export function useHistoryLoad<T>(read: () => Promise<T[]>): HistoryLoad<T> {
  const rows = shallowRef<T[]>([])
  const error = ref<AppError | null>(null)
  const loading = ref(false)
  async function load() {
    loading.value = true
    try {
      rows.value = await read()
      error.value = null
    } catch (err) {
      error.value = toAppError(err)
      rows.value = []
    } finally {
      loading.value = false
    }
  }
  return { rows, error, loading, load }
}
