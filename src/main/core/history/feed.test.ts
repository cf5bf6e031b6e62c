import { describe, expect, it } from 'vitest'
import type { ServerStatus, UserRow, UsersSnapshot } from '../../../shared/contract'
import { HistoryFeed, USER_MINUTE_GRACE_MS } from './feed'
import { FLEET } from './types'

const T0 = Date.UTC(2025, 0, 1)

const row = (name: string, up: number | null, down: number | null, online = true): UserRow => ({
  name,
  online,
  devices: online ? 1 : 0,
  up,
  down,
  upRate: null,
  downRate: null,
  reset: false,
})
const snap = (
  at: number | null,
  users: UserRow[],
  extra: Partial<UsersSnapshot> = {},
): UsersSnapshot => ({
  serverId: 'a',
  at,
  stale: false,
  error: null,
  users,
  clearOnRead: false,
  countingSince: null,
  serverReset: false,
  ...extra,
})
const status = (
  at: number,
  state: ServerStatus['state'],
  latencyMs: number | null,
): ServerStatus => ({
  serverId: 'a',
  state,
  since: at,
  lastCheckAt: at,
  lastOkAt: latencyMs === null ? null : at,
  latencyMs,
  error:
    state === 'offline' ? { code: 'timeout', message: 'No answer in 10 s', retryable: true } : null,
  pending: null,
})

