import type { ServerStatus, UsersSnapshot } from '../../../shared/contract'
import { reindexColumns, sameNames, usersTableOf } from '../monitor/traffic-tracker'
import { RawRing } from './raw-ring'
import { FLEET, type IngestBatch, type MetricSample, type StateEvent } from './types'

/** A server's users reading counts in the fleet totals this long after it was taken. */
const FLEET_FRESH_MS = 120_000

/**
 * Per-user traffic of one server, kept compact: per user of the tracker's table (`names`, the same
 * array while the server's users stay, so a user is its index: no map per user), the last totals
 * and this minute's byte sums in typed arrays updated in place. A poll allocates nothing per user;
 * the minute's sums go to the worker once, when the minute is over (one message entry per server
 * per minute instead of one per poll: at 100k users a 12th of the work and garbage).
 */
interface UserTraffic {
  /** The previous reading: what deltas are computed against. */
  at: number
  clearOnRead: boolean
  countingSince: number | null
  /** The users the arrays are indexed by. */
  names: readonly string[]
  /**
   * Totals [up, down] as the previous reading gave them; NaN = unknown, or the user had no
   * counters in it (then the next ones count from 0).
   */
  lastUp: Float64Array
  lastDown: Float64Array
  /** Start of the minute `accUp`/`accDown` sum (null: none yet). */
  minute: number | null
  accUp: Float64Array
  accDown: Float64Array
  /** Users with bytes in the open minute, in order of first bytes. */
  touched: number[]
  /** Bytes in the open minute of users no longer listed (they went after moving some). */
  gone: { names: string[]; up: number[]; down: number[] }
}

const MINUTE_MS = 60_000
/**
 * A server's open minute of per-user traffic goes out this long after the minute ended when no
 * later reading closed it first (the worker writes a minute MINUTE_GRACE_MS after its end, later).
 */
export const USER_MINUTE_GRACE_MS = 10_000

/** What the fleet sums use: a server's last known online count and rates. */
interface Latest {
  at: number
  online: number | null
  upRate: number | null
  downRate: number | null
}

/**
 * Turns the monitor's events into history readings on the main thread, cheaply: per-server raw
 * rings (the last hour), per-user byte deltas (from the snapshot totals: a counter that went
 * backwards is a reset, its delta is the new value — never negative), state changes, and one
 * fleet sample per flush. `take()` hands the batch to the worker (about once a second, never
 * one message per event: at 1,000 servers every 5 s that would be 400 messages a second).
 */
export class HistoryFeed {
  private readonly rings = new Map<string, RawRing>()
  private readonly lastCheck = new Map<string, number>()
  private readonly lastState = new Map<string, string>()
  private readonly traffic = new Map<string, UserTraffic>()
  private readonly latest = new Map<string, Latest>()
  private batch: IngestBatch = { samples: [], users: [], events: [] }
  private fleetUp = 0
  private fleetDown = 0
  private lastTake: number | null = null

  /** The raw ring of a server, if it has readings. */
  ring(serverId: string): RawRing | undefined {
    return this.rings.get(serverId)
  }

  private ringOf(serverId: string): RawRing {
    let r = this.rings.get(serverId)
    if (!r) {
      r = new RawRing()
      this.rings.set(serverId, r)
    }
    return r
  }

  /** A `server.status` event: latency of each completed probe and state changes. */
  onStatus(s: ServerStatus): void {
    const id = s.serverId
    const prev = this.lastState.get(id)
    if (prev !== s.state && !(prev === undefined && s.state === 'unknown')) {
      const e: StateEvent = {
        s: id,
        t: s.lastCheckAt ?? s.since,
        from: prev ?? 'unknown',
        to: s.state,
        reason: s.error ? `${s.error.code}: ${s.error.message}` : null,
      }
      this.batch.events.push(e)
    }
    this.lastState.set(id, s.state)
    if (s.lastCheckAt === null || this.lastCheck.get(id) === s.lastCheckAt) return
    this.lastCheck.set(id, s.lastCheckAt)
    if (s.latencyMs === null) {
      // The probe failed: this server's users and rates are not known any more.
      this.latest.delete(id)
      return
    }
    this.batch.samples.push({ s: id, m: 'latency', t: s.lastCheckAt, v: s.latencyMs, r: null })
    this.ringOf(id).push(s.lastCheckAt, { lat: s.latencyMs })
  }

