import { z } from 'zod'
import { ServerKindSchema } from './servers'

/**
 * The fleet at a glance (issue 7): per server the live figures the fleet view shows beside its
 * config and health (online users, live rates, traffic, a sparkline), fleet totals, and a search
 * for a user across every server's latest reading. Methods are plain `{input, output}` objects
 * (see bridge.ts: no import cycle with index.ts).
 */

/** Points of a row's sparkline (one per users reading, oldest first). */
export const FLEET_SPARK_POINTS = 40

/** One server's live figures. Unknown is null, never 0 (a value NodeDeck could not read). */
export const FleetRowSchema = z.object({
  serverId: z.string(),
  /** The health state (a HealthState; a string so a new state needs no change here). */
  state: z.string(),
  /** Why the server is not online (or why degraded); null when healthy. */
  reason: z.string().nullable(),
  latencyMs: z.number().nullable(),
  lastCheckAt: z.number().nullable(),
  /** When the users reading these figures come from was taken; null if none ever was. */
  usersAt: z.number().nullable(),
  /** The figures are from an older reading (the last attempt failed, or none came for long). */
  stale: z.boolean(),
  /** Users the server lists (online or not); null when unknown. */
  users: z.number().nullable(),
  /** Users with at least one device online; null when the server does not say. */
  onlineUsers: z.number().nullable(),
  /** Bytes/s summed over the users (client's view); null when unknown (first reading, stale). */
  upRate: z.number().nullable(),
  downRate: z.number().nullable(),
  /** Bytes NodeDeck knows of, summed over the users; null when the kind has no counters. */
  up: z.number().nullable(),
  down: z.number().nullable(),
  /** Total rate (up + down) of the last readings, oldest first; null = unknown at that point. */
  spark: z.array(z.number().nullable()),
})
export type FleetRow = z.infer<typeof FleetRowSchema>

/** Fleet totals: known figures summed, with how many servers they could not include. */
export const FleetTotalsSchema = z.object({
  servers: z.number(),
  /** Servers per health state (only states with at least one server). */
  byState: z.record(z.string(), z.number()),
  onlineUsers: z.number(),
  /** Servers whose online count is unknown (not in `onlineUsers`). */
  onlineUnknown: z.number(),
  upRate: z.number(),
  downRate: z.number(),
  /** Servers whose rates are unknown (not in the rates). */
  rateUnknown: z.number(),
  up: z.number(),
  down: z.number(),
  /** Servers whose traffic is unknown (not in `up`/`down`). */
  trafficUnknown: z.number(),
})
export type FleetTotals = z.infer<typeof FleetTotalsSchema>

/** Every row and the totals (`fleet.summary`). */
export const FleetSummarySchema = z.object({
  at: z.number(),
  rows: z.array(FleetRowSchema),
  totals: FleetTotalsSchema,
})
export type FleetSummary = z.infer<typeof FleetSummarySchema>

/** The `fleet.summary` event: at most about once a second, only the rows that changed. */
export const FleetSummaryDeltaSchema = z.object({
  at: z.number(),
  rows: z.array(FleetRowSchema),
  /** Servers that left the fleet since the last event. */
  removed: z.array(z.string()),
  totals: FleetTotalsSchema,
})
export type FleetSummaryDelta = z.infer<typeof FleetSummaryDeltaSchema>

/** Which of a user's searchable values matched. */
export const UserMatchFieldSchema = z.enum(['name', 'key', 'ip'])
export type UserMatchField = z.infer<typeof UserMatchFieldSchema>

/** Longest search text (a WireGuard key is 44 characters, an IPv6 address at most 45). */
export const USER_SEARCH_MAX = 200

/** One user found by `fleet.searchUsers`. */
export const UserHitSchema = z.object({
  serverId: z.string(),
  serverName: z.string(),
  kind: ServerKindSchema,
  group: z.string(),
  user: z.string(),
  field: UserMatchFieldSchema,
  /** The value that matched (the name, a key, an IP), as the server reported it. */
  value: z.string(),
  /** The user's first key (WireGuard public key, Mu email…), where the poll reads one. */
  key: z.string().nullable(),
  online: z.boolean(),
  devices: z.number().nullable(),
  upRate: z.number().nullable(),
  downRate: z.number().nullable(),
  /** The reading is old (the server's last poll failed). */
  stale: z.boolean(),
})
export type UserHit = z.infer<typeof UserHitSchema>

const ServerId = z.string().min(1).max(64)

/** Methods of the fleet domain (spread into `methods` in index.ts). */
export const fleetMethods = {
  /** Every server's live figures and the fleet totals. */
  'fleet.summary': {
    input: z.union([z.undefined(), z.null()]).transform(() => undefined),
    output: FleetSummarySchema,
  },
  /**
   * Users of every server's latest reading whose name or key contains `query` (any case), or one
   * of whose IPs starts with it. Ordered by server (config order), then the server's user order;
   * `total` counts every match, `hits` is the page `offset`…`offset + limit`.
   */
  'fleet.searchUsers': {
    input: z.object({
      query: z.string().trim().min(1).max(USER_SEARCH_MAX),
      limit: z.number().int().min(1).max(1000),
      offset: z.number().int().min(0).max(10_000_000).optional(),
      /** Only these servers (the fleet view's filters); all when absent. */
      serverIds: z.array(ServerId).max(10_000).optional(),
    }),
    output: z.object({
      query: z.string(),
      total: z.number(),
      offset: z.number(),
      hits: z.array(UserHitSchema),
      /** How long the search took in the core (ms). */
      tookMs: z.number(),
    }),
  },
} as const

/** Events of the fleet domain (spread into `events` in index.ts). */
export const fleetEvents = {
  'fleet.summary': FleetSummaryDeltaSchema,
} as const
