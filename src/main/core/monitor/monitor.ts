import {
  appError,
  toAppError,
  type AppError,
  type ServerConfig,
  type ServerStatus,
  type UsersSnapshot,
} from '../../../shared/contract'
import type { PollResult, ServerAdapter } from '../adapters/adapter'
import {
  DEFAULT_HEALTH,
  initialStatus,
  isDown,
  nextStatus,
  verdictOf,
  type HealthOptions,
} from './health'
import { TrafficTracker } from './traffic-tracker'

/** Poll interval while someone watches a server live (ms). */
export const LIVE_INTERVAL_MS = 2_000
/** Longest wait between polls of a failing server (ms). */
export const MAX_BACKOFF_MS = 60_000
/** Down servers are re-checked early (one recovered) at most this often (ms). */
export const EXPEDITE_MIN_GAP_MS = 10_000
/** Default cap on polls running at once, over all servers. */
export const DEFAULT_MAX_CONCURRENT = 64
/** Longest poll timeout (ms). */
export const MAX_POLL_TIMEOUT_MS = 15_000
/** Shortest poll timeout (ms). */
export const MIN_POLL_TIMEOUT_MS = 1_000
/**
 * The scheduler's grid (ms): phases are multiples of it and due times are rounded up to it, so
 * the servers of one tick start together on one timer. At 1,000 servers every 5 s that is ~10
 * polls per wake-up instead of one every 5 ms: their requests leave together and their answers
 * come back together, so the event loop wakes, polls the sockets and drains its queues once per
 * batch, not once per poll (bench B2: about a third less CPU per cycle). A longer tick saves
 * little more and makes each batch a longer stretch without timers (B3, event-loop delay).
 */
export const POLL_TICK_MS = 50

/**
 * The timeout of one poll, strictly below the server's poll interval: 80 % of it, at most 15 s,
 * at least 1 s (intervals are ≥ 2 s). So a hanging server cannot make its next poll late, and a
 * poll that finishes at all finishes before the next one is due.
 */
export function pollTimeoutMs(pollIntervalSec: number): number {
  return Math.max(
    MIN_POLL_TIMEOUT_MS,
    Math.min(MAX_POLL_TIMEOUT_MS, Math.floor(pollIntervalSec * 800)),
  )
}

/** A poll waiting for a slot or running; every probe of the server meanwhile shares it. */
interface Job {
  promise: Promise<void>
  resolve: () => void
  /** When the poll was due (timer) or asked for (probe), ms. */
  dueAt: number
  generation: number
}

/** The servers due at one time: one timer for all of them (see {@link POLL_TICK_MS}). */
interface Tick {
  at: number
  timer: NodeJS.Timeout
  entries: Set<Entry>
}

interface Entry {
  config: ServerConfig
  adapter: ServerAdapter
  status: ServerStatus
  streak: number
  tracker: TrafficTracker
  /** The tick the entry waits for (null: not scheduled, e.g. its poll is in flight). */
  tick: Tick | null
  /** When the timer is due (ms). */
  nextDue: number
  job: Job | null
  /** Re-check soon after the poll in flight (another down server recovered meanwhile). */
  hurry: boolean
  failures: number
  watchers: Set<string>
  generation: number
}

export interface MonitorEvents {
  status(status: ServerStatus, changed: { from: ServerStatus['state'] } | null): void
  users(snapshot: UsersSnapshot): void
}

export interface MonitorOptions {
  health?: HealthOptions
  now?: () => number
  /** Disable timers (CLI one-shot probes). */
  manual?: boolean
  /** Most polls running at once, over all servers (default {@link DEFAULT_MAX_CONCURRENT}). */
  maxConcurrent?: number
}

/**
 * Scheduler figures since start (or {@link Monitor.resetStats}), for the bench and `/metrics`.
 * Counters only grow; `inFlight` and `queued` are gauges.
 */
export interface MonitorStats {
  /** Servers monitored now. */
  servers: number
  /** The global concurrency cap. */
  cap: number
  /** Polls completed (timer and manual probes), successful or not. */
  polls: number
  /** Polls that finished no later than their due time + the server's interval. */
  onTime: number
  /** Polls that finished after that (after their next poll was due). */
  late: number
  /** Polls that failed (timeouts included). */
  failures: number
  /** Polls ended by the monitor's own timeout (the server did not answer in time). */
  timeouts: number
  /** Polls running now. */
  inFlight: number
  /** Polls waiting for a free slot now. */
  queued: number
  /** The most polls ever waiting at once. */
  maxQueued: number
  /** Polls that had to wait for a free slot. */
  capWaits: number
  /** The longest wait between a poll's due time and its start (ms). */
  maxStartDelayMs: number
}

