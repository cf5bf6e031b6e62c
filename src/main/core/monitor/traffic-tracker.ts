import type { AppError, UserRow, UsersSnapshot } from '../../../shared/contract'
import type { UsersReading } from '../adapters/adapter'

/** Display order of user names: the same as `a.localeCompare(b)`, without a lookup per call. */
const compareNames = new Intl.Collator().compare

/**
 * One server's users in columns, index `i` being the user `names[i]`: what a users snapshot shows,
 * kept by the tracker and updated in place by every reading. The core's own readers of every poll
 * (fleet sums, history, user search, metrics) read these columns; the rows of the contract
 * (`UsersSnapshot.users`) are only built when something asks for them (a page watching the
 * server, a `users.get`). At 100,000 users, rows refreshed by every poll meant 100k objects and
 * ~400k boxed numbers a cycle kept until the next poll: promoted to the old generation, the bulk
 * of the core's memory and GC time. Numbers here are unboxed.
 */
export interface UsersTable {
  /**
   * User names in display order. A new array whenever the set of users changes, the same one
   * otherwise: readers keep per-user state by index while `names` is the array they saw.
   */
  readonly names: readonly string[]
  /** Bytes uploaded / downloaded; NaN = unknown (null in the rows). */
  readonly up: Float64Array
  readonly down: Float64Array
  /** Bytes per second over the last interval; NaN = unknown. */
  readonly upRate: Float64Array
  readonly downRate: Float64Array
  /** Connected devices; NaN = the server did not say. */
  readonly devices: Float64Array
  /** 1 = online. */
  readonly online: Uint8Array
  /** 1 = the counters went backwards since the previous reading. */
  readonly reset: Uint8Array
}

/** Where a tracker's snapshot keeps its table (not enumerable: never serialized). */
const TABLE = Symbol('usersTable')

/** `null` for NaN (an unknown figure), else the number. */
export const orNull = (v: number): number | null => (Number.isNaN(v) ? null : v)

/**
 * The tracker's own table: also whether each user's `up`/`down` count as the previous reading's
 * counters (cumulative: the user had counters; clear-on-read: the user is in the totals). The next
 * reading compares with these, read in place before they are overwritten: no copy is kept.
 */
interface Columns extends UsersTable {
  readonly counted: Uint8Array
}

/** Empty columns for `n` users (one buffer for all of them). */
function columns(names: readonly string[]): Columns {
  const n = names.length
  const buf = new ArrayBuffer(n * (5 * 8 + 3))
  const f64 = (k: number) => new Float64Array(buf, k * n * 8, n)
  const u8 = (k: number) => new Uint8Array(buf, 5 * n * 8 + k * n, n)
  return {
    names,
    up: f64(0),
    down: f64(1),
    upRate: f64(2),
    downRate: f64(3),
    devices: f64(4),
    online: u8(0),
    reset: u8(1),
    counted: u8(2),
  }
}

/** A table read from rows (a snapshot not made by a tracker, e.g. in tests). */
function tableOfRows(rows: readonly UserRow[]): UsersTable {
  const t: UsersTable = columns(rows.map((u) => u.name))
  rows.forEach((u, i) => {
    t.up[i] = u.up ?? NaN
    t.down[i] = u.down ?? NaN
    t.upRate[i] = u.upRate ?? NaN
    t.downRate[i] = u.downRate ?? NaN
    t.devices[i] = u.devices ?? NaN
    t.online[i] = u.online ? 1 : 0
    t.reset[i] = u.reset ? 1 : 0
  })
  return t
}

const fromRows = new WeakMap<UsersSnapshot, UsersTable>()

/**
 * The columns of a snapshot's users: the tracker's own table (no copy, no rows built), or for a
 * snapshot made elsewhere one read from its rows (once per snapshot).
 */
export function usersTableOf(snap: UsersSnapshot): UsersTable {
  const own = (snap as { [TABLE]?: UsersTable })[TABLE]
  if (own) return own
  let t = fromRows.get(snap)
  if (!t) {
    t = tableOfRows(snap.users)
    fromRows.set(snap, t)
  }
  return t
}

/** The snapshot fields besides the users. */
type SnapshotHead = Omit<UsersSnapshot, 'users'>

/** Anything with names: a reading's counters (Map) or its list of names (Set). */
interface NameSet {
  has(name: string): boolean
  readonly size: number
  keys(): Iterable<string>
}

