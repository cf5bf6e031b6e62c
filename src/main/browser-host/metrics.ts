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
import { reindexColumns, sameNames, usersTableOf } from '../core/monitor/traffic-tracker'

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
  /** The users `lastUp`/`lastDown` are indexed by (the core's users table of the server). */
  names: readonly string[]
  /** Each user's totals at the last reading that had both; NaN = none (counts whole next). */
  lastUp: Float64Array
  lastDown: Float64Array
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
 * Fed by every poll of every server: reads the core's users columns, keeps two numbers per user
 * in typed arrays (no object per user, nothing allocated per poll while the users stay).
 */
export class TrafficCounters {
  private readonly servers = new Map<string, ServerTraffic>()

  /** Feeds one users snapshot (the core's `users.snapshot` event). */
  add(snap: UsersSnapshot): void {
    if (snap.stale || snap.at === null) return
    const t = usersTableOf(snap)
    let s = this.servers.get(snap.serverId)
    if (!s) {
      s = { names: [], lastUp: new Float64Array(0), lastDown: new Float64Array(0), up: 0, down: 0 }
      this.servers.set(snap.serverId, s)
    }
    if (s.names !== t.names) {
      if (!sameNames(s.names, t.names)) {
        const moved = reindexColumns(s.names, t.names, [s.lastUp, s.lastDown], NaN).cols
        s.lastUp = moved[0] as Float64Array
        s.lastDown = moved[1] as Float64Array
      }
      s.names = t.names
    }
    for (let i = 0; i < t.names.length; i++) {
      const up = t.up[i] as number
      const down = t.down[i] as number
      const prevUp = s.lastUp[i] as number
      const prevDown = s.lastDown[i] as number
      if (Number.isNaN(up) || Number.isNaN(down)) {
        // Not in this reading: forgotten (counts whole when back).
        s.lastUp[i] = NaN
        s.lastDown[i] = NaN
        continue
      }
      if (Number.isNaN(prevUp)) {
        s.up += up
        s.down += down
      } else {
        s.up += up >= prevUp ? up - prevUp : up
        s.down += down >= prevDown ? down - prevDown : down
      }
      s.lastUp[i] = up
      s.lastDown[i] = down
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

/** The per-server families let the event loop run after this many servers. */
const YIELD_EVERY = 250
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

/**
 * A metric family with one or more samples per server. Its samples are written here rather than
 * through prom-client's registry: at 1,000 servers (~15,000 samples) prom-client hashes every
 * label set and formats every sample in one synchronous pass per family, a block of 75–150 ms
 * per scrape (the core's event-loop delay target is 100 ms at most). Here the label text of a
 * server is escaped once and reused, and the loop runs again every YIELD_EVERY servers.
 */
interface ServerFamily {
  name: string
  help: string
  type: 'gauge' | 'counter'
  /** Appends the sample lines of one server; `labels` is its label text (`server_id="…",…`). */
  samples(s: ServerView, labels: string, out: string[]): void
}

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
const escapeLabel = (v: string) =>
  v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
/** HELP text: backslash and newline escaped. */
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')
/** A sample value as prom-client writes it. */
const valueText = (v: number) =>
  Number.isNaN(v) ? 'NaN' : Number.isFinite(v) ? String(v) : v < 0 ? '-Inf' : '+Inf'

/** A family with one sample per server; `value` null leaves the server out. */
function perServer(
  name: string,
  help: string,
  value: (s: ServerView) => number | null,
): ServerFamily {
  return {
    name,
    help,
    type: 'gauge',
    samples(s, labels, out) {
      const v = value(s)
      if (v !== null) out.push(`${name}{${labels}} ${valueText(v)}`)
    },
  }
}

/** A server's health as `up`: 1 online/degraded, null while unknown, 0 in every failed state. */
function upValue(state: HealthState): number | null {
  if (state === 'online' || state === 'degraded') return 1
  return state === 'unknown' ? null : 0
}

/** Summarises a snapshot for the metrics: online users, or null when not known now. */
function summarize(snap: UsersSnapshot): UsersSummary {
  if (snap.stale || snap.at === null) return { online: null }
  const t = usersTableOf(snap)
  let online = 0
  for (let i = 0; i < t.names.length; i++) {
    if (Number.isNaN(t.devices[i] as number)) return { online: null }
    if (t.online[i] === 1) online++
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
  /** Each server's escaped label text, kept while its name, kind and group stay the same. */
  const labelText = new Map<string, { of: ServerLabels; text: string }>()
  const labelsOf = (s: ServerView): string => {
    const known = labelText.get(s.id)
    if (
      known &&
      known.of.server === s.name &&
      known.of.kind === s.kind &&
      known.of.group === s.group
    )
      return known.text
    const of: ServerLabels = { server_id: s.id, server: s.name, kind: s.kind, group: s.group }
    const text = SERVER_LABELS.map((k) => `${k}="${escapeLabel(of[k])}"`).join(',')
    labelText.set(s.id, { of, text })
    return text
  }

  const serverFamilies: ServerFamily[] = [
    perServer(
      'nodedeck_server_up',
      'Whether the server answers: 1 online or degraded, 0 when down (offline, authentication or TLS failed); absent while its state is unknown.',
      (s) => upValue(s.status.state),
    ),
    {
      name: 'nodedeck_server_state',
      help: 'The health state of the server (one-hot: the current state is 1).',
      type: 'gauge',
      samples(s, labels, out) {
        for (const state of STATES) {
          out.push(
            `nodedeck_server_state{${labels},state="${state}"} ${s.status.state === state ? 1 : 0}`,
          )
        }
      },
    },
    perServer(
      'nodedeck_server_latency_seconds',
      'Latency of the last successful check of the server.',
      (s) => (s.status.latencyMs === null ? null : s.status.latencyMs / 1000),
    ),
    perServer(
      'nodedeck_server_online_users',
      'Users with at least one connected device at the last reading; absent when the server did not say.',
      (s) => users.get(s.id)?.online ?? null,
    ),
    perServer(
      'nodedeck_server_last_check_timestamp_seconds',
      'When the server was last checked (successfully or not), Unix time.',
      (s) => (s.status.lastCheckAt === null ? null : s.status.lastCheckAt / 1000),
    ),
    perServer(
      'nodedeck_server_alert_firing',
      'Whether an alert is firing for the server: 1 while it is down (offline, authentication or TLS failed).',
      (s) => (s.status.state === 'unknown' ? null : upValue(s.status.state) === 0 ? 1 : 0),
    ),
    {
      name: 'nodedeck_server_traffic_bytes_total',
      help: "Bytes transferred by the server's users as NodeDeck counted them since it started (client's view: up = upload). Never goes down: a reset on the server counts from zero again.",
      type: 'counter',
      samples(s, labels, out) {
        const t = traffic.totals(s.id)
        if (!t) return
        const name = 'nodedeck_server_traffic_bytes_total'
        out.push(`${name}{${labels},direction="up"} ${valueText(t.up)}`)
        out.push(`${name}{${labels},direction="down"} ${valueText(t.down)}`)
      },
    },
  ]

  /** The per-server families of the fleet, the event loop running every YIELD_EVERY servers. */
  const renderServerFamilies = async (list: readonly ServerView[]): Promise<string> => {
    const out: string[] = []
    let done = 0
    for (const f of serverFamilies) {
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`)
      for (const s of list) {
        if (++done % YIELD_EVERY === 0) await yieldToLoop()
        f.samples(s, labelsOf(s), out)
      }
      out.push('')
    }
    return out.join('\n')
  }

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
      // One scrape at a time: the per-server families yield to the event loop and share `fleet`.
      const next = rendering.then(async () => {
        fleet = await core.handlers['servers.list'](undefined, { connectionId: 'metrics' })
        const ids = new Set(fleet.map((s) => s.id))
        traffic.retain(ids)
        for (const id of users.keys()) if (!ids.has(id)) users.delete(id)
        for (const id of labelText.keys()) if (!ids.has(id)) labelText.delete(id)
        try {
          // prom-client's part (process, event loop, fleet and scheduler figures) is small.
          const head = await registry.metrics()
          await yieldToLoop()
          return `${head}\n${await renderServerFamilies(fleet)}`
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
