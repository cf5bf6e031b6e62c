import type {
  Account,
  Cert,
  Hy2ScaleTopologyNode,
  SessionRow,
  WireGuardPeer,
} from '../../../../shared/contract'
import type { UserSearchTerms } from '../adapter'
import type {
  CertInfoWire,
  DeviceWire,
  TopoSubPeerWire,
  TopologyNodeWire,
  UserConfigWire,
  WireGuardPeerWire,
} from './schema'

/** Account (no password) from a user record; `devices` from the live sessions. */
export function userToAccount(u: UserConfigWire, devices: number | null): Account {
  return {
    id: u.id,
    name: u.username,
    enabled: u.enabled,
    // apis.md §2 UserConfig: traffic_limit 0 = unlimited.
    trafficLimit: u.traffic_limit > 0 ? u.traffic_limit : null,
    trafficUsed: u.traffic_used,
    expiresAt: u.expiry_date === '' ? null : u.expiry_date,
    exitVia: u.exit_via,
    devices,
  }
}

/**
 * Device → session row. The device's tx/rx are counted at the node: tx = bytes the node sent to
 * the client (client download), rx = bytes it received (client upload). apis.md §2 does not
 * state the direction; this reading follows the node's own naming and is UNVERIFIED upstream.
 * Bytes only move when a connection closes, so a long-lived connection shows 0 until then.
 */
export function deviceToSession(d: DeviceWire): SessionRow {
  return {
    id: d.key,
    user: d.username,
    state: 'active',
    connection: null,
    stream: null,
    target: '',
    hookedTarget: null,
    remote: d.remote_ip === '' ? null : d.remote_ip,
    up: d.rx_bytes,
    down: d.tx_bytes,
    startedAt: d.connect_at > 0 ? new Date(d.connect_at * 1000).toISOString() : null,
    lastActiveAt: null,
    protocol: d.protocol === '' ? null : d.protocol,
    connections: d.conn_count,
  }
}

/** Client IPs per username, from the live devices (the fleet's user search finds users by IP). */
export function ipsPerUser(devices: DeviceWire[]): Map<string, UserSearchTerms> {
  const m = new Map<string, UserSearchTerms>()
  for (const d of devices) {
    if (d.remote_ip === '') continue
    const t = m.get(d.username)
    if (!t) m.set(d.username, { ips: [d.remote_ip] })
    else if (!t.ips?.includes(d.remote_ip)) t.ips?.push(d.remote_ip)
  }
  return m
}

/** Devices per username (a device = all connections of one user, IP and protocol). */
export function devicesPerUser(devices: DeviceWire[]): Map<string, number> {
  const m = new Map<string, number>()
  for (const d of devices) m.set(d.username, (m.get(d.username) ?? 0) + 1)
  return m
}

function topo(n: TopologyNodeWire | TopoSubPeerWire, isSelf: boolean): Hy2ScaleTopologyNode {
  return {
    name: n.name,
    direction: n.direction,
    exitNode: n.exit_node,
    connected: isSelf ? true : n.connected,
    disabled: n.disabled,
    nested: n.nested,
    isSelf,
    // -1 = offline (apis.md §2): unknown, never 0 ms.
    latencyMs: n.latency_ms >= 0 ? n.latency_ms : null,
    txRate: n.tx_rate,
    rxRate: n.rx_rate,
    version: n.version === '' ? null : n.version,
    children: n.children.map((c) => topo(c, false)),
  }
}

/** The topology tree; element 0 is the node itself. */
export function mapTopology(nodes: TopologyNodeWire[]): Hy2ScaleTopologyNode[] {
  return nodes.map((n) => topo(n, n.is_self))
}

export function peerToWireGuardPeer(p: WireGuardPeerWire): WireGuardPeer {
  return {
    name: p.name,
    publicKey: p.public_key,
    allowedIps: p.allowed_ips,
    keepalive: p.keepalive,
    exitVia: p.exit_via,
    hasPrivateKey: p.private_key !== '',
  }
}

/** Whole days from `now` (UTC) to a `YYYY-MM-DD` date; null if unreadable. */
export function daysUntil(date: string, now: number): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  if (!m) return null
  const end = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  const today = new Date(now)
  const start = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate())
  return Math.round((end - start) / 86_400_000)
}

export function certToCert(c: CertInfoWire, now: number): Cert {
  return {
    id: c.id,
    name: c.name,
    subject: c.subject,
    issuer: c.issuer,
    notAfter: c.not_after,
    isCa: c.is_ca,
    hasKey: c.key_file !== undefined && c.key_file !== '',
    caParentId: c.ca_parent_id ?? null,
    daysLeft: daysUntil(c.not_after, now),
  }
}
