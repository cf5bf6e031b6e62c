import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRequire } from 'node:module'
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createCore, type Core } from '../core/create-core'
import { FakeCredentialStore } from '../core/testing/fake-credential-store'
import { startHysteria2Emulator, type Hysteria2Emulator } from '../../../emulators/hysteria2/server'
import type { ServerView, UsersSnapshot } from '../../shared/contract'
import { TrafficCounters, createFleetMetrics, loadMetricsToken } from './metrics'
import { startBrowserHost, type BrowserHost } from './server'

/** One family as parse-prometheus-text-format returns it (the package ships no types). */
interface Family {
  name: string
  help: string
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
  metrics: Array<{ value?: string; labels?: Record<string, string> }>
}
// A real Prometheus text-format parser from npm, not ours: the output must parse as Prometheus reads it.
const parsePrometheus = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => Family[]

/** A server name with every character the text format must escape in a label value. */
const NASTY = 'Tokyo "edge" \\ 1\nsecond line'
const METRICS_TOKEN = 'prometheus-scrape-token-0123456789'

let dir: string
let core: Core
let host: BrowserHost
let emu: Hysteria2Emulator

/** A loopback port where nothing listens (connection refused: an offline server). */
async function deadPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok))
  const port = (s.address() as { port: number }).port
  await new Promise<void>((ok) => s.close(() => ok()))
  return port
}

const server = (id: string, name: string, url: string, group: string) => ({
  id,
  kind: 'hysteria2',
  name,
  url,
  group,
  tags: [],
  pollIntervalSec: 60,
  tls: {},
  options: {},
  createdAt: 1,
})

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nodedeck-metrics-'))
  const web = join(dir, 'web')
  await mkdir(web, { recursive: true })
  await writeFile(join(web, 'index.html'), '<!doctype html><title>NodeDeck</title>')
  emu = await startHysteria2Emulator()
  const alice = emu.connect('alice')
  emu.moveTraffic(alice, 1000, 5000)
  const bob = emu.connect('bob')
  emu.moveTraffic(bob, 300, 700)
  emu.disconnect(bob)
  const data = join(dir, 'data')
  await mkdir(data, { recursive: true })
  const servers = [
    server('s-up', NASTY, emu.url, 'Tokyo'),
    server('s-down', 'down', `http://127.0.0.1:${await deadPort()}`, ''),
    server('s-unknown', 'never-checked', 'http://127.0.0.1:9', 'Osaka'),
  ]
  await writeFile(
    join(data, 'config.json'),
    JSON.stringify({ version: 1, servers, settings: {}, bridges: [] }),
  )
  core = await createCore({
    dataDir: data,
    credentials: new FakeCredentialStore(),
    host: 'browser',
    capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
  })
  host = await startBrowserHost({
    core,
    webRoot: web,
    token: 'a'.repeat(64),
    metricsToken: METRICS_TOKEN,
  })
  await core.handlers['servers.refresh']({ id: 's-up' }, { connectionId: 't' })
  for (let i = 0; i < 3; i++) {
    await core.handlers['servers.refresh']({ id: 's-down' }, { connectionId: 't' })
  }
})

afterAll(async () => {
  await host?.close()
  await core?.stop()
  await emu?.close()
  await rm(dir, { recursive: true, force: true })
})

const scrape = (auth?: string) =>
  fetch(`${host.url}metrics`, auth === undefined ? {} : { headers: { authorization: auth } })

