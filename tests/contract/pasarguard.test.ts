/**
 * Contract tests: the PasarGuard node client, adapter and handlers through the real core
 * (`createCore`, output validation on) against the emulator (apis.md §3), on both transports.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { X509Certificate } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {
  AppError,
  EventName,
  MethodInput,
  MethodName,
  MethodOutput,
  PgSyncProgress,
  ServerDraftInput,
  ServerView,
  StreamBatch,
} from '../../src/shared/contract'
import { createCore, type Core, type CoreConnection } from '../../src/main/core/create-core'
import { FakeCredentialStore } from '../../src/main/core/testing/fake-credential-store'
import { generateNodeCert } from '../../emulators/pasarguard/cert'
import {
  simUsers,
  simXrayConfig,
  startPasarGuardEmulator,
  type PasarGuardEmulator,
  type PasarGuardEmulatorOptions,
} from '../../emulators/pasarguard/server'

const KEY = '4c9ae5a1-6c1f-4f5e-9a55-0c2b1d6e7f80'
type Transport = 'grpc' | 'rest'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

async function waitFor<T>(what: string, fn: () => T | null | undefined | false, ms = 8000) {
  const until = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

interface Conn {
  conn: CoreConnection
  events: Array<{ name: EventName; payload: unknown }>
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>
  fail<M extends MethodName>(method: M, input: MethodInput<M>): Promise<AppError>
  batches(stream: string): StreamBatch[]
}

interface World extends Conn {
  emu: PasarGuardEmulator
  core: Core
  serverId: string
  connect(): Conn
  view(): Promise<ServerView>
}

function connection(core: Core): Conn {
  const events: Conn['events'] = []
  const conn = core.connect((name, payload) => events.push({ name, payload }))
  cleanups.push(() => conn.close())
  return {
    conn,
    events,
    async call(method, input) {
      const r = await conn.call(method, input)
      if (!r.ok) throw new Error(`${method} failed: ${r.error.code} ${r.error.message}`)
      return r.data as MethodOutput<typeof method>
    },
    async fail(method, input) {
      const r = await conn.call(method, input)
      if (r.ok) throw new Error(`${method} should have failed`)
      return r.error
    },
    batches: (stream) =>
      events
        .filter((e) => e.name === 'stream.batch')
        .map((e) => e.payload as StreamBatch)
        .filter((b) => b.stream === stream),
  }
}

async function world(
  transport: Transport,
  opts: {
    emulator?: Partial<PasarGuardEmulatorOptions>
    secret?: string
    tls?: ServerDraftInput['tls']
    options?: Record<string, string | number | boolean>
    /** The transport configured in NodeDeck (default: the node's). */
    configured?: Transport
  } = {},
): Promise<World> {
  const emu = await startPasarGuardEmulator({
    protocol: transport,
    apiKey: KEY,
    coreStartMs: 0,
    ...opts.emulator,
  })
  cleanups.push(() => emu.close())
  const dir = await mkdtemp(join(tmpdir(), 'nodedeck-pasarguard-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  const core = await createCore({
    dataDir: dir,
    credentials: new FakeCredentialStore(),
    host: 'cli',
    capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
    manual: true,
    validateOutput: true,
  })
  cleanups.push(() => core.stop())
  const c = connection(core)
  const { id: serverId } = await c.call('servers.add', {
    draft: {
      kind: 'pasarguard',
      name: 'node',
      url: emu.url,
      pollIntervalSec: 2,
      tls: opts.tls ?? { fingerprintSha256: emu.fingerprintSha256 },
      options: { transport: opts.configured ?? transport, ...opts.options },
    },
    secret: opts.secret ?? KEY,
  })
  await c.call('servers.refresh', { id: serverId })
  return {
    ...c,
    emu,
    core,
    serverId,
    connect: () => connection(core),
    async view() {
      const v = (await c.call('servers.list', undefined)).find((s) => s.id === serverId)
      if (!v) throw new Error('server vanished')
      return v
    },
  }
}

