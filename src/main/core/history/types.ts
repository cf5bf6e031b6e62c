/**
 * Messages and shapes shared by the history host (main thread) and its worker. Plain data only:
 * everything here crosses `postMessage` (structured clone).
 */

/** Metrics of a server (and of the fleet, except latency). */
export type ServerMetric = 'latency' | 'online' | 'up' | 'down'

/** The stored tiers, finest first; `raw` lives in the main thread's memory only. */
export type Tier = 'raw' | '1m' | '1h' | '1d'

/** Server id of the fleet-wide series (no real server id contains `*`: they are UUIDs). */
export const FLEET = '*'

/**
 * One reading of a server metric. Gauges (`latency`, `online`): `v` is the value. Traffic (`up`,
 * `down`): `v` is the byte delta since the previous reading (never negative) and `r` the rate
 * over that interval in bytes/s (null when the interval is unknown).
 */
export interface MetricSample {
  s: string
  m: ServerMetric
  t: number
  v: number
  r: number | null
  /** Traffic: the interval the delta covers (ms), so an average rate is bytes / time covered. */
  d?: number
}

/**
 * Per-user bytes of one server over one minute (`t` = the minute's start), summed on the main
 * thread from its readings; only users with bytes in the minute are listed (100k users must stay
 * small: one entry per server per minute, not per poll).
 */
export interface UserDeltas {
  s: string
  t: number
  names: string[]
  up: number[]
  down: number[]
}

/** A health state change of a server. */
export interface StateEvent {
  s: string
  t: number
  from: string
  to: string
  reason: string | null
}

/** What the main thread sends about once a second. */
export interface IngestBatch {
  samples: MetricSample[]
  users: UserDeltas[]
  events: StateEvent[]
}

/** A `history.series` question as the store answers it (validated by the contract first). */
export interface SeriesQuery {
  scope: 'server' | 'user' | 'fleet'
  serverId?: string
  user?: string
  metric: ServerMetric
  from: number
  to: number
  maxPoints: number
}

/** Buckets in columns (compact over the wire); only buckets that hold data are listed. */
export interface SeriesPoints {
  t: number[]
  avg: number[]
  min: (number | null)[]
  max: (number | null)[]
  /** Bytes in the bucket (traffic); null for gauges and for the raw tier. */
  sum: (number | null)[]
}

/** The answer to a series question. */
export interface SeriesResult {
  tier: Tier
  /** Width of one bucket (ms); buckets start at multiples of it. */
  bucketMs: number
  /** Expected distance between two points: a larger one is drawn as a gap. */
  stepMs: number
  /**
   * What a bucket that is not listed means: `gap` (nothing known) or `zero` (per-user traffic
   * is stored sparsely: a user without traffic in a bucket has no row).
   */
  missing: 'gap' | 'zero'
  /** Traffic: `avg`/`min`/`max` are rates in bytes/s; gauges: the metric's unit. */
  unit: 'ms' | 'users' | 'bytes/s'
  points: SeriesPoints
}

/** A `history.top` question. */
export interface TopQuery {
  from: number
  to: number
  limit: number
  serverId?: string
}

/** One user of the top list; `servers` counts the servers the traffic went through. */
export interface TopRow {
  user: string
  up: number
  down: number
  total: number
  servers: number
}

/** A `history.events` question. */
export interface EventsQuery {
  serverId?: string
  from: number
  to: number
  limit: number
}

/** What the store can say about itself. */
export interface StoreStatus {
  state: 'ok' | 'unavailable'
  reason: string | null
  file: string
  /** Set when a damaged file was moved aside at start (its new name). */
  movedAside: string | null
  sizeBytes: number | null
  rows: Record<string, number>
}

/** Main thread → worker. */
export type WorkerRequest =
  | { id: number; op: 'series'; q: SeriesQuery }
  | { id: number; op: 'top'; q: TopQuery }
  | { id: number; op: 'events'; q: EventsQuery }
  | { id: number; op: 'status' }
  | { id: number; op: 'close' }
  | { id: 0; op: 'ingest'; batch: IngestBatch }

/** Worker → main thread. */
export type WorkerReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: string }
  | { id: 0; status: StoreStatus }