async function families(): Promise<Map<string, Family>> {
  const res = await scrape(`Bearer ${METRICS_TOKEN}`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
  return new Map(parsePrometheus(await res.text()).map((f) => [f.name, f]))
}

/** The samples of a family for one server id. */
function of(f: Family | undefined, serverId: string) {
  return (f?.metrics ?? []).filter((m) => m.labels?.server_id === serverId)
}

describe('/metrics', () => {
  it('refuses a scrape without the token, with a wrong one and with a non-Bearer scheme', async () => {
    for (const auth of [undefined, 'Bearer wrong-token', `Basic ${METRICS_TOKEN}`, METRICS_TOKEN]) {
      const res = await scrape(auth)
      expect(res.status, String(auth)).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
      const body = await res.text()
      expect(body).not.toContain(METRICS_TOKEN)
      expect(body).not.toContain(host.token)
    }
  })

  it('accepts the fixed metrics token and the per-launch token', async () => {
    expect((await scrape(`Bearer ${METRICS_TOKEN}`)).status).toBe(200)
    expect((await scrape(`Bearer ${host.token}`)).status).toBe(200)
  })

  it('parses with a Prometheus text-format parser: names, types, labels and values', async () => {
    const f = await families()
    expect(f.get('nodedeck_server_up')?.type).toBe('GAUGE')
    expect(f.get('nodedeck_server_traffic_bytes_total')?.type).toBe('COUNTER')
    const up = of(f.get('nodedeck_server_up'), 's-up')
    expect(up).toEqual([
      {
        value: '1',
        labels: { server_id: 's-up', server: NASTY, kind: 'hysteria2', group: 'Tokyo' },
      },
    ])
    expect(of(f.get('nodedeck_server_up'), 's-down')[0]?.value).toBe('0')
    // Unknown is left out, never a fake 0.
    expect(of(f.get('nodedeck_server_up'), 's-unknown')).toEqual([])
    expect(of(f.get('nodedeck_server_latency_seconds'), 's-unknown')).toEqual([])
    expect(of(f.get('nodedeck_server_online_users'), 's-unknown')).toEqual([])
    expect(of(f.get('nodedeck_server_last_check_timestamp_seconds'), 's-unknown')).toEqual([])

    const state = of(f.get('nodedeck_server_state'), 's-down')
    expect(state.filter((m) => m.value === '1').map((m) => m.labels?.state)).toEqual(['offline'])
    expect(state.length).toBeGreaterThanOrEqual(5)
    const unknownState = of(f.get('nodedeck_server_state'), 's-unknown')
    expect(unknownState.find((m) => m.value === '1')?.labels?.state).toBe('unknown')

    const latency = Number(of(f.get('nodedeck_server_latency_seconds'), 's-up')[0]?.value)
    expect(latency).toBeGreaterThanOrEqual(0)
    expect(latency).toBeLessThan(5)
    const checked = Number(
      of(f.get('nodedeck_server_last_check_timestamp_seconds'), 's-up')[0]?.value,
    )
    expect(Math.abs(checked - Date.now() / 1000)).toBeLessThan(60)
    // alice is connected, bob is not.
    expect(of(f.get('nodedeck_server_online_users'), 's-up')[0]?.value).toBe('1')
    const traffic = of(f.get('nodedeck_server_traffic_bytes_total'), 's-up')
    expect(Object.fromEntries(traffic.map((m) => [m.labels?.direction, m.value]))).toEqual({
      up: '1300',
      down: '5700',
    })
    expect(of(f.get('nodedeck_server_alert_firing'), 's-down')[0]?.value).toBe('1')
    expect(of(f.get('nodedeck_server_alert_firing'), 's-up')[0]?.value).toBe('0')

    const fleet = f.get('nodedeck_fleet_servers')?.metrics ?? []
    const byState = Object.fromEntries(fleet.map((m) => [m.labels?.state, m.value]))
    expect(byState).toMatchObject({ online: '1', offline: '1', unknown: '1' })
    expect(f.get('nodedeck_fleet_online_users')?.metrics[0]?.value).toBe('1')
    // s-down failed and s-unknown was never read.
    expect(f.get('nodedeck_fleet_online_users_unknown_servers')?.metrics[0]?.value).toBe('2')

    // The scheduler: 4 polls so far (s-up once, s-down three times), all finished in time.
    expect(f.get('nodedeck_scheduler_polls_total')?.type).toBe('COUNTER')
    expect(f.get('nodedeck_scheduler_polls_total')?.metrics[0]?.value).toBe('4')
    expect(f.get('nodedeck_scheduler_servers')?.metrics[0]?.value).toBe('3')

    // Process metrics (prom-client's defaults).
    expect(Number(f.get('process_resident_memory_bytes')?.metrics[0]?.value)).toBeGreaterThan(0)
    expect(f.get('process_cpu_seconds_total')?.type).toBe('COUNTER')
    for (const n of ['p50', 'p99', 'max']) {
      expect(f.get(`nodejs_eventloop_lag_${n}_seconds`)?.type, n).toBe('GAUGE')
    }
  })

  it('escapes quotes, backslashes and newlines in label values', async () => {
    const res = await scrape(`Bearer ${METRICS_TOKEN}`)
    const text = await res.text()
    expect(text).toContain('server="Tokyo \\"edge\\" \\\\ 1\\nsecond line"')
    // No raw newline inside a sample line: every line is a comment, a sample or empty.
    for (const line of text.split('\n')) {
      expect(line === '' || line.startsWith('#') || /^[a-z_:][a-z0-9_:]*[{ ]/i.test(line)).toBe(
        true,
      )
    }
  })

  it('counts traffic on across a server restart (the counter never goes down)', async () => {
    const total = async () => {
      const f = await families()
      const t = of(f.get('nodedeck_server_traffic_bytes_total'), 's-up')
      return Number(t.find((m) => m.labels?.direction === 'down')?.value)
    }
    const before = await total()
    emu.restart()
    const carol = emu.connect('alice')
    emu.moveTraffic(carol, 10, 20)
    await core.handlers['servers.refresh']({ id: 's-up' }, { connectionId: 't' })
    expect(await total()).toBe(before + 20)
  })
})

describe('createFleetMetrics at scale', () => {
  it('lets the event loop run during a big scrape and keeps concurrent scrapes whole', async () => {
    const views = Array.from({ length: 250 }, (_, i) => ({
      id: `s${i}`,
      name: `server ${i}`,
      kind: 'hysteria2',
      group: 'g',
      status: { state: 'online', latencyMs: 5, lastCheckAt: 1000 },
    })) as unknown as ServerView[]
    const fake = {
      onEvent: () => () => undefined,
      handlers: { 'servers.list': async () => views },
      schedulerStats: () => ({
        polls: 0,
        onTime: 0,
        late: 0,
        failures: 0,
        timeouts: 0,
        capWaits: 0,
        servers: 250,
        cap: 64,
        inFlight: 0,
        queued: 0,
        maxQueued: 0,
        maxStartDelayMs: 0,
      }),
    } as unknown as Core
    const m = createFleetMetrics({ core: fake })
    let turns = 0
    const tick = setInterval(() => turns++, 0)
    const [a, b] = await Promise.all([m.render(), m.render()])
    clearInterval(tick)
    m.close()
    for (const text of [a, b]) {
      const up = parsePrometheus(text).find((f) => f.name === 'nodedeck_server_up')
      expect(up?.metrics).toHaveLength(250)
      const state = parsePrometheus(text).find((f) => f.name === 'nodedeck_server_state')
      expect(state?.metrics.filter((x) => x.value === '1')).toHaveLength(250)
    }
    // Timers ran while the collectors went through the servers.
    expect(turns).toBeGreaterThan(0)
  })
})

describe('TrafficCounters', () => {
  const snap = (
    users: Array<[string, number | null, number | null]>,
    extra: Partial<UsersSnapshot> = {},
  ): UsersSnapshot => ({
    serverId: 's',
    at: 1,
    stale: false,
    error: null,
    users: users.map(([name, up, down]) => ({
      name,
      online: true,
      devices: 1,
      up,
      down,
      upRate: null,
      downRate: null,
      reset: false,
    })),
    clearOnRead: false,
    countingSince: null,
    serverReset: false,
    ...extra,
  })

  it('starts at the first reading and adds only growth', () => {
    const c = new TrafficCounters()
    expect(c.totals('s')).toBeNull()
    c.add(snap([['a', 10, 100]]))
    c.add(snap([['a', 15, 130]]))
    expect(c.totals('s')).toEqual({ up: 15, down: 130 })
  })

  it('takes a counter that went backwards as a reset: counts from zero, never subtracts', () => {
    const c = new TrafficCounters()
    c.add(snap([['a', 50, 500]]))
    c.add(snap([['a', 5, 40]]))
    expect(c.totals('s')).toEqual({ up: 55, down: 540 })
  })

  it('counts a user that vanished and came back from zero', () => {
    const c = new TrafficCounters()
    c.add(
      snap([
        ['a', 50, 500],
        ['b', 1, 1],
      ]),
    )
    c.add(snap([['b', 1, 1]]))
    c.add(
      snap([
        ['a', 60, 600],
        ['b', 1, 1],
      ]),
    )
    expect(c.totals('s')).toEqual({ up: 111, down: 1101 })
  })

  it('ignores stale readings and unknown figures', () => {
    const c = new TrafficCounters()
    c.add(snap([['a', 50, 500]]))
    c.add(snap([['a', 1, 1]], { stale: true }))
    c.add(snap([['a', null, null]]))
    expect(c.totals('s')).toEqual({ up: 50, down: 500 })
    c.retain(new Set())
    expect(c.totals('s')).toBeNull()
  })
})

describe('loadMetricsToken', () => {
  it('makes a missing file with a random owner-only token and reads it back', async () => {
    const path = join(dir, 'metrics.token')
    const made = await loadMetricsToken(path)
    expect(made.created).toBe(true)
    expect(made.token).toMatch(/^[0-9a-f]{64}$/)
    expect((await stat(path)).mode & 0o777).toBe(0o600)
    expect(await readFile(path, 'utf8')).toBe(`${made.token}\n`)
    expect(await loadMetricsToken(path)).toEqual({ token: made.token, created: false })
  })

  it('refuses a short token', async () => {
    const path = join(dir, 'short.token')
    await writeFile(path, 'abc\n')
    await expect(loadMetricsToken(path)).rejects.toThrow(/at least 16/)
  })
})
