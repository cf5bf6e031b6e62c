/**
 * Go struct schemas of HY2 SCALE v1.3.4 (`internal/app`, `internal/api`) for the emulator's
 * `encoding/json` decoding (Go's error texts) and encoding (field order, `omitempty`).
 */
import { GT, type GoType } from '../common/go-json'

const { f, string: S, bool: B, int: I, int64: I64, float64: F64 } = GT

export const SERVER_CONFIG = GT.struct(
  [
    f('Listen', 'listen', S),
    f('Password', 'password', S),
    f('TLSCert', 'tls_cert', S),
    f('TLSKey', 'tls_key', S),
  ],
  'ServerConfig',
)

export const USER_CONFIG = GT.struct(
  [
    f('ID', 'id', S),
    f('Username', 'username', S),
    f('Password', 'password', S),
    f('ProxyPasswords', 'proxy_passwords', GT.map(S), true),
    f('ProxyDisabled', 'proxy_disabled', GT.slice(S), true),
    f('ExitVia', 'exit_via', S),
    f('ExitPaths', 'exit_paths', GT.slice(S), true),
    f('ExitMode', 'exit_mode', S, true),
    f('TrafficLimit', 'traffic_limit', I64),
    f('TrafficUsed', 'traffic_used', I64),
    f('ExpiryDate', 'expiry_date', S),
    f('Enabled', 'enabled', B),
  ],
  'UserConfig',
)

export const PROXY_CONFIG = GT.struct(
  [
    f('ID', 'id', S),
    f('Protocol', 'protocol', S),
    f('Listen', 'listen', S),
    f('Enabled', 'enabled', B),
    f('TLSCert', 'tls_cert', S, true),
    f('ExitVia', 'exit_via', S, true),
    f('ExitPaths', 'exit_paths', GT.slice(S), true),
    f('ExitMode', 'exit_mode', S, true),
  ],
  'ProxyConfig',
)

const CLIENT_FIELDS = [
  f('Name', 'name', S),
  f('Addr', 'addr', S),
  f('Addrs', 'addrs', GT.slice(S), true),
  f('Password', 'password', S),
  f('SNI', 'sni', S),
  f('Insecure', 'insecure', B),
  f('CA', 'ca', S),
  f('MaxTx', 'max_tx', I),
  f('MaxRx', 'max_rx', I),
  f('InitStreamWindow', 'init_stream_window', I),
  f('MaxStreamWindow', 'max_stream_window', I),
  f('InitConnWindow', 'init_conn_window', I),
  f('MaxConnWindow', 'max_conn_window', I),
  f('FastOpen', 'fast_open', B),
  f('BBRProfile', 'bbr_profile', S, true),
  f('Disabled', 'disabled', B),
]

export const CLIENT_ENTRY = GT.struct(CLIENT_FIELDS, 'ClientEntry')

/** `clientResp` (embedded ClientEntry + connected). */
export const CLIENT_RESP = GT.struct(
  [...CLIENT_FIELDS, f('Connected', 'connected', B)],
  'clientResp',
  'api',
)

export const SS_CONFIG = GT.struct(
  [f('Listen', 'listen', S), f('Enabled', 'enabled', B), f('Method', 'method', S)],
  'SSConfig',
)

export const L2TP_CONFIG = GT.struct(
  [
    f('Listen', 'listen', S),
    f('Enabled', 'enabled', B),
    f('Pool', 'pool', S),
    f('PSK', 'psk', S),
    f('ProxyPort', 'proxy_port', I),
    f('MTU', 'mtu', I),
  ],
  'L2TPConfig',
)

export const IKEV2_CONFIG = GT.struct(
  [
    f('Enabled', 'enabled', B),
    f('Mode', 'mode', S),
    f('Pool', 'pool', S),
    f('CertID', 'cert_id', S),
    f('PSK', 'psk', S),
    f('LocalID', 'local_id', S),
    f('RemoteID', 'remote_id', S),
    f('PSKUserMode', 'psk_user_mode', B),
    f('DefaultExit', 'default_exit', S),
    f('DefaultExitMode', 'default_exit_mode', S, true),
    f('DNS', 'dns', S),
    f('ProxyPort', 'proxy_port', I),
    f('MTU', 'mtu', I),
  ],
  'IKEv2Config',
)

export const WG_PEER = GT.struct(
  [
    f('Name', 'name', S),
    f('PublicKey', 'public_key', S),
    f('PrivateKey', 'private_key', S),
    f('AllowedIPs', 'allowed_ips', S),
    f('Keepalive', 'keepalive', I),
    f('ExitVia', 'exit_via', S),
    f('ExitPaths', 'exit_paths', GT.slice(S), true),
    f('ExitMode', 'exit_mode', S, true),
  ],
  'WireGuardPeer',
)

