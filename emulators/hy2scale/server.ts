/**
 * Emulator of the HY2 SCALE admin API (FrankoonG/hy2scale v1.3.4; apis.md §2; upstream
 * `internal/api/server.go`, `internal/api/upgrade.go`, `internal/app/*`), plain HTTP like the
 * real `ui_listen`.
 *
 * What a client can observe is reproduced from the Go code:
 * - Routing through two Go 1.22 `ServeMux`es behind `http.StripPrefix(basePath)`: `GET <base>` →
 *   301 `<base>/`, outside the base → 404, unknown non-API paths → 302 `<base>/login`, clean-path
 *   and trailing-slash 301s (including StripPrefix's base-less `Location`), `405` + `Allow`.
 * - Auth middleware in front of every `/api/*` except `POST /api/login`, `GET /api/build-id` and
 *   `GET /api/internal/peers`: `Bearer ` (case-sensitive) or the raw header, `?token=` only when
 *   the header is empty; sliding expiry (`session_timeout_h`); 401 before routing.
 * - `encoding/json` both ways: Go's decode error texts (400), struct field order / `omitempty`,
 *   sorted map keys, `application/json` + trailing newline; errors via `http.Error`.
 * - State semantics of the handlers (silent no-ops, whole-record PUTs, `null` vs `[]`), sessions
 *   (`username|ip|protocol`, 60 s kick block, bytes counted on close), SSE streams, real X25519
 *   keys, real certificates (x509.ts), QR PNGs (`qrcode`, 512×512), tar backups/restores.
 * The emulated node runs without NET_ADMIN ("limited"), outside Docker, without host network.
 */
import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { PNG_SIZE, renderQrPng } from './qr'
import {
  closeServerHard,
  firstHeader,
  goHttpError,
  goQueryGet,
  parseGoRequestURI,
  trackSockets,
  writeGoBadRequestAndClose,
  writeGoResponse,
} from '../common/http-util'
import { goDecode, goEncode, goJson, goZero, GT, type GoType } from '../common/go-json'
import { GoServeMux, goRedirect, goStripPrefix, goUrlFromRaw, type GoUrl } from '../common/go-mux'
import * as SC from './schema'
import { readTar, writeTar, type TarEntry } from './tar'
import type {
  CertInfo,
  ClientEntry,
  Device,
  GraphLayoutPos,
  IKEv2Config,
  L2TPConfig,
  PortConflict,
  ProxyConfig,
  RoutingRule,
  ServerConfig,
  SSConfig,
  TopoSubPeer,
  UpgradeStatus,
  UserConfig,
  WireGuardConfig,
  WireGuardPeer,
} from './types'
import {
  generateSelfSigned,
  parseCertificateDer,
  pemDecodeFirst,
  signWithCA,
  wgGenerateKey,
  wgPublicKey,
} from './x509'
import { startHy2ScaleSimulation, type Hy2ScaleSimulation } from './sim'

/** Upstream `Version`. */
export const HY2SCALE_VERSION = '1.3.4'
/** The version `/api/upgrade/check` reports as latest. */
export const HY2SCALE_LATEST = '1.3.5'
/** Reason the emulated node reports for missing capabilities (upstream text). */
export const NO_NET_ADMIN_REASON =
  'no NET_ADMIN capability (bridge creation, iptables-legacy, iptables, and chroot /host all failed)'
/** Where the emulated node keeps its data. */
export const DATA_DIR = '/data'

/** Options of {@link startHy2ScaleEmulator}. */
export interface Hy2ScaleEmulatorOptions {
  /** Listen address (default 127.0.0.1). */
  host?: string
  /** Listen port; 0 = a free random port (default). */
  port?: number
  /** `ui_base_path` (default `/scale`; `/` or "" = none). */
  basePath?: string
  /** Admin username (default `admin`). */
  username?: string
  /** Admin password in plaintext (default `admin`); the node stores its sha256. */
  password?: string
  /** Node id (default 8 random hex). */
  nodeId?: string
  /** Node name (default = node id). */
  nodeName?: string
  /** Run the simulation (sim.ts); false (default) = only the control API moves things. */
  simulate?: false | { tickMs?: number; users?: number; seed?: number }
  /** Keepalive interval of `/api/graph-layout/stream` (default 20 000 ms). */
  pingIntervalMs?: number
  /** Wall clock (default `Date.now`); {@link Hy2ScaleEmulator.advanceTime} adds to it. */
  now?: () => number
}

/** Failure modes for resilience tests. */
export type Hy2ScaleMode = 'normal' | 'silent' | 'garbage' | 'http500'

/** One request as received. */
export interface RequestLogEntry {
  method: string
  /** Raw request target (path and query as sent). */
  path: string
  headers: Record<string, string | string[] | undefined>
  /** Emulator clock at arrival. */
  at: number
  /** Body as UTF-8, when there was one. */
  body?: string
}

/** A running emulator and its control API. */
export interface Hy2ScaleEmulator {
  /** Base URL including the base path, e.g. `http://127.0.0.1:40123/scale`. */
  readonly url: string
  /** `http://127.0.0.1:40123` */
  readonly origin: string
  readonly port: number
  /** Stops timers and the simulation, destroys sockets and SSE streams, stops listening. */
  close(): Promise<void>
  /** A process restart: every token gone, SSE streams closed, sessions gone, config kept. */
  restart(): void
  /** Moves the emulator clock forward (token expiry, kick blocks, durations). */
  advanceTime(ms: number): void
  readonly requests: ReadonlyArray<RequestLogEntry>
  clearRequestLog(): void
  setMode(mode: Hy2ScaleMode): void
  users(): UserConfig[]
  sessions(): Device[]
  /** Live (unexpired) admin tokens. */
  tokens(): string[]
  /** Opens a connection for (user, ip, protocol); returns the device key, "" if kick-blocked. */
  addDevice(d: {
    username: string
    ip: string
    protocol: string
    conns?: number
    tx?: number
    rx?: number
  }): string
  /** Closes one connection of a device, adding its bytes; the device goes at zero connections. */
  closeConnection(key: string, tx: number, rx: number): void
  setStats(
    s: Partial<{
      tx_bytes: number
      rx_bytes: number
      tx_rate: number
      rx_rate: number
      conns: number
      exit_clients: number
    }>,
  ): void
  // Additions:
  /** Adds/replaces a live relay peer (shows in peers/topology/clients `connected`). */
  setLivePeer(p: LivePeer): void
  removeLivePeer(name: string): void
  /** Adds traffic to a user's `traffic_used` (as the proxies count it). */
  recordUserTraffic(username: string, bytes: number): void
  /** The node id. */
  readonly nodeId: string
  /** The running simulation, when `simulate` was given. */
  readonly simulation: Hy2ScaleSimulation | null
}

/** A relay peer as `relay.Node.Peers()` reports it, plus the emulator's rates and sub-peers. */
export interface LivePeer {
  name: string
  direction: 'outbound' | 'inbound'
  exit_node: boolean
  latency_ms: number
  version?: string
  native?: boolean
  tun_capable?: boolean
  tx_rate: number
  rx_rate: number
  /** Cached nested sub-peers (shown when the peer is `nested`). */
  children?: TopoSubPeer[]
}

interface PeerCfg {
  nested: boolean
  disabled: boolean
}

interface DnsResolverCfg {
  enabled: boolean | null
  cache_ttl: number
  negative_ttl: number
  cache_size: number
  query_timeout_ms: number
}

/** The persisted node config (what `config.yaml` holds). */
interface NodeConfig {
  node_id: string
  name: string
  exit_node: boolean
  hy2_user_auth: boolean
  server: ServerConfig | null
  clients: ClientEntry[] | null
  peers: Record<string, PeerCfg>
  users: UserConfig[] | null
  proxies: ProxyConfig[] | null
  ss: SSConfig | null
  l2tp: L2TPConfig | null
  ikev2: IKEv2Config | null
  wireguard: WireGuardConfig | null
  rules: RoutingRule[] | null
  ui_listen: string
  ui_base_path: string
  web_username: string
  web_password: string
  dns: string
  force_https: boolean
  https_cert_id: string
  session_timeout_h: number
  graph_layout: Record<string, GraphLayoutPos> | null
  max_nested_depth: number
  max_response_nodes: number
  max_cache_entries: number
  max_response_bytes: number
  max_fetch_fan_out: number
  relay_admin_passthrough: boolean
  dns_resolver: DnsResolverCfg
}

interface CertFiles {
  crt: string
  key?: string
  name?: string
  ca?: string
}

interface DeviceRec {
  key: string
  username: string
  ip: string
  protocol: string
  connectAt: number
  conns: number
  tx: number
  rx: number
}

interface Ctx {
  req: IncomingMessage
  res: ServerResponse
  url: GoUrl
  params: Record<string, string>
  body: Buffer
}

type Handler = (c: Ctx) => void

const JSON_HEADERS = { 'Content-Type': 'application/json' }
const OK = { status: 'ok' }
const MAX_BODY = 210 * 1024 * 1024
const RESTORE_LIMIT = 50 << 20

function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex')
}

function constEq(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8')
  const y = Buffer.from(b, 'utf8')
  return x.length === y.length && timingSafeEqual(x, y)
}

/** Upstream `NewServer` base-path normalisation. */
export function normalizeBasePath(bp: string): string {
  let out = bp.replace(/\/+$/, '')
  if (out !== '' && !out.startsWith('/')) out = `/${out}`
  return out
}

/** Go's `%q` (strconv.Quote) for the strings that reach error texts. */
export function goQuote(s: string): string {
  let out = '"'
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number
    if (ch === '"' || ch === '\\') out += `\\${ch}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\r') out += '\\r'
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`
    else out += ch
  }
  return `${out}"`
}

