import { z } from 'zod'
import { SERVER_KINDS } from '../kinds'
import { AppErrorSchema } from './errors'

/** The kinds, as a schema. */
export const ServerKindSchema = z.enum(SERVER_KINDS)

/** An http(s) base URL without credentials, query or fragment. */
export const BaseUrlSchema = z
  .string()
  .trim()
  .min(1)
  .max(2048)
  .refine(
    (v) => {
      try {
        const u = new URL(v)
        return (
          (u.protocol === 'http:' || u.protocol === 'https:') &&
          u.username === '' &&
          u.password === '' &&
          u.search === '' &&
          u.hash === ''
        )
      } catch {
        return false
      }
    },
    { message: 'Enter an http:// or https:// address without user name, password, query or #.' },
  )

/** TLS options for https servers: a CA to trust, or a pinned certificate fingerprint. */
export const TlsOptionsSchema = z.object({
  caPem: z.string().max(65536).optional(),
  fingerprintSha256: z
    .string()
    .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, 'A SHA-256 fingerprint has 32 hex bytes.')
    .optional(),
})

/**
 * The certificate a TLS server presented to a handshake that sent nothing else (no request, no
 * key): what the add dialog shows for trust on first use.
 */
export const TlsCertInfoSchema = z.object({
  /** Upper-case colon-separated SHA-256 of the leaf certificate (DER). */
  fingerprintSha256: z.string(),
  subject: z.string(),
  issuer: z.string(),
  /** e.g. `DNS:localhost, IP Address:127.0.0.1`; '' when absent. */
  subjectAltName: z.string(),
  validFrom: z.string(),
  validTo: z.string(),
  /** Days until `validTo` (negative when expired). */
  daysLeft: z.number(),
  selfSigned: z.boolean(),
  /** The system's CA store trusts it for this host name (then no pin or CA is needed). */
  trustedBySystem: z.boolean(),
  /** Why the system store does not trust it (OpenSSL's code, e.g. DEPTH_ZERO_SELF_SIGNED_CERT). */
  systemError: z.string().nullable(),
  /** The leaf certificate as PEM (public). */
  pem: z.string(),
  /** ALPN protocol the server chose when offered h2 and http/1.1 (`h2`, `http/1.1`, or null). */
  alpn: z.string().nullable(),
})
export type TlsCertInfo = z.infer<typeof TlsCertInfoSchema>

/** Per-kind options; each adapter validates its own keys. */
export const KindOptionsSchema = z.record(
  z.string(),
  z.union([z.string(), z.number(), z.boolean()]),
)

/** The non-secret configuration of one server, as stored in the config file. */
export const ServerConfigSchema = z.object({
  id: z.string().min(1).max(64),
  kind: ServerKindSchema,
  name: z.string().trim().min(1).max(100),
  url: BaseUrlSchema,
  group: z.string().trim().max(100).default(''),
  tags: z.array(z.string().trim().min(1).max(50)).max(50).default([]),
  /** Seconds between health polls. */
  pollIntervalSec: z.number().int().min(2).max(3600).default(10),
  tls: TlsOptionsSchema.default({}),
  options: KindOptionsSchema.default({}),
  createdAt: z.number().int(),
})
export type ServerConfig = z.infer<typeof ServerConfigSchema>

/** What the add/edit dialog sends (everything but id and createdAt). */
export const ServerDraftSchema = ServerConfigSchema.omit({ id: true, createdAt: true })
export type ServerDraft = z.infer<typeof ServerDraftSchema>
export type ServerDraftInput = z.input<typeof ServerDraftSchema>

/** Health states; see monitor/health.ts for the transitions. */
export const HealthStateSchema = z.enum([
  'unknown',
  'online',
  'degraded',
  'offline',
  'auth_failed',
  /** TLS handshake, certificate verification or pinned fingerprint failed (error code `tls`). */
  'tls_failed',
])
export type HealthState = z.infer<typeof HealthStateSchema>

// Defined without zod (the page's first frame needs them, not the schemas); exported from here too.
export { DOWN_STATES, isDownState } from './plain'

