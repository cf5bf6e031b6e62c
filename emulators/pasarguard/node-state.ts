/**
 * The node's controller (`controller/controller.go`), transport-agnostic: API key, the one
 * backend, keep-alive watchdog, system-stats sampler, log generator, sync records. REST and gRPC
 * (rest.ts, grpc.ts) are thin layers over this.
 */
import type {
  PbBackend,
  PbBaseInfoResponse,
  PbLatencyResponse,
  PbSystemStatsResponse,
  PbUser,
} from '../../src/main/core/adapters/pasarguard/proto'
import {
  Backend,
  WireGuardBackend,
  XrayBackend,
  type BackendDeps,
  type PgBackendView,
  type TrafficKind,
} from './backends'
import { NIL_UUID, parseGoUuid, plainError } from './errors'
import { makeLogLines, type LogContext } from './logs'
import { createPrng } from './sim'

/** Settings of a {@link PgNode}. */
export interface PgNodeOptions {
  apiKey: string
  nodeVersion: string
  coreVersion: string
  watchdogIntervalMs: number
  systemSampleMs: number
  coreStartMs: number
  healthCheckMs: number
  logBufferSize: number
  seed: number
}

/** One user sync as the node received it. */
export interface SyncRecord {
  at: number
  transport: 'rest' | 'grpc'
  rpc: 'SyncUser' | 'SyncUsers' | 'SyncUsersChunked'
  /** Users received (SyncUser over gRPC: users of the whole stream). */
  users: number
  /** Frames / stream messages (1 for unary syncs). */
  chunks: number
  /** What the backend did: live API updates or a core restart. */
  mode: 'live' | 'restart'
  ok: boolean
  error?: string
}

interface SystemSample {
  memTotal: number
  memUsed: number
  cores: number
  cpu: number
  rx: number
  tx: number
}

/** Auth result: null = accepted. */
export type AuthFailure = 'missing' | 'invalid' | 'mismatch'

export class PgNode {
  apiKeyHex: string
  backend: Backend | null = null
  /** ms timestamp of the last 2xx / OK request (keep-alive base). */
  lastRequest = 0
  readonly syncs: SyncRecord[] = []
  readonly rng: () => number
  private sample: SystemSample | null = null
  private sampleTimer: NodeJS.Timeout | null = null
  private watchdogTimer: NodeJS.Timeout | null = null
  private lockChain: Promise<void> = Promise.resolve()
  private lockDepth = 0
  private readerCount = 0
  private logRate = 0
  private logTimer: NodeJS.Timeout | null = null
  private logCarry = 0
  private logLast = 0
  private logCtx: { backend: Backend; at: number; ctx: LogContext } | null = null
  private trafficBytes = 0
  private memWalk = 0.22
  private closed = false
  readonly logTotals = { generated: 0, accepted: 0 }

  constructor(readonly opts: PgNodeOptions) {
    this.apiKeyHex = parseGoUuid(opts.apiKey) ?? NIL_UUID
    this.rng = createPrng(opts.seed)
  }

  setApiKey(key: string): void {
    this.apiKeyHex = parseGoUuid(key) ?? NIL_UUID
  }

  /** The auth middleware's verdict for a header value (null/'' = missing). */
  checkKey(header: string | null): AuthFailure | null {
    if (header === null || header === '') return 'missing'
    const k = parseGoUuid(header)
    if (k === null) return 'invalid'
    return k === this.apiKeyHex ? null : 'mismatch'
  }

  /** 'none' = no backend, 'stopped' = backend but core not running, null = ready. */
  backendStatus(): 'none' | 'stopped' | null {
    if (!this.backend) return 'none'
    return this.backend.started() ? null : 'stopped'
  }

