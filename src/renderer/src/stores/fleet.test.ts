// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { beforeEach, describe, expect, it } from 'vitest'
import { watchEffect } from 'vue'
import type { FleetRow, FleetTotals, UserHit } from '../../../shared/contract'
import { createApi, installApi } from '../api'
import { staticConnection } from '../host/connection'
import { createFakeClient, type FakeClient } from '../testing/fake-client'
import { SEARCH_PAGE, useFleetStore } from './fleet'
import { useTabsStore } from './tabs'

let client: FakeClient

beforeEach(() => {
  localStorage.clear()
  setActivePinia(createPinia())
  client = createFakeClient()
  installApi(createApi(staticConnection(client)))
})

const row = (serverId: string, over: Partial<FleetRow> = {}): FleetRow => ({
  serverId,
  state: 'online',
  reason: null,
  latencyMs: 10,
  lastCheckAt: 1,
  usersAt: 1,
  stale: false,
  users: 2,
  onlineUsers: 1,
  upRate: 1,
  downRate: 2,
  up: 3,
  down: 4,
  spark: [3],
  ...over,
})
const totals = (over: Partial<FleetTotals> = {}): FleetTotals => ({
  servers: 2,
  byState: { online: 2 },
  onlineUsers: 2,
  onlineUnknown: 0,
  upRate: 2,
  downRate: 4,
  rateUnknown: 0,
  up: 6,
  down: 8,
  trafficUnknown: 0,
  ...over,
})
const hit = (i: number): UserHit => ({
  serverId: 's1',
  serverName: 'One',
  kind: 'wgmon',
  group: '',
  user: `user${i}`,
  field: 'name',
  value: `user${i}`,
  key: `KEY${i}`,
  online: false,
  devices: 0,
  upRate: null,
  downRate: null,
  stale: false,
})

describe('fleet store', () => {
  it('loads the summary, then applies deltas as one update each', async () => {
    client.handle('fleet.summary', () => ({
      at: 1,
      rows: [row('a'), row('b')],
      totals: totals(),
    }))
    const fleet = useFleetStore()
    await fleet.load()
    expect([...fleet.rows.keys()]).toEqual(['a', 'b'])
    // What the view does: reads the map in an effect (one run now, one per delta).
    let updates = 0
    watchEffect(
      () => {
        void fleet.rows.get('a')
        updates++
      },
      { flush: 'sync' },
    )
    fleet.applyDelta({
      at: 2,
      rows: [row('a', { onlineUsers: 5 }), row('c')],
      removed: ['b'],
      totals: totals({ onlineUsers: 6 }),
    })
    expect(updates).toBe(2)
    expect(fleet.rows.get('a')?.onlineUsers).toBe(5)
    expect(fleet.rows.has('b')).toBe(false)
    expect(fleet.rows.has('c')).toBe(true)
    expect(fleet.totals?.onlineUsers).toBe(6)
  })

  it('searches page by page as the results scroll, dropping answers of an older query', async () => {
    const TOTAL = 1000
    client.handle('fleet.searchUsers', ({ query, limit, offset = 0 }) => ({
      query,
      total: TOTAL,
      offset,
      hits: Array.from({ length: Math.min(limit, TOTAL - offset) }, (_, i) => hit(offset + i)),
      tookMs: 1,
    }))
    const fleet = useFleetStore()
    fleet.search = 'user'
    await fleet.runSearch()
    expect(fleet.searchTotal).toBe(TOTAL)
    expect(fleet.hits).toHaveLength(TOTAL)
    expect(fleet.hits[0]?.user).toBe('user0')
    expect(fleet.hits[SEARCH_PAGE]).toBeNull()
    fleet.ensureHits(SEARCH_PAGE * 2 + 5, SEARCH_PAGE * 2 + 40)
    await new Promise((r) => setTimeout(r, 0))
    expect(fleet.hits[SEARCH_PAGE * 2 + 10]?.user).toBe(`user${SEARCH_PAGE * 2 + 10}`)
    expect(fleet.hits[SEARCH_PAGE]).toBeNull()
    const offsets = client.calls
      .filter((c) => c.method === 'fleet.searchUsers')
      .map((c) => (c.input as { offset: number }).offset)
    expect(offsets).toEqual([0, SEARCH_PAGE * 2])
    // A cleared box closes the results.
    fleet.search = ''
    await fleet.runSearch()
    expect(fleet.shownQuery).toBe('')
    expect(fleet.hits).toEqual([])
  })

  it('a jump to a user opens the server tab and hands the user to its table once', () => {
    const fleet = useFleetStore()
    const tabs = useTabsStore()
    fleet.focusUser({ serverId: 's1', user: 'carol', key: 'PUB' })
    expect(tabs.active).toBe('s1')
    const f = fleet.focusOf('s1')
    expect(f).toMatchObject({ user: 'carol', key: 'PUB' })
    expect(fleet.focusOf('s2')).toBeNull()
    fleet.clearFocus(f?.nonce ?? -1)
    expect(fleet.focusOf('s1')).toBeNull()
  })

  it('remembers the layout choices', () => {
    const fleet = useFleetStore()
    fleet.prefs.mode = 'cards'
    fleet.prefs.grouped = true
    return Promise.resolve().then(() => {
      setActivePinia(createPinia())
      const again = useFleetStore()
      expect(again.prefs).toMatchObject({ mode: 'cards', grouped: true })
    })
  })
})
