import { existsSync, renameSync, statSync } from 'node:fs'
import { DatabaseSync, type StatementSync } from 'node:sqlite'
import {
  FLEET,
  type EventsQuery,
  type IngestBatch,
  type SeriesPoints,
  type SeriesQuery,
  type SeriesResult,
  type ServerMetric,
  type StateEvent,
  type StoreStatus,
  type Tier,
  type TopQuery,
  type TopRow,
} from './types'

export const MINUTE = 60_000
export const HOUR = 3_600_000
export const DAY = 86_400_000

/** The stored tiers, finest first: resolution and how long rows are kept. */
export const TIERS = [
  { tier: '1m', res: MINUTE, keepMs: 48 * HOUR },
  { tier: '1h', res: HOUR, keepMs: 400 * DAY },
  { tier: '1d', res: DAY, keepMs: Infinity },
] as const satisfies readonly { tier: Tier; res: number; keepMs: number }[]
type StoredTier = (typeof TIERS)[number]['tier']

/** Table suffix of each stored tier. */
const SUFFIX: Record<StoredTier, string> = { '1m': 'm1', '1h': 'h1', '1d': 'd1' }

/**
 * A minute is written this long after it ended: the main thread batches readings about once a
 * second and sends a server's per-user bytes of a minute up to USER_MINUTE_GRACE_MS (10 s) after
 * it, so they arrive before the minute is written (late ones would be added, at twice the cost).
 */
const MINUTE_GRACE_MS = 20_000
/** An hour (day) is rolled up this long after it ended, when all its minutes are written. */
const ROLL_GRACE_MS = 2 * MINUTE
/** A finer tier may be merged into display buckets up to this factor (bounds rows read). */
const MAX_MERGE = 64
/** Rows deleted per pruning step, so a query waits behind one step at most. */
const PRUNE_CHUNK = 5_000
/**
 * Daily per-user rows also carry running totals (all days up to and including this one), so a
 * user's traffic over any run of whole days is two lookups, not a row per day: the top list over
 * 90 days (or years) reads 4 rows per user.
 */
const CUM_COLUMNS = ', cum_up INTEGER NOT NULL DEFAULT 0, cum_down INTEGER NOT NULL DEFAULT 0'
/** Row counts (shown by history.status) are at most this old when the worker is idle. */
const COUNT_EVERY_MS = 10 * MINUTE
/** State changes are kept as long as the hourly tier. */
const EVENTS_KEEP_MS = 400 * DAY

/** Gauges keep min/max/avg of their values; traffic keeps byte sums and min/max rates. */
const isTraffic = (m: ServerMetric) => m === 'up' || m === 'down'

interface Agg {
  n: number
  sum: number
  /** Time the traffic deltas cover (ms); 0 for gauges. */
  dur: number
  min: number | null
  max: number | null
}

export interface HistoryStoreOptions {
  /** The database file (`<dataDir>/history.sqlite`). */
  file: string
  /** Clock (tests). */
  now?: () => number
}

/** SQLite's primary result code of an error thrown by node:sqlite (0 if not such an error). */
function sqliteCode(err: unknown): number {
  const code = (err as { errcode?: unknown }).errcode
  return typeof code === 'number' ? code & 0xff : 0
}
const SQLITE_BUSY = 5
const SQLITE_LOCKED = 6
const SQLITE_CORRUPT = 11
const SQLITE_FULL = 13
const SQLITE_NOTADB = 26

/** A sentence for the UI about why the database cannot be used. */
export function describeDbError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err)
  switch (sqliteCode(err)) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return 'The history database is in use by another NodeDeck.'
    case SQLITE_FULL:
      return 'The disk is full: history cannot be written.'
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return `The history database is damaged (${msg}).`
    default:
      return `The history database cannot be used (${msg}).`
  }
}

const floorTo = (t: number, step: number) => t - (((t % step) + step) % step)

/**
 * The history database: series readings rolled up into 1-minute, 1-hour and 1-day tiers, per-user
 * traffic (sparse) in the same tiers, and health state changes. Synchronous (node:sqlite); it runs
 * in the history worker, never on the main thread (`history-worker.ts`), and in tests directly.
 *
 * Layout: `series` maps (server, user, metric) to an integer id; every tier table is
 * `WITHOUT ROWID` keyed (series, ts) so one series' range is one B-tree range, with an index on
 * ts for pruning and fleet-wide sums. Server series (user '') keep n/sum/min/max per bucket;
 * per-user traffic (metric `traffic`) keeps only up/down byte sums, and only for users that had
 * traffic in the bucket.
 */
