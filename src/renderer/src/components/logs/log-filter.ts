import type { LineBuffer } from './log-buffer'
import { LEVEL_CODE, LOG_LEVELS, type LogLevel } from './log-parse'

/** What the user filters by. */
export interface LogFilterSpec {
  /** Levels shown; all six = no level filter. */
  levels: readonly LogLevel[]
  /** Search text: a case-insensitive substring, or a regular expression when `regex`. */
  text: string
  regex: boolean
  /** `filter`: only lines matching the search are rows; `highlight`: all rows, matches marked. */
  mode: 'filter' | 'highlight'
}

export const EMPTY_FILTER: LogFilterSpec = {
  levels: LOG_LEVELS,
  text: '',
  regex: false,
  mode: 'filter',
}

/** A compiled search. */
export interface LogSearch {
  test(line: string): boolean
  /** Match ranges `[start, end)` in a line, at most `max`, non-empty, in order. */
  ranges(line: string, max?: number): [number, number][]
}

/** A compiled search, or the reason the regular expression is invalid. */
export type CompiledSearch =
  { search: LogSearch | null; error: null } | { search: null; error: string }

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/**
 * Compiles the search text: plain text is a case-insensitive substring; with `regex` it is a
 * case-insensitive JavaScript regular expression (an invalid one gives its error message).
 * Empty text = no search.
 */
export function compileSearch(text: string, regex: boolean): CompiledSearch {
  if (text === '') return { search: null, error: null }
  const source = regex ? text : escapeRe(text)
  let testRe: RegExp
  let globalRe: RegExp
  try {
    testRe = new RegExp(source, 'i')
    globalRe = new RegExp(source, 'gi')
  } catch (err) {
    // Only a user's regular expression can be invalid (plain text is escaped).
    return { search: null, error: err instanceof Error ? err.message : String(err) }
  }
  return {
    error: null,
    search: {
      test: (line) => testRe.test(line),
      ranges(line, max = 64) {
        const out: [number, number][] = []
        globalRe.lastIndex = 0
        let m: RegExpExecArray | null
        while (out.length < max && (m = globalRe.exec(line)) !== null) {
          if (m[0].length === 0) {
            // An empty match (e.g. `a*`): step over it so the loop ends.
            globalRe.lastIndex = m.index + 1
            if (globalRe.lastIndex > line.length) break
            continue
          }
          out.push([m.index, m.index + m[0].length])
        }
        return out
      },
    },
  }
}

/**
 * A queue of increasing sequence numbers: push at the back, trim at the front, random access.
 * `shifted` counts entries ever removed from the front, so `shifted + i` numbers entry `i`
 * stably while older entries go (the list's absolute row numbers).
 */
export class SeqDeque {
  private buf: Float64Array
  private head = 0
  private len = 0
  shifted = 0

  constructor(capacity = 1024) {
    this.buf = new Float64Array(Math.max(16, capacity))
  }

  get length(): number {
    return this.len
  }

  push(seq: number): void {
    if (this.len === this.buf.length) this.grow()
    this.buf[(this.head + this.len) % this.buf.length] = seq
    this.len++
  }

  /** Entry `i` (0 = oldest). */
  at(i: number): number {
    return this.buf[(this.head + i) % this.buf.length] as number
  }

  /** Removes the entries below `minSeq`. */
  trimBefore(minSeq: number): void {
    if (this.len === 0 || this.at(0) >= minSeq) return
    const n = this.lowerBound(minSeq)
    this.head = (this.head + n) % this.buf.length
    this.len -= n
    this.shifted += n
  }

  /** Index of the first entry `>= seq` (`length` if none). */
  lowerBound(seq: number): number {
    let lo = 0
    let hi = this.len
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.at(mid) < seq) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  /** Empties the queue (absolute numbering continues). */
  clear(): void {
    this.shifted += this.len
    this.head = 0
    this.len = 0
  }

  private grow(): void {
    const next = new Float64Array(this.buf.length * 2)
    for (let i = 0; i < this.len; i++) next[i] = this.at(i)
    this.buf = next
    this.head = 0
  }
}

/**
 * The rows of one view of a buffer under a filter, kept up to date incrementally: `sync()` tests
 * only the lines appended since the last call and forgets evicted ones; a full re-scan happens
 * only in `setFilter`. Rows have absolute numbers (`rowBase <= r < rowBase + rowCount`) that stay
 * put while old lines are evicted, so a scrolled list can keep its place.
 */
export class LogView {
  private spec: LogFilterSpec = EMPTY_FILTER
  private searchObj: LogSearch | null = null
  private levelMask = 0
  private allLevels = true
  /** Rows when something filters them; null = every buffered line is a row (row = seq). */
  private rows: SeqDeque | null = null
  /** Lines matching level and search, when there is a search; else null (= rows). */
  private hits: SeqDeque | null = null
  /** Lines below this sequence number have been tested. */
  private tested = 0

