/**
 * The two backends of the PasarGuard node v0.5.2 as a client observes them:
 * - {@link XrayBackend} (`backend/xray`, plus what the Xray process itself does: its stats
 *   counters, online maps, observatory, startup validation, log output);
 * - {@link WireGuardBackend} (`backend/wireguard`, `pkg/stats`).
 * Methods throw {@link NodeError}s with upstream's texts; see errors.ts for how transports map them.
 */
import type {
  PbBackend,
  PbBackendStatsResponse,
  PbLatency,
  PbLatencyResponse,
  PbOnlineStatResponse,
  PbStat,
  PbStatRequest,
  PbStatResponse,
  PbStatsOnlineIpListResponse,
  PbUser,
} from '../../src/main/core/adapters/pasarguard/proto'
import { goStringCompare } from '../common/http-util'
import {
  GRPC,
  NodeError,
  goField,
  goJsonKind,
  goUnmarshal,
  isObject,
  parseGoUuid,
  plainError,
  statusError,
} from './errors'
import { LogChannel, goLogDate, xrayBanner } from './logs'

/** Services a backend needs from the emulator. */
export interface BackendDeps {
  rng: () => number
  now: () => number
  sleep: (ms: number) => Promise<void>
  /** How long Xray takes until its API answers (upstream polls it every 1 s): /start and restarts wait this long. */
  coreStartMs: number
  /** Xray health check period (upstream 2 s): a crashed core is restarted after this. */
  healthCheckMs: number
  coreVersion: string
  logBufferSize: number
  onReaderCountChange: (delta: number) => void
  /** Called when the core's state changes (start, stop, restart) so the emulator can react. */
  onCoreEvent?: (ev: 'started' | 'stopped' | 'restarted') => void
}

/** Traffic counters a control call can move. */
export type TrafficKind = 'user' | 'inbound' | 'outbound'

/** What the control API shows of the running backend. */
export interface PgBackendView {
  type: 'xray' | 'wireguard'
  /** `Backend.config` as received. */
  config: string
  /** `Backend.keep_alive` (seconds; 0 = off). */
  keepAliveSec: number
  excludeInbounds: string[]
  coreRunning: boolean
  coreVersion: string
  /** Users present in the core (Xray: in at least one inbound; WireGuard: peers), by email. */
  users: Map<string, PbUser>
  /** Xray inbounds (API_INBOUND left out) with their client emails; WireGuard: the interface. */
  inbounds: Array<{ tag: string; protocol: string; excluded: boolean; clients: string[] }>
  /** Xray outbound tags; WireGuard: the interface name. */
  outbounds: string[]
  /** ms timestamp of the current core start (uptime base). */
  coreStartedAt: number
}

interface RuntimeSample {
  goroutines: number
  alloc: number
  totalAlloc: bigint
  sys: number
  mallocs: bigint
  frees: bigint
  numGc: number
  pauseNs: bigint
}

function newRuntime(rng: () => number): RuntimeSample {
  return {
    goroutines: 24 + Math.floor(rng() * 20),
    alloc: 6_000_000 + Math.floor(rng() * 6_000_000),
    totalAlloc: BigInt(20_000_000 + Math.floor(rng() * 10_000_000)),
    sys: 28_000_000 + Math.floor(rng() * 10_000_000),
    mallocs: BigInt(120_000 + Math.floor(rng() * 50_000)),
    frees: BigInt(90_000 + Math.floor(rng() * 20_000)),
    numGc: 3 + Math.floor(rng() * 4),
    pauseNs: BigInt(300_000 + Math.floor(rng() * 500_000)),
  }
}

/** Moves Go runtime numbers plausibly (called on each read). */
function stepRuntime(s: RuntimeSample, rng: () => number, load: number): RuntimeSample {
  const allocated = Math.floor((200_000 + rng() * 2_000_000) * (1 + load))
  const objs = BigInt(Math.floor(allocated / 120))
  s.totalAlloc += BigInt(allocated)
  s.mallocs += objs
  s.alloc = Math.max(4_000_000, Math.floor(s.alloc * (0.85 + rng() * 0.3) + allocated / 4))
  if (s.alloc > s.sys * 0.8) {
    s.numGc++
    s.pauseNs += BigInt(Math.floor(50_000 + rng() * 400_000))
    s.alloc = Math.floor(s.alloc * 0.45)
  }
  s.frees = s.mallocs - BigInt(Math.max(1000, Math.floor(s.alloc / 120)))
  s.sys = Math.max(s.sys, Math.floor(s.alloc * 1.6))
  s.goroutines = Math.max(12, Math.floor(20 + load * 40 + rng() * 12))
  return s
}

function runtimeResponse(s: RuntimeSample, uptimeSec: number): PbBackendStatsResponse {
  return {
    num_goroutine: s.goroutines,
    num_gc: s.numGc,
    alloc: String(s.alloc),
    total_alloc: String(s.totalAlloc),
    sys: String(s.sys),
    mallocs: String(s.mallocs),
    frees: String(s.frees),
    live_objects: String(s.mallocs - s.frees),
    pause_total_ns: String(s.pauseNs),
    uptime: Math.max(0, Math.floor(uptimeSec)) >>> 0,
  }
}

/** Go map iteration: unspecified order. Shuffles (Fisher-Yates) with the emulator's PRNG. */
function goMapOrder<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const t = items[i] as T
    items[i] = items[j] as T
    items[j] = t
  }
  return items
}

const i64 = (v: bigint): bigint => BigInt.asIntN(64, v)

/** Common surface of both backends. */
export abstract class Backend {
  abstract readonly type: 'xray' | 'wireguard'
  readonly logs: LogChannel
  readonly keepAlive: string
  readonly excludeInbounds: string[]
  protected shut = false

  constructor(
    readonly source: PbBackend,
    protected readonly deps: BackendDeps,
  ) {
    this.logs = new LogChannel(deps.logBufferSize, deps.onReaderCountChange)
    this.keepAlive = source.keep_alive
    this.excludeInbounds = [...source.exclude_inbounds]
  }