function validAddrSpec(addr: string): boolean {
  const idx = addr.lastIndexOf(':')
  if (idx <= 0 || idx === addr.length - 1) return false
  const atoi = (s: string): number | null => (/^[+-]?\d+$/.test(s) ? Number(s) : null)
  for (const rawPart of addr.slice(idx + 1).split(',')) {
    const part = rawPart.trim()
    if (part.includes('-')) {
      const dash = part.indexOf('-')
      const a = atoi(part.slice(0, dash).trim())
      const b = atoi(part.slice(dash + 1).trim())
      if (a === null || b === null || a < 1 || b > 65535 || a > b) return false
    } else {
      const n = atoi(part)
      if (n === null || n < 1 || n > 65535) return false
    }
  }
  return true
}

/** Upstream `SanitizeExitMode`. */
function sanitizeExitMode(paths: string[] | null | undefined, mode: string): string | Error {
  if (mode === '') return ''
  const filled = (paths ?? []).filter((p) => p !== '')
  if (filled.length === 0) return ''
  if ((mode === 'aggregate' || mode === 'speed') && filled.length > 1) {
    let target = ''
    for (const p of filled) {
      const last = p.split('/').pop() ?? ''
      if (target === '') target = last
      else if (last !== target) {
        return new Error(
          `aggregate mode requires all paths to reach the same exit node, but got "${target}" and "${last}"`,
        )
      }
    }
  }
  return mode
}

/** Syncs `exit_via` ↔ `exit_paths` like the handlers do. */
function syncExit(o: { exit_via?: string; exit_paths?: string[] | null }): void {
  if (o.exit_paths && o.exit_paths.length > 0) o.exit_via = o.exit_paths[0] as string
  else if (o.exit_via !== undefined && o.exit_via !== '') o.exit_paths = [o.exit_via]
}

function freshConfig(opts: Hy2ScaleEmulatorOptions, basePath: string): NodeConfig {
  const nodeId = opts.nodeId ?? randomBytes(4).toString('hex')
  return {
    node_id: nodeId,
    name: opts.nodeName ?? nodeId,
    exit_node: true,
    hy2_user_auth: false,
    server: {
      listen: '0.0.0.0:5565',
      password: randomBytes(12).toString('hex'),
      tls_cert: `${DATA_DIR}/tls/default.crt`,
      tls_key: `${DATA_DIR}/tls/default.key`,
    },
    clients: null,
    peers: {},
    users: null,
    proxies: null,
    ss: null,
    l2tp: null,
    ikev2: null,
    wireguard: {
      enabled: false,
      listen_port: 51820,
      private_key: wgGenerateKey().privateKey,
      address: '10.0.0.1/24',
      mtu: 1420,
      peers: null,
    },
    rules: null,
    ui_listen: '0.0.0.0:5565',
    ui_base_path: basePath,
    web_username: opts.username ?? 'admin',
    web_password: sha256Hex(opts.password ?? 'admin'),
    dns: '',
    force_https: false,
    https_cert_id: '',
    session_timeout_h: 0,
    graph_layout: null,
    max_nested_depth: 0,
    max_response_nodes: 0,
    max_cache_entries: 0,
    max_response_bytes: 0,
    max_fetch_fan_out: 0,
    relay_admin_passthrough: false,
    dns_resolver: {
      enabled: null,
      cache_ttl: 0,
      negative_ttl: 0,
      cache_size: 0,
      query_timeout_ms: 0,
    },
  }
}

/** Upstream `clampNestedLimits`. */
function clamp(v: number, def: number, max: number): number {
  if (v <= 0) return def
  return v > max ? max : v
}

const INDEX_RAW =
  '<!doctype html><html lang="en"><head><meta charset="UTF-8"><title>HY2 SCALE</title></head><body><div id="app"></div></body></html>\n'

const GARBAGE_BODY =
  '<html><head><title>Wi-Fi login</title></head><body><p>Please sign in to continue.</p></body></html>\n'

