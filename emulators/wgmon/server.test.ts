/**
 * Contract tests of the WireGuard monitor emulator (apis.md §5) on both variants.
 *
 * Directions, as upstream labels them: `total_rx` / `session_rx` = bytes the SERVER received =
 * the CLIENT'S UPLOAD; `total_tx` / `session_tx` = bytes the server sent = the CLIENT'S
 * DOWNLOAD. The dashboard's and chart's `upload` / `upload_raw` are the server's upload = `tx` =
 * the client's download; `download` / `download_raw` = `rx` = the client's upload.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connect } from 'node:net'
import { startWgMonEmulator, type WgMonEmulator, type WgMonVariant } from './server'
import { pyFixed1, pyJsonDumps, PyFloat, readableBytes } from './pyhttp'

const KEY_A = 'A'.repeat(43) + '='
const KEY_B = 'B'.repeat(43) + '='
const KEY_C = 'C'.repeat(43) + '='

const emus: WgMonEmulator[] = []
afterEach(async () => {
  await Promise.all(emus.splice(0).map((e) => e.close()))
})

async function start(variant: WgMonVariant = 'upstream', extra = {}): Promise<WgMonEmulator> {
  const e = await startWgMonEmulator({ variant, ...extra })
  emus.push(e)
  return e
}

/** Sends raw bytes, returns everything until the server closes. */
function raw(e: WgMonEmulator, text: string | Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = connect(e.port, '127.0.0.1', () => s.write(text))
    const chunks: Buffer[] = []
    s.on('data', (d) => chunks.push(d))
    s.on('end', () => resolve(Buffer.concat(chunks)))
    s.on('error', reject)
  })
}

interface Reply {
  status: number
  reason: string
  headers: Record<string, string>
  body: string
  json: unknown
}

function parse(buf: Buffer): Reply {
  const s = buf.toString('utf8')
  const i = s.indexOf('\r\n\r\n')
  const head = s.slice(0, i).split('\r\n')
  const m = /^HTTP\/1\.0 (\d+) (.*)$/.exec(head[0] ?? '')
  if (!m) throw new Error(`no status line: ${JSON.stringify(s.slice(0, 80))}`)
  const headers: Record<string, string> = {}
  for (const l of head.slice(1)) {
    const c = l.indexOf(':')
    headers[l.slice(0, c).toLowerCase()] = l.slice(c + 1).trim()
  }
  const body = s.slice(i + 4)
  let json: unknown = undefined
  try {
    json = JSON.parse(body)
  } catch {
    /* not JSON */
  }
  return { status: Number(m[1]), reason: m[2] as string, headers, body, json }
}

