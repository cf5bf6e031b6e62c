import { describe, expect, it } from 'vitest'
import type { ServerStatus, UserRow, UsersSnapshot } from '../../../shared/contract'
import { FleetSummary } from './fleet-summary'

const user = (name: string, over: Partial<UserRow> = {}): UserRow => ({
  name,
  online: false,
  devices: 0,
  up: 100,
  down: 200,
  upRate: 10,
  downRate: 20,
  reset: false,
  ...over,
})

const snap = (serverId: string, at: number | null, users: UserRow[], over = {}): UsersSnapshot => ({
  serverId,
  at,
  stale: false,
  error: null,
  users,
  clearOnRead: false,
  countingSince: null,
  serverReset: false,
  ...over,
})

const status = (serverId: string, state: string, over: Partial<ServerStatus> = {}): ServerStatus =>
  ({
    serverId,
    state,
    since: 0,
    lastCheckAt: 1000,
    lastOkAt: 1000,
    latencyMs: 12,
    error: null,
    pending: null,
    ...over,
  }) as ServerStatus

function setup(servers = ['a', 'b']) {
  let now = 10_000
  const s = new FleetSummary({ now: () => now, sparkPoints: 4 })
  s.setServers(servers.map((id) => ({ id, pollIntervalSec: 5 })))
  s.takeDelta()
  return {
    s,
    row: (id: string) => s.summary().rows.find((r) => r.serverId === id),
    advance: (ms: number) => (now += ms),
    now: () => now,
  }
}