export const WG_CONFIG = GT.struct(
  [
    f('Enabled', 'enabled', B),
    f('ListenPort', 'listen_port', I),
    f('PrivateKey', 'private_key', S),
    f('Address', 'address', S),
    f('DNS', 'dns', S, true),
    f('MTU', 'mtu', I, true),
    f('Peers', 'peers', GT.slice(WG_PEER)),
  ],
  'WireGuardConfig',
)

const RULE_FIELDS = [
  f('ID', 'id', S),
  f('Name', 'name', S),
  f('Type', 'type', S),
  f('Targets', 'targets', GT.slice(S)),
  f('ExitVia', 'exit_via', S),
  f('ExitPaths', 'exit_paths', GT.slice(S), true),
  f('ExitMode', 'exit_mode', S, true),
  f('Enabled', 'enabled', B),
  f('Priority', 'priority', I, true),
  f('UseTun', 'use_tun', B, true),
]

export const ROUTING_RULE = GT.struct(RULE_FIELDS, 'RoutingRule')

/** `ruleWithTun` (list rows). */
export const RULE_WITH_TUN = GT.struct(
  [...RULE_FIELDS, f('TunActive', 'tun_active', B, true)],
  'ruleWithTun',
  'api',
)

export const PORT_CONFLICT = GT.struct(
  [f('Port', 'port', I), f('Proto', 'proto', S), f('Desc', 'desc', S)],
  'PortConflict',
)

export const GRAPH_POS = GT.struct([f('X', 'x', F64), f('Y', 'y', F64)], 'GraphLayoutPos')

export const CERT_INFO = GT.struct(
  [
    f('ID', 'id', S),
    f('Name', 'name', S),
    f('Subject', 'subject', S),
    f('Issuer', 'issuer', S),
    f('NotAfter', 'not_after', S),
    f('IsCA', 'is_ca', B),
    f('KeyFile', 'key_file', S, true),
    f('CertFile', 'cert_file', S, true),
    f('CAParentID', 'ca_parent_id', S, true),
  ],
  'CertInfo',
)

export const DEVICE_JSON = GT.struct(
  [
    f('Key', 'key', S),
    f('Username', 'username', S),
    f('RemoteIP', 'remote_ip', S),
    f('Protocol', 'protocol', S),
    f('ConnectAt', 'connect_at', I64),
    f('Duration', 'duration', I),
    f('ConnCount', 'conn_count', I),
    f('TxBytes', 'tx_bytes', I64),
    f('RxBytes', 'rx_bytes', I64),
  ],
  'DeviceJSON',
)

const SUB_PEER_FIELDS = (children: GoType): ReturnType<typeof f>[] => [
  f('Name', 'name', S),
  f('ExitNode', 'exit_node', B),
  f('Direction', 'direction', S),
  f('Via', 'via', S),
  f('LatencyMs', 'latency_ms', I),
  f('Nested', 'nested', B),
  f('Disabled', 'disabled', B, true),
  f('Native', 'native', B, true),
  f('Version', 'version', S, true),
  f('TunCapable', 'tun_capable', B, true),
  f('TxRate', 'tx_rate', GT.uint64),
  f('RxRate', 'rx_rate', GT.uint64),
  f('MaxRate', 'max_rate', GT.uint64, true),
  f('Connected', 'connected', B),
  f('Children', 'children', children, true),
]

/** `topoSubPeer`, three levels deep (deeper levels encode with the same schema). */
function subPeer(depth: number): GoType {
  const children: GoType = depth <= 0 ? GT.slice(S) : GT.slice(subPeer(depth - 1))
  return GT.struct(SUB_PEER_FIELDS(children), 'topoSubPeer', 'api')
}

export const TOPO_SUB_PEER = subPeer(6)

export const TOPO_NODE = GT.struct(
  [
    f('Name', 'name', S),
    f('Addr', 'addr', S, true),
    f('Addrs', 'addrs', GT.slice(S), true),
    f(
      'IPStatuses',
      'ip_statuses',
      GT.slice(
        GT.struct(
          [f('Addr', 'addr', S), f('Status', 'status', S), f('LatencyMs', 'latency_ms', I, true)],
          'IPStatus',
          'relay',
        ),
      ),
      true,
    ),
    f('ExitNode', 'exit_node', B),
    f('Direction', 'direction', S),
    f('Connected', 'connected', B),
    f('Disabled', 'disabled', B),
    f('Nested', 'nested', B),
    f('Native', 'native', B, true),
    f('Version', 'version', S, true),
    f('Incompatible', 'incompatible', B, true),
    f('Conflict', 'conflict', B, true),
    f('Unsupported', 'unsupported', B, true),
    f('TunCapable', 'tun_capable', B, true),
    f('LatencyMs', 'latency_ms', I),
    f('TxRate', 'tx_rate', GT.uint64),
    f('RxRate', 'rx_rate', GT.uint64),
    f('MaxRate', 'max_rate', GT.uint64, true),
    f('IsSelf', 'is_self', B, true),
    f('Children', 'children', GT.slice(TOPO_SUB_PEER), true),
  ],
  'treeNode',
  'api',
)

