import { z } from 'zod'

/**
 * Wire shapes of the HY2 SCALE admin API (FrankoonG/hy2scale v1.3.4, apis.md §2 "Shapes").
 *
 * Conventions:
 * - Every object is `.loose()`: fields of newer versions pass through (and are sent back by the
 *   full-record PUTs, so an update never drops what this client does not know).
 * - Identity fields (ids, names, keys) are required; everything else has the Go zero value as
 *   default, because `omitempty` fields are left out and older versions lack newer fields.
 * - A Go nil slice/map is encoded as `null` (apis.md §2 gotchas 3-4): every list/map here reads
 *   `null` (or absence) as empty.
 * - Counters are uint64 on the wire; JSON numbers lose precision above 2^53 bytes (8 PiB), far
 *   beyond any real counter, so they are plain non-negative numbers (no safe-integer check).
 */

/** A Go slice: `null` (nil) or a missing key reads as `[]`. */
function list<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => (v === null || v === undefined ? [] : v), z.array(item))
}

/** A Go map: `null` (nil) or a missing key reads as `{}`. */
function map<T extends z.ZodType>(value: T) {
  return z.preprocess((v) => (v === null || v === undefined ? {} : v), z.record(z.string(), value))
}

const str = z.string().default('')
const bool = z.boolean().default(false)
const num = z.number().default(0)
/** uint64 byte totals (see the note above). */
const u64 = z.number().nonnegative().default(0)

// ---- auth ---------------------------------------------------------------------------------------

/** `POST /api/login` answer (apis.md §2 Auth): a 32-hex token. */
export const LoginResponseSchema = z
  .object({
    token: z.string().min(1),
    /** True iff the submitted hash is sha256("admin"): the default admin/admin is in use. */
    force_password_change: bool,
  })
  .loose()
export type LoginResponseWire = z.output<typeof LoginResponseSchema>

/** `{"status":"ok"}`, the answer of most mutations. */
export const OkSchema = z.object({ status: z.string() }).loose()
export type OkWire = z.output<typeof OkSchema>

// ---- node, stats, peers, topology ---------------------------------------------------------------

const NodeServerFields = z.object({
  /** e.g. `0.0.0.0:5565` or `host:5565,20000-30000` (port hopping). */
  listen: str,
  /** The hy2 server password (plaintext). */
  password: str,
  tls_cert: str,
  tls_key: str,
})
/** The node's hy2 QUIC server (`app.ServerConfig`). */
export const NodeServerSchema = NodeServerFields.loose()
export type NodeServerWire = z.output<typeof NodeServerSchema>

/** `GET /api/node`. */
export const NodeSchema = z
  .object({
    node_id: z.string(),
    name: str,
    exit_node: bool,
    server: NodeServerSchema.nullable().default(null),
    version: str,
    limited: bool,
    compat: bool,
    hy2_user_auth: bool,
    active_paths: map(z.string()),
  })
  .loose()
export type NodeWire = z.output<typeof NodeSchema>

/** `PUT /api/node` body: only the given fields change; `server` replaces the whole server block. */
export interface NodeUpdateInput {
  node_id?: string
  name?: string
  exit_node?: boolean
  server?: z.output<typeof NodeServerFields>
  hy2_user_auth?: boolean
}

/** `GET /api/stats` (the wiki shows only the two totals). */
export const StatsSchema = z
  .object({
    tx_bytes: u64,
    rx_bytes: u64,
    /** bytes/s */
    tx_rate: num,
    /** bytes/s */
    rx_rate: num,
    conns: num,
    exit_clients: num,
  })
  .loose()
export type StatsWire = z.output<typeof StatsSchema>

/** One element of the flat `GET /api/peers`. */
export const PeerSchema = z
  .object({ name: z.string(), exit_node: bool, direction: str, nested: bool })
  .loose()
export type PeerWire = z.output<typeof PeerSchema>
export const PeerListSchema = list(PeerSchema)

