import { describe, it, expect } from 'vitest'
import { appError, type UserRow, type UsersSnapshot } from '../../../shared/contract'
import type { UsersReading } from '../adapters/adapter'
import { TrafficTracker, usersTableOf } from './traffic-tracker'

type C = Record<string, [up: number, down: number]>

function counters(c: C): Map<string, { up: number; down: number }> {
  return new Map(Object.entries(c).map(([k, [up, down]]) => [k, { up, down }]))
}

function reading(
  at: number,
  c: C | null,
  devices: Record<string, number> | null = null,
  deltas = false,
): UsersReading {
  return {
    at,
    counters: c ? counters(c) : null,
    devices: devices ? new Map(Object.entries(devices)) : null,
    countersAreDeltas: deltas,
  }
}

function row(s: UsersSnapshot, name: string): UserRow {
  const r = s.users.find((u) => u.name === name)
  if (!r) throw new Error(`no row ${name} in ${JSON.stringify(s.users.map((u) => u.name))}`)
  return r
}

const netErr = appError('network', 'refused', { serverId: 's1' })
const partial = appError('http_status', 'GET /traffic failed with HTTP 500.', { serverId: 's1' })

describe('TrafficTracker: cumulative counters', () => {
  it('starts empty and not stale', () => {
    const t = new TrafficTracker('s1')
    expect(t.current()).toEqual({
      serverId: 's1',
      at: null,
      stale: false,
      error: null,
      users: [],
      clearOnRead: false,
      countingSince: null,
      serverReset: false,
    })
  })

  it('gives the first reading null rates, not 0', () => {
    const t = new TrafficTracker('s1')
    const s = t.update(reading(1000, { alice: [100, 200] }), null)
    expect(s.at).toBe(1000)
    expect(row(s, 'alice')).toMatchObject({
      up: 100,
      down: 200,
      upRate: null,
      downRate: null,
      reset: false,
    })
    expect(s.serverReset).toBe(false)
  })

  it('computes rates from successive cumulative readings', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { alice: [100, 200], bob: [0, 0] }), null)
    const s = t.update(reading(3000, { alice: [300, 1200], bob: [0, 0] }), null)
    expect(row(s, 'alice')).toMatchObject({
      up: 300,
      down: 1200,
      upRate: 100,
      downRate: 500,
      reset: false,
    })
    expect(row(s, 'bob')).toMatchObject({ upRate: 0, downRate: 0 })
    expect(s.serverReset).toBe(false)
  })

  it('a user new in the second reading has no rate yet', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { alice: [1, 1] }), null)
    const s = t.update(reading(2000, { alice: [2, 2], carol: [50, 60] }), null)
    expect(row(s, 'carol')).toMatchObject({
      up: 50,
      down: 60,
      upRate: null,
      downRate: null,
      reset: false,
    })
  })

  it('a counter going backwards is a reset: null rate, never negative', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { alice: [1000, 1000], bob: [500, 500] }), null)
    const s = t.update(reading(2000, { alice: [10, 2000], bob: [600, 700] }), null)
    expect(row(s, 'alice')).toMatchObject({
      up: 10,
      down: 2000,
      upRate: null,
      downRate: null,
      reset: true,
    })
    expect(row(s, 'bob')).toMatchObject({ upRate: 100, downRate: 200, reset: false })
    expect(s.serverReset).toBe(false)
    for (const u of s.users) {
      if (u.upRate !== null) expect(u.upRate).toBeGreaterThanOrEqual(0)
      if (u.downRate !== null) expect(u.downRate).toBeGreaterThanOrEqual(0)
    }
    // The interval after the reset has a rate again.
    const s2 = t.update(reading(3000, { alice: [110, 2100], bob: [600, 700] }), null)
    expect(row(s2, 'alice')).toMatchObject({ upRate: 100, downRate: 100, reset: false })
  })

  it('every user going backwards → serverReset', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { alice: [1000, 1000], bob: [500, 500] }), null)
    const s = t.update(reading(2000, { alice: [1, 1], bob: [2, 2] }), null)
    expect(s.serverReset).toBe(true)
    expect(s.users.every((u) => u.reset && u.upRate === null && u.downRate === null)).toBe(true)
  })

  it('users vanishing from the counters (restart / another clearer) → serverReset when all reset', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { alice: [1000, 1000], bob: [500, 500] }), null)
    const s = t.update(reading(2000, {}), null)
    expect(s.serverReset).toBe(true)
    expect(s.users).toEqual([])

    const t2 = new TrafficTracker('s1')
    t2.update(reading(1000, { alice: [1000, 1000], bob: [500, 500] }), null)
    const s2 = t2.update(reading(2000, { alice: [5, 5] }), null)
    expect(s2.serverReset).toBe(true)
    expect(row(s2, 'alice')).toMatchObject({ up: 5, reset: true, upRate: null })

    // One vanished, the other kept counting: not a server reset.
    const t3 = new TrafficTracker('s1')
    t3.update(reading(1000, { alice: [1000, 1000], bob: [500, 500] }), null)
    const s3 = t3.update(reading(2000, { alice: [1500, 1500] }), null)
    expect(s3.serverReset).toBe(false)
  })

  it('merges devices: online users without traffic get unknown bytes, not 0', () => {
    const t = new TrafficTracker('s1')
    const s = t.update(reading(1000, { alice: [1, 2] }, { alice: 2, dave: 1 }), null)
    expect(row(s, 'alice')).toMatchObject({ online: true, devices: 2 })
    expect(row(s, 'dave')).toMatchObject({
      online: true,
      devices: 1,
      up: null,
      down: null,
      upRate: null,
    })
    const s2 = t.update(reading(2000, { alice: [1, 2] }, {}), null)
    expect(row(s2, 'alice')).toMatchObject({ online: false, devices: 0 })
    // devices unreadable → null, not 0
    const s3 = t.update(reading(3000, { alice: [1, 2] }, null), null)
    expect(row(s3, 'alice')).toMatchObject({ online: false, devices: null })
  })

  it('sorts rows by name', () => {
    const t = new TrafficTracker('s1')
    const s = t.update(reading(1000, { zed: [1, 1], amy: [1, 1], mia: [1, 1] }), null)
    expect(s.users.map((u) => u.name)).toEqual(['amy', 'mia', 'zed'])
  })

  it('updates the same row objects in place while the users stay (no garbage per poll)', () => {
    const t = new TrafficTracker('s1')
    const a = t.update(reading(1000, { amy: [10, 10], bob: [5, 5] }), null)
    const amy = row(a, 'amy')
    const b = t.update(reading(2000, { amy: [30, 10], bob: [5, 5] }), null)
    expect(row(b, 'amy')).toBe(amy)
    expect(amy).toMatchObject({ up: 30, upRate: 20, downRate: 0 })
    // A new user: a new list, the kept users' rows are the same objects.
    const c = t.update(reading(3000, { amy: [40, 10], bob: [5, 5], cid: [1, 1] }), null)
    expect(c.users).not.toBe(b.users)
    expect(row(c, 'amy')).toBe(amy)
    expect(row(c, 'cid')).toMatchObject({ up: 1, upRate: null })
    // A user gone and back later starts over (no rate from the old counters).
    t.update(reading(4000, { amy: [50, 10], bob: [5, 5] }), null)
    const e = t.update(reading(5000, { amy: [60, 10], bob: [5, 5], cid: [9, 9] }), null)
    expect(row(e, 'cid')).toMatchObject({ up: 9, upRate: null, reset: false })
  })

  it('re-sorts when the set of names changes, even at the same size or via devices only', () => {
    const t = new TrafficTracker('s1')
    const names = (s: UsersSnapshot) => s.users.map((u) => u.name)
    t.update(reading(1000, { zed: [1, 1], amy: [1, 1] }, { bob: 1 }), null)
    // Same union (bob now has counters, amy only devices): the same rows.
    let s = t.update(reading(2000, { zed: [1, 1], bob: [1, 1] }, { amy: 1 }), null)
    expect(names(s)).toEqual(['amy', 'bob', 'zed'])
    // Same size, one name swapped (bob → cal), through the devices.
    s = t.update(reading(3000, { zed: [1, 1], amy: [1, 1] }, { cal: 1 }), null)
    expect(names(s)).toEqual(['amy', 'cal', 'zed'])
    // A name gone.
    s = t.update(reading(4000, { zed: [1, 1] }, { cal: 1 }), null)
    expect(names(s)).toEqual(['cal', 'zed'])
  })

  it('a reading at the same instant gives no rate (no division by zero)', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { a: [1, 1] }), null)
    const s = t.update(reading(1000, { a: [5, 5] }), null)
    expect(row(s, 'a')).toMatchObject({ upRate: null, downRate: null })
  })
})