export class HistoryStore {
  private db: DatabaseSync | null = null
  private readonly now: () => number
  private readonly file: string
  private state: StoreStatus
  /** Series ids: server → metric → user → id (nested: no key string built per lookup). */
  private readonly ids = new Map<string, Map<string, Map<string, number>>>()
  private seriesCount = 0
  /** Server and user of each series, by id (ids are small consecutive integers). */
  private serverOf: string[] = []
  private userOf: string[] = []
  /** Open minutes: minute start → series id → aggregate (server and fleet series). */
  private readonly pendingS = new Map<number, Map<number, Agg>>()
  /** Open minutes of per-user traffic by minute start (see {@link UserMinute}). */
  private readonly pendingU = new Map<number, UserMinute>()
  /** Hours before this are rolled up into the hourly tier (null: nothing yet). */
  private hourMark: number | null = null
  /** Days before this are rolled up into the daily tier. */
  private dayMark: number | null = null
  private st: Record<string, StatementSync> = {}
  /** Row counts per table, refreshed one table per idle tick (`countStep`). */
  private readonly counts: Record<string, number> = {}
  private readonly countedAt = new Map<string, number>()

  constructor(opts: HistoryStoreOptions) {
    this.now = opts.now ?? Date.now
    this.file = opts.file
    this.state = {
      state: 'unavailable',
      reason: null,
      file: opts.file,
      movedAside: null,
      sizeBytes: null,
      rows: {},
    }
    this.open()
  }

  /** Opens (or creates) the file; a damaged file is moved aside and a new one started. */
  private open(): void {
    try {
      this.db = this.openDb()
      this.state = { ...this.state, state: 'ok', reason: null }
    } catch (err) {
      this.closeQuietly()
      const code = sqliteCode(err)
      if ((code === SQLITE_CORRUPT || code === SQLITE_NOTADB) && existsSync(this.file)) {
        const aside = `${this.file}.damaged-${new Date(this.now()).toISOString().replace(/[:.]/g, '-')}`
        try {
          renameSync(this.file, aside)
          for (const ext of ['-wal', '-shm']) {
            if (existsSync(this.file + ext)) renameSync(this.file + ext, aside + ext)
          }
          this.db = this.openDb()
          this.state = { ...this.state, state: 'ok', reason: null, movedAside: aside }
          return
        } catch (err2) {
          this.closeQuietly()
          this.state = { ...this.state, reason: describeDbError(err2) }
          return
        }
      }
      this.state = { ...this.state, reason: describeDbError(err) }
    }
  }

  private openDb(): DatabaseSync {
    const db = new DatabaseSync(this.file)
    try {
      // Exclusive: a second NodeDeck on the same data directory gets "busy" instead of writing
      // the same readings twice. WAL: readers do not wait for the minute flush.
      db.exec('PRAGMA locking_mode = EXCLUSIVE')
      db.exec('PRAGMA journal_mode = WAL')
      db.exec('PRAGMA synchronous = NORMAL')
      // 16 MB of page cache (the default 2 MB makes a 90-day top list read pages again).
      db.exec('PRAGMA cache_size = -16000')
      db.exec('BEGIN IMMEDIATE')
      db.exec(`
        CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS series (
          id INTEGER PRIMARY KEY, server TEXT NOT NULL, user TEXT NOT NULL, metric TEXT NOT NULL,
          UNIQUE (server, user, metric));
        CREATE INDEX IF NOT EXISTS series_user ON series (user);
        CREATE TABLE IF NOT EXISTS events (
          server TEXT NOT NULL, ts INTEGER NOT NULL, "from" TEXT NOT NULL, "to" TEXT NOT NULL,
          reason TEXT);
        CREATE INDEX IF NOT EXISTS events_server ON events (server, ts);
        CREATE INDEX IF NOT EXISTS events_ts ON events (ts);
      `)
      for (const t of TIERS) {
        const x = SUFFIX[t.tier]
        db.exec(`
          CREATE TABLE IF NOT EXISTS s_${x} (
            series INTEGER NOT NULL, ts INTEGER NOT NULL, n INTEGER NOT NULL, sum REAL NOT NULL,
            dur REAL NOT NULL, min REAL, max REAL, PRIMARY KEY (series, ts)) WITHOUT ROWID;
          CREATE INDEX IF NOT EXISTS s_${x}_ts ON s_${x} (ts);
          CREATE TABLE IF NOT EXISTS u_${x} (
            series INTEGER NOT NULL, ts INTEGER NOT NULL, up INTEGER NOT NULL,
            down INTEGER NOT NULL${x === 'd1' ? CUM_COLUMNS : ''},
            PRIMARY KEY (series, ts)) WITHOUT ROWID;
          CREATE INDEX IF NOT EXISTS u_${x}_ts ON u_${x} (ts);
        `)
      }
      db.exec('COMMIT')
      this.db = db
      this.prepare(db)
      this.loadSeries(db)
      this.hourMark = this.getMeta(db, 'hourMark')
      this.dayMark = this.getMeta(db, 'dayMark')
      return db
    } catch (err) {
      try {
        db.close()
      } catch {
        // already unusable
      }
      throw err
    }
  }