/** A nested sub-peer of the topology (`api.topoSubPeer`); recursive through `children`. */
export interface TopoSubPeerWire {
  name: string
  exit_node: boolean
  direction: string
  via: string
  /** -1 = offline */
  latency_ms: number
  nested: boolean
  connected: boolean
  tx_rate: number
  rx_rate: number
  disabled: boolean
  native: boolean
  version: string
  tun_capable: boolean
  max_rate?: number | undefined
  children: TopoSubPeerWire[]
  [extra: string]: unknown
}

/** {@link TopoSubPeerWire}. */
export const TopoSubPeerSchema: z.ZodType<TopoSubPeerWire> = z.lazy(() =>
  z
    .object({
      name: z.string(),
      exit_node: bool,
      direction: str,
      via: str,
      latency_ms: z.number().default(-1),
      nested: bool,
      connected: bool,
      tx_rate: num,
      rx_rate: num,
      disabled: bool,
      native: bool,
      version: str,
      tun_capable: bool,
      max_rate: z.number().optional(),
      children: list(TopoSubPeerSchema),
    })
    .loose(),
)

/** `relay.PeerInfo`: `GET /api/internal/peers` (no auth) and `GET /api/peers/{name}/peers`. */
export const PeerInfoSchema = z
  .object({
    name: z.string(),
    exit_node: bool,
    direction: str,
    native: bool,
    latency_ms: z.number().default(-1),
    version: str,
    node_id: str,
    incompatible: bool,
    conflict: bool,
    tun_capable: bool,
    unsupported: bool,
    children: list(TopoSubPeerSchema),
  })
  .loose()
export type PeerInfoWire = z.output<typeof PeerInfoSchema>
export const PeerInfoListSchema = list(PeerInfoSchema)

/** One element of `GET /api/topology`; element 0 is self (`is_self`, inbound peers as children). */
export const TopologyNodeSchema = z
  .object({
    name: z.string(),
    addr: str,
    addrs: list(z.string()),
    ip_statuses: list(
      z.object({ addr: z.string(), status: str, latency_ms: z.number().optional() }).loose(),
    ),
    exit_node: bool,
    /** `local` | `outbound` | `inbound` */
    direction: str,
    connected: bool,
    disabled: bool,
    nested: bool,
    native: bool,
    version: str,
    incompatible: bool,
    conflict: bool,
    unsupported: bool,
    tun_capable: bool,
    /** -1 = offline */
    latency_ms: z.number().default(-1),
    tx_rate: num,
    rx_rate: num,
    max_rate: z.number().optional(),
    is_self: bool,
    children: list(TopoSubPeerSchema),
  })
  .loose()
export type TopologyNodeWire = z.output<typeof TopologyNodeSchema>
export const TopologySchema = list(TopologyNodeSchema)

/** `GET /api/graph-layout`, `PUT` body (full snapshot) and every SSE frame of its stream. */
export const GraphLayoutSchema = z
  .object({ positions: map(z.object({ x: z.number(), y: z.number() }).loose()) })
  .loose()
export type GraphLayoutWire = z.output<typeof GraphLayoutSchema>

// ---- clients (outbound peer links) --------------------------------------------------------------

const ClientEntryFields = z.object({
  name: z.string(),
  addr: str,
  addrs: list(z.string()),
  /** The peer's hy2 password (plaintext). */
  password: str,
  sni: str,
  insecure: bool,
  ca: str,
  /** bytes/s, 0 = unlimited */
  max_tx: num,
  /** bytes/s, 0 = unlimited */
  max_rx: num,
  init_stream_window: num,
  max_stream_window: num,
  init_conn_window: num,
  max_conn_window: num,
  fast_open: bool,
  bbr_profile: str,
  disabled: bool,
})
/** `app.ClientEntry` (`GET /api/clients/{name}`); the list adds `connected`. */
export const ClientEntrySchema = ClientEntryFields.extend({
  connected: z.boolean().optional(),
}).loose()
export type ClientEntryWire = z.output<typeof ClientEntrySchema>
export const ClientListSchema = list(ClientEntrySchema)
type ClientFields = z.output<typeof ClientEntryFields>
/** `POST`/`PUT /api/clients…` body: name, addr (or addrs) and password are required. */
export type ClientEntryInput = Partial<ClientFields> & Pick<ClientFields, 'name' | 'password'>