describe('TrafficTracker: clear-on-read (deltas)', () => {
  it('accumulates totals since countingSince; rates are delta / interval', () => {
    const t = new TrafficTracker('s1')
    const s1 = t.update(reading(1000, { alice: [100, 200] }, null, true), null)
    expect(s1.clearOnRead).toBe(true)
    expect(s1.countingSince).toBe(1000)
    expect(row(s1, 'alice')).toMatchObject({ up: 100, down: 200, upRate: null, downRate: null })

    const s2 = t.update(reading(3000, { alice: [20, 40], bob: [10, 0] }, null, true), null)
    expect(s2.countingSince).toBe(1000)
    expect(row(s2, 'alice')).toMatchObject({
      up: 120,
      down: 240,
      upRate: 10,
      downRate: 20,
      reset: false,
    })
    expect(row(s2, 'bob')).toMatchObject({ up: 10, down: 0, upRate: 5, downRate: 0 })

    // A user absent from a delta reading moved nothing: total kept, rate 0.
    const s3 = t.update(reading(4000, { bob: [5, 5] }, null, true), null)
    expect(row(s3, 'alice')).toMatchObject({ up: 120, down: 240, upRate: 0, downRate: 0 })
    expect(row(s3, 'bob')).toMatchObject({ up: 15, down: 5, upRate: 5, downRate: 5 })
    expect(s3.serverReset).toBe(false)
  })

  it('switching cumulative → deltas starts a new count; the first delta has no rate', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { alice: [5_000_000, 9_000_000] }), null)
    // The first clear-on-read answer holds everything since the server started (or the last
    // clear by anyone): dividing it by our interval would be a wrong figure.
    const s = t.update(reading(2000, { alice: [5_000_100, 9_000_100] }, null, true), null)
    expect(s.clearOnRead).toBe(true)
    expect(s.countingSince).toBe(2000)
    expect(row(s, 'alice')).toMatchObject({ upRate: null, downRate: null, reset: false })
    const s2 = t.update(reading(4000, { alice: [200, 400] }, null, true), null)
    expect(row(s2, 'alice')).toMatchObject({ upRate: 100, downRate: 200 })
    expect(s2.countingSince).toBe(2000)
  })

  it('switching deltas → cumulative drops the accumulated totals and gives no rate at first', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { alice: [100, 100] }, null, true), null)
    t.update(reading(2000, { alice: [100, 100] }, null, true), null)
    const s = t.update(reading(3000, { alice: [50, 50] }), null)
    expect(s.clearOnRead).toBe(false)
    expect(s.countingSince).toBeNull()
    expect(row(s, 'alice')).toMatchObject({
      up: 50,
      down: 50,
      upRate: null,
      downRate: null,
      reset: false,
    })
    expect(s.serverReset).toBe(false)
    const s2 = t.update(reading(4000, { alice: [150, 250] }), null)
    expect(row(s2, 'alice')).toMatchObject({ upRate: 100, downRate: 200 })
  })

  it('switching back to deltas later restarts countingSince', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { a: [1, 1] }, null, true), null)
    t.update(reading(2000, { a: [1, 1] }), null)
    const s = t.update(reading(3000, { a: [7, 7] }, null, true), null)
    expect(s.countingSince).toBe(3000)
    expect(row(s, 'a')).toMatchObject({ up: 7, down: 7, upRate: null })
  })

  it('devices-only users count 0 bytes since countingSince', () => {
    const t = new TrafficTracker('s1')
    const s = t.update(reading(1000, {}, { eve: 1 }, true), null)
    expect(row(s, 'eve')).toMatchObject({ up: 0, down: 0, devices: 1, online: true })
  })

  it('a failed poll in between keeps the totals and the next rate spans the whole gap', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { a: [0, 0] }, null, true), null)
    t.fail(netErr)
    const s = t.update(reading(5000, { a: [400, 800] }, null, true), null)
    expect(row(s, 'a')).toMatchObject({ up: 400, down: 800, upRate: 100, downRate: 200 })
    expect(s.stale).toBe(false)
    expect(s.error).toBeNull()
  })
})

