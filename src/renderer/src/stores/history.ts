import { defineStore } from 'pinia'
import { ref } from 'vue'
import type {
  AppError,
  HistoryEvent,
  HistorySeries,
  HistoryStatus,
  HistoryTopRow,
  MethodInput,
} from '../../../shared/contract'
import { useApi } from '../api'
import { toAppError } from '../utils/errors'
import { SetupStoreId } from './ids'

/**
 * History (issue 7): the database's status, and the queries charts and tables make. Results are
 * not cached here: each chart holds its own (they depend on its range and width).
 */
export const useHistoryStore = defineStore(SetupStoreId.History, () => {
  const status = ref<HistoryStatus | null>(null)
  const statusError = ref<AppError | null>(null)

  async function loadStatus(): Promise<void> {
    try {
      status.value = await useApi().call('history.status', undefined)
      statusError.value = null
    } catch (err) {
      statusError.value = toAppError(err)
    }
  }

  const series = (q: MethodInput<'history.series'>): Promise<HistorySeries> =>
    useApi().call('history.series', q)
  const top = (q: MethodInput<'history.top'>): Promise<HistoryTopRow[]> =>
    useApi().call('history.top', q)
  const events = (q: MethodInput<'history.events'>): Promise<HistoryEvent[]> =>
    useApi().call('history.events', q)

  return { status, statusError, loadStatus, series, top, events }
})