// ---- proxies and protocol services --------------------------------------------------------------

const ProxyConfigFields = z.object({
  id: z.string(),
  /** `socks5` | `http` | … (the server defaults to socks5) */
  protocol: str,
  listen: str,
  enabled: bool,
  /** A cert id of `/api/tls`. */
  tls_cert: str,
  exit_via: str,
  exit_paths: list(z.string()),
  /** `` | `quality` | `aggregate` */
  exit_mode: str,
})
/** `app.ProxyConfig`. */
export const ProxyConfigSchema = ProxyConfigFields.loose()
export type ProxyConfigWire = z.output<typeof ProxyConfigSchema>
export const ProxyListSchema = list(ProxyConfigSchema)
type ProxyFields = z.output<typeof ProxyConfigFields>
/** `POST /api/proxies` (id, listen required) / `PUT /api/proxies/{id}` (listen required). */
export type ProxyConfigInput = Partial<ProxyFields> & Pick<ProxyFields, 'id' | 'listen'>

/** Capability fields `GET /api/l2tp` and `/api/ikev2` add to the config. */
const Capability = {
  /** False when the container lacks NET_ADMIN etc.; PUT then answers 403. */
  capable: bool,
  host_network: bool,
  /** Why not capable (upstream text). */
  reason: str,
}

const SSConfigFields = z.object({ listen: str, enabled: bool, method: z.string().default('') })
/** `GET/PUT /api/ss`. */
export const SSConfigSchema = SSConfigFields.loose()
export type SSConfigWire = z.output<typeof SSConfigSchema>
export type SSConfigInput = z.output<typeof SSConfigFields>

const L2TPConfigFields = z.object({
  listen: str,
  enabled: bool,
  pool: str,
  psk: str,
  proxy_port: num,
  mtu: num,
})
/** `GET /api/l2tp` (config + capability). */
export const L2TPConfigSchema = L2TPConfigFields.extend(Capability).loose()
export type L2TPConfigWire = z.output<typeof L2TPConfigSchema>
/** `PUT /api/l2tp` body (the whole config). */
export type L2TPConfigInput = z.output<typeof L2TPConfigFields>

const IKEv2ConfigFields = z.object({
  enabled: bool,
  /** `mschapv2` | `psk` */
  mode: str,
  pool: str,
  cert_id: str,
  psk: str,
  local_id: str,
  remote_id: str,
  psk_user_mode: bool,
  default_exit: str,
  default_exit_mode: str,
  dns: str,
  proxy_port: num,
  mtu: num,
})
/** `GET /api/ikev2` (config + capability). */
export const IKEv2ConfigSchema = IKEv2ConfigFields.extend(Capability).loose()
export type IKEv2ConfigWire = z.output<typeof IKEv2ConfigSchema>
/** `PUT /api/ikev2` body (the whole config; `mode` must be `mschapv2` or `psk`). */
export type IKEv2ConfigInput = z.output<typeof IKEv2ConfigFields>

// ---- WireGuard ----------------------------------------------------------------------------------