describe('FleetSummary', () => {
  it('starts every server unknown: no figure is 0 before anything was read', () => {
    const { row } = setup()
    expect(row('a')).toMatchObject({
      state: 'unknown',
      usersAt: null,
      users: null,
      onlineUsers: null,
      upRate: null,
      up: null,
      spark: [],
    })
  })

  it('sums online users, rates and traffic of a reading', () => {
    const { s, row, now } = setup()
    s.onUsers(
      snap('a', now(), [
        user('x', { online: true, devices: 2 }),
        user('y', { online: true, devices: 1, upRate: 1, downRate: 2 }),
        user('z'),
      ]),
    )
    expect(row('a')).toMatchObject({
      users: 3,
      onlineUsers: 2,
      upRate: 21,
      downRate: 42,
      up: 300,
      down: 600,
      spark: [63],
      stale: false,
    })
  })

  it('an online count the server does not report is unknown, not 0; no users at all is 0', () => {
    const { s, row, now } = setup()
    // Mu API: the panel knows nothing of devices (every row null).
    s.onUsers(snap('a', now(), [user('x', { devices: null }), user('y', { devices: null })]))
    expect(row('a')?.onlineUsers).toBeNull()
    s.onUsers(snap('b', now(), []))
    expect(row('b')).toMatchObject({ onlineUsers: 0, users: 0, upRate: 0, up: 0 })
  })

  it('a first reading or a reset has no rate: unknown, never 0 nor negative', () => {
    const { s, row, now } = setup()
    s.onUsers(snap('a', now(), [user('x', { upRate: null, downRate: null })]))
    expect(row('a')).toMatchObject({ upRate: null, downRate: null, up: 100, spark: [null] })
    // Every counter went backwards (server restart): rates null on every row.
    s.onUsers(
      snap('a', now() + 5000, [user('x', { upRate: null, downRate: null, reset: true })], {
        serverReset: true,
      }),
    )
    expect(row('a')).toMatchObject({ upRate: null, spark: [null, null] })
    // One user reset among others: the known rates are summed.
    s.onUsers(
      snap('a', now() + 10_000, [
        user('x', { upRate: null, downRate: null, reset: true }),
        user('y', { upRate: 5, downRate: 5 }),
      ]),
    )
    expect(row('a')).toMatchObject({ upRate: 5, downRate: 5 })
  })

  it('a kind without counters has unknown traffic and rates', () => {
    const { s, row, now } = setup()
    s.onUsers(
      snap('a', now(), [
        user('x', { up: null, down: null, upRate: null, downRate: null, online: true, devices: 1 }),
      ]),
    )
    expect(row('a')).toMatchObject({ onlineUsers: 1, up: null, down: null, upRate: null })
    expect(s.totals()).toMatchObject({ trafficUnknown: 2, rateUnknown: 2, onlineUnknown: 1 })
  })

  it('a failed poll keeps the figures as stale with their age, rates unknown', () => {
    const { s, row, now } = setup()
    const first = snap('a', now(), [user('x', { online: true, devices: 1 })])
    s.onUsers(first)
    s.onUsers({ ...first, stale: true })
    expect(row('a')).toMatchObject({
      stale: true,
      usersAt: now(),
      onlineUsers: 1,
      up: 100,
      upRate: null,
      downRate: null,
      spark: [30, null],
    })
  })

  it('a reading older than a few intervals becomes stale on the periodic check', () => {
    const { s, row, now, advance } = setup()
    s.onUsers(snap('a', now(), [user('x')]))
    s.takeDelta()
    advance(20_000)
    s.checkStale()
    expect(row('a')?.stale).toBe(false)
    expect(s.takeDelta()).toBeNull()
    advance(15_000)
    s.checkStale()
    expect(row('a')).toMatchObject({ stale: true, upRate: null, up: 100 })
    expect(s.takeDelta()?.rows.map((r) => r.serverId)).toEqual(['a'])
  })

  it('keeps the last few points in its sparkline ring, oldest first', () => {
    const { s, row, now } = setup()
    for (let i = 1; i <= 6; i++) {
      s.onUsers(snap('a', now() + i, [user('x', { upRate: i, downRate: 0 })]))
    }
    expect(row('a')?.spark).toEqual([3, 4, 5, 6])
  })

  it('sends only the rows that changed, and removed servers', () => {
    const { s, now } = setup(['a', 'b', 'c'])
    expect(s.takeDelta()).toBeNull()
    s.onStatus(status('b', 'online'))
    s.onUsers(snap('c', now(), [user('x')]))
    let d = s.takeDelta()
    expect(d?.rows.map((r) => r.serverId).sort()).toEqual(['b', 'c'])
    expect(d?.removed).toEqual([])
    // The same status again changes nothing.
    s.onStatus(status('b', 'online'))
    expect(s.takeDelta()).toBeNull()
    s.setServers([
      { id: 'a', pollIntervalSec: 5 },
      { id: 'c', pollIntervalSec: 5 },
    ])
    d = s.takeDelta()
    expect(d?.removed).toEqual(['b'])
    expect(d?.totals.servers).toBe(2)
    expect(s.summary().rows.map((r) => r.serverId)).toEqual(['a', 'c'])
  })

  it('keeps state, reason and latency from the status', () => {
    const { s, row } = setup()
    s.onStatus(
      status('a', 'offline', {
        latencyMs: null,
        error: { code: 'network', message: 'refused', retryable: true },
      }),
    )
    expect(row('a')).toMatchObject({ state: 'offline', reason: 'refused', latencyMs: null })
  })

  it('totals: servers by state, known figures summed, unknown ones counted apart', () => {
    const { s, now } = setup(['a', 'b', 'c'])
    s.onStatus(status('a', 'online'))
    s.onStatus(status('b', 'online'))
    s.onStatus(status('c', 'offline'))
    s.onUsers(snap('a', now(), [user('x', { online: true, devices: 1 })]))
    s.onUsers(snap('b', now(), [user('y', { devices: null, upRate: 1, downRate: 1 })]))
    expect(s.totals()).toEqual({
      servers: 3,
      byState: { online: 2, offline: 1 },
      onlineUsers: 1,
      onlineUnknown: 2,
      upRate: 11,
      downRate: 21,
      rateUnknown: 1,
      up: 200,
      down: 400,
      trafficUnknown: 1,
    })
  })

  it('reset starts a server over (its address changed)', () => {
    const { s, row, now } = setup()
    s.onUsers(snap('a', now(), [user('x')]))
    s.reset('a')
    expect(row('a')).toMatchObject({ users: null, spark: [], usersAt: null })
  })
})