/**
 * Spreads servers over their interval by id so they do not all poll at once: a multiple of
 * {@link POLL_TICK_MS} in [0, interval) (the exact value below one tick when the interval is
 * shorter than a tick).
 */
export function phaseOf(id: string, intervalMs: number): number {
  let h = 2166136261
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619)
  const slots = Math.floor(intervalMs / POLL_TICK_MS)
  if (slots < 1) return (h >>> 0) % Math.max(1, intervalMs)
  return ((h >>> 0) % slots) * POLL_TICK_MS
}

type Outcome =
  { ok: true; latencyMs: number; partial: AppError | null } | { ok: false; error: AppError }

/**
 * Polls every server at its interval (phase from its id), at most one poll in flight per server
 * and at most `maxConcurrent` over all of them (due polls wait in a FIFO; a server is never queued
 * twice; a queued poll's timeout starts when it is sent). Faster while watched, backing off while
 * failing but re-checking soon after a first failure so an outage is confirmed quickly. Polls keep
 * their cadence (next due = this due + delay), so a slow answer does not drift the schedule. Each
 * poll ends by its timeout, below the interval. Health goes through the hysteresis of health.ts.
 */
export class Monitor {
  private readonly entries = new Map<string, Entry>()
  private readonly health: HealthOptions
  private readonly now: () => number
  private readonly cap: number
  private running = false
  /** FIFO of entries whose job waits for a slot; `head` avoids O(n) shifts. */
  private queue: Entry[] = []
  private head = 0
  private active = 0
  private counters = Monitor.zeroCounters()
  /** When down servers were last re-checked early (see expediteDown). */
  private lastExpediteAt = Number.NEGATIVE_INFINITY
  /** Scheduled entries by due time (ms, on the tick grid): one timer per tick. */
  private readonly ticks = new Map<number, Tick>()

  constructor(
    private readonly events: MonitorEvents,
    private readonly opts: MonitorOptions = {},
  ) {
    this.health = opts.health ?? DEFAULT_HEALTH
    this.now = opts.now ?? Date.now
    this.cap = Math.max(1, opts.maxConcurrent ?? DEFAULT_MAX_CONCURRENT)
  }

  private static zeroCounters() {
    return {
      polls: 0,
      onTime: 0,
      late: 0,
      failures: 0,
      timeouts: 0,
      maxQueued: 0,
      capWaits: 0,
      maxStartDelayMs: 0,
    }
  }

  /** Scheduler figures (see {@link MonitorStats}). */
  stats(): MonitorStats {
    return {
      ...this.counters,
      servers: this.entries.size,
      cap: this.cap,
      inFlight: this.active,
      queued: this.queue.length - this.head,
    }
  }

  /** Zeroes the counters (a bench measuring a steady state); gauges are unaffected. */
  resetStats(): void {
    this.counters = Monitor.zeroCounters()
  }

  /** Adds or replaces a server (config change resets its adapter, keeps nothing stale). */
  upsert(config: ServerConfig, adapter: ServerAdapter): void {
    const old = this.entries.get(config.id)
    if (old) {
      // Retire the old entry: its timer, and a poll of it queued or in flight (whose result
      // and rescheduling check the generation), so it cannot keep polling beside the new one.
      this.retire(old)
      // Its connections too (a gRPC channel built from the old settings).
      if (old.adapter !== adapter) old.adapter.close?.()
    }
    const sameTarget = old && old.config.url === config.url && old.config.kind === config.kind
    const entry: Entry = {
      config,
      adapter,
      status: old && sameTarget ? old.status : initialStatus(config.id, this.now()),
      streak: 0,
      tracker: old && sameTarget ? old.tracker : new TrafficTracker(config.id),
      tick: null,
      nextDue: 0,
      job: null,
      hurry: false,
      failures: 0,
      watchers: old?.watchers ?? new Set(),
      generation: (old?.generation ?? 0) + 1,
    }
    this.entries.set(config.id, entry)
    if (this.running) this.schedule(entry, phaseOf(config.id, this.intervalOf(entry)))
  }

  remove(id: string): void {
    const e = this.entries.get(id)
    if (!e) return
    this.retire(e)
    this.entries.delete(id)
    e.adapter.close?.()
  }

  /** Stops an entry's timer; a queued poll of it is dropped (its waiters released). */
  private retire(e: Entry): void {
    this.unschedule(e)
    e.generation++
    const job = e.job
    if (job && this.queue.indexOf(e, this.head) >= 0) {
      e.job = null
      job.resolve()
    }
  }

  /** Releases every adapter's connections (the core is stopping). */
  closeAdapters(): void {
    for (const e of this.entries.values()) e.adapter.close?.()
  }

