import type { AppError, UserRow, UsersSnapshot } from '../../../shared/contract'
import type { UsersReading } from '../adapters/adapter'

/** Display order of user names: the same as `a.localeCompare(b)`, without a lookup per call. */
const compareNames = new Intl.Collator().compare

interface Prev {
  at: number
  /** Last raw counters as read (cumulative), or the accumulated totals (delta mode). */
  counters: Map<string, { up: number; down: number }>
}

/**
 * Turns successive readings into totals and rates. Rules (the "wrong figure" principle):
 * - a counter that went backwards is a reset: no rate for that interval, never a negative one;
 * - the first reading has no rate (unknown, not 0);
 * - with clear-on-read the server sends deltas: totals are accumulated here since
 *   `countingSince`, rates are delta / interval;
 * - a failed reading keeps the last rows, marked stale, with the error.
 */
export class TrafficTracker {
  private prev: Prev | null = null
  private snapshot: UsersSnapshot
  private countingSince: number | null = null
  /** Cumulative counters of the last reading (see `keep`). */
  private readonly kept = new Map<string, { up: number; down: number }>()
  /** The user names of the last reading, sorted (see `sorted`). */
  private order: readonly string[] = []
  /**
   * The rows of the counted readings, one object per user updated in place by every reading.
   * A snapshot's rows are read when it is emitted (fleet sums, history, metrics, sent to the
   * pages) or later as "the latest" (user search, late watchers): nobody needs an older poll's
   * figures. New rows per poll would live until the next poll, get promoted to the old
   * generation and, at 100k users, fill it with ~10 MB of garbage every cycle (GC time and RSS).
   */
  private readonly rowOf = new Map<string, UserRow>()
  /** The last counted rows and the order they were built for. */
  private rows: UserRow[] = []
  private rowsOrder: readonly string[] | null = null
  /** The same names as a set. */
  private orderSet: ReadonlySet<string> = new Set()

  constructor(private readonly serverId: string) {
    this.snapshot = {
      serverId,
      at: null,
      stale: false,
      error: null,
      users: [],
      clearOnRead: false,
      countingSince: null,
      serverReset: false,
    }
  }

  /**
   * The names of the counters and devices in display order. A server's users rarely change
   * between polls, so the last order is reused when the union is the same set: checked against
   * the last set without building a new one (an O(n) check instead of a set and an ICU sort
   * every poll).
   */
  private sorted(
    totals: ReadonlyMap<string, unknown>,
    devices: ReadonlyMap<string, number> | null,
  ): readonly string[] {
    const last = this.orderSet
    let same = true
    let union = totals.size
    for (const n of totals.keys()) {
      if (!last.has(n)) {
        same = false
        break
      }
    }
    if (same && devices) {
      for (const n of devices.keys()) {
        if (totals.has(n)) continue
        if (!last.has(n)) {
          same = false
          break
        }
        union++
      }
    }
    if (same && union === this.order.length) return this.order
    const names = new Set<string>(totals.keys())
    if (devices) for (const n of devices.keys()) names.add(n)
    this.orderSet = names
    this.order = [...names].sort(compareNames)
    return this.order
  }

  /**
   * The cumulative counters to compare the next reading with, in a map of this tracker updated
   * in place: the reading's own objects then die young instead of living (and being promoted
   * to the old generation) until the next poll, at 100k users a steady stream of GC work.
   */
  private keep(
    counters: Map<string, { up: number; down: number }>,
  ): Map<string, { up: number; down: number }> {
    const kept = this.kept
    for (const [name, c] of counters) {
      const k = kept.get(name)
      if (k) {
        k.up = c.up
        k.down = c.down
      } else kept.set(name, { up: c.up, down: c.down })
    }
    if (kept.size > counters.size) {
      for (const name of kept.keys()) if (!counters.has(name)) kept.delete(name)
    }
    return kept
  }

  /** The latest snapshot (rows may be stale). */
  current(): UsersSnapshot {
    return this.snapshot
  }

  /** Marks the data stale after a failed poll, keeping the rows and their age. */
  fail(error: AppError): UsersSnapshot {
    this.snapshot = { ...this.snapshot, stale: this.snapshot.at !== null, error }
    return this.snapshot
  }

