import type { StreamState } from '../../../../shared/contract'
import { DEFAULT_LOG_CAPACITY, LineBuffer } from './log-buffer'

export type LogStoreEvent = 'append' | 'clear' | 'state' | 'resize'

/**
 * The lines of one live line stream and what is known about it: the ring buffer, how many lines
 * arrived, how many the core dropped before they reached us, and the upstream's state. Plain
 * (not reactive) on purpose: thousands of lines per second must not go through Vue's
 * reactivity; views subscribe and pull what they need once per animation frame.
 */
export class LogStore {
  readonly buffer: LineBuffer
  /** Lines received since creation / `clear()`. */
  received = 0
  /** Lines the core dropped for this connection because the page was too slow. */
  droppedUpstream = 0
  state: StreamState | null = null
  /** Restarts the stream after it failed (set by the owner of the connection), if possible. */
  retry: (() => void) | null = null
  private listeners = new Set<(event: LogStoreEvent) => void>()

  constructor(opts: { capacity?: number } = {}) {
    this.buffer = new LineBuffer(opts.capacity ?? DEFAULT_LOG_CAPACITY)
  }

  /** Lines evicted from the full buffer (older lines discarded). */
  get discarded(): number {
    return this.buffer.evicted
  }

  /** Appends a batch of lines (oldest first) and the core's dropped count of that batch. */
  append(lines: readonly string[], dropped = 0, time = Date.now()): void {
    if (lines.length === 0 && dropped === 0) return
    this.buffer.pushMany(lines, time)
    this.received += lines.length
    this.droppedUpstream += dropped
    this.emit('append')
  }

  setState(state: StreamState | null): void {
    this.state = state
    this.emit('state')
  }

  /** Drops every line and zeroes the counters. */
  clear(): void {
    this.buffer.clear()
    this.buffer.resetCounters()
    this.received = 0
    this.droppedUpstream = 0
    this.emit('clear')
  }

  /** Changes how many lines are kept. */
  resize(capacity: number): void {
    this.buffer.resize(capacity)
    this.emit('resize')
  }

  /** Listens to changes; returns the unsubscribe function. */
  subscribe(fn: (event: LogStoreEvent) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  private emit(event: LogStoreEvent): void {
    for (const fn of [...this.listeners]) {
      try {
        fn(event)
      } catch (err) {
        console.error(`log store listener (${event}) failed`, err)
      }
    }
  }
}

/** How many lines of context must match to recognise the replayed tail (fewer if fewer exist). */
const OVERLAP_CONTEXT = 8

/**
 * After a re-watch (the connection to the core came back) the core replays its recent lines,
 * some of which the buffer already holds. Returns how many leading `frames` are such repeats:
 * the largest `j + 1` such that `frames[j]` is the buffer's newest line and the lines before
 * it (up to {@link OVERLAP_CONTEXT}) match the buffer's tail too. 0 when nothing overlaps.
 */
export function replayOverlap(buffer: LineBuffer, frames: readonly string[]): number {
  const size = buffer.size
  if (size === 0 || frames.length === 0) return 0
  const end = buffer.endSeq
  const last = buffer.text(end - 1)
  for (let j = frames.length - 1; j >= 0; j--) {
    if (frames[j] !== last) continue
    const ctx = Math.min(OVERLAP_CONTEXT, j + 1, size)
    let ok = true
    for (let k = 1; k < ctx; k++) {
      if (frames[j - k] !== buffer.text(end - 1 - k)) {
        ok = false
        break
      }
    }
    if (ok) return j + 1
  }
  return 0
}
