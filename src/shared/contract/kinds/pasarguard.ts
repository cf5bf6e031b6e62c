import { z } from 'zod'
import { AppErrorSchema } from '../errors'

/**
 * PasarGuard node (apis.md §3): protobuf over REST or gRPC, always TLS. Methods are plain
 * `{input, output}` objects: importing `method()` from `../index` would make an import cycle.
 * Byte counters are numbers: the core decodes the node's 64-bit values exactly (Long → bigint)
 * and hands out numbers below 2^53 (8 PiB); a larger value is reported as unknown (null).
 */

const ServerRef = z.object({ serverId: z.string().min(1).max(64) })
const Ok = z.object({ ok: z.literal(true) })

/** How NodeDeck talks to a node: the node runs exactly one (`SERVICE_PROTOCOL`, default grpc). */
export const PG_TRANSPORTS = ['grpc', 'rest'] as const
export const PgTransportSchema = z.enum(PG_TRANSPORTS)
export type PgTransport = z.infer<typeof PgTransportSchema>

/** `BackendType`: XRAY = 0, WIREGUARD = 1. */
export const PG_BACKEND_TYPES = ['xray', 'wireguard'] as const
export const PgBackendTypeSchema = z.enum(PG_BACKEND_TYPES)
export type PgBackendType = z.infer<typeof PgBackendTypeSchema>

/** `BaseInfoResponse` (proto3 omits `false`/`""`: they read as false/""). */
export const PgInfoSchema = z.object({
  started: z.boolean(),
  coreVersion: z.string(),
  nodeVersion: z.string(),
})
export type PgInfo = z.infer<typeof PgInfoSchema>

/**
 * Where the node's core is:
 * - `running`: a backend exists and its core runs;
 * - `stopped`: a backend exists but its core is not running (`503 core is not started yet`);
 * - `no_backend`: no backend (never started, stopped, or dropped by the keep-alive watchdog:
 *   `500 backend not initialized`).
 */
export const PgCoreStateSchema = z.enum(['running', 'stopped', 'no_backend'])
export type PgCoreState = z.infer<typeof PgCoreStateSchema>

/** `SystemStatsResponse`, in plain units. Zeros before the first 1.5 s sample after /start. */
export const PgSystemStatsSchema = z.object({
  memTotal: z.number().nullable(),
  memUsed: z.number().nullable(),
  cpuCores: z.number().nullable(),
  /** Percent, 0–100 (per the node's gopsutil sample). */
  cpuUsage: z.number(),
  /** Bytes per second arriving at the node. */
  incomingBps: z.number().nullable(),
  /** Bytes per second leaving the node. */
  outgoingBps: z.number().nullable(),
  /** Seconds; null when the node is older than the field (proto3 0 = not sent). */
  uptimeSec: z.number().nullable(),
})
export type PgSystemStats = z.infer<typeof PgSystemStatsSchema>

/** `BackendStatsResponse`: the Go runtime of the core's process. */
export const PgBackendStatsSchema = z.object({
  numGoroutine: z.number(),
  numGc: z.number(),
  alloc: z.number().nullable(),
  totalAlloc: z.number().nullable(),
  sys: z.number().nullable(),
  mallocs: z.number().nullable(),
  frees: z.number().nullable(),
  liveObjects: z.number().nullable(),
  pauseTotalNs: z.number().nullable(),
  uptimeSec: z.number(),
})
export type PgBackendStats = z.infer<typeof PgBackendStatsSchema>

/** One system-stats sample kept by the core for the overview charts (last 10 minutes). */
export const PgSystemSampleSchema = z.object({
  at: z.number(),
  cpuUsage: z.number(),
  memUsed: z.number().nullable(),
  incomingBps: z.number().nullable(),
  outgoingBps: z.number().nullable(),
})
export type PgSystemSample = z.infer<typeof PgSystemSampleSchema>