  private prepare(db: DatabaseSync): void {
    const st: Record<string, StatementSync> = {
      // One statement gives the id, new or not (a no-op update makes RETURNING answer for a row
      // that was there already): at 100k users, the first minute creates 100k series.
      seriesInsert: db.prepare(
        'INSERT INTO series (server, user, metric) VALUES (?, ?, ?) ON CONFLICT (server, user, metric) DO UPDATE SET metric = excluded.metric RETURNING id',
      ),
      event: db.prepare(
        'INSERT INTO events (server, ts, "from", "to", reason) VALUES (?, ?, ?, ?, ?)',
      ),
      metaSet: db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)'),
      recumU: db.prepare(
        `UPDATE u_d1 SET
           cum_up = (SELECT SUM(p.up) FROM u_d1 p WHERE p.series = u_d1.series AND p.ts <= u_d1.ts),
           cum_down = (SELECT SUM(p.down) FROM u_d1 p WHERE p.series = u_d1.series AND p.ts <= u_d1.ts)
         WHERE series = ? AND ts >= ?`,
      ),
    }
    for (const t of TIERS) {
      const x = SUFFIX[t.tier]
      // Adds into a bucket: the same minute may be written twice (late readings, a restart).
      st[`addS_${x}`] = db.prepare(
        `INSERT INTO s_${x} (series, ts, n, sum, dur, min, max) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (series, ts) DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum,
           dur = dur + excluded.dur,
           min = CASE WHEN min IS NULL OR excluded.min < min THEN excluded.min ELSE min END,
           max = CASE WHEN max IS NULL OR excluded.max > max THEN excluded.max ELSE max END`,
      )
      st[`addU_${x}`] = db.prepare(
        `INSERT INTO u_${x} (series, ts, up, down) VALUES (?, ?, ?, ?)
         ON CONFLICT (series, ts) DO UPDATE SET up = up + excluded.up, down = down + excluded.down`,
      )
    }
    this.st = st
  }

  private stmt(name: string): StatementSync {
    const s = this.st[name]
    if (!s) throw new Error(`no statement ${name}`)
    return s
  }

  private loadSeries(db: DatabaseSync): void {
    this.ids.clear()
    this.serverOf = []
    this.userOf = []
    const rows = db.prepare('SELECT id, server, user, metric FROM series').all() as {
      id: number
      server: string
      user: string
      metric: string
    }[]
    this.seriesCount = 0
    for (const r of rows) {
      this.idsOf(r.server, r.metric).set(r.user, r.id)
      this.serverOf[r.id] = r.server
      this.userOf[r.id] = r.user
      this.seriesCount++
    }
  }

  private getMeta(db: DatabaseSync, k: string): number | null {
    const row = db.prepare('SELECT v FROM meta WHERE k = ?').get(k) as { v: number } | undefined
    return row ? Number(row.v) : null
  }

  /** The user → id map of one server's metric. */
  private idsOf(server: string, metric: string): Map<string, number> {
    const byMetric = getOrAdd(this.ids, server, () => new Map<string, Map<string, number>>())
    return getOrAdd(byMetric, metric, () => new Map<string, number>())
  }

  private seriesId(
    server: string,
    user: string,
    metric: string,
    known?: Map<string, number>,
  ): number {
    const ids = known ?? this.idsOf(server, metric)
    const id = ids.get(user)
    if (id !== undefined) return id
    const row = this.stmt('seriesInsert').get(server, user, metric) as { id: number }
    ids.set(user, row.id)
    this.serverOf[row.id] = server
    this.userOf[row.id] = user
    this.seriesCount++
    return row.id
  }

  /**
   * ok, or unavailable with the reason; file size and row counts. Counting a table of millions of
   * rows takes a while, so counts are refreshed in the background (`countStep`), never here.
   */
  status(): StoreStatus {
    let sizeBytes: number | null
    try {
      sizeBytes = statSync(this.file).size
      if (existsSync(`${this.file}-wal`)) sizeBytes += statSync(`${this.file}-wal`).size
    } catch {
      sizeBytes = null
    }
    return { ...this.state, sizeBytes, rows: { ...this.counts, series: this.seriesCount } }
  }

  /** True while the database can be used. */
  get ok(): boolean {
    return this.db !== null
  }

  /**
   * Takes one batch of readings. They are summed into open minutes in memory; a minute is written
   * once it is over (`tick`). State changes are written at once.
   */
  ingest(batch: IngestBatch): void {
    const db = this.db
    if (!db) return
    this.guard(() => {
      db.exec('BEGIN')
      try {
        for (const s of batch.samples) {
          if (!Number.isFinite(s.v) || !Number.isFinite(s.t)) continue
          const minute = floorTo(s.t, MINUTE)
          const aggs = getOrAdd(this.pendingS, minute, () => new Map<number, Agg>())
          const id = this.seriesId(s.s, '', s.m)
          const a = getOrAdd(aggs, id, () => ({ n: 0, sum: 0, dur: 0, min: null, max: null }))
          a.n++
          a.sum += s.v
          if (s.d !== undefined && Number.isFinite(s.d)) a.dur += Math.max(0, s.d)
          const x = isTraffic(s.m) ? s.r : s.v
          if (x !== null && Number.isFinite(x)) {
            if (a.min === null || x < a.min) a.min = x
            if (a.max === null || x > a.max) a.max = x
          }
        }
        for (const u of batch.users) {
          const minute = floorTo(u.t, MINUTE)
          const acc = getOrAdd(this.pendingU, minute, newUserMinute)
          const ids = this.idsOf(u.s, 'traffic')
          for (let i = 0; i < u.names.length; i++) {
            const up = u.up[i] ?? 0
            const down = u.down[i] ?? 0
            if (!(up > 0) && !(down > 0)) continue
            const id = this.seriesId(u.s, u.names[i] ?? '', 'traffic', ids)
            addBytes(acc, id, Math.max(0, up), Math.max(0, down))
          }
        }
        for (const e of batch.events) this.writeEvent(e)
        db.exec('COMMIT')
      } catch (err) {
        if (db.isTransaction) db.exec('ROLLBACK')
        throw err
      }
    })
  }

  private writeEvent(e: StateEvent): void {
    this.stmt('event').run(e.s, e.t, e.from, e.to, e.reason)
  }

  /**
   * Housekeeping, called on a timer by the worker: writes finished minutes, rolls up one hour or
   * day, prunes one chunk. Returns true when more is waiting (call again soon), so a long catch-up
   * after a restart never holds a query for long.
   */
  tick(): boolean {
    const db = this.db
    if (!db) return false
    return (
      this.guard(() => {
        this.flushMinutes(false)
        return this.rollHour() || this.rollDay() || this.prune() || this.countStep()
      }) ?? false
    )
  }

  /** Writes the open minutes (all of them when closing). */
  flushMinutes(all: boolean): void {
    const db = this.db
    if (!db || (this.pendingS.size === 0 && this.pendingU.size === 0)) return
    const cutoff = this.now() - MINUTE - MINUTE_GRACE_MS
    // 0 (1970): nothing rolled up yet.
    const hourMark = this.hourMark ?? 0
    const dayMark = this.dayMark ?? 0
    db.exec('BEGIN')
    try {
      for (const [minute, aggs] of this.pendingS) {
        if (!all && minute > cutoff) continue
        for (const [id, a] of aggs) {
          this.stmt('addS_m1').run(id, minute, a.n, a.sum, a.dur, a.min, a.max)
          // Late readings of a minute already rolled up go into the coarser tiers too.
          if (minute < hourMark)
            this.stmt('addS_h1').run(id, floorTo(minute, HOUR), a.n, a.sum, a.dur, a.min, a.max)
          if (minute < dayMark)
            this.stmt('addS_d1').run(id, floorTo(minute, DAY), a.n, a.sum, a.dur, a.min, a.max)
        }
        this.pendingS.delete(minute)
      }
      for (const [minute, acc] of this.pendingU) {
        if (!all && minute > cutoff) continue
        for (const id of acc.ids) {
          const up = acc.up[id] as number
          const down = acc.down[id] as number
          this.stmt('addU_m1').run(id, minute, up, down)
          if (minute < hourMark) this.stmt('addU_h1').run(id, floorTo(minute, HOUR), up, down)
          if (minute < dayMark) {
            const day = floorTo(minute, DAY)
            this.stmt('addU_d1').run(id, day, up, down)
            // Rare (a reading more than a day late): the running totals from that day on move.
            this.stmt('recumU').run(id, day)
          }
        }
        this.pendingU.delete(minute)
      }
      db.exec('COMMIT')
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK')
      throw err
    }
  }

  /** Earliest bucket at or after `from` in a tier (server and user tables), or null. */
  private firstTs(x: string, from: number): number | null {
    const db = this.db
    if (!db) return null
    let best: number | null = null
    for (const p of ['s', 'u']) {
      const row = db.prepare(`SELECT MIN(ts) t FROM ${p}_${x} WHERE ts >= ?`).get(from) as {
        t: number | null
      }
      if (row.t !== null && (best === null || row.t < best)) best = Number(row.t)
    }
    return best
  }

  /**
   * Rolls one finished tier bucket into the next coarser tier (recomputed whole, so running it
   * twice gives the same rows). `mark` = start of the first bucket not rolled up yet.
   */
  private rollStep(
    from: 'm1' | 'h1',
    to: 'h1' | 'd1',
    size: number,
    key: 'hourMark' | 'dayMark',
    ready: number,
  ): boolean {
    const db = this.db
    if (!db) return false
    let mark = this[key]
    if (mark === null) {
      const first = this.firstTs(from, 0)
      mark = floorTo(first ?? ready, size)
    }
    if (mark + size > ready) {
      this.setMark(key, mark)
      return false
    }
    // Skip empty stretches (NodeDeck was not running) in one step.
    const next = this.firstTs(from, mark)
    if (next === null) {
      this.setMark(key, floorTo(ready, size))
      return false
    }
    if (next >= mark + size) {
      mark = floorTo(next, size)
      if (mark + size > ready) {
        this.setMark(key, mark)
        return false
      }
    }
    db.exec('BEGIN')
    try {
      db.prepare(
        `INSERT OR REPLACE INTO s_${to} (series, ts, n, sum, dur, min, max)
         SELECT series, ?, SUM(n), SUM(sum), SUM(dur), MIN(min), MAX(max) FROM s_${from}
         WHERE ts >= ? AND ts < ? GROUP BY series`,
      ).run(mark, mark, mark + size)
      if (to === 'd1') {
        // The day's sums plus the running totals up to the day before (sparse: the last row).
        const before = (col: string) =>
          `COALESCE((SELECT p.${col} FROM u_d1 p WHERE p.series = h.series AND p.ts < ?
             ORDER BY p.ts DESC LIMIT 1), 0)`
        db.prepare(
          `INSERT OR REPLACE INTO u_d1 (series, ts, up, down, cum_up, cum_down)
           SELECT series, ?, SUM(up), SUM(down), SUM(up) + ${before('cum_up')},
             SUM(down) + ${before('cum_down')}
           FROM u_h1 h WHERE ts >= ? AND ts < ? GROUP BY series`,
        ).run(mark, mark, mark, mark, mark + size)
      } else {
        db.prepare(
          `INSERT OR REPLACE INTO u_${to} (series, ts, up, down)
           SELECT series, ?, SUM(up), SUM(down) FROM u_${from}
           WHERE ts >= ? AND ts < ? GROUP BY series`,
        ).run(mark, mark, mark + size)
      }
      this.setMark(key, mark + size)
      db.exec('COMMIT')
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK')
      throw err
    }
    return true
  }

  private setMark(key: 'hourMark' | 'dayMark', v: number): void {
    if (this[key] === v) return
    this[key] = v
    this.stmt('metaSet').run(key, v)
  }

  private rollHour(): boolean {
    return this.rollStep('m1', 'h1', HOUR, 'hourMark', this.now() - ROLL_GRACE_MS)
  }

  private rollDay(): boolean {
    // A day is ready once all its hours are rolled up.
    if (this.hourMark === null) return false
    return this.rollStep('h1', 'd1', DAY, 'dayMark', this.hourMark)
  }

  /** Deletes one chunk of rows past their tier's retention (never rows not rolled up yet). */
  private prune(): boolean {
    const db = this.db
    if (!db) return false
    const now = this.now()
    const limits: [string, number][] = [
      ['m1', Math.min(now - TIERS[0].keepMs, this.hourMark ?? 0)],
      ['h1', Math.min(now - TIERS[1].keepMs, this.dayMark ?? 0)],
    ]
    for (const [x, limit] of limits) {
      for (const p of ['s', 'u']) {
        const t = `${p}_${x}`
        // The ts of the PRUNE_CHUNK-th oldest row bounds this step's delete.
        const row = db
          .prepare(`SELECT ts FROM ${t} WHERE ts < ? ORDER BY ts LIMIT 1 OFFSET ${PRUNE_CHUNK}`)
          .get(limit) as { ts: number } | undefined
        const upTo = row ? Number(row.ts) : limit
        const r = db.prepare(`DELETE FROM ${t} WHERE ts < ?`).run(upTo)
        if (Number(r.changes) > 0) {
          this.countedAt.set(t, 0)
          return true
        }
      }
    }
    db.prepare('DELETE FROM events WHERE ts < ?').run(now - EVENTS_KEEP_MS)
    return false
  }

  /** Recounts the table counted longest ago, if that was over COUNT_EVERY_MS ago. */
  private countStep(): boolean {
    const db = this.db
    if (!db) return false
    const tables = [
      'events',
      ...TIERS.flatMap((t) => ['s', 'u'].map((p) => `${p}_${SUFFIX[t.tier]}`)),
    ]
    const now = this.now()
    const stale = tables
      .map((t) => ({ t, at: this.countedAt.get(t) ?? -Infinity }))
      .filter((x) => now - x.at >= COUNT_EVERY_MS)
      .sort((a, b) => a.at - b.at)[0]
    if (!stale) return false
    const row = db.prepare(`SELECT COUNT(*) c FROM ${stale.t}`).get() as { c: number }
    this.counts[stale.t] = Number(row.c)
    this.countedAt.set(stale.t, now)
    return true
  }

  /**
   * The finest stored tier whose retention covers `from` and whose buckets over the range are
   * at most MAX_MERGE × maxPoints; buckets are merged so that at most maxPoints remain.
   */
  chooseTier(from: number, to: number, maxPoints: number): { tier: StoredTier; bucketMs: number } {
    const range = Math.max(1, to - from)
    const now = this.now()
    const last = TIERS[TIERS.length - 1] ?? TIERS[2]
    const pick =
      TIERS.find((t) => from >= now - t.keepMs && range / t.res <= maxPoints * MAX_MERGE) ?? last
    return { tier: pick.tier, bucketMs: bucketFor(from, from + range, maxPoints, pick.res) }
  }

  /** Sums, averages, min and max per display bucket of one series (see SeriesResult). */
  series(q: SeriesQuery): SeriesResult {
    const db = this.db
    const { tier, bucketMs } = this.chooseTier(q.from, q.to, q.maxPoints)
    const traffic = isTraffic(q.metric)
    const unit = traffic ? 'bytes/s' : q.metric === 'latency' ? 'ms' : 'users'
    const result: SeriesResult = {
      tier,
      bucketMs,
      stepMs: bucketMs,
      missing: q.scope === 'user' ? 'zero' : 'gap',
      unit,
      points: { t: [], avg: [], min: [], max: [], sum: [] },
    }
    if (!db) return result
    const from = floorTo(q.from, bucketMs)
    const pieces = this.pieces(tier, from, q.to)
    const buckets = new Map<number, Agg & { rows: number }>()
    const add = (b: number, a: Agg, rows: number) => {
      const cur = buckets.get(b)
      if (!cur) return buckets.set(b, { ...a, rows })
      cur.n += a.n
      cur.sum += a.sum
      cur.dur += a.dur
      cur.rows += rows
      if (a.min !== null && (cur.min === null || a.min < cur.min)) cur.min = a.min
      if (a.max !== null && (cur.max === null || a.max > cur.max)) cur.max = a.max
      return buckets
    }
    if (q.scope === 'user') {
      const col = q.metric === 'down' ? 'down' : 'up'
      for (const p of pieces) {
        const rows = db
          .prepare(
            `SELECT ts - ts % ? b, SUM(v) s, COUNT(*) c, MIN(v) lo, MAX(v) hi FROM (
               SELECT ts, SUM(${col}) v FROM u_${SUFFIX[p.tier]}
               WHERE series IN (SELECT id FROM series WHERE user = ? AND metric = 'traffic'
                 AND (? IS NULL OR server = ?))
                 AND ts >= ? AND ts < ? GROUP BY ts)
             GROUP BY b`,
          )
          .all(bucketMs, q.user ?? '', q.serverId ?? null, q.serverId ?? null, p.from, p.to) as {
          b: number
          s: number
          c: number
          lo: number
          hi: number
        }[]
        const perSec = 1000 / p.res
        for (const r of rows) {
          // Sparse rows: a sub-bucket without a row had no traffic, so the lowest rate is 0.
          const full = Number(r.c) >= Math.min(bucketMs, q.to - Number(r.b)) / p.res
          add(
            Number(r.b),
            {
              n: Number(r.c),
              sum: Number(r.s),
              dur: 0,
              min: full ? r.lo * perSec : 0,
              max: r.hi * perSec,
            },
            Number(r.c),
          )
        }
      }
    } else {
      const server = q.scope === 'fleet' ? FLEET : (q.serverId ?? '')
      const id = this.ids.get(server)?.get(q.metric)?.get('')
      if (id === undefined) return result
      for (const p of pieces) {
        const rows = db
          .prepare(
            `SELECT ts - ts % ? b, SUM(n) n, SUM(sum) s, SUM(dur) d, MIN(min) lo, MAX(max) hi,
               COUNT(*) c
             FROM s_${SUFFIX[p.tier]} WHERE series = ? AND ts >= ? AND ts < ? GROUP BY b`,
          )
          .all(bucketMs, id, p.from, p.to) as {
          b: number
          n: number
          s: number
          d: number
          lo: number | null
          hi: number | null
          c: number
        }[]
        for (const r of rows) {
          add(
            Number(r.b),
            { n: Number(r.n), sum: Number(r.s), dur: Number(r.d), min: r.lo, max: r.hi },
            Number(r.c),
          )
        }
      }
    }
    const pts: SeriesPoints = result.points
    for (const b of [...buckets.keys()].sort((a, c) => a - c)) {
      const a = buckets.get(b) as Agg
      if (a.n === 0) continue
      const bytes = traffic || q.scope === 'user'
      // Traffic: bytes over the time the readings cover (a server that was unreachable for half
      // the bucket does not halve its rate); per-user rows are sparse, so over the bucket.
      const span = a.dur > 0 ? a.dur / 1000 : Math.max(1, Math.min(bucketMs, this.now() - b)) / 1000
      pts.t.push(b)
      pts.avg.push(bytes ? a.sum / span : a.sum / a.n)
      pts.min.push(a.min)
      pts.max.push(a.max)
      pts.sum.push(bytes ? a.sum : null)
    }
    return result
  }

  /**
   * Splits [from, to) between tiers: `tier` up to its roll-up mark, finer tiers after it (the
   * newest hours and minutes are not rolled up yet).
   */
  private pieces(
    tier: StoredTier,
    from: number,
    to: number,
  ): { tier: StoredTier; res: number; from: number; to: number }[] {
    const hourMark = this.hourMark ?? 0
    const dayMark = this.dayMark ?? 0
    const out: { tier: StoredTier; res: number; from: number; to: number }[] = []
    const push = (t: StoredTier, res: number, a: number, b: number) => {
      if (a < b) out.push({ tier: t, res, from: a, to: b })
    }
    if (tier === '1d') {
      push('1d', DAY, from, Math.min(to, dayMark))
      push('1h', HOUR, Math.max(from, dayMark), Math.min(to, hourMark))
      push('1m', MINUTE, Math.max(from, hourMark), to)
    } else if (tier === '1h') {
      push('1h', HOUR, from, Math.min(to, hourMark))
      push('1m', MINUTE, Math.max(from, hourMark), to)
    } else push('1m', MINUTE, from, to)
    return out
  }

  /**
   * Top users by traffic over [from, to): whole days from the daily tier, whole hours at the
   * edges from the hourly tier, the rest from minutes. Whole days cost 4 lookups per user (running
   * totals). Minutes are kept 48 h: an older edge counts whole hours only (up to an hour less).
   */
  top(q: TopQuery): TopRow[] {
    const db = this.db
    if (!db) return []
    const hourMark = this.hourMark ?? 0
    const dayMark = this.dayMark ?? 0
    const parts: { x: string; from: number; to: number }[] = []
    const split = (from: number, to: number, level: number) => {
      if (from >= to) return
      if (level === 2) return void parts.push({ x: 'm1', from, to })
      const size = level === 0 ? DAY : HOUR
      const mark = level === 0 ? dayMark : hourMark
      const a = Math.ceil(from / size) * size
      const b = Math.min(floorTo(to, size), floorTo(mark, size))
      if (a >= b) return split(from, to, level + 1)
      parts.push({ x: level === 0 ? 'd1' : 'h1', from: a, to: b })
      split(from, a, level + 1)
      split(b, to, level + 1)
    }
    split(q.from, q.to, 0)
    const perSeries = new Map<number, [number, number]>()
    /** Running total of a column at the last daily row before `t` (0 if none). */
    const cumAt = (col: string) =>
      `COALESCE((SELECT x.${col} FROM u_d1 x WHERE x.series = s.id AND x.ts < ?
         ORDER BY x.ts DESC LIMIT 1), 0)`
    for (const p of parts) {
      if (p.x === 'd1') {
        const rows = db
          .prepare(
            `SELECT s.id series, ${cumAt('cum_up')} - ${cumAt('cum_up')} u,
               ${cumAt('cum_down')} - ${cumAt('cum_down')} d
             FROM series s WHERE s.metric = 'traffic' AND (? IS NULL OR s.server = ?)`,
          )
          .all(p.to, p.from, p.to, p.from, q.serverId ?? null, q.serverId ?? null) as {
          series: number
          u: number
          d: number
        }[]
        for (const r of rows) {
          if (!(Number(r.u) > 0) && !(Number(r.d) > 0)) continue
          const acc = getOrAdd(perSeries, Number(r.series), () => [0, 0] as [number, number])
          acc[0] += Number(r.u)
          acc[1] += Number(r.d)
        }
        continue
      }
      // Driven by the series table: each user's rows are one contiguous primary-key range, and
      // the sums come out grouped without a sort (a scan of the ts index would jump around).
      const rows = db
        .prepare(
          `SELECT s.id series, SUM(x.up) u, SUM(x.down) d
           FROM series s CROSS JOIN u_${p.x} x ON x.series = s.id
           WHERE s.metric = 'traffic' AND (? IS NULL OR s.server = ?) AND x.ts >= ? AND x.ts < ?
           GROUP BY s.id`,
        )
        .all(q.serverId ?? null, q.serverId ?? null, p.from, p.to) as {
        series: number
        u: number
        d: number
      }[]
      for (const r of rows) {
        const acc = getOrAdd(perSeries, Number(r.series), () => [0, 0] as [number, number])
        acc[0] += Number(r.u)
        acc[1] += Number(r.d)
      }
    }
    const perUser = new Map<string, TopRow>()
    for (const [id, [up, down]] of perSeries) {
      const server = this.serverOf[id]
      const user = this.userOf[id]
      if (server === undefined || user === undefined) continue
      if (q.serverId !== undefined && server !== q.serverId) continue
      const row = getOrAdd(perUser, user, () => ({
        user,
        up: 0,
        down: 0,
        total: 0,
        servers: 0,
      }))
      row.up += up
      row.down += down
      row.total += up + down
      row.servers++
    }
    return [...perUser.values()]
      .sort((a, b) => b.total - a.total || a.user.localeCompare(b.user))
      .slice(0, q.limit)
  }

  /** State changes in [from, to), oldest first, at most `limit` (the newest kept). */
  events(q: EventsQuery): StateEvent[] {
    const db = this.db
    if (!db) return []
    const rows = db
      .prepare(
        `SELECT server s, ts t, "from", "to", reason FROM events
         WHERE ts >= ? AND ts < ? AND (? IS NULL OR server = ?) ORDER BY ts DESC LIMIT ?`,
      )
      .all(q.from, q.to, q.serverId ?? null, q.serverId ?? null, q.limit) as unknown as {
      s: string
      t: number
      from: string
      to: string
      reason: string | null
    }[]
    return rows.reverse().map((r) => ({ ...r, t: Number(r.t) }))
  }

  /** Writes the open minutes and closes the file. */
  close(): void {
    if (this.db) {
      try {
        this.flushMinutes(true)
      } catch {
        // closing anyway: the open minutes are lost, the file is not
      }
    }
    this.closeQuietly()
  }

  private closeQuietly(): void {
    try {
      this.db?.close()
    } catch {
      // already closed
    }
    this.db = null
  }

  /**
   * Runs database work; a failure marks the store unavailable with the reason instead of
   * throwing into the worker's loop (disk full is retried on the next tick).
   */
  private guard<T>(fn: () => T): T | undefined {
    try {
      const v = fn()
      if (this.state.state !== 'ok' && this.db)
        this.state = { ...this.state, state: 'ok', reason: null }
      return v
    } catch (err) {
      this.fault(err)
      return undefined
    }
  }

  private fault(err: unknown): void {
    const code = sqliteCode(err)
    this.state = { ...this.state, state: 'unavailable', reason: describeDbError(err) }
    // Disk full may pass; anything else (damage, I/O) stops writing until the next start.
    if (code !== SQLITE_FULL) this.closeQuietly()
  }
}

