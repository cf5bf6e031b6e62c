/**
 * Contract tests of the traffic bridge (issue 6) through the core's `bridges.*` methods, against
 * the real emulators: a Hysteria 2 server (the source) and an ss-panel Mu API v2 (the panel).
 * Real HTTP layer, real journal on disk; the core runs manual (no background polling), so every
 * report is one `bridges.runNow`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  type BridgeStatus,
  type EventName,
  type MethodInput,
  type MethodName,
  type MethodOutput,
  AppErrorException,
} from '../../src/shared/contract'
import { createCore, type Core } from '../../src/main/core/create-core'
import { FakeCredentialStore } from '../../src/main/core/testing/fake-credential-store'
import { startHysteria2Emulator, type Hysteria2Emulator } from '../../emulators/hysteria2/server'
import {
  startMuApiEmulator,
  type MuApiEmulator,
  type MuApiEmulatorOptions,
} from '../../emulators/muapi/server'
import { startHy2ScaleEmulator } from '../../emulators/hy2scale/server'
import { startHoldProxy, type HoldProxy } from '../support/hold-proxy'

const HY_SECRET = 'hy-secret-for-bridge'
const MU_KEY = 'mu-key-for-bridge'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

type Call = <M extends MethodName>(method: M, input: MethodInput<M>) => Promise<MethodOutput<M>>

interface World {
  hy: Hysteria2Emulator
  mu: MuApiEmulator
  proxy: HoldProxy | null
  store: FakeCredentialStore
  core: Core
  dataDir: string
  call: Call
  events: { name: EventName; payload: unknown }[]
  hyId: string
  muId: string
  /** Moves traffic of `user` on the source (tx = client upload). */
  move(user: string, up: number, down: number): void
  /** The panel's u/d of a user. */
  panel(id: number): { u: number; d: number }
}

async function world(
  opts: {
    mu?: MuApiEmulatorOptions
    clearOnRead?: boolean
    proxy?: boolean
    manual?: boolean
  } = {},
): Promise<World> {
  const hy = await startHysteria2Emulator({ secret: HY_SECRET })
  cleanups.push(() => hy.close())
  const mu = await startMuApiEmulator({
    key: MU_KEY,
    users: [
      { id: 1, email: 'ann@example.com', port: 20001 },
      { id: 2, email: 'bo@example.com', port: 20002 },
      { id: 3, email: 'cy@example.com', port: 20003 },
    ],
    nodes: [{ id: 7, traffic_rate: 1 }],
    ...opts.mu,
  })
  cleanups.push(() => mu.close())
  const proxy = opts.proxy ? await startHoldProxy(mu.url) : null
  if (proxy) cleanups.push(() => proxy.close())
  const dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-bridge-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const store = new FakeCredentialStore()
  const core = await createCore({
    dataDir,
    credentials: store,
    host: 'cli',
    capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
    manual: opts.manual ?? true,
    validateOutput: true,
  })
  cleanups.push(() => core.stop())
  const events: World['events'] = []
  const conn = core.connect((name, payload) => events.push({ name, payload }))
  cleanups.push(() => conn.close())
  const call: Call = async (method, input) => {
    const r = await conn.call(method, input)
    if (!r.ok) throw new AppErrorException(r.error)
    return r.data as never
  }
  const base = { group: '', tags: [], pollIntervalSec: 10, tls: {} }
  const { id: hyId } = await call('servers.add', {
    draft: {
      ...base,
      kind: 'hysteria2',
      name: 'hy',
      url: hy.url,
      options: opts.clearOnRead ? { clearOnRead: true } : {},
    },
    secret: HY_SECRET,
  })
  const { id: muId } = await call('servers.add', {
    draft: {
      ...base,
      kind: 'muapi',
      name: 'panel',
      url: proxy ? `${proxy.url}/mu/v2` : mu.apiUrl,
      options: {},
    },
    secret: MU_KEY,
  })
  const conns = new Map<string, number>()
  return {
    hy,
    mu,
    proxy,
    store,
    core,
    dataDir,
    call,
    events,
    hyId,
    muId,
    move(user, up, down) {
      let c = conns.get(user)
      if (c === undefined || !hy.isConnected(c)) {
        c = hy.connect(user)
        conns.set(user, c)
      }
      hy.moveTraffic(c, up, down)
    },
    panel(id) {
      const u = mu.control.users().find((x) => x.id === id)
      if (!u) throw new Error(`no panel user ${id}`)
      return { u: u.u, d: u.d }
    },
  }
}