  constructor(readonly buffer: LineBuffer) {
    this.tested = buffer.firstSeq
  }

  get filter(): LogFilterSpec {
    return this.spec
  }
  /** The compiled search (for highlighting), null without search text. */
  get search(): LogSearch | null {
    return this.searchObj
  }
  /** True when the rows are a subset of the buffer or matches are counted separately. */
  get filtering(): boolean {
    return !this.allLevels || this.searchObj !== null
  }

  /**
   * Applies a filter and re-scans the buffer. Returns the regex error (the filter is then
   * applied without the search), or null.
   */
  setFilter(spec: LogFilterSpec): string | null {
    const compiled = compileSearch(spec.text, spec.regex)
    this.spec = spec
    this.searchObj = compiled.search
    this.levelMask = 0
    for (const l of spec.levels) this.levelMask |= 1 << LEVEL_CODE[l]
    this.allLevels = LOG_LEVELS.every((l) => (this.levelMask & (1 << LEVEL_CODE[l])) !== 0)
    const cap = this.buffer.capacity
    // New deques restart the absolute row numbers: the list re-anchors by sequence number.
    const levelRows = this.allLevels ? null : new SeqDeque(Math.min(cap, 4096))
    if (this.searchObj) {
      this.hits = new SeqDeque(Math.min(cap, 4096))
      this.rows = spec.mode === 'filter' ? this.hits : levelRows
    } else {
      this.hits = null
      this.rows = levelRows
    }
    this.tested = this.buffer.firstSeq
    this.sync()
    return compiled.error
  }

  /** Tests the lines appended since the last call; forgets the evicted ones. O(new + evicted). */
  sync(): void {
    const b = this.buffer
    const first = b.firstSeq
    const end = b.endSeq
    if (this.rows) this.rows.trimBefore(first)
    if (this.hits && this.hits !== this.rows) this.hits.trimBefore(first)
    if (!this.rows && !this.hits) {
      this.tested = end
      return
    }
    const search = this.searchObj
    const checkLevel = !this.allLevels
    const mask = this.levelMask
    const splitRows = this.rows !== null && this.rows !== this.hits
    for (let s = Math.max(this.tested, first); s < end; s++) {
      if (checkLevel && (mask & (1 << b.levelCode(s))) === 0) continue
      if (splitRows) this.rows!.push(s)
      if (search && search.test(b.text(s))) this.hits!.push(s)
    }
    this.tested = end
  }

  /** Absolute number of the first row. */
  get rowBase(): number {
    return this.rows ? this.rows.shifted : this.buffer.firstSeq
  }
  get rowCount(): number {
    return this.rows ? this.rows.length : this.buffer.size
  }
  /** Sequence number of absolute row `r` (`rowBase <= r < rowBase + rowCount`). */
  rowSeq(r: number): number {
    return this.rows ? this.rows.at(r - this.rows.shifted) : r
  }
  /** Absolute number of the first row whose line is at or after `seq` (end if none). */
  rowOfSeq(seq: number): number {
    if (!this.rows) return Math.min(Math.max(seq, this.buffer.firstSeq), this.buffer.endSeq)
    return this.rows.shifted + this.rows.lowerBound(seq)
  }
  /** Lines matching the whole filter (level and search). */
  get matchCount(): number {
    return this.hits ? this.hits.length : this.rowCount
  }
  /** Sequence numbers of the matching lines, oldest first (for saving). */
  matchingSeqs(): number[] {
    const out: number[] = []
    if (this.hits) for (let i = 0; i < this.hits.length; i++) out.push(this.hits.at(i))
    else if (this.rows) for (let i = 0; i < this.rows.length; i++) out.push(this.rows.at(i))
    else for (let s = this.buffer.firstSeq; s < this.buffer.endSeq; s++) out.push(s)
    return out
  }
  /** Whether a held line matches the search (true without search). */
  isHit(seq: number): boolean {
    if (!this.hits) return true
    const i = this.hits.lowerBound(seq)
    return i < this.hits.length && this.hits.at(i) === seq
  }
  /**
   * The next (dir 1) or previous (dir -1) matching line after / before `seq`, or null.
   * Used to step through matches in highlight mode.
   */
  nextHit(seq: number, dir: 1 | -1): number | null {
    const h = this.hits
    if (!h || h.length === 0) return null
    if (dir === 1) {
      const i = h.lowerBound(seq + 1)
      return i < h.length ? h.at(i) : null
    }
    const i = h.lowerBound(seq) - 1
    return i >= 0 ? h.at(i) : null
  }
}
