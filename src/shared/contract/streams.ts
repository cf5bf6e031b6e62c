import { z } from 'zod'
import { AppErrorSchema } from './errors'

/** Where a live stream of a server is (design.md §2.4). */
export const StreamStatusSchema = z.enum(['connecting', 'live', 'reconnecting', 'failed'])
export type StreamStatus = z.infer<typeof StreamStatusSchema>

/** The state of one upstream stream as the UI sees it. Never holds a token (URLs are redacted). */
export const StreamStateSchema = z.object({
  status: StreamStatusSchema,
  /** The last error (kept while reconnecting, null once live again). */
  error: AppErrorSchema.nullable(),
  /** When the next connect attempt starts (epoch ms), while `reconnecting`. */
  nextRetryAt: z.number().nullable(),
  /** When this status was entered (epoch ms). */
  since: z.number(),
})
export type StreamState = z.infer<typeof StreamStateSchema>

/** A stream's name within its server, e.g. `graph-layout`, `upgrade`. */
export const StreamNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, 'A stream name: lower-case letters, digits and dashes.')

/** `streams.watch` / `streams.unwatch` input. */
export const StreamRefSchema = z.object({
  serverId: z.string().min(1).max(64),
  stream: StreamNameSchema,
})
export type StreamRef = z.infer<typeof StreamRefSchema>

/**
 * Event `stream.batch`: frames of one stream since the last batch (oldest first; the first batch
 * after `streams.watch` holds the replay, e.g. the snapshot), sent only to connections watching it.
 */
export const StreamBatchSchema = z.object({
  serverId: z.string(),
  stream: z.string(),
  /** Each frame's data, parsed as JSON (HY2 SCALE: `data: <json>` frames). */
  frames: z.array(z.unknown()),
  /** The upstream's state: in the first batch, then whenever it changed. */
  state: StreamStateSchema.optional(),
  /** Frames dropped for this connection since its last batch (it was too slow). */
  dropped: z.number().int().min(0),
})
export type StreamBatch = z.infer<typeof StreamBatchSchema>