/**
 * Turns successive readings into totals and rates. Rules (the "wrong figure" principle):
 * - a counter that went backwards is a reset: no rate for that interval, never a negative one;
 * - the first reading has no rate (unknown, not 0);
 * - with clear-on-read the server sends deltas: totals are accumulated here since
 *   `countingSince`, rates are delta / interval;
 * - a failed reading keeps the last rows, marked stale, with the error.
 * State is columnar (see {@link UsersTable}); rows are built on demand and then updated in place.
 */
export class TrafficTracker {
  private snapshot: UsersSnapshot
  private countingSince: number | null = null
  /** What the snapshots show, updated in place. */
  private table: Columns = columns([])
  /** Bumped by every change of the table: rows older than this are refreshed when read. */
  private version = 0
  /**
   * When the previous counted reading was taken (null: none to compare with). Its figures are the
   * table's, where `counted` says so.
   */
  private prevAt: number | null = null
  /** The rows built from the table (see `rows`), for `rowsNames`, as of `rowsVersion`. */
  private rowsCache: UserRow[] = []
  private rowsNames: readonly string[] = []
  private rowsVersion = 0

  // A plain field, not a parameter property: bench/history.mjs loads the history feed (which
  // imports this module) with Node's type stripping, which does not rewrite parameter properties.
  private readonly serverId: string

  constructor(serverId: string) {
    this.serverId = serverId
    this.snapshot = this.snap({
      serverId,
      at: null,
      stale: false,
      error: null,
      clearOnRead: false,
      countingSince: null,
      serverReset: false,
    })
  }

  /** The latest snapshot (rows may be stale). */
  current(): UsersSnapshot {
    return this.snapshot
  }

  /** Marks the data stale after a failed poll, keeping the rows and their age. */
  fail(error: AppError): UsersSnapshot {
    this.snapshot = this.snap({ ...this.head(), stale: this.snapshot.at !== null, error })
    return this.snapshot
  }

  /** Feeds one reading; returns the new snapshot. */
  update(r: UsersReading, partialError: AppError | null): UsersSnapshot {
    if (!r.counters && r.noCounters) return this.noCounters(r, partialError)
    if (!r.counters) {
      // Traffic unreadable: keep the traffic figures but mark them stale; devices may be fresh.
      if (r.devices) this.mergeDevices(r.devices)
      this.snapshot = this.snap({ ...this.head(), stale: true, error: partialError })
      return this.snapshot
    }
    return this.counted(r, r.counters, partialError)
  }

  /** The snapshot fields of the latest snapshot, without its users. */
  private head(): SnapshotHead {
    const s = this.snapshot
    return {
      serverId: s.serverId,
      at: s.at,
      stale: s.stale,
      error: s.error,
      clearOnRead: s.clearOnRead,
      countingSince: s.countingSince,
      serverReset: s.serverReset,
    }
  }

  /**
   * A snapshot of the table: `users` (own, enumerable: serialized and copied like a plain array)
   * is built when first read, from the table as it is then; the table itself rides along, hidden.
   */
  private snap(h: SnapshotHead): UsersSnapshot {
    let users: UserRow[] | null = null
    const rowsOf = () => this.rows()
    const s: UsersSnapshot = {
      serverId: h.serverId,
      at: h.at,
      stale: h.stale,
      error: h.error,
      get users() {
        return (users ??= rowsOf())
      },
      // A reader may replace the list (a CLI filter): it then holds its own.
      set users(list) {
        users = list
      },
      clearOnRead: h.clearOnRead,
      countingSince: h.countingSince,
      serverReset: h.serverReset,
    }
    Object.defineProperty(s, TABLE, { value: this.table })
    return s
  }

  /**
   * The rows of the table: the same objects while the users stay (a user's row is kept when
   * others come and go), refreshed from the columns when they changed since the last call.
   */
  private rows(): UserRow[] {
    const t = this.table
    if (this.rowsNames === t.names && this.rowsVersion === this.version) return this.rowsCache
    if (this.rowsNames !== t.names) {
      const old = new Map(this.rowsCache.map((u) => [u.name, u]))
      this.rowsCache = t.names.map(
        (name) =>
          old.get(name) ?? {
            name,
            online: false,
            devices: null,
            up: null,
            down: null,
            upRate: null,
            downRate: null,
            reset: false,
          },
      )
      this.rowsNames = t.names
    }
    const rows = this.rowsCache
    for (let i = 0; i < rows.length; i++) {
      const u = rows[i] as UserRow
      u.online = t.online[i] === 1
      u.devices = orNull(t.devices[i] as number)
      u.up = orNull(t.up[i] as number)
      u.down = orNull(t.down[i] as number)
      u.upRate = orNull(t.upRate[i] as number)
      u.downRate = orNull(t.downRate[i] as number)
      u.reset = t.reset[i] === 1
    }
    this.rowsVersion = this.version
    return rows
  }

