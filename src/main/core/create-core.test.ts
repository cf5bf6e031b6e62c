import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {
  AppError,
  EventName,
  ServerDraftInput,
  ServerView,
  UsersSnapshot,
} from '../../shared/contract'
import type { RpcResult } from '../../shared/rpc/protocol'
import { createCore, type Core, type CoreConnection, type EventSender } from './create-core'
import { FakeCredentialStore } from './testing/fake-credential-store'
import { FakeHysteria2Server } from './testing/fake-hysteria2-server'

const SECRET = 'hy2-Secret-Value-9f8e7d'

let dir = ''
let store: FakeCredentialStore
let hy: FakeHysteria2Server
const cores: Core[] = []

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nodedeck-core-'))
  store = new FakeCredentialStore()
  hy = new FakeHysteria2Server(SECRET)
  await hy.start()
})

afterEach(async () => {
  while (cores.length > 0) await cores.pop()?.stop()
  await hy.stop()
  await rm(dir, { recursive: true, force: true })
})

async function makeCore(): Promise<Core> {
  const core = await createCore({
    dataDir: dir,
    credentials: store,
    host: 'cli',
    capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
    validateOutput: true,
  })
  cores.push(core)
  return core
}

interface Conn {
  conn: CoreConnection
  events: Array<{ name: EventName; payload: unknown }>
  call<T = unknown>(method: string, input?: unknown): Promise<T>
  fail(method: string, input?: unknown): Promise<AppError>
}

function connect(core: Core): Conn {
  const events: Conn['events'] = []
  const send: EventSender = (name, payload) => {
    events.push({ name, payload })
  }
  const conn = core.connect(send)
  const raw = (method: string, input?: unknown): Promise<RpcResult> => conn.call(method, input)
  return {
    conn,
    events,
    async call<T>(method: string, input?: unknown): Promise<T> {
      const r = await raw(method, input)
      if (!r.ok) throw new Error(`${method} failed: ${r.error.code} ${r.error.message}`)
      return r.data as T
    },
    async fail(method: string, input?: unknown): Promise<AppError> {
      const r = await raw(method, input)
      if (r.ok) throw new Error(`${method} should have failed`)
      return r.error
    },
  }
}

function draft(extra: Partial<ServerDraftInput> = {}): ServerDraftInput {
  return { kind: 'hysteria2', name: 'Tokyo 1', url: hy.url, pollIntervalSec: 2, ...extra }
}

