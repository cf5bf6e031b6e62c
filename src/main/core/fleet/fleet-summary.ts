import {
  FLEET_SPARK_POINTS,
  type FleetRow,
  type FleetSummary as FleetSummaryData,
  type FleetSummaryDelta,
  type FleetTotals,
  type ServerStatus,
  type UsersSnapshot,
} from '../../../shared/contract'
import { addToFleetTotals, emptyFleetTotals } from '../../../shared/fleet-totals'
import { usersTableOf, type UsersTable } from '../monitor/traffic-tracker'

/** What the summary needs to know of a configured server. */
export interface FleetSummaryServer {
  id: string
  /** Seconds between polls: a users reading older than a few intervals is stale. */
  pollIntervalSec: number
}

export interface FleetSummaryOptions {
  now?: () => number
  /** Points per sparkline (default FLEET_SPARK_POINTS). */
  sparkPoints?: number
}

interface Entry {
  row: FleetRow
  pollIntervalSec: number
  /** Ring of total rates (NaN = unknown), `sparkLen` of them ending before `sparkHead`. */
  spark: Float64Array
  sparkHead: number
  sparkLen: number
  /** The snapshot object last applied (the monitor re-sends the same one to late watchers). */
  lastSnapshot: UsersSnapshot | null
}

/** A users reading older than this many poll intervals (and at least STALE_MIN_MS) is stale. */
const STALE_INTERVALS = 3
const STALE_MIN_MS = 30_000

/** The sums of a reading's rows the row shows; null where no row knows the figure. */
interface Sums {
  upRate: number | null
  downRate: number | null
  up: number | null
  down: number | null
  /** Users with a device; null when the server does not report devices (every row null). */
  online: number | null
}

/**
 * Every sum of a reading in one pass over its users' columns (run per poll of every server). A sum
 * is null when no user knows its figure (unknown is never 0); a fresh reading without users is
 * all 0: nothing moves, and that is known.
 */
function sumsOf(t: UsersTable): Sums {
  const n = t.names.length
  const sum = (col: Float64Array): number | null => {
    let s = 0
    let known = n === 0
    for (let i = 0; i < n; i++) {
      const v = col[i] as number
      if (Number.isNaN(v)) continue
      s += v
      known = true
    }
    return known ? s : null
  }
  let online = 0
  let devicesKnown = n === 0
  for (let i = 0; i < n; i++) {
    if (!Number.isNaN(t.devices[i] as number)) devicesKnown = true
    if (t.online[i] === 1) online++
  }
  return {
    upRate: sum(t.upRate),
    downRate: sum(t.downRate),
    up: sum(t.up),
    down: sum(t.down),
    online: devicesKnown ? online : null,
  }
}

const sameRow = (a: FleetRow, b: FleetRow): boolean =>
  a.state === b.state &&
  a.reason === b.reason &&
  a.latencyMs === b.latencyMs &&
  a.lastCheckAt === b.lastCheckAt &&
  a.usersAt === b.usersAt &&
  a.stale === b.stale &&
  a.users === b.users &&
  a.onlineUsers === b.onlineUsers &&
  a.upRate === b.upRate &&
  a.downRate === b.downRate &&
  a.up === b.up &&
  a.down === b.down &&
  a.spark.length === b.spark.length &&
  a.spark.every((v, i) => v === b.spark[i])

/**
 * The fleet view's live figures per server, fed by the monitor (statuses and users snapshots):
 * online users, rates and traffic summed over each server's users, a small sparkline ring per
 * server, and fleet totals. Rows that changed are collected for a delta event sent at most about
 * once a second (`takeDelta`), so 1,000 servers polled every 5 s cost ~200 small rows a second.
 * Rules: unknown is null, never 0 (a kind without device counts has no online count; a first
 * reading or a reset has no rate); a failed or old reading keeps its figures marked stale, and
 * its rates become unknown (a rate of an interval NodeDeck did not see would be invented).
 */
export class FleetSummary {
  private readonly entries = new Map<string, Entry>()
  /** Config order of the servers. */
  private order: string[] = []
  private readonly dirty = new Set<string>()
  private readonly removed = new Set<string>()
  private readonly now: () => number
  private readonly sparkPoints: number

  constructor(opts: FleetSummaryOptions = {}) {
    this.now = opts.now ?? Date.now
    this.sparkPoints = Math.max(2, opts.sparkPoints ?? FLEET_SPARK_POINTS)
  }

  /** The configured servers, in order: new ones get an unknown row, missing ones are removed. */
  setServers(servers: readonly FleetSummaryServer[]): void {
    const keep = new Set<string>()
    for (const s of servers) {
      keep.add(s.id)
      const e = this.entries.get(s.id)
      if (e) {
        e.pollIntervalSec = s.pollIntervalSec
        continue
      }
      this.entries.set(s.id, this.newEntry(s))
      this.removed.delete(s.id)
      this.dirty.add(s.id)
    }
    for (const id of this.entries.keys()) {
      if (keep.has(id)) continue
      this.entries.delete(id)
      this.dirty.delete(id)
      this.removed.add(id)
    }
    this.order = servers.map((s) => s.id)
  }