  get isShutdown(): boolean {
    return this.shut
  }

  abstract started(): boolean
  abstract version(): string
  /** `Backend.Shutdown()` (Disconnect). */
  abstract shutdown(): void
  /** The core dies and stays down (restarts keep failing). */
  abstract stopCore(): void
  /** The core dies; upstream's health check restarts it after `healthCheckMs` (Xray). */
  abstract crashCore(): void
  abstract syncUser(user: PbUser): void
  abstract syncUsers(users: PbUser[]): Promise<void>
  abstract updateUsers(users: PbUser[]): void
  abstract updateUsersAndRestart(users: PbUser[]): Promise<void>
  abstract getSysStats(): PbBackendStatsResponse
  abstract getStats(req: PbStatRequest): PbStatResponse
  abstract getOutboundsLatency(name: string): PbLatencyResponse
  abstract getUserOnlineStats(email: string): PbOnlineStatResponse
  abstract getUserOnlineIpListStats(email: string): PbStatsOnlineIpListResponse
  abstract addTraffic(kind: TrafficKind, name: string, uplink: bigint, downlink: bigint): boolean
  abstract setOnline(email: string, count: number | null, ips?: Record<string, number>): boolean
  abstract setLatency(name: string, v: { alive: boolean; delay: number } | null): void
  abstract view(): PgBackendView
  /** Emails / tags the log generator and the simulation draw from. */
  abstract logContext(): {
    emails: string[]
    inbounds: string[]
    outbounds: string[]
    interfaceName: string
  }
  /** Uptime base of the current core. */
  abstract coreStartedAt(): number
}

// =============================================================================================
// Xray

interface XInbound {
  tag: string
  protocol: string
  listen: string
  port: unknown
  settings: Record<string, unknown> | null
  exclude: boolean
  /** API_INBOUND, added by the node. */
  internal: boolean
  clients: Map<string, PbUser>
}

interface XOutbound {
  tag: string
  protocol: string
}

interface XrayConfig {
  inbounds: XInbound[]
  outbounds: XOutbound[]
  /** `outbounds` was not an array (the node keeps it as `any`). */
  outboundsRaw: unknown
  statsInboundUplink: boolean
  statsInboundDownlink: boolean
  statsUserOnline: boolean
  /** Observatory subject selectors (after the node's sanitizing), null = no observatory. */
  observatory: string[] | null
}

const XRAY_INBOUND_PROTOCOLS = new Set([
  'dokodemo-door',
  'tunnel',
  'http',
  'socks',
  'mixed',
  'shadowsocks',
  'vless',
  'vmess',
  'trojan',
  'wireguard',
  'hysteria',
  'tun',
])
const XRAY_OUTBOUND_PROTOCOLS = new Set([
  'freedom',
  'direct',
  'blackhole',
  'block',
  'dns',
  'http',
  'socks',
  'shadowsocks',
  'vless',
  'vmess',
  'trojan',
  'wireguard',
  'loopback',
  'hysteria',
])
const OBSERVATORY_EXCLUDED = new Set(['blackhole', 'dns', 'loopback'])

function typeErr(kind: unknown, where: string, type: string): string {
  return `json: cannot unmarshal ${goJsonKind(kind)} into Go ${where} of type ${type}`
}

/** `xray.NewConfig(config, exclude)`: json.Unmarshal into the node's Config struct. */
export function parseXrayConfig(text: string, exclude: readonly string[]): XrayConfig {
  const parsed = goUnmarshal(text)
  if ('error' in parsed) throw plainError(parsed.error)
  const root = parsed.value
  if (root !== null && !isObject(root)) throw plainError(typeErr(root, 'value', 'xray.Config'))
  const obj = (root ?? {}) as Record<string, unknown>
  let firstError: string | null = null
  const fail = (msg: string): void => {
    firstError ??= msg
  }
  for (const f of ['dns', 'metrics', 'reverse', 'fakeDns', 'observatory', 'burstObservatory']) {
    const v = goField(obj, f)
    if (v !== undefined && v !== null && !isObject(v)) {
      fail(typeErr(v, `struct field Config.${f}`, 'map[string]interface {}'))
    }
  }
  const rawInbounds = goField(obj, 'inbounds')
  const inbounds: XInbound[] = []
  if (rawInbounds !== undefined && rawInbounds !== null) {
    if (!Array.isArray(rawInbounds)) {
      fail(typeErr(rawInbounds, 'struct field Config.inbounds', '[]*xray.Inbound'))
    } else {
      for (const el of rawInbounds as unknown[]) {
        if (el !== null && !isObject(el)) {
          fail(typeErr(el, 'struct field Config.inbounds', 'xray.Inbound'))
          continue
        }
        const o = (el ?? {}) as Record<string, unknown>
        const str = (f: string): string => {
          const v = goField(o, f)
          if (v === undefined || v === null) return ''
          if (typeof v !== 'string') {
            fail(typeErr(v, `struct field Inbound.inbounds.${f}`, 'string'))
            return ''
          }
          return v
        }
        const tag = str('tag')
        const listen = str('listen')
        const protocol = str('protocol')
        for (const f of ['settings', 'streamSettings', 'allocate']) {
          const v = goField(o, f)
          if (v !== undefined && v !== null && !isObject(v)) {
            fail(typeErr(v, `struct field Inbound.inbounds.${f}`, 'map[string]interface {}'))
          }
        }
        const settings = goField(o, 'settings')
        inbounds.push({
          tag,
          protocol,
          listen,
          port: goField(o, 'port'),
          settings: isObject(settings) ? settings : null,
          exclude: exclude.includes(tag),
          internal: false,
          clients: new Map(),
        })
      }
    }
  }
  if (firstError !== null) throw plainError(firstError)

  const rawOutbounds = goField(obj, 'outbounds')
  const outbounds: XOutbound[] = []
  if (Array.isArray(rawOutbounds)) {
    for (const el of rawOutbounds as unknown[]) {
      if (!isObject(el)) continue
      const tag = typeof el.tag === 'string' ? el.tag.trim() : ''
      const protocol = typeof el.protocol === 'string' ? el.protocol.trim() : ''
      outbounds.push({ tag, protocol })
    }
  }

  const policy = goField(obj, 'policy')
  let inUp = false
  let inDown = false
  let userOnline = false
  if (isObject(policy)) {
    const system = goField(policy, 'system')
    if (isObject(system)) {
      inUp = goField(system, 'statsInboundUplink') === true
      inDown = goField(system, 'statsInboundDownlink') === true
    }
    const levels = goField(policy, 'levels')
    if (isObject(levels) && isObject(levels['0'])) {
      userOnline = goField(levels['0'], 'statsUserOnline') === true
    }
  }

  const protoByTag = new Map(
    outbounds.filter((o) => o.tag && o.protocol).map((o) => [o.tag, o.protocol]),
  )
  let observatory: string[] | null = null
  for (const section of ['observatory', 'burstObservatory']) {
    const s = goField(obj, section)
    if (!isObject(s)) continue
    observatory ??= []
    const sel = s.subjectSelector
    if (Array.isArray(sel)) {
      for (const v of sel as unknown[]) {
        if (typeof v !== 'string') continue
        const p = protoByTag.get(v.trim())
        if (p !== undefined && OBSERVATORY_EXCLUDED.has(p)) continue
        observatory.push(v)
      }
    }
  }

  return {
    inbounds,
    outbounds,
    outboundsRaw: rawOutbounds,
    statsInboundUplink: inUp,
    statsInboundDownlink: inDown,
    statsUserOnline: userOnline,
    observatory,
  }
}