describe('HistoryFeed', () => {
  it('turns totals into deltas: the first reading is a baseline, a reset is never negative', () => {
    const f = new HistoryFeed()
    f.onUsers(snap(T0, [row('ann', 1000, 50), row('bob', 10, 10)]))
    let b = f.take(T0)
    // Baseline only: online count, no traffic (the bytes before it are of an unknown interval).
    expect(b?.samples.filter((s) => s.s === 'a').map((s) => s.m)).toEqual(['online'])
    expect(b?.users).toEqual([])
    f.onUsers(snap(T0 + 5000, [row('ann', 1500, 50), row('bob', 4, 10), row('cid', 7, 0)]))
    b = f.take(T0 + 5000)
    // Per-user bytes go out per minute, once it is over (plus a grace for late readings).
    expect(b?.users).toEqual([])
    // ann +500; bob went backwards (reset): his 4 bytes since the reset; cid is new: from 0.
    expect(f.take(T0 + 60_000 + USER_MINUTE_GRACE_MS)?.users).toEqual([
      { s: 'a', t: T0, names: ['ann', 'bob', 'cid'], up: [500, 4, 7], down: [0, 0, 0] },
    ])
    const up = b?.samples.find((s) => s.s === 'a' && s.m === 'up')
    expect(up).toEqual({ s: 'a', m: 'up', t: T0 + 5000, v: 511, r: 511 / 5, d: 5000 })
    expect(b?.samples.find((s) => s.s === FLEET && s.m === 'up')).toMatchObject({
      v: 511,
      r: 511 / 5,
    })
    expect(b?.samples.find((s) => s.s === FLEET && s.m === 'online')).toMatchObject({ v: 3 })
    for (const s of b?.samples ?? []) expect(s.v).toBeGreaterThanOrEqual(0)
  })

  it('skips stale and repeated readings and restarts counting when clear-on-read restarts', () => {
    const f = new HistoryFeed()
    const cor = { clearOnRead: true, countingSince: T0 }
    f.onUsers(snap(T0, [row('ann', 100, 0)], cor))
    f.onUsers(snap(T0 + 5000, [row('ann', 300, 0)], cor))
    f.onUsers(snap(T0 + 5000, [row('ann', 300, 0)], cor)) // sent again to a new watcher
    f.onUsers(snap(T0 + 5000, [row('ann', 300, 0)], { ...cor, stale: true }))
    expect(f.take(T0 + 5000, true)?.users).toEqual([
      { s: 'a', t: T0, names: ['ann'], up: [200], down: [0] },
    ])
    // Counting restarted (NodeDeck's clear failed over): a new baseline, no delta.
    f.onUsers(
      snap(T0 + 10_000, [row('ann', 50, 0)], { clearOnRead: true, countingSince: T0 + 10_000 }),
    )
    expect(f.take(T0 + 10_000, true)?.users).toEqual([])
  })

  it('keeps unknown as unknown: no traffic counters, no devices, a failed probe', () => {
    const f = new HistoryFeed()
    const blind: UserRow = { ...row('x', null, null), devices: null, online: false }
    f.onUsers(snap(T0, [blind]))
    f.onUsers(snap(T0 + 5000, [blind]))
    const b = f.take(T0 + 5000)
    expect(b?.samples ?? []).toEqual([])
    expect(f.ring('a')?.query('online', T0, T0 + 10_000, 1000).points.t).toEqual([])
    f.onStatus(status(T0 + 6000, 'online', 42))
    f.onStatus(status(T0 + 12_000, 'offline', null))
    const c = f.take(T0 + 12_000)
    expect(c?.samples).toEqual([{ s: 'a', m: 'latency', t: T0 + 6000, v: 42, r: null }])
    expect(c?.events).toEqual([
      { s: 'a', t: T0 + 6000, from: 'unknown', to: 'online', reason: null },
      {
        s: 'a',
        t: T0 + 12_000,
        from: 'online',
        to: 'offline',
        reason: 'timeout: No answer in 10 s',
      },
    ])
  })

  it('sums a minute of per-user bytes into one entry, closed by a reading of the next minute', () => {
    const f = new HistoryFeed()
    f.onUsers(snap(T0, [row('ann', 0, 0), row('bob', 0, 0)]))
    f.onUsers(snap(T0 + 20_000, [row('ann', 100, 10), row('bob', 0, 0)]))
    f.onUsers(snap(T0 + 40_000, [row('ann', 150, 10), row('bob', 5, 1)]))
    // Still inside the minute (and its grace): nothing yet.
    expect(f.take(T0 + 45_000)?.users ?? []).toEqual([])
    f.onUsers(snap(T0 + 60_000, [row('ann', 160, 10), row('bob', 5, 1)]))
    expect(f.take(T0 + 61_000)?.users).toEqual([
      { s: 'a', t: T0, names: ['ann', 'bob'], up: [150, 5], down: [10, 1] },
    ])
    // The next minute holds only its own bytes; forgetting the server sends them first.
    f.forget('a')
    expect(f.take(T0 + 62_000)?.users).toEqual([
      { s: 'a', t: T0 + 60_000, names: ['ann'], up: [10], down: [0] },
    ])
  })

  it('keeps counting right when users come and go (slots of users gone are dropped)', () => {
    const f = new HistoryFeed()
    // 200 readings, each with one lasting user and a new one: the new one counts from 0.
    let expectedAnn = 0
    let expectedNew = 0
    for (let i = 0; i < 200; i++) {
      f.onUsers(snap(T0 + i * 5000, [row('ann', i * 10, 0), row(`u${i}`, 3, 0)]))
      if (i > 0) {
        expectedAnn += 10
        expectedNew += 3
      }
    }
    const b = f.take(T0 + 200 * 5000, true)
    let ann = 0
    let others = 0
    for (const u of b?.users ?? []) {
      u.names.forEach((n, i) => {
        if (n === 'ann') ann += u.up[i] as number
        else others += u.up[i] as number
      })
    }
    expect(ann).toBe(expectedAnn)
    expect(others).toBe(expectedNew)
    // A user seen again after a gap counts from 0 again (its old total is not a base).
    f.onUsers(snap(T0 + 201 * 5000, [row('ann', 2000, 0), row('u5', 50, 0)]))
    const c = f.take(T0 + 201 * 5000, true)
    expect(c?.users.flatMap((u) => u.names.map((n, i) => [n, u.up[i]]))).toEqual([
      ['ann', 10],
      ['u5', 50],
    ])
  })
})
