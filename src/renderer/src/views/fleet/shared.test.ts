import { describe, expect, it } from 'vitest'
import type { FleetRow, HealthState } from '../../../../shared/contract'
import { serverView } from '../../testing/fixtures'
import {
  EMPTY_FILTER,
  chunk,
  filterItems,
  groupLines,
  sortItems,
  totalsOf,
  type FleetItem,
} from './shared'

const item = (
  name: string,
  state: HealthState,
  over: {
    group?: string
    kind?: 'wgmon' | 'hysteria2'
    tags?: string[]
    live?: Partial<FleetRow> | null
  } = {},
): FleetItem => {
  const server = serverView({
    id: name,
    name,
    group: over.group ?? '',
    kind: over.kind ?? 'hysteria2',
    tags: over.tags ?? [],
  })
  return {
    server: { ...server, status: { ...server.status, state } },
    live:
      over.live === null
        ? null
        : {
            serverId: name,
            state,
            reason: null,
            latencyMs: null,
            lastCheckAt: null,
            usersAt: 1,
            stale: false,
            users: 1,
            onlineUsers: 1,
            upRate: 1,
            downRate: 1,
            up: 1,
            down: 1,
            spark: [],
            ...over.live,
          },
  }
}

const names = (items: FleetItem[]) => items.map((i) => i.server.name)

describe('fleet view helpers', () => {
  const items = [
    item('tokyo-2', 'online', { group: 'Asia', tags: ['prod'], live: { onlineUsers: 5 } }),
    item('tokyo-10', 'offline', { group: 'Asia', live: { onlineUsers: null } }),
    item('berlin', 'degraded', { group: 'EU', kind: 'wgmon', live: { onlineUsers: 2 } }),
    item('lab', 'online', { live: null }),
  ]

  it('filters by text, state, kind, group and tag', () => {
    expect(filterItems(items, EMPTY_FILTER)).toBe(items)
    expect(names(filterItems(items, { ...EMPTY_FILTER, text: 'TOKYO' }))).toEqual([
      'tokyo-2',
      'tokyo-10',
    ])
    expect(names(filterItems(items, { ...EMPTY_FILTER, states: ['online'] }))).toEqual([
      'tokyo-2',
      'lab',
    ])
    expect(names(filterItems(items, { ...EMPTY_FILTER, kinds: ['wgmon'] }))).toEqual(['berlin'])
    expect(
      names(filterItems(items, { ...EMPTY_FILTER, groups: ['Asia'], tags: ['prod'] })),
    ).toEqual(['tokyo-2'])
  })

  it('sorts by any column with unknown values last in both orders, then by name', () => {
    expect(names(sortItems(items, 'name', 'asc'))).toEqual(['berlin', 'lab', 'tokyo-2', 'tokyo-10'])
    expect(names(sortItems(items, 'state', 'asc'))).toEqual([
      'tokyo-10',
      'berlin',
      'lab',
      'tokyo-2',
    ])
    expect(names(sortItems(items, 'online', 'desc'))).toEqual([
      'tokyo-2',
      'berlin',
      'lab',
      'tokyo-10',
    ])
    // Unknown (tokyo-10: not reported, lab: nothing read yet) stays last ascending too.
    expect(names(sortItems(items, 'online', 'asc')).slice(-2)).toEqual(['lab', 'tokyo-10'])
  })

  it('sorts 1,000 servers in a few ms', () => {
    const many = Array.from({ length: 1000 }, (_, i) =>
      item(`s${i}`, i % 7 === 0 ? 'offline' : 'online', { live: { downRate: (i * 7919) % 1000 } }),
    )
    const t0 = performance.now()
    for (let i = 0; i < 10; i++) sortItems(many, 'downRate', 'desc')
    expect((performance.now() - t0) / 10).toBeLessThan(20)
  })

  it('groups under headers with group totals; a collapsed group shows only its header', () => {
    const lines = groupLines(sortItems(items, 'name', 'asc'), new Set(['EU']))
    expect(lines.map((l) => (l.type === 'group' ? `[${l.group}]` : l.item.server.name))).toEqual([
      '[Asia]',
      'tokyo-2',
      'tokyo-10',
      '[EU]',
      '[]',
      'lab',
    ])
    const asia = lines[0]
    expect(asia?.type === 'group' && asia.totals).toMatchObject({
      servers: 2,
      onlineUsers: 5,
      onlineUnknown: 1,
      byState: { online: 1, offline: 1 },
    })
  })

  it('totals keep unknown figures apart, never as 0', () => {
    expect(totalsOf(items)).toMatchObject({
      servers: 4,
      onlineUsers: 7,
      onlineUnknown: 2,
      upRate: 3,
      rateUnknown: 1,
    })
  })

  it('splits cards into rows', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]])
    expect(chunk([1, 2], 0)).toEqual([[1], [2]])
  })
})
