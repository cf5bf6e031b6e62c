import { afterEach, describe, expect, it } from 'vitest'
import { createHash, createPublicKey } from 'node:crypto'
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { inflateSync } from 'node:zlib'
import {
  startHy2ScaleEmulator,
  type Hy2ScaleEmulator,
  type Hy2ScaleEmulatorOptions,
} from './server'
import { readTar } from './tar'
import type { CertInfo, Device, UserConfig } from './types'

const running: Hy2ScaleEmulator[] = []

async function start(opts: Hy2ScaleEmulatorOptions = {}): Promise<Hy2ScaleEmulator> {
  const emu = await startHy2ScaleEmulator(opts)
  running.push(emu)
  return emu
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()))
})

interface Resp {
  status: number
  headers: IncomingHttpHeaders
  raw: Buffer
  body: string
}

function call(
  emu: Hy2ScaleEmulator,
  method: string,
  path: string,
  opts: { token?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers }
    if (opts.token !== undefined) headers.Authorization = `Bearer ${opts.token}`
    if (opts.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(opts.body))
    const req = httpRequest({ host: '127.0.0.1', port: emu.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const raw = Buffer.concat(chunks)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, raw, body: raw.toString() })
      })
    })
    req.on('error', reject)
    if (opts.body !== undefined) req.write(opts.body)
    req.end()
  })
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex')

async function login(emu: Hy2ScaleEmulator, user = 'admin', pass = 'admin'): Promise<string> {
  const r = await call(emu, 'POST', '/scale/api/login', {
    body: JSON.stringify({ username: user, password: sha(pass) }),
  })
  expect(r.status).toBe(200)
  return (JSON.parse(r.body) as { token: string }).token
}

function expectTextError(r: Resp, status: number, msg: string): void {
  expect(r.status).toBe(status)
  expect(r.headers['content-type']).toBe('text/plain; charset=utf-8')
  expect(r.body).toBe(`${msg}\n`)
}

function expectJson(r: Resp): unknown {
  expect(r.status).toBe(200)
  expect(r.headers['content-type']).toBe('application/json')
  expect(r.body.endsWith('\n')).toBe(true)
  return JSON.parse(r.body)
}

describe('base path and routing', () => {
  it('redirects the bare base path, 404s outside it, 302s unknown UI paths', async () => {
    const emu = await start()
    expect(emu.url).toBe(`${emu.origin}/scale`)
    const bare = await call(emu, 'GET', '/scale')
    expect(bare.status).toBe(301)
    expect(bare.headers.location).toBe('/scale/')
    expect(bare.body).toBe('<a href="/scale/">Moved Permanently</a>.\n\n')
    expectTextError(await call(emu, 'GET', '/'), 404, '404 page not found')
    expectTextError(await call(emu, 'GET', '/api/node'), 404, '404 page not found')
    expectTextError(await call(emu, 'GET', '/scalex'), 404, '404 page not found')
    const spa = await call(emu, 'GET', '/scale/whatever')
    expect(spa.status).toBe(302)
    expect(spa.headers.location).toBe('/scale/login')
    const loginPage = await call(emu, 'GET', '/scale/login')
    expect(loginPage.status).toBe(200)
    expect(loginPage.body).toContain('window.__BASE__="/scale"')
    // StripPrefix + ServeMux trailing-slash redirect loses the base path (Go behaviour)
    const api = await call(emu, 'GET', '/scale/api')
    expect(api.status).toBe(301)
    expect(api.headers.location).toBe('/api/')
    const unclean = await call(emu, 'GET', '/scale//api/node')
    expect(unclean.status).toBe(301)
    expect(unclean.headers.location).toBe('/scale/api/node')
  })

  it('serves at the root with basePath "/"', async () => {
    const emu = await start({ basePath: '/' })
    expect(emu.url).toBe(emu.origin)
    const r = await call(emu, 'POST', '/api/login', {
      body: JSON.stringify({ username: 'admin', password: sha('admin') }),
    })
    expect(r.status).toBe(200)
    expect((await call(emu, 'GET', '/nope')).headers.location).toBe('/login')
  })

  it('answers 401 before routing, even for unknown paths and GET /api/login', async () => {
    const emu = await start()
    expectTextError(await call(emu, 'GET', '/scale/api/does-not-exist'), 401, 'unauthorized')
    expectTextError(await call(emu, 'GET', '/scale/api/login'), 401, 'unauthorized')
    expectTextError(await call(emu, 'POST', '/scale/api/build-id'), 401, 'unauthorized')
    const token = await login(emu)
    expectTextError(
      await call(emu, 'GET', '/scale/api/does-not-exist', { token }),
      404,
      '404 page not found',
    )
    expectTextError(
      await call(emu, 'GET', '/scale/api/login', { token }),
      404,
      '404 page not found',
    )
    // no auth needed
    const bid = expectJson(await call(emu, 'GET', '/scale/api/build-id')) as { build_id: string }
    expect(bid.build_id).toMatch(/^[0-9a-f]{16}$/)
    expect(expectJson(await call(emu, 'GET', '/scale/api/internal/peers'))).toEqual([])
  })

  it('405 with Allow for a wrong method on a known path; GET patterns serve HEAD', async () => {
    const emu = await start()
    const token = await login(emu)
    const r = await call(emu, 'DELETE', '/scale/api/users', { token })
    expectTextError(r, 405, 'Method Not Allowed')
    expect(r.headers.allow).toBe('GET, HEAD, POST')
    const head = await call(emu, 'HEAD', '/scale/api/node', { token })
    expect(head.status).toBe(200)
    expect(head.body).toBe('')
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0)
  })

  it('tun-mode quirk: GET → 405, PUT → 200 with nothing stored', async () => {
    const emu = await start()
    const token = await login(emu)
    const g = await call(emu, 'GET', '/scale/api/rules/tun-mode', { token })
    expect(g.status).toBe(405)
    expect(g.headers.allow).toBe('DELETE, PUT')
    const p = await call(emu, 'PUT', '/scale/api/rules/tun-mode', {
      token,
      body: '{"enabled":true,"mode":"mixed"}',
    })
    expect(p.body).toBe('{"status":"ok"}\n')
    expect(expectJson(await call(emu, 'GET', '/scale/api/rules', { token }))).toEqual({
      available: false,
      rules: [],
    })
  })
})

