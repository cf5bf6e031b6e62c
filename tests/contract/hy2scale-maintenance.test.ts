/**
 * Contract tests: HY2 SCALE maintenance (settings, admin login, backup/restore, build info,
 * upgrades) and live streams through the real core (`createCore`, output validation on) against
 * the emulator (apis.md §2).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {
  AppError,
  EventName,
  MethodInput,
  MethodName,
  MethodOutput,
  ServerView,
  StreamBatch,
} from '../../src/shared/contract'
import { createCore, type Core, type CoreConnection } from '../../src/main/core/create-core'
import { FakeCredentialStore } from '../../src/main/core/testing/fake-credential-store'
import { startHy2ScaleEmulator, type Hy2ScaleEmulator } from '../../emulators/hy2scale/server'

const PASSWORD = 'Adm1n-Plaintext-Only-Here!'
const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

interface Client {
  conn: CoreConnection
  events: Array<{ name: EventName; payload: unknown }>
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>
  fail<M extends MethodName>(method: M, input: MethodInput<M>): Promise<AppError>
  /** The `stream.batch` events received so far. */
  batches(stream?: string): StreamBatch[]
}

interface World extends Client {
  emu: Hy2ScaleEmulator
  core: Core
  store: FakeCredentialStore
  serverId: string
  /** Another UI connected to the same core. */
  connect(): Client
  view(): Promise<ServerView>
  /** A direct call to the node's API with its own login. */
  node<T = unknown>(method: string, path: string, body?: unknown, password?: string): Promise<T>
  logins(): number
}