  /** A `users.snapshot` event: users online, per-user and per-server traffic deltas. */
  onUsers(snap: UsersSnapshot): void {
    const id = snap.serverId
    const at = snap.at
    // Not a new reading: none yet, a failed poll (stale rows), or the same one sent again.
    if (at === null || snap.stale) return
    const base = this.traffic.get(id)
    if (base && base.at >= at) return
    const comparable =
      base !== undefined &&
      base.clearOnRead === snap.clearOnRead &&
      base.countingSince === snap.countingSince
    const dt = base ? (at - base.at) / 1000 : 0
    const ut = base ?? newTraffic()
    const minute = at - (at % MINUTE_MS)
    // A reading of a later minute closes the open one.
    if (ut.minute !== null && ut.minute !== minute) this.emit(id, ut)
    ut.minute = minute
    let upSum = 0
    let downSum = 0
    let counters = false
    let online = 0
    const table = usersTableOf(snap)
    const n = table.names.length
    if (ut.names !== table.names) reindex(ut, table.names)
    let devicesKnown = n === 0
    for (let i = 0; i < n; i++) {
      if (!Number.isNaN(table.devices[i] as number)) devicesKnown = true
      if (table.online[i] === 1) online++
      const curUp = table.up[i] as number
      const curDown = table.down[i] as number
      // A user without counters in this reading: its next ones count from 0.
      const prevUp = ut.lastUp[i] as number
      const prevDown = ut.lastDown[i] as number
      ut.lastUp[i] = curUp
      ut.lastDown[i] = curDown
      if (Number.isNaN(curUp) && Number.isNaN(curDown)) continue
      counters = true
      if (!comparable) continue
      const du = delta(curUp, prevUp)
      const dd = delta(curDown, prevDown)
      upSum += du
      downSum += dd
      if (du > 0 || dd > 0) {
        if (ut.accUp[i] === 0 && ut.accDown[i] === 0) ut.touched.push(i)
        ut.accUp[i] = (ut.accUp[i] as number) + du
        ut.accDown[i] = (ut.accDown[i] as number) + dd
      }
    }
    ut.at = at
    ut.clearOnRead = snap.clearOnRead
    ut.countingSince = snap.countingSince
    this.traffic.set(id, ut)
    const ring = this.ringOf(id)
    const onlineKnown = devicesKnown ? online : null
    const traffic = counters && comparable && dt > 0
    const upRate = traffic ? upSum / dt : null
    const downRate = traffic ? downSum / dt : null
    ring.push(at, {
      on: onlineKnown ?? undefined,
      up: upRate ?? undefined,
      down: downRate ?? undefined,
    })
    if (onlineKnown !== null)
      this.batch.samples.push({ s: id, m: 'online', t: at, v: online, r: null })
    if (traffic) {
      const d = dt * 1000
      this.batch.samples.push({ s: id, m: 'up', t: at, v: upSum, r: upRate, d })
      this.batch.samples.push({ s: id, m: 'down', t: at, v: downSum, r: downRate, d })
      this.fleetUp += upSum
      this.fleetDown += downSum
    }
    this.latest.set(id, { at, online: onlineKnown, upRate, downRate })
  }

  /** Moves a server's open minute of per-user bytes into the batch and clears it. */
  private emit(serverId: string, ut: UserTraffic): void {
    const n = ut.touched.length
    const gone = ut.gone
    if ((n > 0 || gone.names.length > 0) && ut.minute !== null) {
      const names = gone.names
      const up = gone.up
      const down = gone.down
      for (let i = 0; i < n; i++) {
        const k = ut.touched[i] as number
        names.push(ut.names[k] as string)
        up.push(ut.accUp[k] as number)
        down.push(ut.accDown[k] as number)
        ut.accUp[k] = 0
        ut.accDown[k] = 0
      }
      this.batch.users.push({ s: serverId, t: ut.minute, names, up, down })
      ut.touched = []
      ut.gone = { names: [], up: [], down: [] }
    }
    ut.minute = null
  }

  /** Forgets a removed server (its stored history stays). */
  forget(serverId: string): void {
    // Bytes already counted are kept: the open minute goes with the next batch.
    const ut = this.traffic.get(serverId)
    if (ut) this.emit(serverId, ut)
    this.traffic.delete(serverId)
    this.rings.delete(serverId)
    this.lastCheck.delete(serverId)
    this.lastState.delete(serverId)
    this.latest.delete(serverId)
  }