describe('auth', () => {
  it('login takes sha256 hex and flags the default password', async () => {
    const emu = await start()
    const bad = await call(emu, 'POST', '/scale/api/login', {
      body: JSON.stringify({ username: 'admin', password: 'admin' }),
    })
    expectTextError(bad, 401, 'invalid credentials')
    expectTextError(
      await call(emu, 'POST', '/scale/api/login', { body: '{"username":' }),
      400,
      'unexpected EOF',
    )
    expectTextError(
      await call(emu, 'POST', '/scale/api/login', { body: '{"username":1}' }),
      400,
      'json: cannot unmarshal number into Go struct field .username of type string',
    )
    const ok = expectJson(
      await call(emu, 'POST', '/scale/api/login', {
        body: JSON.stringify({ username: 'admin', password: sha('admin') }),
      }),
    ) as { token: string; force_password_change: boolean }
    expect(ok.token).toMatch(/^[0-9a-f]{32}$/)
    expect(ok.force_password_change).toBe(true)
    const emu2 = await start({ username: 'root', password: 's3cret!' })
    const r = await call(emu2, 'POST', '/scale/api/login', {
      body: JSON.stringify({ username: 'root', password: sha('s3cret!') }),
    })
    expect(r.body).toMatch(/^\{"force_password_change":false,"token":"[0-9a-f]{32}"\}\n$/)
  })

  it('Bearer or raw header; ?token= only when the header is empty', async () => {
    const emu = await start()
    const token = await login(emu)
    expect((await call(emu, 'GET', '/scale/api/stats', { token })).status).toBe(200)
    const raw = await call(emu, 'GET', '/scale/api/stats', { headers: { Authorization: token } })
    expect(raw.status).toBe(200)
    const lower = await call(emu, 'GET', '/scale/api/stats', {
      headers: { Authorization: `bearer ${token}` },
    })
    expect(lower.status).toBe(401)
    expect((await call(emu, 'GET', `/scale/api/stats?token=${token}`)).status).toBe(200)
    const both = await call(emu, 'GET', `/scale/api/stats?token=${token}`, {
      headers: { Authorization: 'Bearer nope' },
    })
    expect(both.status).toBe(401)
    expect(emu.tokens()).toEqual([token])
  })

  it('sliding expiry (12 h default)', async () => {
    const emu = await start()
    const token = await login(emu)
    emu.advanceTime(11 * 3_600_000)
    expect((await call(emu, 'GET', '/scale/api/node', { token })).status).toBe(200)
    emu.advanceTime(11 * 3_600_000)
    expect((await call(emu, 'GET', '/scale/api/node', { token })).status).toBe(200)
    emu.advanceTime(12 * 3_600_000 + 1000)
    expectTextError(await call(emu, 'GET', '/scale/api/node', { token }), 401, 'unauthorized')
    expect(emu.tokens()).toEqual([])
  })

  it('password change checks the current hash and drops every token', async () => {
    const emu = await start()
    const token = await login(emu)
    const other = await login(emu)
    const wrong = await call(emu, 'PUT', '/scale/api/settings/password', {
      token,
      body: JSON.stringify({ current_password: sha('nope'), new_password: sha('x') }),
    })
    expectTextError(wrong, 403, 'current password incorrect')
    const r = await call(emu, 'PUT', '/scale/api/settings/password', {
      token,
      body: JSON.stringify({ current_password: sha('admin'), new_password: sha('n3w-pass') }),
    })
    expect(r.body).toBe('{"status":"ok"}\n')
    expect((await call(emu, 'GET', '/scale/api/node', { token: other })).status).toBe(401)
    const t2 = await login(emu, 'admin', 'n3w-pass')
    expect(t2).toMatch(/^[0-9a-f]{32}$/)
  })

  it('restart drops tokens', async () => {
    const emu = await start()
    const token = await login(emu)
    emu.restart()
    expect((await call(emu, 'GET', '/scale/api/node', { token })).status).toBe(401)
  })
})