  start(): void {
    if (this.running || this.opts.manual) return
    this.running = true
    for (const e of this.entries.values())
      this.schedule(e, phaseOf(e.config.id, this.intervalOf(e)))
  }

  /** Stops the timers and drops the polls waiting for a slot (their probes resolve). */
  stop(): void {
    this.running = false
    for (const tick of this.ticks.values()) {
      clearTimeout(tick.timer)
      for (const e of tick.entries) e.tick = null
    }
    this.ticks.clear()
    for (let i = this.head; i < this.queue.length; i++) {
      const e = this.queue[i] as Entry
      const job = e.job
      e.job = null
      job?.resolve()
    }
    this.queue = []
    this.head = 0
  }

  status(id: string): ServerStatus | null {
    return this.entries.get(id)?.status ?? null
  }

  users(id: string): UsersSnapshot | null {
    return this.entries.get(id)?.tracker.current() ?? null
  }

  adapter(id: string): ServerAdapter | null {
    return this.entries.get(id)?.adapter ?? null
  }

  /** Polls now (or joins the poll in flight) and resolves when it is done. */
  async probe(id: string): Promise<void> {
    const e = this.entries.get(id)
    if (!e) return
    await this.pollEntry(e)
  }

  /** A connection watches a server live: it is polled every LIVE_INTERVAL_MS meanwhile. */
  watch(id: string, connectionId: string): void {
    const e = this.entries.get(id)
    if (!e) return
    const wasWatched = e.watchers.size > 0
    e.watchers.add(connectionId)
    if (!wasWatched && this.running) this.schedule(e, 0)
  }

  unwatch(id: string, connectionId: string): void {
    this.entries.get(id)?.watchers.delete(connectionId)
  }

  /** Drops every watch of a connection (window closed, socket gone). */
  unwatchAll(connectionId: string): void {
    for (const e of this.entries.values()) e.watchers.delete(connectionId)
  }

  watchers(id: string): ReadonlySet<string> {
    return this.entries.get(id)?.watchers ?? new Set()
  }

  private intervalOf(e: Entry): number {
    const base = e.config.pollIntervalSec * 1000
    return e.watchers.size > 0 ? Math.min(base, LIVE_INTERVAL_MS) : base
  }

  private nextDelay(e: Entry): number {
    const base = this.intervalOf(e)
    if (e.failures === 0) return base
    // A first failure while up: confirm quickly (hysteresis needs a second result).
    if (e.status.pending !== null) return Math.max(1_000, Math.min(base / 2, 5_000))
    return Math.min(MAX_BACKOFF_MS, Math.max(base, base * 2 ** Math.min(e.failures - 1, 4)))
  }

  /** Due in `delay` ms, rounded up to the tick grid: joins the other servers due then. */
  private schedule(e: Entry, delay: number): void {
    this.unschedule(e)
    const now = this.now()
    const at = Math.ceil((now + delay) / POLL_TICK_MS) * POLL_TICK_MS
    e.nextDue = at
    let tick = this.ticks.get(at)
    if (!tick) {
      const timer = setTimeout(() => this.fire(at), at - now)
      timer.unref?.()
      tick = { at, timer, entries: new Set() }
      this.ticks.set(at, tick)
    }
    tick.entries.add(e)
    e.tick = tick
  }

  private unschedule(e: Entry): void {
    const tick = e.tick
    if (!tick) return
    e.tick = null
    tick.entries.delete(e)
    if (tick.entries.size === 0) {
      clearTimeout(tick.timer)
      this.ticks.delete(tick.at)
    }
  }

  /** A tick is due: starts (or queues) the poll of each of its servers, in scheduling order. */
  private fire(at: number): void {
    const tick = this.ticks.get(at)
    if (!tick) return
    this.ticks.delete(at)
    for (const e of tick.entries) {
      e.tick = null
      if (this.running) void this.request(e, e.nextDue)
    }
  }

  private pollEntry(e: Entry): Promise<void> {
    return this.request(e, this.now())
  }

  /** A poll is due: joins the one queued or in flight, else starts one or queues it. */
  private request(e: Entry, dueAt: number): Promise<void> {
    if (e.job) return e.job.promise
    let resolve!: () => void
    const promise = new Promise<void>((r) => (resolve = r))
    const job: Job = { promise, resolve, dueAt, generation: e.generation }
    e.job = job
    if (this.active < this.cap) {
      this.send(e, job)
    } else {
      this.queue.push(e)
      this.counters.capWaits++
      const queued = this.queue.length - this.head
      if (queued > this.counters.maxQueued) this.counters.maxQueued = queued
    }
    return promise
  }