const WireGuardPeerFields = z.object({
  name: z.string(),
  public_key: str,
  /** May be "" (the peer keeps its own key). A secret: never log. */
  private_key: str,
  /** A string, e.g. `10.0.0.2/32`. */
  allowed_ips: str,
  keepalive: num,
  exit_via: str,
  exit_paths: list(z.string()),
  exit_mode: str,
})
/** `app.WireGuardPeer`, keyed by `name`. */
export const WireGuardPeerSchema = WireGuardPeerFields.loose()
export type WireGuardPeerWire = z.output<typeof WireGuardPeerSchema>
type WgPeerFields = z.output<typeof WireGuardPeerFields>
/** `POST /api/wireguard/peers` (name, public_key, allowed_ips required); PUT takes the full peer. */
export type WireGuardPeerInput = Partial<WgPeerFields> &
  Pick<WgPeerFields, 'name' | 'public_key' | 'allowed_ips'>

const WireGuardConfigFields = z.object({
  enabled: bool,
  listen_port: num,
  /** The server's private key (a secret). */
  private_key: str,
  address: str,
  dns: str,
  mtu: num,
  peers: list(WireGuardPeerSchema),
})
/** `GET /api/wireguard`: config + GET-only `running`, `connected`, `public_key`. */
export const WireGuardConfigSchema = WireGuardConfigFields.extend({
  running: bool,
  connected: num,
  public_key: str,
}).loose()
export type WireGuardConfigWire = z.output<typeof WireGuardConfigSchema>
/** `PUT /api/wireguard` body: the whole config (empty `peers` keeps the existing peers). */
export type WireGuardConfigInput = Omit<z.output<typeof WireGuardConfigFields>, 'peers'> & {
  peers: WgPeerFields[]
}

/** `POST /api/wireguard/generate-key` (base64 keys). */
export const WgKeyPairSchema = z.object({ private_key: z.string(), public_key: z.string() }).loose()
export type WgKeyPairWire = z.output<typeof WgKeyPairSchema>

// ---- routing rules, ports, diagnostics ----------------------------------------------------------

const RoutingRuleFields = z.object({
  id: z.string(),
  name: str,
  /** `ip` | `domain` */
  type: str,
  targets: list(z.string()),
  exit_via: str,
  exit_paths: list(z.string()),
  exit_mode: str,
  enabled: bool,
  priority: num,
  use_tun: bool,
})
/** `app.RoutingRule`; the list adds `tun_active`. */
export const RoutingRuleSchema = RoutingRuleFields.extend({ tun_active: bool }).loose()
export type RoutingRuleWire = z.output<typeof RoutingRuleSchema>
type RuleFields = z.output<typeof RoutingRuleFields>
/** `POST /api/rules` (id, type, targets, exit_via/exit_paths required) and `PUT /api/rules/{id}`. */
export type RoutingRuleInput = Partial<RuleFields> & Pick<RuleFields, 'id' | 'type' | 'targets'>

/** `GET /api/rules`. */
export const RulesEnvelopeSchema = z
  .object({ available: bool, rules: list(RoutingRuleSchema) })
  .loose()
export type RulesEnvelopeWire = z.output<typeof RulesEnvelopeSchema>

/** One port of `POST /api/check-ports` (request and conflict). */
export const PortConflictSchema = z.object({ port: z.number(), proto: str, desc: str }).loose()
export type PortConflictWire = z.output<typeof PortConflictSchema>
/** A port to check; an unknown `proto` counts as a conflict. */
export interface PortCheckInput {
  port: number
  proto: 'tcp' | 'udp'
  desc: string
}
/** `POST /api/check-ports` answer: `conflicts` is `null` when all are free (read as `[]`). */
export const PortCheckResultSchema = z.object({ conflicts: list(PortConflictSchema) }).loose()
export type PortCheckResultWire = z.output<typeof PortCheckResultSchema>

/** `GET /api/diag/resolve?name=&exit_via=`. */
export const DiagResolveSchema = z
  .object({ name: str, exit_via: str, ips: list(z.string()), error: z.string().optional() })
  .loose()
export type DiagResolveWire = z.output<typeof DiagResolveSchema>