describe('node, stats, topology, settings', () => {
  it('node info, partial PUT and validation', async () => {
    const emu = await start({ nodeId: 'ea1b2adb' })
    const token = await login(emu)
    const node = expectJson(await call(emu, 'GET', '/scale/api/node', { token })) as Record<
      string,
      unknown
    >
    expect(Object.keys(node)).toEqual([
      'active_paths',
      'compat',
      'exit_node',
      'hy2_user_auth',
      'limited',
      'name',
      'node_id',
      'server',
      'version',
    ])
    expect(node).toMatchObject({ node_id: 'ea1b2adb', name: 'ea1b2adb', version: '1.3.4' })
    expect(node.server).toMatchObject({ listen: '0.0.0.0:5565', tls_cert: '/data/tls/default.crt' })
    const short = await call(emu, 'PUT', '/scale/api/node', {
      token,
      body: '{"server":{"listen":"0.0.0.0:5565","password":"abc"}}',
    })
    expectTextError(short, 400, 'server password must be at least 6 characters')
    await call(emu, 'PUT', '/scale/api/node', { token, body: '{"name":"sg-home"}' })
    const n2 = expectJson(await call(emu, 'GET', '/scale/api/node', { token })) as { name: string }
    expect(n2.name).toBe('sg-home')
  })

  it('stats keys and setStats', async () => {
    const emu = await start()
    const token = await login(emu)
    emu.setStats({ tx_bytes: 1234567890, rx_bytes: 9876543210, conns: 3 })
    const r = await call(emu, 'GET', '/scale/api/stats', { token })
    expect(r.body).toBe(
      '{"conns":3,"exit_clients":0,"rx_bytes":9876543210,"rx_rate":0,"tx_bytes":1234567890,"tx_rate":0}\n',
    )
  })

  it('topology element 0 is self', async () => {
    const emu = await start({ nodeId: 'aabbccdd', simulate: { tickMs: 60_000, seed: 7 } })
    const token = await login(emu)
    const topo = expectJson(await call(emu, 'GET', '/scale/api/topology', { token })) as Record<
      string,
      unknown
    >[]
    expect(topo[0]).toMatchObject({ name: 'aabbccdd', direction: 'local', is_self: true })
    expect((topo[0]?.children as { name: string }[])[0]?.name).toBe('home-nas')
    const jp = topo.find((t) => t.name === 'jp')
    expect(jp).toMatchObject({ direction: 'outbound', connected: true, nested: true })
    expect((jp?.children as unknown[]).length).toBe(1)
    const sg = topo.find((t) => t.name === 'sg')
    expect(sg).toMatchObject({ connected: false, disabled: true, latency_ms: -1 })
  })

  it('settings/ui note and defaults', async () => {
    const emu = await start()
    const token = await login(emu)
    const ui = expectJson(await call(emu, 'GET', '/scale/api/settings/ui', { token })) as Record<
      string,
      unknown
    >
    expect(ui).toMatchObject({ base_path: '/scale', dns: '8.8.8.8,1.1.1.1', session_timeout_h: 12 })
    const live = await call(emu, 'PUT', '/scale/api/settings/ui', {
      token,
      body: '{"dns":"9.9.9.9"}',
    })
    expect(live.body).toBe('{"note":"applied live","status":"ok"}\n')
    const rs = await call(emu, 'PUT', '/scale/api/settings/ui', { token, body: '{"listen":":1"}' })
    expect(JSON.parse(rs.body)).toEqual({
      status: 'ok',
      note: 'listen / base_path / TLS settings require restart to take effect',
    })
  })
})

