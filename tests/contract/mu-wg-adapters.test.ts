/**
 * Contract tests: the Mu API v2 and WireGuard monitor ADAPTERS through the real core
 * (`createCore`, output validation on) against the emulators, on both variants ('upstream' and
 * 'seed'). The clients have their own contract tests (muapi.test.ts, wgmon.test.ts); these check
 * what the core makes of them: poll counters and names, health, kick by name, one request at a
 * time across UI, poll and actions.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {
  AppError,
  MethodInput,
  MethodName,
  MethodOutput,
  ServerDraftInput,
  ServerView,
} from '../../src/shared/contract'
import { createCore } from '../../src/main/core/create-core'
import { FakeCredentialStore } from '../../src/main/core/testing/fake-credential-store'
import {
  startMuApiEmulator,
  type MuApiEmulatorOptions,
  type MuApiVariant,
} from '../../emulators/muapi/server'
import {
  fakePubkey,
  startWgMonEmulator,
  type WgMonEmulatorOptions,
  type WgMonVariant,
} from '../../emulators/wgmon/server'

const KEY = 'mu-Adapter-Key-77'
const GiB = 1024 ** 3

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

/** A core on a temp data dir with one server added (not yet polled). */
async function core(draft: ServerDraftInput, secret?: string) {
  const dir = await mkdtemp(join(tmpdir(), 'nodedeck-muwg-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  const c = await createCore({
    dataDir: dir,
    credentials: new FakeCredentialStore(),
    host: 'cli',
    capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
    manual: true,
    validateOutput: true,
  })
  cleanups.push(() => c.stop())
  const conn = c.connect(() => undefined)
  cleanups.push(() => conn.close())
  const call = async <M extends MethodName>(
    method: M,
    input: MethodInput<M>,
  ): Promise<MethodOutput<M>> => {
    const r = await conn.call(method, input)
    if (!r.ok) throw new Error(`${method} failed: ${r.error.code} ${r.error.message}`)
    return r.data as MethodOutput<M>
  }
  const fail = async <M extends MethodName>(method: M, input: MethodInput<M>) => {
    const r = await conn.call(method, input)
    if (r.ok) throw new Error(`${method} should have failed`)
    return r.error
  }
  const { id } = await call('servers.add', { draft, secret })
  await call('servers.refresh', { id })
  const view = async (): Promise<ServerView> => {
    const v = (await call('servers.list', undefined)).find((s) => s.id === id)
    if (!v) throw new Error('server gone')
    return v
  }
  /** The users of a fresh poll. */
  const poll = async () => {
    await call('servers.refresh', { id })
    return call('users.list', { serverId: id })
  }
  return { serverId: id, call, fail, view, poll }
}

// ---- Mu API v2 ----------------------------------------------------------------------------------

async function muWorld(
  variant: MuApiVariant,
  opts: MuApiEmulatorOptions = {},
  server: { keyPlacement?: 'token' | 'key' | 'query'; key?: string } = {},
) {
  const emu = await startMuApiEmulator({ variant, key: KEY, ...opts })
  cleanups.push(() => emu.close())
  const c = await core(
    {
      kind: 'muapi',
      name: 'panel',
      url: emu.apiUrl,
      pollIntervalSec: 5,
      options: { keyPlacement: server.keyPlacement ?? 'token' },
    },
    server.key ?? KEY,
  )
  return { emu, ...c }
}

/** An error must never carry the key. */
function expectNoKey(e: AppError) {
  expect(e.message).not.toContain(KEY)
  expect(JSON.stringify(e.params ?? {})).not.toContain(KEY)
}

