import protobuf from 'protobufjs'
import protoText from './service.proto?raw'

/**
 * The PasarGuard node's protobuf schema (`service.proto`, apis.md §3), parsed once with
 * `keepCase` so field names are the wire's snake_case. Shared by NodeDeck's client and the
 * emulator. 64-bit integers are decimal strings in decoded objects (never a lossy number): turn
 * them into bigint with `BigInt(s)`.
 */

/** The message names of `package service`. */
export type PgMessageName =
  | 'Empty'
  | 'BaseInfoResponse'
  | 'Backend'
  | 'Log'
  | 'Stat'
  | 'StatResponse'
  | 'StatRequest'
  | 'OnlineStatResponse'
  | 'StatsOnlineIpListResponse'
  | 'Latency'
  | 'LatencyRequest'
  | 'LatencyResponse'
  | 'BackendStatsResponse'
  | 'SystemStatsResponse'
  | 'User'
  | 'Users'
  | 'UsersChunk'

/** A decimal string holding a 64-bit integer. */
export type Int64String = string

export const BackendType = { XRAY: 0, WIREGUARD: 1 } as const
export const StatType = {
  Outbounds: 0,
  Outbound: 1,
  Inbounds: 2,
  Inbound: 3,
  UsersStat: 4,
  UserStat: 5,
} as const

