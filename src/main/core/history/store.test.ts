import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DAY, HOUR, HistoryStore, MINUTE, bucketFor } from './store'
import { FLEET, type IngestBatch, type MetricSample } from './types'

/** 2025-01-01T00:00:00Z: a day boundary, so hours and days line up in the figures below. */
const T0 = Date.UTC(2025, 0, 1)

let dir: string
let clock: number
const open = () => new HistoryStore({ file: join(dir, 'history.sqlite'), now: () => clock })
const batch = (samples: MetricSample[], users: IngestBatch['users'] = []): IngestBatch => ({
  samples,
  users,
  events: [],
})
const lat = (t: number, v: number): MetricSample => ({ s: 'srv', m: 'latency', t, v, r: null })
/** Runs housekeeping until it has nothing more to do. */
const settle = (s: HistoryStore) => {
  for (let i = 0; i < 10_000 && s.tick(); i++);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nd-history-'))
  clock = T0
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('tier choice', () => {
  it('picks the finest tier that keeps the range and never returns more buckets than asked', () => {
    const s = open()
    clock = T0 + 400 * DAY
    const now = clock
    expect(s.chooseTier(now - 24 * HOUR, now, 800)).toEqual({ tier: '1m', bucketMs: 2 * MINUTE })
    expect(s.chooseTier(now - HOUR, now, 800).tier).toBe('1m')
    // Older than 48 h: the minutes are gone, hours remain.
    expect(s.chooseTier(now - 7 * DAY, now, 800)).toEqual({ tier: '1h', bucketMs: HOUR })
    expect(s.chooseTier(now - 365 * DAY, now, 800).tier).toBe('1h')
    expect(s.chooseTier(now - 399 * DAY, now, 50)).toEqual({ tier: '1d', bucketMs: 9 * DAY })
    expect(s.chooseTier(now - 2 * 365 * DAY, now, 800)).toEqual({ tier: '1d', bucketMs: DAY })
    for (const [range, points] of [
      [7 * DAY, 800],
      [90 * DAY, 123],
      [HOUR, 5000],
    ] as const) {
      const res = s.chooseTier(now - range, now, points)
      const buckets =
        Math.floor((now - 1) / res.bucketMs) - Math.floor((now - range) / res.bucketMs) + 1
      expect(buckets).toBeLessThanOrEqual(points)
    }
    expect(bucketFor(T0, T0 + HOUR, 1, MINUTE)).toBe(HOUR)
    expect(bucketFor(T0 + 1, T0 + HOUR + 1, 60, MINUTE)).toBe(2 * MINUTE)
    s.close()
  })
})

describe('roll-ups', () => {
  it('keeps avg, min and max through minutes, hours and days; a silent minute is a gap', () => {
    const s = open()
    // Two hours of latency every 10 s: 100 ms, one spike of 900 ms, one dip of 5 ms; nothing in
    // minute 30 of the first hour.
    const samples: MetricSample[] = []
    for (let t = T0; t < T0 + 2 * HOUR; t += 10_000) {
      if (t >= T0 + 30 * MINUTE && t < T0 + 31 * MINUTE) continue
      const v = t === T0 + 70 * MINUTE ? 900 : t === T0 + 10 * MINUTE ? 5 : 100
      samples.push(lat(t, v))
    }
    clock = T0 + 2 * HOUR
    s.ingest(batch(samples))
    clock = T0 + DAY + HOUR
    settle(s)
    const minutes = s.series({
      scope: 'server',
      serverId: 'srv',
      metric: 'latency',
      from: T0,
      to: T0 + HOUR,
      maxPoints: 60,
    })
    expect(minutes.tier).toBe('1m')
    expect(minutes.points.t).toHaveLength(59)
    expect(minutes.points.t).not.toContain(T0 + 30 * MINUTE)
    const i10 = minutes.points.t.indexOf(T0 + 10 * MINUTE)
    expect(minutes.points.min[i10]).toBe(5)
    expect(minutes.points.avg[i10]).toBeCloseTo((5 + 5 * 100) / 6)
    const hours = s.series({
      scope: 'server',
      serverId: 'srv',
      metric: 'latency',
      from: T0,
      to: T0 + 2 * HOUR,
      maxPoints: 1,
    })
    expect(hours.bucketMs).toBe(2 * HOUR)
    expect(hours.points.t).toEqual([T0])
    expect(hours.points.min).toEqual([5])
    expect(hours.points.max).toEqual([900])
    expect(hours.points.avg[0]).toBeCloseTo((samples.length * 100 - 95 + 800) / samples.length)
    // A year later only the hourly and daily tiers remain; the figures are the same.
    clock = T0 + 300 * DAY
    settle(s)
    const year = s.series({
      scope: 'server',
      serverId: 'srv',
      metric: 'latency',
      from: T0,
      to: T0 + DAY,
      maxPoints: 100,
    })
    expect(year.tier).toBe('1h')
    expect(year.points.t).toEqual([T0, T0 + HOUR])
    expect(Math.min(...year.points.min.map(Number))).toBe(5)
    expect(Math.max(...year.points.max.map(Number))).toBe(900)
    const days = s.series({
      scope: 'server',
      serverId: 'srv',
      metric: 'latency',
      from: T0 - 500 * DAY,
      to: T0 + 2 * DAY,
      maxPoints: 1000,
    })
    expect(days.tier).toBe('1d')
    expect(days.points).toMatchObject({ t: [T0], min: [5], max: [900] })
    expect(s.status().rows).toMatchObject({ s_m1: 0, s_h1: 2, s_d1: 1 })
    s.close()
  })

  it('sums traffic bytes and keeps the peak rate; the average is bytes per second', () => {
    const s = open()
    const traffic = (t: number, v: number, r: number): MetricSample => ({
      s: FLEET,
      m: 'up',
      t,
      v,
      r,
      d: 20_000,
    })
    s.ingest(
      batch([
        traffic(T0, 6000, 100),
        traffic(T0 + 20_000, 60_000, 3000),
        traffic(T0 + 40_000, 0, 0),
      ]),
    )
    clock = T0 + 2 * MINUTE
    s.tick()
    const r = s.series({ scope: 'fleet', metric: 'up', from: T0, to: T0 + MINUTE, maxPoints: 10 })
    expect(r.unit).toBe('bytes/s')
    expect(r.points).toEqual({ t: [T0], avg: [1100], min: [0], max: [3000], sum: [66_000] })
    // Half the bucket unknown (the server was unreachable): the rate is of the time covered.
    s.ingest(batch([traffic(T0 + 2 * MINUTE, 30_000, 1000)]))
    clock = T0 + 4 * MINUTE
    s.tick()
    const r2 = s.series({
      scope: 'fleet',
      metric: 'up',
      from: T0 + 2 * MINUTE,
      to: T0 + 3 * MINUTE,
      maxPoints: 10,
    })
    expect(r2.points.avg).toEqual([1500])
    s.close()
  })

  it('catches up after a restart and adds late readings of rolled-up hours', () => {
    let s = open()
    s.ingest(batch([lat(T0 + 5 * MINUTE, 10), lat(T0 + HOUR + 5 * MINUTE, 20)]))
    clock = T0 + HOUR + 10 * MINUTE
    s.close() // writes the open minutes
    // Three hours later (the app was closed): both hours get rolled up on the first ticks.
    clock = T0 + 4 * HOUR
    s = open()
    settle(s)
    const q = {
      scope: 'server',
      serverId: 'srv',
      metric: 'latency',
      from: T0,
      to: T0 + 2 * HOUR,
    } as const
    expect(s.series({ ...q, maxPoints: 2 }).points).toMatchObject({
      t: [T0, T0 + HOUR],
      avg: [10, 20],
    })
    // Rolling up again changes nothing (idempotent).
    settle(s)
    expect(s.series({ ...q, maxPoints: 2 }).points.avg).toEqual([10, 20])
    // A late reading of the first hour lands in both tiers.
    s.ingest(batch([lat(T0 + 6 * MINUTE, 40)]))
    clock += 2 * MINUTE
    s.tick()
    expect(s.series({ ...q, maxPoints: 2 }).points.avg).toEqual([25, 20])
    expect(s.series({ ...q, maxPoints: 120 }).points.avg).toEqual([10, 40, 20])
    s.close()
  })

  it('prunes minutes after 48 h and hours after 400 days, never before they are rolled up', () => {
    const s = open()
    s.ingest(batch([lat(T0, 1)]))
    clock = T0 + 3 * DAY
    settle(s)
    expect(s.status().rows).toMatchObject({ s_m1: 0, s_h1: 1, s_d1: 1 })
    clock = T0 + 401 * DAY
    settle(s)
    expect(s.status().rows).toMatchObject({ s_m1: 0, s_h1: 0, s_d1: 1 })
    s.close()
  })
})

describe('per-user traffic', () => {
  const users = (s: string, t: number, names: string[], up: number[], down: number[]) => ({
    s,
    t,
    names,
    up,
    down,
  })

  it('stores only users with traffic and answers their series and the top list over tiers', () => {
    const s = open()
    // Day 0 → day 3 + 2 h: "ann" sends 1,000 up and 10 down per hour on server a, "bob" 100 up
    // on server b; "cid" has nothing (zero rows are not written).
    for (let t = T0; t < T0 + 3 * DAY + 2 * HOUR; t += HOUR) {
      s.ingest(
        batch(
          [],
          [
            users('a', t, ['ann', 'cid'], [1000, 0], [10, 0]),
            users('b', t + MINUTE, ['bob', 'ann'], [100, 5], [0, 0]),
          ],
        ),
      )
      clock = t + HOUR
      settle(s)
    }
    clock = T0 + 3 * DAY + 2 * HOUR + 10 * MINUTE
    settle(s)
    expect(s.status().rows.series).toBe(3)
    const from = T0 + 12 * HOUR
    const to = T0 + 3 * DAY + 2 * HOUR
    const top = s.top({ from, to, limit: 10 })
    const hours = (to - from) / HOUR
    expect(top).toEqual([
      { user: 'ann', up: 1005 * hours, down: 10 * hours, total: 1015 * hours, servers: 2 },
      { user: 'bob', up: 100 * hours, down: 0, total: 100 * hours, servers: 1 },
    ])
    expect(s.top({ from, to, limit: 1, serverId: 'b' })).toEqual([
      { user: 'bob', up: 100 * hours, down: 0, total: 100 * hours, servers: 1 },
    ])
    const one = s.series({
      scope: 'user',
      user: 'ann',
      serverId: 'a',
      metric: 'up',
      from: T0,
      to: T0 + 3 * DAY,
      maxPoints: 3,
    })
    expect(one).toMatchObject({ tier: '1h', bucketMs: DAY, missing: 'zero' })
    expect(one.points.sum).toEqual([24_000, 24_000, 24_000])
    const all = s.series({
      scope: 'user',
      user: 'ann',
      metric: 'up',
      from: T0,
      to: T0 + DAY,
      maxPoints: 24,
    })
    expect(all.points.sum.every((v) => v === 1005)).toBe(true)
    expect(all.tier).toBe('1h')
    expect(all.points.min[0]).toBeCloseTo(1005 / 3600)
    // From minutes: the hour's traffic sits in two minutes, so the lowest rate is 0 and the
    // highest is the busiest minute's.
    const recent = s.series({
      scope: 'user',
      user: 'ann',
      metric: 'up',
      from: T0 + 2 * DAY + 2 * HOUR,
      to: T0 + 3 * DAY + 2 * HOUR,
      maxPoints: 24,
    })
    // A reading of a day already rolled up (very late): the daily running totals follow.
    s.ingest(batch([], [users('b', T0 + DAY + 5 * HOUR, ['bob'], [7], [0])]))
    clock += 2 * MINUTE
    s.tick()
    const days = (from: number) =>
      s.top({ from, to: T0 + 3 * DAY, limit: 5, serverId: 'b' }).map((r) => [r.user, r.up])
    expect(days(T0 + DAY)).toEqual([
      ['bob', 4807],
      ['ann', 240],
    ])
    expect(days(T0 + 2 * DAY)).toEqual([
      ['bob', 2400],
      ['ann', 120],
    ])
    expect(recent).toMatchObject({ tier: '1m', bucketMs: HOUR })
    expect(recent.points.min[0]).toBe(0)
    expect(recent.points.max[0]).toBeCloseTo(1000 / 60)
    s.close()
  })
})

describe('state changes', () => {
  it('are written at once and read back in order, per server or all', () => {
    const s = open()
    s.ingest({
      samples: [],
      users: [],
      events: [
        { s: 'a', t: T0 + 1, from: 'unknown', to: 'online', reason: null },
        { s: 'b', t: T0 + 2, from: 'online', to: 'offline', reason: 'timeout: no answer' },
        { s: 'a', t: T0 + 3, from: 'online', to: 'degraded', reason: 'slow' },
      ],
    })
    expect(s.events({ from: T0, to: T0 + 10, limit: 10 }).map((e) => e.t)).toEqual([
      T0 + 1,
      T0 + 2,
      T0 + 3,
    ])
    expect(s.events({ serverId: 'a', from: T0, to: T0 + 10, limit: 1 })).toEqual([
      { s: 'a', t: T0 + 3, from: 'online', to: 'degraded', reason: 'slow' },
    ])
    s.close()
  })
})

describe('a database that cannot be used', () => {
  it('moves a damaged file aside and starts a new one', () => {
    const file = join(dir, 'history.sqlite')
    writeFileSync(file, 'this is not a database, just text '.repeat(200))
    const s = open()
    const st = s.status()
    expect(st.state).toBe('ok')
    expect(st.movedAside).toMatch(/history\.sqlite\.damaged-/)
    expect(readdirSync(dir).some((f) => f.startsWith('history.sqlite.damaged-'))).toBe(true)
    s.ingest(batch([lat(T0, 1)]))
    s.close()
  })

  it('is unavailable (not fatal) while another NodeDeck holds it', () => {
    const a = open()
    const b = open()
    expect(b.ok).toBe(false)
    expect(b.status()).toMatchObject({
      state: 'unavailable',
      reason: expect.stringMatching(/another NodeDeck/),
    })
    // Everything answers empty instead of throwing.
    b.ingest(batch([lat(T0, 1)]))
    expect(b.tick()).toBe(false)
    expect(b.top({ from: T0, to: T0 + 1, limit: 5 })).toEqual([])
    expect(
      b.series({
        scope: 'server',
        serverId: 'srv',
        metric: 'latency',
        from: T0,
        to: T0 + HOUR,
        maxPoints: 10,
      }).points.t,
    ).toEqual([])
    b.close()
    a.close()
  })
})