describe('TrafficTracker: failures', () => {
  it('a failed reading marks the rows stale and keeps them and the error', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { alice: [1, 2] }), null)
    const good = t.update(reading(2000, { alice: [11, 22] }, { alice: 1 }), null)
    const s = t.fail(netErr)
    expect(s.stale).toBe(true)
    expect(s.error).toEqual(netErr)
    expect(s.at).toBe(2000)
    expect(s.users).toEqual(good.users)
    expect(t.current()).toBe(s)
  })

  it('a failure before any reading is not "stale" (there is nothing to be stale), but carries the error', () => {
    const t = new TrafficTracker('s1')
    const s = t.fail(netErr)
    expect(s.stale).toBe(false)
    expect(s.at).toBeNull()
    expect(s.error).toEqual(netErr)
    expect(s.users).toEqual([])
  })

  it('recovers after a failure: fresh, no error, rate over the whole gap', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { a: [0, 0] }), null)
    t.fail(netErr)
    const s = t.update(reading(3000, { a: [200, 400] }), null)
    expect(s.stale).toBe(false)
    expect(s.error).toBeNull()
    expect(row(s, 'a')).toMatchObject({ upRate: 100, downRate: 200 })
  })

  it('traffic unreadable but devices readable: devices fresh, traffic stale', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { alice: [100, 100], bob: [5, 5] }, { alice: 1 }), null)
    const before = t.update(reading(2000, { alice: [300, 500], bob: [5, 5] }, { alice: 1 }), null)
    expect(row(before, 'alice').upRate).toBe(200)

    const s = t.update(reading(3000, null, { bob: 2, newbie: 1 }), partial)
    expect(s.stale).toBe(true)
    expect(s.error).toEqual(partial)
    expect(s.at).toBe(2000)
    // Traffic figures kept from the last reading, but no rate (we do not know it now).
    expect(row(s, 'alice')).toMatchObject({ up: 300, down: 500, upRate: null, downRate: null })
    // Devices are the fresh ones.
    expect(row(s, 'alice')).toMatchObject({ online: false, devices: 0 })
    expect(row(s, 'bob')).toMatchObject({ online: true, devices: 2, up: 5 })
    expect(row(s, 'newbie')).toMatchObject({ online: true, devices: 1, up: null, down: null })

    // Traffic readable again: the rate spans the gap since the last traffic reading.
    const s2 = t.update(reading(4000, { alice: [700, 900], bob: [5, 5] }, { bob: 2 }), null)
    expect(s2.stale).toBe(false)
    expect(s2.error).toBeNull()
    expect(row(s2, 'alice')).toMatchObject({ upRate: 200, downRate: 200 })
  })
})