/** What Xray itself rejects at startup (its `Failed to start: …` line), or null. */
function xrayStartupFailure(cfg: XrayConfig): string | null {
  const prefix = 'Failed to start: main: failed to load config files: [stdin:] > infra/conf: '
  for (const ib of cfg.inbounds) {
    if (ib.internal) continue
    const head = `${prefix}failed to build inbound config with tag ${ib.tag} > infra/conf: `
    const listen = ib.listen.trim()
    const unix = listen.startsWith('/') || listen.startsWith('@')
    const noPort = ib.port === undefined || ib.port === null || ib.port === 0 || ib.port === ''
    if (!unix && noPort) {
      const anyIp = listen === '' || listen === '0.0.0.0' || listen === '::'
      return anyIp
        ? `${head}Listen on AnyIP but no Port(s) set in InboundDetour.`
        : `${head}Listen on specific ip without port in InboundDetour.`
    }
    if (!XRAY_INBOUND_PROTOCOLS.has(ib.protocol)) {
      return `${head}failed to load inbound detour config for protocol ${ib.protocol} > infra/conf: unknown config id: ${ib.protocol}`
    }
  }
  for (const ob of cfg.outbounds) {
    if (!XRAY_OUTBOUND_PROTOCOLS.has(ob.protocol)) {
      return `${prefix}failed to build outbound config with tag ${ob.tag} > infra/conf: failed to load outbound detour config for protocol ${ob.protocol} > infra/conf: unknown config id: ${ob.protocol}`
    }
  }
  return null
}

/** The account a user gets on an inbound of this protocol (`isActiveInbound`), or null. */
function xrayAccountFor(inbound: XInbound, user: PbUser): boolean {
  if (!user.inbounds.includes(inbound.tag)) return false
  const p = user.proxies
  switch (inbound.protocol) {
    case 'vless':
      return p?.vless != null && parseGoUuid(p.vless.id) !== null
    case 'vmess':
      return p?.vmess != null && parseGoUuid(p.vmess.id) !== null
    case 'trojan':
      return p?.trojan != null
    case 'shadowsocks':
      return p?.shadowsocks != null
    case 'hysteria':
      return p?.hysteria != null
    default:
      return false
  }
}

/** Xray (`backend/xray`) and the Xray process behind it. */
export class XrayBackend extends Backend {
  readonly type = 'xray' as const
  private running = false
  private restarting = false
  private startedAt = 0
  private counters = new Map<string, bigint>()
  private online = new Map<string, { count: number | null; ips: Map<string, number> }>()
  private latency = new Map<string, { alive: boolean; delay: number }>()
  private records = new Map<string, PbUser>()
  private healthTimer: NodeJS.Timeout | null = null
  private runtime: RuntimeSample

  private constructor(
    source: PbBackend,
    deps: BackendDeps,
    readonly config: XrayConfig,
  ) {
    super(source, deps)
    this.runtime = newRuntime(deps.rng)
  }

  /** `xray.NewConfig` + `xray.New`: config, startup users, core start, wait for the API. */
  static async create(source: PbBackend, deps: BackendDeps): Promise<XrayBackend> {
    const config = parseXrayConfig(source.config, source.exclude_inbounds)
    // ApplyAPI: API_INBOUND first (dokodemo-door, has a tag → inbound counters when enabled).
    config.inbounds = config.inbounds.filter((i) => i.tag !== 'API_INBOUND')
    config.inbounds.unshift({
      tag: 'API_INBOUND',
      protocol: 'dokodemo-door',
      listen: '127.0.0.1',
      port: 1,
      settings: { address: '127.0.0.1' },
      exclude: false,
      internal: true,
      clients: new Map(),
    })
    const x = new XrayBackend(source, deps, config)
    if (source.users.length > 0) x.configSyncUsers(source.users)
    const failure = x.startProcess()
    if (failure !== null) {
      await deps.sleep(deps.coreStartMs)
      x.shutdown()
      throw plainError(`failed to start xray: ${failure}`)
    }
    await deps.sleep(deps.coreStartMs)
    if (!x.running) {
      throw plainError('xray process stopped before API became ready')
    }
    return x
  }