async function configText(): Promise<string> {
  return readFile(join(dir, 'config.json'), 'utf8').catch(() => '')
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('createCore: servers', () => {
  it('add → id; the secret goes to the credential store, never to config.json', async () => {
    const c = connect(await makeCore())
    const { id } = await c.call<{ id: string }>('servers.add', {
      draft: draft({ options: { clearOnRead: false, secret: 'OPTION-SECRET' } as never }),
      secret: SECRET,
    })
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(store.peek(id, 'secret')).toBe(SECRET)
    const text = await configText()
    expect(text).toContain(id)
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain('OPTION-SECRET')
    expect(text).not.toMatch(/"secret"/)
    const cfg = JSON.parse(text) as { servers: Array<{ url: string; options: unknown }> }
    expect(cfg.servers[0]?.options).toEqual({ clearOnRead: false })

    const list = await c.call<ServerView[]>('servers.list')
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ id, name: 'Tokyo 1', url: hy.url, hasSecret: true })
    expect(JSON.stringify(list)).not.toContain(SECRET)
    // Everybody heard of the change; no event carries the secret.
    expect(c.events.some((e) => e.name === 'servers.changed')).toBe(true)
    await until(() => hy.requests.length >= 2)
    expect(JSON.stringify(c.events)).not.toContain(SECRET)
  })

  it('strips a trailing slash from the URL and fills the defaults', async () => {
    const c = connect(await makeCore())
    await c.call('servers.add', { draft: { kind: 'hysteria2', name: 'x', url: `${hy.url}//` } })
    const [s] = await c.call<ServerView[]>('servers.list')
    expect(s).toMatchObject({
      url: hy.url,
      group: '',
      tags: [],
      pollIntervalSec: 10,
      hasSecret: false,
    })
  })

  it('refuses a duplicate name (case-insensitive) and saves nothing', async () => {
    const c = connect(await makeCore())
    await c.call('servers.add', { draft: draft(), secret: SECRET })
    const before = await configText()
    const calls = store.calls.length
    const e = await c.fail('servers.add', { draft: draft({ name: '  tokyo 1 ' }), secret: 'other' })
    expect(e.code).toBe('invalid_input')
    expect(e.params).toMatchObject({ field: 'name' })
    expect(await configText()).toBe(before)
    expect(store.calls.length).toBe(calls) // the keychain was not touched
    expect(await c.call<ServerView[]>('servers.list')).toHaveLength(1)
  })

  it('add fails cleanly when the keychain is unreachable: nothing saved anywhere', async () => {
    const c = connect(await makeCore())
    store.unreachable = true
    const e = await c.fail('servers.add', { draft: draft(), secret: SECRET })
    expect(e.code).toBe('keychain')
    expect(e.message).not.toContain(SECRET)
    expect(await configText()).toBe('')
    expect(store.entries.size).toBe(0)
    expect(await c.call<ServerView[]>('servers.list')).toEqual([])
    store.unreachable = false
    const info = await c.call<{ keychain: { ok: boolean } }>('app.info')
    expect(info.keychain.ok).toBe(true)
  })

  it('add whose config write fails removes the secret it stored', async () => {
    const c = connect(await makeCore())
    await mkdir(join(dir, 'config.json')) // the atomic rename onto it fails
    const e = await c.fail('servers.add', { draft: draft(), secret: SECRET })
    expect(e.code).toBe('storage')
    expect(e.message).not.toContain(SECRET)
    expect(store.entries.size).toBe(0)
    expect(await c.call<ServerView[]>('servers.list')).toEqual([])
    expect((await readdir(dir)).filter((f) => f.endsWith('.tmp'))).toEqual([])
  })

  it('update: keeps, replaces or deletes the secret; refuses a name taken by another server', async () => {
    const c = connect(await makeCore())
    const { id } = await c.call<{ id: string }>('servers.add', { draft: draft(), secret: SECRET })
    const { id: other } = await c.call<{ id: string }>('servers.add', {
      draft: draft({ name: 'Osaka' }),
    })

    const v1 = await c.call<ServerView>('servers.update', {
      id,
      draft: draft({ name: 'Tokyo One', group: 'jp' }),
    })
    expect(v1).toMatchObject({ id, name: 'Tokyo One', group: 'jp', hasSecret: true })
    expect(store.peek(id, 'secret')).toBe(SECRET)

    const v2 = await c.call<ServerView>('servers.update', {
      id,
      draft: draft({ name: 'Tokyo One' }),
      secret: 'NEW-SECRET-1',
    })
    expect(v2.hasSecret).toBe(true)
    expect(store.peek(id, 'secret')).toBe('NEW-SECRET-1')

    const v3 = await c.call<ServerView>('servers.update', {
      id,
      draft: draft({ name: 'Tokyo One' }),
      secret: '',
    })
    expect(v3.hasSecret).toBe(false)
    expect(store.peek(id, 'secret')).toBeUndefined()

    const e = await c.fail('servers.update', { id, draft: draft({ name: 'OSAKA' }) })
    expect(e.code).toBe('invalid_input')
    // Renaming a server to its own name in another case is fine.
    await c.call('servers.update', { id: other, draft: draft({ name: 'osaka' }) })

    const nf = await c.fail('servers.update', { id: 'nope', draft: draft({ name: 'Z' }) })
    expect(nf.code).toBe('not_found')

    const text = await configText()
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain('NEW-SECRET-1')
    expect(text).toContain('Tokyo One')
  })

  it('remove deletes the server and all its secrets', async () => {
    const c = connect(await makeCore())
    const { id } = await c.call<{ id: string }>('servers.add', { draft: draft(), secret: SECRET })
    store.entries.set(`${id}\u0000other`, 'another-secret')
    expect(await c.call('servers.remove', { id })).toEqual({ ok: true })
    expect(store.countFor(id)).toBe(0)
    expect(await c.call<ServerView[]>('servers.list')).toEqual([])
    expect(await configText()).not.toContain(id)
    expect((await c.fail('servers.remove', { id })).code).toBe('not_found')
  })

  it('remove with the keychain unreachable fails and keeps the server', async () => {
    const c = connect(await makeCore())
    const { id } = await c.call<{ id: string }>('servers.add', { draft: draft(), secret: SECRET })
    store.unreachable = true
    expect((await c.fail('servers.remove', { id })).code).toBe('keychain')
    store.unreachable = false
    expect(await c.call<ServerView[]>('servers.list')).toHaveLength(1)
    expect(store.peek(id, 'secret')).toBe(SECRET)
  })

  it('config survives a restart; the secret is read back from the store', async () => {
    const c = connect(await makeCore())
    const { id } = await c.call<{ id: string }>('servers.add', { draft: draft(), secret: SECRET })
    const c2 = connect(await makeCore())
    const list = await c2.call<ServerView[]>('servers.list')
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({ id, hasSecret: true })
    const snap = await c2.call<UsersSnapshot>('users.list', { serverId: id })
    expect(snap.error).toBeNull()
  })

  it('refuses invalid input before doing anything', async () => {
    const c = connect(await makeCore())
    const e = await c.fail('servers.add', {
      draft: { ...draft(), url: 'http://user:pw@h:1' },
      secret: SECRET,
    })
    expect(e.code).toBe('invalid_input')
    expect(e.message).not.toContain('pw@')
    expect(store.calls).toEqual([])
    expect((await c.fail('servers.nope', {})).code).toBe('unsupported')
  })
})