  /** Feeds one reading; returns the new snapshot. */
  update(r: UsersReading, partialError: AppError | null): UsersSnapshot {
    const prevSnap = this.snapshot
    if (!r.counters && r.noCounters) {
      // No per-user counters on this kind: users and devices only, traffic unknown (never 0).
      const names = new Set<string>([...(r.names ?? []), ...(r.devices?.keys() ?? [])])
      const users: UserRow[] = [...names].sort(compareNames).map((name) => {
        const devices = r.devices ? (r.devices.get(name) ?? 0) : null
        return {
          name,
          online: devices !== null && devices > 0,
          devices,
          up: null,
          down: null,
          upRate: null,
          downRate: null,
          reset: false,
        }
      })
      this.snapshot = {
        serverId: this.serverId,
        at: r.at,
        stale: r.devices === null,
        error: partialError,
        users,
        clearOnRead: false,
        countingSince: null,
        serverReset: false,
      }
      return this.snapshot
    }
    if (!r.counters) {
      // Traffic unreadable: keep the traffic figures but mark them stale; devices may be fresh.
      const users = mergeDevicesOnly(prevSnap.users, r.devices)
      this.snapshot = { ...prevSnap, users, stale: true, error: partialError }
      return this.snapshot
    }
    let dt = this.prev ? (r.at - this.prev.at) / 1000 : null
    let totals: Map<string, { up: number; down: number }> = r.counters
    /** Delta mode: the rate of each user; cumulative mode computes it per row (no map). */
    const rates = new Map<string, { up: number | null; down: number | null; reset: boolean }>()
    let prevCounters: Map<string, { up: number; down: number }> | null | undefined = null
    let resets = 0
    let comparable = 0
    if (r.countersAreDeltas) {
      if (this.countingSince === null || !prevSnap.clearOnRead) {
        this.countingSince = r.at
        this.prev = null
        // The first clear-on-read answer holds whatever the server counted since its start or
        // the last clear by anyone: no known interval, so no rate (not total / our interval).
        dt = null
      }
      totals = new Map()
      const acc = this.prev?.counters ?? new Map<string, { up: number; down: number }>()
      for (const [name, t] of acc) totals.set(name, { ...t })
      for (const [name, d] of r.counters) {
        const t = totals.get(name) ?? { up: 0, down: 0 }
        totals.set(name, { up: t.up + d.up, down: t.down + d.down })
      }
      for (const name of totals.keys()) {
        const d = r.counters.get(name) ?? { up: 0, down: 0 }
        rates.set(name, {
          up: dt && dt > 0 ? d.up / dt : null,
          down: dt && dt > 0 ? d.down / dt : null,
          reset: false,
        })
      }
    } else {
      this.countingSince = null
      prevCounters = prevSnap.clearOnRead || !dt || dt <= 0 ? null : this.prev?.counters
      // Users that vanished from the counters were cleared (restart or another clearer).
      if (prevCounters) {
        for (const name of prevCounters.keys()) {
          if (!r.counters.has(name)) {
            comparable++
            resets++
          }
        }
      }
    }
    const order = this.sorted(totals, r.devices)
    // The same users in the same order: the rows of the last reading are updated in place (see
    // `rowOf`); otherwise a new list of the kept rows (and new ones for new users).
    const sameRows = this.rowsOrder === order && this.rows.length === order.length
    const users: UserRow[] = sameRows ? this.rows : new Array<UserRow>(order.length)
    if (!sameRows && this.rowOf.size > order.length) {
      const present = new Set(order)
      for (const name of this.rowOf.keys()) if (!present.has(name)) this.rowOf.delete(name)
    }
    let i = 0
    for (const name of order) {
      const t = totals.get(name)
      const devices = r.devices ? (r.devices.get(name) ?? 0) : null
      let upRate: number | null = null
      let downRate: number | null = null
      let reset = false
      if (r.countersAreDeltas) {
        const rate = rates.get(name)
        upRate = rate ? rate.up : null
        downRate = rate ? rate.down : null
      } else if (t && prevCounters && dt) {
        // A counter that went backwards is a reset: no rate for this interval, never negative.
        const p = prevCounters.get(name)
        if (p) {
          comparable++
          if (t.up < p.up || t.down < p.down) {
            resets++
            reset = true
          } else {
            upRate = (t.up - p.up) / dt
            downRate = (t.down - p.down) / dt
          }
        }
      }
      let row = this.rowOf.get(name)
      if (!row) {
        row = { name, online: false, devices, up: null, down: null, upRate, downRate, reset }
        this.rowOf.set(name, row)
      }
      row.online = devices !== null ? devices > 0 : false
      row.devices = devices
      row.up = t ? t.up : r.countersAreDeltas ? 0 : null
      row.down = t ? t.down : r.countersAreDeltas ? 0 : null
      row.upRate = upRate
      row.downRate = downRate
      row.reset = reset
      users[i++] = row
    }
    this.rows = users
    this.rowsOrder = order
    this.prev = { at: r.at, counters: r.countersAreDeltas ? totals : this.keep(r.counters) }
    this.snapshot = {
      serverId: this.serverId,
      at: r.at,
      stale: false,
      error: partialError,
      users,
      clearOnRead: r.countersAreDeltas,
      countingSince: r.countersAreDeltas ? this.countingSince : null,
      serverReset: comparable > 0 && resets === comparable,
    }
    return this.snapshot
  }
}

function mergeDevicesOnly(rows: UserRow[], devices: Map<string, number> | null): UserRow[] {
  if (!devices) return rows
  const byName = new Map(rows.map((u) => [u.name, u]))
  for (const name of devices.keys()) {
    if (!byName.has(name)) {
      byName.set(name, {
        name,
        online: true,
        devices: 0,
        up: null,
        down: null,
        upRate: null,
        downRate: null,
        reset: false,
      })
    }
  }
  return [...byName.values()]
    .map((u) => {
      const d = devices.get(u.name) ?? 0
      return { ...u, devices: d, online: d > 0, upRate: null, downRate: null }
    })
    .sort((a, b) => compareNames(a.name, b.name))
}