  /** `Core.Start`: the process starts (or prints its failure and exits). */
  private startProcess(): string | null {
    const now = this.deps.now()
    const banner = xrayBanner(this.deps.coreVersion, now)
    const failure = xrayStartupFailure(this.config)
    if (failure !== null) {
      this.logs.sendMany([...banner.slice(0, 3), failure])
      return failure
    }
    this.running = true
    this.startedAt = now
    this.counters.clear()
    this.online.clear()
    this.runtime = newRuntime(this.deps.rng)
    // Xray registers inbound counters (when the policy enables them) and outbound counters at start.
    for (const ib of this.config.inbounds) {
      if (!ib.tag) continue
      if (this.config.statsInboundUplink)
        this.counters.set(`inbound>>>${ib.tag}>>>traffic>>>uplink`, 0n)
      if (this.config.statsInboundDownlink)
        this.counters.set(`inbound>>>${ib.tag}>>>traffic>>>downlink`, 0n)
    }
    for (const ob of this.config.outbounds) {
      if (!ob.tag) continue
      this.counters.set(`outbound>>>${ob.tag}>>>traffic>>>uplink`, 0n)
      this.counters.set(`outbound>>>${ob.tag}>>>traffic>>>downlink`, 0n)
    }
    this.logs.sendMany(banner)
    return null
  }

  started(): boolean {
    return this.running
  }

  version(): string {
    return this.deps.coreVersion
  }

  coreStartedAt(): number {
    return this.startedAt
  }

  shutdown(): void {
    if (this.shut) return
    this.shut = true
    this.running = false
    if (this.healthTimer) clearTimeout(this.healthTimer)
    this.healthTimer = null
    // The Xray log channel belongs to the core and is never closed: readers stay, silent.
    this.deps.onCoreEvent?.('stopped')
  }

  private exitUnexpectedly(): void {
    if (!this.running) return
    this.running = false
    this.logs.send('xray process exited unexpectedly: signal: killed')
    this.deps.onCoreEvent?.('stopped')
  }

  stopCore(): void {
    this.exitUnexpectedly()
  }

  crashCore(): void {
    this.exitUnexpectedly()
    if (this.healthTimer) clearTimeout(this.healthTimer)
    this.healthTimer = setTimeout(() => {
      this.healthTimer = null
      if (this.shut || this.running) return
      try {
        this.restartSync()
      } catch {
        // upstream logs and retries at the next health check
      }
    }, this.deps.healthCheckMs)
    this.healthTimer.unref()
  }

  /** `Core.Restart` (Stop + Start): counters and online maps start from zero. */
  private restartSync(): void {
    if (this.restarting) throw plainError('xray is already restarting')
    this.restarting = true
    try {
      this.running = false
      const failure = this.startProcess()
      if (failure !== null) throw plainError(failure)
      this.deps.onCoreEvent?.('restarted')
    } finally {
      this.restarting = false
    }
  }

  /** `Restart` + `checkXrayStatus`. */
  private async restartAndWait(): Promise<void> {
    this.restartSync()
    await this.deps.sleep(this.deps.coreStartMs)
    if (!this.running) throw plainError('xray process stopped before API became ready')
  }

  private activeInbounds(): XInbound[] {
    return this.config.inbounds.filter((i) => !i.exclude && !i.internal)
  }

  private refreshRecords(users: readonly PbUser[]): void {
    for (const u of users) {
      const present = this.activeInbounds().some((i) => i.clients.has(u.email))
      if (present) this.records.set(u.email, u)
      else this.records.delete(u.email)
    }
  }

  /** `Config.syncUsers`: every (non-excluded) inbound's clients rebuilt from `users`. */
  private configSyncUsers(users: readonly PbUser[]): void {
    for (const ib of this.activeInbounds()) {
      ib.clients = new Map()
      for (const u of users) if (xrayAccountFor(ib, u)) ib.clients.set(u.email, u)
    }
    this.records = new Map()
    this.refreshRecords(users)
  }

  /** `Config.updateUsers` / `UpdateUsers`: per user, set or remove on every inbound. */
  private configUpdateUsers(users: readonly PbUser[]): void {
    for (const ib of this.activeInbounds()) {
      for (const u of users) {
        if (xrayAccountFor(ib, u)) ib.clients.set(u.email, u)
        else ib.clients.delete(u.email)
      }
    }
    this.refreshRecords(users)
  }

  syncUser(user: PbUser): void {
    this.configUpdateUsers([user])
  }

  async syncUsers(users: PbUser[]): Promise<void> {
    this.configSyncUsers(users)
    await this.restartAndWait()
  }

  updateUsers(users: PbUser[]): void {
    this.configUpdateUsers(users)
  }

  async updateUsersAndRestart(users: PbUser[]): Promise<void> {
    this.configUpdateUsers(users)
    await this.restartAndWait()
  }

  getSysStats(): PbBackendStatsResponse {
    if (!this.running)
      throw statusError(
        GRPC.UNAVAILABLE,
        'failed to get sys stats: rpc error: code = Unavailable desc = connection refused',
      )
    const load = Math.min(3, this.online.size / 50)
    stepRuntime(this.runtime, this.deps.rng, load)
    return runtimeResponse(this.runtime, (this.deps.now() - this.startedAt) / 1000)
  }

  /** Xray `QueryStats`: substring match over all counters, Go map order, optional reset. */
  private query(pattern: string, reset: boolean): PbStatResponse {
    const names = goMapOrder(
      [...this.counters.keys()].filter((n) => n.includes(pattern)),
      this.deps.rng,
    )
    const stats: PbStat[] = []
    for (const n of names) {
      const value = this.counters.get(n) ?? 0n
      if (reset) this.counters.set(n, 0n)
      const parts = n.split('>>>')
      if (parts.length < 4 || !parts[1] || !parts[2] || !parts[3]) continue
      stats.push({ name: parts[1], link: parts[2], type: parts[3], value: String(value) })
    }
    return { stats }
  }

