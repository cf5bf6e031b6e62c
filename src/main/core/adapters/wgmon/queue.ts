import { AppErrorException, appError } from '../../../../shared/contract'

/** Default limit of the time a request waits for its turn (ms). */
export const DEFAULT_QUEUE_WAIT_MS = 30_000

export interface SerialQueueOptions {
  serverId: string
  /** The most a request may wait for its turn before it fails (ms); its send deadline is separate. */
  maxWaitMs?: number
}

/**
 * A FIFO that runs one task at a time (apis.md §5 gotcha 8: the monitor is a single-threaded
 * Python `HTTPServer`; a second connection only waits in its accept backlog, and its wait would
 * eat into the request's own deadline). A task's deadline therefore starts when it runs; the wait
 * before that has its own limit (`maxWaitMs`). A waiting task whose signal aborts leaves the line
 * at once; a running task is never interrupted by the queue.
 */
export function createSerialQueue(opts: SerialQueueOptions) {
  const maxWaitMs = opts.maxWaitMs ?? DEFAULT_QUEUE_WAIT_MS
  interface Waiter {
    start(): void
  }
  const waiting: Waiter[] = []
  let running = false

  function next(): void {
    if (running) return
    const w = waiting.shift()
    if (!w) return
    running = true
    w.start()
  }

  return {
    /** Runs `task` when every task queued before it has finished. */
    run<T>(task: () => Promise<T>, what: string, signal?: AbortSignal): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        if (signal?.aborted) {
          reject(cancelled(opts.serverId, what))
          return
        }
        const ahead = waiting.length + (running ? 1 : 0)
        let timer: ReturnType<typeof setTimeout> | undefined
        const leave = (err: unknown) => {
          const i = waiting.indexOf(waiter)
          if (i < 0) return
          waiting.splice(i, 1)
          cleanup()
          reject(err)
        }
        const onAbort = () => leave(cancelled(opts.serverId, what))
        const cleanup = () => {
          if (timer) clearTimeout(timer)
          signal?.removeEventListener('abort', onAbort)
        }
        const waiter: Waiter = {
          start() {
            cleanup()
            let p: Promise<T>
            try {
              p = task()
            } catch (err) {
              p = Promise.reject(err)
            }
            p.then(resolve, reject).finally(() => {
              running = false
              next()
            })
          },
        }
        waiting.push(waiter)
        signal?.addEventListener('abort', onAbort, { once: true })
        if (maxWaitMs > 0 && Number.isFinite(maxWaitMs)) {
          timer = setTimeout(
            () =>
              leave(
                new AppErrorException(
                  appError(
                    'timeout',
                    `${what} waited ${Math.round(maxWaitMs / 100) / 10} s for its turn (${ahead} request${ahead === 1 ? '' : 's'} ahead) and was not sent. The WireGuard monitor answers one request at a time and is busy or stuck; check the server, or poll it less often.`,
                    { serverId: opts.serverId, params: { queueWaitMs: maxWaitMs, ahead } },
                  ),
                ),
              ),
            maxWaitMs,
          )
        }
        next()
      })
    },
    /** Requests waiting for their turn (not counting the one in progress). */
    get waiting(): number {
      return waiting.length
    },
    /** True while a request is in progress. */
    get busy(): boolean {
      return running
    },
  }
}

export type SerialQueue = ReturnType<typeof createSerialQueue>

function cancelled(serverId: string, what: string): AppErrorException {
  return new AppErrorException(
    appError('timeout', `${what} was cancelled before it was sent.`, { serverId }),
  )
}
