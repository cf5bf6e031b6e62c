import type {
  AppError,
  PgCoreState,
  PgLatency,
  PgOnline,
  PgOverview,
  PgSyncResult,
  PgSystemSample,
  PgTraffic,
  PgTransport,
} from '../../../../shared/contract'
import { AppErrorException, appError, toAppError } from '../../../../shared/contract'
import type { Logger } from '../../util/logger'
import type {
  AdapterContext,
  PasarGuardFacet,
  PollOptions,
  PollResult,
  UsersReading,
} from '../adapter'
import { coreDownError, coreDownOf, type PgErrorContext } from './errors'
import {
  PgTrafficTableTracker,
  assertXrayConfig,
  statPairs,
  toBackendStats,
  toInfo,
  toIps,
  toLatency,
  toPbUser,
  toSample,
  toSystemStats,
  isUnsampledSystemStats,
  int64,
  pairsToCounters,
  safeNumber,
} from './map'
import { BackendType, StatType, type PbUser, type PbUsersChunk } from './proto'
import { createRestTransport, type PgTransportConfig } from './rest'
import type { NodeTransport, PgLogSink } from './transport'

/** The options of a PasarGuard server (`ServerConfig.options`, checked by the kind module). */
export interface PgOptions {
  transport: PgTransport
  clearOnRead: boolean
}

/** The loaded implementation behind the adapter (this module pulls in protobufjs). */
export interface PgNode {
  poll(signal?: AbortSignal, opts?: PollOptions): Promise<PollResult>
  facet: PasarGuardFacet
  logs(sink: PgLogSink): { stop(): void }
  close(): void
}

/** Online counts are read per user: only up to this many users per poll. */
export const PG_ONLINE_MAX_USERS = 2000
/** Parallel per-user online reads. */
export const PG_ONLINE_CONCURRENCY = 8
/** How long the core keeps system samples for the overview charts (ms). */
export const PG_HISTORY_MS = 10 * 60_000
const PG_HISTORY_MAX = 600

/** Runs `fn` over `items` with at most `limit` in flight; results in order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T, i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/** Builds the transport chosen in the options (grpc-js is loaded only for gRPC nodes). */
async function createTransport(cfg: PgTransportConfig, kind: PgTransport): Promise<NodeTransport> {
  if (kind === 'rest') return createRestTransport(cfg)
  const { createGrpcTransport } = await import('./grpc')
  return createGrpcTransport(cfg)
}

/**
 * A PasarGuard node (apis.md §3): health polls with user counters and online counts, the core's
 * lifecycle, traffic tables, latency, online IPs and user sync, over either transport. Keeps in
 * memory only (never on disk or in logs): what NodeDeck started this session — never the Xray
 * config, which may hold private keys —, system samples of the last 10 minutes, and the
 * traffic tables' trackers.
 */