  /**
   * The table for these names: the current one when its users are the same set (the usual case:
   * a server's users rarely change between polls, so no set and no ICU sort per poll), else new
   * columns for the sorted union. `known` is filled with every name of the union; `devices` may
   * add names.
   */
  private tableFor(known: NameSet, devices: ReadonlyMap<string, number> | null): Columns {
    const names = this.table.names
    let union = known.size
    if (devices) for (const n of devices.keys()) if (!known.has(n)) union++
    let same = union === names.length
    if (same) {
      for (const n of names) {
        if (!known.has(n) && !devices?.has(n)) {
          same = false
          break
        }
      }
    }
    if (same) return this.table
    const all = new Set<string>(known.keys())
    if (devices) for (const n of devices.keys()) all.add(n)
    return columns([...all].sort(compareNames))
  }

  /** A kind without per-user counters: users and devices only, traffic unknown (never 0). */
  private noCounters(r: UsersReading, partialError: AppError | null): UsersSnapshot {
    const t = (this.table = this.tableFor(new Set(r.names ?? []), r.devices))
    for (let i = 0; i < t.names.length; i++) {
      const devices = r.devices ? (r.devices.get(t.names[i] as string) ?? 0) : NaN
      t.devices[i] = devices
      t.online[i] = devices > 0 ? 1 : 0
      t.up[i] = t.down[i] = t.upRate[i] = t.downRate[i] = NaN
      t.reset[i] = 0
      t.counted[i] = 0
    }
    this.version++
    this.snapshot = this.snap({
      serverId: this.serverId,
      at: r.at,
      stale: r.devices === null,
      error: partialError,
      clearOnRead: false,
      countingSince: null,
      serverReset: false,
    })
    return this.snapshot
  }

  /**
   * Traffic unreadable, devices read: devices fresh (users only online now are added with
   * unknown traffic), rates unknown (NodeDeck did not see this interval), totals kept.
   */
  private mergeDevices(devices: ReadonlyMap<string, number>): void {
    const old = this.table
    const t = (this.table = this.tableFor(new Set(old.names), devices))
    const from = t === old ? null : new Map(old.names.map((n, i) => [n, i]))
    for (let i = 0; i < t.names.length; i++) {
      const name = t.names[i] as string
      const j = from ? from.get(name) : i
      t.up[i] = j === undefined ? NaN : (old.up[j] as number)
      t.down[i] = j === undefined ? NaN : (old.down[j] as number)
      t.reset[i] = j === undefined ? 0 : (old.reset[j] as number)
      t.counted[i] = j === undefined ? 0 : (old.counted[j] as number)
      const d = devices.get(name) ?? 0
      t.devices[i] = d
      t.online[i] = d > 0 ? 1 : 0
      t.upRate[i] = NaN
      t.downRate[i] = NaN
    }
    this.version++
  }

