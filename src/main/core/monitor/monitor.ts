import {
  toAppError,
  type AppError,
  type ServerConfig,
  type ServerStatus,
  type UsersSnapshot,
} from '../../../shared/contract'
import type { ServerAdapter } from '../adapters/adapter'
import { DEFAULT_HEALTH, initialStatus, nextStatus, verdictOf, type HealthOptions } from './health'
import { TrafficTracker } from './traffic-tracker'

/** Poll interval while someone watches a server live (ms). */
export const LIVE_INTERVAL_MS = 2_000
/** Longest wait between polls of a failing server (ms). */
export const MAX_BACKOFF_MS = 60_000

interface Entry {
  config: ServerConfig
  adapter: ServerAdapter
  status: ServerStatus
  streak: number
  tracker: TrafficTracker
  timer: NodeJS.Timeout | null
  inFlight: Promise<void> | null
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
}

/** Spreads servers over their interval by id so they do not all poll at once. */
export function phaseOf(id: string, intervalMs: number): number {
  let h = 2166136261
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 16777619)
  return (h >>> 0) % Math.max(1, intervalMs)
}

/**
 * Polls every server at its interval (phase from its id), at most one poll in flight per server,
 * faster while watched, backing off while failing but re-checking soon after a first failure so
 * an outage is confirmed quickly. Health goes through the hysteresis of health.ts.
 */
export class Monitor {
  private readonly entries = new Map<string, Entry>()
  private readonly health: HealthOptions
  private readonly now: () => number
  private running = false

  constructor(
    private readonly events: MonitorEvents,
    private readonly opts: MonitorOptions = {},
  ) {
    this.health = opts.health ?? DEFAULT_HEALTH
    this.now = opts.now ?? Date.now
  }

  /** Adds or replaces a server (config change resets its adapter, keeps nothing stale). */
  upsert(config: ServerConfig, adapter: ServerAdapter): void {
    const old = this.entries.get(config.id)
    if (old) {
      // Retire the old entry: its timer, and a poll of it in flight (whose result and
      // rescheduling check the generation), so it cannot keep polling beside the new one.
      if (old.timer) clearTimeout(old.timer)
      old.timer = null
      old.generation++
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
      timer: null,
      inFlight: null,
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
    if (e.timer) clearTimeout(e.timer)
    e.generation++
    this.entries.delete(id)
    e.adapter.close?.()
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

  stop(): void {
    this.running = false
    for (const e of this.entries.values()) {
      if (e.timer) clearTimeout(e.timer)
      e.timer = null
    }
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
    if (e.status.pending !== null) return Math.min(base, 5_000)
    return Math.min(MAX_BACKOFF_MS, Math.max(base, base * 2 ** Math.min(e.failures - 1, 4)))
  }

  private schedule(e: Entry, delay: number): void {
    if (e.timer) clearTimeout(e.timer)
    const gen = e.generation
    e.timer = setTimeout(() => {
      e.timer = null
      if (gen !== e.generation || !this.running) return
      void this.pollEntry(e).finally(() => {
        if (gen === e.generation && this.running && !e.timer) this.schedule(e, this.nextDelay(e))
      })
    }, delay)
    e.timer.unref?.()
  }

  private pollEntry(e: Entry): Promise<void> {
    if (e.inFlight) return e.inFlight
    const gen = e.generation
    const p = this.runPoll(e, gen).finally(() => {
      e.inFlight = null
    })
    e.inFlight = p
    return p
  }

  private async runPoll(e: Entry, gen: number): Promise<void> {
    const timeoutMs = Math.max(2_000, Math.min(15_000, e.config.pollIntervalSec * 1000 - 500))
    const signal = AbortSignal.timeout(timeoutMs)
    let outcome:
      { ok: true; latencyMs: number; partial: AppError | null } | { ok: false; error: AppError }
    let snapshot: UsersSnapshot | null = null
    try {
      const r = await e.adapter.poll(signal)
      if (gen !== e.generation) return
      outcome = { ok: true, latencyMs: Math.round(r.latencyMs), partial: r.partial }
      if (r.users) snapshot = e.tracker.update(r.users, r.partial)
      e.failures = 0
    } catch (err) {
      if (gen !== e.generation) return
      const error = toAppError(err, e.config.id)
      outcome = { ok: false, error }
      snapshot = e.tracker.fail(error)
      e.failures++
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
