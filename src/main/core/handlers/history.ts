import { AppErrorException, appError, type MethodName } from '../../../shared/contract'
import type { Handlers } from '../../../shared/rpc/dispatcher'
import type { History } from '../history/history'

type HistoryMethods = Extract<MethodName, `history.${string}`>

/**
 * The `history.*` handlers. Queries go to the history worker (or the raw rings in memory); when
 * the history cannot be used they fail with `storage` and the reason, and `history.status` says
 * so without failing.
 */
export function createHistoryHandlers(history: History): Pick<Handlers, HistoryMethods> {
  async function run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof AppErrorException) throw err
      const message = err instanceof Error ? err.message : String(err)
      throw new AppErrorException(appError('storage', message, { retryable: true }))
    }
  }
  return {
    'history.series': (q) => run(() => history.series(q)),
    'history.top': (q) => run(() => history.top(q)),
    'history.events': (q) => run(() => history.events(q)),
    'history.status': () => history.status(),
  }
}
