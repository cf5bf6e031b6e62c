import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import {
  HealthStateSchema,
  fail,
  type HealthState,
  type ServerView,
  type UsersSnapshot,
} from '../../shared/contract'
import type { Core } from '../core/create-core'
import type { MonitorStats } from '../core/monitor/monitor'

/** Every health state, for the one-hot `nodedeck_server_state`. */
const STATES: readonly HealthState[] = HealthStateSchema.options

/** Labels of every per-server series. */
const SERVER_LABELS = ['server_id', 'server', 'kind', 'group'] as const
type ServerLabels = Record<(typeof SERVER_LABELS)[number], string>

/** What one server's users looked like at the last reading, as far as the metrics need it. */
interface UsersSummary {
  /** Users with at least one device; null when the server did not say (never a fake 0). */
  online: number | null
}

/** Per-user last-seen totals of one server, and what NodeDeck has counted for it so far. */
interface ServerTraffic {
  /** `seen` = the reading that last had the user (to forget the ones that vanished). */
  last: Map<string, { up: number; down: number; seen: number }>
  readings: number
  up: number
  down: number
}

/**
 * Accumulates the traffic of each server's users into counters that never go down, whatever the
 * server does: a user's total that went backwards (server restart, cleared by another reader)
 * counts from zero again — what it shows now was transferred since the reset — and a user who
 * vanished from a fresh reading starts from zero when they come back. The first reading of a
 * user counts whole, so a counter starts at what the server reported when NodeDeck first read
 * it. Stale readings (the poll failed: rows are old) and unknown figures change nothing.
 * Fed by every poll of every server, so it updates its rows in place (no per-poll copies).
 */
export class TrafficCounters {
  private readonly servers = new Map<string, ServerTraffic>()

  /** Feeds one users snapshot (the core's `users.snapshot` event). */
  add(snap: UsersSnapshot): void {
    if (snap.stale || snap.at === null) return
    let s = this.servers.get(snap.serverId)
    if (!s) {
      s = { last: new Map(), readings: 0, up: 0, down: 0 }
      this.servers.set(snap.serverId, s)
    }
    const reading = ++s.readings
    let kept = 0
    for (const u of snap.users) {
      if (u.up === null || u.down === null) continue
      const prev = s.last.get(u.name)
      if (!prev) {
        s.up += u.up
        s.down += u.down
        s.last.set(u.name, { up: u.up, down: u.down, seen: reading })
      } else {
        s.up += u.up >= prev.up ? u.up - prev.up : u.up
        s.down += u.down >= prev.down ? u.down - prev.down : u.down
        prev.up = u.up
        prev.down = u.down
        prev.seen = reading
      }
      kept++
    }
    if (kept < s.last.size) {
      for (const [name, v] of s.last) if (v.seen !== reading) s.last.delete(name)
    }
  }

  /** Bytes counted for a server so far; null if none of its readings had traffic figures. */
  totals(serverId: string): { up: number; down: number } | null {
    const s = this.servers.get(serverId)
    return s ? { up: s.up, down: s.down } : null
  }

