import { z } from 'zod'

/**
 * History (issue 7): readings kept in SQLite by the core — raw polls for the last hour (memory),
 * 1-minute buckets for 48 h, 1-hour buckets for 400 days, 1-day buckets forever. Methods are plain
 * `{input, output}` objects (see kinds/pasarguard.ts: no import cycle with index.ts).
 */

/** Most points one query may ask for (a chart asks for its width in pixels). */
export const HISTORY_MAX_POINTS = 5_000
/** Most rows of a top list and of a state-change list. */
export const HISTORY_MAX_ROWS = 1_000
/** Oldest time a query may name: 2000-01-01 (guards against seconds passed as ms). */
const EPOCH_MIN = 946_684_800_000
/** Latest: a year from now would do, but a fixed bound keeps the schema pure. */
const EPOCH_MAX = 4_102_444_800_000

const Time = z.number().int().min(EPOCH_MIN).max(EPOCH_MAX)
const ServerId = z.string().min(1).max(64)

/** A time range [from, to) in ms since the epoch; `to` after `from`. */
const Range = z.object({ from: Time, to: Time })
const rangeOk = (r: { from: number; to: number }) => r.to > r.from

export const HistoryMetricSchema = z.enum(['latency', 'online', 'up', 'down'])
export type HistoryMetric = z.infer<typeof HistoryMetricSchema>

export const HistoryTierSchema = z.enum(['raw', '1m', '1h', '1d'])
export type HistoryTier = z.infer<typeof HistoryTierSchema>

/**
 * One chart's question: `server` (serverId required), `user` (user required; serverId narrows it
 * to one server, else the user's traffic on every server is summed; up/down only), or `fleet`
 * (every server summed; no latency).
 */
export const HistorySeriesInputSchema = Range.extend({
  scope: z.enum(['server', 'user', 'fleet']),
  serverId: ServerId.optional(),
  user: z.string().min(1).max(512).optional(),
  metric: HistoryMetricSchema,
  maxPoints: z.number().int().min(2).max(HISTORY_MAX_POINTS),
})
  .refine(rangeOk, { message: '"to" must be after "from".', path: ['to'] })
  .refine((q) => q.scope !== 'server' || q.serverId !== undefined, {
    message: 'A server series needs a serverId.',
    path: ['serverId'],
  })
  .refine(
    (q) =>
      q.scope !== 'user' ||
      (q.user !== undefined && q.metric !== 'latency' && q.metric !== 'online'),
    {
      message: 'A user series needs a user and is up or down traffic.',
      path: ['user'],
    },
  )
  .refine((q) => q.scope !== 'fleet' || q.metric !== 'latency', {
    message: 'The fleet has no latency series.',
    path: ['metric'],
  })
export type HistorySeriesInput = z.infer<typeof HistorySeriesInputSchema>

/**
 * Buckets in columns; only buckets that hold data are listed. `avg`: the average (traffic: bytes
 * per second over the bucket), `min`/`max`: the lowest and highest reading inside it (traffic:
 * poll rates), so spikes survive coarse buckets; `sum`: bytes in the bucket (traffic, not raw).
 */
export const HistorySeriesSchema = z.object({
  tier: HistoryTierSchema,
  bucketMs: z.number(),
  /** Points further apart than this are drawn with a gap between them. */
  stepMs: z.number(),
  /** An unlisted bucket is a gap (nothing known) or zero (per-user traffic is sparse). */
  missing: z.enum(['gap', 'zero']),
  unit: z.enum(['ms', 'users', 'bytes/s']),
  points: z.object({
    t: z.array(z.number()),
    avg: z.array(z.number()),
    min: z.array(z.number().nullable()),
    max: z.array(z.number().nullable()),
    sum: z.array(z.number().nullable()),
  }),
})
export type HistorySeries = z.infer<typeof HistorySeriesSchema>

export const HistoryTopRowSchema = z.object({
  user: z.string(),
  up: z.number(),
  down: z.number(),
  total: z.number(),
  /** On how many servers the user had traffic in the range. */
  servers: z.number(),
})
export type HistoryTopRow = z.infer<typeof HistoryTopRowSchema>

export const HistoryEventSchema = z.object({
  /** Server id. */
  s: z.string(),
  t: z.number(),
  /** Health states as strings: a state added later still reads back. */
  from: z.string(),
  to: z.string(),
  reason: z.string().nullable(),
})
export type HistoryEvent = z.infer<typeof HistoryEventSchema>

export const HistoryStatusSchema = z.object({
  /** `off`: not recorded in this mode (CLI one-shot commands). */
  state: z.enum(['ok', 'starting', 'unavailable', 'off']),
  reason: z.string().nullable(),
  file: z.string(),
  /** A damaged database found at start was renamed to this; a new one was started. */
  movedAside: z.string().nullable(),
  sizeBytes: z.number().nullable(),
  rows: z.record(z.string(), z.number()),
})
export type HistoryStatus = z.infer<typeof HistoryStatusSchema>

export const historyMethods = {
  /** One chart series at the finest tier that fits `maxPoints` buckets. */
  'history.series': { input: HistorySeriesInputSchema, output: HistorySeriesSchema },
  /** Users with the most traffic over the range (all servers, or one). */
  'history.top': {
    input: Range.extend({
      limit: z.number().int().min(1).max(HISTORY_MAX_ROWS).default(50),
      serverId: ServerId.optional(),
    }).refine(rangeOk, { message: '"to" must be after "from".', path: ['to'] }),
    output: z.array(HistoryTopRowSchema),
  },
  /** Health state changes over the range, oldest first (the newest `limit`). */
  'history.events': {
    input: Range.extend({
      serverId: ServerId.optional(),
      limit: z.number().int().min(1).max(HISTORY_MAX_ROWS).default(500),
    }).refine(rangeOk, { message: '"to" must be after "from".', path: ['to'] }),
    output: z.array(HistoryEventSchema),
  },
  'history.status': {
    input: z.union([z.undefined(), z.null()]).transform(() => undefined),
    output: HistoryStatusSchema,
  },
} as const