  /** Sends a poll now (a slot is free): its timeout starts here, not when it was due. */
  private send(e: Entry, job: Job): void {
    this.active++
    const startDelay = this.now() - job.dueAt
    if (startDelay > this.counters.maxStartDelayMs) this.counters.maxStartDelayMs = startDelay
    void this.runPoll(e, job.generation).then(() => this.finish(e, job))
  }

  private finish(e: Entry, job: Job): void {
    this.active--
    if (e.job === job) e.job = null
    const now = this.now()
    const c = this.counters
    c.polls++
    if (now > job.dueAt + this.intervalOf(e)) c.late++
    else c.onTime++
    job.resolve()
    if (job.generation === e.generation && this.running && !e.tick) {
      // Keep the cadence: the next poll is due one delay after this one was due.
      let due = Math.max(job.dueAt + this.nextDelay(e), now)
      if (e.hurry && isDown(e.status.state)) {
        due = Math.min(due, now + phaseOf(e.config.id, this.intervalOf(e)))
      }
      e.hurry = false
      this.schedule(e, due - now)
    }
    this.drain()
  }

  /**
   * Re-checks the other down servers within one interval (spread by phase) instead of at the
   * end of their back-off, at most once per EXPEDITE_MIN_GAP_MS. Servers that went down together
   * then come back together, so their recoveries are detected close enough to be grouped into
   * one notice, and sooner. The load is one ordinary poll per down server.
   */
  private expediteDown(except: Entry): void {
    const now = this.now()
    if (!this.running || now - this.lastExpediteAt < EXPEDITE_MIN_GAP_MS) return
    this.lastExpediteAt = now
    for (const x of this.entries.values()) {
      if (x === except || !isDown(x.status.state)) continue
      // A poll in flight (maybe sent just before the outage ended) may still fail: its next
      // one comes soon instead of after the back-off.
      if (!x.tick) {
        x.hurry = true
        continue
      }
      const due = now + phaseOf(x.config.id, this.intervalOf(x))
      if (x.nextDue > due) this.schedule(x, due - now)
    }
  }

  /** Starts queued polls while slots are free; skips entries removed or replaced meanwhile. */
  private drain(): void {
    while (this.active < this.cap && this.head < this.queue.length) {
      const e = this.queue[this.head++] as Entry
      const job = e.job
      if (!job) continue
      if (job.generation !== e.generation) {
        e.job = null
        job.resolve()
        continue
      }
      this.send(e, job)
    }
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }

  /** One poll, ended by the timeout at the latest (the adapter is aborted then). */
  private pollOnce(e: Entry): Promise<{ r: PollResult } | { err: unknown; timedOut: boolean }> {
    const timeoutMs = pollTimeoutMs(e.config.pollIntervalSec)
    const ctl = new AbortController()
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ctl.abort()
        resolve({
          err: appError(
            'timeout',
            `${e.config.name} did not answer within ${timeoutMs / 1000} s (the poll timeout, kept below its ${e.config.pollIntervalSec} s poll interval). The server may be down, overloaded or unreachable.`,
            { serverId: e.config.id, params: { timeoutMs } },
          ),
          timedOut: true,
        })
      }, timeoutMs)
      let p: Promise<PollResult>
      try {
        p = e.adapter.poll(ctl.signal)
      } catch (err) {
        p = Promise.reject(err)
      }
      p.then(
        (r) => {
          clearTimeout(timer)
          resolve({ r })
        },
        (err: unknown) => {
          clearTimeout(timer)
          resolve({ err, timedOut: false })
        },
      )
    })
  }

  private async runPoll(e: Entry, gen: number): Promise<void> {
    const res = await this.pollOnce(e)
    if (gen !== e.generation) return
    let outcome: Outcome
    let snapshot: UsersSnapshot | null = null
    if ('r' in res) {
      const r = res.r
      outcome = { ok: true, latencyMs: Math.round(r.latencyMs), partial: r.partial }
      if (r.users) snapshot = e.tracker.update(r.users, r.partial)
      // A down server answers again: the outage may be over for others too (network back).
      if (e.failures > 0 && isDown(e.status.state)) this.expediteDown(e)
      e.failures = 0
    } else {
      const error = toAppError(res.err, e.config.id)
      outcome = { ok: false, error }
      snapshot = e.tracker.fail(error)
      e.failures++
      this.counters.failures++
      if (res.timedOut) this.counters.timeouts++
    }
    const prev = e.status
    const next = nextStatus(
      prev,
      e.streak,
      verdictOf(outcome, this.health),
      this.now(),
      this.health,
    )
    e.status = next.status
    e.streak = next.streak
    this.events.status(next.status, next.changed ? { from: prev.state } : null)
    if (snapshot) this.events.users(snapshot)
  }
}