async function req(e: WgMonEmulator, method: string, path: string, body?: unknown): Promise<Reply> {
  const b = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
  const len = Buffer.byteLength(b)
  const head =
    `${method} ${path} HTTP/1.1\r\nHost: x\r\n` +
    (body === undefined ? '' : `Content-Type: application/json\r\nContent-Length: ${len}\r\n`) +
    '\r\n'
  return parse(await raw(e, head + b))
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any
const get = async (e: WgMonEmulator, p: string): Promise<J> => (await req(e, 'GET', p)).json

describe('Python http.server transport', () => {
  it('HTTP/1.0, BaseHTTP Server header, indented raw-UTF-8 JSON with CORS, closes after one reply', async () => {
    const e = await start()
    const buf = await raw(
      e,
      'GET /api/status HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n',
    )
    const r = parse(buf)
    expect(r.status).toBe(200)
    expect(
      buf.toString().startsWith('HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.12.3\r\nDate: '),
    ).toBe(true)
    expect(r.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(r.headers['access-control-allow-origin']).toBe('*')
    expect(r.headers['access-control-allow-methods']).toBe('GET, POST, PUT, DELETE, OPTIONS')
    expect(r.headers['access-control-allow-headers']).toBe('Content-Type, Authorization')
    expect(Number(r.headers['content-length'])).toBe(Buffer.byteLength(r.body))
    expect(r.body.startsWith('{\n  "system": {\n    "interface": "wg0",')).toBe(true)
    expect(r.json).toMatchObject({
      system: { interface: 'wg0', status: 'running', max_handshake_age: 180, monitoring: true },
      users: { total: 0, online: 0, active_sessions: 0 },
    })
    expect((r.json as J).timestamp).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
  })

  it('unknown path: Python send_error 404 HTML page without CORS; 501 for other methods; OPTIONS', async () => {
    const e = await start()
    const r = await req(e, 'GET', '/nope')
    expect(r.status).toBe(404)
    expect(r.reason).toBe('API endpoint not found')
    expect(r.headers['content-type']).toBe('text/html;charset=utf-8')
    expect(r.headers['connection']).toBe('close')
    expect(r.headers['access-control-allow-origin']).toBeUndefined()
    expect(r.body).toContain('<p>Message: API endpoint not found.</p>')
    expect(r.body).toContain('<p>Error code explanation: 404 - Nothing matches the given URI.</p>')
    const p = await req(e, 'PATCH', '/api/users')
    expect(p.status).toBe(501)
    expect(p.reason).toBe("Unsupported method ('PATCH')")
    const o = await raw(e, 'OPTIONS /anything HTTP/1.1\r\n\r\n')
    const or = parse(o)
    expect(or.status).toBe(200)
    expect(or.body).toBe('')
    expect(or.headers['content-length']).toBeUndefined()
    expect(or.headers['access-control-allow-origin']).toBe('*')
    // the path is not percent-decoded
    expect((await req(e, 'GET', '/api/%75sers')).status).toBe(404)
    // malformed version: Python has not set request_version yet → the page without a status line
    const bad = (await raw(e, 'GET / HTTP/x.y\r\n\r\n')).toString()
    expect(bad.startsWith('<!DOCTYPE HTML>')).toBe(true)
    expect(bad).toContain('Bad request version (&#x27;HTTP/x.y&#x27;)'.replace(/&#x27;/g, "'"))
  })

  it('serializes: two concurrent requests never overlap (maxConcurrent 1), the second waits', async () => {
    const e = await start('upstream', { latencyMs: 150 })
    const t0 = Date.now()
    const [a, b] = await Promise.all([
      fetch(`${e.url}/api/status`).then(async (r) => ({ r: await r.json(), t: Date.now() - t0 })),
      fetch(`${e.url}/api/users`).then(async (r) => ({ r: await r.json(), t: Date.now() - t0 })),
    ])
    expect(a.r).toBeTruthy()
    expect(b.r).toBeTruthy()
    expect(Math.max(a.t, b.t)).toBeGreaterThanOrEqual(290)
    expect(e.control.maxConcurrent()).toBe(1)
    expect(e.requests.map((x) => x.path).sort()).toEqual(['/api/status', '/api/users'])
  })

  it('a hung request blocks the server until its client gives up', async () => {
    const e = await start()
    e.control.failNext('hang')
    const s = connect(e.port, '127.0.0.1', () => s.write('GET /api/status HTTP/1.0\r\n\r\n'))
    s.on('error', () => {})
    await new Promise((r) => setTimeout(r, 50))
    let done = false
    const second = req(e, 'GET', '/api/status').then((r) => {
      done = true
      return r
    })
    await new Promise((r) => setTimeout(r, 100))
    expect(done).toBe(false)
    s.destroy()
    expect((await second).status).toBe(200)
    expect(e.control.maxConcurrent()).toBe(1)
  })

  it('failure modes: empty 200, no reply, http500, garbage', async () => {
    const e = await start()
    e.control.failNext('empty')
    const em = await req(e, 'GET', '/api/users')
    expect(em.status).toBe(200)
    expect(em.body).toBe('')
    expect(em.headers['content-length']).toBe('0')
    await expect(fetch(`${e.url}/api/users`).then((r) => r.json())).resolves.toBeTruthy()
    e.control.failNext('empty')
    await expect(fetch(`${e.url}/api/users`).then((r) => r.json())).rejects.toThrow()
    e.control.failNext('noreply')
    expect((await raw(e, 'GET /api/users HTTP/1.0\r\n\r\n')).length).toBe(0)
    e.control.failNext('http500')
    const h = await req(e, 'GET', '/api/users')
    expect(h.status).toBe(500)
    expect(h.json).toEqual({ error: 'database is locked' })
    e.control.failNext('garbage')
    const g = await req(e, 'GET', '/api/users')
    expect(g.status).toBe(200)
    expect(g.json).toBeUndefined()
  })
})

describe.each(['upstream', 'seed'] as const)('variant %s', (variant) => {
  it('users list: wrapped (upstream) or bare array (seed)', async () => {
    const e = await start(variant)
    e.control.createUser({ peer_pubkey: KEY_A, nickname: '张三', mail: 'a@example.com' })
    const j = await get(e, '/api/users')
    const rows = variant === 'upstream' ? j.users : j
    expect(Array.isArray(rows)).toBe(true)
    expect(rows[0]).toMatchObject({
      id: 1,
      peer_pubkey: KEY_A,
      nickname: '张三',
      enabled: 1,
      status: 0,
    })
    expect(rows[0].total_rx).toBe(0)
    if (variant === 'upstream') {
      expect(Object.keys(rows[0])).toEqual([
        'id',
        'peer_pubkey',
        'client_ip',
        'nickname',
        'mail',
        'phone',
        'login_ip',
        'bandwidth_limit',
        'data_limit',
        'expiry_date',
        'status',
        'enabled',
        'total_rx',
        'total_tx',
        'last_login',
        'note',
        'wg_config',
        'created_at',
        'updated_at',
      ])
      expect(rows[0].client_ip).toBe('10.0.0.2')
    } else {
      expect(rows[0].client_ip).toBeUndefined()
      expect(rows[0].wg_config).toBeUndefined()
    }
  })

  it('management view: pagination, search, status filter', async () => {
    const e = await start(variant)
    e.control.createUser({ peer_pubkey: KEY_A, nickname: 'alice', mail: 'alice@example.com' })
    e.control.createUser({ peer_pubkey: KEY_B, nickname: 'bob' })
    e.control.createUser({ peer_pubkey: KEY_C })
    e.control.setOnline('bob', true)
    const all = await get(e, '/api/users/management?per_page=2&page=1')
    const q = (j: J): J[] => (variant === 'upstream' ? j.users : j)
    if (variant === 'upstream') {
      expect(all.pagination).toEqual({
        current_page: 1,
        per_page: 2,
        total: 3,
        total_pages: 2,
        has_next: true,
        has_prev: false,
      })
      expect(all.filters).toEqual({ search: '', status: 'all' })
      expect(q(all)).toHaveLength(2)
      expect(q(all)[0]).toMatchObject({
        nickname: 'bob',
        is_online: 1,
        status: 1,
        peer_pubkey_short: 'BBBBBBBBBBBBBBBB...',
        mail: '',
        login_ip: '',
        session_rx: 0,
        session_rx_readable: '0.0B',
      })
      const p2 = await get(e, '/api/users/management?per_page=2&page=2')
      expect(q(all).map((u: J) => u.nickname)).toEqual(['bob', 'alice'])
      expect(q(p2).map((u: J) => u.nickname)).toEqual(['User_3'])
      expect(p2.pagination).toMatchObject({ current_page: 2, has_next: false, has_prev: true })
      expect(q(p2)[0].session_rx).toBeNull()
      expect(q(p2)[0].session_start).toBeNull()
      const z = await req(e, 'GET', '/api/users/management?per_page=0')
      expect(z.status).toBe(500)
      expect(z.json).toEqual({ error: 'integer division or modulo by zero' })
    } else {
      expect(q(all)).toHaveLength(3) // no paging in the seed's bare array
      expect(Object.keys(q(all)[0])).toEqual([
        'id',
        'peer_pubkey',
        'nickname',
        'mail',
        'phone',
        'login_ip',
        'status',
        'enabled',
        'is_online',
        'total_rx',
        'total_tx',
        'last_login',
        'session_start',
      ])
    }
    const s = await get(e, '/api/users/management?search=ALI')
    expect(q(s).map((u: J) => u.nickname)).toEqual(['alice'])
    const on = await get(e, '/api/users/management?status=online')
    expect(q(on).map((u: J) => u.nickname)).toEqual(['bob'])
    const off = await get(e, '/api/users/management?status=offline')
    expect(q(off)).toHaveLength(2)
  })

  it('events, history, status, dashboard and chart; directions from the server side', async () => {
    const e = await start(variant)
    e.control.createUser({ peer_pubkey: KEY_A, nickname: 'alice' })
    e.control.setOnline('alice', true)
    // client uploads 1000 (server rx), downloads 5000 (server tx)
    expect(e.control.addTraffic('alice', 1000, 5000)).toBe(true)
    let ev = await get(e, '/api/events')
    expect(ev.events[0]).toMatchObject({
      user_id: 1,
      nickname: 'alice',
      status: 'ONLINE',
      end_time: null,
      session_rx: 1000,
      session_tx: 5000,
      session_tx_readable: '4.9K',
      duration_seconds: 0,
      login_ip: null,
    })
    expect(ev.events[0].endpoint_info).toMatch(/^\d+\.\d+\.\d+\.\d+:\d+$/)
    const st = await get(e, '/api/status')
    expect(st.users).toEqual({ total: 1, online: 1, active_sessions: 1 })
    // totals move only when the session closes
    expect(e.control.users()[0]!.total_tx).toBe(0)
    e.control.advanceTime(65_000)
    e.control.setOnline('alice', false)
    ev = await get(e, '/api/events')
    expect(ev.events[0]).toMatchObject({ status: 'OFFLINE', duration_seconds: 65 })
    const h = await get(e, '/api/events/history?user_id=1&status=offline')
    expect(h.events[0].duration_readable).toBe('1m 5s')
    expect(h.filters).toEqual({ user_id: 1, status: 'offline' })
    expect(h.pagination.total).toBe(1)
    const u = e.control.users()[0]!
    expect([u.total_rx, u.total_tx]).toEqual([1000, 5000])
    const d = await get(e, '/api/dashboard')
    const c = await get(e, '/api/traffic/chart?days=30')
    if (variant === 'upstream') {
      expect(d.summary).toMatchObject({ registered_users: 1, enabled_users: 1, online_users: 0 })
      // the server's upload = tx = what the client downloaded
      expect(d.traffic.upload_raw).toBe(5000)
      expect(d.traffic.download_raw).toBe(1000)
      expect(d.traffic.total_upload).toBe('4.9K')
      expect(typeof d.summary.uptime_hours).toBe('number')
      expect(d.summary.uptime_readable).toMatch(/分钟$/)
      expect(c.period.days).toBe(30)
      expect(c.data[0]).toMatchObject({ upload: 5000, download: 1000, sessions: 1 })
      expect((await get(e, '/api/traffic/chart?days=abc')).period.days).toBe(7)
      expect((await get(e, '/api/traffic/chart?days=9999')).period.days).toBe(365)
    } else {
      expect(d).toMatchObject({ total_users: 1, online_users: 0, total_rx: 1000, total_tx: 5000 })
      expect(Array.isArray(c)).toBe(true)
      expect(c[0]).toMatchObject({ total_rx: 1000, total_tx: 5000 })
      expect(Object.keys(c[0])).toEqual(['date', 'total_rx', 'total_tx'])
    }
  })

  it('user actions are GET requests: enable/disable/reset/kick and their errors', async () => {
    const e = await start(variant)
    e.control.createUser({ peer_pubkey: KEY_A, nickname: 'alice' })
    e.control.setOnline('alice', true)
    e.control.addTraffic('alice', 10, 20)
    let r = await req(e, 'GET', '/api/users/1/kick')
    expect(r.json).toEqual({ status: 'success', message: '用户已踢出' })
    r = await req(e, 'GET', '/api/users/1/kick')
    expect(r.status).toBe(200)
    expect(r.json).toEqual({ status: 'info', message: '用户当前不在线' })
    // kick keeps the peer: the next poll opens a new session
    e.control.poll()
    expect(e.control.events().filter((x) => x.status === 'ONLINE')).toHaveLength(1)
    r = await req(e, 'GET', '/api/users/1/disable')
    expect(r.json).toEqual({ status: 'success', message: '用户已禁用' })
    e.control.poll()
    expect(e.control.users()[0]).toMatchObject({ enabled: 0, status: 0 })
    expect(e.control.state.peers.has(KEY_A)).toBe(false)
    expect((await req(e, 'GET', '/api/users/1/enable')).json).toMatchObject({
      message: '用户已启用',
    })
    expect(e.control.state.peers.has(KEY_A)).toBe(true)
    expect((await req(e, 'GET', '/api/users/1/reset')).json).toMatchObject({
      message: '用户流量已重置',
    })
    expect(e.control.users()[0]!.total_rx).toBe(0)
    expect((await req(e, 'GET', '/api/users/99/enable')).json).toMatchObject({ status: 'success' })
    r = await req(e, 'GET', '/api/users/1/config')
    expect([r.status, r.json]).toEqual([400, { error: 'Unknown action: config' }])
    r = await req(e, 'GET', '/api/users/x/enable')
    expect([r.status, r.json]).toEqual([400, { error: 'Invalid user ID' }])
    r = await req(e, 'GET', '/api/users/1')
    expect([r.status, r.json]).toEqual([400, { error: 'Invalid user action path' }])
    expect((await req(e, 'POST', '/api/users/1/enable', {})).json).toEqual({
      error: 'Unknown action: enable',
    })
  })

  it('create on the seed route and the upstream route', async () => {
    const e = await start(variant)
    const body = { peer_pubkey: KEY_A, nickname: 'NewUser', mail: 'new@example.com' }
    if (variant === 'upstream') {
      // the seed doc's route: three segments fall through do_POST without any reply
      const empty = await raw(
        e,
        `POST /api/users/create HTTP/1.1\r\nContent-Length: ${JSON.stringify(body).length}\r\n\r\n${JSON.stringify(body)}`,
      )
      expect(empty.length).toBe(0)
      await expect(
        fetch(`${e.url}/api/users/create`, { method: 'POST', body: JSON.stringify(body) }),
      ).rejects.toThrow()
      expect(e.control.users()).toHaveLength(0)
      const r = await req(e, 'POST', '/api/users', body)
      expect(r.json).toEqual({
        status: 'success',
        message: '用户创建成功并已添加到WireGuard',
        user_id: 1,
        client_ip: '10.0.0.2',
        config_download_url: '/api/users/1/config',
      })
    } else {
      const r = await req(e, 'POST', '/api/users/create', body)
      expect(r.json).toEqual({ status: 'success', message: '用户创建成功', user_id: 1 })
      expect((await req(e, 'POST', '/api/users', body)).status).toBe(404)
    }
    const route = variant === 'upstream' ? '/api/users' : '/api/users/create'
    let r = await req(e, 'POST', route, body)
    expect([r.status, r.json]).toEqual([400, { error: 'Public key already exists' }])
    r = await req(e, 'POST', route, { nickname: 'x' })
    expect([r.status, r.json]).toEqual([400, { error: 'Missing required fields: peer_pubkey' }])
    r = await req(e, 'POST', route, { peer_pubkey: 'short' })
    expect([r.status, r.json]).toEqual([400, { error: 'Invalid public key format' }])
    r = await req(e, 'POST', route, { peer_pubkey: KEY_B, mail: 'nope' })
    expect([r.status, r.json]).toEqual([400, { error: 'Invalid email format' }])
    r = await req(e, 'POST', route, '{bad')
    expect([r.status, r.json]).toEqual([400, { error: 'Invalid JSON data' }])
    e.control.setWgUp(false)
    r = await req(e, 'POST', route, { peer_pubkey: KEY_C })
    expect([r.status, r.json]).toEqual([
      500,
      { error: 'Failed to add peer to WireGuard interface' },
    ])
  })

  it('update (POST …/update and PUT) and delete', async () => {
    const e = await start(variant)
    e.control.createUser({ peer_pubkey: KEY_A })
    let r = await req(e, 'POST', '/api/users/1/update', {
      nickname: '李四',
      bandwidth_limit: 512,
      enabled: 1,
      client_ip: 'ignored',
    })
    expect(r.json).toEqual({
      status: 'success',
      message: variant === 'seed' ? '用户信息更新成功' : '用户信息已更新',
    })
    expect(e.control.users()[0]).toMatchObject({
      nickname: '李四',
      bandwidth_limit: 512,
      client_ip: '10.0.0.2',
    })
    r = await req(e, 'PUT', '/api/users/1', { note: 'hi' })
    expect(r.status).toBe(200)
    expect(e.control.users()[0]!.note).toBe('hi')
    r = await req(e, 'PUT', '/api/users/1', { mail: 'bad' })
    expect([r.status, r.json]).toEqual([400, { error: 'Invalid email format' }])
    r = await req(e, 'PUT', '/api/users/1/x', {})
    expect([r.status, r.json]).toEqual([400, { error: 'Invalid request path' }])
    r = await req(e, 'DELETE', '/api/users/1')
    expect(r.json).toEqual({ status: 'success', message: '用户已删除' })
    r = await req(e, 'DELETE', '/api/users/1')
    expect([r.status, r.json]).toEqual([400, { error: 'Invalid user ID' }])
    expect(e.control.users()).toHaveLength(0)
  })
})

describe('monitor and simulation', () => {
  it('unknown peers are auto-inserted; an expired user is disabled at the next poll', async () => {
    const e = await start()
    const key = e.control.addPeer(KEY_B)
    expect(e.control.users()[0]).toMatchObject({
      peer_pubkey: key,
      nickname: null,
      client_ip: null,
      status: 1,
    })
    e.control.createUser({ peer_pubkey: KEY_A, expiry_date: '2000-01-01 00:00:00' })
    e.control.setOnline(KEY_A, true)
    expect(e.control.users()[1]).toMatchObject({ enabled: 0, status: 0 })
  })

  it('simulate: users, sessions and moving traffic', async () => {
    const e = await start('upstream', { simulate: { users: 6, seed: 3, tickMs: 60_000 } })
    expect(e.control.users()).toHaveLength(6)
    for (let i = 0; i < 5; i++) {
      e.simulation!.step()
      e.control.poll()
    }
    const ev = e.control.events()
    expect(ev.length).toBeGreaterThan(0)
    expect(ev.some((x) => x.session_tx > 0)).toBe(true)
    const m = await get(e, '/api/users/management')
    expect(m.pagination.total).toBe(6)
  })
})

describe('Python formatting helpers', () => {
  it('readable_bytes and json.dumps like Python', () => {
    expect(readableBytes(0)).toBe('0.0B')
    expect(readableBytes(null)).toBe('0B')
    expect(readableBytes(-1)).toBe('0B')
    expect(readableBytes(1536)).toBe('1.5K')
    expect(readableBytes(1280)).toBe('1.2K') // exact tie → even, as Python's format
    expect(pyFixed1(0.25)).toBe('0.2')
    expect(readableBytes(1024 ** 5 * 2)).toBe('2.0P')
    expect(
      pyJsonDumps({ a: [], b: {}, c: [1, { x: null }], d: '中\u0001', e: new PyFloat(1) }),
    ).toBe(
      '{\n  "a": [],\n  "b": {},\n  "c": [\n    1,\n    {\n      "x": null\n    }\n  ],\n  "d": "中\\u0001",\n  "e": 1.0\n}',
    )
  })
})

describe('nodedeck emulate wgmon', () => {
  it('starts with users and live sessions', async () => {
    const { startEmulator } = await import('../../src/main/cli/emulate')
    const emu = await startEmulator({
      kind: 'wgmon',
      port: 0,
      secret: '',
      users: 5,
      sessions: 2,
      simulate: false,
    })
    try {
      const j = (await (await fetch(`${emu.url}/api/status`)).json()) as J
      expect(j.users).toEqual({ total: 5, online: 2, active_sessions: 2 })
    } finally {
      await emu.close()
    }
  })
})
