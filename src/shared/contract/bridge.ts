import { z } from 'zod'
import { AppErrorSchema } from './errors'

/**
 * The traffic bridge (issue 6): per (source server, Mu API panel, node id), per-user traffic read
 * from a Hysteria 2 or HY2 SCALE server is reported to an ss-panel's Mu API v2 in one batch per
 * interval, plus the node's online count. Deltas are journaled before a report and acknowledged
 * after the panel's success, so no byte is reported twice or lost (see `core/bridge/journal.ts`).
 * Methods are plain `{input, output}` objects (see kinds/pasarguard.ts: no import cycle).
 */

const Ok = z.object({ ok: z.literal(true) })
/** A bridge's id. */
export const BridgeIdSchema = z.string().min(1).max(64)
const ServerId = z.string().min(1).max(64)
/** A panel node id (`ss_node.id`). */
export const BridgeNodeIdSchema = z.number().int().min(1).max(2_147_483_647)

/**
 * How a source user name finds its panel user: `id` = the name is the panel user's id (decimal),
 * `email` = the name equals the user's email (case-insensitive), `port` = the name is the user's
 * Shadowsocks port.
 */
export const BRIDGE_RULES = ['id', 'email', 'port'] as const
export const BridgeRuleSchema = z.enum(BRIDGE_RULES)
export type BridgeRule = z.infer<typeof BridgeRuleSchema>

/** Seconds between two reports. */
export const BRIDGE_INTERVAL = { min: 10, max: 3600, default: 60 } as const
/** Seconds to wait after a report whose answer was lost before reading the panel to verify it. */
export const BRIDGE_SETTLE = { min: 0, max: 3600, default: 60 } as const

/**
 * Where a new bridge starts counting: `source_start` = everything the source has counted since it
 * started (the node's traffic so far was never reported to this panel), `now` = only what the
 * source counts after the bridge's first reading (the earlier traffic was reported by something
 * else). Chosen once: it only matters for a bridge's first reading.
 */
export const BridgeStartFromSchema = z.enum(['source_start', 'now'])
export type BridgeStartFrom = z.infer<typeof BridgeStartFromSchema>

/** The settings an admin chooses (what the add dialog and `bridges.update` send). */
const bridgeSettings = {
  /** Display name; empty = made from the servers' names and the node id. */
  name: z.string().trim().max(100),
  nodeId: BridgeNodeIdSchema,
  rule: BridgeRuleSchema,
  intervalSec: z.number().int().min(BRIDGE_INTERVAL.min).max(BRIDGE_INTERVAL.max),
  /** Also report the number of source users online now (`POST /nodes/{id}/online_count`). */
  reportOnline: z.boolean(),
  /**
   * The node's `traffic_rate` in the panel. The panel multiplies every report by it, and the Mu
   * API cannot read it: the bridge needs it only to verify a report whose answer was lost (did the
   * user's counters rise by bytes × rate?). It never changes what is sent.
   */
  trafficRate: z.number().positive().max(1000),
  /**
   * How long to wait after a report whose answer was lost before checking the panel: a slow panel
   * may still be applying it (PHP keeps running after the client gave up).
   */
  settleSec: z.number().int().min(BRIDGE_SETTLE.min).max(BRIDGE_SETTLE.max),
  /** The app runs it in the background (the CLI's `bridge run` runs it regardless). */
  enabled: z.boolean(),
}

/** A new bridge. Source and panel are fixed for its life (its journal belongs to that pair). */
export const BridgeDraftSchema = z.object({
  sourceId: ServerId,
  panelId: ServerId,
  name: bridgeSettings.name.default(''),
  nodeId: bridgeSettings.nodeId,
  rule: bridgeSettings.rule.default('id'),
  intervalSec: bridgeSettings.intervalSec.default(BRIDGE_INTERVAL.default),
  reportOnline: bridgeSettings.reportOnline.default(true),
  trafficRate: bridgeSettings.trafficRate.default(1),
  settleSec: bridgeSettings.settleSec.default(BRIDGE_SETTLE.default),
  enabled: bridgeSettings.enabled.default(true),
  startFrom: BridgeStartFromSchema.default('source_start'),
})
export type BridgeDraft = z.input<typeof BridgeDraftSchema>