/**
 * The display bucket: the smallest multiple of the tier's resolution with which [from, to)
 * spans at most maxPoints epoch-aligned buckets.
 */
export function bucketFor(from: number, to: number, maxPoints: number, res: number): number {
  const count = (w: number) => Math.floor((to - 1) / w) - Math.floor(from / w) + 1
  let k = Math.max(1, Math.ceil((to - from) / maxPoints / res))
  while (count(k * res) > maxPoints) k++
  return k * res
}

/**
 * One open minute of per-user traffic: byte sums by series id (ids are small consecutive
 * integers: two arrays instead of a map entry and an array per user, at 100k users a few MB
 * less in the worker), and the ids with bytes in the order they came.
 */
interface UserMinute {
  up: Float64Array
  down: Float64Array
  ids: number[]
}

const newUserMinute = (): UserMinute => ({
  up: new Float64Array(1024),
  down: new Float64Array(1024),
  ids: [],
})

/** Adds bytes (both ≥ 0, one > 0) to a series in an open minute. */
function addBytes(m: UserMinute, id: number, up: number, down: number): void {
  if (id >= m.up.length) {
    const size = Math.max(id + 1, m.up.length * 2)
    const grow = (a: Float64Array) => {
      const b = new Float64Array(size)
      b.set(a)
      return b
    }
    m.up = grow(m.up)
    m.down = grow(m.down)
  }
  if (m.up[id] === 0 && m.down[id] === 0) m.ids.push(id)
  m.up[id] = (m.up[id] as number) + up
  m.down[id] = (m.down[id] as number) + down
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key)
  if (v === undefined) {
    v = make()
    map.set(key, v)
  }
  return v
}
