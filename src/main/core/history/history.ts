import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { EventName, ServerStatus, UsersSnapshot } from '../../../shared/contract'
import type { Logger } from '../util/logger'
import { HistoryFeed } from './feed'
import { RAW_KEEP_MS } from './raw-ring'
import {
  FLEET,
  type EventsQuery,
  type SeriesQuery,
  type SeriesResult,
  type StateEvent,
  type StoreStatus,
  type TopQuery,
  type TopRow,
  type WorkerReply,
  type WorkerRequest,
} from './types'

declare const __dirname: string | undefined

/** Readings go to the worker in one message per this interval. */
const FLUSH_MS = 1_000
/** A query the worker has not answered by then fails (the worker is stuck or gone). */
const QUERY_TIMEOUT_MS = 30_000
/** A crashed worker is restarted after this long, at most RESTARTS times. */
const RESTART_MS = 10_000
const RESTARTS = 3

/** A request to the worker without its id (distributes over the union). */
type Question =
  Exclude<WorkerRequest, { op: 'ingest' }> extends infer R
    ? R extends unknown
      ? Omit<R, 'id'>
      : never
    : never

/** The state the UI shows: `off` = not recorded in this mode (CLI one-shots). */
export type HistoryState = 'ok' | 'starting' | 'unavailable' | 'off'

export interface HistoryStatus extends Omit<StoreStatus, 'state'> {
  state: HistoryState
}

export interface HistoryOptions {
  dataDir: string
  log: Logger
  /** The built worker script; found next to the bundle by default. */
  workerFile?: string
  flushMs?: number
  now?: () => number
}

/** The main thread's side of the history: feed, raw rings and the worker's client. */
export interface History {
  /** Starts the worker and the flush timer (background mode only). */
  start(): void
  /** Every core event passes here (cheap: only status and users readings are used). */
  onEvent(name: EventName, payload: unknown): void
  forgetServer(serverId: string): void
  series(q: SeriesQuery): Promise<SeriesResult>
  top(q: TopQuery): Promise<TopRow[]>
  events(q: EventsQuery): Promise<StateEvent[]>
  status(): Promise<HistoryStatus>
  /** Sends what is pending, writes the open minutes and stops the worker. */
  stop(): Promise<void>
}

/**
 * Where the worker script is: `history-worker.js` beside the running bundle (out/cli, out/main,
 * or its parent when this code sits in a chunk folder); from the sources (vitest), the
 * TypeScript file, which Node 24 runs by stripping its types.
 */
export function workerEntry(): { file: string } | { ts: string } {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url))
  for (const c of [join(here, 'history-worker.js'), join(here, '..', 'history-worker.js')]) {
    if (existsSync(c)) return { file: c }
  }
  return { ts: join(here, 'worker.ts') }
}

/**
 * Loads the TypeScript worker under plain Node: relative imports without an extension resolve to
 * their `.ts` file (bundlers do this; Node does not).
 */
const TS_BOOTSTRAP = `
const { registerHooks } = require('node:module')
const { workerData } = require('node:worker_threads')
const { pathToFileURL } = require('node:url')
registerHooks({
  resolve(spec, ctx, next) {
    try { return next(spec, ctx) } catch (err) {
      if (spec.startsWith('.')) return next(spec + '.ts', ctx)
      throw err
    }
  },
})
import(pathToFileURL(workerData.entry).href)
`

/**
 * The worker's young generation is kept small: its garbage comes in one burst a minute (the
 * per-user sums) and the default (up to 3 × 16 MB, grown under that burst and kept) is resident
 * memory for nothing the rest of the minute. Only the young generation is capped: a cap on the
 * old one would end the worker (out of memory) on a big fleet instead of using more memory.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 8 }

function spawnWorker(dbFile: string, file?: string): Worker {
  const entry = file ? { file } : workerEntry()
  if ('file' in entry)
    return new Worker(entry.file, { workerData: { file: dbFile }, resourceLimits: WORKER_LIMITS })
  return new Worker(TS_BOOTSTRAP, {
    eval: true,
    workerData: { file: dbFile, entry: entry.ts },
    resourceLimits: WORKER_LIMITS,
  })
}

/**
 * Creates the history of a core. Nothing runs until `start()`; readings are kept in memory (raw
 * rings) and sent to the worker in batches. Whatever happens to the database or the worker,
 * polling goes on: failures only change `status()` and make queries answer empty.
 */