export const PEER_INFO_WITH_CHILDREN = GT.struct(
  [
    f('Name', 'name', S),
    f('ExitNode', 'exit_node', B),
    f('Direction', 'direction', S),
    f('Native', 'native', B),
    f('LatencyMs', 'latency_ms', I),
    f('Version', 'version', S, true),
    f('NodeID', 'node_id', S, true),
    f('Incompatible', 'incompatible', B, true),
    f('Conflict', 'conflict', B, true),
    f('TunCapable', 'tun_capable', B, true),
    f('PV', 'pv', I, true),
    f('Unsupported', 'unsupported', B, true),
    f('Children', 'children', GT.slice(TOPO_SUB_PEER), true),
  ],
  'peerWithChildren',
  'api',
)

export const UPGRADE_STATUS = GT.struct(
  [
    f('State', 'state', S),
    f('Current', 'current', S),
    f('Latest', 'latest', S),
    f('Asset', 'asset', S),
    f('DownloadURL', 'download_url', S),
    f('Progress', 'progress', F64),
    f('BytesDone', 'bytes_done', I64),
    f('BytesTotal', 'bytes_total', I64),
    f('Error', 'error', S, true),
  ],
  'upgradeJobSnapshot',
  'api',
)

// Anonymous request bodies (error texts name them as `struct { … }`).
export const LOGIN_BODY = GT.struct([f('Username', 'username', S), f('Password', 'password', S)])
export const PASSWORD_BODY = GT.struct([
  f('CurrentPassword', 'current_password', S),
  f('NewUsername', 'new_username', S),
  f('NewPassword', 'new_password', S),
])
export const NODE_BODY = GT.struct([
  f('NodeID', 'node_id', GT.ptr(S)),
  f('Name', 'name', GT.ptr(S)),
  f('ExitNode', 'exit_node', GT.ptr(B)),
  f('Server', 'server', GT.ptr(SERVER_CONFIG)),
  f('Hy2UserAuth', 'hy2_user_auth', GT.ptr(B)),
])
export const LAYOUT_BODY = GT.struct([f('Positions', 'positions', GT.map(GRAPH_POS))])
export const DISABLED_BODY = GT.struct([f('Disabled', 'disabled', B)])
export const ENABLED_BODY = GT.struct([f('Enabled', 'enabled', B)])
export const UI_BODY = GT.struct(
  (
    [
      ['Listen', 'listen', S],
      ['BasePath', 'base_path', S],
      ['DNS', 'dns', S],
      ['ForceHTTPS', 'force_https', B],
      ['HTTPSCertID', 'https_cert_id', S],
      ['SessionTimeoutH', 'session_timeout_h', I],
      ['MaxNestedDepth', 'max_nested_depth', I],
      ['MaxResponseNodes', 'max_response_nodes', I],
      ['MaxCacheEntries', 'max_cache_entries', I],
      ['MaxResponseBytes', 'max_response_bytes', I],
      ['MaxFetchFanOut', 'max_fetch_fan_out', I],
      ['RelayAdminPassthrough', 'relay_admin_passthrough', B],
      ['DNSResolverEnabled', 'dns_resolver_enabled', B],
      ['DNSResolverCacheTTL', 'dns_resolver_cache_ttl', I],
      ['DNSResolverNegativeTTL', 'dns_resolver_negative_ttl', I],
      ['DNSResolverCacheSize', 'dns_resolver_cache_size', I],
      ['DNSResolverQueryTimeoutMs', 'dns_resolver_query_timeout_ms', I],
    ] as const
  ).map(([g, j, t]) => f(g, j, GT.ptr(t))),
)
export const TLS_IMPORT_BODY = GT.struct([
  f('ID', 'id', S),
  f('Name', 'name', S),
  f('Cert', 'cert', S),
  f('Key', 'key', S),
])
export const TLS_IMPORT_PATH_BODY = GT.struct([
  f('ID', 'id', S),
  f('Name', 'name', S),
  f('CertPath', 'cert_path', S),
  f('KeyPath', 'key_path', S),
])
export const TLS_GENERATE_BODY = GT.struct([
  f('ID', 'id', S),
  f('Name', 'name', S),
  f('Domains', 'domains', GT.slice(S)),
  f('Days', 'days', I),
])
export const TLS_SIGN_BODY = GT.struct([
  f('CAID', 'ca_id', S),
  f('ID', 'id', S),
  f('Name', 'name', S),
  f('CN', 'cn', S),
  f('Days', 'days', I),
])