/** The overview of a node: base info, core state, system and backend stats. */
export const PgOverviewSchema = z.object({
  serverId: z.string(),
  at: z.number(),
  transport: PgTransportSchema,
  info: PgInfoSchema,
  core: PgCoreStateSchema,
  /** The node's own words when the core is not running (e.g. `core is not started yet`). */
  coreMessage: z.string().nullable(),
  /** Null when the core is not running or the read failed (see `errors`). */
  system: PgSystemStatsSchema.nullable(),
  backend: PgBackendStatsSchema.nullable(),
  /** Samples of system stats the core took (oldest first), for the live charts. */
  history: z.array(PgSystemSampleSchema),
  /** Parts that could not be read while the node answered. */
  errors: z.array(AppErrorSchema),
  /**
   * The backend NodeDeck started in this session (the node does not report it): type and
   * keep-alive seconds; null when not started from here.
   */
  started: z
    .object({
      at: z.number(),
      type: PgBackendTypeSchema,
      keepAliveSec: z.number(),
      excludeInbounds: z.array(z.string()),
    })
    .nullable(),
  /** Seconds between the monitor's polls of this server (each one resets the keep-alive). */
  pollIntervalSec: z.number(),
})
export type PgOverview = z.infer<typeof PgOverviewSchema>

const Email = z.string().trim().min(1).max(512)
const ProxySecret = z.string().max(1024)

/** A user as the node takes it (`User`): email, proxy settings, inbound tags. */
export const PgUserSchema = z.object({
  email: Email,
  inbounds: z.array(z.string().min(1).max(256)).max(1000).default([]),
  proxies: z
    .object({
      vmess: z.object({ id: ProxySecret }).optional(),
      vless: z.object({ id: ProxySecret, flow: z.string().max(256).default('') }).optional(),
      trojan: z.object({ password: ProxySecret }).optional(),
      shadowsocks: z
        .object({ password: ProxySecret, method: z.string().max(128).default('') })
        .optional(),
      wireguard: z
        .object({
          publicKey: z.string().max(256),
          peerIps: z.array(z.string().max(64)).max(256).default([]),
        })
        .optional(),
      hysteria: z.object({ auth: ProxySecret }).optional(),
    })
    .default({}),
})
export type PgUser = z.infer<typeof PgUserSchema>
export type PgUserInput = z.input<typeof PgUserSchema>

/** Most users one `pasarguard.syncUsers` call takes. */
export const PG_MAX_SYNC_USERS = 200_000

/** What "Start" sends (`Backend`). */
export const PgStartDraftSchema = z.object({
  type: PgBackendTypeSchema,
  /** Xray: JSON text (checked before sending); WireGuard: the node's config text. */
  config: z.string().max(8 * 1024 * 1024),
  /** 0 = off; else the node stops its core when no 2xx request came for this many seconds. */
  keepAliveSec: z
    .number()
    .int()
    .min(0)
    .max(7 * 86400),
  excludeInbounds: z.array(z.string().min(1).max(256)).max(1000).default([]),
  users: z.array(PgUserSchema).max(PG_MAX_SYNC_USERS).default([]),
})
export type PgStartDraft = z.infer<typeof PgStartDraftSchema>
export type PgStartDraftInput = z.input<typeof PgStartDraftSchema>

/** One traffic counter pair (uplink/downlink) of a user, inbound or outbound. */
export const PgTrafficRowSchema = z.object({
  name: z.string(),
  /** `traffic` (xray), the peer's public key (WireGuard users), `interface` (WireGuard outbound). */
  link: z.string(),
  /** Bytes from the client's side: uplink = sent by clients. Null = unknown. */
  up: z.number().nullable(),
  down: z.number().nullable(),
  upRate: z.number().nullable(),
  downRate: z.number().nullable(),
  /** The counter went backwards (reset on the node or by another reader): no rate this time. */
  reset: z.boolean(),
})
export type PgTrafficRow = z.infer<typeof PgTrafficRowSchema>

/** One table of the Traffic view. */
export const PgTrafficTableSchema = z.object({
  rows: z.array(PgTrafficRowSchema),
  /** The table could not be read this time (rows are the last good ones, or empty). */
  error: AppErrorSchema.nullable(),
  /** When these rows were read; null if never. */
  at: z.number().nullable(),
})
export type PgTrafficTable = z.infer<typeof PgTrafficTableSchema>