  /**
   * Resolves when no `/start` holds the controller lock. Upstream's `StartBackend` holds the
   * controller mutex while Xray starts, and every request (even the API key check) waits for it.
   */
  async idle(): Promise<void> {
    while (this.lockDepth > 0) await this.lockChain
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.lockChain
    let release!: () => void
    this.lockChain = new Promise<void>((r) => (release = r))
    this.lockDepth++
    await prev
    try {
      return await fn()
    } finally {
      this.lockDepth--
      release()
    }
  }

  private deps(): BackendDeps {
    return {
      rng: this.rng,
      now: () => Date.now(),
      sleep: (ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve()),
      coreStartMs: this.opts.coreStartMs,
      healthCheckMs: this.opts.healthCheckMs,
      coreVersion: this.opts.coreVersion,
      logBufferSize: this.opts.logBufferSize,
      onReaderCountChange: (d) => {
        this.readerCount += d
      },
    }
  }

  /**
   * The Start handler: a running backend is stopped first ("core control access was taken away
   * from previous client"), then `StartBackend`, then `Connect`. Throws the start error.
   */
  async start(b: PbBackend): Promise<PbBaseInfoResponse> {
    return this.withLock(async () => {
      if (this.backend) this.disconnect()
      let backend: Backend
      if (b.type === 0) backend = await XrayBackend.create(b, this.deps())
      else if (b.type === 1) backend = WireGuardBackend.create(b, this.deps())
      else throw plainError('invalid backend type')
      if (this.closed) {
        backend.shutdown()
        throw plainError('context cancelled')
      }
      this.backend = backend
      this.connect(b.keep_alive)
      return this.baseInfo()
    })
  }

  /** `Connect`: keep-alive base, system stats sampler, keep-alive watchdog. */
  private connect(keepAlive: string): void {
    this.lastRequest = Date.now()
    this.stopSessionTimers()
    const sampleMs = Math.max(1, this.opts.systemSampleMs)
    const tick = (): void => {
      this.takeSample()
      this.sampleTimer = setTimeout(tick, sampleMs)
      this.sampleTimer.unref()
    }
    this.sampleTimer = setTimeout(tick, sampleMs)
    this.sampleTimer.unref()
    const k = BigInt(keepAlive || '0')
    if (k > 0n) {
      // time.Duration(keepAlive) * time.Second, with Go's int64 wrap-around
      const limitNs = BigInt.asIntN(64, BigInt.asIntN(64, k) * 1_000_000_000n)
      this.watchdogTimer = setInterval(
        () => {
          const elapsedNs = BigInt(Date.now() - this.lastRequest) * 1_000_000n
          if (elapsedNs >= limitNs) this.disconnect()
        },
        Math.max(1, this.opts.watchdogIntervalMs),
      )
      this.watchdogTimer.unref()
    }
  }

  private stopSessionTimers(): void {
    if (this.sampleTimer) clearTimeout(this.sampleTimer)
    if (this.watchdogTimer) clearInterval(this.watchdogTimer)
    this.sampleTimer = null
    this.watchdogTimer = null
  }

  /** `Disconnect`: timers cancelled, backend shut down and forgotten. */
  disconnect(): void {
    this.stopSessionTimers()
    const b = this.backend
    this.backend = null
    b?.shutdown()
  }

  /** A request completed with 2xx / OK. */
  newRequest(): void {
    this.lastRequest = Date.now()
  }

  baseInfo(): PbBaseInfoResponse {
    return {
      started: this.backend?.started() ?? false,
      core_version: this.backend?.version() ?? '',
      node_version: this.opts.nodeVersion,
    }
  }

  /** Bytes moved (for the bandwidth numbers of the next system sample). */
  noteTraffic(bytes: number): void {
    this.trafficBytes += bytes
  }

