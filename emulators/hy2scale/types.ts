/**
 * Wire types of the HY2 SCALE admin API (FrankoonG/hy2scale v1.3.4, apis.md §2), field for field
 * as the Go structs marshal them. `null` = a Go nil slice/map/pointer (encoded as `null`);
 * `?` = an `omitempty` field that is left out when empty.
 */

/** `app.ServerConfig` (the node's hy2 QUIC server). */
export interface ServerConfig {
  listen: string
  password: string
  tls_cert: string
  tls_key: string
}

/** `GET /api/node`. */
export interface NodeInfo {
  active_paths: Record<string, string>
  compat: boolean
  exit_node: boolean
  hy2_user_auth: boolean
  limited: boolean
  name: string
  node_id: string
  server: ServerConfig | null
  version: string
}

/** `GET /api/stats`. */
export interface Stats {
  conns: number
  exit_clients: number
  rx_bytes: number
  rx_rate: number
  tx_bytes: number
  tx_rate: number
}

/** `app.UserConfig`. `password` is plaintext. */
export interface UserConfig {
  id: string
  username: string
  password: string
  proxy_passwords?: Record<string, string>
  proxy_disabled?: string[]
  exit_via: string
  exit_paths?: string[]
  exit_mode?: string
  traffic_limit: number
  traffic_used: number
  /** `YYYY-MM-DD`, "" = none. */
  expiry_date: string
  enabled: boolean
}

/** `app.DeviceJSON` (one row of `GET /api/sessions`). */
export interface Device {
  /** `username|ip|protocol` */
  key: string
  username: string
  remote_ip: string
  protocol: string
  connect_at: number
  duration: number
  conn_count: number
  tx_bytes: number
  rx_bytes: number
}

/** `GET /api/sessions`. */
export interface SessionsResponse {
  devices: Device[]
  total: number
}

/** `app.ClientEntry` (an outbound peer link); `connected` only in the list. */
export interface ClientEntry {
  name: string
  addr: string
  addrs?: string[]
  password: string
  sni: string
  insecure: boolean
  ca: string
  max_tx: number
  max_rx: number
  init_stream_window: number
  max_stream_window: number
  init_conn_window: number
  max_conn_window: number
  fast_open: boolean
  bbr_profile?: string
  disabled: boolean
  connected?: boolean
}

/** `app.ProxyConfig`. */
export interface ProxyConfig {
  id: string
  protocol: string
  listen: string
  enabled: boolean
  tls_cert?: string
  exit_via?: string
  exit_paths?: string[]
  exit_mode?: string
}

/** `app.SSConfig`. */
export interface SSConfig {
  listen: string
  enabled: boolean
  method: string
}

/** `app.L2TPConfig`. */
export interface L2TPConfig {
  listen: string
  enabled: boolean
  pool: string
  psk: string
  proxy_port: number
  mtu: number
}

/** `app.IKEv2Config`. */
export interface IKEv2Config {
  enabled: boolean
  mode: string
  pool: string
  cert_id: string
  psk: string
  local_id: string
  remote_id: string
  psk_user_mode: boolean
  default_exit: string
  default_exit_mode?: string
  dns: string
  proxy_port: number
  mtu: number
}

/** `app.WireGuardPeer` (keyed by `name`). */
export interface WireGuardPeer {
  name: string
  public_key: string
  private_key: string
  allowed_ips: string
  keepalive: number
  exit_via: string
  exit_paths?: string[]
  exit_mode?: string
}

/** `app.WireGuardConfig`. */
export interface WireGuardConfig {
  enabled: boolean
  listen_port: number
  private_key: string
  address: string
  dns?: string
  mtu?: number
  peers: WireGuardPeer[] | null
}

/** `GET /api/wireguard` (a Go map: keys sorted). */
export interface WireGuardStatus {
  address: string
  connected: number
  dns: string
  enabled: boolean
  listen_port: number
  mtu: number
  peers: WireGuardPeer[] | null
  private_key: string
  public_key?: string
  running: boolean
}

/** `app.RoutingRule`; `tun_active` only in the list. */
export interface RoutingRule {
  id: string
  name: string
  type: string
  targets: string[] | null
  exit_via: string
  exit_paths?: string[]
  exit_mode?: string
  enabled: boolean
  priority?: number
  use_tun?: boolean
  tun_active?: boolean
}

/** `app.PortConflict`. */
export interface PortConflict {
  port: number
  proto: string
  desc: string
}

/** `app.CertInfo`. */
export interface CertInfo {
  id: string
  name: string
  subject: string
  issuer: string
  not_after: string
  is_ca: boolean
  key_file?: string
  cert_file?: string
  ca_parent_id?: string
}

/** `relay.PeerInfo` (`/api/internal/peers`, `/api/peers/{name}/peers`). */
export interface PeerInfo {
  name: string
  exit_node: boolean
  direction: string
  native: boolean
  latency_ms: number
  version?: string
  node_id?: string
  incompatible?: boolean
  conflict?: boolean
  tun_capable?: boolean
  pv?: number
  unsupported?: boolean
  children?: TopoSubPeer[]
}

/** `api.topoSubPeer`. */
export interface TopoSubPeer {
  name: string
  exit_node: boolean
  direction: string
  via: string
  latency_ms: number
  nested: boolean
  disabled?: boolean
  native?: boolean
  version?: string
  tun_capable?: boolean
  tx_rate: number
  rx_rate: number
  max_rate?: number
  connected: boolean
  children?: TopoSubPeer[]
}

/** One `GET /api/topology` element (element 0 is self). */
export interface TopologyNode {
  name: string
  addr?: string
  addrs?: string[]
  ip_statuses?: { addr: string; status: string; latency_ms?: number }[]
  exit_node: boolean
  direction: string
  connected: boolean
  disabled: boolean
  nested: boolean
  native?: boolean
  version?: string
  incompatible?: boolean
  conflict?: boolean
  unsupported?: boolean
  tun_capable?: boolean
  latency_ms: number
  tx_rate: number
  rx_rate: number
  max_rate?: number
  is_self?: boolean
  children?: TopoSubPeer[]
}

/** `app.GraphLayoutPos`. */
export interface GraphLayoutPos {
  x: number
  y: number
}

/** `GET /api/settings/ui` (a Go map: keys sorted). */
export interface UISettings {
  base_path: string
  dns: string
  dns_resolver_cache_size: number
  dns_resolver_cache_ttl: number
  dns_resolver_enabled: boolean
  dns_resolver_negative_ttl: number
  dns_resolver_query_timeout_ms: number
  force_https: boolean
  https_cert_id: string
  listen: string
  max_cache_entries: number
  max_fetch_fan_out: number
  max_nested_depth: number
  max_response_bytes: number
  max_response_nodes: number
  relay_admin_passthrough: boolean
  session_timeout_h: number
}

/** `upgradeJobSnapshot`. */
export interface UpgradeStatus {
  state: 'idle' | 'checking' | 'downloading' | 'ready' | 'applying' | 'error'
  current: string
  latest: string
  asset: string
  download_url: string
  progress: number
  bytes_done: number
  bytes_total: number
  error?: string
}
