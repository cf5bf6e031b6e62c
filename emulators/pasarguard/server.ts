/**
 * Emulator of a PasarGuard node v0.5.2 (PasarGuard/node; apis.md §3): one TLS port speaking
 * either REST (`SERVICE_PROTOCOL=rest`, rest.ts) or gRPC (the default, grpc.ts), never both,
 * over one controller (node-state.ts) with an Xray or WireGuard backend (backends.ts).
 *
 * Everything apis.md §3 states is implemented as stated. Where apis.md is silent, the upstream
 * v0.5.2 source (controller/rest, controller/rpc, controller/controller.go, backend/xray,
 * backend/wireguard, pkg/stats) and what Xray ≥ 25.7.26 / chi v5.3.0 / grpc-go do were followed:
 *
 * - Auth runs before routing on every REST path; on gRPC an EMPTY `x-api-key` value is
 *   INVALID_ARGUMENT (Go sees a present but unparsable value), only an absent one UNAUTHENTICATED.
 * - gRPC backend check: both "backend not initialized" and "core is not started yet" are
 *   UNAVAILABLE (REST: 500 / 503). GetOutboundsLatency is not behind the check on gRPC: without a
 *   backend it answers OK with an empty list; with a stopped Xray core UNKNOWN `xray not started`.
 * - gRPC errors: plain Go errors (start failures, `email required`, `tag required`, SyncUsers
 *   failures, …) are UNKNOWN with their text; see grpc.ts for the per-RPC codes.
 * - REST error bodies are Go's `err.Error()`: status errors read `rpc error: code = X desc = …`.
 *   Online stats of a user without an Xray online map (never connected, or `statsUserOnline` off
 *   in the config's policy) → 404 `rpc error: code = NotFound desc = rpc error: code = NotFound
 *   desc = user>>>EMAIL>>>online not found.` (gRPC NOT_FOUND with the inner text).
 * - UserStat/Outbound/Inbound for an unknown name is NOT an error: Xray's QueryStats is a
 *   substring match returning an empty list (200 / OK, `stats: []`). Results come in Go map
 *   order (shuffled here). Xray registers inbound counters only when `policy.system.
 *   statsInbound{Up,Down}link` is on (the node forces outbound + user counters on); user counters
 *   appear with a user's first traffic; a core restart (SyncUsers, chunked > 100, crash recovery)
 *   zeroes every counter and online map, as a new Xray process does.
 * - `/logs` sends nothing, not even headers, before the first line (Go writes headers on the first
 *   Write/Flush). Lines buffer in the channel (LOG_BUFFER_SIZE 10000, drops when full) while
 *   nobody reads: the first reader after /start gets Xray's start banner. The Xray channel is never
 *   closed: after /stop or a keep-alive expiry an open Xray log stream stays open and silent (the
 *   stream only ends for WireGuard, whose channel is closed; gRPC: UNKNOWN `log channel closed`).
 * - A completed `/logs` stream that wrote at least one line counts as a 2xx for keep-alive when it
 *   ends; a gRPC GetLogs cancelled by the client counts too (upstream returns nil). While open,
 *   neither resets the clock.
 * - `/start` takes `coreStartMs` (default 1000 — upstream polls Xray's API every second) and, like
 *   upstream's controller mutex, every other request (even the key check) waits meanwhile. Start
 *   failures are detected after the same delay. SyncUsers / chunked>100 restarts also wait
 *   `coreStartMs` before answering (the core runs meanwhile). WireGuard starts at once.
 * - Start failures emulated: invalid JSON / Go type errors (json.Unmarshal texts), unknown inbound
 *   or outbound protocol and inbounds without a port (Xray's `Failed to start: …` line, prefixed
 *   `failed to start xray: `), invalid backend type. An Xray config with no inbounds starts (as
 *   upstream). WireGuard config = upstream's JSON (`interface_name`, `private_key` (required,
 *   base64 32 bytes), `listen_port`, `address`, `latency`), peers from users whose `inbounds`
 *   contain the interface name and whose `proxies.wireguard` has a valid key and peer IPs.
 * - SyncUser over Xray: only vless/vmess (valid UUID id), trojan, shadowsocks and hysteria inbounds
 *   take users (upstream v0.5.2 has no Xray wireguard accounts). `exclude_inbounds` does not delete
 *   an inbound: it stays in Xray's config (and keeps its traffic counters) but gets no users.
 *   `API_INBOUND` (added by the node) shows up in Inbounds stats when inbound stats are enabled.
 * - WireGuard SyncUser: a user without WireGuard settings is ignored (not removed), as upstream's
 *   `normalizeUsers` drops it before reconciling; peers are keyed by public key.
 * - keep_alive: `time.Duration(keep_alive) * time.Second` with Go's int64 wrap-around (absurd values
 *   expire at the first tick); the watchdog starts at /start.
 * - SystemStats: first sample `systemSampleMs` after /start (zeros before; the last sample survives
 *   a /stop as upstream's does), uptime = backend uptime. Latency needs an `observatory` /
 *   `burstObservatory` section (else 502 / UNKNOWN `xray outbound latency is not available`).
 * - A crashed Xray core is restarted by upstream's health check after `healthCheckMs` (crashCore);
 *   stopCore() models a core that cannot come back (503 until /start).
 * - Not emulated: Go's stricter protobuf decoding (invalid UTF-8 strings), chi's panics on nil
 *   config entries, `Connection`/`Keep-Alive` header differences of Node's HTTP/1.1 server, the
 *   exact text of grpc-js' UNIMPLEMENTED for unknown methods.
 */
