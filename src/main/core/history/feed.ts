import type { ServerStatus, UsersSnapshot } from '../../../shared/contract'
import { RawRing } from './raw-ring'
import { FLEET, type IngestBatch, type MetricSample, type StateEvent } from './types'

/** A server's users reading counts in the fleet totals this long after it was taken. */
const FLEET_FRESH_MS = 120_000

/**
 * Per-user traffic of one server, kept compact: a slot per user name (assigned once), the last
 * totals and this minute's byte sums in typed arrays updated in place. A poll allocates nothing
 * per user; the minute's sums go to the worker once, when the minute is over (one message entry
 * per server per minute instead of one per poll: at 100k users a 12th of the work and garbage).
 */
interface UserTraffic {
  /** The previous reading: what deltas are computed against. */
  at: number
  clearOnRead: boolean
  countingSince: number | null
  slots: Map<string, number>
  names: string[]
  /** Totals [up, down] as the previous reading gave them (NaN = unknown). */
  lastUp: Float64Array
  lastDown: Float64Array
  /** Generation of the last reading that had counters for the slot (`gen`: the previous one). */
  seen: Uint32Array
  gen: number
  /** Start of the minute `accUp`/`accDown` sum (null: none yet). */
  minute: number | null
  accUp: Float64Array
  accDown: Float64Array
  /** Slots with bytes in the open minute, in order of first bytes. */
  touched: number[]
  /** Users with counters in the previous reading (bounds the slots kept, see `emit`). */
  lastCount: number
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
    const prevGen = ut.gen
    const gen = ++ut.gen
    let upSum = 0
    let downSum = 0
    let counters = false
    let online = 0
    let withCounters = 0
    let devicesKnown = snap.users.length === 0
    for (const u of snap.users) {
      if (u.devices !== null) devicesKnown = true
      if (u.online) online++
      if (u.up === null && u.down === null) continue
      counters = true
      withCounters++
      const slot = slotOf(ut, u.name)
      const curUp = u.up ?? NaN
      const curDown = u.down ?? NaN
      // A user without counters in the previous reading counts from 0.
      const known = ut.seen[slot] === prevGen && prevGen !== 0
      const prevUp = known ? ut.lastUp[slot] : undefined
      const prevDown = known ? ut.lastDown[slot] : undefined
      ut.lastUp[slot] = curUp
      ut.lastDown[slot] = curDown
      ut.seen[slot] = gen
      if (!comparable) continue
      const du = delta(curUp, prevUp)
      const dd = delta(curDown, prevDown)
      upSum += du
      downSum += dd
      if (du > 0 || dd > 0) {
        if (ut.accUp[slot] === 0 && ut.accDown[slot] === 0) ut.touched.push(slot)
        ut.accUp[slot] = (ut.accUp[slot] as number) + du
        ut.accDown[slot] = (ut.accDown[slot] as number) + dd
      }
    }
    ut.at = at
    ut.clearOnRead = snap.clearOnRead
    ut.countingSince = snap.countingSince
    ut.lastCount = withCounters
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
    if (n > 0 && ut.minute !== null) {
      const names = new Array<string>(n)
      const up = new Array<number>(n)
      const down = new Array<number>(n)
      for (let i = 0; i < n; i++) {
        const slot = ut.touched[i] as number
        names[i] = ut.names[slot] as string
        up[i] = ut.accUp[slot] as number
        down[i] = ut.accDown[slot] as number
        ut.accUp[slot] = 0
        ut.accDown[slot] = 0
      }
      this.batch.users.push({ s: serverId, t: ut.minute, names, up, down })
      ut.touched = []
    }
    ut.minute = null
    // Users come and go: when most slots belong to users gone, start over with the present ones.
    if (ut.names.length > 2 * ut.lastCount + 64) compact(ut)
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
function delta(cur: number, prev: number | undefined): number {
  if (Number.isNaN(cur)) return 0
  if (prev === undefined || Number.isNaN(prev)) return Math.max(0, cur)
  return cur >= prev ? cur - prev : Math.max(0, cur)
}

const INITIAL_SLOTS = 16

function newTraffic(): UserTraffic {
  return {
    at: 0,
    clearOnRead: false,
    countingSince: null,
    slots: new Map(),
    names: [],
    lastUp: new Float64Array(INITIAL_SLOTS),
    lastDown: new Float64Array(INITIAL_SLOTS),
    seen: new Uint32Array(INITIAL_SLOTS),
    gen: 0,
    minute: null,
    accUp: new Float64Array(INITIAL_SLOTS),
    accDown: new Float64Array(INITIAL_SLOTS),
    touched: [],
    lastCount: 0,
  }
}

/** The slot of a user name, assigned on first sight (the arrays grow by doubling). */
function slotOf(ut: UserTraffic, name: string): number {
  const known = ut.slots.get(name)
  if (known !== undefined) return known
  const slot = ut.names.length
  if (slot === ut.lastUp.length) {
    const size = slot * 2
    ut.lastUp = grow(ut.lastUp, size)
    ut.lastDown = grow(ut.lastDown, size)
    ut.accUp = grow(ut.accUp, size)
    ut.accDown = grow(ut.accDown, size)
    const seen = new Uint32Array(size)
    seen.set(ut.seen)
    ut.seen = seen
  }
  ut.slots.set(name, slot)
  ut.names.push(name)
  return slot
}

function grow(a: Float64Array, size: number): Float64Array {
  const b = new Float64Array(size)
  b.set(a)
  return b
}

/** Keeps only the slots of the last reading (called with no open minute: the sums are 0). */
function compact(ut: UserTraffic): void {
  const old = { ...ut }
  const fresh = newTraffic()
  Object.assign(ut, {
    ...fresh,
    at: old.at,
    clearOnRead: old.clearOnRead,
    countingSince: old.countingSince,
    lastCount: old.lastCount,
  })
  // Generations restart at 1 for the kept users: they were in the previous reading.
  ut.gen = 1
  for (let i = 0; i < old.names.length; i++) {
    if (old.seen[i] !== old.gen) continue
    const slot = slotOf(ut, old.names[i] as string)
    ut.lastUp[slot] = old.lastUp[i] as number
    ut.lastDown[slot] = old.lastDown[i] as number
    ut.seen[slot] = 1
  }
}