describe('users, proxies, clients', () => {
  it('users: [] not null, auto id, duplicate no-op, whole-record PUT drops the password', async () => {
    const emu = await start()
    const token = await login(emu)
    expect((await call(emu, 'GET', '/scale/api/users', { token })).body).toBe('[]\n')
    expect((await call(emu, 'GET', '/scale/api/proxies', { token })).body).toBe('[]\n')
    expectTextError(
      await call(emu, 'POST', '/scale/api/users', { token, body: '{"username":"alice"}' }),
      400,
      'username and password required',
    )
    const add = await call(emu, 'POST', '/scale/api/users', {
      token,
      body: JSON.stringify({
        username: 'alice',
        password: 'pw1',
        traffic_limit: 100,
        enabled: true,
      }),
    })
    expect(add.body).toBe('{"status":"ok"}\n')
    const dup = await call(emu, 'POST', '/scale/api/users', {
      token,
      body: JSON.stringify({ username: 'alice', password: 'other' }),
    })
    expect(dup.status).toBe(200)
    const list = expectJson(await call(emu, 'GET', '/scale/api/users', { token })) as UserConfig[]
    expect(list).toHaveLength(1)
    const alice = list[0] as UserConfig
    expect(alice.id).toMatch(/^[0-9a-f]{8}$/)
    expect(Object.keys(alice)).toEqual([
      'id',
      'username',
      'password',
      'exit_via',
      'traffic_limit',
      'traffic_used',
      'expiry_date',
      'enabled',
    ])
    emu.recordUserTraffic('alice', 500)
    const put = await call(emu, 'PUT', `/scale/api/users/${alice.id}`, {
      token,
      body: JSON.stringify({ username: 'alice', enabled: true }),
    })
    expect(put.status).toBe(200)
    const after = emu.users()[0] as UserConfig
    expect(after.password).toBe('')
    expect(after.traffic_limit).toBe(0)
    expect(after.traffic_used).toBe(500)
    await call(emu, 'PUT', `/scale/api/users/${alice.id}/reset-traffic`, { token })
    expect(emu.users()[0]?.traffic_used).toBe(0)
    await call(emu, 'PUT', `/scale/api/users/${alice.id}/toggle`, {
      token,
      body: '{"enabled":false}',
    })
    expect(emu.users()[0]?.enabled).toBe(false)
    for (const [m, p] of [
      ['PUT', '/scale/api/users/missing/toggle'],
      ['DELETE', '/scale/api/users/missing'],
      ['PUT', '/scale/api/users/missing/reset-traffic'],
    ] as const) {
      const r = await call(emu, m, p, { token, body: '{"enabled":true}' })
      expect(r.body).toBe('{"status":"ok"}\n')
    }
    const typeErr = await call(emu, 'POST', '/scale/api/users', {
      token,
      body: '{"username":"bob","password":"x","traffic_limit":"5"}',
    })
    expectTextError(
      typeErr,
      400,
      'json: cannot unmarshal string into Go struct field UserConfig.traffic_limit of type int64',
    )
  })

  it('users: password colliding with the hy2 server password is rejected', async () => {
    const emu = await start()
    const token = await login(emu)
    await call(emu, 'PUT', '/scale/api/node', {
      token,
      body: '{"server":{"listen":"0.0.0.0:5565","password":"serverpw1"}}',
    })
    const r = await call(emu, 'POST', '/scale/api/users', {
      token,
      body: '{"username":"x","password":"serverpw1"}',
    })
    expectTextError(
      r,
      400,
      'user password collides with the hy2 server password — pick a different password',
    )
  })

  it('proxies and clients: silent duplicate adds, validation texts', async () => {
    const emu = await start()
    const token = await login(emu)
    const p = '{"id":"s5","listen":"0.0.0.0:1080","enabled":true}'
    await call(emu, 'POST', '/scale/api/proxies', { token, body: p })
    await call(emu, 'POST', '/scale/api/proxies', { token, body: p })
    expect((await call(emu, 'GET', '/scale/api/proxies', { token })).body).toBe(
      '[{"id":"s5","protocol":"socks5","listen":"0.0.0.0:1080","enabled":true}]\n',
    )
    expectTextError(
      await call(emu, 'POST', '/scale/api/clients', {
        token,
        body: '{"name":"jp","addr":"jp.example:99999","password":"x"}',
      }),
      400,
      'invalid address format "jp.example:99999"',
    )
    await call(emu, 'POST', '/scale/api/clients', {
      token,
      body: '{"name":"jp","addr":"jp.example:5565,20000-30000","password":"x"}',
    })
    const cl = expectJson(await call(emu, 'GET', '/scale/api/clients', { token })) as Record<
      string,
      unknown
    >[]
    expect(cl[0]).toMatchObject({
      name: 'jp',
      addrs: ['jp.example:5565,20000-30000'],
      connected: false,
    })
    expectTextError(await call(emu, 'GET', '/scale/api/clients/nope', { token }), 404, 'not found')
  })
})

