import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { FleetSummaryDelta, ServerConfig, UsersSnapshot } from '../../../shared/contract'
import type { PollResult, ServerAdapter } from '../adapters/adapter'
import { FLEET_DELTA_MS, createFleet } from './fleet'

const ctx = { connectionId: 'c1' }

const server = (id: string, over: Partial<ServerConfig> = {}): ServerConfig => ({
  id,
  kind: 'wgmon',
  name: `name-${id}`,
  url: `http://127.0.0.1/${id}`,
  group: 'g',
  tags: [],
  pollIntervalSec: 5,
  tls: {},
  options: {},
  createdAt: 0,
  ...over,
})

const snap = (serverId: string, names: string[]): UsersSnapshot => ({
  serverId,
  at: Date.now(),
  stale: false,
  error: null,
  users: names.map((name) => ({
    name,
    online: true,
    devices: 1,
    up: 1,
    down: 1,
    upRate: 1,
    downRate: 1,
    reset: false,
  })),
  clearOnRead: false,
  countingSince: null,
  serverReset: false,
})

function fakeAdapter(result: PollResult): ServerAdapter {
  return { kind: 'wgmon', poll: async () => result }
}

describe('createFleet', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('feeds the search terms of real polls to the index, never those of a test probe', async () => {
    const fleet = createFleet({ broadcast: () => undefined })
    fleet.setServers([server('a')])
    const adapter = fleet.tap(
      'a',
      fakeAdapter({
        latencyMs: 1,
        partial: null,
        users: {
          at: 1,
          counters: null,
          devices: null,
          countersAreDeltas: false,
          terms: new Map([['carol', { keys: ['PUBKEY'] }]]),
        },
      }),
    )
    await adapter.poll(undefined, { readOnly: true })
    fleet.onUsers(snap('a', ['carol']))
    const search = (query: string) => fleet.handlers['fleet.searchUsers']({ query, limit: 10 }, ctx)
    expect((await search('pubkey')).total).toBe(0)
    await adapter.poll()
    fleet.onUsers(snap('a', ['carol']))
    const r = await search('pubkey')
    expect(r).toMatchObject({ query: 'pubkey', total: 1, offset: 0 })
    expect(r.hits[0]).toMatchObject({ serverName: 'name-a', user: 'carol', field: 'key' })
  })

  it('sends the changed rows at most once per interval, nothing when nothing changed', async () => {
    const sent: FleetSummaryDelta[] = []
    const fleet = createFleet({ broadcast: (d) => sent.push(d) })
    fleet.setServers([server('a'), server('b')])
    fleet.start()
    await vi.advanceTimersByTimeAsync(FLEET_DELTA_MS)
    expect(sent).toHaveLength(1)
    expect(sent[0]?.rows).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(FLEET_DELTA_MS * 3)
    expect(sent).toHaveLength(1)
    fleet.onUsers(snap('b', ['x']))
    fleet.onUsers(snap('b', ['x', 'y']))
    await vi.advanceTimersByTimeAsync(FLEET_DELTA_MS)
    expect(sent).toHaveLength(2)
    expect(sent[1]?.rows.map((r) => r.serverId)).toEqual(['b'])
    expect(sent[1]?.totals.onlineUsers).toBe(2)
    fleet.stop()
    fleet.onUsers(snap('a', ['z']))
    await vi.advanceTimersByTimeAsync(FLEET_DELTA_MS * 2)
    expect(sent).toHaveLength(2)
  })

  it('starts a server over when its address changes, and drops removed servers', async () => {
    const fleet = createFleet({ broadcast: () => undefined })
    fleet.setServers([server('a'), server('b')])
    fleet.onUsers(snap('a', ['carol']))
    fleet.onUsers(snap('b', ['carol']))
    const summary = () => fleet.handlers['fleet.summary'](undefined, ctx)
    expect((await summary()).totals.onlineUsers).toBe(2)
    fleet.setServers([server('a', { url: 'http://127.0.0.2' }), server('b')])
    expect((await summary()).rows.find((r) => r.serverId === 'a')?.users).toBeNull()
    const found = await fleet.handlers['fleet.searchUsers']({ query: 'carol', limit: 10 }, ctx)
    expect(found.hits.map((h) => h.serverId)).toEqual(['b'])
    fleet.setServers([server('a', { url: 'http://127.0.0.2' })])
    expect((await summary()).rows.map((r) => r.serverId)).toEqual(['a'])
  })
})