  getStats(req: PbStatRequest): PbStatResponse {
    switch (req.type) {
      case 0:
        return this.query('outbound>>>', req.reset)
      case 1:
        if (req.name === '') throw plainError('tag required')
        return this.query(`outbound>>>${req.name}>>>`, req.reset)
      case 2:
        return this.query('inbound>>>', req.reset)
      case 3:
        if (req.name === '') throw plainError('tag required')
        return this.query(`inbound>>>${req.name}>>>`, req.reset)
      case 4:
        return this.query('user>>>', req.reset)
      case 5:
        if (req.name === '') throw plainError('email required')
        return this.query(`user>>>${req.name}>>>`, req.reset)
      default:
        throw plainError('not implemented stat type')
    }
  }

  getUserOnlineStats(email: string): PbOnlineStatResponse {
    if (email === '') throw plainError('email required')
    const m = this.online.get(email)
    if (!m) throw statusError(GRPC.NOT_FOUND, `user>>>${email}>>>online not found.`)
    return { name: email, value: String(m.count ?? m.ips.size) }
  }

  getUserOnlineIpListStats(email: string): PbStatsOnlineIpListResponse {
    if (email === '') throw plainError('email required')
    const m = this.online.get(email)
    if (!m) throw statusError(GRPC.NOT_FOUND, `user>>>${email}>>>online not found.`)
    const ips: Record<string, string> = {}
    for (const [ip, t] of m.ips) ips[ip] = String(t)
    return { name: email, ips }
  }

  getOutboundsLatency(name: string): PbLatencyResponse {
    if (!this.running) throw plainError('xray not started')
    const sel = this.config.observatory ?? []
    const protoByTag = new Map(this.config.outbounds.map((o) => [o.tag, o.protocol]))
    const observed = this.config.outbounds
      .map((o) => o.tag)
      .filter((t) => t !== '' && sel.some((s) => t.startsWith(s)))
    if (observed.length === 0) throw plainError('xray outbound latency is not available')
    const now = Math.floor(this.deps.now() / 1000)
    const keys = observed
      .filter((t) => name === '' || t === name)
      .filter((t) => !OBSERVATORY_EXCLUDED.has(protoByTag.get(t) ?? ''))
      .sort(goStringCompare)
    const latencies: PbLatency[] = keys.map((tag, i) => {
      const o = this.latency.get(tag) ?? defaultLatency(tag)
      return {
        name: tag,
        alive: o.alive,
        delay: String(o.alive ? o.delay : 99_999_999),
        link: tag,
        last_seen_time: String(o.alive ? now - (i % 5) : now - 600),
        last_try_time: String(now - (i % 5)),
        source: 'xray-observatory',
      }
    })
    return { latencies }
  }

  addTraffic(kind: TrafficKind, name: string, uplink: bigint, downlink: bigint): boolean {
    if (!this.running || name === '') return false
    for (const [dir, d] of [
      ['uplink', uplink],
      ['downlink', downlink],
    ] as const) {
      const key = `${kind}>>>${name}>>>traffic>>>${dir}`
      this.counters.set(key, i64((this.counters.get(key) ?? 0n) + d))
    }
    return true
  }

  setOnline(email: string, count: number | null, ips: Record<string, number> = {}): boolean {
    if (!this.running) return false
    if (count === null) {
      this.online.delete(email)
      return true
    }
    this.online.set(email, { count, ips: new Map(Object.entries(ips)) })
    return true
  }

  setLatency(name: string, v: { alive: boolean; delay: number } | null): void {
    if (v === null) this.latency.delete(name)
    else this.latency.set(name, v)
  }

  /** Raw counter values (no reset), for tests. */
  counterValues(): Record<string, bigint> {
    return Object.fromEntries(this.counters)
  }

  /** Whether Xray tracks these (policy); the simulation respects it, control calls do not. */
  statsPolicy(): { inbound: boolean; userOnline: boolean } {
    return {
      inbound: this.config.statsInboundUplink || this.config.statsInboundDownlink,
      userOnline: this.config.statsUserOnline,
    }
  }

  onlineCount(): number {
    return this.online.size
  }

  view(): PgBackendView {
    return {
      type: 'xray',
      config: this.source.config,
      keepAliveSec: Number(this.keepAlive),
      excludeInbounds: [...this.excludeInbounds],
      coreRunning: this.running,
      coreVersion: this.version(),
      users: new Map(this.records),
      inbounds: this.config.inbounds
        .filter((i) => !i.internal)
        .map((i) => ({
          tag: i.tag,
          protocol: i.protocol,
          excluded: i.exclude,
          clients: [...i.clients.keys()],
        })),
      outbounds: this.config.outbounds.map((o) => o.tag).filter((t) => t !== ''),
      coreStartedAt: this.startedAt,
    }
  }

  logContext(): {
    emails: string[]
    inbounds: string[]
    outbounds: string[]
    interfaceName: string
  } {
    return {
      emails: [...this.records.keys()],
      inbounds: this.activeInbounds().map((i) => i.tag),
      outbounds: this.config.outbounds.map((o) => o.tag).filter((t) => t !== ''),
      interfaceName: '',
    }
  }

  /** The users of each (non-excluded) inbound, for the simulation. */
  inboundClients(): Array<{ tag: string; emails: string[] }> {
    return this.activeInbounds().map((i) => ({ tag: i.tag, emails: [...i.clients.keys()] }))
  }

  outboundTags(): Array<{ tag: string; protocol: string }> {
    return this.config.outbounds.filter((o) => o.tag !== '')
  }
}

function defaultLatency(tag: string): { alive: boolean; delay: number } {
  let h = 0
  for (let i = 0; i < tag.length; i++) h = (h * 31 + tag.charCodeAt(i)) >>> 0
  return { alive: true, delay: 25 + (h % 250) }
}

// =============================================================================================
// WireGuard

const B64 = /^[A-Za-z0-9+/]$/

