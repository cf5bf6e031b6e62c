import type { ServerStatus, UsersSnapshot } from '../../../shared/contract'
import { RawRing } from './raw-ring'
import { FLEET, type IngestBatch, type MetricSample, type StateEvent } from './types'

/** A server's users reading counts in the fleet totals this long after it was taken. */
const FLEET_FRESH_MS = 120_000

/** The previous users reading of a server: what deltas are computed against. */
interface UsersBase {
  at: number
  clearOnRead: boolean
  countingSince: number | null
  /** Per-user totals [up, down] as the snapshot gave them (NaN = unknown). */
  totals: Map<string, [number, number]>
}

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
  private readonly bases = new Map<string, UsersBase>()
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
    const base = this.bases.get(id)
    if (base && base.at >= at) return
    const comparable =
      base !== undefined &&
      base.clearOnRead === snap.clearOnRead &&
      base.countingSince === snap.countingSince
    const dt = base ? (at - base.at) / 1000 : 0
    const totals = new Map<string, [number, number]>()
    const names: string[] = []
    const ups: number[] = []
    const downs: number[] = []
    let upSum = 0
    let downSum = 0
    let counters = false
    let online = 0
    let devicesKnown = snap.users.length === 0
    for (const u of snap.users) {
      if (u.devices !== null) devicesKnown = true
      if (u.online) online++
      if (u.up === null && u.down === null) continue
      counters = true
      const cur: [number, number] = [u.up ?? NaN, u.down ?? NaN]
      totals.set(u.name, cur)
      if (!comparable) continue
      const prev = base.totals.get(u.name)
      const du = delta(cur[0], prev?.[0])
      const dd = delta(cur[1], prev?.[1])
      upSum += du
      downSum += dd
      if (du > 0 || dd > 0) {
        names.push(u.name)
        ups.push(du)
        downs.push(dd)
      }
    }
    this.bases.set(id, {
      at,
      clearOnRead: snap.clearOnRead,
      countingSince: snap.countingSince,
      totals,
    })
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
    if (names.length > 0) this.batch.users.push({ s: id, t: at, names, up: ups, down: downs })
    this.latest.set(id, { at, online: onlineKnown, upRate, downRate })
  }

  /** Forgets a removed server (its stored history stays). */
  forget(serverId: string): void {
    this.rings.delete(serverId)
    this.lastCheck.delete(serverId)
    this.lastState.delete(serverId)
    this.bases.delete(serverId)
    this.latest.delete(serverId)
  }

  /**
   * The readings since the last call plus one fleet sample (sums over servers whose last
   * reading is fresh; servers not known are left out, not counted as 0); null when empty.
   */
  take(now: number): IngestBatch | null {
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