describe('check-ports', () => {
  it('takes a bare array; conflicts null when free; {ports} is a 400', async () => {
    const emu = await start()
    const token = await login(emu)
    const free = await call(emu, 'POST', '/scale/api/check-ports', {
      token,
      body: '[{"port":41234,"proto":"tcp","desc":"x"}]',
    })
    expect(free.body).toBe('{"conflicts":null}\n')
    const busy = await call(emu, 'POST', '/scale/api/check-ports', {
      token,
      body: '[{"port":5565,"proto":"udp","desc":"hy2"},{"port":1,"proto":"sctp","desc":"?"}]',
    })
    expect(JSON.parse(busy.body)).toEqual({
      conflicts: [
        { port: 5565, proto: 'udp', desc: 'hy2' },
        { port: 1, proto: 'sctp', desc: '?' },
      ],
    })
    expectTextError(
      await call(emu, 'POST', '/scale/api/check-ports', { token, body: '{"ports":[5565]}' }),
      400,
      'json: cannot unmarshal object into Go value of type []app.PortConflict',
    )
  })
})

describe('sessions', () => {
  it('keys with | are URL-encoded; kick refuses the key for 60 s; bytes count on close', async () => {
    const emu = await start()
    const token = await login(emu)
    const key = emu.addDevice({ username: 'alice', ip: '203.0.113.5', protocol: 'hy2', conns: 2 })
    expect(key).toBe('alice|203.0.113.5|hy2')
    emu.closeConnection(key, 100, 2000)
    emu.advanceTime(5000)
    const s = expectJson(await call(emu, 'GET', '/scale/api/sessions', { token })) as {
      devices: Device[]
      total: number
    }
    expect(s.total).toBe(1)
    expect(s.devices[0]).toMatchObject({
      key,
      username: 'alice',
      remote_ip: '203.0.113.5',
      protocol: 'hy2',
      duration: 5,
      conn_count: 1,
      tx_bytes: 100,
      rx_bytes: 2000,
    })
    const kick = await call(emu, 'DELETE', `/scale/api/sessions/${encodeURIComponent(key)}`, {
      token,
    })
    expect(kick.body).toBe('{"status":"ok"}\n')
    expect(emu.sessions()).toEqual([])
    expect(emu.addDevice({ username: 'alice', ip: '203.0.113.5', protocol: 'hy2' })).toBe('')
    expectTextError(
      await call(emu, 'DELETE', `/scale/api/sessions/${encodeURIComponent(key)}`, { token }),
      404,
      'session not found',
    )
    emu.advanceTime(61_000)
    expect(emu.addDevice({ username: 'alice', ip: '203.0.113.5', protocol: 'hy2' })).toBe(key)
    expect((await call(emu, 'GET', '/scale/api/sessions', { token })).body).toContain('"total":1')
  })

  it('changing a user password kicks that user', async () => {
    const emu = await start()
    const token = await login(emu)
    await call(emu, 'POST', '/scale/api/users', {
      token,
      body: '{"id":"u1","username":"bob","password":"a"}',
    })
    emu.addDevice({ username: 'bob', ip: '192.0.2.1', protocol: 'socks5' })
    await call(emu, 'PUT', '/scale/api/users/u1', {
      token,
      body: '{"username":"bob","password":"b"}',
    })
    expect(emu.sessions()).toEqual([])
  })
})