/** Go `base64.StdEncoding.DecodeString` (strict padding); error = Go's CorruptInputError offset. */
function goStdBase64(s: string): Buffer | { at: number } {
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s[i] as string
    if (B64.test(c)) continue
    if (c === '=') {
      // padding only in the last quantum, at positions 2/3 (or 3)
      const q = i % 4
      const rest = s.slice(i)
      if ((q === 2 && rest === '==' && i + 2 === n) || (q === 3 && rest === '=' && i + 1 === n)) {
        break
      }
      return { at: i }
    }
    return { at: i }
  }
  if (n % 4 !== 0) return { at: n - (n % 4) }
  return Buffer.from(s, 'base64')
}

/** `wgtypes.ParseKey`. */
function parseWgKey(s: string): Buffer | string {
  const b = goStdBase64(s)
  if (!Buffer.isBuffer(b)) {
    return `wgtypes: failed to parse base64-encoded key: illegal base64 data at input byte ${b.at}`
  }
  if (b.length !== 32) return `wgtypes: incorrect key size: ${b.length}`
  return b
}

interface WgConfig {
  interfaceName: string
  privateKey: string
  listenPort: number
  address: string[]
  testUrl: string
}

/** `wireguard.NewConfig(config)`. */
function parseWgConfig(text: string): WgConfig {
  const parsed = goUnmarshal(text)
  const wrap = (e: string): NodeError => plainError(`failed to unmarshal config: ${e}`)
  if ('error' in parsed) throw wrap(parsed.error)
  const root = parsed.value
  if (root !== null && !isObject(root)) throw wrap(typeErr(root, 'value', 'wireguard.Config'))
  const o = (root ?? {}) as Record<string, unknown>
  const str = (f: string): string => {
    const v = goField(o, f)
    if (v === undefined || v === null) return ''
    if (typeof v !== 'string') throw wrap(typeErr(v, `struct field Config.${f}`, 'string'))
    return v
  }
  const iface = str('interface_name')
  const priv = str('private_key')
  str('pre_shared_key')
  const portV = goField(o, 'listen_port')
  let port = 0
  if (portV !== undefined && portV !== null) {
    if (typeof portV !== 'number' || !Number.isInteger(portV)) {
      throw wrap(
        typeof portV === 'number'
          ? `json: cannot unmarshal number ${portV} into Go struct field Config.listen_port of type int`
          : typeErr(portV, 'struct field Config.listen_port', 'int'),
      )
    }
    port = portV
  }
  const addrV = goField(o, 'address')
  const address: string[] = []
  if (addrV !== undefined && addrV !== null) {
    if (!Array.isArray(addrV)) throw wrap(typeErr(addrV, 'struct field Config.address', '[]string'))
    for (const a of addrV as unknown[]) {
      if (a !== null && typeof a !== 'string') {
        throw wrap(typeErr(a, 'struct field Config.address', 'string'))
      }
      address.push(typeof a === 'string' ? a : '')
    }
  }
  const lat = goField(o, 'latency')
  const testUrl =
    isObject(lat) && typeof lat.test_url === 'string' && lat.test_url.trim() !== ''
      ? lat.test_url
      : 'https://www.gstatic.com/generate_204'
  return {
    interfaceName: iface === '' ? 'wg0' : iface,
    privateKey: priv,
    listenPort: port <= 0 ? 51820 : port,
    address,
    testUrl,
  }
}

interface Cidr {
  v6: boolean
  bytes: Buffer
  bits: number
  text: string
}

function parseCidr(s: string): Cidr | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s)
  if (!m) return null
  const ip = m[1] as string
  const bits = Number(m[2])
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) {
    const parts = ip.split('.').map(Number)
    if (parts.some((p) => p > 255) || bits > 32) return null
    const bytes = Buffer.from(parts)
    maskBytes(bytes, bits)
    return { v6: false, bytes, bits, text: `${[...bytes].join('.')}/${bits}` }
  }
  if (ip.includes(':') && bits <= 128 && /^[0-9a-fA-F:]+$/.test(ip)) {
    const [h, t] = ip.includes('::') ? ip.split('::') : [ip, undefined]
    const hs = h ? (h as string).split(':') : []
    const ts = t !== undefined && t !== '' ? t.split(':') : []
    const groups =
      t === undefined ? hs : [...hs, ...Array<string>(8 - hs.length - ts.length).fill('0'), ...ts]
    if (groups.length !== 8 || groups.some((g) => g.length === 0 || g.length > 4)) return null
    const bytes = Buffer.alloc(16)
    groups.forEach((g, i) => bytes.writeUInt16BE(parseInt(g, 16), i * 2))
    maskBytes(bytes, bits)
    return { v6: true, bytes, bits, text: `${ip.toLowerCase()}/${bits}` }
  }
  return null
}

function maskBytes(b: Buffer, bits: number): void {
  for (let i = 0; i < b.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8))
    b[i] = (b[i] as number) & ((0xff << (8 - keep)) & 0xff)
  }
}

function cidrContains(net: Cidr, ip: Cidr): boolean {
  if (net.v6 !== ip.v6 || ip.bits < net.bits) return false
  const probe = Buffer.from(ip.bytes)
  maskBytes(probe, net.bits)
  return probe.equals(net.bytes)
}

interface WgPeer {
  email: string
  publicKey: string
  allowed: string[]
  user: PbUser
}

interface WgEntry {
  email: string
  rx: bigint
  tx: bigint
  baseRx: bigint
  baseTx: bigint
  lastDeltaRx: bigint
  lastDeltaTx: bigint
  lastActive: number
  endpoint: string
  deleted: boolean
}

/** WireGuard (`backend/wireguard`). */
export class WireGuardBackend extends Backend {
  readonly type = 'wireguard' as const
  private running = true
  private readonly startTime: number
  private peers = new Map<string, WgPeer>()
  private tracker = new Map<string, WgEntry>()
  private ifaceRx = 0n
  private ifaceTx = 0n
  private ifaceBase: { rx: bigint; tx: bigint } | null = null
  private latency = new Map<string, { alive: boolean; delay: number }>()
  private runtime: RuntimeSample