  /** A reading with counters (cumulative, or deltas since the last read with clear-on-read). */
  private counted(
    r: UsersReading,
    counters: ReadonlyMap<string, { up: number; down: number }>,
    partialError: AppError | null,
  ): UsersSnapshot {
    const prevSnap = this.snapshot
    const deltas = r.countersAreDeltas
    if (deltas && (this.countingSince === null || !prevSnap.clearOnRead)) {
      // The first clear-on-read answer holds whatever the server counted since its start or
      // the last clear by anyone: no known interval, so no rate (not total / our interval).
      this.countingSince = r.at
      this.prevAt = null
    }
    if (!deltas) this.countingSince = null
    const dt = this.prevAt === null ? null : (r.at - this.prevAt) / 1000
    // The previous figures: the table as it is (read before a user's are overwritten).
    const old = this.table
    const hasPrev = this.prevAt !== null
    const had = (k: number) => hasPrev && k >= 0 && old.counted[k] === 1
    /** The old table's index of a name (-1: none), built only when the users changed. */
    let oldIndex: Map<string, number> | null = null
    const indexIn = (name: string): number =>
      (oldIndex ??= new Map(old.names.map((n, k) => [n, k]))).get(name) ?? -1
    let resets = 0
    let comparable = 0
    let t: Columns
    if (deltas) {
      // Totals since countingSince: every user counted before stays (a user absent from a delta
      // reading moved nothing), plus the users of this reading.
      const known: NameSet = {
        has: (n) => counters.has(n) || had(indexIn(n)),
        get size() {
          let n = counters.size
          for (let k = 0; k < old.names.length; k++) {
            if (had(k) && !counters.has(old.names[k] as string)) n++
          }
          return n
        },
        *keys() {
          yield* counters.keys()
          for (let k = 0; k < old.names.length; k++) {
            const n = old.names[k] as string
            if (had(k) && !counters.has(n)) yield n
          }
        },
      }
      t = this.tableFor(known, r.devices)
      for (let i = 0; i < t.names.length; i++) {
        const name = t.names[i] as string
        const k = t === old ? i : indexIn(name)
        const inPrev = had(k)
        const d = counters.get(name)
        const inTotals = d !== undefined || inPrev
        // Devices-only users (not in the totals) count 0 bytes since countingSince, no rate.
        const up = (inPrev ? (old.up[k] as number) : 0) + (d ? d.up : 0)
        const down = (inPrev ? (old.down[k] as number) : 0) + (d ? d.down : 0)
        const rated = inTotals && dt !== null && dt > 0
        t.up[i] = up
        t.down[i] = down
        t.upRate[i] = rated ? (d ? d.up : 0) / dt : NaN
        t.downRate[i] = rated ? (d ? d.down : 0) / dt : NaN
        t.reset[i] = 0
        // Only users in the totals are carried to the next reading.
        t.counted[i] = inTotals ? 1 : 0
        devicesInto(t, i, r.devices)
      }
    } else {
      const comparableRates = !prevSnap.clearOnRead && dt !== null && dt > 0
      // Users that vanished from the counters were cleared (restart or another clearer).
      if (comparableRates) {
        for (let k = 0; k < old.names.length; k++) {
          if (had(k) && !counters.has(old.names[k] as string)) {
            comparable++
            resets++
          }
        }
      }
      t = this.tableFor(counters, r.devices)
      for (let i = 0; i < t.names.length; i++) {
        const name = t.names[i] as string
        const c = counters.get(name)
        let upRate = NaN
        let downRate = NaN
        let reset = 0
        if (c && comparableRates) {
          const k = t === old ? i : indexIn(name)
          if (had(k)) {
            const pUp = old.up[k] as number
            const pDown = old.down[k] as number
            comparable++
            // A counter that went backwards is a reset: no rate for this interval, never negative.
            if (c.up < pUp || c.down < pDown) {
              resets++
              reset = 1
            } else {
              upRate = (c.up - pUp) / (dt as number)
              downRate = (c.down - pDown) / (dt as number)
            }
          }
        }
        t.up[i] = c ? c.up : NaN
        t.down[i] = c ? c.down : NaN
        t.upRate[i] = upRate
        t.downRate[i] = downRate
        t.reset[i] = reset
        t.counted[i] = c ? 1 : 0
        devicesInto(t, i, r.devices)
      }
    }
    this.prevAt = r.at
    this.table = t
    this.version++
    this.snapshot = this.snap({
      serverId: this.serverId,
      at: r.at,
      stale: false,
      error: partialError,
      clearOnRead: deltas,
      countingSince: deltas ? this.countingSince : null,
      serverReset: comparable > 0 && resets === comparable,
    })
    return this.snapshot
  }
}

/** A user's devices from a reading (NaN: not readable) and whether that makes them online. */
function devicesInto(t: Columns, i: number, devices: ReadonlyMap<string, number> | null): void {
  const d = devices ? (devices.get(t.names[i] as string) ?? 0) : NaN
  t.devices[i] = d
  t.online[i] = d > 0 ? 1 : 0
}

/** The same names in the same order (two tables of the same users). */
export const sameNames = (a: readonly string[], b: readonly string[]): boolean =>
  a === b || (a.length === b.length && a.every((name, i) => name === b[i]))

/**
 * Per-user figures a reader keeps by index of a table's `names`, moved to other names (the users
 * changed): for each column a new one indexed by `to`, where a user still listed keeps its value
 * and a new user gets `fill`. `indexOf` maps every name of `to` to its index.
 */
export function reindexColumns<T extends Float64Array | Uint32Array>(
  from: readonly string[],
  to: readonly string[],
  cols: readonly T[],
  fill: number,
): { cols: T[]; indexOf: Map<string, number> } {
  const indexOf = new Map(to.map((name, i) => [name, i]))
  const out = cols.map((c) => {
    const make = c.constructor as new (n: number) => T
    const next = new make(to.length)
    if (fill !== 0) next.fill(fill)
    from.forEach((name, k) => {
      const i = indexOf.get(name)
      if (i !== undefined) next[i] = c[k] as number
    })
    return next
  })
  return { cols: out, indexOf }
}