  /**
   * The readings since the last call plus one fleet sample (sums over servers whose last
   * reading is fresh; servers not known are left out, not counted as 0); null when empty.
   * Per-user bytes come per minute: a server's minute once a later reading closed it or
   * USER_MINUTE_GRACE_MS after its end, every open minute when `all` (stopping).
   */
  take(now: number, all = false): IngestBatch | null {
    for (const [id, ut] of this.traffic) {
      if (ut.minute !== null && (all || now >= ut.minute + MINUTE_MS + USER_MINUTE_GRACE_MS))
        this.emit(id, ut)
    }
    let online: number | null = null
    let upRate: number | null = null
    let downRate: number | null = null
    for (const [id, l] of this.latest) {
      if (now - l.at > FLEET_FRESH_MS) {
        this.latest.delete(id)
        continue
      }
      if (l.online !== null) online = (online ?? 0) + l.online
      if (l.upRate !== null) upRate = (upRate ?? 0) + l.upRate
      if (l.downRate !== null) downRate = (downRate ?? 0) + l.downRate
    }
    const fleet: MetricSample[] = []
    // The fleet's bytes in this flush cover the time since the previous one.
    const d = this.lastTake === null ? 0 : Math.max(0, now - this.lastTake)
    this.lastTake = now
    if (online !== null) fleet.push({ s: FLEET, m: 'online', t: now, v: online, r: null })
    // The fleet's own raw ring (one sample per flush): its last hour needs no worker either.
    if (online !== null || upRate !== null || downRate !== null) {
      this.ringOf(FLEET).push(now, {
        on: online ?? undefined,
        up: upRate ?? undefined,
        down: downRate ?? undefined,
      })
    }
    if (upRate !== null) fleet.push({ s: FLEET, m: 'up', t: now, v: this.fleetUp, r: upRate, d })
    if (downRate !== null)
      fleet.push({ s: FLEET, m: 'down', t: now, v: this.fleetDown, r: downRate, d })
    this.fleetUp = 0
    this.fleetDown = 0
    const b = this.batch
    b.samples.push(...fleet)
    if (b.samples.length === 0 && b.users.length === 0 && b.events.length === 0) return null
    this.batch = { samples: [], users: [], events: [] }
    return b
  }
}

/**
 * Bytes since the previous total: the difference, or — when the counter went backwards (reset,
 * server restart) — the new value, counted since the reset. A user new since the previous
 * reading counts from 0. Unknown (NaN) gives 0: nothing is added.
 */
function delta(cur: number, prev: number): number {
  if (Number.isNaN(cur)) return 0
  if (Number.isNaN(prev)) return Math.max(0, cur)
  return cur >= prev ? cur - prev : Math.max(0, cur)
}

function newTraffic(): UserTraffic {
  return {
    at: 0,
    clearOnRead: false,
    countingSince: null,
    names: [],
    lastUp: new Float64Array(0),
    lastDown: new Float64Array(0),
    minute: null,
    accUp: new Float64Array(0),
    accDown: new Float64Array(0),
    touched: [],
    gone: { names: [], up: [], down: [] },
  }
}

/**
 * Indexes a server's per-user figures by other names (its users changed): each user keeps its
 * last totals and open-minute bytes; a user gone with bytes in the open minute keeps them (`gone`)
 * until the minute goes out. Users gone lose their last totals: one back later counts from 0, as
 * any user absent from the previous reading.
 */
function reindex(ut: UserTraffic, names: readonly string[]): void {
  if (sameNames(ut.names, names)) {
    ut.names = names
    return
  }
  const kept = reindexColumns(ut.names, names, [ut.lastUp, ut.lastDown], NaN)
  const [lastUp, lastDown] = kept.cols as [Float64Array, Float64Array]
  const at = kept.indexOf
  const accUp = new Float64Array(names.length)
  const accDown = new Float64Array(names.length)
  const touched: number[] = []
  for (const k of ut.touched) {
    const name = ut.names[k] as string
    const i = at.get(name)
    if (i === undefined) {
      ut.gone.names.push(name)
      ut.gone.up.push(ut.accUp[k] as number)
      ut.gone.down.push(ut.accDown[k] as number)
      continue
    }
    accUp[i] = ut.accUp[k] as number
    accDown[i] = ut.accDown[k] as number
    touched.push(i)
  }
  Object.assign(ut, { names, lastUp, lastDown, accUp, accDown, touched })
}
