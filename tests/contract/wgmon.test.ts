/**
 * Contract tests: the WireGuard monitor client (`adapters/wgmon/client.ts`) against the emulator
 * (apis.md §5), on both variants ('upstream' = the upstream code, 'seed' = the seed doc), through
 * the real HTTP layer.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { AppErrorException, type AppError } from '../../src/shared/contract'
import { createHttpClient } from '../../src/main/core/adapters/http/http-client'
import {
  createWgMonClient,
  type WgMonClient,
  type WgMonClientOptions,
} from '../../src/main/core/adapters/wgmon/client'
import {
  fakePubkey,
  startWgMonEmulator,
  type WgMonEmulator,
  type WgMonEmulatorOptions,
  type WgMonVariant,
} from '../../emulators/wgmon/server'

const SERVER = 'wg-1'
const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

let keySeed = 1
const newKey = (): string => {
  let s = keySeed++ * 7919
  return fakePubkey(() => {
    s = (s * 48271) % 2147483647
    return s / 2147483647
  })
}

async function world(
  variant: WgMonVariant,
  emuOpts: WgMonEmulatorOptions = {},
  clientOpts: Partial<WgMonClientOptions> = {},
): Promise<{ emu: WgMonEmulator; client: WgMonClient }> {
  const emu = await startWgMonEmulator({ variant, ...emuOpts })
  cleanups.push(() => emu.close())
  const http = createHttpClient()
  cleanups.push(() => http.close())
  const client = createWgMonClient({
    serverId: SERVER,
    baseUrl: emu.url,
    http,
    timeoutMs: 3000,
    ...clientOpts,
  })
  return { emu, client }
}

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(AppErrorException)
    const e = (err as AppErrorException).appError
    expect(e.serverId).toBe(SERVER)
    return e
  }
  throw new Error('expected a failure')
}

describe.each(['upstream', 'seed'] as const)('WireGuard monitor, %s variant', (variant) => {
  it('lists users (wrapped or bare) with traffic turned to the client side', async () => {
    const { emu, client } = await world(variant)
    const id = emu.control.createUser({ peer_pubkey: newKey(), nickname: 'alice' })
    emu.control.createUser({ peer_pubkey: newKey() })
    // server view: rx = received from the client (its upload), tx = sent to it (its download)
    expect(emu.control.addTraffic('alice', 1000, 250_000)).toBe(true)
    emu.control.setOnline('alice', false)
    emu.control.advanceTime(200_000)
    emu.control.poll()

    const users = await client.users()
    expect(users).toHaveLength(2)
    const alice = users.find((u) => u.id === id)!
    expect(alice.nickname).toBe('alice')
    expect(alice.up).toBe(1000)
    expect(alice.down).toBe(250_000)
    expect(alice.enabled).toBe(true)
    expect(alice.online).toBe(false)
    expect(alice.clientIp === null).toBe(variant === 'seed')
    const other = users.find((u) => u.id !== id)!
    expect(other.email).toBeNull()
  })

  it('pages, searches and filters the management view', async () => {
    const { emu, client } = await world(variant)
    for (let i = 0; i < 5; i++)
      emu.control.createUser({ peer_pubkey: newKey(), nickname: `u${i}`, mail: `u${i}@x.org` })
    const bob = emu.control.createUser({ peer_pubkey: newKey(), nickname: 'bob' })
    emu.control.addTraffic('bob', 10, 20)

    const p1 = await client.management({ page: 1, perPage: 4 })
    expect(p1.users).toHaveLength(4)
    expect(p1.pagination).toMatchObject({
      page: 1,
      perPage: 4,
      total: 6,
      totalPages: 2,
      hasNext: true,
      hasPrev: false,
      serverSide: variant === 'upstream',
    })
    const p2 = await client.management({ page: 2, perPage: 4 })
    expect(p2.users).toHaveLength(2)
    expect(p2.pagination.hasNext).toBe(false)

    const found = await client.management({ search: 'BOB' })
    expect(found.users.map((u) => u.id)).toEqual([bob])
    expect(found.users[0]!.inSession).toBe(true)
    expect(found.users[0]!.sessionStart).not.toBeNull()
    expect(found.users[0]!.email).toBeNull()

    const online = await client.management({ status: 'online' })
    expect(online.users.map((u) => u.id)).toEqual([bob])
    await client.disableUser(bob)
    const disabled = await client.management({ status: 'disabled' })
    expect(disabled.users.map((u) => u.id)).toEqual([bob])

    const e = await failure(client.management({ perPage: 0 }))
    expect(e.code).toBe('invalid_input')
    expect(emu.requests.some((r) => r.path.includes('per_page=0'))).toBe(false)
  })

  it('reads events and the event history in the client direction', async () => {
    const { emu, client } = await world(variant)
    const id = emu.control.createUser({ peer_pubkey: newKey(), nickname: 'carol' })
    emu.control.addTraffic('carol', 300, 4000)
    const live = await client.events()
    expect(live).toHaveLength(1)
    expect(live[0]).toMatchObject({
      userId: id,
      online: true,
      endTime: null,
      durationSeconds: null,
    })

    emu.control.addTraffic('carol', 5, 7)
    emu.control.advanceTime(60_000)
    await client.kickUser(id) // closes the session
    const hist = await client.eventHistory({ userId: id, status: 'offline' })
    expect(hist.events).toHaveLength(1)
    const ev = hist.events[0]!
    expect(ev.online).toBe(false)
    expect(ev.up).toBe(305)
    expect(ev.down).toBe(4007)
    expect(ev.durationSeconds).toBeGreaterThan(0)
    expect(ev.endpoint).toMatch(/:\d+$/)
    expect(hist.pagination).toMatchObject({ page: 1, total: 1, serverSide: true })
  })

  it('reads the status', async () => {
    const { emu, client } = await world(variant)
    emu.control.createUser({ peer_pubkey: newKey(), nickname: 'a' })
    const off = emu.control.createUser({ peer_pubkey: newKey(), nickname: 'b' })
    await client.disableUser(off)
    const s = await client.status()
    expect(s).toMatchObject({ interface: 'wg0', running: true, enabledUsers: 1, onlineUsers: 0 })
    expect(s.maxHandshakeAgeSeconds).toBe(180)
    emu.control.setWgUp(false)
    expect((await client.status()).running).toBe(false)
  })

  it('reads the dashboard and the chart (both shapes) from the client side', async () => {
    const { emu, client } = await world(variant)
    emu.control.createUser({ peer_pubkey: newKey(), nickname: 'dave' })
    emu.control.addTraffic('dave', 1111, 99_999) // up 1111, down 99999
    emu.control.setOnline('dave', false)
    emu.control.advanceTime(200_000)
    emu.control.poll() // the session closes: totals and daily stats grow now

    const d = await client.dashboard()
    expect(d.shape).toBe(variant)
    expect(d.totalUp).toBe(1111)
    expect(d.totalDown).toBe(99_999)
    expect(d.todayUp).toBe(1111)
    expect(d.todayDown).toBe(99_999)
    expect(d.registeredUsers).toBe(1)
    if (variant === 'seed') {
      expect(d.enabledUsers).toBeNull()
      expect(d.todaySessions).toBeNull()
    } else {
      expect(d.enabledUsers).toBe(1)
      expect(d.todaySessions).toBe(1)
    }

    const c = await client.trafficChart(3)
    expect(c.shape).toBe(variant)
    expect(c.days).toBe(3)
    expect(c.points).toHaveLength(1)
    expect(c.points[0]).toMatchObject({ up: 1111, down: 99_999 })
    expect(c.points[0]!.sessions).toBe(variant === 'seed' ? null : 1)
    expect(emu.requests.at(-1)!.path).toBe('/api/traffic/chart?days=3')
    expect((await failure(client.trafficChart(0))).code).toBe('invalid_input')
  })

  it('runs the GET actions enable/disable/reset/kick', async () => {
    const { emu, client } = await world(variant)
    const id = emu.control.createUser({ peer_pubkey: newKey(), nickname: 'erin' })
    emu.control.addTraffic('erin', 10, 10)
    expect(await client.kickUser(id)).toMatchObject({ changed: true })
    expect(await client.kickUser(id)).toMatchObject({ changed: false }) // "用户当前不在线"
    await client.disableUser(id)
    expect(emu.control.users()[0]!.enabled).toBe(0)
    await client.enableUser(id)
    expect(emu.control.users()[0]!.enabled).toBe(1)
    emu.control.setOnline('erin', false)
    emu.control.advanceTime(200_000)
    emu.control.poll()
    expect(emu.control.users()[0]!.total_rx).toBe(10)
    await client.resetTraffic(id)
    expect((await client.users())[0]).toMatchObject({ up: 0, down: 0 })
    const actions = emu.requests.filter((r) => /\/(enable|disable|reset|kick)$/.test(r.path))
    expect(actions.every((r) => r.method === 'GET')).toBe(true)
  })

  it('creates, updates and deletes users; learns the create route', async () => {
    const learned: string[] = []
    const { emu, client } = await world(
      variant,
      {},
      { onCreateRouteLearned: (r) => learned.push(r) },
    )
    const created = await client.createUser({
      publicKey: newKey(),
      nickname: 'frank',
      email: 'f@x.org',
    })
    expect(created.route).toBe(variant)
    expect(client.createRoute).toBe(variant)
    expect(learned).toEqual([variant])
    if (variant === 'upstream') expect(created.clientIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    else expect(created.clientIp).toBeNull()
    // the seed variant: POST /api/users (404) first, then POST /api/users/create
    const posts = emu.requests.filter((r) => r.method === 'POST').map((r) => r.path)
    expect(posts).toEqual(
      variant === 'upstream' ? ['/api/users'] : ['/api/users', '/api/users/create'],
    )
    // learned: the next create goes straight to the working route
    emu.clearRequestLog()
    await client.createUser({ publicKey: newKey() })
    expect(emu.requests.map((r) => r.path)).toEqual([
      variant === 'upstream' ? '/api/users' : '/api/users/create',
    ])

    await client.updateUser(created.id, { nickname: 'franky', enabled: false, dataLimitMb: 100 })
    const row = emu.control.users().find((u) => u.id === created.id)!
    expect(row).toMatchObject({ nickname: 'franky', enabled: 0, data_limit: 100 })

    const dup = await failure(client.createUser({ publicKey: row.peer_pubkey }))
    expect(dup.code).toBe('invalid_input')
    expect(dup.message).toContain('Public key already exists')

    await client.deleteUser(created.id)
    expect(emu.control.users().some((u) => u.id === created.id)).toBe(false)
    const gone = await failure(client.deleteUser(created.id))
    expect(gone.code).toBe('not_found')
    expect(gone.message).toContain(`User ${created.id}`)
  })

  it('serializes parallel calls: one request at a time', async () => {
    const { emu, client } = await world(variant, { latencyMs: 20 })
    emu.control.createUser({ peer_pubkey: newKey(), nickname: 'g' })
    const results = await Promise.all([
      client.users(),
      client.status(),
      client.dashboard(),
      client.events(),
      client.management(),
      client.trafficChart(7),
      client.users(),
      client.eventHistory(),
    ])
    expect(results).toHaveLength(8)
    expect(emu.control.maxConcurrent()).toBe(1)
    expect(emu.requests).toHaveLength(8)
  })

  it('maps empty replies, 500s, garbage and a hang to AppErrors', async () => {
    const { emu, client } = await world(variant, {}, { timeoutMs: 500 })
    emu.control.failNext('empty')
    const empty = await failure(client.users())
    expect(empty.code).toBe('bad_payload')
    expect(empty.message).toContain('empty answer')

    emu.control.failNext('http500')
    const e500 = await failure(client.status())
    expect(e500).toMatchObject({ code: 'http_status', retryable: true })
    expect(e500.message).toContain('database is locked')

    emu.control.failNext('garbage')
    expect((await failure(client.dashboard())).code).toBe('bad_payload')

    emu.control.failNext('noreply')
    expect((await failure(client.events())).code).toBe('network')

    // a hung request times out from when it was sent; the one queued behind it then runs
    emu.control.failNext('hang')
    const [hung, after] = await Promise.allSettled([client.users(), client.status()])
    expect(hung.status).toBe('rejected')
    expect(((hung as PromiseRejectedResult).reason as AppErrorException).appError.code).toBe(
      'timeout',
    )
    expect(after.status).toBe('fulfilled')
    expect(emu.control.maxConcurrent()).toBe(1)
  })

  it('never treats an empty create reply as success', async () => {
    const { emu, client } = await world(variant)
    emu.control.failNext('empty')
    const e = await failure(client.createUser({ publicKey: newKey() }))
    expect(e.code).toBe('bad_payload')
    expect(e.message).toMatch(/empty reply.*not a success/)
  })
})

describe('create route quirks (apis.md §5 gotcha 1)', () => {
  it("upstream's POST /api/users/create answers nothing: a clear error, then the other route", async () => {
    const learned: string[] = []
    const { emu, client } = await world(
      'upstream',
      {},
      { createRoute: 'seed', onCreateRouteLearned: (r) => learned.push(r) },
    )
    const key = newKey()
    const e = await failure(client.createUser({ publicKey: key, nickname: 'h' }))
    expect(e.code).toBe('bad_payload')
    expect(e.message).toContain('/api/users/create got no reply at all')
    expect(e.message).toContain('POST /api/users')
    expect(emu.control.users()).toHaveLength(0)
    expect(client.createRoute).toBe('upstream')
    expect(learned).toEqual([])

    const ok = await client.createUser({ publicKey: key, nickname: 'h' })
    expect(ok.route).toBe('upstream')
    expect(learned).toEqual(['upstream'])
    expect(emu.control.users()).toHaveLength(1)
  })

  it('a learned route is kept after a transient failure', async () => {
    const { emu, client } = await world('seed', {}, { createRoute: 'seed' })
    await client.createUser({ publicKey: newKey() })
    emu.control.failNext('noreply')
    const e = await failure(client.createUser({ publicKey: newKey() }))
    expect(e.message).toContain('no reply')
    expect(client.createRoute).toBe('seed')
  })
})
