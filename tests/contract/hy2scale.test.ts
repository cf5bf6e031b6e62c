/**
 * Contract tests: HY2 SCALE through the real core (`createCore`, output validation on) against the
 * emulator, one test per quirk of apis.md §2. Every call goes through the contract methods, the
 * facet handlers, the adapter, the client and the real HTTP layer.
 */
import { describe, expect, it } from 'vitest'
import { createPrivateKey, createPublicKey } from 'node:crypto'
import { strFromU8, unzipSync } from 'fflate'
import type { MethodInput } from '../../src/shared/contract'
import { generateWireGuardKeyPair } from '../../src/main/core/facet-handlers'
import { PASSWORD, sha256Hex, world, type World } from './hy2scale-world'

/** Creates accounts through the contract; returns name → id. */
async function accounts(
  w: World,
  list: Array<
    { name: string; password: string } & Partial<MethodInput<'accounts.create'>['draft']>
  >,
): Promise<Map<string, string>> {
  for (const a of list) await w.call('accounts.create', { serverId: w.serverId, draft: a })
  const all = await w.call('accounts.list', { serverId: w.serverId })
  return new Map(all.map((a) => [a.name, a.id]))
}

function idOf(ids: Map<string, string>, name: string): string {
  const id = ids.get(name)
  if (id === undefined) throw new Error(`no account ${name}`)
  return id
}

interface WireUser {
  id: string
  username: string
  password: string
  enabled: boolean
  traffic_limit: number
  traffic_used: number
  expiry_date: string
  exit_via: string
  exit_paths?: string[]
  proxy_passwords?: Record<string, string>
}

function wireUser(w: World, name: string): WireUser {
  const u = w.emu.users().find((x) => x.username === name)
  if (!u) throw new Error(`no user ${name} on the node`)
  return u as unknown as WireUser
}

/** The public key (base64) X25519 derives from a raw base64 private key. */
function x25519Public(privateB64: string): string {
  const raw = Buffer.from(privateB64, 'base64')
  expect(raw).toHaveLength(32)
  // PKCS#8 wrapper of a raw X25519 private key (RFC 8410).
  const der = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw])
  const priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })
  const x = createPublicKey(priv).export({ format: 'jwk' }).x
  return Buffer.from(x ?? '', 'base64url').toString('base64')
}

// ---------------------------------------------------------------------------------------------