describe('wireguard', () => {
  it('peer config text, Content-Disposition, DNS from the UI setting', async () => {
    const emu = await start()
    const token = await login(emu)
    const keys = expectJson(
      await call(emu, 'POST', '/scale/api/wireguard/generate-key', { token }),
    ) as { private_key: string; public_key: string }
    expect(Buffer.from(keys.private_key, 'base64')).toHaveLength(32)
    const wg0 = expectJson(await call(emu, 'GET', '/scale/api/wireguard', { token })) as Record<
      string,
      unknown
    >
    expect(wg0.peers).toBeNull() // fresh node: config exists, no peers
    await call(emu, 'POST', '/scale/api/wireguard/peers', {
      token,
      body: JSON.stringify({
        name: 'phone',
        public_key: keys.public_key,
        private_key: keys.private_key,
        allowed_ips: '10.0.0.2/32',
        keepalive: 25,
      }),
    })
    const r = await call(
      emu,
      'GET',
      '/scale/api/wireguard/peers/phone/config?endpoint=vpn.example',
      {
        token,
      },
    )
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('text/plain')
    expect(r.headers['content-disposition']).toBe('attachment; filename=phone.conf')
    const wg = expectJson(await call(emu, 'GET', '/scale/api/wireguard', { token })) as {
      public_key: string
    }
    expect(r.body).toBe(
      `[Interface]\nPrivateKey = ${keys.private_key}\nAddress = 10.0.0.2/32\nDNS = 1.1.1.1, 8.8.8.8\nMTU = 1420\n\n[Peer]\nPublicKey = ${wg.public_key}\nEndpoint = vpn.example:51820\nAllowedIPs = 0.0.0.0/0, ::/0\nPersistentKeepalive = 25\n`,
    )
    await call(emu, 'PUT', '/scale/api/settings/ui', { token, body: '{"dns":"9.9.9.9"}' })
    const r2 = await call(emu, 'GET', '/scale/api/wireguard/peers/phone/config', { token })
    expect(r2.body).toContain('DNS = 9.9.9.9\n')
    expect(r2.body).not.toContain('Endpoint')
    expectTextError(
      await call(emu, 'GET', '/scale/api/wireguard/peers/nope/config', { token }),
      404,
      'peer not found',
    )
    // PUT with empty peers keeps the peers
    await call(emu, 'PUT', '/scale/api/wireguard', {
      token,
      body: '{"enabled":false,"listen_port":51821,"address":"10.0.0.1/24","peers":[]}',
    })
    const wg2 = expectJson(await call(emu, 'GET', '/scale/api/wireguard', { token })) as {
      peers: { name: string }[]
      listen_port: number
    }
    expect(wg2.peers.map((p) => p.name)).toEqual(['phone'])
    expect(wg2.listen_port).toBe(51821)
  })

  it('generate-key returns a matching X25519 pair', async () => {
    const emu = await start()
    const token = await login(emu)
    const k = JSON.parse(
      (await call(emu, 'POST', '/scale/api/wireguard/generate-key', { token })).body,
    ) as { private_key: string; public_key: string }
    const pub = createPublicKey({
      key: Buffer.concat([
        Buffer.from('302a300506032b656e032100', 'hex'),
        Buffer.from(k.public_key, 'base64'),
      ]),
      format: 'der',
      type: 'spki',
    })
    expect(pub.asymmetricKeyType).toBe('x25519')
  })

  it('QR PNG is 512×512; missing text is a 400', async () => {
    const emu = await start()
    const token = await login(emu)
    const r = await call(
      emu,
      'GET',
      `/scale/api/wireguard/qr?text=${encodeURIComponent('[Interface]\nPrivateKey = x\n')}`,
      {
        token,
      },
    )
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('image/png')
    expect(r.raw.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
    expect(r.raw.toString('ascii', 12, 16)).toBe('IHDR')
    expect(r.raw.readUInt32BE(16)).toBe(512)
    expect(r.raw.readUInt32BE(20)).toBe(512)
    const idatLen = r.raw.readUInt32BE(8 + 25 + 18)
    const idat = inflateSync(r.raw.subarray(8 + 25 + 18 + 8, 8 + 25 + 18 + 8 + idatLen))
    expect(idat.length).toBe(512 * 65)
    expectTextError(
      await call(emu, 'GET', '/scale/api/wireguard/qr', { token }),
      400,
      'missing text',
    )
  })

  it('l2tp / ikev2 report no capability and refuse PUT', async () => {
    const emu = await start()
    const token = await login(emu)
    const l = expectJson(await call(emu, 'GET', '/scale/api/l2tp', { token })) as Record<
      string,
      unknown
    >
    expect(l).toMatchObject({ capable: false, host_network: false, listen: '1701', mtu: 1280 })
    const put = await call(emu, 'PUT', '/scale/api/l2tp', { token, body: '{}' })
    expect(put.status).toBe(403)
    expect(put.body.startsWith('L2TP unavailable: ')).toBe(true)
    const ik = await call(emu, 'PUT', '/scale/api/ikev2', { token, body: '{}' })
    expect(ik.body.startsWith('IKEv2 unavailable: ')).toBe(true)
  })
})

describe('tls', () => {
  it('default cert, generate, sign, pem, delete, null when empty', async () => {
    const emu = await start({ nodeId: 'n0de1d00' })
    const token = await login(emu)
    const list = expectJson(await call(emu, 'GET', '/scale/api/tls', { token })) as CertInfo[]
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({
      id: 'default',
      name: 'Default',
      subject: 'n0de1d00',
      issuer: 'n0de1d00',
      is_ca: false,
      key_file: '/data/tls/default.key',
      cert_file: '/data/tls/default.crt',
    })
    const gen = await call(emu, 'POST', '/scale/api/tls/generate', {
      token,
      body: '{"id":"vpn","domains":["vpn.example"],"days":30}',
    })
    expect(gen.body).toBe('{"status":"ok"}\n')
    const notCa = await call(emu, 'POST', '/scale/api/tls/sign', {
      token,
      body: '{"ca_id":"vpn","id":"leaf","cn":"leaf.example"}',
    })
    expectTextError(notCa, 500, 'selected certificate is not a CA')
    const missing = await call(emu, 'POST', '/scale/api/tls/sign', {
      token,
      body: '{"ca_id":"nope","id":"leaf","cn":"leaf.example"}',
    })
    expect(missing.status).toBe(500)
    const bad = await call(emu, 'POST', '/scale/api/tls/import', {
      token,
      body: '{"id":"x","cert":"not a pem"}',
    })
    expectTextError(bad, 400, 'invalid certificate PEM')
    const pem = expectJson(await call(emu, 'GET', '/scale/api/tls/vpn/pem', { token })) as {
      cert: string
      key: string
    }
    expect(pem.cert).toContain('BEGIN CERTIFICATE')
    expect(pem.key).toContain('BEGIN EC PRIVATE KEY')
    const imp = await call(emu, 'POST', '/scale/api/tls/import', {
      token,
      body: JSON.stringify({ id: 'copy', cert: pem.cert }),
    })
    expect(imp.status).toBe(200)
    const l2 = expectJson(await call(emu, 'GET', '/scale/api/tls', { token })) as CertInfo[]
    expect(l2.map((c) => c.id)).toEqual(['copy', 'default', 'vpn'])
    expect(l2[0]?.key_file).toBeUndefined()
    expect(expectJson(await call(emu, 'GET', '/scale/api/tls/none/pem', { token }))).toEqual({
      cert: '',
      key: '',
    })
    for (const id of ['copy', 'default', 'vpn', 'never-existed']) {
      expect((await call(emu, 'DELETE', `/scale/api/tls/${id}`, { token })).status).toBe(200)
    }
    expect((await call(emu, 'GET', '/scale/api/tls', { token })).body).toBe('null\n')
  })

  it('signs with a CA from the simulation', async () => {
    const emu = await start({ simulate: { tickMs: 60_000, seed: 3 } })
    const token = await login(emu)
    const r = await call(emu, 'POST', '/scale/api/tls/sign', {
      token,
      body: '{"ca_id":"demo-ca","id":"ikev2","cn":"ike.example"}',
    })
    expect(r.status).toBe(200)
    const list = expectJson(await call(emu, 'GET', '/scale/api/tls', { token })) as CertInfo[]
    expect(list.find((c) => c.id === 'ikev2')).toMatchObject({
      name: 'ike.example',
      subject: 'ike.example',
      issuer: 'NodeDeck Demo Root CA',
      ca_parent_id: 'demo-ca',
    })
    const vpn = list.find((c) => c.id === 'vpn') as CertInfo
    expect(new Date(vpn.not_after).getTime() - Date.now()).toBeLessThan(30 * 86_400_000)
  })
})

describe('SSE', () => {
  it('graph-layout stream: snapshot first, pings, frame after PUT', async () => {
    const emu = await start({ pingIntervalMs: 50 })
    const token = await login(emu)
    const chunks: string[] = []
    let headers: IncomingHttpHeaders = {}
    const req = httpRequest({
      host: '127.0.0.1',
      port: emu.port,
      path: `/scale/api/graph-layout/stream?token=${token}`,
    })
    await new Promise<void>((resolve) => {
      req.on('response', (res) => {
        headers = res.headers
        res.setEncoding('utf8')
        res.on('data', (c: string) => chunks.push(c))
        resolve()
      })
      req.end()
    })
    expect(headers['content-type']).toBe('text/event-stream')
    expect(headers['cache-control']).toBe('no-cache')
    expect(headers['x-accel-buffering']).toBe('no')
    await new Promise((r) => setTimeout(r, 130))
    const put = await call(emu, 'PUT', '/scale/api/graph-layout', {
      token,
      body: '{"positions":{"jp":{"x":1.5,"y":-2}}}',
    })
    expect(put.body).toBe('{"status":"ok"}\n')
    await new Promise((r) => setTimeout(r, 30))
    const text = chunks.join('')
    expect(text.startsWith('data: {"positions":{}}\n\n')).toBe(true)
    expect(text).toContain(': ping\n\n')
    expect(text).toContain('data: {"positions":{"jp":{"x":1.5,"y":-2}}}\n\n')
    expect((await call(emu, 'GET', '/scale/api/graph-layout', { token })).body).toBe(
      '{"positions":{"jp":{"x":1.5,"y":-2}}}\n',
    )
    req.destroy()
  })

  it('upgrade events: first frame is the status; download is Docker-only', async () => {
    const emu = await start()
    const token = await login(emu)
    const check = expectJson(await call(emu, 'GET', '/scale/api/upgrade/check', { token })) as {
      update_available: boolean
    }
    expect(check.update_available).toBe(true)
    expectTextError(
      await call(emu, 'POST', '/scale/api/upgrade/download', { token }),
      403,
      'online update is only available in Docker deployments',
    )
    const st = expectJson(await call(emu, 'GET', '/scale/api/upgrade/status', { token }))
    expect(st).toMatchObject({ state: 'idle', current: '1.3.4', latest: '1.3.5' })
  })
})

describe('backup and restore', () => {
  it('backup is a tar; restore answers ok then restarts (tokens dropped, config reloaded)', async () => {
    const emu = await start()
    const token = await login(emu)
    await call(emu, 'POST', '/scale/api/users', {
      token,
      body: '{"username":"keep","password":"p"}',
    })
    const b = await call(emu, 'GET', '/scale/api/backup', { token })
    expect(b.headers['content-type']).toBe('application/x-tar')
    expect(b.headers['content-disposition']).toBe('attachment; filename=hy2scale-backup.tar')
    const tar = readTar(b.raw)
    if ('error' in tar) throw new Error(tar.error)
    expect(tar.entries.map((e) => e.name)).toContain('config.yaml')
    await call(emu, 'DELETE', `/scale/api/users/${emu.users()[0]?.id ?? ''}`, { token })
    expect(emu.users()).toEqual([])
    expectTextError(
      await call(emu, 'POST', '/scale/api/restore', { token, body: 'garbage'.repeat(100) }),
      400,
      'invalid tar: archive/tar: invalid tar header',
    )
    const r = await call(emu, 'POST', '/scale/api/restore', { token, body: b.raw })
    expect(r.body).toBe('{"status":"ok"}\n')
    expect((await call(emu, 'GET', '/scale/api/node', { token })).status).toBe(200)
    await new Promise((res) => setTimeout(res, 600))
    expect((await call(emu, 'GET', '/scale/api/node', { token })).status).toBe(401)
    expect(emu.users().map((u) => u.username)).toEqual(['keep'])
  })
})

describe('modes and simulation', () => {
  it('http500 and garbage modes; request log', async () => {
    const emu = await start()
    emu.setMode('http500')
    expectTextError(await call(emu, 'GET', '/scale/api/node'), 500, 'Internal Server Error')
    emu.setMode('garbage')
    expect((await call(emu, 'GET', '/scale/api/node')).body).toContain('Wi-Fi login')
    expect(emu.requests.map((r) => r.path)).toEqual(['/scale/api/node', '/scale/api/node'])
    emu.clearRequestLog()
    expect(emu.requests).toHaveLength(0)
  })

  it('simulation seeds users, sessions and stats', async () => {
    const emu = await start({ simulate: { tickMs: 60_000, users: 6, seed: 42 } })
    for (let i = 0; i < 20; i++) emu.simulation?.step()
    const token = await login(emu)
    const users = expectJson(await call(emu, 'GET', '/scale/api/users', { token })) as UserConfig[]
    expect(users).toHaveLength(6)
    const st = expectJson(await call(emu, 'GET', '/scale/api/stats', { token })) as {
      rx_bytes: number
    }
    expect(st.rx_bytes).toBeGreaterThan(0)
    const wg = expectJson(await call(emu, 'GET', '/scale/api/wireguard', { token })) as {
      peers: unknown[]
    }
    expect(wg.peers).toHaveLength(3)
  })
})