  private constructor(
    source: PbBackend,
    deps: BackendDeps,
    readonly config: WgConfig,
  ) {
    super(source, deps)
    this.startTime = deps.now()
    this.runtime = newRuntime(deps.rng)
  }

  static create(source: PbBackend, deps: BackendDeps): WireGuardBackend {
    const config = parseWgConfig(source.config)
    if (config.privateKey === '')
      throw plainError('invalid wireguard private key: private key is empty')
    const k = parseWgKey(config.privateKey)
    if (typeof k === 'string') throw plainError(`invalid wireguard private key: ${k}`)
    const wg = new WireGuardBackend(source, deps, config)
    let desired: Map<string, WgPeer>
    try {
      desired = wg.collectDesired(normalizeWgUsers(source.users))
    } catch (e) {
      throw plainError(`failed to collect desired peers: ${(e as NodeError).message}`)
    }
    wg.peers = desired
    wg.logs.send(
      `${goLogDate(deps.now())} [Info] WireGuard interface ${config.interfaceName} initialized successfully`,
    )
    return wg
  }

  private collectDesired(users: PbUser[]): Map<string, WgPeer> {
    const desired = new Map<string, WgPeer>()
    const seenIps = new Map<string, string>()
    const nets = this.config.address
      .map((a) => parseCidr(a.trim()))
      .filter((c): c is Cidr => c !== null)
    for (const u of users) {
      if (!u.inbounds.includes(this.config.interfaceName)) continue
      const wgp = u.proxies?.wireguard
      const pub = wgp?.public_key ?? ''
      if (typeof parseWgKey(pub) === 'string') continue // quarantined
      const allowed: string[] = []
      let invalid = false
      for (const ipText of wgp?.peer_ips ?? []) {
        const c = parseCidr(ipText)
        if (!c) {
          invalid = true
          break
        }
        if (nets.length > 0 && !nets.some((n) => cidrContains(n, c))) continue
        const prev = seenIps.get(c.text)
        if (prev !== undefined && prev !== u.email) {
          throw plainError(
            `duplicate wireguard allowed IP ${c.text} assigned to users ${prev} and ${u.email}`,
          )
        }
        seenIps.set(c.text, u.email)
        allowed.push(c.text)
      }
      if (invalid || allowed.length === 0) continue
      const existing = desired.get(pub)
      if (existing && existing.email !== u.email) {
        throw plainError(
          `wireguard public key ${pub} is assigned to multiple users: ${existing.email} and ${u.email}`,
        )
      }
      desired.set(pub, { email: u.email, publicKey: pub, allowed, user: u })
    }
    return desired
  }

  private requireRunning(): void {
    if (!this.running) throw plainError('wireguard not started')
  }

  private removeStats(key: string): void {
    const e = this.tracker.get(key)
    if (!e) return
    e.lastDeltaRx = e.rx - e.baseRx
    e.lastDeltaTx = e.tx - e.baseTx
    e.deleted = true
    e.lastActive = 0
  }

  /** `syncUsersPartialReconcile`. */
  private partial(users: PbUser[]): void {
    const normalized = normalizeWgUsers(users)
    const touched = new Set(normalized.map((u) => u.email))
    const desired = this.collectDesired(normalized)
    for (const [key, d] of desired) {
      const owner = this.peers.get(key)?.email
      if (owner !== undefined && owner !== d.email && !touched.has(owner)) {
        throw plainError(`wireguard public key ${key} is already assigned to user ${owner}`)
      }
    }
    this.requireRunning()
    for (const [key, p] of [...this.peers]) {
      if (touched.has(p.email) && !desired.has(key)) {
        this.peers.delete(key)
        this.removeStats(key)
      }
    }
    for (const [key, d] of desired) this.peers.set(key, d)
  }

  syncUser(user: PbUser): void {
    this.partial([user])
  }

  async syncUsers(users: PbUser[]): Promise<void> {
    const desired = this.collectDesired(normalizeWgUsers(users))
    this.requireRunning()
    for (const key of this.peers.keys()) if (!desired.has(key)) this.removeStats(key)
    this.peers = desired
  }

  updateUsers(users: PbUser[]): void {
    this.partial(users)
  }

  async updateUsersAndRestart(users: PbUser[]): Promise<void> {
    this.partial(users)
  }

  started(): boolean {
    return this.running
  }

  version(): string {
    return 'v1.0.20250521'
  }

  coreStartedAt(): number {
    return this.startTime
  }

  shutdown(): void {
    if (this.shut) return
    this.shut = true
    this.running = false
    this.logs.close()
    this.deps.onCoreEvent?.('stopped')
  }

  stopCore(): void {
    if (!this.running) return
    this.running = false
    this.deps.onCoreEvent?.('stopped')
  }

  crashCore(): void {
    this.stopCore()
  }

  getSysStats(): PbBackendStatsResponse {
    this.requireRunning()
    stepRuntime(this.runtime, this.deps.rng, Math.min(3, this.peers.size / 100))
    return runtimeResponse(this.runtime, (this.deps.now() - this.startTime) / 1000)
  }

  private deltaStats(name: string, link: string, rx: bigint, tx: bigint): PbStat[] {
    if (rx === 0n && tx === 0n) return []
    const out: PbStat[] = []
    if (tx > 0n) out.push({ name, type: 'uplink', link, value: String(tx) })
    if (rx > 0n) out.push({ name, type: 'downlink', link, value: String(rx) })
    return out
  }

  private trackerStats(keys: string[], reset: boolean): PbStatResponse {
    const stats: PbStat[] = []
    for (const key of keys) {
      const e = this.tracker.get(key)
      if (!e) continue
      stats.push(...this.deltaStats(e.email, key, e.rx - e.baseRx, e.tx - e.baseTx))
      if (reset) {
        e.baseRx = e.rx
        e.baseTx = e.tx
        if (e.deleted) this.tracker.delete(key)
      }
    }
    return { stats }
  }

  private keyOf(email: string): string | null {
    for (const [k, p] of this.peers) if (p.email === email) return k
    return null
  }