  /** Forgets servers that are no longer configured. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.servers.keys()) if (!ids.has(id)) this.servers.delete(id)
  }
}

/** Per-server collectors let the event loop run after this many servers. */
const YIELD_EVERY = 100
const yieldToLoop = () => new Promise<void>((ok) => setImmediate(ok))

/** Options of {@link createFleetMetrics}. */
export interface FleetMetricsOptions {
  core: Core
}

/** The `/metrics` document of one browser host. */
export interface FleetMetrics {
  /** `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string
  /** The whole exposition, read now. */
  render(): Promise<string>
  /** Stops listening to the core. */
  close(): void
}

/** A server's health as `up`: 1 online/degraded, null while unknown, 0 in every failed state. */
function upValue(state: HealthState): number | null {
  if (state === 'online' || state === 'degraded') return 1
  return state === 'unknown' ? null : 0
}

/** Summarises a snapshot for the metrics: online users, or null when not known now. */
function summarize(snap: UsersSnapshot): UsersSummary {
  if (snap.stale || snap.at === null) return { online: null }
  let online = 0
  for (const u of snap.users) {
    if (u.devices === null) return { online: null }
    if (u.online) online++
  }
  return { online }
}

/**
 * Prometheus metrics of the fleet (text exposition format 0.0.4), built with prom-client (it
 * escapes label values and brings the process metrics: CPU seconds, RSS, heap, and the
 * event-loop delay from `perf_hooks.monitorEventLoopDelay`, whose min/max/p50/p90/p99 cover the
 * time since the previous scrape). Per server, labelled server_id/server/kind/group: `up`, the
 * one-hot state, latency, online users, traffic counters, last check and alert state. A figure
 * NodeDeck does not know is left out (Prometheus has no null; a 0 would be a lie).
 */
export function createFleetMetrics(opts: FleetMetricsOptions): FleetMetrics {
  const { core } = opts
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 })
  const traffic = new TrafficCounters()
  const users = new Map<string, UsersSummary>()
  const off = core.onEvent((name, payload) => {
    if (name !== 'users.snapshot') return
    const snap = payload as UsersSnapshot
    traffic.add(snap)
    users.set(snap.serverId, summarize(snap))
  })

  /** The servers as of this scrape (read once per render, used by every collector). */
  let fleet: ServerView[] = []
  /** The scrape in progress (renders are queued). */
  let rendering: Promise<unknown> = Promise.resolve()
  const labelsOf = (s: ServerView): ServerLabels => ({
    server_id: s.id,
    server: s.name,
    kind: s.kind,
    group: s.group,
  })
  /**
   * Runs `fn` over the fleet, letting the event loop run every YIELD_EVERY servers: a scrape
   * sets ~15 label sets per server, at 1,000 servers a block of 100 ms and more otherwise
   * (polls due meanwhile would start late; the core's event-loop delay target is 20 ms p99).
   */
  const eachServer = async (fn: (s: ServerView) => void): Promise<void> => {
    const list = fleet
    for (let i = 0; i < list.length; i++) {
      if (i > 0 && i % YIELD_EVERY === 0) await yieldToLoop()
      fn(list[i] as ServerView)
    }
  }
  /** A per-server gauge set from the fleet at each scrape; `value` null leaves the server out. */
  const perServer = (
    name: string,
    help: string,
    value: (s: ServerView) => number | null,
  ): Gauge<string> =>
    new Gauge({
      name,
      help,
      labelNames: SERVER_LABELS,
      registers: [registry],
      async collect() {
        this.reset()
        await eachServer((s) => {
          const v = value(s)
          if (v !== null) this.set(labelsOf(s), v)
        })
      },
    })

  perServer(
    'nodedeck_server_up',
    'Whether the server answers: 1 online or degraded, 0 when down (offline, authentication or TLS failed); absent while its state is unknown.',
    (s) => upValue(s.status.state),
  )
  new Gauge({
    name: 'nodedeck_server_state',
    help: 'The health state of the server (one-hot: the current state is 1).',
    labelNames: [...SERVER_LABELS, 'state'],
    registers: [registry],
    async collect() {
      this.reset()
      await eachServer((s) => {
        for (const state of STATES) {
          this.set({ ...labelsOf(s), state }, s.status.state === state ? 1 : 0)
        }
      })
    },
  })
  perServer(
    'nodedeck_server_latency_seconds',
    'Latency of the last successful check of the server.',
    (s) => (s.status.latencyMs === null ? null : s.status.latencyMs / 1000),
  )
  perServer(
    'nodedeck_server_online_users',
    'Users with at least one connected device at the last reading; absent when the server did not say.',
    (s) => users.get(s.id)?.online ?? null,
  )
  perServer(
    'nodedeck_server_last_check_timestamp_seconds',
    'When the server was last checked (successfully or not), Unix time.',
    (s) => (s.status.lastCheckAt === null ? null : s.status.lastCheckAt / 1000),
  )
  perServer(
    'nodedeck_server_alert_firing',
    'Whether an alert is firing for the server: 1 while it is down (offline, authentication or TLS failed).',
    (s) => (s.status.state === 'unknown' ? null : upValue(s.status.state) === 0 ? 1 : 0),
  )
  new Counter({
    name: 'nodedeck_server_traffic_bytes_total',
    help: "Bytes transferred by the server's users as NodeDeck counted them since it started (client's view: up = upload). Never goes down: a reset on the server counts from zero again.",
    labelNames: [...SERVER_LABELS, 'direction'],
    registers: [registry],
    async collect() {
      this.reset()
      await eachServer((s) => {
        const t = traffic.totals(s.id)
        if (!t) return
        this.inc({ ...labelsOf(s), direction: 'up' }, t.up)
        this.inc({ ...labelsOf(s), direction: 'down' }, t.down)
      })
    },
  })
  new Gauge({
    name: 'nodedeck_fleet_servers',
    help: 'Configured servers by health state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset()
      for (const state of STATES) {
        this.set({ state }, fleet.filter((s) => s.status.state === state).length)
      }
    },
  })
  new Gauge({
    name: 'nodedeck_fleet_online_users',
    help: 'Online users summed over the servers whose count is known (see nodedeck_fleet_online_users_unknown_servers).',
    registers: [registry],
    collect() {
      let sum = 0
      for (const s of fleet) sum += users.get(s.id)?.online ?? 0
      this.set(sum)
    },
  })
  new Gauge({
    name: 'nodedeck_fleet_online_users_unknown_servers',
    help: 'Servers whose online users are not known now (left out of nodedeck_fleet_online_users).',
    registers: [registry],
    collect() {
      this.set(fleet.filter((s) => (users.get(s.id)?.online ?? null) === null).length)
    },
  })

  // The poll scheduler: counters since the core started, gauges now.
  const stats = (): MonitorStats => core.schedulerStats()
  const schedulerCounters: Array<[string, string, (st: MonitorStats) => number]> = [
    ['polls_total', 'Polls completed, successful or not.', (st) => st.polls],
    [
      'polls_on_time_total',
      'Polls that finished before the next one of their server was due.',
      (st) => st.onTime,
    ],
    ['polls_late_total', 'Polls that finished after their next one was due.', (st) => st.late],
    ['poll_failures_total', 'Polls that failed (timeouts included).', (st) => st.failures],
    ['poll_timeouts_total', 'Polls ended by their timeout.', (st) => st.timeouts],
    ['cap_waits_total', 'Polls that waited for a free slot under the cap.', (st) => st.capWaits],
  ]
  for (const [name, help, read] of schedulerCounters) {
    new Counter({
      name: `nodedeck_scheduler_${name}`,
      help,
      registers: [registry],
      collect() {
        this.reset()
        this.inc(read(stats()))
      },
    })
  }
  const schedulerGauges: Array<[string, string, (st: MonitorStats) => number]> = [
    ['servers', 'Servers the scheduler polls.', (st) => st.servers],
    ['concurrency_cap', 'Most polls allowed to run at once.', (st) => st.cap],
    ['polls_in_flight', 'Polls running now.', (st) => st.inFlight],
    ['polls_queued', 'Polls waiting for a free slot now.', (st) => st.queued],
    ['polls_max_queued', 'The most polls ever waiting at once.', (st) => st.maxQueued],
    [
      'max_start_delay_seconds',
      "The longest a poll started after it was due (since the core's start).",
      (st) => st.maxStartDelayMs / 1000,
    ],
  ]
  for (const [name, help, read] of schedulerGauges) {
    new Gauge({
      name: `nodedeck_scheduler_${name}`,
      help,
      registers: [registry],
      collect() {
        this.set(read(stats()))
      },
    })
  }

  return {
    contentType: registry.contentType,
    render() {
      // One scrape at a time: the collectors yield to the event loop and share `fleet`.
      const next = rendering.then(async () => {
        fleet = await core.handlers['servers.list'](undefined, { connectionId: 'metrics' })
        const ids = new Set(fleet.map((s) => s.id))
        traffic.retain(ids)
        for (const id of users.keys()) if (!ids.has(id)) users.delete(id)
        try {
          return await registry.metrics()
        } finally {
          fleet = []
        }
      })
      rendering = next.then(
        () => undefined,
        () => undefined,
      )
      return next
    },
    close() {
      off()
      registry.clear()
    },
  }
}

/** Shortest metrics token accepted from a file (a guessable one would protect nothing). */
export const MIN_METRICS_TOKEN_LENGTH = 16

/**
 * The fixed `/metrics` bearer token from a file, the same file Prometheus reads
 * (`authorization.credentials_file`). A missing file is created with a random token, readable by
 * its owner only; surrounding whitespace (a trailing newline) is ignored.
 */
export async function loadMetricsToken(path: string): Promise<{ token: string; created: boolean }> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      fail(
        'storage',
        `Could not read the metrics token file ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check its permissions.`,
      )
    }
    const token = randomBytes(32).toString('hex')
    // 'wx': never overwrite a file that appeared meanwhile.
    await writeFile(path, `${token}\n`, { mode: 0o600, flag: 'wx' })
    return { token, created: true }
  }
  const token = text.trim()
  if (token.length < MIN_METRICS_TOKEN_LENGTH || /\s/.test(token)) {
    fail(
      'invalid_input',
      `The metrics token in ${path} must be one word of at least ${MIN_METRICS_TOKEN_LENGTH} characters (e.g. openssl rand -hex 32 > ${path}), or delete the file to have one made.`,
    )
  }
  return { token, created: false }
}