describe('createCore: monitoring through a fake Hysteria 2 server', () => {
  it('users.list: up = tx (client upload), down = rx (client download), devices from /online', async () => {
    hy.traffic = { alice: { tx: 1000, rx: 50_000 }, bob: { tx: 7, rx: 9 } }
    hy.online = { alice: 2 }
    const c = connect(await makeCore())
    const { id } = await c.call<{ id: string }>('servers.add', { draft: draft(), secret: SECRET })
    const snap = await c.call<UsersSnapshot>('users.list', { serverId: id })
    expect(snap.serverId).toBe(id)
    expect(snap.stale).toBe(false)
    expect(snap.users.find((u) => u.name === 'alice')).toMatchObject({
      up: 1000,
      down: 50_000,
      devices: 2,
      online: true,
      upRate: null,
      downRate: null,
    })
    expect(snap.users.find((u) => u.name === 'bob')).toMatchObject({
      up: 7,
      down: 9,
      devices: 0,
      online: false,
    })
    // apis.md §1: the raw secret is the whole header, no scheme; no clear unless asked.
    expect(hy.authHeaders.every((h) => h === SECRET)).toBe(true)
    expect(hy.requests.every((r) => !r.includes('clear'))).toBe(true)
    expect((await c.fail('users.list', { serverId: 'nope' })).code).toBe('not_found')
  })

  it('users.list with a wrong stored secret answers the auth error', async () => {
    const c = connect(await makeCore())
    const { id } = await c.call<{ id: string }>('servers.add', {
      draft: draft(),
      secret: 'wrong-secret',
    })
    const e = await c.fail('users.list', { serverId: id })
    expect(e.code).toBe('auth')
    expect(e.serverId).toBe(id)
    expect(e.message).not.toContain('wrong-secret')
  })

  it('live.watch: the watching connection receives users.snapshot events, others do not', async () => {
    hy.traffic = { alice: { tx: 1, rx: 2 } }
    const core = await makeCore()
    const a = connect(core)
    const b = connect(core)
    const { id } = await a.call<{ id: string }>('servers.add', { draft: draft(), secret: SECRET })
    core.start()
    expect(await a.call('live.watch', { serverId: id })).toEqual({ ok: true })
    await until(() => a.events.some((e) => e.name === 'users.snapshot'))
    const snap = a.events.find((e) => e.name === 'users.snapshot')?.payload as UsersSnapshot
    expect(snap.serverId).toBe(id)
    expect(snap.users[0]).toMatchObject({ name: 'alice', up: 1, down: 2 })
    // Status events go to everyone; users snapshots only to watchers.
    await until(() => b.events.some((e) => e.name === 'server.status'))
    expect(b.events.some((e) => e.name === 'users.snapshot')).toBe(false)

    // After unwatch (or close) no more snapshots.
    await a.call('live.unwatch', { serverId: id })
    const n = a.events.filter((e) => e.name === 'users.snapshot').length
    await a.call('servers.refresh', { id })
    expect(a.events.filter((e) => e.name === 'users.snapshot').length).toBe(n)

    // Watching a server that already has data sends it at once.
    await b.call('live.watch', { serverId: id })
    expect(b.events.some((e) => e.name === 'users.snapshot')).toBe(true)
    b.conn.close()
    const m = b.events.length
    await a.call('servers.refresh', { id })
    expect(b.events.length).toBe(m)
  })

  it('servers.test never clears counters, even for a clear-on-read server', async () => {
    const c = connect(await makeCore())
    hy.requests.length = 0
    const r = await c.call<{ state: string }>('servers.test', {
      draft: draft({ options: { clearOnRead: true } }),
      secret: SECRET,
    })
    expect(r.state).toBe('online')
    expect(hy.requests.some((x) => x.startsWith('GET /traffic'))).toBe(true)
    expect(hy.requests.filter((x) => x.includes('clear'))).toEqual([])
  })

  it('servers.test: auth_failed for a wrong secret, online for the right one, stored secret with id', async () => {
    const c = connect(await makeCore())
    const wrong = await c.call<{ state: string; error: AppError | null }>('servers.test', {
      draft: draft(),
      secret: 'not-the-secret',
    })
    expect(wrong.state).toBe('auth_failed')
    expect(wrong.error?.code).toBe('auth')
    expect(JSON.stringify(wrong)).not.toContain('not-the-secret')

    const none = await c.call<{ state: string }>('servers.test', { draft: draft() })
    expect(none.state).toBe('auth_failed')

    const right = await c.call<{ state: string; latencyMs: number | null }>('servers.test', {
      draft: draft(),
      secret: SECRET,
    })
    expect(right.state).toBe('online')
    expect(right.latencyMs).not.toBeNull()

    // Testing does not save anything.
    expect(await c.call<ServerView[]>('servers.list')).toEqual([])
    expect(store.entries.size).toBe(0)

    const { id } = await c.call<{ id: string }>('servers.add', { draft: draft(), secret: SECRET })
    const stored = await c.call<{ state: string }>('servers.test', { draft: draft(), id })
    expect(stored.state).toBe('online')

    const offline = await c.call<{ state: string; error: AppError | null }>('servers.test', {
      draft: draft({ url: 'http://127.0.0.1:1' }),
    })
    expect(offline.state).toBe('offline')
    expect(offline.error?.code).toBe('network')
  })

  it('users.kick posts the names to /kick', async () => {
    const c = connect(await makeCore())
    const { id } = await c.call<{ id: string }>('servers.add', { draft: draft(), secret: SECRET })
    expect(await c.call('users.kick', { serverId: id, users: ['alice', 'bob'] })).toEqual({
      ok: true,
    })
    expect(hy.kicked).toEqual([['alice', 'bob']])
  })
})

