import type { SeriesResult, ServerMetric } from './types'

/** Raw samples are kept this long (the finer-than-a-minute tier). */
export const RAW_KEEP_MS = 3_600_000
/** Readings of one poll (status, then users) closer than this share one sample. */
const MERGE_MS = 1_000
const FIRST_CAPACITY = 64
/** 1 h at one poll per second; polls are every 2 s (watched) or slower. */
const MAX_CAPACITY = 4_096

/**
 * The last hour of one server's polls in typed arrays (20 bytes a sample: 1,000 servers polled
 * every 5 s take ~15 MB): latency, users online, upload and download rates. NaN = not known
 * (never 0). Per-user readings are NOT kept raw: at 100k users that would not fit in memory;
 * per-user history starts at the 1-minute tier in the worker.
 */
export class RawRing {
  /** Seconds since the epoch would lose the poll's milliseconds: store ms offsets from `base`. */
  private base = 0
  private t = new Uint32Array(FIRST_CAPACITY)
  private lat = new Float32Array(FIRST_CAPACITY)
  private on = new Float32Array(FIRST_CAPACITY)
  private up = new Float32Array(FIRST_CAPACITY)
  private down = new Float32Array(FIRST_CAPACITY)
  private head = 0
  private len = 0

  /** Number of samples held. */
  get size(): number {
    return this.len
  }

  /** Time of the oldest sample (Infinity when empty). */
  get oldest(): number {
    return this.len > 0 ? this.timeOf(0) : Infinity
  }

  private at(i: number): number {
    return (this.head + i) % this.t.length
  }

  private timeOf(i: number): number {
    return this.base + (this.t[this.at(i)] ?? 0)
  }

  /** Records readings taken at `t`; fields left undefined stay unknown (or keep a merged value). */
  push(t: number, v: { lat?: number; on?: number; up?: number; down?: number }): void {
    if (this.len > 0) {
      const last = this.at(this.len - 1)
      const lastT = this.base + (this.t[last] ?? 0)
      if (Math.abs(t - lastT) < MERGE_MS) {
        if (v.lat !== undefined) this.lat[last] = v.lat
        if (v.on !== undefined) this.on[last] = v.on
        if (v.up !== undefined) this.up[last] = v.up
        if (v.down !== undefined) this.down[last] = v.down
        return
      }
      if (t < lastT) return // out of order: dropped (the 1-minute tier still has it)
    } else this.base = t
    // Drop samples older than an hour, then grow if still full.
    while (this.len > 0 && this.timeOf(0) < t - RAW_KEEP_MS) {
      this.head = (this.head + 1) % this.t.length
      this.len--
    }
    if (this.len === this.t.length) {
      if (this.t.length >= MAX_CAPACITY) {
        this.head = (this.head + 1) % this.t.length
        this.len--
      } else this.grow()
    }
    if (t - this.base > 0xfffffff0) this.rebase(t)
    const i = this.at(this.len)
    this.t[i] = t - this.base
    this.lat[i] = v.lat ?? NaN
    this.on[i] = v.on ?? NaN
    this.up[i] = v.up ?? NaN
    this.down[i] = v.down ?? NaN
    this.len++
  }

  /**
   * Grows by half (not double): an hour of polls every 5 s (720) then fits in 729 slots instead
   * of 1,024, at 1,000 servers ~6 MB less once the rings are full.
   */
  private grow(): void {
    const n = Math.min(MAX_CAPACITY, Math.ceil(this.t.length * 1.5))
    const copy = <A extends Uint32Array | Float32Array>(a: A, make: (n: number) => A): A => {
      const b = make(n)
      for (let k = 0; k < this.len; k++) b[k] = a[this.at(k)] ?? 0
      return b
    }
    const f32 = (x: number) => new Float32Array(x)
    this.lat = copy(this.lat, f32)
    this.on = copy(this.on, f32)
    this.up = copy(this.up, f32)
    this.down = copy(this.down, f32)
    this.t = copy(this.t, (x) => new Uint32Array(x))
    this.head = 0
  }

  /** Keeps offsets in 32 bits (a process running for ~50 days). */
  private rebase(t: number): void {
    const nb = t - RAW_KEEP_MS
    for (let k = 0; k < this.len; k++) {
      const i = this.at(k)
      this.t[i] = Math.max(0, this.base + (this.t[i] ?? 0) - nb)
    }
    this.base = nb
  }

  /**
   * Buckets of `bucketMs` over [from, to): average, min and max of the known samples. Traffic is
   * a rate here (bytes/s per poll interval), with no byte sum.
   */
  query(metric: ServerMetric, from: number, to: number, bucketMs: number): SeriesResult {
    const col =
      metric === 'latency'
        ? this.lat
        : metric === 'online'
          ? this.on
          : metric === 'up'
            ? this.up
            : this.down
    const pts: SeriesResult['points'] = { t: [], avg: [], min: [], max: [], sum: [] }
    let cur = NaN
    let n = 0
    let sum = 0
    let lo = Infinity
    let hi = -Infinity
    let prevT = NaN
    const gaps: number[] = []
    const close = () => {
      if (n === 0) return
      pts.t.push(cur)
      pts.avg.push(sum / n)
      pts.min.push(lo)
      pts.max.push(hi)
      pts.sum.push(null)
    }
    for (let k = 0; k < this.len; k++) {
      const t = this.timeOf(k)
      if (t < from || t >= to) continue
      if (!Number.isNaN(prevT)) gaps.push(t - prevT)
      prevT = t
      const v = col[this.at(k)] ?? NaN
      if (Number.isNaN(v)) continue
      const b = t - (t % bucketMs)
      if (b !== cur) {
        close()
        cur = b
        n = 0
        sum = 0
        lo = Infinity
        hi = -Infinity
      }
      n++
      sum += v
      if (v < lo) lo = v
      if (v > hi) hi = v
    }
    close()
    gaps.sort((a, b) => a - b)
    // The usual poll spacing: two buckets further apart than ~2 polls are drawn as a gap.
    const typical = gaps.length > 0 ? (gaps[Math.floor(gaps.length / 2)] ?? 0) : 0
    return {
      tier: 'raw',
      bucketMs,
      stepMs: Math.max(bucketMs, Math.ceil(typical / bucketMs) * bucketMs),
      missing: 'gap',
      unit: metric === 'latency' ? 'ms' : metric === 'online' ? 'users' : 'bytes/s',
      points: pts,
    }
  }
}
