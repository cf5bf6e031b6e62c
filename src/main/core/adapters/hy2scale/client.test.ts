import { afterEach, describe, expect, it } from 'vitest'
import { createHash, randomBytes } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { AppErrorException, type AppError } from '../../../../shared/contract'
import { createHttpClient, type HttpClient } from '../http/http-client'
import { createHy2ScaleClient, type Hy2ScaleClient } from './client'
import type { UserConfigWire } from './schema'

const USER = 'admin'
const PASSWORD = 'Pl4intext-Secret!'
const sha = (s: string) => createHash('sha256').update(s).digest('hex')

/** What one handler answers. */
interface Reply {
  status?: number
  type?: string
  body?: string | Buffer
  headers?: Record<string, string>
}

/** One request as the fake node saw it. */
interface Seen {
  method: string
  /** Raw request target (path and query as sent). */
  url: string
  headers: IncomingMessage['headers']
  body: Buffer
}

type Handler = (req: Seen) => Reply | Promise<Reply> | 'hang'

/** A small fake HY2 SCALE node: base path `/scale`, login, Bearer/`?token=` auth, routes. */
interface Fake {
  url: string
  seen: Seen[]
  tokens: Set<string>
  logins: number
  loginDelayMs: number
  username: string
  passHash: string
  forceChange: boolean
  routes: Map<string, Handler>
  on(route: string, h: Handler): void
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

const json = (v: unknown, status = 200): Reply => ({
  status,
  type: 'application/json',
  body: `${JSON.stringify(v)}\n`,
})
/** Go `http.Error`. */
const text = (msg: string, status: number): Reply => ({
  status,
  type: 'text/plain; charset=utf-8',
  body: `${msg}\n`,
})
const OK = json({ status: 'ok' })

async function startFake(): Promise<Fake> {
  const fake: Fake = {
    url: '',
    seen: [],
    tokens: new Set(),
    logins: 0,
    loginDelayMs: 0,
    username: USER,
    passHash: sha(PASSWORD),
    forceChange: false,
    routes: new Map(),
    on(route, h) {
      fake.routes.set(route, h)
    },
  }
  const sockets = new Set<Socket>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void (async () => {
        const seen: Seen = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
        }
        fake.seen.push(seen)
        const reply = await answer(fake, seen)
        if (reply === 'hang') return
        res.writeHead(reply.status ?? 200, {
          ...(reply.type ? { 'content-type': reply.type } : {}),
          ...reply.headers,
        })
        res.end(reply.body ?? '')
      })()
    })
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scale`
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  )
  return fake
}

async function answer(fake: Fake, req: Seen): Promise<Reply | 'hang'> {
  const u = new URL(req.url, 'http://x')
  if (!u.pathname.startsWith('/scale/api/')) return text('404 page not found', 404)
  const path = u.pathname.slice('/scale'.length)
  if (req.method === 'POST' && path === '/api/login') {
    fake.logins++
    if (fake.loginDelayMs) await new Promise((r) => setTimeout(r, fake.loginDelayMs))
    let b: { username?: string; password?: string }
    try {
      b = JSON.parse(req.body.toString('utf8')) as typeof b
    } catch {
      return text('bad request', 400)
    }
    if (b.username !== fake.username || b.password !== fake.passHash) {
      return text('invalid credentials', 401)
    }
    const token = randomBytes(16).toString('hex')
    fake.tokens.add(token)
    return json({ token, force_password_change: fake.forceChange })
  }
  const key = `${req.method} ${path}`
  const open = fake.routes.get(`${key} (no auth)`)
  if (open) return open(req)
  const h = req.headers.authorization ?? ''
  const token = h.startsWith('Bearer ') ? h.slice(7) : h || (u.searchParams.get('token') ?? '')
  if (!fake.tokens.has(token)) return text('unauthorized', 401)
  const route = fake.routes.get(key)
  if (!route) return text('404 page not found', 404)
  return route(req)
}

interface Setup {
  fake: Fake
  client: Hy2ScaleClient
  http: HttpClient
  clock: { t: number }
}

async function setup(
  opts: { creds?: { username: string; password: string } | null; timeoutMs?: number } = {},
): Promise<Setup> {
  const fake = await startFake()
  const http = createHttpClient()
  cleanups.push(() => http.close())
  const clock = { t: 1_000_000 }
  const creds = opts.creds === undefined ? { username: USER, password: PASSWORD } : opts.creds
  const client = createHy2ScaleClient({
    serverId: 'srv-1',
    baseUrl: fake.url,
    http,
    getCredentials: async () => creds,
    timeoutMs: opts.timeoutMs ?? 5_000,
    now: () => clock.t,
  })
  return { fake, client, http, clock }
}

async function appErr(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(AppErrorException)
    return (err as AppErrorException).appError
  }
  throw new Error('expected a rejection')
}

const STATS = { tx_bytes: 10, rx_bytes: 20, tx_rate: 1, rx_rate: 2, conns: 3, exit_clients: 0 }

/** Everything the client sent, as one text (to search for secrets). */
const wire = (fake: Fake) =>
  fake.seen
    .map((s) => `${s.method} ${s.url} ${JSON.stringify(s.headers)} ${s.body.toString('latin1')}`)
    .join('\n')

describe('hy2scale login and session', () => {
  it('logs in with the sha256 hex of the password, never the plaintext', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/stats', () => json(STATS))
    expect(await client.stats()).toEqual(STATS)
    const login = fake.seen.find((s) => s.url === '/scale/api/login')
    expect(login?.method).toBe('POST')
    expect(JSON.parse(login?.body.toString('utf8') ?? '')).toEqual({
      username: USER,
      password: sha(PASSWORD),
    })
    expect(sha(PASSWORD)).toMatch(/^[0-9a-f]{64}$/)
    expect(wire(fake)).not.toContain(PASSWORD)
  })

  it('sends the token as a Bearer header', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/stats', () => json(STATS))
    await client.stats()
    const call = fake.seen.find((s) => s.url === '/scale/api/stats')
    const token = [...fake.tokens][0]
    expect(call?.headers.authorization).toBe(`Bearer ${token}`)
  })

  it('shares one login among concurrent calls', async () => {
    const { fake, client } = await setup()
    fake.loginDelayMs = 80
    fake.on('GET /api/stats', () => json(STATS))
    fake.on('GET /api/tls', () => json(null))
    await Promise.all([client.stats(), client.stats(), client.tls.list(), client.stats()])
    expect(fake.logins).toBe(1)
  })

  it('logs in again once on a 401 and retries (the node restarted)', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/stats', () => json(STATS))
    await client.stats()
    fake.tokens.clear() // a restart: every token gone
    fake.loginDelayMs = 50
    const results = await Promise.all([client.stats(), client.stats(), client.stats()])
    expect(results).toEqual([STATS, STATS, STATS])
    expect(fake.logins).toBe(2)
  })

  it('a second 401 right after the re-login is an auth error', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/stats', () => text('unauthorized', 401))
    const err = await appErr(client.stats())
    expect(err.code).toBe('auth')
    expect(err.serverId).toBe('srv-1')
    expect(fake.logins).toBe(2)
    expect(fake.seen.filter((s) => s.url === '/scale/api/stats')).toHaveLength(2)
  })

  it('a 401 on the login itself is an auth error without the password', async () => {
    const { fake, client } = await setup({ creds: { username: USER, password: 'wrong-pass' } })
    fake.on('GET /api/stats', () => json(STATS))
    const err = await appErr(client.stats())
    expect(err.code).toBe('auth')
    expect(err.message).toMatch(/refused the user name or password/)
    expect(JSON.stringify(err)).not.toContain('wrong-pass')
    expect(JSON.stringify(err)).not.toContain(sha('wrong-pass'))
    expect(fake.logins).toBe(1)
  })

  it('no stored credentials is an auth error and nothing is sent', async () => {
    const { fake, client } = await setup({ creds: null })
    const err = await appErr(client.stats())
    expect(err.code).toBe('auth')
    expect(fake.seen).toHaveLength(0)
  })

  it('exposes force_password_change from the login', async () => {
    const { fake, client } = await setup()
    fake.forceChange = true
    expect(client.forcePasswordChange).toBeNull()
    expect(await client.login()).toEqual({ forcePasswordChange: true })
    expect(client.forcePasswordChange).toBe(true)
  })

  it('logs in again before use when the token sat idle for more than 11 h', async () => {
    const { fake, client, clock } = await setup()
    fake.on('GET /api/stats', () => json(STATS))
    await client.stats()
    clock.t += 10 * 3600_000
    await client.stats()
    expect(fake.logins).toBe(1)
    expect(client.lastUsedAt).toBe(clock.t)
    clock.t += 11 * 3600_000 + 1
    await client.stats()
    expect(fake.logins).toBe(2)
    // No 401 was needed: the re-login happened before the call.
    expect(fake.seen.filter((s) => s.url === '/scale/api/stats')).toHaveLength(3)
  })

  it('invalidate() drops the token; the next call logs in again', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/stats', () => json(STATS))
    await client.stats()
    client.invalidate()
    await client.stats()
    expect(fake.logins).toBe(2)
  })
})

describe('hy2scale error mapping', () => {
  const cases: Array<[number, string, string, boolean]> = [
    [400, 'server password must be at least 6 characters', 'invalid_input', false],
    [403, 'L2TP unavailable: no NET_ADMIN capability', 'http_status', false],
    [404, 'peer not found', 'not_found', false],
    [405, 'Method Not Allowed', 'unsupported', false],
    [500, 'start failed', 'http_status', true],
    [502, 'github: dial tcp: i/o timeout', 'http_status', true],
  ]
  for (const [status, msg, code, retryable] of cases) {
    it(`HTTP ${status} (text/plain) → ${code}`, async () => {
      const { fake, client } = await setup()
      fake.on('PUT /api/node', () => text(msg, status))
      const err = await appErr(client.node.update({ name: 'x' }))
      expect(err.code).toBe(code)
      expect(err.retryable).toBe(retryable)
      expect(err.params?.status).toBe(status)
      if (status !== 405) expect(err.message).toContain(msg)
      if (status === 400) expect(err.message).toBe(`The node rejected PUT /api/node: ${msg}`)
      if (status === 405) expect(err.message).toMatch(/version does not support PUT \/api\/node/)
      if (status === 502) expect(err.message).toMatch(/GitHub/)
    })
  }

  it('an unknown route (Go 404 page) is not_found with base-path advice', async () => {
    const { client } = await setup()
    const err = await appErr(client.diag.peer('health'))
    expect(err.code).toBe('not_found')
    expect(err.message).toMatch(/base path/)
  })

  it('a wrong JSON shape is bad_payload naming the route', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/users', () => json({ users: [] }))
    const err = await appErr(client.users.list())
    expect(err.code).toBe('bad_payload')
    expect(err.message).toContain('GET /api/users')
  })

  it('an HTML page instead of JSON is bad_payload', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/node', () => ({ type: 'text/html', body: '<html>login</html>' }))
    const err = await appErr(client.node.get())
    expect(err.code).toBe('bad_payload')
    expect(err.message).toContain('GET /api/node')
  })

  it('a redirect (wrong base path) is reported, not followed', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/node', () => ({ status: 302, headers: { location: '/scale/login' } }))
    const err = await appErr(client.node.get())
    expect(err.code).toBe('http_status')
    expect(err.message).toMatch(/redirected GET \/api\/node \(HTTP 302 to \/scale\/login\)/)
  })
})

describe('hy2scale secrets never leak', () => {
  it('a 400 that echoes a user password is masked', async () => {
    const { fake, client } = await setup()
    fake.on('POST /api/users', () =>
      text('password "hunter2-secret" collides with proxy password of bob', 400),
    )
    const err = await appErr(
      client.users.create({
        username: 'alice',
        password: 'hunter2-secret',
        proxy_passwords: { socks5: 'sock-secret-pw' },
      }),
    )
    expect(err.code).toBe('invalid_input')
    expect(err.message).toContain('collides')
    expect(JSON.stringify(err)).not.toContain('hunter2-secret')
  })

  it('a wrong current password (403) is an auth error without any password', async () => {
    const { fake, client } = await setup()
    fake.on('PUT /api/settings/password', () => text('current password incorrect', 403))
    const err = await appErr(
      client.settings.changePassword({ currentPassword: 'not-it', newPassword: 'new-secret-1' }),
    )
    expect(err.code).toBe('auth')
    expect(err.message).toMatch(/current password is incorrect/)
    const all = JSON.stringify(err)
    for (const s of ['not-it', 'new-secret-1', sha('not-it'), sha('new-secret-1'), PASSWORD]) {
      expect(all).not.toContain(s)
    }
  })

  it('the QR text (a private key) stays out of a timeout message', async () => {
    const { fake, client } = await setup({ timeoutMs: 300 })
    fake.on('GET /api/wireguard/qr', () => 'hang')
    const conf = '[Interface]\nPrivateKey = aVeryPrivateKeyBase64xxxxxxxxxxxxxxxxxxxxxx=\n'
    const err = await appErr(client.wireguard.qrPng(conf))
    expect(err.code).toBe('timeout')
    expect(err.message).toContain('/api/wireguard/qr')
    expect(err.message).not.toContain('aVeryPrivateKey')
    expect(err.message).not.toContain('PrivateKey')
  })

  it('the token is never in an error message', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/stats', (req) => text(`bad token ${req.headers.authorization ?? ''}`, 500))
    const err = await appErr(client.stats())
    const token = [...fake.tokens][0] ?? 'none'
    expect(err.message).not.toContain(token)
    expect(err.message).toContain('***')
  })
})

describe('hy2scale routes', () => {
  it('GET /api/tls null → []', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/tls', () => json(null))
    expect(await client.tls.list()).toEqual([])
  })

  it('checkPorts sends a bare array; null conflicts → []', async () => {
    const { fake, client } = await setup()
    const bodies: unknown[] = []
    fake.on('POST /api/check-ports', (req) => {
      const b = JSON.parse(req.body.toString('utf8')) as Array<{ port: number }>
      bodies.push(b)
      return json({ conflicts: b.some((p) => p.port === 22) ? [b[0]] : null })
    })
    const ports = [{ port: 5565, proto: 'udp' as const, desc: 'hy2' }]
    expect(await client.checkPorts(ports)).toEqual([])
    expect(bodies[0]).toEqual(ports)
    expect(Array.isArray(bodies[0])).toBe(true)
    expect(await client.checkPorts([{ port: 22, proto: 'tcp', desc: 'ssh' }])).toEqual([
      { port: 22, proto: 'tcp', desc: 'ssh' },
    ])
  })

  it('a session key with | is percent-encoded; 404 session not found → not_found', async () => {
    const { fake, client } = await setup()
    // The fake routes by the raw path, so register the encoded one.
    fake.on('DELETE /api/sessions/alice%7C10.0.0.2%7Csocks5', () => OK)
    await client.sessions.kick('alice|10.0.0.2|socks5')
    const call = fake.seen.find((s) => s.method === 'DELETE')
    expect(call?.url).toBe('/scale/api/sessions/alice%7C10.0.0.2%7Csocks5')
    const err = await appErr(client.sessions.kick('bob|10.0.0.3|hy2'))
    expect(err.code).toBe('not_found')
    fake.on('DELETE /api/sessions/bob%7C10.0.0.3%7Chy2', () => text('session not found', 404))
    const err2 = await appErr(client.sessions.kick('bob|10.0.0.3|hy2'))
    expect(err2.code).toBe('not_found')
    expect(err2.message).toContain('session not found')
  })

  it('users.update sends the whole record, unknown fields included', async () => {
    const { fake, client } = await setup()
    const stored = {
      id: 'ab12cd34',
      username: 'alice',
      password: 'alice-pw',
      proxy_passwords: null,
      exit_via: 'us',
      traffic_limit: 1e9,
      traffic_used: 123,
      expiry_date: '',
      enabled: true,
      future_field: 'kept',
    }
    fake.on('GET /api/users', () => json([stored]))
    let body: unknown
    fake.on('PUT /api/users/ab12cd34', (req) => {
      body = JSON.parse(req.body.toString('utf8'))
      return OK
    })
    const [user] = await client.users.list()
    expect(user?.proxy_passwords).toEqual({})
    const changed: UserConfigWire = { ...(user as UserConfigWire), enabled: false }
    await client.users.update(changed)
    expect(body).toEqual({
      ...stored,
      proxy_passwords: {},
      proxy_disabled: [],
      exit_paths: [],
      exit_mode: '',
      enabled: false,
    })
    const err = await appErr(client.users.update({ ...changed, id: '' }))
    expect(err.code).toBe('invalid_input')
  })

  it('streamUrl carries a token; redactedUrl does not; the token works', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/graph-layout/stream', () => ({
      type: 'text/event-stream',
      body: 'data: {"positions":{}}\n\n',
    }))
    const s = await client.streamUrl('/api/graph-layout/stream')
    const token = [...fake.tokens][0] ?? 'none'
    expect(s.url).toBe(`${fake.url}/api/graph-layout/stream?token=${token}`)
    expect(s.redactedUrl).not.toContain(token)
    expect(s.redactedUrl).toContain('token=***')
    const res = await fetch(s.url)
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('positions')
  })

  it('backup returns the bytes; restore sends the raw tar and drops the token', async () => {
    const { fake, client } = await setup()
    const tar = Buffer.concat([randomBytes(3000), Buffer.from([0, 255, 10])])
    fake.on('GET /api/backup', () => ({ type: 'application/x-tar', body: tar }))
    let got: Buffer | null = null
    fake.on('POST /api/restore', (req) => {
      got = req.body
      return OK
    })
    const backup = await client.backup()
    expect(Buffer.compare(backup, tar)).toBe(0)
    await client.restore(backup)
    expect(got).not.toBeNull()
    expect(Buffer.compare(got ?? Buffer.alloc(0), tar)).toBe(0)
    const restoreReq = fake.seen.find((s) => s.url === '/scale/api/restore')
    expect(restoreReq?.headers['content-type']).toBe('application/x-tar')
    fake.on('GET /api/stats', () => json(STATS))
    await client.stats()
    expect(fake.logins).toBe(2)
  })

  it('changePassword hashes both passwords and logs in with the new login', async () => {
    const { fake, client } = await setup()
    let body: Record<string, string> = {}
    fake.on('PUT /api/settings/password', (req) => {
      body = JSON.parse(req.body.toString('utf8')) as Record<string, string>
      fake.username = body.new_username || fake.username
      fake.passHash = body.new_password || fake.passHash
      fake.tokens.clear()
      return OK
    })
    fake.on('GET /api/stats', () => json(STATS))
    await client.stats()
    const res = await client.settings.changePassword({
      currentPassword: PASSWORD,
      newUsername: 'root',
      newPassword: 'N3w-Secret',
    })
    expect(body).toEqual({
      current_password: sha(PASSWORD),
      new_username: 'root',
      new_password: sha('N3w-Secret'),
    })
    expect(res).toEqual({ loggedIn: true, forcePasswordChange: false })
    expect(fake.logins).toBe(2)
    expect(await client.stats()).toEqual(STATS)
    expect(fake.logins).toBe(2)
    expect(wire(fake)).not.toContain('N3w-Secret')
  })

  it('buildId needs no token', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/build-id (no auth)', () => json({ build_id: '0123456789abcdef' }))
    expect(await client.buildId()).toEqual({ build_id: '0123456789abcdef' })
    expect(fake.logins).toBe(0)
    expect(fake.seen[0]?.headers.authorization).toBeUndefined()
  })

  it('WireGuard config text, QR PNG and the PEM in both forms', async () => {
    const { fake, client } = await setup()
    const conf = '[Interface]\nPrivateKey = k\nAddress = 10.0.0.2/32\n'
    fake.on('GET /api/wireguard/peers/phone%201/config', () => ({
      type: 'text/plain',
      body: conf,
    }))
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3])
    fake.on('GET /api/wireguard/qr', () => ({ type: 'image/png', body: png }))
    fake.on('GET /api/tls/default/pem', () => json({ cert: 'C', key: 'K' }))
    fake.on('GET /api/tls/seed/pem', () => ({ type: 'text/plain', body: '-----BEGIN' }))
    expect(await client.wireguard.peerConfigText('phone 1', 'vpn.example')).toBe(conf)
    expect(fake.seen.at(-1)?.url).toBe(
      '/scale/api/wireguard/peers/phone%201/config?endpoint=vpn.example',
    )
    expect(Buffer.compare(await client.wireguard.qrPng(conf), png)).toBe(0)
    expect(new URL(fake.seen.at(-1)?.url ?? '', 'http://x').searchParams.get('text')).toBe(conf)
    expect(await client.tls.pem('default')).toEqual({ cert: 'C', key: 'K' })
    expect(await client.tls.pem('seed')).toEqual({ cert: '-----BEGIN', key: '' })
  })

  it('reads the main shapes', async () => {
    const { fake, client } = await setup()
    fake.on('GET /api/node', () =>
      json({
        node_id: 'ea1b2adb',
        name: 'sg-home',
        exit_node: true,
        hy2_user_auth: false,
        compat: false,
        limited: false,
        server: { listen: '0.0.0.0:5565', password: 'x', tls_cert: '', tls_key: '' },
        version: '1.3.4',
        active_paths: null,
      }),
    )
    fake.on('GET /api/topology', () =>
      json([
        { name: 'self', direction: 'local', latency_ms: 0, is_self: true },
        {
          name: 'jp',
          direction: 'outbound',
          connected: true,
          latency_ms: 35,
          children: [{ name: 'jp-r1', direction: 'outbound', latency_ms: 73, children: null }],
        },
      ]),
    )
    fake.on('GET /api/sessions', () =>
      json({
        devices: [
          {
            key: 'a|1.2.3.4|hy2',
            username: 'a',
            remote_ip: '1.2.3.4',
            protocol: 'hy2',
            connect_at: 1,
            duration: 2,
            conn_count: 1,
            tx_bytes: 5,
            rx_bytes: 6,
          },
        ],
        total: 1,
      }),
    )
    fake.on('GET /api/rules', () => json({ available: true, rules: null }))
    fake.on('GET /api/wireguard', () =>
      json({ enabled: true, listen_port: 51820, peers: null, running: true, public_key: 'P' }),
    )
    fake.on('PUT /api/settings/ui', () => json({ status: 'ok', note: 'applied live' }))
    const node = await client.node.get()
    expect(node.active_paths).toEqual({})
    expect(node.server?.listen).toBe('0.0.0.0:5565')
    const topo = await client.topology()
    expect(topo[0]?.is_self).toBe(true)
    expect(topo[1]?.children[0]?.name).toBe('jp-r1')
    expect(topo[1]?.children[0]?.children).toEqual([])
    expect((await client.sessions.list()).devices[0]?.key).toBe('a|1.2.3.4|hy2')
    expect(await client.rules.list()).toEqual({ available: true, rules: [] })
    expect((await client.wireguard.get()).peers).toEqual([])
    expect(await client.settings.putUi({ dns: '1.1.1.1' })).toEqual({
      status: 'ok',
      note: 'applied live',
    })
  })

  it('peer names with / are one encoded path segment', async () => {
    const { fake, client } = await setup()
    fake.on('PUT /api/peers/us%2Fus-east/nested', () => OK)
    await client.peerNested('us/us-east', true)
    expect(JSON.parse(fake.seen.at(-1)?.body.toString('utf8') ?? '')).toEqual({ enabled: true })
  })
})