describe('createCore: settings', () => {
  it('settings.set persists, changes only the given keys and tells every connection', async () => {
    const core = await makeCore()
    const a = connect(core)
    const b = connect(core)
    expect(await a.call('settings.get')).toEqual({ locale: null, theme: 'system' })
    expect(await a.call('settings.set', { locale: 'zh-CN' })).toEqual({
      locale: 'zh-CN',
      theme: 'system',
    })
    expect(await a.call('settings.set', { theme: 'dark' })).toEqual({
      locale: 'zh-CN',
      theme: 'dark',
    })
    expect(b.events.filter((e) => e.name === 'settings.changed').map((e) => e.payload)).toEqual([
      { locale: 'zh-CN', theme: 'system' },
      { locale: 'zh-CN', theme: 'dark' },
    ])
    const again = connect(await makeCore())
    expect(await again.call('settings.get')).toEqual({ locale: 'zh-CN', theme: 'dark' })
    expect(JSON.parse(await configText()).settings).toEqual({ locale: 'zh-CN', theme: 'dark' })
    // An explicit undefined (kept by structured-clone IPC) changes nothing.
    expect(await a.call('settings.set', { theme: undefined })).toEqual({
      locale: 'zh-CN',
      theme: 'dark',
    })
    expect((await a.fail('settings.set', { theme: 'neon' })).code).toBe('invalid_input')
  })

  it('app.info reports a config problem and the keychain state', async () => {
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(dir, 'config.json'), '{not json')
    store.unreachable = true
    const c = connect(await makeCore())
    const info = await c.call<{
      configProblem: string | null
      keychain: { ok: boolean; message: string | null }
    }>('app.info')
    expect(info.configProblem).toMatch(/not valid JSON/)
    expect(info.keychain.ok).toBe(false)
    expect(info.keychain.message).toMatch(/keychain/)
  })
})