/** Starts an emulator; resolves once it listens. */
export async function startHy2ScaleEmulator(
  opts: Hy2ScaleEmulatorOptions = {},
): Promise<Hy2ScaleEmulator> {
  const host = opts.host ?? '127.0.0.1'
  const basePath = normalizeBasePath(opts.basePath ?? '/scale')
  const baseClock = opts.now ?? Date.now
  let offset = 0
  const now = (): number => baseClock() + offset
  const pingMs = opts.pingIntervalMs ?? 20_000

  let cfg = freshConfig(opts, basePath)
  let certs = new Map<string, CertFiles>()
  {
    const d = generateSelfSigned([cfg.node_id], 3650, new Date(now()))
    certs.set('default', { crt: d.cert, key: d.key, name: 'Default' })
  }
  let mode: Hy2ScaleMode = 'normal'
  let closed = false
  const requests: RequestLogEntry[] = []
  const timers = new Set<ReturnType<typeof setTimeout>>()

  // Process state (lost on restart).
  let username = cfg.web_username
  let passHash = cfg.web_password
  let tokens = new Map<string, number>()
  let devices = new Map<string, DeviceRec>()
  let blocked = new Map<string, number>()
  const livePeers = new Map<string, LivePeer>()
  let stats = { tx_bytes: 0, rx_bytes: 0, tx_rate: 0, rx_rate: 0, conns: 0, exit_clients: 0 }
  let upgrade: UpgradeStatus = freshUpgrade()
  let pendingRestore: TarEntry[] | null = null
  const sseStreams = new Set<ServerResponse>()
  const layoutSubs = new Set<(payload: string) => void>()
  const upgradeSubs = new Set<(payload: string) => void>()

  function freshUpgrade(): UpgradeStatus {
    return {
      state: 'idle',
      current: HY2SCALE_VERSION,
      latest: '',
      asset: '',
      download_url: '',
      progress: 0,
      bytes_done: 0,
      bytes_total: 0,
    }
  }

  function later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      timers.delete(t)
      fn()
    }, ms)
    t.unref()
    timers.add(t)
  }

  // -- responses ----------------------------------------------------------------------------------

  function sendJson(res: ServerResponse, body: string): void {
    writeGoResponse(res, 200, JSON_HEADERS, `${body}\n`)
  }
  const ok = (res: ServerResponse): void => sendJson(res, goJson(OK))
  const err = (res: ServerResponse, msg: string, code: number): void => goHttpError(res, msg, code)

  function decode<T>(c: Ctx, t: GoType): T | null {
    const r = goDecode<T>(c.body, t)
    if ('error' in r) {
      err(c.res, r.error, 400)
      return null
    }
    return r.value
  }

  /** Decoded Go maps come back as `Map`; the config keeps plain records. */
  function mapToRecord<V>(m: unknown): Record<string, V> | null {
    if (m instanceof Map) return Object.fromEntries(m as Map<string, V>)
    return null
  }

  function normUser(u: UserConfig): UserConfig {
    const pp = mapToRecord<string>(u.proxy_passwords) ?? undefined
    return { ...u, proxy_passwords: pp }
  }

  // -- sessions -----------------------------------------------------------------------------------

  function isBlocked(key: string): boolean {
    const until = blocked.get(key)
    if (until === undefined) return false
    if (now() < until) return true
    blocked.delete(key)
    return false
  }

  function kick(key: string): boolean {
    if (!devices.has(key)) return false
    blocked.set(key, now() + 60_000)
    devices.delete(key)
    return true
  }

  function kickUser(name: string): void {
    for (const key of [...devices.keys()]) if (key.startsWith(`${name}|`)) kick(key)
  }

  function deviceJson(d: DeviceRec): Device {
    const t = now()
    return {
      key: d.key,
      username: d.username,
      remote_ip: d.ip,
      protocol: d.protocol,
      connect_at: Math.floor(d.connectAt / 1000),
      duration: Math.trunc((t - d.connectAt) / 1000),
      conn_count: d.conns,
      tx_bytes: d.tx,
      rx_bytes: d.rx,
    }
  }

  function listDevices(): Device[] {
    const list = [...devices.values()].map(deviceJson)
    for (let i = list.length - 1; i > 0; i--) {
      const j = randomInt(i + 1)
      ;[list[i], list[j]] = [list[j] as Device, list[i] as Device]
    }
    return list
  }

  function addDevice(d: {
    username: string
    ip: string
    protocol: string
    conns?: number
    tx?: number
    rx?: number
  }): string {
    const key = `${d.username}|${d.ip}|${d.protocol}`
    if (isBlocked(key)) return ''
    let dev = devices.get(key)
    if (dev === undefined) {
      dev = {
        key,
        username: d.username,
        ip: d.ip,
        protocol: d.protocol,
        connectAt: now(),
        conns: 0,
        tx: 0,
        rx: 0,
      }
      devices.set(key, dev)
    }
    dev.conns += d.conns ?? 1
    dev.tx += d.tx ?? 0
    dev.rx += d.rx ?? 0
    return key
  }

  function closeConnection(key: string, tx: number, rx: number): void {
    const dev = devices.get(key)
    if (dev === undefined) return
    dev.tx += tx
    dev.rx += rx
    dev.conns -= 1
    if (dev.conns <= 0) devices.delete(key)
    recordUserTraffic(dev.username, tx + rx)
  }

  function recordUserTraffic(name: string, bytes: number): void {
    const u = cfg.users?.find((x) => x.username === name)
    if (u !== undefined) u.traffic_used += bytes
  }

  // -- tokens -------------------------------------------------------------------------------------

  function sessionTimeoutMs(): number {
    return (cfg.session_timeout_h > 0 ? cfg.session_timeout_h : 12) * 3_600_000
  }

  function authenticate(req: IncomingMessage, url: GoUrl): boolean {
    let token = firstHeader(req, 'authorization') ?? ''
    if (token.length > 7 && token.startsWith('Bearer ')) token = token.slice(7)
    if (token === '') token = goQueryGet(url.rawQuery, 'token')
    const exp = tokens.get(token)
    if (exp === undefined || now() > exp) return false
    tokens.set(token, now() + sessionTimeoutMs())
    return true
  }

  // -- restart ------------------------------------------------------------------------------------

  function restart(): void {
    tokens = new Map()
    devices = new Map()
    blocked = new Map()
    upgrade = freshUpgrade()
    for (const res of sseStreams) res.destroy()
    sseStreams.clear()
    layoutSubs.clear()
    upgradeSubs.clear()
    if (pendingRestore !== null) applyRestore(pendingRestore)
    pendingRestore = null
    username = cfg.web_username !== '' ? cfg.web_username : 'admin'
    passHash = cfg.web_password !== '' ? cfg.web_password : sha256Hex('admin')
    simulation?.onRestart()
  }

  function applyRestore(entries: TarEntry[]): void {
    const files = new Map<string, Buffer>()
    for (const e of entries)
      if (e.dir !== true && e.data) files.set(e.name.replace(/^\.\//, ''), e.data)
    const conf = files.get('config.yaml')
    if (conf !== undefined) {
      try {
        const parsed = JSON.parse(conf.toString('utf8')) as Partial<NodeConfig>
        if (typeof parsed === 'object' && parsed !== null && typeof parsed.node_id === 'string') {
          cfg = { ...freshConfig(opts, basePath), ...parsed }
        }
      } catch {
        // a real node's YAML: keep the running config (documented limitation)
      }
    }
    const next = new Map(certs)
    for (const [name, data] of files) {
      const m = /^tls\/([^/]+)\.(crt|key|name|ca)$/.exec(name)
      if (m === null) continue
      const id = m[1] as string
      const ext = m[2] as 'crt' | 'key' | 'name' | 'ca'
      const rec: CertFiles = next.get(id) ?? { crt: '' }
      rec[ext] = data.toString('utf8')
      next.set(id, rec)
    }
    certs = next
  }

  // -- TLS store ------------------------------------------------------------------------------------

  function certInfo(id: string): CertInfo | null {
    const f = certs.get(id)
    if (f === undefined || f.crt === '') return null
    const block = pemDecodeFirst(f.crt)
    if (block === null) return null
    const p = parseCertificateDer(block.der)
    if (p === null) return null
    return {
      id,
      name: f.name ?? id,
      subject: p.subjectCN,
      issuer: p.issuerCN,
      not_after: p.notAfter,
      is_ca: p.isCA,
      key_file: f.key !== undefined ? `${DATA_DIR}/tls/${id}.key` : undefined,
      cert_file: `${DATA_DIR}/tls/${id}.crt`,
      ca_parent_id: f.ca,
    }
  }

  function tlsImport(id: string, name: string, cert: string, key: string): string | null {
    const block = pemDecodeFirst(cert)
    if (block === null) return 'invalid certificate PEM'
    if (parseCertificateDer(block.der) === null) {
      return 'invalid certificate: x509: malformed certificate'
    }
    const prev = certs.get(id)
    const rec: CertFiles = { ...prev, crt: cert, name }
    if (key !== '') rec.key = key
    certs.set(id, rec)
    return null
  }

  // -- graph layout ---------------------------------------------------------------------------------

  function layoutPayload(): string {
    return goEncode(new Map([['positions', cfg.graph_layout ?? {}]]), GT.map(GT.map(SC.GRAPH_POS)))
  }

  // -- topology -------------------------------------------------------------------------------------

  function topology(): unknown[] {
    const clients = cfg.clients ?? []
    const clientMap = new Map(clients.map((c) => [c.name, c]))
    const peers = [...livePeers.values()]
    const selfChildren: TopoSubPeer[] = peers
      .filter((p) => p.direction === 'inbound')
      .map((p) => {
        const pc = cfg.peers[p.name]
        return {
          name: p.name,
          exit_node: p.exit_node,
          direction: 'inbound',
          via: cfg.node_id,
          latency_ms: p.latency_ms,
          nested: pc?.nested === true,
          disabled: pc?.disabled === true,
          version: p.version,
          tun_capable: p.tun_capable,
          tx_rate: p.tx_rate,
          rx_rate: p.rx_rate,
          connected: true,
          children: pc?.nested === true ? p.children : undefined,
        }
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const selfDisabled = cfg.server === null || cfg.server.listen === ''
    const out: unknown[] = [
      {
        name: cfg.node_id,
        addr: cfg.server?.listen ?? '',
        exit_node: false,
        direction: 'local',
        connected: true,
        disabled: selfDisabled,
        nested: false,
        latency_ms: 0,
        tx_rate: 0,
        rx_rate: 0,
        is_self: true,
        children: selfChildren,
      },
    ]
    const names = [...new Set([...peers.map((p) => p.name), ...clients.map((c) => c.name)])].sort()
    for (const name of names) {
      const cl = clientMap.get(name)
      const p = livePeers.get(name)
      if (p?.direction === 'inbound' && cl === undefined) continue
      const disabled = cl?.disabled === true
      const connected = p !== undefined && !disabled
      const addrs =
        cl === undefined
          ? []
          : cl.addrs && cl.addrs.length > 0
            ? cl.addrs
            : cl.addr !== ''
              ? [cl.addr]
              : []
      const nested = cfg.peers[name]?.nested === true
      let direction = cl !== undefined ? 'outbound' : (p?.direction ?? '')
      if (cl === undefined && p !== undefined) direction = p.direction
      let latency = 0
      if (connected && direction === 'outbound') latency = p?.latency_ms ?? 0
      else if (!connected) latency = -1
      const maxRate = cl === undefined ? 0 : Math.max(cl.max_tx, cl.max_rx, 0)
      out.push({
        name,
        addr: cl?.addr ?? '',
        addrs: addrs.length > 1 ? addrs : undefined,
        ip_statuses:
          addrs.length > 1
            ? addrs.map((a, i) => ({
                addr: a,
                status: connected ? 'online' : 'offline',
                latency_ms: connected ? (p?.latency_ms ?? 0) + i * 7 : 0,
              }))
            : undefined,
        exit_node: p?.exit_node ?? false,
        direction,
        connected,
        disabled,
        nested,
        native: p?.native,
        version: p?.version,
        tun_capable: p?.tun_capable,
        latency_ms: latency,
        tx_rate: p?.tx_rate ?? 0,
        rx_rate: p?.rx_rate ?? 0,
        max_rate: maxRate,
        children: nested && connected && p?.native !== true ? p?.children : undefined,
      })
    }
    return out
  }

  // -- handlers -----------------------------------------------------------------------------------

  const api = new GoServeMux<Handler>()
  const authed = new GoServeMux<Handler>()

  api.handle('POST /api/login', (c) => {
    const b = decode<{ username: string; password: string }>(c, SC.LOGIN_BODY)
    if (b === null) return
    if (!(constEq(b.username, username) && constEq(b.password, passHash))) {
      err(c.res, 'invalid credentials', 401)
      return
    }
    const token = randomBytes(16).toString('hex')
    tokens.set(token, now() + sessionTimeoutMs())
    const force = b.password === sha256Hex('admin')
    sendJson(
      c.res,
      goJson(
        new Map<string, unknown>([
          ['token', token],
          ['force_password_change', force],
        ]),
      ),
    )
  })

  const indexBytes = INDEX_RAW
  const buildId = createHash('sha256').update(indexBytes).digest('hex').slice(0, 16)

  api.handle('GET /api/build-id', (c) => sendJson(c.res, goJson({ build_id: buildId })))

  api.handle('GET /api/internal/peers', (c) => {
    const list = [...livePeers.values()].map((p) => ({
      name: p.name,
      exit_node: p.exit_node,
      direction: p.direction,
      native: p.native === true,
      latency_ms: p.latency_ms,
      version: p.version,
      tun_capable: p.tun_capable,
      children: p.children,
    }))
    sendJson(c.res, goEncode(list, GT.slice(SC.PEER_INFO_WITH_CHILDREN)))
  })

  api.handle('/api/', (c) => {
    if (!authenticate(c.req, c.url)) {
      err(c.res, 'unauthorized', 401)
      return
    }
    dispatch(authed, c)
  })

  api.handle('/remote/', (c) => {
    if (firstHeader(c.req, 'x-hy2scale-proxy') === 'true') {
      err(c.res, 'proxy chaining not allowed', 403)
      return
    }
    const raw = c.url.path.startsWith('/remote/') ? c.url.path.slice(8) : c.url.path
    if (raw === '' || raw === '/') {
      err(c.res, 'usage: /remote/{peer}/{path}', 400)
      return
    }
    const notPeer = new Set(
      'api login nodes proxies tls settings remote scale users rules assets'.split(' '),
    )
    const first = raw.replace(/\/$/, '').split('/')[0] ?? ''
    if (first === '' || first.includes('.') || notPeer.has(first)) {
      err(c.res, 'missing peer chain', 400)
      return
    }
    err(c.res, `peer ${first} not connected`, 502)
  })

  const frontendRoutes = new Set([
    '',
    'login',
    'nodes',
    'proxies',
    'users',
    'tls',
    'rules',
    'settings',
  ])
  const injected = indexBytes.replace(
    '<head>',
    `<head><script>window.__BASE__="${basePath}";window.__BUILD_ID__="${buildId}";</script>`,
  )
  api.handle('/', (c) => {
    const path = c.url.path.replace(/^\//, '')
    if (path === 'index.html' || frontendRoutes.has(path)) {
      writeGoResponse(
        c.res,
        200,
        { 'Content-Type': 'text/html', 'Cache-Control': 'no-cache, no-store, must-revalidate' },
        injected,
      )
      return
    }
    goRedirect(c.req, c.res, `${basePath}/login`, 302)
  })

  // node / stats / peers / topology
  authed.handle('GET /api/node', (c) => {
    sendJson(
      c.res,
      goJson(
        new Map<string, unknown>([
          ['node_id', cfg.node_id],
          ['name', cfg.name],
          ['exit_node', cfg.exit_node],
          [
            'server',
            cfg.server === null ? null : JSON.parse(goEncode(cfg.server, SC.SERVER_CONFIG)),
          ],
          ['version', HY2SCALE_VERSION],
          ['limited', true],
          ['compat', false],
          ['hy2_user_auth', cfg.hy2_user_auth],
          ['active_paths', new Map()],
        ]),
      ),
    )
  })
  authed.handle('PUT /api/node', (c) => {
    const b = decode<{
      node_id: string | null
      name: string | null
      exit_node: boolean | null
      server: ServerConfig | null
      hy2_user_auth: boolean | null
    }>(c, SC.NODE_BODY)
    if (b === null) return
    if (b.server !== null && b.server.listen !== '' && Buffer.byteLength(b.server.password) < 6) {
      err(c.res, 'server password must be at least 6 characters', 400)
      return
    }
    if (b.server !== null && b.server.password !== '') {
      for (const u of cfg.users ?? []) {
        if (u.password === b.server.password) {
          err(
            c.res,
            `server password collides with user ${goQuote(u.username)} — pick a different password`,
            400,
          )
          return
        }
      }
    }
    if (b.node_id !== null && b.node_id !== '') {
      cfg.node_id = b.node_id
      cfg.name = b.node_id
    }
    if (b.name !== null) cfg.name = b.name
    if (b.exit_node !== null) cfg.exit_node = b.exit_node
    if (b.server !== null) {
      cfg.server = b.server.listen === '' && b.server.password === '' ? null : b.server
    }
    if (b.hy2_user_auth !== null) cfg.hy2_user_auth = b.hy2_user_auth
    ok(c.res)
  })
  authed.handle('GET /api/stats', (c) => {
    sendJson(c.res, goJson(new Map(Object.entries(stats))))
  })
  authed.handle('GET /api/peers', (c) => {
    const list = [...livePeers.values()].map((p) => ({
      name: p.name,
      exit_node: p.exit_node,
      direction: p.direction,
      nested: cfg.peers[p.name]?.nested === true,
    }))
    sendJson(c.res, goJson(list))
  })
  authed.handle('GET /api/topology', (c) => {
    sendJson(c.res, goEncode(topology(), GT.slice(SC.TOPO_NODE)))
  })

  // graph layout
  authed.handle('GET /api/graph-layout', (c) => sendJson(c.res, layoutPayload()))
  authed.handle('PUT /api/graph-layout', (c) => {
    const b = decode<{ positions: Map<string, GraphLayoutPos> | null }>(c, SC.LAYOUT_BODY)
    if (b === null) return
    cfg.graph_layout = b.positions === null ? null : Object.fromEntries(b.positions)
    const frame = `data: ${layoutPayload()}\n\n`
    for (const sub of layoutSubs) sub(frame)
    ok(c.res)
  })
  authed.handle('GET /api/graph-layout/stream', (c) => {
    const res = openSse(c.res)
    const send = (frame: string): void => {
      if (res.writableNeedDrain) return // slow subscriber: the frame is dropped
      res.write(frame)
    }
    layoutSubs.add(send)
    res.write(`data: ${layoutPayload()}\n\n`)
    const ping = setInterval(() => res.write(': ping\n\n'), pingMs)
    ping.unref()
    res.once('close', () => {
      clearInterval(ping)
      layoutSubs.delete(send)
    })
  })

  function openSse(res: ServerResponse): ServerResponse {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    })
    sseStreams.add(res)
    res.once('close', () => sseStreams.delete(res))
    return res
  }

  // nested peers
  authed.handle('GET /api/peers/{name}/peers', (c) => {
    const name = c.params.name ?? ''
    const p = livePeers.get(name.split('/')[0] ?? '')
    if (p === undefined) {
      err(c.res, `peer ${name} not connected`, 400)
      return
    }
    const list = (p.children ?? []).map((ch) => ({
      name: ch.name,
      exit_node: ch.exit_node,
      direction: ch.direction,
      native: ch.native === true,
      latency_ms: ch.latency_ms,
      version: ch.version,
      tun_capable: ch.tun_capable,
    }))
    sendJson(c.res, goEncode(list, GT.slice(SC.PEER_INFO_WITH_CHILDREN)))
  })
  function stripSelf(peer: string): string {
    const i = peer.indexOf('/')
    if (i >= 0 && (peer.slice(0, i) === cfg.name || peer.slice(0, i) === cfg.node_id)) {
      return peer.slice(i + 1)
    }
    return peer
  }
  authed.handle('PUT /api/peers/{name}/nested', (c) => {
    const b = decode<{ enabled: boolean }>(c, SC.ENABLED_BODY)
    if (b === null) return
    const peer = stripSelf(c.params.name ?? '')
    const pc = cfg.peers[peer] ?? { nested: false, disabled: false }
    cfg.peers[peer] = { ...pc, nested: b.enabled }
    if (!b.enabled) {
      for (const k of Object.keys(cfg.peers)) if (k.startsWith(`${peer}/`)) delete cfg.peers[k]
    }
    ok(c.res)
  })
  authed.handle('PUT /api/peers/{name}/disable', (c) => {
    const b = decode<{ disabled: boolean }>(c, SC.DISABLED_BODY)
    if (b === null) return
    const peer = stripSelf(c.params.name ?? '')
    const pc = cfg.peers[peer] ?? { nested: false, disabled: false }
    cfg.peers[peer] = { ...pc, disabled: b.disabled }
    ok(c.res)
  })

  // clients
  authed.handle('GET /api/clients', (c) => {
    const list = (cfg.clients ?? []).map((cl) => ({
      ...cl,
      connected: livePeers.has(cl.name) && !cl.disabled,
    }))
    sendJson(c.res, goEncode(list, GT.slice(SC.CLIENT_RESP)))
  })
  authed.handle('GET /api/clients/{name}', (c) => {
    const name = c.params.name ?? ''
    const cl = (cfg.clients ?? []).find((x) => x.name === name || x.addr === name)
    if (cl === undefined) {
      err(c.res, 'not found', 404)
      return
    }
    sendJson(c.res, goEncode(cl, SC.CLIENT_ENTRY))
  })
  function syncAddrs(cl: ClientEntry): void {
    if (cl.addrs && cl.addrs.length > 0) cl.addr = cl.addrs[0] as string
    else if (cl.addr !== '') cl.addrs = [cl.addr]
  }
  function checkAddrs(c: Ctx, cl: ClientEntry): boolean {
    const all = cl.addrs && cl.addrs.length > 0 ? cl.addrs : cl.addr !== '' ? [cl.addr] : []
    for (const a of all) {
      if (!validAddrSpec(a)) {
        err(c.res, `invalid address format ${goQuote(a)}`, 400)
        return false
      }
    }
    return true
  }
  authed.handle('POST /api/clients', (c) => {
    const cl = decode<ClientEntry>(c, SC.CLIENT_ENTRY)
    if (cl === null) return
    syncAddrs(cl)
    if (cl.name === '' || cl.addr === '' || cl.password === '') {
      err(c.res, 'name, addr, password required', 400)
      return
    }
    if (!checkAddrs(c, cl)) return
    cfg.clients ??= []
    if (!cfg.clients.some((x) => x.addr === cl.addr)) cfg.clients.push(cl)
    ok(c.res)
  })
  authed.handle('PUT /api/clients/{name}', (c) => {
    const cl = decode<ClientEntry>(c, SC.CLIENT_ENTRY)
    if (cl === null) return
    syncAddrs(cl)
    if (cl.addr === '' || cl.password === '') {
      err(c.res, 'addr and password required', 400)
      return
    }
    if (!checkAddrs(c, cl)) return
    const old = c.params.name ?? ''
    if (cl.name === '') cl.name = old
    const list = cfg.clients ?? []
    const i = list.findIndex((x) => x.name === old || x.addr === old)
    if (i >= 0) list[i] = { ...cl, addr: (list[i] as ClientEntry).addr }
    ok(c.res)
  })
  authed.handle('PUT /api/clients/{name}/disable', (c) => {
    const b = decode<{ disabled: boolean }>(c, SC.DISABLED_BODY)
    if (b === null) return
    const name = c.params.name ?? ''
    const cl = (cfg.clients ?? []).find((x) => x.name === name || x.addr === name)
    if (cl !== undefined) cl.disabled = b.disabled
    ok(c.res)
  })
  authed.handle('DELETE /api/clients/{name}', (c) => {
    const name = c.params.name ?? ''
    const list = cfg.clients ?? []
    const i = list.findIndex((x) => x.name === name || x.addr === name)
    if (i >= 0) list.splice(i, 1)
    ok(c.res)
  })

  // proxies
  authed.handle('GET /api/proxies', (c) => {
    sendJson(c.res, goEncode(cfg.proxies ?? [], GT.slice(SC.PROXY_CONFIG)))
  })
  authed.handle('POST /api/proxies', (c) => {
    const p = decode<ProxyConfig>(c, SC.PROXY_CONFIG)
    if (p === null) return
    syncExit(p)
    if (p.id === '' || p.listen === '') {
      err(c.res, 'id, listen required', 400)
      return
    }
    if (p.protocol === '') p.protocol = 'socks5'
    cfg.proxies ??= []
    if (!cfg.proxies.some((x) => x.id === p.id)) cfg.proxies.push(p)
    ok(c.res)
  })
  authed.handle('PUT /api/proxies/{id}', (c) => {
    const p = decode<ProxyConfig>(c, SC.PROXY_CONFIG)
    if (p === null) return
    p.id = c.params.id ?? ''
    syncExit(p)
    if (p.protocol === '') p.protocol = 'socks5'
    if (p.listen === '') {
      err(c.res, 'listen required', 400)
      return
    }
    cfg.proxies ??= []
    const i = cfg.proxies.findIndex((x) => x.id === p.id)
    if (i >= 0) cfg.proxies[i] = p
    else cfg.proxies.push(p)
    ok(c.res)
  })
  authed.handle('DELETE /api/proxies/{id}', (c) => {
    const list = cfg.proxies ?? []
    const i = list.findIndex((x) => x.id === c.params.id)
    if (i >= 0) list.splice(i, 1)
    ok(c.res)
  })

  // ss / l2tp / ikev2
  authed.handle('GET /api/ss', (c) => {
    if (cfg.ss === null) {
      sendJson(
        c.res,
        goJson(
          new Map<string, unknown>([
            ['listen', ''],
            ['enabled', false],
            ['method', 'aes-256-gcm'],
          ]),
        ),
      )
      return
    }
    sendJson(c.res, goEncode(cfg.ss, SC.SS_CONFIG))
  })
  authed.handle('PUT /api/ss', (c) => {
    const ss = decode<SSConfig>(c, SC.SS_CONFIG)
    if (ss === null) return
    cfg.ss = ss
    ok(c.res)
  })
  authed.handle('GET /api/l2tp', (c) => {
    const l = cfg.l2tp ?? {
      listen: '1701',
      enabled: false,
      pool: '192.168.25.1/24',
      psk: '',
      proxy_port: 12345,
      mtu: 1280,
    }
    const m = new Map<string, unknown>([
      ['capable', false],
      ['host_network', false],
      ['reason', NO_NET_ADMIN_REASON],
      ...Object.entries(l),
    ])
    sendJson(c.res, goJson(m))
  })
  authed.handle('PUT /api/l2tp', (c) => err(c.res, `L2TP unavailable: ${NO_NET_ADMIN_REASON}`, 403))
  authed.handle('GET /api/ikev2', (c) => {
    const k = cfg.ikev2
    const base: Record<string, unknown> =
      k === null
        ? {
            enabled: false,
            mode: 'mschapv2',
            pool: '192.168.26.1/24',
            cert_id: '',
            psk: '',
            local_id: cfg.node_id,
            remote_id: '',
            default_exit: '',
            proxy_port: 12350,
            mtu: 1400,
          }
        : {
            enabled: k.enabled,
            mode: k.mode,
            pool: k.pool,
            cert_id: k.cert_id,
            psk: k.psk,
            local_id: k.local_id,
            remote_id: k.remote_id,
            default_exit: k.default_exit,
            proxy_port: k.proxy_port,
            mtu: k.mtu,
          }
    const m = new Map<string, unknown>([
      ['capable', false],
      ['host_network', false],
      ['reason', NO_NET_ADMIN_REASON],
      ...Object.entries(base),
    ])
    sendJson(c.res, goJson(m))
  })
  authed.handle('PUT /api/ikev2', (c) =>
    err(c.res, `IKEv2 unavailable: ${NO_NET_ADMIN_REASON}`, 403),
  )

  // wireguard
  authed.handle('GET /api/wireguard', (c) => {
    const wg = cfg.wireguard
    const m = new Map<string, unknown>([
      ['running', false],
      ['connected', 0],
    ])
    if (wg !== null) {
      m.set('enabled', wg.enabled)
      m.set('listen_port', wg.listen_port)
      m.set('private_key', wg.private_key)
      m.set('address', wg.address)
      m.set('dns', wg.dns ?? '')
      m.set('mtu', wg.mtu ?? 0)
      m.set('peers', JSON.parse(goEncode(wg.peers, GT.slice(SC.WG_PEER))))
      if (wg.private_key !== '') m.set('public_key', wgPublicKey(wg.private_key) ?? '')
    } else {
      for (const [k, v] of Object.entries({
        enabled: false,
        listen_port: 51820,
        private_key: '',
        address: '10.0.0.1/24',
        dns: '',
        mtu: 1420,
        peers: [],
        public_key: '',
      })) {
        m.set(k, v)
      }
    }
    sendJson(c.res, goJson(m))
  })
  authed.handle('PUT /api/wireguard', (c) => {
    const wg = decode<WireGuardConfig>(c, SC.WG_CONFIG)
    if (wg === null) return
    if (cfg.wireguard !== null && (wg.peers === null || wg.peers.length === 0)) {
      wg.peers = cfg.wireguard.peers
    }
    cfg.wireguard = wg
    if (wg.enabled) {
      err(c.res, 'wireguard: create TUN device: operation not permitted', 500)
      return
    }
    ok(c.res)
  })
  authed.handle('POST /api/wireguard/generate-key', (c) => {
    const k = wgGenerateKey()
    sendJson(
      c.res,
      goJson(
        new Map([
          ['private_key', k.privateKey],
          ['public_key', k.publicKey],
        ]),
      ),
    )
  })
  authed.handle('POST /api/wireguard/peers', (c) => {
    const p = decode<WireGuardPeer>(c, SC.WG_PEER)
    if (p === null) return
    syncExit(p)
    if (p.name === '' || p.public_key === '' || p.allowed_ips === '') {
      err(c.res, 'name, public_key, allowed_ips required', 400)
      return
    }
    cfg.wireguard ??= goZero(SC.WG_CONFIG) as WireGuardConfig
    cfg.wireguard.peers = [...(cfg.wireguard.peers ?? []), p]
    ok(c.res)
  })
  authed.handle('PUT /api/wireguard/peers/{name}', (c) => {
    const p = decode<WireGuardPeer>(c, SC.WG_PEER)
    if (p === null) return
    syncExit(p)
    const peers = cfg.wireguard?.peers ?? []
    const i = peers.findIndex((x) => x.name === c.params.name)
    if (i >= 0) peers[i] = p
    ok(c.res)
  })
  authed.handle('DELETE /api/wireguard/peers/{name}', (c) => {
    if (cfg.wireguard !== null) {
      cfg.wireguard.peers = (cfg.wireguard.peers ?? []).filter((x) => x.name !== c.params.name)
    }
    ok(c.res)
  })
  authed.handle('GET /api/wireguard/peers/{name}/config', (c) => {
    const name = c.params.name ?? ''
    const wg = cfg.wireguard
    if (wg === null) {
      err(c.res, 'wireguard not configured', 404)
      return
    }
    const peer = (wg.peers ?? []).find((p) => p.name === name)
    if (peer === undefined) {
      err(c.res, 'peer not found', 404)
      return
    }
    const endpoint = goQueryGet(c.url.rawQuery, 'endpoint')
    const dns = cfg.dns !== '' ? cfg.dns : '1.1.1.1, 8.8.8.8'
    writeGoResponse(
      c.res,
      200,
      { 'Content-Type': 'text/plain', 'Content-Disposition': `attachment; filename=${name}.conf` },
      wgClientConfig(wg, peer, endpoint, dns),
    )
  })
  authed.handle('GET /api/wireguard/qr', (c) => {
    const text = goQueryGet(c.url.rawQuery, 'text')
    if (text === '') {
      err(c.res, 'missing text', 400)
      return
    }
    const png = renderQrPng(Buffer.from(text, 'latin1').toString('utf8'), PNG_SIZE)
    if (png instanceof Error) {
      err(c.res, png.message, 500)
      return
    }
    writeGoResponse(c.res, 200, { 'Content-Type': 'image/png' }, png)
  })

  // rules
  authed.handle('GET /api/rules', (c) => {
    const rules = (cfg.rules ?? []).map((r) => ({ ...r, tun_active: false }))
    sendJson(c.res, `{"available":false,"rules":${goEncode(rules, GT.slice(SC.RULE_WITH_TUN))}}`)
  })
  function ruleMode(c: Ctx, r: RoutingRule): boolean {
    const m = sanitizeExitMode(r.exit_paths, r.exit_mode ?? '')
    if (m instanceof Error) {
      err(c.res, m.message, 400)
      return false
    }
    r.exit_mode = m
    return true
  }
  authed.handle('POST /api/rules', (c) => {
    const r = decode<RoutingRule>(c, SC.ROUTING_RULE)
    if (r === null) return
    syncExit(r)
    if (r.id === '' || r.exit_via === '' || (r.targets ?? []).length === 0) {
      err(c.res, 'id, exit_via, and targets required', 400)
      return
    }
    if (r.type !== 'ip' && r.type !== 'domain') {
      err(c.res, "type must be 'ip' or 'domain'", 400)
      return
    }
    if (!ruleMode(c, r)) return
    cfg.rules = [...(cfg.rules ?? []), r]
    ok(c.res)
  })
  authed.handle('PUT /api/rules/{id}', (c) => {
    const r = decode<RoutingRule>(c, SC.ROUTING_RULE)
    if (r === null) return
    r.id = c.params.id ?? ''
    syncExit(r)
    if (!ruleMode(c, r)) return
    const list = cfg.rules ?? []
    const i = list.findIndex((x) => x.id === r.id)
    if (i >= 0) list[i] = r
    ok(c.res)
  })
  authed.handle('DELETE /api/rules/{id}', (c) => {
    const list = cfg.rules ?? []
    const i = list.findIndex((x) => x.id === c.params.id)
    if (i >= 0) list.splice(i, 1)
    ok(c.res)
  })
  authed.handle('PUT /api/rules/{id}/toggle', (c) => {
    const b = decode<{ enabled: boolean }>(c, SC.ENABLED_BODY)
    if (b === null) return
    const r = (cfg.rules ?? []).find((x) => x.id === c.params.id)
    if (r !== undefined) r.enabled = b.enabled
    ok(c.res)
  })

  // check-ports: the emulated host has these ports in use
  const portsInUse = new Set([
    'tcp:5565',
    'udp:5565',
    'tcp:22',
    'tcp:80',
    'tcp:443',
    'udp:53',
    'tcp:53',
  ])
  authed.handle('POST /api/check-ports', (c) => {
    const r = goDecode<PortConflict[] | null>(c.body, GT.slice(SC.PORT_CONFLICT))
    if ('error' in r) {
      err(c.res, r.error, 400)
      return
    }
    const conflicts = (r.value ?? []).filter(
      (p) =>
        (p.proto !== 'tcp' && p.proto !== 'udp') ||
        portsInUse.has(`${p.proto}:${p.port}`) ||
        p.port < 0 ||
        p.port > 65535,
    )
    sendJson(
      c.res,
      `{"conflicts":${conflicts.length === 0 ? 'null' : goEncode(conflicts, GT.slice(SC.PORT_CONFLICT))}}`,
    )
  })

  // diag
  authed.handle('GET /api/diag/resolve', (c) => {
    const name = goQueryGet(c.url.rawQuery, 'name')
    const exitVia = goQueryGet(c.url.rawQuery, 'exit_via')
    if (name === '') {
      err(c.res, 'name required', 400)
      return
    }
    const m = new Map<string, unknown>([
      ['name', name],
      ['exit_via', exitVia],
      ['ips', null],
      [
        'error',
        exitVia === '' ? 'resolver disabled for direct exit' : `exit ${exitVia} not connected`,
      ],
    ])
    sendJson(c.res, goJson(m))
  })
  for (const kind of ['health', 'rebinds', 'latency']) {
    authed.handle(`GET /api/diag/peer-${kind}`, (c) => {
      const peers = new Map<string, unknown>()
      for (const p of livePeers.values()) {
        peers.set(
          p.name,
          kind === 'latency'
            ? [{ t: Math.floor(now() / 1000), ms: p.latency_ms }]
            : kind === 'health'
              ? { ok: 100, fail: 0 }
              : 0,
        )
      }
      sendJson(c.res, goJson(new Map([['peers', peers]])))
    })
  }

  // sessions
  authed.handle('GET /api/sessions', (c) => {
    const list = listDevices()
    sendJson(
      c.res,
      `{"devices":${goEncode(list, GT.slice(SC.DEVICE_JSON))},"total":${devices.size}}`,
    )
  })
  authed.handle('DELETE /api/sessions/{id}', (c) => {
    if (kick(c.params.id ?? '')) ok(c.res)
    else err(c.res, 'session not found', 404)
  })

  // users
  authed.handle('GET /api/users', (c) => {
    sendJson(c.res, goEncode(cfg.users ?? [], GT.slice(SC.USER_CONFIG)))
  })
  authed.handle('GET /api/users/conflicts', (c) => {
    const result = new Map<string, Map<string, string[]>>()
    const users = cfg.users ?? []
    const protos = ['hy2', 'socks5', 'http', 'ss', 'l2tp', 'ikev2', 'wireguard']
    for (const proto of protos) {
      const byPw = new Map<string, string[]>()
      for (const u of users) {
        const pw = u.proxy_passwords?.[proto] ?? u.password
        if (pw === '') continue
        byPw.set(pw, [...(byPw.get(pw) ?? []), u.username])
      }
      for (const names of byPw.values()) {
        if (names.length <= 1) continue
        for (const n of names) {
          const m = result.get(n) ?? new Map<string, string[]>()
          m.set(
            proto,
            names.filter((o) => o !== n),
          )
          result.set(n, m)
        }
      }
    }
    sendJson(c.res, goJson(result))
  })
  function userChecks(c: Ctx, u: UserConfig): boolean {
    if (
      u.password !== '' &&
      cfg.server !== null &&
      cfg.server.password !== '' &&
      cfg.server.password === u.password
    ) {
      err(
        c.res,
        'user password collides with the hy2 server password — pick a different password',
        400,
      )
      return false
    }
    const m = sanitizeExitMode(u.exit_paths, u.exit_mode ?? '')
    if (m instanceof Error) {
      err(c.res, m.message, 400)
      return false
    }
    u.exit_mode = m
    return true
  }
  authed.handle('POST /api/users', (c) => {
    const raw = decode<UserConfig>(c, SC.USER_CONFIG)
    if (raw === null) return
    const u = normUser(raw)
    syncExit(u)
    if (u.username === '' || u.password === '') {
      err(c.res, 'username and password required', 400)
      return
    }
    if (!userChecks(c, u)) return
    if (u.id === '') u.id = randomBytes(4).toString('hex')
    cfg.users ??= []
    if (!cfg.users.some((x) => x.username === u.username)) cfg.users.push(u)
    ok(c.res)
  })
  authed.handle('PUT /api/users/{id}', (c) => {
    const raw = decode<UserConfig>(c, SC.USER_CONFIG)
    if (raw === null) return
    const u = normUser(raw)
    u.id = c.params.id ?? ''
    syncExit(u)
    if (!userChecks(c, u)) return
    const list = cfg.users ?? []
    const i = list.findIndex((x) => x.id === u.id)
    if (i >= 0) {
      const old = list[i] as UserConfig
      u.traffic_used = old.traffic_used
      list[i] = u
      const changed =
        old.password !== u.password ||
        JSON.stringify(old.proxy_passwords ?? null) !== JSON.stringify(u.proxy_passwords ?? null) ||
        JSON.stringify(old.proxy_disabled ?? null) !== JSON.stringify(u.proxy_disabled ?? null) ||
        (old.username !== u.username && old.username !== '')
      if (changed) kickUser(old.username)
    }
    ok(c.res)
  })
  authed.handle('DELETE /api/users/{id}', (c) => {
    const list = cfg.users ?? []
    const i = list.findIndex((x) => x.id === c.params.id)
    if (i >= 0) list.splice(i, 1)
    ok(c.res)
  })
  authed.handle('PUT /api/users/{id}/toggle', (c) => {
    const b = decode<{ enabled: boolean }>(c, SC.ENABLED_BODY)
    if (b === null) return
    const u = (cfg.users ?? []).find((x) => x.id === c.params.id)
    if (u !== undefined) u.enabled = b.enabled
    ok(c.res)
  })
  authed.handle('PUT /api/users/{id}/reset-traffic', (c) => {
    const u = (cfg.users ?? []).find((x) => x.id === c.params.id)
    if (u !== undefined) u.traffic_used = 0
    ok(c.res)
  })

  // settings
  authed.handle('PUT /api/settings/password', (c) => {
    const b = decode<{ current_password: string; new_username: string; new_password: string }>(
      c,
      SC.PASSWORD_BODY,
    )
    if (b === null) return
    if (!constEq(b.current_password, passHash)) {
      err(c.res, 'current password incorrect', 403)
      return
    }
    if (b.new_username !== '') username = b.new_username
    if (b.new_password !== '') passHash = b.new_password
    cfg.web_username = username
    cfg.web_password = passHash
    tokens = new Map()
    ok(c.res)
  })
  authed.handle('GET /api/settings/ui', (c) => {
    const dr = cfg.dns_resolver
    const m = new Map<string, unknown>([
      ['listen', cfg.ui_listen],
      ['base_path', basePath],
      ['dns', cfg.dns !== '' ? cfg.dns : '8.8.8.8,1.1.1.1'],
      ['force_https', cfg.force_https],
      ['https_cert_id', cfg.https_cert_id],
      ['session_timeout_h', cfg.session_timeout_h === 0 ? 12 : cfg.session_timeout_h],
      ['max_nested_depth', clamp(cfg.max_nested_depth, 5, 10)],
      ['max_response_nodes', clamp(cfg.max_response_nodes, 1024, 65536)],
      ['max_cache_entries', clamp(cfg.max_cache_entries, 5000, 100000)],
      ['max_response_bytes', clamp(cfg.max_response_bytes, 1 << 20, 16 << 20)],
      ['max_fetch_fan_out', clamp(cfg.max_fetch_fan_out, 8, 64)],
      ['relay_admin_passthrough', cfg.relay_admin_passthrough],
      ['dns_resolver_enabled', dr.enabled ?? true],
      ['dns_resolver_cache_ttl', dr.cache_ttl],
      ['dns_resolver_negative_ttl', dr.negative_ttl],
      ['dns_resolver_cache_size', dr.cache_size],
      ['dns_resolver_query_timeout_ms', dr.query_timeout_ms],
    ])
    sendJson(c.res, goJson(m))
  })
  authed.handle('PUT /api/settings/ui', (c) => {
    const b = decode<Record<string, string | number | boolean | null>>(c, SC.UI_BODY)
    if (b === null) return
    const str = (k: string): string | null => (typeof b[k] === 'string' ? (b[k] as string) : null)
    const num = (k: string): number | null => (typeof b[k] === 'number' ? (b[k] as number) : null)
    const bool = (k: string): boolean | null =>
      typeof b[k] === 'boolean' ? (b[k] as boolean) : null
    cfg.ui_listen = str('listen') ?? cfg.ui_listen
    cfg.ui_base_path = str('base_path') ?? cfg.ui_base_path
    cfg.dns = str('dns') ?? cfg.dns
    cfg.force_https = bool('force_https') ?? cfg.force_https
    cfg.https_cert_id = str('https_cert_id') ?? cfg.https_cert_id
    cfg.session_timeout_h = num('session_timeout_h') ?? cfg.session_timeout_h
    cfg.max_nested_depth = num('max_nested_depth') ?? cfg.max_nested_depth
    cfg.max_response_nodes = num('max_response_nodes') ?? cfg.max_response_nodes
    cfg.max_cache_entries = num('max_cache_entries') ?? cfg.max_cache_entries
    cfg.max_response_bytes = num('max_response_bytes') ?? cfg.max_response_bytes
    cfg.max_fetch_fan_out = num('max_fetch_fan_out') ?? cfg.max_fetch_fan_out
    cfg.relay_admin_passthrough = bool('relay_admin_passthrough') ?? cfg.relay_admin_passthrough
    const dr = cfg.dns_resolver
    dr.enabled = bool('dns_resolver_enabled') ?? dr.enabled
    dr.cache_ttl = num('dns_resolver_cache_ttl') ?? dr.cache_ttl
    dr.negative_ttl = num('dns_resolver_negative_ttl') ?? dr.negative_ttl
    dr.cache_size = num('dns_resolver_cache_size') ?? dr.cache_size
    dr.query_timeout_ms = num('dns_resolver_query_timeout_ms') ?? dr.query_timeout_ms
    const restartNeeded = ['listen', 'base_path', 'force_https', 'https_cert_id'].some(
      (k) => b[k] !== null && b[k] !== undefined,
    )
    const note = restartNeeded
      ? 'listen / base_path / TLS settings require restart to take effect'
      : 'applied live'
    sendJson(
      c.res,
      goJson(
        new Map([
          ['status', 'ok'],
          ['note', note],
        ]),
      ),
    )
  })

  // backup / restore
  function dataDirEntries(): TarEntry[] {
    const mtime = new Date(now())
    const files: TarEntry[] = [
      { name: 'config.yaml', data: Buffer.from(`${JSON.stringify(cfg, null, 2)}\n`), mtime },
      { name: 'node-id', data: Buffer.from(cfg.node_id), mtime },
      { name: 'tls', dir: true, mtime },
    ]
    const tlsFiles: TarEntry[] = []
    for (const [id, f] of certs) {
      const add = (ext: string, v: string | undefined, mode = 0o644): void => {
        if (v !== undefined)
          tlsFiles.push({ name: `tls/${id}.${ext}`, data: Buffer.from(v), mtime, mode })
      }
      add('crt', f.crt)
      add('key', f.key, 0o600)
      add('name', f.name)
      add('ca', f.ca)
    }
    tlsFiles.sort((a, b) => (a.name < b.name ? -1 : 1))
    return [...files, ...tlsFiles]
  }
  authed.handle('GET /api/backup', (c) => {
    writeGoResponse(
      c.res,
      200,
      {
        'Content-Type': 'application/x-tar',
        'Content-Disposition': 'attachment; filename=hy2scale-backup.tar',
      },
      writeTar(dataDirEntries()),
    )
  })
  authed.handle('POST /api/restore', (c) => {
    if (c.body.length > RESTORE_LIMIT) {
      err(c.res, 'invalid tar: http: request body too large', 400)
      return
    }
    const r = readTar(c.body)
    if ('error' in r) {
      err(c.res, `invalid tar: ${r.error}`, 400)
      return
    }
    pendingRestore = r.entries
    ok(c.res)
    later(() => {
      if (!closed) restart()
    }, 500)
  })

  // system / upgrade
  authed.handle('GET /api/system/arch', (c) => {
    sendJson(
      c.res,
      goJson(
        new Map<string, unknown>([
          ['os', 'linux'],
          ['arch', 'amd64'],
          ['version', HY2SCALE_VERSION],
          ['binary', 'hy2scale'],
          ['in_docker', false],
        ]),
      ),
    )
  })
  authed.handle('GET /api/build-info', (c) => {
    const deps = [
      ['github.com/apernet/hysteria/core/v2', 'v2.6.1'],
      ['github.com/apernet/quic-go', 'v0.52.1-0.20250607183305-9320c9d14431'],
      ['github.com/skip2/go-qrcode', 'v0.0.0-20200617195104-da1b6568686e'],
      ['golang.org/x/crypto', 'v0.38.0'],
      ['golang.zx2c4.com/wireguard', 'v0.0.0-20231211153847-12269c276173'],
      ['gopkg.in/yaml.v3', 'v3.0.1'],
    ].map(([path, version]) => ({ path, version }))
    const natives = [
      ['strongSwan', '5.8.4', 'GPL-2.0-or-later', 'https://www.strongswan.org/'],
      [
        'iptables (nf_tables backend)',
        'distro-packaged',
        'GPL-2.0-or-later',
        'https://www.netfilter.org/projects/iptables/',
      ],
      [
        'xl2tpd',
        'distro-packaged',
        'GPL-2.0-or-later',
        'https://www.xelerance.com/software/xl2tpd/',
      ],
    ].map(([name, version, license, source]) => ({ name, version, license, source }))
    sendJson(
      c.res,
      goJson(
        new Map<string, unknown>([
          ['version', HY2SCALE_VERSION],
          ['license', 'GPL-3.0-or-later'],
          ['repository', 'https://github.com/FrankoonG/hy2scale'],
          ['go_deps', deps],
          ['natives', natives],
        ]),
      ),
    )
  })
  authed.handle('POST /api/upgrade', (c) =>
    err(c.res, 'upgrade via web is only available in Docker deployments', 403),
  )
  function upgradeJson(): string {
    return goEncode(upgrade, SC.UPGRADE_STATUS)
  }
  function broadcastUpgrade(): void {
    const frame = `data: ${upgradeJson()}\n\n`
    for (const s of upgradeSubs) s(frame)
  }
  authed.handle('GET /api/upgrade/check', (c) => {
    if (upgrade.state === 'downloading' || upgrade.state === 'applying') {
      sendJson(c.res, upgradeJson())
      return
    }
    upgrade = { ...upgrade, state: 'checking', error: undefined }
    broadcastUpgrade()
    const asset = 'hy2scale-linux-amd64.tar.gz'
    const url = `https://github.com/FrankoonG/hy2scale/releases/download/v${HY2SCALE_LATEST}/${asset}`
    const size = 14_873_412
    upgrade = {
      ...upgrade,
      state: 'idle',
      latest: HY2SCALE_LATEST,
      asset,
      download_url: url,
      bytes_total: size,
    }
    broadcastUpgrade()
    sendJson(
      c.res,
      goJson(
        new Map<string, unknown>([
          ['current', HY2SCALE_VERSION],
          ['latest', HY2SCALE_LATEST],
          ['asset', asset],
          ['download_url', url],
          ['size', size],
          ['update_available', true],
        ]),
      ),
    )
  })
  authed.handle('POST /api/upgrade/download', (c) =>
    err(c.res, 'online update is only available in Docker deployments', 403),
  )
  authed.handle('GET /api/upgrade/status', (c) => sendJson(c.res, upgradeJson()))
  authed.handle('GET /api/upgrade/events', (c) => {
    const res = openSse(c.res)
    const send = (frame: string): void => {
      if (!res.writableNeedDrain) res.write(frame)
    }
    upgradeSubs.add(send)
    res.write(`data: ${upgradeJson()}\n\n`)
    res.once('close', () => upgradeSubs.delete(send))
  })
  authed.handle('POST /api/upgrade/apply', (c) =>
    err(c.res, 'upgrade via web is only available in Docker deployments', 403),
  )

  // tls
  authed.handle('GET /api/tls', (c) => {
    const ids = [...certs.keys()].sort((a, b) =>
      Buffer.compare(Buffer.from(`${a}.crt`), Buffer.from(`${b}.crt`)),
    )
    const list = ids.map(certInfo).filter((x): x is CertInfo => x !== null)
    sendJson(c.res, list.length === 0 ? 'null' : goEncode(list, GT.slice(SC.CERT_INFO)))
  })
  authed.handle('POST /api/tls/import', (c) => {
    const b = decode<{ id: string; name: string; cert: string; key: string }>(c, SC.TLS_IMPORT_BODY)
    if (b === null) return
    if (b.id === '' || b.cert === '') {
      err(c.res, 'id and cert required', 400)
      return
    }
    const e = tlsImport(b.id, b.name === '' ? b.id : b.name, b.cert, b.key)
    if (e !== null) {
      err(c.res, e, 400)
      return
    }
    ok(c.res)
  })
  authed.handle('POST /api/tls/import-path', (c) => {
    const b = decode<{ id: string; name: string; cert_path: string; key_path: string }>(
      c,
      SC.TLS_IMPORT_PATH_BODY,
    )
    if (b === null) return
    if (b.id === '' || b.cert_path === '') {
      err(c.res, 'id and cert_path required', 400)
      return
    }
    const byPath = (p: string, ext: 'crt' | 'key'): string | undefined => {
      const m = new RegExp(`^${DATA_DIR}/tls/([^/]+)\\.${ext}$`).exec(p)
      return m === null ? undefined : certs.get(m[1] as string)?.[ext]
    }
    const cert = byPath(b.cert_path, 'crt')
    if (cert === undefined) {
      err(c.res, `cannot read cert file: open ${b.cert_path}: no such file or directory`, 400)
      return
    }
    let key = ''
    if (b.key_path !== '') {
      const k = byPath(b.key_path, 'key')
      if (k === undefined) {
        err(c.res, `cannot read key file: open ${b.key_path}: no such file or directory`, 400)
        return
      }
      key = k
    }
    const e = tlsImport(b.id, b.name === '' ? b.id : b.name, cert, key)
    if (e !== null) {
      err(c.res, e, 400)
      return
    }
    ok(c.res)
  })
  authed.handle('POST /api/tls/generate', (c) => {
    const b = decode<{ id: string; name: string; domains: string[] | null; days: number }>(
      c,
      SC.TLS_GENERATE_BODY,
    )
    if (b === null) return
    if (b.id === '' || (b.domains ?? []).length === 0) {
      err(c.res, 'id and domains required', 400)
      return
    }
    const g = generateSelfSigned(b.domains ?? [], b.days <= 0 ? 365 : b.days, new Date(now()))
    tlsImport(b.id, b.name === '' ? b.id : b.name, g.cert, g.key)
    ok(c.res)
  })
  authed.handle('POST /api/tls/sign', (c) => {
    const b = decode<{ ca_id: string; id: string; name: string; cn: string; days: number }>(
      c,
      SC.TLS_SIGN_BODY,
    )
    if (b === null) return
    if (b.ca_id === '' || b.id === '' || b.cn === '') {
      err(c.res, 'ca_id, id, and cn required', 400)
      return
    }
    const ca = certs.get(b.ca_id)
    if (ca === undefined || ca.crt === '') {
      err(
        c.res,
        `CA cert not found: open ${DATA_DIR}/tls/${b.ca_id}.crt: no such file or directory`,
        500,
      )
      return
    }
    if (ca.key === undefined) {
      err(
        c.res,
        `CA private key not found: open ${DATA_DIR}/tls/${b.ca_id}.key: no such file or directory`,
        500,
      )
      return
    }
    const block = pemDecodeFirst(ca.crt)
    const info = block === null ? null : parseCertificateDer(block.der)
    if (block === null) {
      err(c.res, 'invalid CA cert PEM', 500)
      return
    }
    if (info === null) {
      err(c.res, 'parse CA cert: x509: malformed certificate', 500)
      return
    }
    if (!info.isCA) {
      err(c.res, 'selected certificate is not a CA', 500)
      return
    }
    let signed
    try {
      signed = signWithCA(
        ca.key,
        info.subjectCN,
        b.cn,
        b.days <= 0 ? 7300 : b.days,
        new Date(now()),
      )
    } catch {
      err(c.res, 'parse CA key: unsupported format', 500)
      return
    }
    tlsImport(b.id, b.name === '' ? b.cn : b.name, signed.cert, signed.key)
    const rec = certs.get(b.id)
    if (rec !== undefined) rec.ca = b.ca_id
    ok(c.res)
  })
  authed.handle('GET /api/tls/{id}/pem', (c) => {
    const f = certs.get(c.params.id ?? '')
    sendJson(
      c.res,
      goJson(
        new Map([
          ['cert', f?.crt ?? ''],
          ['key', f?.key ?? ''],
        ]),
      ),
    )
  })
  authed.handle('DELETE /api/tls/{id}', (c) => {
    certs.delete(c.params.id ?? '')
    ok(c.res)
  })

  // -- dispatch -------------------------------------------------------------------------------------

  function dispatch(mux: GoServeMux<Handler>, c: Ctx): void {
    const r = mux.find(c.req.method ?? '', c.url)
    switch (r.kind) {
      case 'handler':
        r.handler({ ...c, params: r.params })
        return
      case 'redirect':
        goRedirect(c.req, c.res, r.location, 301)
        return
      case 'notAllowed':
        c.res.setHeader('Allow', r.allow)
        err(c.res, 'Method Not Allowed', 405)
        return
      case 'notFound':
        err(c.res, '404 page not found', 404)
    }
  }

  const root = new GoServeMux<Handler>()
  if (basePath !== '') {
    root.handle(`${basePath}/`, (rc) => {
      const stripped = goStripPrefix(rc.url, basePath)
      if (stripped === null) {
        err(rc.res, '404 page not found', 404)
        return
      }
      dispatch(api, { ...rc, url: stripped })
    })
    root.handle(basePath, (rc) => goRedirect(rc.req, rc.res, `${basePath}/`, 301))
  }

  function route(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const target = parseGoRequestURI(req.url ?? '')
    if (target === null) {
      writeGoBadRequestAndClose(req.socket)
      return
    }
    const rawTarget = req.url ?? ''
    const q = rawTarget.indexOf('?')
    let rawPath = q < 0 ? rawTarget : rawTarget.slice(0, q)
    const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/.exec(rawPath)
    if (abs !== null) rawPath = rawPath.slice(abs[0].length) || '/'
    const url = goUrlFromRaw(rawPath, target.path, target.rawQuery)
    const c: Ctx = { req, res, url, params: {}, body }
    if (basePath === '') {
      dispatch(api, c)
      return
    }
    dispatch(root, c)
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const entry: RequestLogEntry = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: { ...req.headers },
      at: now(),
    }
    requests.push(entry)
    if (mode === 'silent') return
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (ch: Buffer) => {
      size += ch.length
      if (size <= MAX_BODY) chunks.push(ch)
    })
    req.once('end', () => {
      if (closed) return
      const body = Buffer.concat(chunks)
      if (body.length > 0) entry.body = body.toString('utf8')
      if (mode === 'http500') {
        err(res, 'Internal Server Error', 500)
        return
      }
      if (mode === 'garbage') {
        writeGoResponse(res, 200, JSON_HEADERS, GARBAGE_BODY)
        return
      }
      try {
        route(req, res, body)
      } catch {
        if (!res.headersSent) err(res, 'Internal Server Error', 500)
      }
    })
  }

  const server = createServer(
    { keepAliveTimeout: 0, requestTimeout: 0, headersTimeout: 0, maxHeaderSize: (1 << 20) + 4096 },
    handle,
  )
  const sockets = trackSockets(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  const control = {
    get cfg(): NodeConfig {
      return cfg
    },
    addDevice,
    closeConnection,
    recordUserTraffic,
    setStats(s: Partial<typeof stats>): void {
      stats = { ...stats, ...s }
    },
    setLivePeer(p: LivePeer): void {
      livePeers.set(p.name, p)
    },
    removeLivePeer(name: string): void {
      livePeers.delete(name)
    },
    devices: (): DeviceRec[] => [...devices.values()],
    setCert(id: string, files: CertFiles): void {
      certs.set(id, files)
    },
    now,
  }
  const simulation = opts.simulate ? startHy2ScaleSimulation(control, opts.simulate) : null

  return {
    url: origin + basePath,
    origin,
    port,
    nodeId: cfg.node_id,
    simulation,
    async close() {
      if (closed) return
      closed = true
      simulation?.stop()
      for (const t of timers) clearTimeout(t)
      timers.clear()
      for (const s of sseStreams) s.destroy()
      sseStreams.clear()
      await closeServerHard(server, sockets)
    },
    restart,
    advanceTime(ms: number) {
      offset += ms
    },
    requests,
    clearRequestLog() {
      requests.length = 0
    },
    setMode(m: Hy2ScaleMode) {
      mode = m
    },
    users() {
      return (cfg.users ?? []).map((u) => structuredClone(u))
    },
    sessions() {
      return [...devices.values()].map(deviceJson)
    },
    tokens() {
      const t = now()
      return [...tokens.entries()].filter(([, exp]) => t <= exp).map(([k]) => k)
    },
    addDevice,
    closeConnection,
    setStats: control.setStats,
    setLivePeer: control.setLivePeer,
    removeLivePeer: control.removeLivePeer,
    recordUserTraffic,
  }
}

/** Upstream `GenerateWireGuardClientConfig` (wg-quick text). */
export function wgClientConfig(
  server: WireGuardConfig,
  peer: WireGuardPeer,
  endpoint: string,
  dns: string,
): string {
  const serverPub = wgPublicKey(server.private_key) ?? ''
  let s = '[Interface]\n'
  s += `PrivateKey = ${peer.private_key}\n`
  s += `Address = ${peer.allowed_ips}\n`
  if (dns !== '') s += `DNS = ${dns}\n`
  if ((server.mtu ?? 0) > 0) s += `MTU = ${server.mtu}\n`
  s += '\n[Peer]\n'
  s += `PublicKey = ${serverPub}\n`
  if (endpoint !== '') s += `Endpoint = ${endpoint}:${server.listen_port}\n`
  s += 'AllowedIPs = 0.0.0.0/0, ::/0\n'
  if (peer.keepalive > 0) s += `PersistentKeepalive = ${peer.keepalive}\n`
  return s
}

/** The control surface the simulation drives. */
export interface Hy2ScaleControl {
  readonly cfg: NodeConfigView
  addDevice: Hy2ScaleEmulator['addDevice']
  closeConnection: Hy2ScaleEmulator['closeConnection']
  recordUserTraffic: Hy2ScaleEmulator['recordUserTraffic']
  setStats: Hy2ScaleEmulator['setStats']
  setLivePeer: Hy2ScaleEmulator['setLivePeer']
  removeLivePeer: Hy2ScaleEmulator['removeLivePeer']
  devices(): { key: string; username: string; conns: number }[]
  setCert(id: string, files: { crt: string; key?: string; name?: string; ca?: string }): void
  now(): number
}

/** The parts of the node config the simulation edits directly. */
export interface NodeConfigView {
  node_id: string
  users: UserConfig[] | null
  clients: ClientEntry[] | null
  peers: Record<string, { nested: boolean; disabled: boolean }>
  proxies: ProxyConfig[] | null
  wireguard: WireGuardConfig | null
  rules: RoutingRule[] | null
}