async function addBridge(w: World, extra: Partial<MethodInput<'bridges.add'>['draft']> = {}) {
  const { id } = await w.call('bridges.add', {
    draft: { sourceId: w.hyId, panelId: w.muId, nodeId: 7, rule: 'id', ...extra },
  })
  return id
}

describe('traffic bridge against the emulators', () => {
  it('reports per-user deltas in one batch, each byte once, and the online count', async () => {
    const w = await world()
    const id = await addBridge(w)
    w.move('1', 100, 2000)
    w.move('2', 5, 0)
    let s: BridgeStatus = await w.call('bridges.runNow', { id })
    expect(s.error).toBeNull()
    expect(s.lastReport).toMatchObject({ users: 2, u: 105, d: 2000 })
    expect(w.panel(1)).toEqual({ u: 100, d: 2000 })
    expect(w.panel(2)).toEqual({ u: 5, d: 0 })
    const batches = w.mu.control.reportedTraffic().filter((r) => r.kind === 'node')
    expect(batches).toHaveLength(1)
    expect(JSON.parse(batches[0]!.body)).toEqual([
      { user_id: 1, u: 100, d: 2000 },
      { user_id: 2, u: 5, d: 0 },
    ])
    expect(w.mu.control.onlineReports().at(-1)).toMatchObject({ nodeId: '7', count: '2' })
    // Nothing moved: no batch at all (no empty batch, no zero item).
    await w.call('bridges.runNow', { id })
    expect(w.mu.control.reportedTraffic().filter((r) => r.kind === 'node')).toHaveLength(1)
    w.move('1', 1, 1)
    s = await w.call('bridges.runNow', { id })
    expect(JSON.parse(w.mu.control.reportedTraffic().at(-1)!.body)).toEqual([
      { user_id: 1, u: 1, d: 1 },
    ])
    expect(w.panel(1)).toEqual({ u: 101, d: 2001 })
    expect(s.acked).toEqual({ u: 106, d: 2001 })
  })

  it.each([
    ['dropAfterApply', true],
    ['drop', false],
    ['http500', false],
    ['garbage', false],
  ] as const)(
    'a report whose answer is lost (%s) is settled from the panel’s counters: counted once',
    async (mode, applied) => {
      const w = await world()
      const id = await addBridge(w, { settleSec: 0 })
      w.move('1', 300, 4000)
      w.move('3', 1, 1)
      w.mu.control.failNext(mode, { route: 'nodeTraffic' })
      const failed = await w.call('bridges.runNow', { id })
      expect(failed.state).toBe('error')
      expect(failed.error?.serverId).toBe(w.muId)
      expect(failed.inflight).toMatchObject({ id: 1, outcome: 'unknown' })
      expect(w.panel(1)).toEqual(applied ? { u: 300, d: 4000 } : { u: 0, d: 0 })
      const s = await w.call('bridges.runNow', { id })
      expect(s.error).toBeNull()
      expect(s.inflight).toBeNull()
      const batches = w.mu.control.reportedTraffic().filter((r) => r.kind === 'node')
      // Applied: never sent again; not applied: sent once more, the same batch.
      expect(batches).toHaveLength(applied ? 1 : 2)
      expect(batches.at(-1)?.body).toBe(batches[0]?.body)
      expect(w.panel(1)).toEqual({ u: 300, d: 4000 })
      expect(w.panel(3)).toEqual({ u: 1, d: 1 })
    },
  )

  it('ret:0 and 401 are refusals: the same batch goes again with no verification', async () => {
    const w = await world()
    const id = await addBridge(w, { settleSec: 3600 })
    w.move('2', 9, 9)
    w.mu.control.failNext('http400', { route: 'nodeTraffic' })
    let s = await w.call('bridges.runNow', { id })
    expect(s.inflight).toMatchObject({ outcome: 'sending' })
    expect(s.verifyAfter).toBeNull()
    s = await w.call('bridges.runNow', { id })
    expect(s.state).toBe('idle')
    expect(w.panel(2)).toEqual({ u: 9, d: 9 })
  })

  it('a batch ss-panel stopped midway (a user deleted meanwhile): the applied part is acknowledged', async () => {
    const w = await world({ proxy: true })
    const id = await addBridge(w, { settleSec: 0 })
    w.move('1', 10, 100)
    w.move('2', 20, 200)
    w.move('3', 30, 300)
    // User 2 is deleted after the bridge read the panel, just before the batch arrives: PHP
    // applies user 1 and dies on user 2 (a 500).
    const hit = w.proxy!.next({
      mode: 'beforeForward',
      match: (m, p) => m === 'POST' && p.endsWith('/traffic'),
      hook: () => w.mu.control.removeUser(2),
    })
    const failed = await w.call('bridges.runNow', { id })
    expect((await hit).status).toBe(500)
    expect(failed.inflight).toMatchObject({ outcome: 'unknown', users: 3 })
    expect(w.panel(1)).toEqual({ u: 10, d: 100 })
    const s = await w.call('bridges.runNow', { id })
    expect(s.error).toBeNull()
    const last = w.mu.control.reportedTraffic().at(-1)!
    // User 1 acknowledged; user 3 resent; user 2 (gone) waits in pending.
    expect(JSON.parse(last.body)).toEqual([{ user_id: 3, u: 30, d: 300 }])
    expect(w.panel(1)).toEqual({ u: 10, d: 100 })
    expect(w.panel(3)).toEqual({ u: 30, d: 300 })
    expect(s.pending).toEqual({ users: 1, u: 20, d: 200 })
    expect(s.acked).toEqual({ u: 40, d: 400 })
  })

  it('counters that do not add up stop the bridge until the admin decides', async () => {
    const w = await world()
    const id = await addBridge(w, { settleSec: 0 })
    w.move('1', 1000, 1000)
    w.mu.control.failNext('dropAfterApply', { route: 'nodeTraffic' })
    await w.call('bridges.runNow', { id })
    w.mu.control.setUser(1, { u: 400, d: 400 }) // e.g. a monthly reset on the panel
    let s = await w.call('bridges.runNow', { id })
    expect(s.state).toBe('needs_attention')
    expect(s.error).toMatchObject({ code: 'bad_payload', serverId: w.muId })
    expect(s.attention?.items).toEqual([
      {
        userId: 1,
        u: 1000,
        d: 1000,
        before: { u: 0, d: 0 },
        after: { u: 400, d: 400 },
        verdict: 'unclear',
      },
    ])
    const list = await w.call('bridges.list', undefined)
    expect(list[0]?.status.state).toBe('needs_attention')
    s = await w.call('bridges.resolve', { id, decision: 'applied' })
    expect(s.attention).toBeNull()
    expect(s.acked).toEqual({ u: 1000, d: 1000 })
    w.move('1', 1, 0)
    s = await w.call('bridges.runNow', { id })
    expect(s.state).toBe('idle')
    expect(w.panel(1)).toEqual({ u: 401, d: 400 })
  })

  it('preview: rules, case-insensitive emails, duplicates, ambiguity and unmatched names', async () => {
    const w = await world({
      mu: {
        users: [
          { id: 1, email: 'ann@example.com', port: 20001 },
          { id: 2, email: 'bo@example.com', port: 20002 },
          { id: 3, email: 'cy@example.com', port: 20002 },
          { id: 4, email: 'CY@example.com', port: 20004 },
        ],
        nodes: [{ id: 7 }],
      },
    })
    for (const n of ['ANN@example.com', 'ann@example.com', 'bo@example.com', 'cy@example.com']) {
      w.move(n, 1, 1)
    }
    w.move('nobody@example.com', 1, 1)
    w.move('20002', 1, 1)
    w.move('20004', 1, 1)
    const byEmail = await w.call('bridges.preview', {
      sourceId: w.hyId,
      panelId: w.muId,
      nodeId: 7,
      rule: 'email',
    })
    expect(byEmail).toMatchObject({ sourceUsers: 7, panelUsers: 4, panelList: 'node' })
    expect(byEmail.matched).toEqual([
      { name: 'ANN@example.com', userId: 1, email: 'ann@example.com', port: 20001 },
      { name: 'ann@example.com', userId: 1, email: 'ann@example.com', port: 20001 },
      { name: 'bo@example.com', userId: 2, email: 'bo@example.com', port: 20002 },
    ])
    expect(byEmail.duplicates).toEqual([
      { userId: 1, names: ['ANN@example.com', 'ann@example.com'] },
    ])
    expect(byEmail.ambiguous).toEqual([{ name: 'cy@example.com', userIds: [3, 4] }])
    expect(byEmail.unmatched).toEqual(['20002', '20004', 'cy@example.com', 'nobody@example.com'])
    const byPort = await w.call('bridges.preview', {
      sourceId: w.hyId,
      panelId: w.muId,
      nodeId: 7,
      rule: 'port',
    })
    expect(byPort.matched.map((m) => [m.name, m.userId])).toEqual([['20004', 4]])
    expect(byPort.ambiguous).toEqual([{ name: '20002', userIds: [2, 3] }])
  })

  it('refuses a clear-on-read source, a non-panel and a second bridge of the same pair', async () => {
    const w = await world({ clearOnRead: true })
    const e1 = await w
      .call('bridges.add', { draft: { sourceId: w.hyId, panelId: w.muId, nodeId: 7 } })
      .catch((e: AppErrorException) => e.appError)
    expect(e1).toMatchObject({ code: 'invalid_input', serverId: w.hyId })
    expect((e1 as { message: string }).message).toMatch(/clear-on-read/)
    const e2 = await w
      .call('bridges.add', { draft: { sourceId: w.muId, panelId: w.hyId, nodeId: 7 } })
      .catch((e: AppErrorException) => e.appError)
    expect(e2).toMatchObject({ code: 'invalid_input', serverId: w.muId })
    expect((e2 as { message: string }).message).toMatch(/reads Hysteria 2 or HY2 SCALE/)
    await w.call('servers.update', {
      id: w.hyId,
      draft: {
        kind: 'hysteria2',
        name: 'hy',
        url: w.hy.url,
        group: '',
        tags: [],
        pollIntervalSec: 10,
        tls: {},
        options: {},
      },
    })
    await addBridge(w)
    const e3 = await w
      .call('bridges.add', { draft: { sourceId: w.hyId, panelId: w.muId, nodeId: 8 } })
      .catch((e: AppErrorException) => e.appError)
    expect((e3 as { message: string }).message).toMatch(/count every byte twice/)
  })

  it('a panel without the node list and the online route (the wiki’s three routes)', async () => {
    const w = await world({ mu: { variant: 'seed', routes: 'documented', nodes: [{ id: 7 }] } })
    const id = await addBridge(w)
    w.move('2', 50, 60)
    const s = await w.call('bridges.runNow', { id })
    expect(s.state).toBe('idle')
    expect(w.panel(2)).toEqual({ u: 50, d: 60 })
    // The online count fails, shown, without blocking the traffic.
    expect(s.online.error).toMatchObject({ code: 'not_found', serverId: w.muId })
    const preview = await w.call('bridges.preview', {
      sourceId: w.hyId,
      panelId: w.muId,
      nodeId: 7,
      rule: 'id',
    })
    expect(preview.panelList).toBe('all')
  })

  it('update: settings change, source and panel stay; an empty name gets the default', async () => {
    const w = await world()
    const id = await addBridge(w, { name: 'mine' })
    const v = await w.call('bridges.update', {
      id,
      patch: { name: '', rule: 'email', intervalSec: 120, trafficRate: 1.5, reportOnline: false },
    })
    expect(v.config).toMatchObject({
      id,
      name: 'hy → panel #7',
      rule: 'email',
      intervalSec: 120,
      trafficRate: 1.5,
      reportOnline: false,
      sourceId: w.hyId,
      panelId: w.muId,
    })
    const e = await w
      .call('bridges.update', { id, patch: { intervalSec: 5 } })
      .catch((x: AppErrorException) => x.appError)
    expect(e).toMatchObject({ code: 'invalid_input' })
    const saved = JSON.parse(readFileSync(join(w.dataDir, 'config.json'), 'utf8')) as {
      bridges: unknown[]
    }
    expect(saved.bridges).toEqual([v.config])
  })

  it('a bridge config.json lost is resumed from its journal when added again (no re-report)', async () => {
    const w = await world()
    const id = await addBridge(w)
    w.move('1', 10, 10)
    await w.call('bridges.runNow', { id })
    // Another process rewrote config.json from an older copy: the bridge is gone from it.
    const cfgPath = join(w.dataDir, 'config.json')
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8')) as { bridges: unknown[] }
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, bridges: [] }))
    const again = await createCore({
      dataDir: w.dataDir,
      credentials: w.store,
      host: 'cli',
      capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
      manual: true,
    })
    cleanups.push(() => again.stop())
    const conn = again.connect(() => undefined)
    cleanups.push(() => conn.close())
    const r = await conn.call('bridges.add', {
      draft: { sourceId: w.hyId, panelId: w.muId, nodeId: 7 },
    })
    expect(r).toEqual({ ok: true, data: { id } })
    w.move('1', 1, 0)
    const s = await again.bridges.runOnce(id)
    expect(s.acked).toEqual({ u: 11, d: 10 })
    expect(w.panel(1)).toEqual({ u: 11, d: 10 })
  })

  it('remove: refused while bytes wait unless forced; the journal is kept aside', async () => {
    const w = await world()
    const id = await addBridge(w)
    w.move('9', 5, 5) // no panel user 9: unmatched
    await w.call('bridges.runNow', { id })
    const e = await w.call('bridges.remove', { id }).catch((x: AppErrorException) => x.appError)
    expect(e).toMatchObject({ code: 'invalid_input', params: { unmatched: 1 } })
    await w.call('bridges.remove', { id, force: true })
    expect(await w.call('bridges.list', undefined)).toEqual([])
    const files = readdirSync(join(w.dataDir, 'bridges'))
    expect(files.some((f) => f.startsWith(`${id}.json.removed-`))).toBe(true)
    expect(files).not.toContain(`${id}.json`)
  })

  it('removing its server stops a bridge with an error naming it', async () => {
    const w = await world()
    const id = await addBridge(w)
    await w.call('servers.remove', { id: w.muId })
    const [b] = await w.call('bridges.list', undefined)
    expect(b?.status).toMatchObject({
      state: 'error',
      error: { code: 'not_found', serverId: w.muId },
    })
    const s = await w.call('bridges.runNow', { id })
    expect(s.error).toMatchObject({ code: 'not_found', serverId: w.muId })
    expect(w.events.some((e) => e.name === 'bridges.status')).toBe(true)
  })

  it('a core that runs in the background starts enabled bridges, and another core is refused', async () => {
    const w = await world({ manual: false })
    w.move('1', 7, 8)
    // The monitor's reading (up to 15 s old) is what a background bridge uses: make it current.
    await w.call('servers.refresh', { id: w.hyId })
    const id = await addBridge(w, { intervalSec: 3600 })
    w.core.start()
    await until(() => w.panel(1).u === 7)
    expect(w.panel(1)).toEqual({ u: 7, d: 8 })
    // A second process on the same data dir (here: a second core) must not report it too.
    const other = await createCore({
      dataDir: w.dataDir,
      credentials: w.store,
      host: 'cli',
      capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
      manual: true,
    })
    cleanups.push(() => other.stop())
    const s = await other.bridges.runOnce(id)
    expect(s.state).toBe('error')
    expect(s.error?.message).toMatch(/already running in nodedeck bridge run \(process \d+/)
    const off = await w.call('bridges.setEnabled', { id, enabled: false })
    expect(off.state).toBe('paused')
    expect((await other.bridges.runOnce(id)).error).toBeNull()
  })

  it('HY2 SCALE: one total per account, reported as download', async () => {
    const hs = await startHy2ScaleEmulator({ password: 'hs-pass' })
    cleanups.push(() => hs.close())
    const w = await world()
    const { id: hsId } = await w.call('servers.add', {
      draft: {
        kind: 'hy2scale',
        name: 'hs',
        url: hs.url,
        group: '',
        tags: [],
        pollIntervalSec: 10,
        tls: {},
        options: { username: 'admin' },
      },
      secret: 'hs-pass',
    })
    for (const name of ['1', '2']) {
      await w.call('accounts.create', {
        serverId: hsId,
        draft: { name, password: `pw-${name}-123` },
      })
    }
    hs.recordUserTraffic('1', 5000)
    hs.recordUserTraffic('2', 70)
    const { id } = await w.call('bridges.add', {
      draft: { sourceId: hsId, panelId: w.muId, nodeId: 7 },
    })
    let s = await w.call('bridges.runNow', { id })
    expect(s.error).toBeNull()
    expect(w.panel(1)).toEqual({ u: 0, d: 5000 })
    expect(w.panel(2)).toEqual({ u: 0, d: 70 })
    hs.recordUserTraffic('1', 1)
    s = await w.call('bridges.runNow', { id })
    expect(w.panel(1)).toEqual({ u: 0, d: 5001 })
    expect(s.acked).toEqual({ u: 0, d: 5071 })
  })
})

/** Waits for a condition (a background task's effect); fails after 10 s. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}