describe('HY2 SCALE contract (apis.md §2) — auth', () => {
  it('login sends the sha256 hex of the password, never the plaintext', async () => {
    const w = await world()
    const logins = w.emu.requests.filter((r) => r.path.endsWith('/api/login'))
    expect(logins.length).toBeGreaterThanOrEqual(1)
    const body = JSON.parse(logins[0]?.body ?? '{}') as { username: string; password: string }
    expect(body).toEqual({ username: 'admin', password: sha256Hex(PASSWORD) })
    expect(body.password).toMatch(/^[0-9a-f]{64}$/)
    // Other calls carry a Bearer token only.
    await w.call('accounts.list', { serverId: w.serverId })
    for (const r of w.emu.requests) {
      expect(r.body ?? '').not.toContain(PASSWORD)
      expect(r.path).not.toContain(PASSWORD)
      expect(JSON.stringify(r.headers)).not.toContain(PASSWORD)
    }
    expect((await w.view()).status.state).toBe('online')
  })

  it('a wrong password → state auth_failed with an actionable message', async () => {
    const w = await world({ secret: 'not-the-password' })
    const v = await w.view()
    expect(v.status.state).toBe('auth_failed')
    expect(v.status.error?.code).toBe('auth')
    expect(v.status.error?.message).toMatch(/refused the user name or password/)
    expect(v.status.error?.message).toMatch(/login of the node's web UI/)
    expect(v.status.error?.message).not.toContain('not-the-password')
    expect(w.emu.tokens()).toEqual([])
    // A facet call fails the same way (an AppError, not a crash).
    const e = await w.fail('accounts.list', { serverId: w.serverId })
    expect(e).toMatchObject({ code: 'auth', serverId: w.serverId })
  })

  it('every token dies on restart: the next call logs in once more and succeeds', async () => {
    const w = await world()
    await w.call('accounts.list', { serverId: w.serverId })
    expect(w.logins()).toBe(1)
    expect(w.emu.tokens()).toHaveLength(1)
    w.emu.restart()
    expect(w.emu.tokens()).toEqual([])
    await expect(w.call('accounts.list', { serverId: w.serverId })).resolves.toEqual([])
    expect(w.logins()).toBe(2)
    expect(w.emu.tokens()).toHaveLength(1)
    // The next calls reuse the new token.
    await w.call('certs.list', { serverId: w.serverId })
    expect(w.logins()).toBe(2)
  })
})

describe('HY2 SCALE contract — users and accounts', () => {
  it('poll → users.list: every account (offline too), devices from sessions, up/down null', async () => {
    const w = await world()
    await accounts(w, [
      { name: 'alice', password: 'pw-alice' },
      { name: 'bob', password: 'pw-bob' },
      { name: 'carol', password: 'pw-carol' },
    ])
    w.emu.addDevice({ username: 'alice', ip: '198.51.100.1', protocol: 'socks5', tx: 500 })
    w.emu.addDevice({ username: 'alice', ip: '198.51.100.2', protocol: 'hy2' })
    w.emu.addDevice({ username: 'bob', ip: '198.51.100.3', protocol: 'http', conns: 3 })
    await w.call('servers.refresh', { id: w.serverId })
    const snap = await w.call('users.list', { serverId: w.serverId })
    expect(snap.error).toBeNull()
    expect(snap.stale).toBe(false)
    const rows = Object.fromEntries(snap.users.map((u) => [u.name, u]))
    expect(Object.keys(rows).sort()).toEqual(['alice', 'bob', 'carol'])
    expect(rows.alice).toMatchObject({ online: true, devices: 2, up: null, down: null })
    expect(rows.bob).toMatchObject({ online: true, devices: 1, up: null, down: null })
    expect(rows.carol).toMatchObject({ online: false, devices: 0, up: null, down: null })
    for (const u of snap.users) {
      expect(u.upRate).toBeNull()
      expect(u.downRate).toBeNull()
    }
    // accounts.list carries the same device counts.
    const list = await w.call('accounts.list', { serverId: w.serverId })
    expect(Object.fromEntries(list.map((a) => [a.name, a.devices]))).toEqual({
      alice: 2,
      bob: 1,
      carol: 0,
    })
  })

  it('accounts.update: empty password keeps the stored one and unedited fields; a password replaces it', async () => {
    const w = await world()
    const ids = await accounts(w, [
      { name: 'alice', password: 'pw-alice-1', trafficLimit: 1000, expiresAt: '2030-01-01' },
    ])
    const id = idOf(ids, 'alice')
    w.emu.recordUserTraffic('alice', 4242)
    // A field NodeDeck does not edit, set on the node directly.
    await w.node('PUT', `/api/users/${id}`, {
      ...wireUser(w, 'alice'),
      proxy_passwords: { socks5: 'socks-only-pw' },
    })
    w.emu.clearRequestLog()

    await w.call('accounts.update', {
      serverId: w.serverId,
      id,
      draft: { name: 'alice', password: '', enabled: false, trafficLimit: 2000, expiresAt: null },
    })
    let u = wireUser(w, 'alice')
    expect(u).toMatchObject({
      id,
      password: 'pw-alice-1',
      enabled: false,
      traffic_limit: 2000,
      traffic_used: 4242,
      expiry_date: '',
      proxy_passwords: { socks5: 'socks-only-pw' },
    })
    // undefined password = keep too.
    await w.call('accounts.update', {
      serverId: w.serverId,
      id,
      draft: { name: 'alice', enabled: true },
    })
    expect(wireUser(w, 'alice')).toMatchObject({ password: 'pw-alice-1', enabled: true })

    await w.call('accounts.update', {
      serverId: w.serverId,
      id,
      draft: { name: 'alice', password: 'pw-alice-2', expiresAt: '2031-02-03' },
    })
    u = wireUser(w, 'alice')
    expect(u).toMatchObject({ password: 'pw-alice-2', expiry_date: '2031-02-03' })
    expect(u.proxy_passwords).toEqual({ socks5: 'socks-only-pw' })
    const [a] = await w.call('accounts.list', { serverId: w.serverId })
    expect(a).toEqual({
      id,
      name: 'alice',
      enabled: true,
      trafficLimit: null,
      trafficUsed: 4242,
      expiresAt: '2031-02-03',
      exitVia: '',
      devices: 0,
    })
    // The account list never carries a password.
    expect(JSON.stringify(a)).not.toContain('pw-alice')
  })

  it('accounts.update moves the exit (exit_paths follow exit_via, apis.md §2 UserConfig)', async () => {
    const w = await world()
    const ids = await accounts(w, [{ name: 'alice', password: 'pw-a', exitVia: 'exit-a' }])
    const id = idOf(ids, 'alice')
    expect(wireUser(w, 'alice')).toMatchObject({ exit_via: 'exit-a', exit_paths: ['exit-a'] })
    await w.call('accounts.update', {
      serverId: w.serverId,
      id,
      draft: { name: 'alice', exitVia: 'exit-b' },
    })
    expect(wireUser(w, 'alice')).toMatchObject({ exit_via: 'exit-b', exit_paths: ['exit-b'] })
    await w.call('accounts.update', { serverId: w.serverId, id, draft: { name: 'alice' } })
    expect(wireUser(w, 'alice').exit_via).toBe('')
    const [a] = await w.call('accounts.list', { serverId: w.serverId })
    expect(a?.exitVia).toBe('')
  })

  it('accounts.update of a vanished id → not_found (the node itself would answer 200)', async () => {
    const w = await world()
    await accounts(w, [{ name: 'alice', password: 'pw-a' }])
    w.emu.clearRequestLog()
    const e = await w.fail('accounts.update', {
      serverId: w.serverId,
      id: 'deadbeef',
      draft: { name: 'ghost', password: 'x' },
    })
    expect(e).toMatchObject({ code: 'not_found', serverId: w.serverId })
    expect(e.message).toMatch(/deadbeef/)
    expect(w.emu.requests.some((r) => r.method === 'PUT')).toBe(false)
    expect(w.emu.users().map((u) => u.username)).toEqual(['alice'])
  })

  it('accounts.create: no password → invalid_input; with one → appears', async () => {
    const w = await world()
    w.emu.clearRequestLog()
    const e = await w.fail('accounts.create', { serverId: w.serverId, draft: { name: 'alice' } })
    expect(e).toMatchObject({ code: 'invalid_input', params: { field: 'password' } })
    const e2 = await w.fail('accounts.create', {
      serverId: w.serverId,
      draft: { name: 'alice', password: '' },
    })
    expect(e2.code).toBe('invalid_input')
    expect(w.emu.requests.some((r) => r.method === 'POST' && r.path.endsWith('/api/users'))).toBe(
      false,
    )

    await w.call('accounts.create', {
      serverId: w.serverId,
      draft: {
        name: 'alice',
        password: 'pw-a',
        trafficLimit: 10 * 2 ** 30,
        expiresAt: '2030-12-31',
      },
    })
    const list = await w.call('accounts.list', { serverId: w.serverId })
    expect(list).toEqual([
      {
        id: expect.stringMatching(/^[0-9a-f]{8}$/),
        name: 'alice',
        enabled: true,
        trafficLimit: 10 * 2 ** 30,
        trafficUsed: 0,
        expiresAt: '2030-12-31',
        exitVia: '',
        devices: 0,
      },
    ])
    expect(wireUser(w, 'alice')).toMatchObject({ password: 'pw-a', traffic_limit: 10 * 2 ** 30 })
  })

  it('accounts.create of a duplicate username: the node ignores it silently, NodeDeck reports invalid_input', async () => {
    const w = await world()
    await accounts(w, [{ name: 'alice', password: 'pw-a' }])
    // The node's own behaviour: 200 ok, nothing stored (apis.md §2 "Existence is mostly unchecked").
    await w.node('POST', '/api/users', { username: 'alice', password: 'pw-other' })
    expect(w.emu.users()).toHaveLength(1)
    // NodeDeck does not claim a creation that did not happen.
    const e = await w.fail('accounts.create', {
      serverId: w.serverId,
      draft: { name: 'alice', password: 'pw-new' },
    })
    expect(e).toMatchObject({ code: 'invalid_input', serverId: w.serverId })
    expect(e.message).toMatch(/alice/)
    expect(e.message).not.toContain('pw-new')
    expect(w.emu.users()).toHaveLength(1)
    expect(wireUser(w, 'alice').password).toBe('pw-a')
  })

  it('accounts.update renaming onto another user → invalid_input, nothing sent', async () => {
    const w = await world()
    await accounts(w, [
      { name: 'alice', password: 'pw-a' },
      { name: 'bob', password: 'pw-b' },
    ])
    const bob = w.emu.users().find((u) => u.username === 'bob')
    w.emu.clearRequestLog()
    const e = await w.fail('accounts.update', {
      serverId: w.serverId,
      id: bob?.id ?? '',
      draft: { name: 'alice' },
    })
    expect(e).toMatchObject({ code: 'invalid_input', params: { field: 'name' } })
    expect(w.emu.requests.some((r) => r.method === 'PUT')).toBe(false)
    expect(
      w.emu
        .users()
        .map((u) => u.username)
        .sort(),
    ).toEqual(['alice', 'bob'])
  })

  it('bulk setEnabled / resetTraffic / remove → BulkResult', async () => {
    const w = await world()
    const ids = await accounts(w, [
      { name: 'alice', password: 'pw-a' },
      { name: 'bob', password: 'pw-b' },
      { name: 'carol', password: 'pw-c' },
    ])
    const [a, b, c] = [idOf(ids, 'alice'), idOf(ids, 'bob'), idOf(ids, 'carol')]
    const r1 = await w.call('accounts.setEnabled', {
      serverId: w.serverId,
      ids: [a, b],
      enabled: false,
    })
    expect(r1).toEqual({ ok: [a, b], failed: [] })
    expect(w.emu.users().map((u) => [u.username, u.enabled])).toEqual([
      ['alice', false],
      ['bob', false],
      ['carol', true],
    ])

    w.emu.recordUserTraffic('alice', 100)
    w.emu.recordUserTraffic('carol', 300)
    const r2 = await w.call('accounts.resetTraffic', { serverId: w.serverId, ids: [a, c] })
    expect(r2).toEqual({ ok: [a, c], failed: [] })
    expect(w.emu.users().every((u) => u.traffic_used === 0)).toBe(true)

    const r3 = await w.call('accounts.remove', { serverId: w.serverId, ids: [b, c] })
    expect(r3).toEqual({ ok: [b, c], failed: [] })
    expect(w.emu.users().map((u) => u.username)).toEqual(['alice'])

    // A failure of one id does not stop the others (the node is down for the second one).
    const r4 = await w.call('accounts.setEnabled', {
      serverId: w.serverId,
      ids: [a],
      enabled: true,
    })
    expect(r4.ok).toEqual([a])
    w.emu.setMode('http500')
    const r5 = await w.call('accounts.remove', { serverId: w.serverId, ids: [a] })
    expect(r5.ok).toEqual([])
    expect(r5.failed).toEqual([{ id: a, message: expect.stringMatching(/HTTP 500/) }])
  })
})

describe('HY2 SCALE contract — sessions', () => {
  it('sessions.kick percent-encodes keys with "|"; an already-gone key fails with not found', async () => {
    const w = await world()
    await accounts(w, [{ name: 'alice', password: 'pw-a' }])
    const key = w.emu.addDevice({ username: 'alice', ip: '198.51.100.7', protocol: 'socks5' })
    expect(key).toBe('alice|198.51.100.7|socks5')
    const snap = await w.call('sessions.list', { serverId: w.serverId })
    expect(snap.sessions).toEqual([
      expect.objectContaining({
        id: key,
        user: 'alice',
        remote: '198.51.100.7',
        protocol: 'socks5',
        connections: 1,
      }),
    ])

    w.emu.clearRequestLog()
    const r = await w.call('sessions.kick', { serverId: w.serverId, ids: [key] })
    expect(r).toEqual({ ok: [key], failed: [] })
    const del = w.emu.requests.filter((x) => x.method === 'DELETE')
    expect(del.map((x) => x.path)).toEqual(['/scale/api/sessions/alice%7C198.51.100.7%7Csocks5'])
    expect(w.emu.sessions()).toEqual([])
    // Refused again for 60 s.
    expect(w.emu.addDevice({ username: 'alice', ip: '198.51.100.7', protocol: 'socks5' })).toBe('')

    const again = await w.call('sessions.kick', { serverId: w.serverId, ids: [key] })
    expect(again.ok).toEqual([])
    expect(again.failed).toHaveLength(1)
    expect(again.failed[0]?.id).toBe(key)
    expect(again.failed[0]?.message).toMatch(/session not found/)
    expect(again.failed[0]?.message).toMatch(/404/)
  })

  it('users.kick kicks every device of the user, and only theirs', async () => {
    const w = await world()
    await accounts(w, [
      { name: 'alice', password: 'pw-a' },
      { name: 'bob', password: 'pw-b' },
    ])
    w.emu.addDevice({ username: 'alice', ip: '198.51.100.1', protocol: 'socks5' })
    w.emu.addDevice({ username: 'alice', ip: '198.51.100.1', protocol: 'hy2' })
    w.emu.addDevice({ username: 'alice', ip: '198.51.100.2', protocol: 'http' })
    w.emu.addDevice({ username: 'bob', ip: '198.51.100.3', protocol: 'socks5' })
    await w.call('users.kick', { serverId: w.serverId, users: ['alice'] })
    expect(w.emu.sessions().map((s) => s.key)).toEqual(['bob|198.51.100.3|socks5'])
    const dels = w.emu.requests.filter((r) => r.method === 'DELETE').map((r) => r.path)
    expect(dels).toHaveLength(3)
    for (const p of dels) expect(p).toMatch(/\/api\/sessions\/alice%7C/)
    // A user without devices: nothing to do, no error.
    await expect(
      w.call('users.kick', { serverId: w.serverId, users: ['nobody'] }),
    ).resolves.toEqual({ ok: true })
  })
})

describe('HY2 SCALE contract — certificates', () => {
  it('certs.list on a node without certs → [] (wire null)', async () => {
    const w = await world()
    const before = await w.call('certs.list', { serverId: w.serverId })
    expect(before.map((c) => c.id)).toEqual(['default'])
    expect(before[0]).toMatchObject({
      name: 'Default',
      hasKey: true,
      isCa: false,
      caParentId: null,
    })
    await w.call('certs.remove', { serverId: w.serverId, id: 'default' })
    expect(await w.node('GET', '/api/tls')).toBeNull()
    expect(await w.call('certs.list', { serverId: w.serverId })).toEqual([])
  })

  it('the fleet view learns the soonest certificate expiry (servers.list certExpiry)', async () => {
    const w = await world()
    await w.call('certs.generate', {
      serverId: w.serverId,
      id: 'soon',
      domains: ['a.example'],
      days: 10,
    })
    const deadline = Date.now() + 5000
    let expiry: { minDaysLeft: number | null; expiring: number } | null = null
    while (Date.now() < deadline) {
      const list = await w.call('servers.list', undefined)
      expiry = list.find((x) => x.id === w.serverId)?.certExpiry ?? null
      if (expiry && expiry.expiring > 0) break
      await new Promise((r) => setTimeout(r, 50))
    }
    expect(expiry).toMatchObject({ expiring: 1 })
    expect(expiry?.minDaysLeft).toBeGreaterThanOrEqual(9)
    expect(expiry?.minDaysLeft).toBeLessThanOrEqual(10)
  })

  it('certs.pem of an unknown id → not_found (the node answers 200 with empty PEMs)', async () => {
    const w = await world()
    expect(await w.node('GET', '/api/tls/nope/pem')).toEqual({ cert: '', key: '' })
    const e = await w.fail('certs.pem', { serverId: w.serverId, id: 'nope', includeKey: false })
    expect(e).toMatchObject({ code: 'not_found', serverId: w.serverId })
  })

  it('certs.generate → daysLeft ≈ days; certs.pem reveals the key only when asked', async () => {
    const w = await world()
    await w.call('certs.remove', { serverId: w.serverId, id: 'default' })
    await w.call('certs.generate', {
      serverId: w.serverId,
      id: 'web',
      name: 'Web',
      domains: ['vpn.example.com', 'alt.example.com'],
      days: 30,
    })
    const list = await w.call('certs.list', { serverId: w.serverId })
    expect(list).toHaveLength(1)
    const c = list[0]
    expect(c).toMatchObject({
      id: 'web',
      name: 'Web',
      subject: 'vpn.example.com',
      isCa: false,
      hasKey: true,
      caParentId: null,
    })
    expect(c?.notAfter).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(c?.daysLeft).toBeGreaterThanOrEqual(29)
    expect(c?.daysLeft).toBeLessThanOrEqual(31)

    const noKey = await w.call('certs.pem', { serverId: w.serverId, id: 'web', includeKey: false })
    expect(noKey.cert).toMatch(/^-----BEGIN CERTIFICATE-----/)
    expect(noKey.key).toBeNull()
    const withKey = await w.call('certs.pem', { serverId: w.serverId, id: 'web', includeKey: true })
    expect(withKey.cert).toBe(noKey.cert)
    expect(withKey.key).toMatch(/-----BEGIN (EC |RSA )?PRIVATE KEY-----/)
    expect(() => createPrivateKey(withKey.key ?? '')).not.toThrow()
  })
})

describe('HY2 SCALE contract — WireGuard', () => {
  it('addPeer, keys mode local: the node gets a valid X25519 pair generated here', async () => {
    const w = await world()
    w.emu.clearRequestLog()
    await w.call('wireguard.addPeer', {
      serverId: w.serverId,
      draft: { name: 'phone', allowedIps: '10.0.0.2/32', keys: { mode: 'local' } },
    })
    // No round trip to the node's key generator.
    expect(w.emu.requests.some((r) => r.path.includes('generate-key'))).toBe(false)
    const post = w.emu.requests.find(
      (r) => r.method === 'POST' && r.path.endsWith('/api/wireguard/peers'),
    )
    const sent = JSON.parse(post?.body ?? '{}') as {
      name: string
      public_key: string
      private_key: string
      allowed_ips: string
      keepalive: number
    }
    expect(sent).toMatchObject({ name: 'phone', allowed_ips: '10.0.0.2/32', keepalive: 25 })
    expect(sent.private_key).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    expect(sent.public_key).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    expect(x25519Public(sent.private_key)).toBe(sent.public_key)

    const state = await w.call('wireguard.get', { serverId: w.serverId })
    expect(state.peers).toEqual([
      {
        name: 'phone',
        publicKey: sent.public_key,
        allowedIps: '10.0.0.2/32',
        keepalive: 25,
        exitVia: '',
        hasPrivateKey: true,
      },
    ])
    // wireguard.get never carries a private key.
    expect(JSON.stringify(state)).not.toContain(sent.private_key)
  })

  it('addPeer modes server and manual; exportAll skips peers without a private key', async () => {
    const w = await world()
    w.emu.clearRequestLog()
    await w.call('wireguard.addPeer', {
      serverId: w.serverId,
      draft: { name: 'laptop', allowedIps: '10.0.0.3/32', keepalive: 0, keys: { mode: 'server' } },
    })
    expect(
      w.emu.requests.filter((r) => r.path.endsWith('/api/wireguard/generate-key')),
    ).toHaveLength(1)
    const manual = generateWireGuardKeyPair()
    await w.call('wireguard.addPeer', {
      serverId: w.serverId,
      draft: {
        name: 'router',
        allowedIps: '10.0.0.4/32',
        keys: { mode: 'manual', publicKey: manual.publicKey },
      },
    })
    const posts = w.emu.requests
      .filter((r) => r.method === 'POST' && r.path.endsWith('/api/wireguard/peers'))
      .map((r) => JSON.parse(r.body ?? '{}') as { private_key: string; public_key: string })
    expect(posts).toHaveLength(2)
    expect(x25519Public(posts[0]?.private_key ?? '')).toBe(posts[0]?.public_key)
    expect(posts[1]).toMatchObject({ private_key: '', public_key: manual.publicKey })

    const state = await w.call('wireguard.get', { serverId: w.serverId })
    expect(state.peers.map((p) => [p.name, p.hasPrivateKey])).toEqual([
      ['laptop', true],
      ['router', false],
    ])

    const all = await w.call('wireguard.exportAll', {
      serverId: w.serverId,
      endpoint: 'vpn.example.com',
    })
    expect(all).toMatchObject({ filename: 'wireguard-peers.zip', count: 1, skipped: ['router'] })
    const files = unzipSync(Buffer.from(all.zipBase64, 'base64'))
    expect(Object.keys(files)).toEqual(['laptop.conf'])
    const text = strFromU8(files['laptop.conf'] ?? new Uint8Array())
    expect(text).toContain(`PrivateKey = ${posts[0]?.private_key}`)
    expect(text).toContain('Endpoint = vpn.example.com:51820')
    expect(text).not.toMatch(/PersistentKeepalive/)
  })

  it('peerConfig: wg-quick text with the endpoint, a QR SVG; the private key never in a URL', async () => {
    const w = await world()
    await w.call('wireguard.addPeer', {
      serverId: w.serverId,
      draft: { name: 'phone', allowedIps: '10.0.0.2/32', keys: { mode: 'local' } },
    })
    const sent = JSON.parse(
      w.emu.requests.find((r) => r.method === 'POST' && r.path.endsWith('/api/wireguard/peers'))
        ?.body ?? '{}',
    ) as { private_key: string }
    const state = await w.call('wireguard.get', { serverId: w.serverId })

    const cfg = await w.call('wireguard.peerConfig', {
      serverId: w.serverId,
      name: 'phone',
      endpoint: 'vpn.example.com',
    })
    expect(cfg.name).toBe('phone')
    expect(cfg.filename).toBe('phone.conf')
    expect(cfg.text).toMatch(/^\[Interface\]\n/)
    expect(cfg.text).toContain(`PrivateKey = ${sent.private_key}`)
    expect(cfg.text).toContain('Address = 10.0.0.2/32')
    expect(cfg.text).toContain(`PublicKey = ${state.server.publicKey}`)
    expect(cfg.text).toContain('Endpoint = vpn.example.com:51820')
    expect(cfg.text).toContain('PersistentKeepalive = 25')
    expect(cfg.qrSvg).toMatch(/^<svg[\s>]/)
    expect(cfg.qrSvg).toContain('</svg>')
    const q = w.emu.requests.find((r) => r.path.includes('/api/wireguard/peers/phone/config'))
    expect(q?.path).toBe('/scale/api/wireguard/peers/phone/config?endpoint=vpn.example.com')

    const bare = await w.call('wireguard.peerConfig', { serverId: w.serverId, name: 'phone' })
    expect(bare.text).not.toMatch(/Endpoint/)
    const empty = await w.call('wireguard.peerConfig', {
      serverId: w.serverId,
      name: 'phone',
      endpoint: '',
    })
    expect(empty.text).not.toMatch(/Endpoint/)

    // The QR is drawn locally: the node's /api/wireguard/qr (the text in a URL) is never used.
    expect(w.emu.requests.some((r) => r.path.includes('/api/wireguard/qr'))).toBe(false)
    for (const r of w.emu.requests) {
      expect(r.path).not.toContain(sent.private_key)
      expect(r.path).not.toContain(encodeURIComponent(sent.private_key))
      expect(decodeURIComponent(r.path)).not.toContain(sent.private_key)
    }

    const e = await w.fail('wireguard.peerConfig', { serverId: w.serverId, name: 'nope' })
    expect(e).toMatchObject({ code: 'not_found', serverId: w.serverId })
    expect(e.message).toMatch(/peer not found/)
  })

  it('wireguard.update keeps the peers and the server private key', async () => {
    const w = await world()
    await w.call('wireguard.addPeer', {
      serverId: w.serverId,
      draft: { name: 'phone', allowedIps: '10.0.0.2/32', keys: { mode: 'local' } },
    })
    const before = await w.node<{ private_key: string; peers: unknown[]; public_key: string }>(
      'GET',
      '/api/wireguard',
    )
    const stateBefore = await w.call('wireguard.get', { serverId: w.serverId })
    expect(stateBefore.server).toMatchObject({
      enabled: false,
      listenPort: 51820,
      address: '10.0.0.1/24',
      mtu: 1420,
      running: false,
      publicKey: before.public_key,
    })
    await w.call('wireguard.update', {
      serverId: w.serverId,
      draft: {
        enabled: false,
        listenPort: 51821,
        address: '10.9.0.1/24',
        dns: '9.9.9.9',
        mtu: null,
      },
    })
    const after = await w.node<{
      private_key: string
      listen_port: number
      address: string
      dns: string
      mtu: number
      peers: Array<{ name: string; private_key: string }>
    }>('GET', '/api/wireguard')
    expect(after.private_key).toBe(before.private_key)
    expect(after).toMatchObject({ listen_port: 51821, address: '10.9.0.1/24', dns: '9.9.9.9' })
    expect(after.peers).toEqual(before.peers)
    const state = await w.call('wireguard.get', { serverId: w.serverId })
    expect(state.server).toMatchObject({
      listenPort: 51821,
      address: '10.9.0.1/24',
      dns: '9.9.9.9',
      mtu: null,
      publicKey: stateBefore.server.publicKey,
    })
    expect(state.peers.map((p) => p.name)).toEqual(['phone'])
    // The server private key never went out of the core either.
    expect(JSON.stringify(state)).not.toContain(before.private_key)
  })
})

describe('HY2 SCALE contract — node overview', () => {
  it('maps node, stats and topology (latency -1 → null); defaultPassword false', async () => {
    const w = await world({ emulator: { nodeId: 'a1b2c3d4', nodeName: 'Tokyo' } })
    w.emu.setStats({
      tx_bytes: 1000,
      rx_bytes: 2000,
      tx_rate: 30,
      rx_rate: 40,
      conns: 5,
      exit_clients: 2,
    })
    w.emu.setLivePeer({
      name: 'in-peer',
      direction: 'inbound',
      exit_node: false,
      latency_ms: -1,
      tx_rate: 1,
      rx_rate: 2,
    })
    w.emu.setLivePeer({
      name: 'out-peer',
      direction: 'outbound',
      exit_node: true,
      latency_ms: 42,
      version: '1.3.4',
      tx_rate: 3,
      rx_rate: 4,
    })
    const o = await w.call('hy2scale.overview', { serverId: w.serverId })
    expect(o.node).toEqual({
      nodeId: 'a1b2c3d4',
      name: 'Tokyo',
      version: '1.3.4',
      exitNode: true,
      limited: true,
      hy2UserAuth: false,
      listen: '0.0.0.0:5565',
    })
    expect(o.stats).toEqual({
      txBytes: 1000,
      rxBytes: 2000,
      txRate: 30,
      rxRate: 40,
      conns: 5,
      exitClients: 2,
    })
    expect(o.defaultPassword).toBe(false)
    const [self, out] = o.topology
    expect(o.topology).toHaveLength(2)
    expect(self).toMatchObject({ name: 'a1b2c3d4', isSelf: true, connected: true, latencyMs: 0 })
    expect(self?.children).toEqual([
      {
        name: 'in-peer',
        direction: 'inbound',
        exitNode: false,
        connected: true,
        disabled: false,
        nested: false,
        isSelf: false,
        latencyMs: null,
        txRate: 1,
        rxRate: 2,
        version: null,
        children: [],
      },
    ])
    expect(out).toMatchObject({
      name: 'out-peer',
      direction: 'outbound',
      exitNode: true,
      isSelf: false,
      connected: true,
      latencyMs: 42,
      version: '1.3.4',
    })

    // An outbound peer that went away is offline: latency -1 on the wire → null.
    await w.node('POST', '/api/clients', {
      name: 'out-peer',
      addr: '203.0.113.9:5565',
      password: 'client-pw',
    })
    w.emu.removeLivePeer('out-peer')
    const o2 = await w.call('hy2scale.overview', { serverId: w.serverId })
    expect(o2.topology[1]).toMatchObject({ name: 'out-peer', connected: false, latencyMs: null })

    await w.call('hy2scale.updateNode', {
      serverId: w.serverId,
      patch: { name: 'Osaka', exitNode: false },
    })
    const o3 = await w.call('hy2scale.overview', { serverId: w.serverId })
    expect(o3.node).toMatchObject({ nodeId: 'a1b2c3d4', name: 'Osaka', exitNode: false })
  })

  it('defaultPassword is true while the node has admin/admin', async () => {
    const w = await world({ secret: 'admin', emulator: { password: 'admin' } })
    expect((await w.view()).status.state).toBe('online')
    const o = await w.call('hy2scale.overview', { serverId: w.serverId })
    expect(o.defaultPassword).toBe(true)
  })
})

describe('HY2 SCALE contract — errors', () => {
  it('text/plain errors come out as AppErrors quoting the node (400 → invalid_input)', async () => {
    const w = await world()
    const node = await w.node<{ server: { password: string } }>('GET', '/api/node')
    const serverPw = node.server.password
    expect(serverPw).toMatch(/^[0-9a-f]{24}$/)
    // On the wire: plain text, not JSON.
    const token = w.emu.tokens()[0]
    const raw = await fetch(`${w.emu.url}/api/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ username: 'x', password: serverPw }),
    })
    expect(raw.status).toBe(400)
    expect(raw.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    expect(await raw.text()).toBe(
      'user password collides with the hy2 server password — pick a different password\n',
    )

    const e = await w.fail('accounts.create', {
      serverId: w.serverId,
      draft: { name: 'x', password: serverPw },
    })
    expect(e).toMatchObject({
      code: 'invalid_input',
      serverId: w.serverId,
      retryable: false,
      params: { status: 400, route: 'POST /api/users' },
    })
    expect(e.message).toContain('collides with the hy2 server password')
    // The password the node rejected is not repeated in the message.
    expect(e.message).not.toContain(serverPw)

    // A 500 (WireGuard cannot start without NET_ADMIN) is a retryable http_status.
    const e500 = await w.fail('wireguard.update', {
      serverId: w.serverId,
      draft: { enabled: true, listenPort: 51820, address: '10.0.0.1/24' },
    })
    expect(e500).toMatchObject({ code: 'http_status', retryable: true, params: { status: 500 } })
    expect(e500.message).toContain('create TUN device: operation not permitted')
  })
})
