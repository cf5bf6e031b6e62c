import { z } from 'zod'

/**
 * HY2 SCALE network area (apis.md §2): outbound peer links ("clients"), local proxies, routing
 * rules, the SS / L2TP / IKEv2 services and the port check. Passwords and PSKs never leave the
 * core: outputs say only whether one is set (`hasPassword`, `hasPsk`); inputs take them as
 * optional fields where undefined or '' keeps the stored value.
 *
 * Methods are plain `{ input, output }` objects (no import of `../index`: that would be a cycle).
 */

const ServerRef = z.object({ serverId: z.string().min(1).max(64) })
const Ok = z.object({ ok: z.literal(true) })
/** A secret typed by the user; travels renderer → core once, is never sent back. */
const Secret = z.string().max(4096)
/** A record key of the node (client name, proxy id, rule id). */
const Key = z.string().trim().min(1).max(100)
const Port = z.number().int().min(0).max(65535)

// ---- clients (outbound peer links) --------------------------------------------------------------

/** One outbound link to a peer node, without its password. */
export const Hy2ClientSchema = z.object({
  name: z.string(),
  /** `host:port` or `host:port,from-to` (port hopping); the first is the primary. */
  addrs: z.array(z.string()),
  hasPassword: z.boolean(),
  sni: z.string(),
  insecure: z.boolean(),
  /** bytes/s, 0 = unlimited */
  maxTx: z.number(),
  maxRx: z.number(),
  fastOpen: z.boolean(),
  bbrProfile: z.string(),
  disabled: z.boolean(),
  /** null when the node did not say. */
  connected: z.boolean().nullable(),
})
export type Hy2Client = z.infer<typeof Hy2ClientSchema>

export const Hy2ClientDraftSchema = z.object({
  name: Key,
  addrs: z.array(z.string().trim().min(1).max(300)).min(1).max(32),
  /** Required to create; undefined or '' on update keeps the stored password. */
  password: Secret.optional(),
  sni: z.string().trim().max(253).default(''),
  insecure: z.boolean().default(false),
  maxTx: z.number().int().min(0).default(0),
  maxRx: z.number().int().min(0).default(0),
  fastOpen: z.boolean().default(false),
  bbrProfile: z.string().trim().max(32).default(''),
})
export type Hy2ClientDraft = z.output<typeof Hy2ClientDraftSchema>
export type Hy2ClientDraftInput = z.input<typeof Hy2ClientDraftSchema>

// ---- proxies --------------------------------------------------------------------------------------

export const Hy2ProxySchema = z.object({
  id: z.string(),
  /** `socks5` | `http` | … */
  protocol: z.string(),
  listen: z.string(),
  enabled: z.boolean(),
  /** A certificate id ('' = none). */
  tlsCert: z.string(),
  exitVia: z.string(),
  exitPaths: z.array(z.string()),
  exitMode: z.string(),
})
export type Hy2Proxy = z.infer<typeof Hy2ProxySchema>

export const Hy2ProxyDraftSchema = z.object({
  id: Key,
  protocol: z.string().trim().min(1).max(32).default('socks5'),
  listen: z.string().trim().min(1).max(300),
  enabled: z.boolean().default(true),
  tlsCert: z.string().trim().max(64).default(''),
  exitVia: z.string().trim().max(300).default(''),
})
export type Hy2ProxyDraft = z.output<typeof Hy2ProxyDraftSchema>
export type Hy2ProxyDraftInput = z.input<typeof Hy2ProxyDraftSchema>

// ---- routing rules --------------------------------------------------------------------------------

export const Hy2RuleSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** `ip` | `domain` */
  type: z.string(),
  targets: z.array(z.string()),
  exitVia: z.string(),
  exitPaths: z.array(z.string()),
  exitMode: z.string(),
  enabled: z.boolean(),
  priority: z.number(),
  useTun: z.boolean(),
  tunActive: z.boolean(),
})
export type Hy2Rule = z.infer<typeof Hy2RuleSchema>

export const Hy2RulesSchema = z.object({
  /** The node can apply rules (TUN / routing available). */
  available: z.boolean(),
  rules: z.array(Hy2RuleSchema),
})
export type Hy2Rules = z.infer<typeof Hy2RulesSchema>

export const Hy2RuleDraftSchema = z.object({
  id: Key,
  name: z.string().trim().max(100).default(''),
  type: z.enum(['ip', 'domain']),
  targets: z.array(z.string().trim().min(1).max(300)).min(1).max(10000),
  /** The exit peer (the node requires one). */
  exitVia: z.string().trim().min(1).max(300),
  enabled: z.boolean().default(true),
  priority: z.number().int().min(0).max(1_000_000).default(0),
  useTun: z.boolean().default(false),
})
export type Hy2RuleDraft = z.output<typeof Hy2RuleDraftSchema>
export type Hy2RuleDraftInput = z.input<typeof Hy2RuleDraftSchema>

// ---- protocol services ----------------------------------------------------------------------------

const Capability = {
  /** False when the node lacks NET_ADMIN etc.: saving is refused. */
  capable: z.boolean(),
  hostNetwork: z.boolean(),
  /** Why not capable (the node's text). */
  reason: z.string(),
}

export const Hy2SsSchema = z.object({
  listen: z.string(),
  enabled: z.boolean(),
  method: z.string(),
})
export type Hy2Ss = z.infer<typeof Hy2SsSchema>

export const Hy2L2tpSchema = z.object({
  listen: z.string(),
  enabled: z.boolean(),
  pool: z.string(),
  hasPsk: z.boolean(),
  proxyPort: z.number(),
  mtu: z.number(),
  ...Capability,
})
export type Hy2L2tp = z.infer<typeof Hy2L2tpSchema>