/** Starts xray on the node through NodeDeck. */
async function startXray(w: World, users = 3, keepAliveSec = 0) {
  return w.call('pasarguard.start', {
    serverId: w.serverId,
    draft: {
      type: 'xray',
      config: simXrayConfig(),
      keepAliveSec,
      excludeInbounds: [],
      users: simUsers(users).map((u) => ({
        email: u.email,
        inbounds: u.inbounds,
        proxies: {
          vless: u.proxies?.vless
            ? { id: u.proxies.vless.id, flow: u.proxies.vless.flow }
            : undefined,
          vmess: u.proxies?.vmess ? { id: u.proxies.vmess.id } : undefined,
        },
      })),
    },
  })
}

const u1 = 'user0001@example.com'
const u2 = 'user0002@example.com'

describe.each<Transport>(['grpc', 'rest'])('PasarGuard node over %s', (transport) => {
  it('info/start/stop: no backend is a degraded state, start runs it, stop forgets it', async () => {
    const w = await world(transport)
    let v = await w.view()
    expect(v.status.state).toBe('degraded')
    expect(v.status.error?.params?.coreState).toBe('no_backend')
    const o = await w.call('pasarguard.overview', { serverId: w.serverId })
    expect(o).toMatchObject({
      core: 'no_backend',
      transport,
      info: { started: false, nodeVersion: '0.5.2' },
    })

    const info = await startXray(w)
    expect(info).toMatchObject({ started: true, coreVersion: '25.10.15' })
    await w.call('servers.refresh', { id: w.serverId })
    await w.call('servers.refresh', { id: w.serverId })
    v = await w.view()
    expect(v.status.state).toBe('online')
    const running = await w.call('pasarguard.overview', { serverId: w.serverId })
    expect(running).toMatchObject({ core: 'running', started: { type: 'xray', keepAliveSec: 0 } })
    expect(running.backend).not.toBeNull()
    // Before the node's first sample its system stats are zeros: unknown, never 0 %.
    if (running.system === null) expect(running.history).toEqual([])
    else expect(running.system.memTotal).toBeGreaterThan(0)
    await expect
      .poll(
        async () => (await w.call('pasarguard.overview', { serverId: w.serverId })).history.length,
        { timeout: 5000, interval: 200 },
      )
      .toBeGreaterThanOrEqual(1)

    await w.call('pasarguard.stop', { serverId: w.serverId })
    expect(w.emu.control.backend()).toBeNull()
    const stopped = await w.call('pasarguard.overview', { serverId: w.serverId })
    expect(stopped).toMatchObject({ core: 'no_backend', started: null, system: null })
  })

  it('start refuses an invalid Xray config before sending anything', async () => {
    const w = await world(transport)
    const before = w.emu.requests.length
    const e = await w.fail('pasarguard.start', {
      serverId: w.serverId,
      draft: { type: 'xray', config: '{"inbounds": [}', keepAliveSec: 0 },
    })
    expect(e.code).toBe('invalid_input')
    expect(e.params?.line).toBe(1)
    expect(w.emu.requests.length).toBe(before)
  })

  it('auth: missing, non-UUID and wrong keys are explained', async () => {
    const w = await world(transport)
    const cases = [
      ['', 'missing_key'],
      ['not-a-uuid', 'key_not_uuid'],
      ['00000000-0000-0000-0000-000000000001', 'key_mismatch'],
    ] as const
    for (const [secret, reason] of cases) {
      const r = await w.call('servers.test', {
        draft: {
          kind: 'pasarguard',
          name: 'probe',
          url: w.emu.url,
          tls: { fingerprintSha256: w.emu.fingerprintSha256 },
          options: { transport },
        },
        secret,
      })
      expect(r.state).toBe('auth_failed')
      expect(r.error?.params?.reason).toBe(reason)
      if (secret) expect(r.error?.message).not.toContain(secret)
    }
  })

  it('500 / 503 are states: the core-stopped partial, not offline', async () => {
    const w = await world(transport)
    await startXray(w)
    w.emu.control.stopCore()
    await w.call('servers.refresh', { id: w.serverId })
    await w.call('servers.refresh', { id: w.serverId })
    let v = await w.view()
    expect(v.status.state).toBe('degraded')
    expect(v.status.error?.params?.coreState).toBe('stopped')
    expect(v.status.error?.message).toMatch(/core is not started yet/)
    w.emu.control.dropBackend()
    await w.call('servers.refresh', { id: w.serverId })
    v = await w.view()
    expect(v.status.error?.params?.coreState).toBe('no_backend')
    const o = await w.call('pasarguard.overview', { serverId: w.serverId })
    expect(o.core).toBe('no_backend')
  })

  it('user counters: GET bodies with reset=false keep the node counters; clearOnRead resets them', async () => {
    const w = await world(transport)
    await startXray(w)
    w.emu.control.addTraffic('user', u1, 1000, 20000)
    await w.call('servers.refresh', { id: w.serverId })
    const a = await w.call('users.list', { serverId: w.serverId })
    expect(a.users.find((u) => u.name === u1)).toMatchObject({ up: 1000, down: 20000 })
    expect(a.clearOnRead).toBe(false)
    expect(w.emu.control.counters()[`user>>>${u1}>>>traffic>>>uplink`]).toBe(1000n)

    const c = await world(transport, { options: { clearOnRead: true } })
    await startXray(c)
    c.emu.control.addTraffic('user', u1, 500, 700)
    await c.call('servers.refresh', { id: c.serverId })
    c.emu.control.addTraffic('user', u1, 5, 7)
    await c.call('servers.refresh', { id: c.serverId })
    const b = await c.call('users.list', { serverId: c.serverId })
    expect(b.clearOnRead).toBe(true)
    expect(b.users.find((u) => u.name === u1)).toMatchObject({ up: 505, down: 707 })
    expect(c.emu.control.counters()[`user>>>${u1}>>>traffic>>>uplink`]).toBe(0n)
  })

  it('Test connection never clears counters, even with clearOnRead', async () => {
    const w = await world(transport, { options: { clearOnRead: true } })
    await startXray(w)
    // The poll `start` asked for (a clearing one) is done before the traffic moves.
    await w.call('servers.refresh', { id: w.serverId })
    w.emu.control.addTraffic('user', u1, 42, 43)
    const r = await w.call('servers.test', {
      id: w.serverId,
      draft: {
        kind: 'pasarguard',
        name: 'node',
        url: w.emu.url,
        tls: { fingerprintSha256: w.emu.fingerprintSha256 },
        options: { transport, clearOnRead: true },
      },
    })
    expect(r.state).toBe('online')
    expect(w.emu.control.counters()[`user>>>${u1}>>>traffic>>>uplink`]).toBe(42n)
  })

  it('online / online_ip: counts, IPs in epoch ms, unknown users; devices in the users list', async () => {
    const w = await world(transport)
    await startXray(w)
    w.emu.control.addTraffic('user', u1, 1, 1)
    w.emu.control.addTraffic('user', u2, 1, 1)
    w.emu.control.setOnline(u1, 2, { '203.0.113.7': 1767225600 })
    const rows = await w.call('pasarguard.online', {
      serverId: w.serverId,
      emails: [u1, 'nobody@x'],
    })
    expect(rows[0]).toMatchObject({
      email: u1,
      online: 2,
      ips: [{ ip: '203.0.113.7', lastSeenAt: 1767225600000 }],
      error: null,
    })
    expect(rows[1]).toMatchObject({ email: 'nobody@x', online: null, error: { code: 'not_found' } })
    await w.call('servers.refresh', { id: w.serverId })
    const list = await w.call('users.list', { serverId: w.serverId })
    expect(list.users.find((u) => u.name === u1)).toMatchObject({ online: true, devices: 2 })
    expect(list.users.find((u) => u.name === u2)).toMatchObject({ online: false, devices: 0 })
  })

  it('traffic: inbound and outbound tables with rates; latency of the observed outbounds', async () => {
    const w = await world(transport)
    await startXray(w)
    w.emu.control.addTraffic('inbound', 'vless-in', 100, 200)
    w.emu.control.addTraffic('outbound', 'direct', 300, 400)
    const t1 = await w.call('pasarguard.traffic', { serverId: w.serverId })
    expect(t1.inbounds.rows.find((r) => r.name === 'vless-in')).toMatchObject({
      up: 100,
      down: 200,
      upRate: null,
    })
    expect(t1.outbounds.rows.find((r) => r.name === 'direct')).toMatchObject({
      up: 300,
      link: 'traffic',
    })
    w.emu.control.addTraffic('outbound', 'direct', 1000, 0)
    const t2 = await w.call('pasarguard.traffic', { serverId: w.serverId })
    const direct = t2.outbounds.rows.find((r) => r.name === 'direct')
    expect(direct?.up).toBe(1300)
    expect(direct?.upRate).toBeGreaterThan(0)

    w.emu.control.setLatency('direct', { alive: true, delay: 120 })
    const lat = await w.call('pasarguard.latency', { serverId: w.serverId })
    expect(lat.find((l) => l.name === 'direct')).toMatchObject({ alive: true, delayMs: 120 })
  })

  it('sync: one user live, replace restarts, chunked in frames with progress events', async () => {
    const w = await world(transport)
    await startXray(w)
    await w.call('pasarguard.syncUser', {
      serverId: w.serverId,
      user: {
        email: 'new@x',
        inbounds: ['vless-in'],
        proxies: { vless: { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7' } },
      },
    })
    expect(w.emu.control.lastSyncs.at(-1)).toMatchObject({
      rpc: 'SyncUser',
      users: 1,
      ok: true,
      mode: 'live',
    })

    const users = simUsers(250).map((u) => ({
      email: u.email,
      inbounds: ['vless-in'],
      proxies: { vless: { id: u.proxies?.vless?.id ?? '' } },
    }))
    const r = await w.call('pasarguard.syncUsers', {
      serverId: w.serverId,
      users,
      mode: 'chunked',
      chunkSize: 100,
      jobId: 'job-1',
    })
    expect(r).toMatchObject({ users: 250, chunks: 3, coreRestarted: true })
    expect(w.emu.control.lastSyncs.at(-1)).toMatchObject({
      rpc: 'SyncUsersChunked',
      users: 250,
      chunks: 3,
      ok: true,
      mode: 'restart',
    })
    const progress = w.events
      .filter((e) => e.name === 'pasarguard.syncProgress')
      .map((e) => e.payload as PgSyncProgress)
    expect(progress.length).toBeGreaterThanOrEqual(1)
    expect(progress.at(-1)).toMatchObject({
      jobId: 'job-1',
      done: true,
      error: null,
      sentUsers: 250,
    })

    // An empty set is one chunk with last = true; node v0.5.2 refuses it ("no users received").
    const empty = await w.fail('pasarguard.syncUsers', {
      serverId: w.serverId,
      users: [],
      mode: 'chunked',
      jobId: 'job-2',
    })
    expect(empty.code).toBe('invalid_input')
    expect(empty.message).toMatch(/replace mode/)
    const sent = w.emu.requests.at(-1)
    expect(sent?.path).toMatch(/SyncUsersChunked|\/users\/sync\/chunked/)
    expect([400, 'INVALID_ARGUMENT']).toContain(sent?.status)
    const failed = w.events
      .filter((e) => e.name === 'pasarguard.syncProgress')
      .map((e) => e.payload as PgSyncProgress)
      .filter((p) => p.jobId === 'job-2')
    expect(failed.at(-1)).toMatchObject({ done: true, error: { code: 'invalid_input' } })

    const rep = await w.call('pasarguard.syncUsers', {
      serverId: w.serverId,
      users: users.slice(0, 10),
      mode: 'replace',
      jobId: 'job-3',
    })
    expect(rep.coreRestarted).toBe(true)
    expect(w.emu.control.lastSyncs.at(-1)).toMatchObject({
      rpc: 'SyncUsers',
      users: 10,
      mode: 'restart',
      ok: true,
    })
  })

  it('logs: lines arrive through the hub; two watchers share one upstream', async () => {
    const w = await world(transport)
    await startXray(w)
    const other = w.connect()
    await w.call('streams.watch', { serverId: w.serverId, stream: 'logs' })
    await other.call('streams.watch', { serverId: w.serverId, stream: 'logs' })
    await waitFor('a log reader', () => w.emu.control.logReaders() === 1)
    w.emu.control.emitLog(['line A', 'line B'])
    const frames = (c: Conn) => c.batches('logs').flatMap((b) => b.frames)
    await waitFor('lines on the first watcher', () => frames(w).includes('line B'))
    await waitFor('lines on the second watcher', () => frames(other).includes('line B'))
    expect(frames(other)).toContain('line A')
    expect(w.emu.control.logReaders()).toBe(1)
    await waitFor('live', () => w.batches('logs').some((b) => b.state?.status === 'live'))
    await w.call('streams.unwatch', { serverId: w.serverId, stream: 'logs' })
    await other.call('streams.unwatch', { serverId: w.serverId, stream: 'logs' })
  })

  it('a wrong pinned fingerprint is refused with no request sent', async () => {
    const other = generateNodeCert({ commonName: 'someone-else' })
    const w = await world(transport, {
      tls: { fingerprintSha256: new X509Certificate(other.certPem).fingerprint256 },
    })
    const v = await w.view()
    expect(v.status.state).toBe('tls_failed')
    expect(v.status.error?.code).toBe('tls')
    expect(v.status.error?.message).toContain(w.emu.fingerprintSha256)
    expect(w.emu.requests).toEqual([])
  })

  it('CA mode: the node certificate as CA works, a foreign CA is refused before any request', async () => {
    const foreign = await world(transport, {
      tls: { caPem: generateNodeCert({ commonName: 'someone-else' }).certPem },
    })
    expect((await foreign.view()).status.error?.code).toBe('tls')
    expect(foreign.emu.requests).toEqual([])
    // The node's own certificate as CA (host name checked: 127.0.0.1 is in its SAN).
    const cert = generateNodeCert()
    const ok = await world(transport, { emulator: { cert }, tls: { caPem: cert.certPem } })
    expect((await ok.view()).status.error?.params?.coreState).toBe('no_backend')
    expect(ok.emu.requests.length).toBeGreaterThan(0)
  })

  it('keep-alive: polls keep the core alive; silence lets the watchdog stop it', async () => {
    const w = await world(transport, { emulator: { watchdogIntervalMs: 100 } })
    await startXray(w, 1, 1)
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 250))
      await w.call('servers.refresh', { id: w.serverId })
    }
    expect(w.emu.control.backend()).not.toBeNull()
    await waitFor('the watchdog', () => w.emu.control.backend() === null, 4000)
  })

  it('servers.probeTls reads the node certificate without a request', async () => {
    const w = await world(transport)
    const before = w.emu.requests.length
    const info = await w.call('servers.probeTls', { url: w.emu.url })
    expect(info.fingerprintSha256).toBe(w.emu.fingerprintSha256)
    expect(info.selfSigned).toBe(true)
    expect(info.trustedBySystem).toBe(false)
    expect(w.emu.requests.length).toBe(before)
  })
})

describe('wrong transport', () => {
  it('REST configured against a gRPC node → speaks_grpc', async () => {
    for (const tls of ['pin', 'ca'] as const) {
      const cert = generateNodeCert()
      const w = await world('grpc', {
        configured: 'rest',
        emulator: { cert },
        tls: tls === 'ca' ? { caPem: cert.certPem } : undefined,
      })
      const v = await w.view()
      expect(v.status.error?.params?.hint).toBe('speaks_grpc')
      expect(v.status.error?.message).toMatch(/choose gRPC/i)
    }
  })

  it('gRPC configured against a REST node → speaks_rest', async () => {
    const w = await world('rest', { configured: 'grpc' })
    const v = await w.view()
    expect(v.status.error?.params?.hint).toBe('speaks_rest')
    expect(v.status.error?.message).toMatch(/SERVICE_PROTOCOL=rest/)
  })
})