export async function createPgNode(
  ctx: AdapterContext,
  options: PgOptions,
  secretKey: string,
  log?: Logger,
): Promise<PgNode> {
  const { server } = ctx
  const url = new URL(server.url)
  if (url.protocol !== 'https:') {
    throw new AppErrorException(
      appError(
        'invalid_input',
        `A PasarGuard node always speaks TLS: use https:// in the address of ${server.name}.`,
        { serverId: server.id, params: { field: 'url' } },
      ),
    )
  }
  const timeoutMs = Math.min(15_000, Math.max(3_000, server.pollIntervalSec * 800))
  const t = await createTransport(
    {
      serverId: server.id,
      url,
      tls: server.tls,
      getApiKey: () => ctx.getSecret(secretKey),
      http: ctx.http,
      timeoutMs,
      log,
    },
    options.transport,
  )
  const errCtx = (op: string): PgErrorContext => ({
    serverId: server.id,
    host: t.host,
    transport: t.kind,
    op,
  })

  let started: PgOverview['started'] = null
  let history: PgSystemSample[] = []
  const inbounds = new PgTrafficTableTracker(server.id)
  const outbounds = new PgTrafficTableTracker(server.id)
  let trafficInFlight: Promise<PgTraffic> | null = null

  const record = (sample: PgSystemSample) => {
    history.push(sample)
    const from = sample.at - PG_HISTORY_MS
    history = history.filter((s) => s.at >= from).slice(-PG_HISTORY_MAX)
  }

  /**
   * Why the core is not running, when `/info` says `started: false`: a call that needs a
   * backend tells `backend not initialized` (500) from `core is not started yet` (503).
   */
  async function coreDown(signal?: AbortSignal): Promise<AppError> {
    try {
      await t.unary('GetBackendStats', {}, { signal })
      // The backend answered although the node said not started: it is between states.
      return coreDownError(errCtx('GetBaseInfo'), 'stopped', 'core is not started yet')
    } catch (err) {
      const e = toAppError(err, server.id)
      if (coreDownOf(e)) return e
      if (e.code === 'auth') throw err
      return coreDownError(errCtx('GetBaseInfo'), 'no_backend', '')
    }
  }

  /** Devices per user (online counts > 0) of the listed users; null beyond the limit. */
  async function devicesOf(
    names: string[],
    signal?: AbortSignal,
  ): Promise<{ devices: Map<string, number> | null; error: AppError | null }> {
    if (names.length > PG_ONLINE_MAX_USERS) return { devices: null, error: null }
    const devices = new Map<string, number>()
    let error: AppError | null = null
    await mapLimit(names, PG_ONLINE_CONCURRENCY, async (name) => {
      if (error) return
      try {
        const r = await t.unary('GetUserOnlineStats', { name }, { signal })
        const n = safeNumber(int64(r.value)) ?? 0
        if (n > 0) devices.set(name, n)
      } catch (err) {
        const e = toAppError(err, server.id)
        // xray: no online counter for a user (`… not found.`) = nobody online.
        if (e.code !== 'not_found') error = e
      }
    })
    return error ? { devices: null, error } : { devices, error: null }
  }

  async function poll(signal?: AbortSignal, opts?: PollOptions): Promise<PollResult> {
    const t0 = performance.now()
    // The health call: also resets the node's keep-alive watchdog (any 2xx does).
    const info = await t.unary('GetBaseInfo', {}, { signal })
    const latencyMs = performance.now() - t0
    if (!info.started) return { latencyMs, partial: await coreDown(signal) }
    const clear = options.clearOnRead && !opts?.readOnly
    const at = Date.now()
    // A system sample per poll (best effort, alongside the counters) so the overview charts
    // show the time before anyone opened them; a failure here is the overview's to report.
    // Skipped while an open overview samples more often than the polls (no second read).
    const lastSampleAt = history.at(-1)?.at ?? 0
    if (!opts?.readOnly && at - lastSampleAt >= (server.pollIntervalSec * 1000) / 2) {
      void t
        .unary('GetSystemStats', {}, { signal })
        .then((sys) => {
          if (!isUnsampledSystemStats(sys)) record(toSample(Date.now(), toSystemStats(sys)))
        })
        .catch(() => undefined)
    }
    let pairs
    try {
      const r = await t.unary(
        'GetStats',
        { name: '', reset: clear, type: StatType.UsersStat },
        { signal },
      )
      pairs = statPairs(r.stats)
    } catch (err) {
      const e = toAppError(err, server.id)
      if (e.code === 'auth') throw err
      // Stopped in between: a state, no reading. Else the counters are unknown this time.
      if (coreDownOf(e)) return { latencyMs, partial: e }
      const users: UsersReading = { at, counters: null, devices: null, countersAreDeltas: clear }
      return { latencyMs, partial: e, users }
    }
    // From here on the counters may have been cleared on the node: never throw them away.
    const { devices, error } = await devicesOf([...pairs.keys()], signal)
    return {
      latencyMs,
      partial: error,
      users: { at, counters: pairsToCounters(pairs), devices, countersAreDeltas: clear },
    }
  }

  async function readTraffic(): Promise<PgTraffic> {
    const clear = options.clearOnRead
    const at = Date.now()
    const read = (type: number) =>
      t.unary('GetStats', { name: '', reset: clear, type }, {}).then((r) => statPairs(r.stats))
    const [ib, ob] = await Promise.allSettled([read(StatType.Inbounds), read(StatType.Outbounds)])
    if (ib.status === 'rejected' && ob.status === 'rejected') {
      // Nothing readable: the node (or its core) is the problem, not one table.
      const e = toAppError(ob.reason, server.id)
      inbounds.fail(toAppError(ib.reason, server.id))
      outbounds.fail(e)
      throw new AppErrorException(e)
    }
    const inTable =
      ib.status === 'fulfilled'
        ? inbounds.update(ib.value, at, clear)
        : inbounds.fail(toAppError(ib.reason, server.id))
    const outTable =
      ob.status === 'fulfilled'
        ? outbounds.update(ob.value, at, clear)
        : outbounds.fail(toAppError(ob.reason, server.id))
    return {
      serverId: server.id,
      at,
      inbounds: inTable,
      outbounds: outTable,
      clearOnRead: clear,
      countingSince: clear ? (outbounds.countingSince() ?? inbounds.countingSince()) : null,
    }
  }

  const facet: PasarGuardFacet = {
    async overview(signal) {
      const at = Date.now()
      const info = toInfo(await t.unary('GetBaseInfo', {}, { signal }))
      let core: PgCoreState = 'running'
      let coreMessage: string | null = null
      let system: PgOverview['system'] = null
      let backend: PgOverview['backend'] = null
      const errors: AppError[] = []
      const noteDown = (e: AppError) => {
        const s = coreDownOf(e)
        if (!s) return false
        core = s
        coreMessage = typeof e.params?.nodeText === 'string' ? e.params.nodeText : null
        return true
      }
      if (!info.started) {
        const e = await coreDown(signal)
        noteDown(e)
        if (core === 'running') core = 'stopped'
      } else {
        const [sys, be] = await Promise.allSettled([
          t.unary('GetSystemStats', {}, { signal }),
          t.unary('GetBackendStats', {}, { signal }),
        ])
        if (sys.status === 'fulfilled') {
          if (!isUnsampledSystemStats(sys.value)) {
            system = toSystemStats(sys.value)
            record(toSample(at, system))
          }
        } else {
          const e = toAppError(sys.reason, server.id)
          if (!noteDown(e)) errors.push(e)
        }
        if (be.status === 'fulfilled') backend = toBackendStats(be.value)
        else {
          const e = toAppError(be.reason, server.id)
          if (!noteDown(e)) errors.push(e)
        }
        if (core !== 'running') {
          system = null
          backend = null
        }
      }
      return {
        serverId: server.id,
        at,
        transport: t.kind,
        info,
        core,
        coreMessage,
        system,
        backend,
        history: [...history],
        errors,
        started: started ? { ...started, excludeInbounds: [...started.excludeInbounds] } : null,
        pollIntervalSec: server.pollIntervalSec,
      }
    },
    async start(draft) {
      if (draft.type === 'xray') {
        try {
          assertXrayConfig(draft.config)
        } catch (err) {
          throw new AppErrorException(toAppError(err, server.id))
        }
      }
      const info = await t.unary(
        'Start',
        {
          type: draft.type === 'xray' ? BackendType.XRAY : BackendType.WIREGUARD,
          config: draft.config,
          users: draft.users.map(toPbUser),
          keep_alive: String(draft.keepAliveSec),
          exclude_inbounds: draft.excludeInbounds,
        },
        // Starting xray with many users takes a while; the node answers when it runs.
        { timeoutMs: Math.max(30_000, timeoutMs) + draft.users.length },
      )
      started = {
        at: Date.now(),
        type: draft.type,
        keepAliveSec: draft.keepAliveSec,
        excludeInbounds: [...draft.excludeInbounds],
      }
      return toInfo(info)
    },
    async stop() {
      try {
        await t.unary('Stop', {}, { timeoutMs: Math.max(30_000, timeoutMs) })
      } catch (err) {
        // Already without a backend: stopped is what was asked.
        if (coreDownOf(toAppError(err)) !== 'no_backend') throw err
      }
      started = null
    },
    traffic() {
      // One read at a time: with clear-on-read two concurrent reads would split the deltas.
      if (!trafficInFlight) {
        trafficInFlight = readTraffic().finally(() => {
          trafficInFlight = null
        })
      }
      return trafficInFlight
    },
    async latency(): Promise<PgLatency[]> {
      const r = await t.unary('GetOutboundsLatency', { name: '' }, {})
      return r.latencies.map(toLatency).sort((a, b) => a.name.localeCompare(b.name))
    },
    async online(emails): Promise<PgOnline[]> {
      const rows = await mapLimit(emails, PG_ONLINE_CONCURRENCY, async (email) => {
        const [o, ips] = await Promise.allSettled([
          t.unary('GetUserOnlineStats', { name: email }, {}),
          t.unary('GetUserOnlineIpListStats', { name: email }, {}),
        ])
        const err =
          o.status === 'rejected' ? o.reason : ips.status === 'rejected' ? ips.reason : null
        const row: PgOnline = {
          email,
          online: o.status === 'fulfilled' ? safeNumber(int64(o.value.value)) : null,
          ips: ips.status === 'fulfilled' ? toIps(ips.value.ips) : [],
          error: err === null ? null : toAppError(err, server.id),
        }
        return row
      })
      // The same refusal for every user (wrong key, core stopped): the call failed, not a user.
      const first = rows[0]?.error
      if (
        first &&
        first.code !== 'not_found' &&
        rows.every((r) => r.error?.code === first.code && r.online === null)
      ) {
        throw new AppErrorException(first)
      }
      return rows
    },
    async syncUser(user) {
      await t.clientStream('SyncUser', [toPbUser(user)], {})
    },
    async syncUsers(users, opts): Promise<PgSyncResult> {
      const t0 = performance.now()
      const total = users.length
      const big = Math.max(60_000, timeoutMs) + total * 5
      if (opts.mode === 'replace') {
        opts.onProgress?.({ sentUsers: 0, totalUsers: total, sentChunks: 0, totalChunks: 1 })
        const pb = users.map(toPbUser)
        const sent = { bytes: 0 }
        await t.unary('SyncUsers', { users: pb }, { timeoutMs: big, signal: opts.signal, sent })
        opts.onProgress?.({ sentUsers: total, totalUsers: total, sentChunks: 1, totalChunks: 1 })
        return {
          users: total,
          chunks: 1,
          bytes: sent.bytes,
          elapsedMs: performance.now() - t0,
          coreRestarted: true,
        }
      }
      const size = Math.max(1, opts.chunkSize)
      // An empty set is one chunk with last = true (node v0.5.2 refuses it, see below).
      const totalChunks = Math.max(1, Math.ceil(total / size))
      /** Users in chunks 0..i, per chunk made so far. */
      const upTo: number[] = []
      function* chunks(): Generator<Partial<PbUsersChunk>> {
        for (let i = 0; i < totalChunks; i++) {
          const part: PbUser[] = users.slice(i * size, (i + 1) * size).map(toPbUser)
          upTo.push((upTo[i - 1] ?? 0) + part.length)
          yield { users: part, index: String(i), last: i === totalChunks - 1 }
        }
      }
      opts.onProgress?.({ sentUsers: 0, totalUsers: total, sentChunks: 0, totalChunks })
      const r = await t
        .clientStream('SyncUsersChunked', chunks(), {
          timeoutMs: big,
          signal: opts.signal,
          onProgress: (p) => {
            opts.onProgress?.({
              sentUsers: upTo[p.messages - 1] ?? 0,
              totalUsers: total,
              sentChunks: p.messages,
              totalChunks,
            })
          },
        })
        .catch((err: unknown) => {
          const e = toAppError(err, server.id)
          // BuildUsersFromChunks refuses an empty set (apis.md §3, node v0.5.x).
          if (total === 0 && /no users received/i.test(e.message)) {
            throw new AppErrorException(
              appError(
                'invalid_input',
                `The PasarGuard node at ${t.host} does not take an empty user set in chunked mode (it answered "no users received"). To remove every user, sync in replace mode.`,
                { serverId: server.id, params: { field: 'users', mode: 'chunked' } },
              ),
            )
          }
          throw err
        })
      return {
        users: total,
        chunks: r.messages,
        bytes: r.bytes,
        elapsedMs: performance.now() - t0,
        coreRestarted: total > 100,
      }
    },
  }

  return {
    poll,
    facet,
    logs: (sink) => t.logs(sink),
    close: () => t.close(),
  }
}