describe('kinds without per-user counters', () => {
  it('lists every user with devices, traffic unknown (null), not stale', () => {
    const t = new TrafficTracker('s')
    const snap = t.update(
      {
        at: 1000,
        counters: null,
        noCounters: true,
        names: ['carol', 'alice'],
        devices: new Map([['alice', 2]]),
        countersAreDeltas: false,
      },
      null,
    )
    expect(snap.stale).toBe(false)
    expect(snap.users.map((u) => [u.name, u.online, u.devices, u.up, u.down])).toEqual([
      ['alice', true, 2, null, null],
      ['carol', false, 0, null, null],
    ])
  })

  it('is stale when even the devices could not be read', () => {
    const t = new TrafficTracker('s')
    const snap = t.update(
      {
        at: 1,
        counters: null,
        noCounters: true,
        names: ['a'],
        devices: null,
        countersAreDeltas: false,
      },
      null,
    )
    expect(snap.stale).toBe(true)
    expect(snap.users[0]?.devices).toBeNull()
  })
})

describe('TrafficTracker: columns and rows', () => {
  it('snapshots serialize like plain ones: users in the JSON, the table hidden', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { bob: [5, 6], amy: [1, 2] }, { amy: 1 }), null)
    const s = t.update(reading(3000, { bob: [9, 8], amy: [3, 2] }, { amy: 1 }), null)
    expect(Object.keys(s)).toEqual([
      'serverId',
      'at',
      'stale',
      'error',
      'users',
      'clearOnRead',
      'countingSince',
      'serverReset',
    ])
    expect(JSON.parse(JSON.stringify(s))).toEqual({
      serverId: 's1',
      at: 3000,
      stale: false,
      error: null,
      users: [
        {
          name: 'amy',
          online: true,
          devices: 1,
          up: 3,
          down: 2,
          upRate: 1,
          downRate: 0,
          reset: false,
        },
        {
          name: 'bob',
          online: false,
          devices: 0,
          up: 9,
          down: 8,
          upRate: 2,
          downRate: 1,
          reset: false,
        },
      ],
      clearOnRead: false,
      countingSince: null,
      serverReset: false,
    })
    expect(structuredClone(s).users).toEqual(s.users)
  })

  it('the columns hold what the rows show (NaN for unknown), without building rows', () => {
    const t = new TrafficTracker('s1')
    t.update(reading(1000, { amy: [1, 2] }, { amy: 2, dan: 1 }), null)
    const s = t.update(reading(2000, { amy: [5, 2] }, { amy: 2, dan: 1 }), null)
    const c = usersTableOf(s)
    expect(c.names).toEqual(['amy', 'dan'])
    expect([...c.up]).toEqual([5, NaN])
    expect([...c.upRate]).toEqual([4, NaN])
    expect([...c.devices]).toEqual([2, 1])
    expect([...c.online]).toEqual([1, 1])
    // The same users: the same columns, updated in place by the next reading.
    const s2 = t.update(reading(3000, { amy: [9, 2] }, { amy: 2, dan: 1 }), null)
    expect(usersTableOf(s2)).toBe(c)
    expect(c.up[0]).toBe(9)
    expect(row(s2, 'dan')).toMatchObject({ up: null, upRate: null, devices: 1, online: true })
  })

  it('reads the columns of a snapshot made elsewhere from its rows', () => {
    const plain: UsersSnapshot = {
      serverId: 'x',
      at: 1,
      stale: false,
      error: null,
      users: [
        {
          name: 'a',
          online: true,
          devices: null,
          up: 7,
          down: null,
          upRate: null,
          downRate: 2,
          reset: true,
        },
      ],
      clearOnRead: false,
      countingSince: null,
      serverReset: false,
    }
    const c = usersTableOf(plain)
    expect(usersTableOf(plain)).toBe(c)
    expect([c.names, [...c.up], [...c.down], [...c.downRate], [...c.devices]]).toEqual([
      ['a'],
      [7],
      [NaN],
      [2],
      [NaN],
    ])
    expect([...c.online, ...c.reset]).toEqual([1, 1])
  })

  it('a reader may replace the rows of a snapshot (a CLI filter)', () => {
    const t = new TrafficTracker('s1')
    const s = t.update(reading(1000, { amy: [1, 1], bob: [1, 1] }, { amy: 1 }), null)
    s.users = s.users.filter((u) => u.online)
    expect(s.users.map((u) => u.name)).toEqual(['amy'])
  })
})