  getStats(req: PbStatRequest): PbStatResponse {
    this.requireRunning()
    switch (req.type) {
      case 5: {
        const key = this.keyOf(req.name)
        return key === null ? { stats: [] } : this.trackerStats([key], req.reset)
      }
      case 4:
        return this.trackerStats(goMapOrder([...this.tracker.keys()], this.deps.rng), req.reset)
      case 0:
      case 1: {
        const name = req.name === '' ? this.config.interfaceName : req.name
        if (this.ifaceBase === null) this.ifaceBase = { rx: this.ifaceRx, tx: this.ifaceTx }
        if (this.ifaceRx < this.ifaceBase.rx || this.ifaceTx < this.ifaceBase.tx) {
          this.ifaceBase = { rx: this.ifaceRx, tx: this.ifaceTx }
        }
        const drx = this.ifaceRx - this.ifaceBase.rx
        const dtx = this.ifaceTx - this.ifaceBase.tx
        if (req.reset) this.ifaceBase = { rx: this.ifaceRx, tx: this.ifaceTx }
        return { stats: this.deltaStats(name, 'interface', drx, dtx) }
      }
      case 2:
      case 3:
        throw plainError('inbound stats not applicable for wireguard')
      default:
        throw plainError('unsupported stat type')
    }
  }

  getUserOnlineStats(email: string): PbOnlineStatResponse {
    this.requireRunning()
    const key = this.keyOf(email)
    const e = key === null ? undefined : this.tracker.get(key)
    const active = e !== undefined && e.lastActive > this.deps.now() - 45_000
    return { name: email, value: active ? '1' : '0' }
  }

  getUserOnlineIpListStats(email: string): PbStatsOnlineIpListResponse {
    this.requireRunning()
    const ips: Record<string, string> = {}
    const key = this.keyOf(email)
    const e = key === null ? undefined : this.tracker.get(key)
    if (e && e.endpoint !== '' && e.lastActive !== 0) {
      ips[e.endpoint] = String(Math.floor(e.lastActive / 1000))
    }
    return { name: email, ips }
  }

  getOutboundsLatency(requestName: string): PbLatencyResponse {
    this.requireRunning()
    const name = this.config.interfaceName || 'wireguard'
    const want = requestName.trim()
    if (want !== '' && want !== name) return { latencies: [] }
    const o = this.latency.get(name) ?? defaultLatency(name)
    const now = Math.floor(this.deps.now() / 1000)
    return {
      latencies: [
        {
          name,
          alive: o.alive,
          delay: String(o.delay),
          link: this.config.testUrl,
          last_seen_time: o.alive ? String(now) : '0',
          last_try_time: String(now),
          source: 'wireguard-probe',
        },
      ],
    }
  }

  private entry(key: string, email: string): WgEntry {
    let e = this.tracker.get(key)
    if (!e) {
      e = {
        email,
        rx: 0n,
        tx: 0n,
        baseRx: 0n,
        baseTx: 0n,
        lastDeltaRx: 0n,
        lastDeltaTx: 0n,
        lastActive: 0,
        endpoint: '',
        deleted: false,
      }
      this.tracker.set(key, e)
    }
    return e
  }

  addTraffic(kind: TrafficKind, name: string, uplink: bigint, downlink: bigint): boolean {
    if (!this.running) return false
    if (kind === 'inbound') return false
    if (kind === 'outbound') {
      this.ifaceRx = i64(this.ifaceRx + downlink)
      this.ifaceTx = i64(this.ifaceTx + uplink)
      return true
    }
    const key = this.keyOf(name)
    if (key === null) return false
    const e = this.entry(key, name)
    e.tx = i64(e.tx + uplink)
    e.rx = i64(e.rx + downlink)
    if (uplink > 0n || downlink > 0n) e.lastActive = this.deps.now()
    return true
  }

  setOnline(email: string, count: number | null, ips: Record<string, number> = {}): boolean {
    if (!this.running) return false
    const key = this.keyOf(email)
    if (key === null) return false
    const e = this.entry(key, email)
    const first = Object.entries(ips)[0]
    if (count === null || count === 0) {
      e.lastActive = 0
    } else if (first) {
      e.endpoint = first[0]
      e.lastActive = first[1] * 1000
    } else {
      e.lastActive = this.deps.now()
    }
    return true
  }

  setLatency(name: string, v: { alive: boolean; delay: number } | null): void {
    if (v === null) this.latency.delete(name)
    else this.latency.set(name, v)
  }

  view(): PgBackendView {
    const users = new Map<string, PbUser>()
    for (const p of this.peers.values()) users.set(p.email, p.user)
    return {
      type: 'wireguard',
      config: this.source.config,
      keepAliveSec: Number(this.keepAlive),
      excludeInbounds: [...this.excludeInbounds],
      coreRunning: this.running,
      coreVersion: this.version(),
      users,
      inbounds: [
        {
          tag: this.config.interfaceName,
          protocol: 'wireguard',
          excluded: false,
          clients: [...this.peers.values()].map((p) => p.email),
        },
      ],
      outbounds: [this.config.interfaceName],
      coreStartedAt: this.startTime,
    }
  }

  logContext(): {
    emails: string[]
    inbounds: string[]
    outbounds: string[]
    interfaceName: string
  } {
    return {
      emails: [...this.peers.values()].map((p) => p.email),
      inbounds: [this.config.interfaceName],
      outbounds: [this.config.interfaceName],
      interfaceName: this.config.interfaceName,
    }
  }
}

/** `normalizeUsers`: only users with an email, WireGuard settings, a key and peer IPs; last wins. */
function normalizeWgUsers(users: readonly PbUser[]): PbUser[] {
  const last = new Map<string, PbUser>()
  for (const u of users) {
    const w = u.proxies?.wireguard
    if (!u.email || !w || !w.public_key || w.peer_ips.length === 0) continue
    last.set(u.email, u)
  }
  return [...last.values()]
}