  private takeSample(): void {
    const rng = this.rng
    const secs = Math.max(0.001, this.opts.systemSampleMs / 1000)
    const moved = this.trafficBytes / secs
    this.trafficBytes = 0
    const load = Math.min(1, moved / 50_000_000)
    this.memWalk = Math.min(0.85, Math.max(0.12, this.memWalk + (rng() - 0.5) * 0.02 + load * 0.01))
    const memTotal = 4_102_516_736
    const noise = (): number => 2_000 + Math.floor(rng() * 30_000)
    this.sample = {
      memTotal,
      memUsed: Math.floor(memTotal * this.memWalk),
      cores: 2,
      cpu: Math.round((1.5 + load * 55 + rng() * 6) * 1e6) / 1e6,
      rx: Math.floor(moved * 1.03) + noise(),
      tx: Math.floor(moved * 1.01) + noise(),
    }
  }

  /** `SystemStats`: the last sample (zeros before the first) with the backend's uptime. */
  systemStats(): PbSystemStatsResponse {
    const s = this.sample
    const r: PbSystemStatsResponse = {
      mem_total: String(s?.memTotal ?? 0),
      mem_used: String(s?.memUsed ?? 0),
      cpu_cores: String(s?.cores ?? 0),
      cpu_usage: s?.cpu ?? 0,
      incoming_bandwidth_speed: String(s?.rx ?? 0),
      outgoing_bandwidth_speed: String(s?.tx ?? 0),
      uptime: '0',
    }
    if (this.backend) {
      try {
        r.uptime = String(this.backend.getSysStats().uptime)
      } catch {
        // upstream logs and keeps the host numbers
      }
    }
    return r
  }

  /** `OutboundsLatency`: no backend → empty list (gRPC reaches this without the backend check). */
  outboundsLatency(name: string): PbLatencyResponse {
    if (!this.backend) return { latencies: [] }
    return this.backend.getOutboundsLatency(name)
  }

  recordSync(r: Omit<SyncRecord, 'at'>): void {
    this.syncs.push({ at: Date.now(), ...r })
    if (this.syncs.length > 1000) this.syncs.splice(0, this.syncs.length - 1000)
  }

  /** Open `/logs` streams and `GetLogs` calls. */
  logReaders(): number {
    return this.readerCount
  }

  // -- control -------------------------------------------------------------------------------

  addTraffic(kind: TrafficKind, name: string, uplink: bigint, downlink: bigint): boolean {
    if (!this.backend) return false
    const ok = this.backend.addTraffic(kind, name, uplink, downlink)
    if (ok && kind === 'user') this.noteTraffic(Number(uplink + downlink))
    return ok
  }

  view(): PgBackendView | null {
    return this.backend?.view() ?? null
  }

  /** Lines per second the core writes (0 = off); batched every 10 ms. */
  setLogRate(linesPerSec: number): void {
    this.logRate = Math.max(0, linesPerSec)
    if (this.logRate > 0 && !this.logTimer && !this.closed) {
      this.logLast = performance.now()
      this.logCarry = 0
      this.logTimer = setInterval(() => this.logTick(), 10)
      this.logTimer.unref()
    } else if (this.logRate === 0 && this.logTimer) {
      clearInterval(this.logTimer)
      this.logTimer = null
    }
  }

  private logTick(): void {
    const now = performance.now()
    const due = (this.logRate * (now - this.logLast)) / 1000 + this.logCarry
    this.logLast = now
    const n = Math.floor(due)
    this.logCarry = Math.min(due - n, 1)
    const b = this.backend
    if (n <= 0 || !b || !b.started()) return
    const wall = Date.now()
    if (!this.logCtx || this.logCtx.backend !== b || wall - this.logCtx.at > 500) {
      this.logCtx = { backend: b, at: wall, ctx: { kind: b.type, ...b.logContext() } }
    }
    const lines = makeLogLines(this.rng, this.logCtx.ctx, n, wall)
    this.logTotals.generated += n
    this.logTotals.accepted += b.logs.sendMany(lines)
  }

  /** Users the node would currently have, for convenience. */
  users(): Map<string, PbUser> {
    return this.backend?.view().users ?? new Map()
  }

  close(): void {
    this.closed = true
    this.setLogRate(0)
    this.disconnect()
  }
}