import { certFingerprint, generateNodeCert } from './cert'
import type { PgBackendView, TrafficKind } from './backends'
import { PgNode, type SyncRecord } from './node-state'
import { startRestServer } from './rest'
import { startGrpcServer } from './grpc'
import { simBackend, startSimulation, type PgSimulation } from './sim'
import type { PbBackend } from '../../src/main/core/adapters/pasarguard/proto'
import type { FailMode, PgRequestRecord, TransportContext } from './transport'

export type { PgBackendView, TrafficKind } from './backends'
export type { SyncRecord } from './node-state'
export type { FailMode, PgRequestRecord } from './transport'
export { NodeError } from './errors'
export { simBackend, simUsers, simXrayConfig } from './sim'

/** Options of {@link startPasarGuardEmulator}. */
export interface PasarGuardEmulatorOptions {
  /** Listen port; 0 = ephemeral (default). */
  port?: number
  /** Listen address (default 127.0.0.1). */
  host?: string
  /** SERVICE_PROTOCOL: exactly one runs. */
  protocol: 'rest' | 'grpc'
  /** API_KEY; must parse as a UUID (Go `uuid.Parse` forms), otherwise the node uses the nil UUID. */
  apiKey: string
  /** Server certificate; default: EC P-256 self-signed, SAN DNS:localhost + IP:127.0.0.1, 10 y. */
  cert?: { certPem: string; keyPem: string }
  /** Default '0.5.2'. */
  nodeVersion?: string
  /** Xray version reported once started (default '25.10.15'). */
  coreVersion?: string
  /** Keep-alive watchdog period (upstream 5 s). */
  watchdogIntervalMs?: number
  /** System stats sampling period (upstream 1.5 s). */
  systemSampleMs?: number
  /** How long an Xray start / restart takes until it answers (upstream ≥ 1 s; tests use 0). */
  coreStartMs?: number
  /** Xray health-check period: a crashed core is restarted after this (upstream 2 s). */
  healthCheckMs?: number
  /** LOG_BUFFER_SIZE (default 10000). */
  logBufferSize?: number
  /** Demo: moving traffic, online users, log lines; `autoStart` starts Xray with a generated config and users. */
  simulate?: false | { users: number; seed?: number; logLinesPerSec?: number; autoStart?: boolean }
}