/** `pasarguard.traffic`: inbound and outbound counters (users are in `users.list`). */
export const PgTrafficSchema = z.object({
  serverId: z.string(),
  at: z.number(),
  inbounds: PgTrafficTableSchema,
  outbounds: PgTrafficTableSchema,
  /** Counters are read with reset=true (deltas summed by NodeDeck since `countingSince`). */
  clearOnRead: z.boolean(),
  countingSince: z.number().nullable(),
})
export type PgTraffic = z.infer<typeof PgTrafficSchema>

/** `Latency` of one outbound. */
export const PgLatencySchema = z.object({
  name: z.string(),
  alive: z.boolean(),
  delayMs: z.number().nullable(),
  link: z.string(),
  /** Epoch ms; null when never. */
  lastSeenAt: z.number().nullable(),
  lastTryAt: z.number().nullable(),
  source: z.string(),
})
export type PgLatency = z.infer<typeof PgLatencySchema>

/** Online state of one user: xray's online counter (WireGuard: 0/1) and the IPs seen. */
export const PgOnlineSchema = z.object({
  email: z.string(),
  /** Null when the node does not know the user (404) or the read failed. */
  online: z.number().nullable(),
  /** IP → last seen (epoch ms, converted from the node's unix seconds). */
  ips: z.array(z.object({ ip: z.string(), lastSeenAt: z.number().nullable() })),
  error: AppErrorSchema.nullable(),
})
export type PgOnline = z.infer<typeof PgOnlineSchema>

/** How a user set is synced: `replace` = SyncUsers (restarts xray); `chunked` = SyncUsersChunked. */
export const PgSyncModeSchema = z.enum(['replace', 'chunked'])
export type PgSyncMode = z.infer<typeof PgSyncModeSchema>

/** Result of a full-set sync. */
export const PgSyncResultSchema = z.object({
  users: z.number(),
  chunks: z.number(),
  bytes: z.number(),
  elapsedMs: z.number(),
  /** The node restarts its core for this sync (replace, or chunked with more than 100 users). */
  coreRestarted: z.boolean(),
})
export type PgSyncResult = z.infer<typeof PgSyncResultSchema>

/** Event `pasarguard.syncProgress`: sent while a full-set sync runs. */
export const PgSyncProgressSchema = z.object({
  serverId: z.string(),
  jobId: z.string(),
  sentUsers: z.number(),
  totalUsers: z.number(),
  sentChunks: z.number(),
  totalChunks: z.number(),
  done: z.boolean(),
  error: AppErrorSchema.nullable(),
})
export type PgSyncProgress = z.infer<typeof PgSyncProgressSchema>

/** The PasarGuard methods of the contract. */
export const pasarguardMethods = {
  /** Base info, core state, system and backend stats (records a chart sample). */
  'pasarguard.overview': { input: ServerRef, output: PgOverviewSchema },
  /** Starts the backend (a running one is stopped first by the node). */
  'pasarguard.start': {
    input: ServerRef.extend({ draft: PgStartDraftSchema }),
    output: PgInfoSchema,
  },
  /** Stops the backend (the node forgets it). */
  'pasarguard.stop': { input: ServerRef, output: Ok },
  'pasarguard.traffic': { input: ServerRef, output: PgTrafficSchema },
  'pasarguard.latency': { input: ServerRef, output: z.array(PgLatencySchema) },
  'pasarguard.online': {
    input: ServerRef.extend({ emails: z.array(Email).min(1).max(500) }),
    output: z.array(PgOnlineSchema),
  },
  /** Adds, updates (or with no inbounds removes) one user, live. */
  'pasarguard.syncUser': { input: ServerRef.extend({ user: PgUserSchema }), output: Ok },
  /** Replaces the node's whole user set; progress as `pasarguard.syncProgress` events. */
  'pasarguard.syncUsers': {
    input: ServerRef.extend({
      users: z.array(PgUserSchema).max(PG_MAX_SYNC_USERS),
      mode: PgSyncModeSchema,
      chunkSize: z.number().int().min(1).max(10_000).default(1000),
      jobId: z.string().min(1).max(64),
    }),
    output: PgSyncResultSchema,
  },
} as const

/** The PasarGuard events of the contract. */
export const pasarguardEvents = {
  'pasarguard.syncProgress': PgSyncProgressSchema,
} as const