  /** Forgets what was read of a server (its address or kind changed: figures start over). */
  reset(id: string): void {
    const e = this.entries.get(id)
    if (!e) return
    this.entries.set(id, this.newEntry({ id, pollIntervalSec: e.pollIntervalSec }))
    this.dirty.add(id)
  }

  /** A server's new health. */
  onStatus(status: ServerStatus): void {
    const e = this.entries.get(status.serverId)
    if (!e) return
    this.replace(e, {
      ...e.row,
      state: status.state,
      reason: status.error?.message ?? null,
      latencyMs: status.latencyMs,
      lastCheckAt: status.lastCheckAt,
    })
  }

  /** A server's new users reading (one per poll, stale after a failed one). */
  onUsers(snap: UsersSnapshot): void {
    const e = this.entries.get(snap.serverId)
    if (!e || e.lastSnapshot === snap) return
    e.lastSnapshot = snap
    if (snap.at === null) {
      // Never read: nothing known, but the attempt is a point of the sparkline (a gap).
      this.pushSpark(e, null)
      this.replace(e, { ...e.row, spark: this.sparkOf(e) })
      return
    }
    const table = usersTableOf(snap)
    const sums = sumsOf(table)
    const { upRate, downRate } = sums
    const stale = snap.stale || this.tooOld(e, snap.at)
    const rateKnown = !stale && upRate !== null && downRate !== null
    this.pushSpark(e, rateKnown ? upRate + downRate : null)
    this.replace(e, {
      ...e.row,
      usersAt: snap.at,
      stale,
      users: table.names.length,
      onlineUsers: sums.online,
      upRate: stale ? null : upRate,
      downRate: stale ? null : downRate,
      up: sums.up,
      down: sums.down,
      spark: this.sparkOf(e),
    })
  }

  /**
   * Marks rows whose last reading is older than a few poll intervals as stale (their rates
   * unknown): no reading came (the server hangs, the monitor stopped). Call about once a second.
   */
  checkStale(): void {
    for (const e of this.entries.values()) {
      const r = e.row
      if (r.stale || r.usersAt === null || !this.tooOld(e, r.usersAt)) continue
      this.replace(e, { ...r, stale: true, upRate: null, downRate: null })
    }
  }

  /** Every row (config order) and the totals. */
  summary(): FleetSummaryData {
    const rows: FleetRow[] = []
    for (const id of this.order) {
      const e = this.entries.get(id)
      if (e) rows.push(e.row)
    }
    return { at: this.now(), rows, totals: this.totals() }
  }

  /** Rows changed and servers removed since the last call; null when nothing changed. */
  takeDelta(): FleetSummaryDelta | null {
    if (this.dirty.size === 0 && this.removed.size === 0) return null
    const rows: FleetRow[] = []
    for (const id of this.dirty) {
      const e = this.entries.get(id)
      if (e) rows.push(e.row)
    }
    const delta = { at: this.now(), rows, removed: [...this.removed], totals: this.totals() }
    this.dirty.clear()
    this.removed.clear()
    return delta
  }

  /** Fleet totals: known figures summed, unknown ones counted apart. */
  totals(): FleetTotals {
    const t = emptyFleetTotals()
    for (const { row } of this.entries.values()) addToFleetTotals(t, row.state, row)
    return t
  }

  private newEntry(s: FleetSummaryServer): Entry {
    return {
      row: {
        serverId: s.id,
        state: 'unknown',
        reason: null,
        latencyMs: null,
        lastCheckAt: null,
        usersAt: null,
        stale: false,
        users: null,
        onlineUsers: null,
        upRate: null,
        downRate: null,
        up: null,
        down: null,
        spark: [],
      },
      pollIntervalSec: s.pollIntervalSec,
      spark: new Float64Array(this.sparkPoints),
      sparkHead: 0,
      sparkLen: 0,
      lastSnapshot: null,
    }
  }

  private tooOld(e: Entry, at: number): boolean {
    const limit = Math.max(STALE_MIN_MS, STALE_INTERVALS * e.pollIntervalSec * 1000)
    return this.now() - at > limit
  }

  private pushSpark(e: Entry, value: number | null): void {
    e.spark[e.sparkHead] = value === null ? Number.NaN : value
    e.sparkHead = (e.sparkHead + 1) % e.spark.length
    e.sparkLen = Math.min(e.sparkLen + 1, e.spark.length)
  }

  /** The ring oldest first, whole bytes/s (the sparkline needs no more), NaN → null. */
  private sparkOf(e: Entry): (number | null)[] {
    const out = new Array<number | null>(e.sparkLen)
    const n = e.spark.length
    const first = (e.sparkHead - e.sparkLen + n) % n
    for (let i = 0; i < e.sparkLen; i++) {
      const v = e.spark[(first + i) % n] as number
      out[i] = Number.isNaN(v) ? null : Math.round(v)
    }
    return out
  }

  private replace(e: Entry, next: FleetRow): void {
    if (sameRow(e.row, next)) return
    e.row = next
    this.dirty.add(next.serverId)
  }
}