/** The control surface for tests, the demo and benchmarks. */
export interface PasarGuardControl {
  /** The current backend (null before /start, after /stop, keep-alive expiry or dropBackend). */
  backend(): PgBackendView | null
  /** Starts a backend as `/start` does (stopping a running one), without a request. */
  start(backend: Partial<PbBackend>): Promise<void>
  /** The core process dies and cannot restart: 503 `core is not started yet` until the next /start. */
  stopCore(): void
  /** The core process dies; upstream's health check restarts it after `healthCheckMs` (Xray). */
  crashCore(): void
  /** The backend is forgotten (like a keep-alive expiry): 500 `backend not initialized`. */
  crashBackend(): void
  /** Same as crashBackend. */
  dropBackend(): void
  /**
   * Moves traffic (exact 64-bit, wrapping like Go's int64). Xray: counters
   * `<kind>>>>NAME>>>traffic>>>uplink|downlink` (registered on first use, even where Xray's policy
   * would not track them); WireGuard: `user` = the peer of that email, `outbound` = the interface,
   * `inbound` is refused. False when the core is not running or the target is unknown.
   */
  addTraffic(
    kind: TrafficKind,
    name: string,
    uplink: number | bigint,
    downlink: number | bigint,
  ): boolean
  /**
   * Xray: creates/updates the user's online map (`count` = the online value, `ips` = IP → unix
   * seconds); `count` null removes the map (online stats → NotFound). WireGuard: marks the peer
   * active (count > 0) with the first IP as endpoint. False if not applicable.
   */
  setOnline(email: string, count: number | null, ips?: Record<string, number>): boolean
  /** Observatory result for an outbound (WireGuard: the interface); null = default. */
  setLatency(outbound: string, v: { alive: boolean; delay: number } | null): void
  /** A line (or lines) the core prints; false when dropped (no backend, buffer full). */
  emitLog(line: string | string[]): boolean
  /** Lines per second the core prints (0 = off); written in batches every 10 ms. */
  setLogRate(linesPerSec: number): void
  /** Open `/logs` streams and `GetLogs` calls. */
  logReaders(): number
  /** Log counters: lines generated by setLogRate, and the current channel's sent/dropped/delivered. */
  logStats(): {
    generated: number
    accepted: number
    channel: { sent: number; dropped: number; delivered: number; buffered: number } | null
  }
  /** Every user sync the node received (newest last; at most 1000). */
  readonly lastSyncs: ReadonlyArray<SyncRecord>
  /** Raw Xray counters without resetting (empty for WireGuard / no backend). */
  counters(): Record<string, bigint>
  /** Applies a failure mode to the next `count` requests (before auth). */
  failNext(mode: FailMode, count?: number): void
  /** Changes API_KEY (invalid → nil UUID). */
  setApiKey(key: string): void
  /** ms timestamp of the last 2xx / OK request (the keep-alive base). */
  lastRequestAt(): number
}

/** A running emulator. */
export interface PasarGuardEmulator {
  /** `https://127.0.0.1:<port>` */
  url: string
  port: number
  protocol: 'rest' | 'grpc'
  certPem: string
  /** SHA-256 of the leaf DER, upper-case colon hex. */
  fingerprintSha256: string
  /** Every request that reached the application, in arrival order (see {@link PgRequestRecord}). */
  requests: PgRequestRecord[]
  /** Completed TLS handshakes (a TLS probe counts here, never in `requests`). */
  handshakes(): number
  control: PasarGuardControl
  close(): Promise<void>
}