export interface PbBaseInfoResponse {
  started: boolean
  core_version: string
  node_version: string
}
export interface PbVmess {
  id: string
}
export interface PbVless {
  id: string
  flow: string
}
export interface PbTrojan {
  password: string
}
export interface PbShadowsocks {
  password: string
  method: string
}
export interface PbWireguard {
  public_key: string
  peer_ips: string[]
}
export interface PbHysteria {
  auth: string
}
export interface PbProxy {
  vmess?: PbVmess | null
  vless?: PbVless | null
  trojan?: PbTrojan | null
  shadowsocks?: PbShadowsocks | null
  wireguard?: PbWireguard | null
  hysteria?: PbHysteria | null
}
export interface PbUser {
  email: string
  proxies?: PbProxy | null
  inbounds: string[]
}
export interface PbUsers {
  users: PbUser[]
}
export interface PbUsersChunk {
  users: PbUser[]
  index: Int64String
  last: boolean
}
export interface PbBackend {
  type: number
  config: string
  users: PbUser[]
  keep_alive: Int64String
  exclude_inbounds: string[]
}
export interface PbLog {
  detail: string
}
export interface PbStat {
  name: string
  /** The direction: `uplink` | `downlink` (sic: the field called type). */
  type: string
  /** `traffic` (xray), a peer public key or `interface` (WireGuard). */
  link: string
  value: Int64String
}
export interface PbStatResponse {
  stats: PbStat[]
}
export interface PbStatRequest {
  name: string
  reset: boolean
  type: number
}
export interface PbOnlineStatResponse {
  name: string
  value: Int64String
}
export interface PbStatsOnlineIpListResponse {
  name: string
  ips: Record<string, Int64String>
}
export interface PbLatency {
  name: string
  alive: boolean
  delay: Int64String
  link: string
  last_seen_time: Int64String
  last_try_time: Int64String
  source: string
}
export interface PbLatencyRequest {
  name: string
}
export interface PbLatencyResponse {
  latencies: PbLatency[]
}
export interface PbBackendStatsResponse {
  num_goroutine: number
  num_gc: number
  alloc: Int64String
  total_alloc: Int64String
  sys: Int64String
  mallocs: Int64String
  frees: Int64String
  live_objects: Int64String
  pause_total_ns: Int64String
  uptime: number
}
export interface PbSystemStatsResponse {
  mem_total: Int64String
  mem_used: Int64String
  cpu_cores: Int64String
  cpu_usage: number
  incoming_bandwidth_speed: Int64String
  outgoing_bandwidth_speed: Int64String
  uptime: Int64String
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface PbEmpty {}

/** Message name → its decoded shape. */
export interface PgMessages {
  Empty: PbEmpty
  BaseInfoResponse: PbBaseInfoResponse
  Backend: PbBackend
  Log: PbLog
  Stat: PbStat
  StatResponse: PbStatResponse
  StatRequest: PbStatRequest
  OnlineStatResponse: PbOnlineStatResponse
  StatsOnlineIpListResponse: PbStatsOnlineIpListResponse
  Latency: PbLatency
  LatencyRequest: PbLatencyRequest
  LatencyResponse: PbLatencyResponse
  BackendStatsResponse: PbBackendStatsResponse
  SystemStatsResponse: PbSystemStatsResponse
  User: PbUser
  Users: PbUsers
  UsersChunk: PbUsersChunk
}

/** The RPCs of `service.NodeService`. */
export const PG_RPCS = {
  Start: {
    request: 'Backend',
    response: 'BaseInfoResponse',
    clientStream: false,
    serverStream: false,
  },
  Stop: { request: 'Empty', response: 'Empty', clientStream: false, serverStream: false },
  GetBaseInfo: {
    request: 'Empty',
    response: 'BaseInfoResponse',
    clientStream: false,
    serverStream: false,
  },
  GetLogs: { request: 'Empty', response: 'Log', clientStream: false, serverStream: true },
  GetSystemStats: {
    request: 'Empty',
    response: 'SystemStatsResponse',
    clientStream: false,
    serverStream: false,
  },
  GetBackendStats: {
    request: 'Empty',
    response: 'BackendStatsResponse',
    clientStream: false,
    serverStream: false,
  },
  GetStats: {
    request: 'StatRequest',
    response: 'StatResponse',
    clientStream: false,
    serverStream: false,
  },
  GetOutboundsLatency: {
    request: 'LatencyRequest',
    response: 'LatencyResponse',
    clientStream: false,
    serverStream: false,
  },
  GetUserOnlineStats: {
    request: 'StatRequest',
    response: 'OnlineStatResponse',
    clientStream: false,
    serverStream: false,
  },
  GetUserOnlineIpListStats: {
    request: 'StatRequest',
    response: 'StatsOnlineIpListResponse',
    clientStream: false,
    serverStream: false,
  },
  SyncUser: { request: 'User', response: 'Empty', clientStream: true, serverStream: false },
  SyncUsers: { request: 'Users', response: 'Empty', clientStream: false, serverStream: false },
  SyncUsersChunked: {
    request: 'UsersChunk',
    response: 'Empty',
    clientStream: true,
    serverStream: false,
  },
} as const satisfies Record<
  string,
  { request: PgMessageName; response: PgMessageName; clientStream: boolean; serverStream: boolean }
>
export type PgRpcName = keyof typeof PG_RPCS

/** The gRPC path of an RPC, e.g. `/service.NodeService/GetBaseInfo`. */
export function grpcPath(rpc: PgRpcName): string {
  return `/service.NodeService/${rpc}`
}

/** gRPC's message size limit on the node (both directions). */
export const PG_GRPC_MAX_MESSAGE = 64 * 1024 * 1024

let root: protobuf.Root | null = null

/** The parsed schema (parsed on first use). */
export function pgRoot(): protobuf.Root {
  if (!root) root = protobuf.parse(protoText, { keepCase: true }).root
  return root
}

const types = new Map<string, protobuf.Type>()
function type(name: PgMessageName): protobuf.Type {
  let t = types.get(name)
  if (!t) {
    t = pgRoot().lookupType(`service.${name}`)
    types.set(name, t)
  }
  return t
}

/**
 * Encodes a message. Fields may be left out (proto3 defaults); 64-bit fields take a number, a
 * decimal string. Keys the message does not have are ignored (protobufjs `fromObject`).
 */
export function pgEncode<N extends PgMessageName>(
  name: N,
  value: Partial<PgMessages[N]> | Record<string, unknown>,
): Uint8Array {
  const t = type(name)
  return t.encode(t.fromObject(value as Record<string, unknown>)).finish()
}

/**
 * Decodes a message (throws on bytes that are not this message). Every field is present with its
 * proto3 default; 64-bit integers are decimal strings; enums are numbers.
 */
export function pgDecode<N extends PgMessageName>(name: N, bytes: Uint8Array): PgMessages[N] {
  const t = type(name)
  const msg = t.decode(bytes)
  return t.toObject(msg, {
    longs: String,
    enums: Number,
    defaults: true,
    arrays: true,
    objects: true,
  }) as PgMessages[N]
}

/**
 * Frames messages as `/users/sync/chunked` wants them: each `uvarint(len) + UsersChunk`.
 */
export function pgDelimited(messages: readonly Uint8Array[]): Uint8Array {
  const w = protobuf.Writer.create()
  for (const m of messages) w.bytes(m)
  return w.finish()
}

/**
 * Reads `uvarint(len) + message` frames (the chunked sync body); throws on a truncated frame.
 */
export function pgReadDelimited(body: Uint8Array): Uint8Array[] {
  const r = protobuf.Reader.create(body)
  const out: Uint8Array[] = []
  while (r.pos < r.len) out.push(r.bytes())
  return out
}