async function world(): Promise<World> {
  const emu = await startHy2ScaleEmulator({ password: PASSWORD })
  cleanups.push(() => emu.close())
  const dir = await mkdtemp(join(tmpdir(), 'nodedeck-hy2maint-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  const store = new FakeCredentialStore()
  const core = await createCore({
    dataDir: dir,
    credentials: store,
    host: 'cli',
    capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
    manual: true,
    validateOutput: true,
  })
  cleanups.push(() => core.stop())

  const connect = (): Client => {
    const events: Array<{ name: EventName; payload: unknown }> = []
    const conn = core.connect((name, payload) => events.push({ name, payload }))
    cleanups.push(() => conn.close())
    return {
      conn,
      events,
      async call(method, input) {
        const r = await conn.call(method, input)
        if (!r.ok) throw new Error(`${method} failed: ${r.error.code} ${r.error.message}`)
        return r.data as never
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
          .filter((b) => stream === undefined || b.stream === stream),
    }
  }
  const main = connect()
  const { id: serverId } = await main.call('servers.add', {
    draft: {
      kind: 'hy2scale',
      name: 'node',
      url: emu.url,
      pollIntervalSec: 2,
      options: { username: 'admin' },
    },
    secret: PASSWORD,
  })
  await main.call('servers.refresh', { id: serverId })

  let token: string | null = null
  async function node<T>(
    method: string,
    path: string,
    body?: unknown,
    password = PASSWORD,
  ): Promise<T> {
    if (token === null || !emu.tokens().includes(token)) {
      const r = await fetch(`${emu.url}/api/login`, {
        method: 'POST',
        body: JSON.stringify({ username: 'admin', password: sha256Hex(password) }),
      })
      token = ((await r.json()) as { token: string }).token
    }
    const r = await fetch(`${emu.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await r.text()
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
    return (r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T
  }

  return {
    ...main,
    emu,
    core,
    store,
    serverId,
    connect,
    async view() {
      const v = (await main.call('servers.list', undefined)).find((s) => s.id === serverId)
      if (!v) throw new Error('server vanished')
      return v
    },
    node,
    logins: () =>
      emu.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/api/login')).length,
  }
}

async function waitFor<T>(what: string, fn: () => T | undefined | null | false, ms = 8000) {
  const until = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('HY2 SCALE maintenance contract (apis.md §2)', () => {
  it('backup → restore round trip; the node restarts and NodeDeck logs in again', async () => {
    const w = await world()
    const before = await w.call('hy2scale.overview', { serverId: w.serverId })
    const backup = await w.call('hy2scale.backup', { serverId: w.serverId })
    expect(backup.filename).toMatch(/^hy2scale-backup-\d{8}-\d{6}\.tar$/)
    const tar = Buffer.from(backup.tarBase64, 'base64')
    expect(tar.byteLength).toBe(backup.size)
    // A tar: the ustar magic at offset 257 of the first header.
    expect(tar.subarray(257, 262).toString('latin1')).toBe('ustar')

    await w.call('hy2scale.updateNode', { serverId: w.serverId, patch: { name: 'changed' } })
    expect((await w.call('hy2scale.overview', { serverId: w.serverId })).node.name).toBe('changed')

    const restored = await w.call('hy2scale.restore', {
      serverId: w.serverId,
      tarBase64: backup.tarBase64,
    })
    expect(restored.message).toMatch(/restart/i)
    const restore = w.emu.requests.find((r) => r.path.endsWith('/api/restore'))
    expect(restore?.headers['content-type']).toBe('application/x-tar')

    // The node exits 0.5 s later; every token is gone.
    await sleep(700)
    expect(w.emu.tokens()).toEqual([])
    const logins = w.logins()
    await w.call('servers.refresh', { id: w.serverId })
    expect((await w.view()).status.state).toBe('online')
    expect(w.logins()).toBeGreaterThan(logins)
    const after = await w.call('hy2scale.overview', { serverId: w.serverId })
    expect(after.node.name).toBe(before.node.name)
  })

  it('refuses a restore that is not base64 or too large, before calling the node', async () => {
    const w = await world()
    const bad = await w.fail('hy2scale.restore', { serverId: w.serverId, tarBase64: '***' })
    expect(bad.code).toBe('invalid_input')
    expect(w.emu.requests.some((r) => r.path.endsWith('/api/restore'))).toBe(false)
  })

  it('changePassword stores the new password so the monitor stays online after a restart', async () => {
    const w = await world()
    const next = 'A-Brand-New-Secret-42'
    const r = await w.call('hy2scale.changePassword', {
      serverId: w.serverId,
      currentPassword: PASSWORD,
      newPassword: next,
    })
    expect(r).toEqual({ ok: true, loggedIn: true })
    expect(w.store.peek(w.serverId, 'password')).toBe(next)
    // Nothing secret comes back, and the plaintext never went on the wire.
    expect(JSON.stringify(r)).not.toContain(next)
    for (const req of w.emu.requests) expect(req.body ?? '').not.toContain(next)

    w.emu.restart()
    await w.call('servers.refresh', { id: w.serverId })
    const v = await w.view()
    expect(v.status.state).toBe('online')
    const last = w.emu.requests.filter((q) => q.path.endsWith('/api/login')).at(-1)
    expect(JSON.parse(last?.body ?? '{}')).toEqual({ username: 'admin', password: sha256Hex(next) })
  })

  it('changePassword with a new user name updates the server options too', async () => {
    const w = await world()
    await w.call('hy2scale.changePassword', {
      serverId: w.serverId,
      currentPassword: PASSWORD,
      newPassword: 'Other-Secret-99',
      newUsername: 'root',
    })
    expect((await w.view()).options.username).toBe('root')
    w.emu.restart()
    await w.call('servers.refresh', { id: w.serverId })
    expect((await w.view()).status.state).toBe('online')
  })

  it('a wrong current password is an auth error and nothing is stored', async () => {
    const w = await world()
    const e = await w.fail('hy2scale.changePassword', {
      serverId: w.serverId,
      currentPassword: 'wrong',
      newPassword: 'whatever-123',
    })
    expect(e.code).toBe('auth')
    expect(w.store.peek(w.serverId, 'password')).toBe(PASSWORD)
  })

  it('settings: get, and save passes the node note through (restart for listen/base path)', async () => {
    const w = await world()
    const s = await w.call('hy2scale.settings.get', { serverId: w.serverId })
    expect(s.sessionTimeoutH).toBe(12)
    expect(s.dns).toBe('8.8.8.8,1.1.1.1')
    const live = await w.call('hy2scale.settings.save', {
      serverId: w.serverId,
      patch: { dns: '1.1.1.1', sessionTimeoutH: 24 },
    })
    expect(live).toEqual({ note: 'applied live', restartRequired: false })
    const restart = await w.call('hy2scale.settings.save', {
      serverId: w.serverId,
      patch: { listen: '0.0.0.0:5566' },
    })
    expect(restart.note).toMatch(/restart/)
    expect(restart.restartRequired).toBe(true)
    const again = await w.call('hy2scale.settings.get', { serverId: w.serverId })
    expect(again).toMatchObject({ dns: '1.1.1.1', sessionTimeoutH: 24, listen: '0.0.0.0:5566' })
  })

  it('build info, arch and upgrade check/status', async () => {
    const w = await world()
    const b = await w.call('hy2scale.buildInfo', { serverId: w.serverId })
    expect(b.version).not.toBe('')
    expect(b.goDepsCount).toBeGreaterThanOrEqual(0)
    const a = await w.call('hy2scale.arch', { serverId: w.serverId })
    expect(a.inDocker).toBe(false)
    const c = await w.call('hy2scale.upgrade.check', { serverId: w.serverId })
    expect(typeof c.updateAvailable).toBe('boolean')
    const st = await w.call('hy2scale.upgrade.status', { serverId: w.serverId })
    expect(typeof st.state).toBe('string')
  })

  it('upgrade download/apply outside Docker: the 403 is explained', async () => {
    const w = await world()
    for (const m of ['hy2scale.upgrade.apply', 'hy2scale.upgrade.download'] as const) {
      const e = await w.fail(m, { serverId: w.serverId })
      expect(e.code).toBe('unsupported')
      expect(e.message).toMatch(/only for nodes running in Docker/)
      expect(e.serverId).toBe(w.serverId)
    }
  })
})

describe('live streams (streams.watch / stream.batch)', () => {
  it('graph-layout: snapshot, then a frame per PUT; one upstream for two connections; no token leaks', async () => {
    const w = await world()
    const streamReqs = () =>
      w.emu.requests.filter((r) => r.path.includes('/api/graph-layout/stream'))

    await w.call('streams.watch', { serverId: w.serverId, stream: 'graph-layout' })
    await waitFor('the snapshot', () =>
      w.batches('graph-layout').some((b) => b.frames.length === 1),
    )
    const first = w.batches('graph-layout').find((b) => b.frames.length > 0)
    expect(first?.frames[0]).toEqual({ positions: {} })
    await waitFor('live', () => w.batches().some((b) => b.state?.status === 'live'))

    await w.node('PUT', '/api/graph-layout', { positions: { n1: { x: 10, y: 20 } } })
    await waitFor('the frame after PUT', () =>
      w
        .batches('graph-layout')
        .some((b) => b.frames.some((f) => JSON.stringify(f).includes('"n1"'))),
    )

    const other = w.connect()
    await other.call('streams.watch', { serverId: w.serverId, stream: 'graph-layout' })
    // The second connection gets the latest snapshot at once, from the shared upstream.
    const initial = other.batches('graph-layout')[0]
    expect(initial?.frames).toEqual([{ positions: { n1: { x: 10, y: 20 } } }])
    expect(initial?.state?.status).toBe('live')
    await sleep(150)
    expect(streamReqs()).toHaveLength(1)
    expect(streamReqs()[0]?.headers.authorization).toBeUndefined()
    expect(streamReqs()[0]?.path).toMatch(/\?token=[0-9a-f]+/)

    // The node restarts: the stream drops, reconnects (401 → login → fresh token) and lives.
    w.emu.restart()
    await waitFor('reconnecting', () => w.batches().some((b) => b.state?.status === 'reconnecting'))
    const reconnecting = w.batches().find((b) => b.state?.status === 'reconnecting')
    expect(reconnecting?.state?.error).not.toBeNull()
    expect(reconnecting?.state?.nextRetryAt).toBeGreaterThan(0)
    await waitFor(
      'live again',
      () =>
        w
          .batches()
          .filter((b) => b.state)
          .at(-1)?.state?.status === 'live',
      10_000,
    )
    expect(streamReqs().length).toBeGreaterThanOrEqual(2)

    // No token of any connection ever appears in an event or an error.
    const tokens = new Set<string>(w.emu.tokens())
    for (const r of w.emu.requests) {
      const t = /[?&]token=([^&]+)/.exec(r.path)?.[1]
      if (t) tokens.add(t)
    }
    expect(tokens.size).toBeGreaterThanOrEqual(2)
    const seen = JSON.stringify([...w.events, ...other.events])
    for (const t of tokens) expect(seen).not.toContain(t)
    expect(seen).not.toContain('token=')
  }, 20_000)

  it('unwatch and close end the upstream; an unknown stream is refused', async () => {
    const w = await world()
    const e = await w.fail('streams.watch', { serverId: w.serverId, stream: 'nope' })
    expect(e.code).toBe('unsupported')
    expect(e.message).toContain('graph-layout')

    await w.call('streams.watch', { serverId: w.serverId, stream: 'upgrade' })
    await waitFor('the upgrade snapshot', () =>
      w.batches('upgrade').some((b) => b.frames.length > 0),
    )
    const frame = w.batches('upgrade').find((b) => b.frames.length > 0)?.frames[0] as {
      state: string
    }
    expect(frame.state).toBe('idle')
    await w.call('streams.unwatch', { serverId: w.serverId, stream: 'upgrade' })
    const before = w.batches().length
    w.conn.close()
    await sleep(150)
    expect(w.batches().length).toBe(before)
  })
})