/** A change to a bridge's settings: only the keys given change. */
export const BridgePatchSchema = z.object({
  name: bridgeSettings.name.optional(),
  nodeId: bridgeSettings.nodeId.optional(),
  rule: bridgeSettings.rule.optional(),
  intervalSec: bridgeSettings.intervalSec.optional(),
  reportOnline: bridgeSettings.reportOnline.optional(),
  trafficRate: bridgeSettings.trafficRate.optional(),
  settleSec: bridgeSettings.settleSec.optional(),
  enabled: bridgeSettings.enabled.optional(),
})
export type BridgePatch = z.infer<typeof BridgePatchSchema>

/** A bridge as stored in config.json (`bridges`); no secrets. */
export const BridgeConfigSchema = z.object({
  id: BridgeIdSchema,
  sourceId: ServerId,
  panelId: ServerId,
  name: z.string().trim().min(1).max(200),
  nodeId: bridgeSettings.nodeId,
  rule: bridgeSettings.rule,
  intervalSec: bridgeSettings.intervalSec,
  reportOnline: bridgeSettings.reportOnline,
  trafficRate: bridgeSettings.trafficRate,
  settleSec: bridgeSettings.settleSec.default(BRIDGE_SETTLE.default),
  enabled: bridgeSettings.enabled,
  startFrom: BridgeStartFromSchema.default('source_start'),
  createdAt: z.number(),
})
export type BridgeConfig = z.infer<typeof BridgeConfigSchema>

/**
 * - `idle`: runs, waiting for its next report;
 * - `running`: a report (read, journal, send) is under way;
 * - `paused`: disabled by the admin;
 * - `error`: the last attempt failed; retried with backoff (source readings are still journaled);
 * - `needs_attention`: a report whose answer was lost could not be verified from the panel's
 *   counters; nothing more is sent until an admin decides (`bridges.resolve`);
 * - `stopped`: not running in this process (another process runs it, or it was stopped).
 */
export const BRIDGE_STATES = [
  'idle',
  'running',
  'paused',
  'error',
  'needs_attention',
  'stopped',
] as const
export const BridgeStateSchema = z.enum(BRIDGE_STATES)
export type BridgeState = z.infer<typeof BridgeStateSchema>

/** Bytes as the panel counts them: `u` = client upload, `d` = client download. */
const Bytes = z.object({ u: z.number(), d: z.number() })
const UsersBytes = z.object({ users: z.number(), u: z.number(), d: z.number() })

/** One item of a batch waiting for a decision, with the panel's counters before and now. */
export const BridgeAttentionItemSchema = z.object({
  userId: z.number(),
  u: z.number(),
  d: z.number(),
  before: Bytes.nullable(),
  after: Bytes.nullable(),
  verdict: z.enum(['applied', 'unchanged', 'either', 'unclear']),
})

/** A bridge's state, for the UI and the CLI. Unknown values are null, never 0. */
export const BridgeStatusSchema = z.object({
  bridgeId: BridgeIdSchema,
  state: BridgeStateSchema,
  /** Since when the state holds (epoch ms). */
  since: z.number(),
  /** The last successful source reading. */
  lastReadAt: z.number().nullable(),
  /** The last report the panel accepted. */
  lastReportAt: z.number().nullable(),
  lastReport: z
    .object({
      batchId: z.number(),
      users: z.number(),
      u: z.number(),
      d: z.number(),
      at: z.number(),
    })
    .nullable(),
  nextRunAt: z.number().nullable(),
  /** What failed last (serverId = the server at fault) and what to do; null when all is well. */
  error: AppErrorSchema.nullable(),
  /** Journaled, not yet sent. */
  pending: UsersBytes,
  /** Source users without a panel user (kept, reported once they map). */
  unmatched: z.array(z.object({ name: z.string(), u: z.number(), d: z.number() })),
  /** The batch sent or being sent whose acknowledgement is outstanding. */
  inflight: z
    .object({
      id: z.number(),
      attempts: z.number(),
      outcome: z.enum(['sending', 'unknown']),
      users: z.number(),
      u: z.number(),
      d: z.number(),
    })
    .nullable(),
  /** Everything the panel acknowledged, raw bytes (before the node's rate). */
  acked: Bytes,
  online: z.object({
    count: z.number().nullable(),
    at: z.number().nullable(),
    error: AppErrorSchema.nullable(),
  }),
  /** Set in `needs_attention`: why, and the numbers of each item. */
  attention: z
    .object({
      batchId: z.number(),
      at: z.string(),
      reason: z.string(),
      items: z.array(BridgeAttentionItemSchema),
    })
    .nullable(),
  /** A batch whose answer was lost is verified against the panel no earlier than this. */
  verifyAfter: z.number().nullable(),
  /** The process that runs the bridge, when known (this one or another). */
  runner: z.object({ pid: z.number(), owner: z.string(), self: z.boolean() }).nullable(),
})
export type BridgeStatus = z.infer<typeof BridgeStatusSchema>

