import { describe, expect, it } from 'vitest'
import { RAW_KEEP_MS, RawRing } from './raw-ring'

const T0 = Date.UTC(2025, 0, 1)

describe('RawRing', () => {
  it('keeps the last hour in order while it grows, dropping older samples', () => {
    const r = new RawRing()
    // 80 minutes of polls every 5 s: the ring grows past several capacities.
    for (let i = 0; i < 960; i++) r.push(T0 + i * 5000, { lat: i, on: i % 7 })
    const last = T0 + 959 * 5000
    expect(r.size).toBe(721)
    expect(r.oldest).toBe(last - RAW_KEEP_MS)
    const q = r.query('latency', T0, last + 1, 5000)
    expect(q.points.t).toHaveLength(721)
    expect(q.points.avg[0]).toBe(959 - 720)
    expect(q.points.avg.at(-1)).toBe(959)
    // Ascending, no sample twice: the copies kept the ring's order.
    expect(q.points.t.every((t, k) => k === 0 || t > (q.points.t[k - 1] as number))).toBe(true)
  })

  it('merges the status and the users of one poll into one sample; unknown stays NaN', () => {
    const r = new RawRing()
    r.push(T0, { lat: 12 })
    r.push(T0 + 300, { on: 4 })
    r.push(T0 + 5000, { lat: 15 })
    expect(r.size).toBe(2)
    expect(r.query('online', T0, T0 + 10_000, 1000).points.avg).toEqual([4])
    expect(r.query('latency', T0, T0 + 10_000, 1000).points.avg).toEqual([12, 15])
  })
})
