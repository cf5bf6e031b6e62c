import type { AppError } from '../../../../shared/contract'
import { appError, toAppError } from '../../../../shared/contract'
import type { BackoffOptions, StreamState } from '../sse/stream-reader'
import { silentLogger, type Logger } from '../../util/logger'

/**
 * A long-lived upstream that is not HTTP text (gRPC `GetLogs`), kept open with the same
 * semantics as the stream reader (`adapters/sse`): states `connecting → live → reconnecting`,
 * exponential backoff with jitter, attempts reset after a long healthy connection, `failed` on a
 * non-retryable error (wrong key, wrong transport).
 */

/** What one attempt gets. */
export interface AttemptControl {
  /** Call when the upstream delivers (headers or a first message): the state becomes `live`. */
  live(): void
  /** Aborted by `stop()`. */
  signal: AbortSignal
}

export interface ReconnectingOptions {
  serverId: string
  /**
   * Runs one connection until it ends; resolves with why (an AppError), or null when the server
   * ended it normally (then it is reopened like any interruption).
   */
  attempt(ctl: AttemptControl): Promise<AppError | null>
  onState(state: StreamState): void
  /** Describes the stream for the "closed by the server" error, e.g. `GetLogs`. */
  what: string
  backoff?: BackoffOptions
  log?: Logger
  now?: () => number
  random?: () => number
}

/** Starts the loop; `stop()` ends it for good (idempotent). */
export function runReconnecting(opts: ReconnectingOptions): { stop(): void } {
  const now = opts.now ?? Date.now
  const random = opts.random ?? Math.random
  const log = opts.log ?? silentLogger
  const b = {
    initialMs: opts.backoff?.initialMs ?? 1000,
    maxMs: opts.backoff?.maxMs ?? 30_000,
    factor: opts.backoff?.factor ?? 2,
    jitter: Math.min(1, Math.max(0, opts.backoff?.jitter ?? 0.3)),
    resetAfterMs: opts.backoff?.resetAfterMs ?? 30_000,
  }
  const ac = new AbortController()
  let attempt = 0
  let state: StreamState = {
    status: 'connecting',
    error: null,
    nextRetryAt: null,
    attempt: 0,
    since: now(),
  }
  const set = (next: Omit<StreamState, 'since' | 'attempt'>) => {
    if (ac.signal.aborted) return
    state = { ...next, attempt, since: next.status === state.status ? state.since : now() }
    try {
      opts.onState(state)
    } catch (err) {
      log.error('stream state listener threw', { serverId: opts.serverId, err: String(err) })
    }
  }
  let wake: (() => void) | null = null
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(done, ms)
      function done() {
        clearTimeout(t)
        wake = null
        resolve()
      }
      wake = done
    })

  async function loop() {
    while (!ac.signal.aborted) {
      if (state.status !== 'connecting') {
        set({ status: 'connecting', error: state.error, nextRetryAt: null })
      }
      let liveAt: number | null = null
      let error: AppError | null
      try {
        error = await opts.attempt({
          signal: ac.signal,
          live: () => {
            if (liveAt !== null || ac.signal.aborted) return
            liveAt = now()
            set({ status: 'live', error: null, nextRetryAt: null })
          },
        })
      } catch (err) {
        error = toAppError(err, opts.serverId)
      }
      if (ac.signal.aborted) return
      const e =
        error ??
        appError(
          'network',
          `The stream ${opts.what} was closed by the node. NodeDeck reconnects.`,
          {
            serverId: opts.serverId,
          },
        )
      if (liveAt !== null && now() - liveAt >= b.resetAfterMs) attempt = 0
      attempt++
      if (!e.retryable) {
        log.warn('stream failed', { serverId: opts.serverId, code: e.code, message: e.message })
        set({ status: 'failed', error: e, nextRetryAt: null })
        return
      }
      const base = Math.min(b.maxMs, b.initialMs * Math.pow(b.factor, attempt - 1))
      const delay = Math.round(base * (1 - b.jitter * random()))
      log.warn('stream interrupted, reconnecting', {
        serverId: opts.serverId,
        code: e.code,
        message: e.message,
        delayMs: delay,
      })
      set({ status: 'reconnecting', error: e, nextRetryAt: now() + delay })
      await sleep(delay)
    }
  }

  opts.onState(state)
  loop().catch((err: unknown) => {
    set({ status: 'failed', error: toAppError(err, opts.serverId), nextRetryAt: null })
  })
  return {
    stop() {
      if (ac.signal.aborted) return
      ac.abort()
      wake?.()
    },
  }
}
