import { AppErrorException, appError, type AppError } from '../../../shared/contract'
import type { PollResult, ServerAdapter } from '../adapters/adapter'

/** What the next poll of a FakeAdapter does. */
export type FakeOutcome =
  | { ok: true; latencyMs?: number; partial?: AppError | null; result?: Partial<PollResult> }
  | { ok: false; error: AppError }

/** A deferred poll the test settles by hand (to hold a poll "in flight"). */
export interface HeldPoll {
  resolve(outcome: FakeOutcome): void
}

/**
 * A scripted ServerAdapter for monitor tests: records the time of every poll, answers with the
 * scripted outcomes (the last one repeats), or holds polls open when `hold` is set.
 */
export class FakeAdapter implements ServerAdapter {
  readonly kind = 'hysteria2' as const
  /** `now()` at each poll call. */
  readonly calls: number[] = []
  /** Polls held open (when `hold` is true), oldest first. */
  readonly held: HeldPoll[] = []
  hold = false
  private script: FakeOutcome[]

  constructor(
    outcomes: FakeOutcome[] = [{ ok: true }],
    private readonly now: () => number = Date.now,
  ) {
    this.script = [...outcomes]
  }

  /** Replaces the script (the last outcome repeats forever). */
  setOutcomes(outcomes: FakeOutcome[]): void {
    this.script = [...outcomes]
  }

  poll(): Promise<PollResult> {
    this.calls.push(this.now())
    if (this.hold) {
      return new Promise<PollResult>((resolve, reject) => {
        this.held.push({ resolve: (o) => settle(o, resolve, reject) })
      })
    }
    const next = this.script.length > 1 ? this.script.shift() : this.script[0]
    return new Promise<PollResult>((resolve, reject) =>
      settle(next ?? { ok: true }, resolve, reject),
    )
  }
}

function settle(
  o: FakeOutcome,
  resolve: (r: PollResult) => void,
  reject: (e: unknown) => void,
): void {
  if (o.ok) resolve({ latencyMs: o.latencyMs ?? 10, partial: o.partial ?? null, ...o.result })
  else reject(new AppErrorException(o.error))
}

/** A network error as the HTTP layer would raise it. */
export function networkError(serverId = 's1'): AppError {
  return appError('network', 'The server refused the connection.', { serverId })
}