/** A bridge with its state. */
export const BridgeViewSchema = z.object({ config: BridgeConfigSchema, status: BridgeStatusSchema })
export type BridgeView = z.infer<typeof BridgeViewSchema>

/** What a rule makes of the current users, before a bridge is saved. */
export const BridgePreviewSchema = z.object({
  sourceUsers: z.number(),
  panelUsers: z.number(),
  /** Where the panel users came from: the node's list, or every user (panel without that route). */
  panelList: z.enum(['node', 'all']),
  matched: z.array(
    z.object({
      name: z.string(),
      userId: z.number(),
      email: z.string().nullable(),
      port: z.number().nullable(),
    }),
  ),
  /** Source names without a panel user (their bytes wait in the journal). */
  unmatched: z.array(z.string()),
  /** Several source names on one panel user: allowed, their bytes add up. */
  duplicates: z.array(z.object({ userId: z.number(), names: z.array(z.string()) })),
  /** Source names the rule finds more than one panel user for: never guessed, kept unmatched. */
  ambiguous: z.array(z.object({ name: z.string(), userIds: z.array(z.number()) })),
})
export type BridgePreview = z.infer<typeof BridgePreviewSchema>

/** The bridge methods of the contract. */
export const bridgeMethods = {
  'bridges.list': {
    input: z.union([z.undefined(), z.null()]).transform(() => undefined),
    output: z.array(BridgeViewSchema),
  },
  /** Saves a new bridge (started at once when enabled and the core runs in the background). */
  'bridges.add': {
    input: z.object({ draft: BridgeDraftSchema }),
    output: z.object({ id: z.string() }),
  },
  /** Changes settings; source and panel are fixed (a bridge's journal belongs to that pair). */
  'bridges.update': {
    input: z.object({ id: BridgeIdSchema, patch: BridgePatchSchema }),
    output: BridgeViewSchema,
  },
  /**
   * Removes a bridge and its journal. A journal still holding bytes (pending, unmatched or a
   * batch in flight) is kept and the removal refused unless `force` (those bytes are then never
   * reported).
   */
  'bridges.remove': {
    input: z.object({ id: BridgeIdSchema, force: z.boolean().default(false) }),
    output: Ok,
  },
  /** What a rule makes of the users now (source and panel are read; nothing is sent). */
  'bridges.preview': {
    input: z.object({
      sourceId: ServerId,
      panelId: ServerId,
      nodeId: BridgeNodeIdSchema,
      rule: BridgeRuleSchema,
    }),
    output: BridgePreviewSchema,
  },
  /** Runs one report now (and waits for it); a bridge not running here runs once. */
  'bridges.runNow': { input: z.object({ id: BridgeIdSchema }), output: BridgeStatusSchema },
  'bridges.setEnabled': {
    input: z.object({ id: BridgeIdSchema, enabled: z.boolean() }),
    output: BridgeStatusSchema,
  },
  /**
   * The admin's decision on a batch in `needs_attention`: `applied` = the panel counted it (it is
   * acknowledged, never sent again), `resend` = it did not (sent again as is).
   */
  'bridges.resolve': {
    input: z.object({ id: BridgeIdSchema, decision: z.enum(['applied', 'resend']) }),
    output: BridgeStatusSchema,
  },
} as const

/** The bridge events of the contract. */
export const bridgeEvents = {
  /** The status of one bridge, whenever it changes. */
  'bridges.status': BridgeStatusSchema,
} as const