export async function startPasarGuardEmulator(
  opts: PasarGuardEmulatorOptions,
): Promise<PasarGuardEmulator> {
  const host = opts.host ?? '127.0.0.1'
  const cert = opts.cert ?? generateNodeCert()
  const sim = opts.simulate || null
  const node = new PgNode({
    apiKey: opts.apiKey,
    nodeVersion: opts.nodeVersion ?? '0.5.2',
    coreVersion: opts.coreVersion ?? '25.10.15',
    watchdogIntervalMs: opts.watchdogIntervalMs ?? 5000,
    systemSampleMs: opts.systemSampleMs ?? 1500,
    coreStartMs: opts.coreStartMs ?? 1000,
    healthCheckMs: opts.healthCheckMs ?? 2000,
    logBufferSize: opts.logBufferSize ?? 10000,
    seed: sim ? (sim.seed ?? 1) : 1,
  })
  const requests: PgRequestRecord[] = []
  let handshakes = 0
  const failures: FailMode[] = []
  const ctx: TransportContext = {
    host,
    port: opts.port ?? 0,
    certPem: cert.certPem,
    keyPem: cert.keyPem,
    record(r) {
      const entry: PgRequestRecord = { at: Date.now(), ...r, status: 0 }
      requests.push(entry)
      return entry
    },
    onHandshake() {
      handshakes++
    },
    takeFailure() {
      return failures.shift() ?? null
    },
  }
  const transport =
    opts.protocol === 'grpc' ? await startGrpcServer(node, ctx) : await startRestServer(node, ctx)

  let simulation: PgSimulation | null = null
  if (sim) {
    if (sim.autoStart) await node.start(simBackend(sim.users, sim.seed ?? 1))
    simulation = startSimulation(node, {
      users: sim.users,
      seed: sim.seed,
      logLinesPerSec: sim.logLinesPerSec,
    })
  }

  const urlHost = host.includes(':') ? `[${host}]` : host
  const toBig = (v: number | bigint): bigint => (typeof v === 'bigint' ? v : BigInt(Math.trunc(v)))

  const control: PasarGuardControl = {
    backend: () => node.view(),
    async start(b) {
      await node.start({
        type: b.type ?? 0,
        config: b.config ?? '',
        users: b.users ?? [],
        keep_alive: b.keep_alive ?? '0',
        exclude_inbounds: b.exclude_inbounds ?? [],
      })
    },
    stopCore: () => node.backend?.stopCore(),
    crashCore: () => node.backend?.crashCore(),
    crashBackend: () => node.disconnect(),
    dropBackend: () => node.disconnect(),
    addTraffic: (kind, name, up, down) => node.addTraffic(kind, name, toBig(up), toBig(down)),
    setOnline: (email, count, ips) => node.backend?.setOnline(email, count, ips) ?? false,
    setLatency: (name, v) => node.backend?.setLatency(name, v),
    emitLog(line) {
      const b = node.backend
      if (!b) return false
      const lines = Array.isArray(line) ? line : [line]
      return b.logs.sendMany(lines) === lines.length
    },
    setLogRate: (n) => node.setLogRate(n),
    logReaders: () => node.logReaders(),
    logStats() {
      const b = node.backend
      return {
        ...node.logTotals,
        channel: b ? { ...b.logs.stats, buffered: b.logs.length } : null,
      }
    },
    lastSyncs: node.syncs,
    counters() {
      const b = node.backend
      return b && 'counterValues' in b
        ? (b as { counterValues(): Record<string, bigint> }).counterValues()
        : {}
    },
    failNext(mode, count = 1) {
      for (let i = 0; i < count; i++) failures.push(mode)
    },
    setApiKey: (k) => node.setApiKey(k),
    lastRequestAt: () => node.lastRequest,
  }

  let closed = false
  return {
    url: `https://${urlHost}:${transport.port}`,
    port: transport.port,
    protocol: opts.protocol,
    certPem: cert.certPem,
    fingerprintSha256: certFingerprint(cert.certPem),
    requests,
    handshakes: () => handshakes,
    control,
    async close() {
      if (closed) return
      closed = true
      simulation?.stop()
      node.close()
      await transport.close()
    },
  }
}