/** `GET /api/diag/peer-{health,rebinds,latency}`: `{peers: {…}}` (values UNVERIFIED). */
export const PeerDiagSchema = z.object({ peers: map(z.unknown()) }).loose()
export type PeerDiagWire = z.output<typeof PeerDiagSchema>

// ---- sessions, users ----------------------------------------------------------------------------

/** One row of `GET /api/sessions`: all connections of (user, ip, protocol). */
export const DeviceSchema = z
  .object({
    /** `username|ip|protocol`: percent-encode it in paths (apis.md §2 gotcha 6). */
    key: z.string(),
    username: str,
    /** No port. */
    remote_ip: str,
    /** `socks5,http,ss,hy2,l2tp,ikev2` (WireGuard excluded) */
    protocol: str,
    /** unix seconds */
    connect_at: num,
    /** seconds */
    duration: num,
    conn_count: num,
    /** Added only when a connection closes. */
    tx_bytes: u64,
    rx_bytes: u64,
  })
  .loose()
export type DeviceWire = z.output<typeof DeviceSchema>

/** `GET /api/sessions`. */
export const SessionsSchema = z.object({ devices: list(DeviceSchema), total: num }).loose()
export type SessionsWire = z.output<typeof SessionsSchema>

const UserConfigFields = z.object({
  /** 8 hex, assigned by the server on create. */
  id: z.string(),
  username: z.string(),
  /** PLAINTEXT (apis.md §2 gotcha 10): never log a user record. */
  password: str,
  proxy_passwords: map(z.string()),
  proxy_disabled: list(z.string()),
  exit_via: str,
  exit_paths: list(z.string()),
  exit_mode: str,
  /** bytes, 0 = unlimited */
  traffic_limit: num,
  /** bytes; counted in memory and flushed to the config every 30 s. */
  traffic_used: num,
  /** `YYYY-MM-DD`, "" = none */
  expiry_date: str,
  enabled: bool,
})
/** `app.UserConfig`. */
export const UserConfigSchema = UserConfigFields.loose()
export type UserConfigWire = z.output<typeof UserConfigSchema>
export const UserListSchema = list(UserConfigSchema)
type UserFields = z.output<typeof UserConfigFields>
/** `POST /api/users` body: username and password required; `id` is assigned when empty. */
export type UserCreateInput = Partial<UserFields> & Pick<UserFields, 'username' | 'password'>

/** `GET /api/users/conflicts`: `{username: {proxy: [other usernames]}}`. */
export const UserConflictsSchema = map(map(list(z.string())))
export type UserConflictsWire = z.output<typeof UserConflictsSchema>

// ---- settings, system, upgrade ------------------------------------------------------------------

const UiSettingsFields = z.object({
  listen: str,
  base_path: str,
  dns: str,
  force_https: bool,
  https_cert_id: str,
  session_timeout_h: z.number().default(12),
  max_nested_depth: num,
  max_response_nodes: num,
  max_cache_entries: num,
  max_response_bytes: num,
  max_fetch_fan_out: num,
  relay_admin_passthrough: bool,
  dns_resolver_enabled: bool,
  dns_resolver_cache_ttl: num,
  dns_resolver_negative_ttl: num,
  dns_resolver_cache_size: num,
  dns_resolver_query_timeout_ms: num,
})
/** `GET /api/settings/ui`. */
export const UiSettingsSchema = UiSettingsFields.loose()
export type UiSettingsWire = z.output<typeof UiSettingsSchema>
/** `PUT /api/settings/ui` body: any subset. */
export type UiSettingsInput = Partial<z.output<typeof UiSettingsFields>>
/** `PUT /api/settings/ui` answer; `note` says whether a restart is needed. */
export const UiSettingsPutSchema = z.object({ status: z.string(), note: str }).loose()
export type UiSettingsPutWire = z.output<typeof UiSettingsPutSchema>

/** `GET /api/system/arch`. */
export const ArchSchema = z
  .object({ os: str, arch: str, version: str, binary: str, in_docker: bool })
  .loose()
