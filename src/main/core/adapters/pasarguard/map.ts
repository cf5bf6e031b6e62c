import type {
  AppError,
  PgBackendStats,
  PgInfo,
  PgLatency,
  PgSystemSample,
  PgSystemStats,
  PgTrafficRow,
  PgTrafficTable,
  PgUser,
} from '../../../../shared/contract'
import { AppErrorException, appError } from '../../../../shared/contract'
import { checkXrayConfig } from '../../../../shared/xray-config'
import { TrafficTracker } from '../../monitor/traffic-tracker'
import type {
  Int64String,
  PbBackendStatsResponse,
  PbBaseInfoResponse,
  PbLatency,
  PbProxy,
  PbStat,
  PbSystemStatsResponse,
  PbUser,
} from './proto'

/**
 * Wire → domain for PasarGuard (apis.md §3). 64-bit values arrive as decimal strings and are
 * kept exact (bigint); they leave as numbers only when a double holds them exactly, else null.
 * No protobufjs here (types only): this module loads with the adapter.
 */

/** A decimal int64/uint64 string as bigint (garbage → 0n: proto3 has no "absent"). */
export function int64(s: Int64String | number | undefined | null): bigint {
  if (typeof s === 'number') return Number.isFinite(s) ? BigInt(Math.trunc(s)) : 0n
  if (typeof s !== 'string' || !/^-?\d+$/.test(s)) return 0n
  return BigInt(s)
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/** The value as a number when it is exact (|v| ≤ 2^53 − 1), else null. */
export function safeNumber(v: bigint): number | null {
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : null
}

/** An int64 string as an exact number or null. */
export function num64(s: Int64String | undefined): number | null {
  return safeNumber(int64(s))
}

/** `BaseInfoResponse` (proto3 leaves out false/""). */
export function toInfo(pb: PbBaseInfoResponse): PgInfo {
  return {
    started: Boolean(pb.started),
    coreVersion: pb.core_version ?? '',
    nodeVersion: pb.node_version ?? '',
  }
}

/**
 * The node samples system stats every 1.5 s after /start and answers all zeros before its first
 * sample (apis.md §3). A machine has memory: `mem_total` 0 means "not sampled yet", which
 * NodeDeck shows as unknown — never as 0 % CPU and 0 B/s.
 */
export function isUnsampledSystemStats(pb: PbSystemStatsResponse): boolean {
  return int64(pb.mem_total) === 0n
}

/** `SystemStatsResponse`; uptime 0 = a node older than the field (not sent). */
export function toSystemStats(pb: PbSystemStatsResponse): PgSystemStats {
  const uptime = int64(pb.uptime)
  return {
    memTotal: num64(pb.mem_total),
    memUsed: num64(pb.mem_used),
    cpuCores: num64(pb.cpu_cores),
    cpuUsage: Number.isFinite(pb.cpu_usage) ? pb.cpu_usage : 0,
    incomingBps: num64(pb.incoming_bandwidth_speed),
    outgoingBps: num64(pb.outgoing_bandwidth_speed),
    uptimeSec: uptime === 0n ? null : safeNumber(uptime),
  }
}

/** `BackendStatsResponse`. */
export function toBackendStats(pb: PbBackendStatsResponse): PgBackendStats {
  return {
    numGoroutine: pb.num_goroutine ?? 0,
    numGc: pb.num_gc ?? 0,
    alloc: num64(pb.alloc),
    totalAlloc: num64(pb.total_alloc),
    sys: num64(pb.sys),
    mallocs: num64(pb.mallocs),
    frees: num64(pb.frees),
    liveObjects: num64(pb.live_objects),
    pauseTotalNs: num64(pb.pause_total_ns),
    uptimeSec: pb.uptime ?? 0,
  }
}

/** A chart sample of system stats. */
export function toSample(at: number, s: PgSystemStats): PgSystemSample {
  return {
    at,
    cpuUsage: s.cpuUsage,
    memUsed: s.memUsed,
    incomingBps: s.incomingBps,
    outgoingBps: s.outgoingBps,
  }
}

/**
 * Unix time from the node → epoch ms; 0 = never. Seconds are the node's unit (xray's observatory
 * and online-IP map use `time.Unix()`); a value already in ms (≥ 10^12) is kept as it is.
 */
export function unixToMs(v: Int64String | undefined): number | null {
  const b = int64(v)
  if (b <= 0n) return null
  const n = safeNumber(b)
  if (n === null) return null
  return n >= 1e12 ? n : n * 1000
}

/** `Latency` of one outbound (delay in ms, times in unix seconds). */
export function toLatency(pb: PbLatency): PgLatency {
  const delay = num64(pb.delay)
  return {
    name: pb.name ?? '',
    alive: Boolean(pb.alive),
    delayMs: pb.alive && delay !== null && delay >= 0 ? delay : null,
    link: pb.link ?? '',
    lastSeenAt: unixToMs(pb.last_seen_time),
    lastTryAt: unixToMs(pb.last_try_time),
    source: pb.source ?? '',
  }
}

/** The IPs of `StatsOnlineIpListResponse.ips`, newest first. */
export function toIps(ips: Record<string, Int64String> | undefined): PgIp[] {
  return Object.entries(ips ?? {})
    .map(([ip, t]) => ({ ip, lastSeenAt: unixToMs(t) }))
    .sort((a, b) => (b.lastSeenAt ?? 0) - (a.lastSeenAt ?? 0) || a.ip.localeCompare(b.ip))
}
export interface PgIp {
  ip: string
  lastSeenAt: number | null
}

/** Uplink/downlink of one name, exact. */
export interface StatPair {
  up: bigint
  down: bigint
  /** `traffic` (xray), a peer's public key or `interface` (WireGuard). */
  link: string
}

/**
 * Pairs the node's stats by name. `type` is the direction (`uplink` = sent by the client, as the
 * counters are named from the client's side), `link` is `traffic` for xray (apis.md §3).
 */
export function statPairs(stats: readonly PbStat[]): Map<string, StatPair> {
  const out = new Map<string, StatPair>()
  for (const s of stats) {
    const name = s.name ?? ''
    if (!name) continue
    const p = out.get(name) ?? { up: 0n, down: 0n, link: s.link ?? '' }
    const v = int64(s.value)
    const dir = (s.type ?? '').toLowerCase()
    if (dir === 'uplink') p.up += v
    else if (dir === 'downlink') p.down += v
    else continue
    if (!p.link && s.link) p.link = s.link
    out.set(name, p)
  }
  return out
}

/** Counters as the traffic tracker takes them (lossy only beyond 2^53, where rows say null). */
export function pairsToCounters(
  pairs: ReadonlyMap<string, StatPair>,
): Map<string, { up: number; down: number }> {
  const out = new Map<string, { up: number; down: number }>()
  for (const [name, p] of pairs) out.set(name, { up: Number(p.up), down: Number(p.down) })
  return out
}

/** A user as the node takes it (`User`). */
export function toPbUser(u: PgUser): PbUser {
  const p = u.proxies
  const proxies: PbProxy = {}
  if (p.vmess) proxies.vmess = { id: p.vmess.id }
  if (p.vless) proxies.vless = { id: p.vless.id, flow: p.vless.flow }
  if (p.trojan) proxies.trojan = { password: p.trojan.password }
  if (p.shadowsocks) {
    proxies.shadowsocks = { password: p.shadowsocks.password, method: p.shadowsocks.method }
  }
  if (p.wireguard) {
    proxies.wireguard = { public_key: p.wireguard.publicKey, peer_ips: p.wireguard.peerIps }
  }
  if (p.hysteria) proxies.hysteria = { auth: p.hysteria.auth }
  return { email: u.email.trim(), proxies, inbounds: u.inbounds }
}

/**
 * Checks an Xray config before it is sent: JSON, an object, with an `inbounds` array. The error
 * gives the parse position (line and column) but never the config's text (it holds keys).
 */
export function assertXrayConfig(text: string): void {
  const check = checkXrayConfig(text)
  if (!check.ok && check.error.reason === 'notObject') {
    throw new AppErrorException(
      appError('invalid_input', 'The Xray config must be a JSON object ({ … }).', {
        params: { field: 'config' },
      }),
    )
  }
  if (!check.ok) {
    const { offset, line, column } = check.error
    throw new AppErrorException(
      appError(
        'invalid_input',
        `The Xray config is not valid JSON (line ${line}, column ${column}). Fix it and start again; nothing was sent to the node.`,
        { params: { field: 'config', position: offset, line, column } },
      ),
    )
  }
  if (!Array.isArray(check.value.inbounds)) {
    throw new AppErrorException(
      appError(
        'invalid_input',
        'The Xray config has no "inbounds" array: the node needs the inbounds users are added to.',
        { params: { field: 'config' } },
      ),
    )
  }
}

/**
 * One table of the Traffic view (inbounds or outbounds): totals and rates through the monitor's
 * tracker (a counter going backwards is a reset: no rate, never negative, never double counted;
 * clear-on-read deltas are summed since `countingSince`), plus each name's link. A failed read
 * keeps the last rows with the error.
 */
export class PgTrafficTableTracker {
  private readonly tracker: TrafficTracker
  private links = new Map<string, string>()
  private rows: PgTrafficRow[] = []
  private error: AppError | null = null
  private at: number | null = null

  constructor(serverId: string) {
    this.tracker = new TrafficTracker(serverId)
  }

  /** Feeds one reading. */
  update(pairs: ReadonlyMap<string, StatPair>, at: number, deltas: boolean): PgTrafficTable {
    const snap = this.tracker.update(
      { at, counters: pairsToCounters(pairs), devices: null, countersAreDeltas: deltas },
      null,
    )
    for (const [name, p] of pairs) this.links.set(name, p.link)
    // Cumulative: the exact value decides; deltas: their sum (a double) must still be exact.
    const exact = (v: number | null, raw: bigint | undefined) =>
      v === null ||
      !Number.isSafeInteger(v) ||
      (!deltas && raw !== undefined && safeNumber(raw) === null)
        ? null
        : v
    this.rows = snap.users.map((u) => ({
      name: u.name,
      link: this.links.get(u.name) ?? '',
      up: exact(u.up, pairs.get(u.name)?.up),
      down: exact(u.down, pairs.get(u.name)?.down),
      upRate: u.upRate,
      downRate: u.downRate,
      reset: u.reset,
    }))
    this.error = null
    this.at = at
    return this.table()
  }

  /** A failed read: last rows, with the error. */
  fail(error: AppError): PgTrafficTable {
    this.error = error
    return this.table()
  }

  table(): PgTrafficTable {
    return { rows: this.rows, error: this.error, at: this.at }
  }

  /** Since when clear-on-read deltas are summed (null when cumulative). */
  countingSince(): number | null {
    return this.tracker.current().countingSince
  }
}