describe.each(['upstream', 'seed'] as const)('Mu API adapter (%s)', (variant) => {
  it('polls every user’s counters in the client’s direction (up = u) under its name', async () => {
    const w = await muWorld(variant, {
      fields: 'all',
      users: [
        { email: 'ann@example.com', user_name: 'ann', u: 1000, d: 5000 },
        { email: '', user_name: 'bob', u: 7, d: 9 },
        { email: '', user_name: '', u: 0, d: 0 },
      ],
    })
    const snap = await w.poll()
    expect((await w.view()).status.state).toBe('online')
    expect(snap.clearOnRead).toBe(false)
    // v3 (seed) hides user_name: without an email the name is #id
    const bob = variant === 'upstream' ? 'bob' : '#2'
    expect(snap.users.map((u) => u.name).sort()).toEqual(['#3', 'ann@example.com', bob].sort())
    const ann = snap.users.find((u) => u.name === 'ann@example.com')
    expect(ann).toMatchObject({ up: 1000, down: 5000, devices: null, online: false })

    // counters grow in steps when a node reports (× the node's rate); rates follow
    w.emu.control.setNode(1, { traffic_rate: 2 })
    const res = await fetch(`${w.emu.apiUrl}/nodes/1/traffic`, {
      method: 'POST',
      headers: { Token: KEY },
      body: JSON.stringify([{ user_id: 1, u: 100, d: 300 }]),
    })
    expect(res.status).toBe(200)
    const next = await w.poll()
    expect(next.users.find((u) => u.name === 'ann@example.com')).toMatchObject({
      up: 1200,
      down: 5600,
    })
  })

  it('answers a panel view with the health poll’s read when it is recent enough', async () => {
    const w = await muWorld(variant, { users: [{ u: 1, d: 2 }] })
    const polled = await w.poll()
    const reads = () => w.emu.requests.filter((r) => r.route === 'users').length
    const before = reads()
    const cached = await w.call('muapi.users', { serverId: w.serverId, maxAgeMs: 60_000 })
    expect(reads()).toBe(before)
    expect(cached.fetchedAt).toBe(polled.at)
    expect(cached.users[0]).toMatchObject({ up: 1, down: 2 })
    // absent or 0: a read now
    w.emu.control.setUser(1, { u: 10 })
    const fresh = await w.call('muapi.users', { serverId: w.serverId })
    expect(reads()).toBe(before + 1)
    expect(fresh.users[0]?.up).toBe(10)
    expect(fresh.fetchedAt).toBeGreaterThanOrEqual(cached.fetchedAt)
    await w.call('muapi.users', { serverId: w.serverId, maxAgeMs: 0 })
    expect(reads()).toBe(before + 2)
  })

  it('names users #id when the panel sends the wiki’s ten fields only', async () => {
    const w = await muWorld(variant, { fields: 'documented', users: [{ u: 1, d: 2 }, {}] })
    const snap = await w.poll()
    if (variant === 'seed') expect(snap.users.map((u) => u.name)).toEqual(['#1', '#2'])
    else expect(snap.users.map((u) => u.name)).toEqual(['user1@example.com', 'user2@example.com'])
  })

  it('reads transfer_enable as a float, an int or a string, exactly', async () => {
    for (const as of ['float', 'int', 'string'] as const) {
      const w = await muWorld(variant, {
        transferEnableAs: as,
        users: [{ transfer_enable: 23166189568 }, { transfer_enable: 0 }],
      })
      const { users } = await w.call('muapi.users', { serverId: w.serverId })
      expect(users.map((u) => u.quota)).toEqual([23166189568, 0])
      const raw = await (await fetch(`${w.emu.apiUrl}/users`, { headers: { Token: KEY } })).text()
      if (as === 'float') expect(raw).toContain('"transfer_enable":23166189568.0')
      if (as === 'string') expect(raw).toContain('"transfer_enable":"23166189568"')
    }
  })

  it('explains a wrong key (401) on the server status and on a read, never quoting a key', async () => {
    const w = await muWorld(variant, {}, { key: 'not-the-key' })
    const v = await w.view()
    expect(v.status.state).toBe('auth_failed')
    const e = await w.fail('muapi.users', { serverId: w.serverId })
    expect(e).toMatchObject({ code: 'auth', serverId: w.serverId })
    expect(e.message).toContain('refused the mu key (HTTP 401')
    expect(e.message).toContain('MuKey')
    if (variant === 'seed') expect(e.message).toContain('token is invalid')
    expectNoKey(e)
    expect(e.message).not.toContain('not-the-key')
  })

  it('reads a node’s users with their V2Ray identity', async () => {
    const w = await muWorld(variant, {
      fields: 'all',
      users: [{ email: 'ann@example.com', v2ray_uuid: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b' }],
    })
    const r = await w.call('muapi.nodeUsers', { serverId: w.serverId, nodeId: 1 })
    expect(r.nodeId).toBe(1)
    expect(r.users[0]).toMatchObject({
      id: 1,
      email: 'ann@example.com',
      v2ray: { uuid: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b', level: 2, alterId: 2 },
    })
  })
})

describe('Mu API adapter: where the key goes', () => {
  it.each(['key', 'query'] as const)(
    'a seed (v3) panel reads only the Token header: the key sent as %s is explained',
    async (placement) => {
      const w = await muWorld('seed', {}, { keyPlacement: placement })
      expect((await w.view()).status.state).toBe('auth_failed')
      const e = await w.fail('muapi.users', { serverId: w.serverId })
      expect(e.code).toBe('auth')
      expect(e.message).toContain('key is null')
      expect(e.message).toContain('reads it only from the Token header')
      expectNoKey(e)
      // the Token header was not sent; the key went where asked (logged redacted)
      const req = w.emu.requests.at(-1)
      expect(req?.headers.token).toBeUndefined()
      if (placement === 'key') expect(req?.headers.key).toBe('REDACTED')
      else expect(req?.path).toContain('key=REDACTED')
    },
  )

  it.each(['token', 'key', 'query'] as const)(
    'an upstream (master) panel reads the key sent as %s',
    async (placement) => {
      const w = await muWorld('upstream', { users: [{}] }, { keyPlacement: placement })
      expect((await w.view()).status.state).toBe('online')
      expect((await w.call('muapi.users', { serverId: w.serverId })).users).toHaveLength(1)
    },
  )
})

// ---- WireGuard monitor --------------------------------------------------------------------------

async function wgWorld(variant: WgMonVariant, opts: WgMonEmulatorOptions = {}) {
  const emu = await startWgMonEmulator({ variant, ...opts })
  cleanups.push(() => emu.close())
  const c = await core({ kind: 'wgmon', name: 'wg', url: emu.url, pollIntervalSec: 5 })
  let n = 0
  const user = (nickname?: string) =>
    emu.control.createUser({
      peer_pubkey: fakePubkey(() => (n = (n * 9301 + 49297) % 233280) / 233280),
      ...(nickname === undefined ? {} : { nickname }),
    })
  return { emu, ...c, user }
}

describe.each(['upstream', 'seed'] as const)('WireGuard monitor adapter (%s)', (variant) => {
  it('counts total + open session in the client’s direction, one device per online user', async () => {
    const w = await wgWorld(variant)
    w.user('alice')
    w.user('bob')
    const nameless = w.user()
    // server view: alice's client sent 5 MB (server rx) and received 700 kB (server tx)
    w.emu.control.addTraffic('alice', 5_000_000, 700_000)
    w.emu.control.poll()
    const open = await w.poll()
    const alice = open.users.find((u) => u.name === 'alice')
    expect(alice).toMatchObject({ online: true, devices: 1 })
    if (variant === 'upstream') expect(alice).toMatchObject({ up: 5_000_000, down: 700_000 })
    // the seed doc's management view has no session bytes: the totals alone (closed sessions)
    else expect(alice).toMatchObject({ up: 0, down: 0 })
    expect(open.users.find((u) => u.name === 'bob')).toMatchObject({
      online: false,
      devices: 0,
      up: 0,
      down: 0,
    })
    expect(open.users.some((u) => u.name === `User_${nameless}`)).toBe(true)

    // the session closes: its bytes move into the totals, the counter does not jump
    w.emu.control.setOnline('alice', false)
    w.emu.control.poll()
    const closed = await w.poll()
    expect(closed.users.find((u) => u.name === 'alice')).toMatchObject({
      online: false,
      devices: 0,
      up: 5_000_000,
      down: 700_000,
    })
    expect(closed.users.find((u) => u.name === 'alice')?.reset).toBe(false)
  })

  it('reads more than 100 users page by page, and gives repeated nicknames #id', async () => {
    const w = await wgWorld(variant)
    const twins = [w.user('twin'), w.user('twin')]
    for (let i = 0; i < 148; i++) w.user(`u${i}`)
    w.emu.clearRequestLog()
    const snap = await w.poll()
    expect(snap.users).toHaveLength(150)
    expect(snap.error).toBeNull()
    const names = snap.users.map((u) => u.name)
    expect(names).toContain(`twin#${twins[0]}`)
    expect(names).toContain(`twin#${twins[1]}`)
    expect(names).not.toContain('twin')
    const pages = w.emu.requests.filter((r) => r.path.startsWith('/api/users/management'))
    expect(pages.map((r) => new URL(r.path, w.emu.url).searchParams.get('page'))).toEqual([
      '1',
      '2',
    ])
    expect(pages.every((r) => r.path.includes('per_page=100'))).toBe(true)
  })

  it('kicks by the name it shows (nickname, name#id, User_<id>), closing the session only', async () => {
    const w = await wgWorld(variant)
    const a = w.user('alice')
    const twins = [w.user('twin'), w.user('twin')]
    const nameless = w.user()
    for (const n of ['alice', `User_${twins[1]}`, `User_${nameless}`]) {
      w.emu.control.addTraffic(n, 10, 10)
    }
    w.emu.control.poll()
    await w.call('users.kick', {
      serverId: w.serverId,
      users: ['alice', `twin#${twins[1]}`, `User_${nameless}`],
    })
    const open = w.emu.control.events().filter((e) => e.end_time === null)
    expect(open).toEqual([])
    const kicked = w.emu.requests.filter((r) => r.path.endsWith('/kick')).map((r) => r.path)
    expect(kicked).toEqual([
      `/api/users/${a}/kick`,
      `/api/users/${twins[1]}/kick`,
      `/api/users/${nameless}/kick`,
    ])
    // the peer is still in WireGuard: still handshaking, it is back at the monitor's next pass
    w.emu.control.poll()
    expect(w.emu.control.events().filter((e) => e.end_time === null)).toHaveLength(3)

    const e = await w.fail('users.kick', { serverId: w.serverId, users: ['twin', 'nobody'] })
    expect(e.code).toBe('not_found')
    expect(e.message).toContain('"twin", "nobody"')
  })

  it('keeps one request at a time while the UI, a poll and actions run together', async () => {
    const w = await wgWorld(variant, { latencyMs: 15 })
    const ids = Array.from({ length: 5 }, (_, i) => w.user(`p${i}`))
    w.emu.control.addTraffic('p0', 100, 100)
    w.emu.control.poll()
    // The emulated server serves one connection at a time; a second one waits in its queue.
    // Sample that queue: a client that sends two requests at once makes it non-empty.
    let maxQueued = 0
    const sampler = setInterval(() => (maxQueued = Math.max(maxQueued, w.emu.control.queued())), 1)
    try {
      // proof that the sampler sees a second connection when there is one
      await Promise.all([fetch(`${w.emu.url}/api/status`), fetch(`${w.emu.url}/api/status`)])
      expect(maxQueued).toBeGreaterThan(0)
      maxQueued = 0
      w.emu.clearRequestLog()
      const s = w.serverId
      const results = await Promise.all([
        w.call('servers.refresh', { id: s }),
        w.call('wgmon.dashboard', { serverId: s }),
        w.call('wgmon.users', { serverId: s, page: 1, perPage: 50, search: '', status: 'all' }),
        w.call('wgmon.events', { serverId: s }),
        w.call('wgmon.action', { serverId: s, userId: ids[1] as number, action: 'disable' }),
        w.call('users.kick', { serverId: s, users: ['p0'] }),
        w.call('wgmon.status', { serverId: s }),
        w.call('users.list', { serverId: s }),
      ])
      expect(results).toHaveLength(8)
    } finally {
      clearInterval(sampler)
    }
    expect(maxQueued).toBe(0)
    expect(w.emu.requests.length).toBeGreaterThanOrEqual(8)
    expect(w.emu.control.maxConcurrent()).toBe(1)
    expect(w.emu.control.users().find((u) => u.id === ids[1])?.enabled).toBe(0)
  })
})

describe('WireGuard monitor adapter: health', () => {
  it('goes offline when the monitor stops answering, and names the server', async () => {
    const w = await wgWorld('upstream')
    await w.poll()
    expect((await w.view()).status.state).toBe('online')
    w.emu.control.failNext('garbage', 10)
    await w.call('servers.refresh', { id: w.serverId })
    const v = await w.view()
    expect(v.status.error).toMatchObject({ code: 'bad_payload', serverId: w.serverId })
  })
})

// Quota sanity of the emulator's simulated panel: users over quota exist (the panel view's filter).
describe('Mu API adapter: a simulated panel', () => {
  it('reads 2,000 simulated users in one poll, some over quota', async () => {
    const w = await muWorld('upstream', { simulate: { users: 2000, seed: 7 } })
    const { users } = await w.call('muapi.users', { serverId: w.serverId })
    expect(users).toHaveLength(2000)
    expect(users.filter((u) => u.quota > 0 && u.up + u.down >= u.quota).length).toBeGreaterThan(100)
    expect(users.every((u) => u.quota % GiB === 0)).toBe(true)
  })
})
