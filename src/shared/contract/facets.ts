import { z } from 'zod'

/**
 * Facets that several server kinds share (design.md 2.3): managed user accounts, WireGuard,
 * certificates. A kind without a facet answers `unsupported`. Secrets never travel out of the
 * core except the explicit, user-requested reveals (`wireguard.peerConfig`, `certs.pem` with
 * `includeKey`).
 */

/** A managed user account (HY2 SCALE users; Mu panels later). Never carries the password. */
export const AccountSchema = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  /** Bytes allowed; null = unlimited. */
  trafficLimit: z.number().nullable(),
  /** Bytes used so far; null if the server does not say. */
  trafficUsed: z.number().nullable(),
  /** `YYYY-MM-DD`, null = never expires. */
  expiresAt: z.string().nullable(),
  /** Exit (peer/client name) the user's traffic leaves through; '' = this node. */
  exitVia: z.string(),
  /** Live devices of this user (sessions), null when unknown. */
  devices: z.number().nullable(),
})
export type Account = z.infer<typeof AccountSchema>

/** Create/edit form. `password` undefined or '' on edit = keep the stored one. */
export const AccountDraftSchema = z.object({
  name: z.string().trim().min(1).max(128),
  password: z.string().max(256).optional(),
  enabled: z.boolean().default(true),
  trafficLimit: z.number().int().nonnegative().nullable().default(null),
  expiresAt: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'Use YYYY-MM-DD.')
    .nullable()
    .default(null),
  exitVia: z.string().max(256).default(''),
})
export type AccountDraft = z.infer<typeof AccountDraftSchema>
export type AccountDraftInput = z.input<typeof AccountDraftSchema>

/** Result of a bulk action: what succeeded, what failed and why. */
export const BulkResultSchema = z.object({
  ok: z.array(z.string()),
  failed: z.array(z.object({ id: z.string(), message: z.string() })),
})
export type BulkResult = z.infer<typeof BulkResultSchema>

/** Usernames that collide on a proxy: `{ username: { proxy: [other usernames] } }`. */
export const AccountConflictsSchema = z.record(
  z.string(),
  z.record(z.string(), z.array(z.string())),
)

/** The WireGuard server of a node (no private key). */
export const WireGuardServerSchema = z.object({
  enabled: z.boolean(),
  listenPort: z.number().int(),
  address: z.string(),
  dns: z.string(),
  mtu: z.number().int().nullable(),
  running: z.boolean(),
  /** Peers with a recent handshake. */
  connected: z.number().int().nullable(),
  publicKey: z.string(),
})
export type WireGuardServer = z.infer<typeof WireGuardServerSchema>

export const WireGuardServerDraftSchema = z.object({
  enabled: z.boolean(),
  listenPort: z.number().int().min(1).max(65535),
  address: z.string().trim().min(1).max(100),
  dns: z.string().max(200).default(''),
  mtu: z.number().int().min(576).max(9000).nullable().default(null),
})

/** A WireGuard peer, without its private key. */
export const WireGuardPeerSchema = z.object({
  name: z.string(),
  publicKey: z.string(),
  allowedIps: z.string(),
  keepalive: z.number().int(),
  exitVia: z.string(),
  /** The server holds the peer's private key, so a complete config can be exported. */
  hasPrivateKey: z.boolean(),
})
export type WireGuardPeer = z.infer<typeof WireGuardPeerSchema>

export const WireGuardPeerDraftSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._-]+$/, 'Letters, digits, dot, dash and underscore only.'),
  allowedIps: z.string().trim().min(1).max(200),
  keepalive: z.number().int().min(0).max(3600).default(25),
  exitVia: z.string().max(256).default(''),
  /**
   * Where the key pair comes from: generated here (the private key never leaves this machine
   * except to the node), by the node, or a public key the admin pastes (no config export then).
   */
  keys: z.discriminatedUnion('mode', [
    z.object({ mode: z.literal('local') }),
    z.object({ mode: z.literal('server') }),
    z.object({ mode: z.literal('manual'), publicKey: z.string().trim().min(40).max(60) }),
  ]),
})
export type WireGuardPeerDraftInput = z.input<typeof WireGuardPeerDraftSchema>

export const WireGuardStateSchema = z.object({
  server: WireGuardServerSchema,
  peers: z.array(WireGuardPeerSchema),
})
export type WireGuardState = z.infer<typeof WireGuardStateSchema>

/** An explicit reveal: the wg-quick file of one peer (holds its private key) and its QR code. */
export const WireGuardPeerConfigSchema = z.object({
  name: z.string(),
  filename: z.string(),
  text: z.string(),
  /** The QR code of `text` as an SVG document (rendered in the core, never via a URL). */
  qrSvg: z.string(),
})
export type WireGuardPeerConfig = z.infer<typeof WireGuardPeerConfigSchema>

/** A TLS certificate stored on a node. */
export const CertSchema = z.object({
  id: z.string(),
  name: z.string(),
  subject: z.string(),
  issuer: z.string(),
  /** `YYYY-MM-DD` as the server reports it. */
  notAfter: z.string(),
  isCa: z.boolean(),
  hasKey: z.boolean(),
  caParentId: z.string().nullable(),
  /** Whole days until notAfter (negative = expired); null if the date is unreadable. */
  daysLeft: z.number().int().nullable(),
})
export type Cert = z.infer<typeof CertSchema>

export const CertIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, 'Letters, digits, dot, dash and underscore only.')