export function createHistory(opts: HistoryOptions): History {
  const now = opts.now ?? Date.now
  const dbFile = join(opts.dataDir, 'history.sqlite')
  const feed = new HistoryFeed()
  let worker: Worker | null = null
  let started = false
  let startedAt = Infinity
  let stopping = false
  let restarts = 0
  let flushTimer: ReturnType<typeof setInterval> | null = null
  let nextId = 1
  const pending = new Map<
    number,
    { ok: (v: unknown) => void; ko: (e: Error) => void; timer: ReturnType<typeof setTimeout> }
  >()
  let status: HistoryStatus = {
    state: 'off',
    reason: null,
    file: dbFile,
    movedAside: null,
    sizeBytes: null,
    rows: {},
  }

  const failAll = (why: string) => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer)
      p.ko(new Error(why))
      pending.delete(id)
    }
  }

  const launch = () => {
    let w: Worker
    try {
      w = spawnWorker(dbFile, opts.workerFile)
    } catch (err) {
      status = {
        ...status,
        state: 'unavailable',
        reason: `History could not start: ${String(err)}`,
      }
      return
    }
    worker = w
    status = { ...status, state: 'starting', reason: null }
    // Never keeps the process alive: hosts stop the core, which closes the worker.
    w.unref()
    w.on('message', (msg: WorkerReply) => {
      if ('status' in msg) {
        if (msg.status.movedAside && msg.status.movedAside !== status.movedAside) {
          opts.log.warn('history database was damaged and moved aside', {
            file: msg.status.movedAside,
          })
        }
        if (msg.status.state !== 'ok' && msg.status.reason !== status.reason) {
          opts.log.warn('history unavailable', { reason: msg.status.reason })
        }
        status = { ...msg.status }
        return
      }
      const p = pending.get(msg.id)
      if (!p) return
      pending.delete(msg.id)
      clearTimeout(p.timer)
      if (msg.ok) p.ok(msg.value)
      else p.ko(new Error(msg.error))
    })
    w.on('error', (err) => {
      opts.log.error('history worker failed', { error: err.message })
      status = {
        ...status,
        state: 'unavailable',
        reason: `The history worker failed: ${err.message}`,
      }
    })
    w.on('exit', (code) => {
      if (worker === w) worker = null
      failAll('The history worker stopped.')
      if (stopping) return
      status = {
        ...status,
        state: 'unavailable',
        reason: status.reason ?? `The history worker stopped (exit code ${code}).`,
      }
      if (restarts < RESTARTS) {
        restarts++
        setTimeout(() => {
          if (!stopping && !worker) launch()
        }, RESTART_MS).unref()
      }
    })
  }

  const request = <T>(msg: Question): Promise<T> => {
    const w = worker
    if (!w || status.state === 'unavailable')
      return Promise.reject(new Error(status.reason ?? 'History is not recorded in this mode.'))
    const id = nextId++
    return new Promise<T>((ok, ko) => {
      const timer = setTimeout(() => {
        pending.delete(id)
        ko(new Error('The history database did not answer in time.'))
      }, QUERY_TIMEOUT_MS)
      pending.set(id, { ok: ok as (v: unknown) => void, ko, timer })
      w.postMessage({ ...msg, id } as WorkerRequest)
    })
  }

  const flush = (all = false) => {
    const batch = feed.take(now(), all)
    // Without a worker the batch is dropped: the raw rings still hold the last hour.
    if (batch && worker) worker.postMessage({ id: 0, op: 'ingest', batch } satisfies WorkerRequest)
  }

  return {
    start() {
      if (started) return
      started = true
      startedAt = now()
      launch()
      flushTimer = setInterval(flush, opts.flushMs ?? FLUSH_MS)
      flushTimer.unref()
    },
    onEvent(name, payload) {
      if (!started) return
      if (name === 'server.status') feed.onStatus(payload as ServerStatus)
      else if (name === 'users.snapshot') feed.onUsers(payload as UsersSnapshot)
    },
    forgetServer(serverId) {
      feed.forget(serverId)
    },
    async series(q) {
      // The last hour of one server: the raw samples in memory, no worker round trip.
      // Used when the ring holds the whole range, or when this run began inside it (older
      // readings of a previous run are then not shown at this zoom: the 1-minute tier has them).
      const ring =
        q.scope === 'fleet'
          ? feed.ring(FLEET)
          : q.scope === 'server' && q.serverId
            ? feed.ring(q.serverId)
            : undefined
      if (
        ring &&
        ring.size > 0 &&
        // A minute of slack: "the last hour" asked a moment ago is still the last hour.
        q.from >= now() - RAW_KEEP_MS - 60_000 &&
        (ring.oldest <= q.from + 60_000 || startedAt >= q.from)
      ) {
        const perPoint = (q.to - q.from) / Math.max(1, q.maxPoints - 1)
        return ring.query(q.metric, q.from, q.to, Math.max(1000, Math.ceil(perPoint / 1000) * 1000))
      }
      return request<SeriesResult>({ op: 'series', q })
    },
    top: (q) => request<TopRow[]>({ op: 'top', q }),
    events: (q) => request<StateEvent[]>({ op: 'events', q }),
    async status() {
      if (!worker || status.state !== 'ok') return status
      try {
        const s = await request<StoreStatus>({ op: 'status' })
        return { ...s }
      } catch {
        return status
      }
    },
    async stop() {
      if (!started || stopping) return
      stopping = true
      if (flushTimer) clearInterval(flushTimer)
      const w = worker
      if (!w) return
      flush(true)
      try {
        await Promise.race([
          request({ op: 'close' }),
          new Promise((ok) => setTimeout(ok, 5_000).unref()),
        ])
      } catch {
        // unavailable or gone: terminate below
      }
      failAll('History stopped.')
      await w.terminate()
      worker = null
      status = { ...status, state: 'off', reason: null }
    },
  }
}