export const Hy2Ikev2Schema = z.object({
  enabled: z.boolean(),
  mode: z.string(),
  pool: z.string(),
  certId: z.string(),
  hasPsk: z.boolean(),
  localId: z.string(),
  remoteId: z.string(),
  pskUserMode: z.boolean(),
  defaultExit: z.string(),
  defaultExitMode: z.string(),
  dns: z.string(),
  proxyPort: z.number(),
  mtu: z.number(),
  ...Capability,
})
export type Hy2Ikev2 = z.infer<typeof Hy2Ikev2Schema>

export const Hy2ProtocolsSchema = z.object({
  ss: Hy2SsSchema,
  l2tp: Hy2L2tpSchema,
  ikev2: Hy2Ikev2Schema,
})
export type Hy2Protocols = z.infer<typeof Hy2ProtocolsSchema>

export const Hy2SsDraftSchema = z.object({
  listen: z.string().trim().max(300),
  enabled: z.boolean(),
  method: z.string().trim().min(1).max(64),
})
export const Hy2L2tpDraftSchema = z.object({
  listen: z.string().trim().max(300),
  enabled: z.boolean(),
  pool: z.string().trim().max(64),
  /** undefined or '' keeps the stored PSK. */
  psk: Secret.optional(),
  proxyPort: Port,
  mtu: z.number().int().min(0).max(9000),
})
export const Hy2Ikev2DraftSchema = z.object({
  enabled: z.boolean(),
  mode: z.enum(['mschapv2', 'psk']),
  pool: z.string().trim().max(64),
  certId: z.string().trim().max(64).default(''),
  /** undefined or '' keeps the stored PSK. */
  psk: Secret.optional(),
  localId: z.string().trim().max(253).default(''),
  remoteId: z.string().trim().max(253).default(''),
  pskUserMode: z.boolean().default(false),
  defaultExit: z.string().trim().max(300).default(''),
  defaultExitMode: z.string().trim().max(32).default(''),
  dns: z.string().trim().max(300).default(''),
  proxyPort: Port,
  mtu: z.number().int().min(0).max(9000),
})
export type Hy2SsDraft = z.output<typeof Hy2SsDraftSchema>
export type Hy2L2tpDraft = z.output<typeof Hy2L2tpDraftSchema>
export type Hy2Ikev2Draft = z.output<typeof Hy2Ikev2DraftSchema>

/** One service to save: exactly one of `ss`, `l2tp`, `ikev2`. */
export const Hy2ProtocolSaveSchema = z.union([
  ServerRef.extend({ ss: Hy2SsDraftSchema }),
  ServerRef.extend({ l2tp: Hy2L2tpDraftSchema }),
  ServerRef.extend({ ikev2: Hy2Ikev2DraftSchema }),
])
export type Hy2ProtocolSave = z.output<typeof Hy2ProtocolSaveSchema>

// ---- port check -----------------------------------------------------------------------------------

export const Hy2PortSchema = z.object({
  port: Port,
  proto: z.enum(['tcp', 'udp']),
  desc: z.string().max(200),
})
export type Hy2Port = z.infer<typeof Hy2PortSchema>
export const Hy2PortConflictSchema = z.object({
  port: z.number(),
  proto: z.string(),
  desc: z.string(),
})
export type Hy2PortConflict = z.infer<typeof Hy2PortConflictSchema>

// ---- methods --------------------------------------------------------------------------------------

/** The network methods, spread into the contract's `methods`. */
export const hy2scaleNetworkMethods = {
  'hy2scale.clients.list': { input: ServerRef, output: z.array(Hy2ClientSchema) },
  /**
   * Creates a link (`original` absent) or updates the link named `original` (may rename). The
   * node silently ignores a duplicate, so the core refuses one (same name or address).
   */
  'hy2scale.clients.save': {
    input: ServerRef.extend({ original: Key.optional(), draft: Hy2ClientDraftSchema }),
    output: Ok,
  },
  'hy2scale.clients.setDisabled': {
    input: ServerRef.extend({ name: Key, disabled: z.boolean() }),
    output: Ok,
  },
  'hy2scale.clients.remove': { input: ServerRef.extend({ name: Key }), output: Ok },

  'hy2scale.proxies.list': { input: ServerRef, output: z.array(Hy2ProxySchema) },
  /** Creates (`original` absent; a taken id is refused) or updates the proxy `original`. */
  'hy2scale.proxies.save': {
    input: ServerRef.extend({ original: Key.optional(), draft: Hy2ProxyDraftSchema }),
    output: Ok,
  },
  'hy2scale.proxies.remove': { input: ServerRef.extend({ id: Key }), output: Ok },

  'hy2scale.rules.list': { input: ServerRef, output: Hy2RulesSchema },
  /** Creates (`original` absent; a taken id is refused) or updates the rule `original`. */
  'hy2scale.rules.save': {
    input: ServerRef.extend({ original: Key.optional(), draft: Hy2RuleDraftSchema }),
    output: Ok,
  },
  'hy2scale.rules.toggle': {
    input: ServerRef.extend({ id: Key, enabled: z.boolean() }),
    output: Ok,
  },
  'hy2scale.rules.remove': { input: ServerRef.extend({ id: Key }), output: Ok },

  /** SS, L2TP and IKEv2 settings with the node's capability for L2TP/IKEv2. */
  'hy2scale.protocols.get': { input: ServerRef, output: Hy2ProtocolsSchema },
  'hy2scale.protocols.save': { input: Hy2ProtocolSaveSchema, output: Ok },

  /** Which of these ports are already in use on the node (empty = all free). */
  'hy2scale.checkPorts': {
    input: ServerRef.extend({ ports: z.array(Hy2PortSchema).min(1).max(100) }),
    output: z.object({ conflicts: z.array(Hy2PortConflictSchema) }),
  },
} as const