export type ArchWire = z.output<typeof ArchSchema>

/** `GET /api/build-info`. */
export const BuildInfoSchema = z
  .object({
    version: str,
    license: str,
    repository: str,
    go_deps: list(z.object({ path: z.string(), version: str }).loose()),
    natives: list(z.object({ name: z.string(), version: str, license: str, source: str }).loose()),
  })
  .loose()
export type BuildInfoWire = z.output<typeof BuildInfoSchema>

/** `GET /api/build-id` (no auth): 16 hex of the embedded index.html's sha256. */
export const BuildIdSchema = z.object({ build_id: z.string() }).loose()
export type BuildIdWire = z.output<typeof BuildIdSchema>

/** `GET /api/upgrade/check`. */
export const UpgradeCheckSchema = z
  .object({
    current: str,
    latest: str,
    asset: str,
    download_url: str,
    size: num,
    update_available: bool,
  })
  .loose()
export type UpgradeCheckWire = z.output<typeof UpgradeCheckSchema>

/** The states of {@link UpgradeStatusSchema}. */
export const UPGRADE_STATES = [
  'idle',
  'checking',
  'downloading',
  'ready',
  'applying',
  'error',
] as const

/** `POST /api/upgrade/download`, `GET /api/upgrade/status` and each `upgrade/events` frame. */
export const UpgradeStatusSchema = z
  .object({
    /** One of {@link UPGRADE_STATES} (kept a string: a newer version may add states). */
    state: z.string(),
    current: str,
    latest: str,
    asset: str,
    download_url: str,
    /** 0-100 */
    progress: num,
    bytes_done: num,
    bytes_total: num,
    error: z.string().optional(),
  })
  .loose()
export type UpgradeStatusWire = z.output<typeof UpgradeStatusSchema>

/** `POST /api/upgrade` and `POST /api/upgrade/apply`: the process exits right after. */
export const UpgradeApplySchema = z.object({ status: z.string(), message: str }).loose()
export type UpgradeApplyWire = z.output<typeof UpgradeApplySchema>

// ---- TLS certificates ---------------------------------------------------------------------------

/** `app.CertInfo`. */
export const CertInfoSchema = z
  .object({
    id: z.string(),
    name: str,
    /** CN */
    subject: str,
    /** CN */
    issuer: str,
    /** `YYYY-MM-DD` */
    not_after: str,
    is_ca: bool,
    /** Server path; only when a key exists. */
    key_file: z.string().optional(),
    cert_file: z.string().optional(),
    ca_parent_id: z.string().optional(),
  })
  .loose()
export type CertInfoWire = z.output<typeof CertInfoSchema>
/** `GET /api/tls`: `null` when there are no certs (apis.md §2 gotcha 4), read as `[]`. */
export const CertListSchema = list(CertInfoSchema)

/** `GET /api/tls/{id}/pem`: both `""` when missing. `key` is a private key: never log. */
export const PemSchema = z.object({ cert: str, key: str }).loose()
export type PemWire = z.output<typeof PemSchema>

/** `POST /api/tls/import` body (PEM text). */
export interface TlsImportInput {
  id: string
  name?: string
  cert: string
  key?: string
}
/** `POST /api/tls/import-path` body (paths on the node). */
export interface TlsImportPathInput {
  id: string
  name?: string
  cert_path: string
  key_path?: string
}
/** `POST /api/tls/generate` body: self-signed ECDSA P-256, CN = domains[0]. */
export interface TlsGenerateInput {
  id: string
  name?: string
  domains: string[]
  /** default 365 */
  days?: number
}
/** `POST /api/tls/sign` body: an RSA-2048 leaf signed by the CA `ca_id`. */
export interface TlsSignInput {
  ca_id: string
  id: string
  /** default = cn */
  name?: string
  cn: string
  /** default 7300 */
  days?: number
}
