import { LEVEL_OF_CODE, detectLevelCode, type LogLevel } from './log-parse'

export const DEFAULT_LOG_CAPACITY = 50_000
/** Largest buffer the viewer offers (the list's height stays far below browser limits). */
export const MAX_LOG_CAPACITY = 500_000

/**
 * A ring buffer of log lines. Every line gets a sequence number (monotonic for the life of the
 * buffer, never reused, also across `clear()`), its receive time and a level computed on first
 * use. Appending is O(1) per line and never copies arrays; when full, the oldest lines are
 * overwritten and counted in `evicted`.
 *
 * The line with sequence number `s` (`firstSeq <= s < endSeq`) lives in slot `s % capacity`.
 */
export class LineBuffer {
  private cap: number
  private texts: (string | undefined)[]
  private times: Float64Array
  private levels: Uint8Array
  private first = 0
  private end = 0
  /** Lines overwritten because the buffer was full (or shrunk) since creation / `resetCounters`. */
  evicted = 0

  constructor(capacity = DEFAULT_LOG_CAPACITY) {
    this.cap = normCapacity(capacity)
    this.texts = new Array<string | undefined>(this.cap)
    this.times = new Float64Array(this.cap)
    this.levels = new Uint8Array(this.cap)
  }

  get capacity(): number {
    return this.cap
  }
  /** Lines held now. */
  get size(): number {
    return this.end - this.first
  }
  /** Sequence number of the oldest line held (== `endSeq` when empty). */
  get firstSeq(): number {
    return this.first
  }
  /** Sequence number the next line will get. */
  get endSeq(): number {
    return this.end
  }

  has(seq: number): boolean {
    return seq >= this.first && seq < this.end
  }

  /** Appends one line; returns its sequence number. */
  push(text: string, time = Date.now()): number {
    const seq = this.end
    const i = seq % this.cap
    this.texts[i] = text
    this.times[i] = time
    this.levels[i] = 0
    this.end = seq + 1
    if (this.end - this.first > this.cap) {
      this.first++
      this.evicted++
    }
    return seq
  }

  /**
   * Appends lines, oldest first, all with the same receive time. Lines that would be overwritten
   * within this very call (more lines than the capacity) are not stored, only counted.
   */
  pushMany(lines: readonly string[], time = Date.now()): void {
    const n = lines.length
    if (n === 0) return
    const skip = Math.max(0, n - this.cap)
    if (skip > 0) {
      // The whole buffer is replaced: everything held now and the first `skip` lines go.
      this.evicted += this.size + skip
      this.end += skip
      this.first = this.end
    }
    for (let k = skip; k < n; k++) {
      const seq = this.end
      const i = seq % this.cap
      this.texts[i] = lines[k]
      this.times[i] = time
      this.levels[i] = 0
      this.end = seq + 1
    }
    const over = this.end - this.first - this.cap
    if (over > 0) {
      this.first += over
      this.evicted += over
    }
  }

  /** The text of a held line ('' if it is not held). */
  text(seq: number): string {
    return this.has(seq) ? (this.texts[seq % this.cap] ?? '') : ''
  }

  /** When a held line was received (epoch ms; NaN if it is not held). */
  time(seq: number): number {
    return this.has(seq) ? (this.times[seq % this.cap] as number) : Number.NaN
  }

  /** The level code of a held line, computed and cached on first use (0 if not held). */
  levelCode(seq: number): number {
    if (!this.has(seq)) return 0
    const i = seq % this.cap
    let c = this.levels[i] as number
    if (c === 0) {
      c = detectLevelCode(this.texts[i] ?? '')
      this.levels[i] = c
    }
    return c
  }

  /** The level of a held line ('other' if it is not held). */
  level(seq: number): LogLevel {
    return LEVEL_OF_CODE[this.levelCode(seq)] ?? 'other'
  }

  /** Texts of the held lines `from <= seq < to`, oldest first (for saving; copies on purpose). */
  slice(from = this.first, to = this.end): string[] {
    const a = Math.max(from, this.first)
    const b = Math.min(to, this.end)
    const out: string[] = []
    for (let s = a; s < b; s++) out.push(this.texts[s % this.cap] ?? '')
    return out
  }

  /** Drops every line (not counted as evicted); sequence numbers continue. */
  clear(): void {
    this.first = this.end
    this.texts.fill(undefined)
  }

  /** Zeroes the eviction counter. */
  resetCounters(): void {
    this.evicted = 0
  }

  /**
   * Changes the capacity, keeping the newest lines that fit (the others count as evicted).
   * O(size): meant for a user's choice, not for the hot path.
   */
  resize(capacity: number): void {
    const cap = normCapacity(capacity)
    if (cap === this.cap) return
    const keepFrom = Math.max(this.first, this.end - cap)
    const texts = new Array<string | undefined>(cap)
    const times = new Float64Array(cap)
    const levels = new Uint8Array(cap)
    for (let s = keepFrom; s < this.end; s++) {
      const o = s % this.cap
      const i = s % cap
      texts[i] = this.texts[o]
      times[i] = this.times[o] as number
      levels[i] = this.levels[o] as number
    }
    this.evicted += keepFrom - this.first
    this.first = keepFrom
    this.cap = cap
    this.texts = texts
    this.times = times
    this.levels = levels
  }
}

function normCapacity(n: number): number {
  if (!Number.isFinite(n)) return DEFAULT_LOG_CAPACITY
  return Math.min(MAX_LOG_CAPACITY, Math.max(1, Math.floor(n)))
}