/** The live health of one server. */
export const ServerStatusSchema = z.object({
  serverId: z.string(),
  state: HealthStateSchema,
  /** When the current state began (ms since epoch). */
  since: z.number(),
  /** Last completed probe, successful or not. */
  lastCheckAt: z.number().nullable(),
  /** Last successful probe. */
  lastOkAt: z.number().nullable(),
  latencyMs: z.number().nullable(),
  /** Why the server is not online (or why it is degraded); null when healthy. */
  error: AppErrorSchema.nullable(),
  /** A probe result that disagrees with the state and waits for confirmation. */
  pending: HealthStateSchema.nullable(),
})
export type ServerStatus = z.infer<typeof ServerStatusSchema>

/** A server as the UI lists it: config (no secrets), whether a secret is stored, and health. */
export const ServerViewSchema = ServerConfigSchema.extend({
  hasSecret: z.boolean().nullable(),
  /**
   * Certificates on the server (kinds with the certificates facet): the fewest days left and how
   * many expire within 30 days; null = not known (not such a kind, or not read yet).
   */
  certExpiry: z
    .object({ minDaysLeft: z.number().nullable(), expiring: z.number(), checkedAt: z.number() })
    .nullable(),
  status: ServerStatusSchema,
})
export type ServerView = z.infer<typeof ServerViewSchema>

/** One user's traffic as NodeDeck shows it: bytes from the client's point of view. */
export const UserRowSchema = z.object({
  name: z.string(),
  online: z.boolean(),
  /** Connected devices (client instances); null when the server does not say. */
  devices: z.number().nullable(),
  /** Bytes the client uploaded (total NodeDeck knows of); null if unknown. */
  up: z.number().nullable(),
  /** Bytes the client downloaded; null if unknown. */
  down: z.number().nullable(),
  /** Bytes per second over the last interval; null when unknown (first reading, reset). */
  upRate: z.number().nullable(),
  downRate: z.number().nullable(),
  /** The counters went backwards since the last reading (server restart or cleared elsewhere). */
  reset: z.boolean(),
})
export type UserRow = z.infer<typeof UserRowSchema>

/** A reading of every user of one server. */
export const UsersSnapshotSchema = z.object({
  serverId: z.string(),
  /** When this reading was taken; null if none ever was. */
  at: z.number().nullable(),
  /** The last attempt failed: the rows are from `at` and may be out of date. */
  stale: z.boolean(),
  error: AppErrorSchema.nullable(),
  users: z.array(UserRowSchema),
  /** The counters are read with clear-on-read: totals are what NodeDeck counted since `countingSince`. */
  clearOnRead: z.boolean(),
  countingSince: z.number().nullable(),
  /** Counters were reset since the previous reading for every user: likely a restart or another clearer. */
  serverReset: z.boolean(),
})
export type UsersSnapshot = z.infer<typeof UsersSnapshotSchema>

/** One live session (for Hysteria 2: one TCP proxy stream). */
export const SessionRowSchema = z.object({
  id: z.string(),
  user: z.string(),
  state: z.string(),
  /** Connection (device) id as the server shows it, null if unknown. */
  connection: z.string().nullable(),
  stream: z.string().nullable(),
  /** Where the client asked to go (host:port). */
  target: z.string(),
  /** Sniffed target, when different. */
  hookedTarget: z.string().nullable(),
  /** Client address, where the server reports it. */
  remote: z.string().nullable(),
  up: z.number().nullable(),
  down: z.number().nullable(),
  startedAt: z.string().nullable(),
  lastActiveAt: z.string().nullable(),
  /** Protocol of the session (tcp, hy2, socks5, http, ss, l2tp, ikev2…), where known. */
  protocol: z.string().nullable(),
  /** Connections the session aggregates, where the server counts them. */
  connections: z.number().nullable(),
})
export type SessionRow = z.infer<typeof SessionRowSchema>

export const SessionsSnapshotSchema = z.object({
  serverId: z.string(),
  at: z.number(),
  sessions: z.array(SessionRowSchema),
})
export type SessionsSnapshot = z.infer<typeof SessionsSnapshotSchema>
