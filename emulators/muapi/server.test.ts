import { afterEach, describe, expect, it } from 'vitest'
import { startMuApiEmulator, type MuApiEmulator, type MuApiEmulatorOptions } from './server'
import { phpJsonEncode, phpJsonFloat, phpLooseEqualStrings, phpParseStr, PhpFloat } from './php'

const KEY = 'secret-mu-key'
const JSON_TYPE = 'application/json;charset=utf-8'

const running: MuApiEmulator[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()))
})

async function start(opts: MuApiEmulatorOptions = {}): Promise<MuApiEmulator> {
  const emu = await startMuApiEmulator({ key: KEY, ...opts })
  running.push(emu)
  return emu
}

interface Reply {
  status: number
  type: string | null
  headers: Headers
  text: string
}

async function call(
  emu: MuApiEmulator,
  method: string,
  path: string,
  o: { headers?: Record<string, string>; body?: string; auth?: boolean; timeoutMs?: number } = {},
): Promise<Reply> {
  const headers: Record<string, string> = o.auth === false ? {} : { Token: KEY }
  Object.assign(headers, o.headers)
  const res = await fetch(`${emu.url}${path}`, {
    method,
    headers,
    body: o.body,
    signal: AbortSignal.timeout(o.timeoutMs ?? 2000),
  })
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    headers: res.headers,
    text: await res.text(),
  }
}

const form = (s: string) => ({
  headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  body: s,
})

describe.each(['upstream', 'seed'] as const)('Mu API v2 emulator, %s variant', (variant) => {
  const seed = variant === 'seed'

  it('rejects a missing or wrong key with 401 and the exact body', async () => {
    const emu = await start({ variant, users: [{}] })
    const missing = await call(emu, 'GET', '/mu/v2/users', { auth: false })
    expect(missing.status).toBe(401)
    expect(missing.type).toBe(JSON_TYPE)
    expect(missing.text).toBe(seed ? '{"ret":0,"msg":"key is null"}' : '[]')
    const empty = await call(emu, 'GET', '/mu/v2/users', { headers: { Token: '' } })
    expect(empty.text).toBe(seed ? '{"ret":0,"msg":"key is null"}' : '[]')
    const wrong = await call(emu, 'GET', '/mu/v2/users', { headers: { Token: 'nope' } })
    expect(wrong.status).toBe(401)
    expect(wrong.text).toBe(seed ? '{"ret":0,"msg":"token is  invalid"}' : '[]')
    // POST routes are guarded too, and nothing is applied.
    const post = await call(emu, 'POST', '/mu/v2/users/1/traffic', {
      ...form('u=1&d=1&node_id=1'),
      headers: { ...form('').headers, Token: 'nope' },
    })
    expect(post.status).toBe(401)
    expect(emu.control.users()[0]?.u).toBe(0)
    const ok = await call(emu, 'GET', '/mu/v2/users')
    expect(ok.status).toBe(200)
    expect(ok.type).toBe(JSON_TYPE)
  })

  it('takes the key from Key and ?key= only where the panel does', async () => {
    const emu = await start({ variant })
    const viaKey = await call(emu, 'GET', '/mu/v2/users', { auth: false, headers: { Key: KEY } })
    const viaQuery = await call(emu, 'GET', `/mu/v2/users?key=${KEY}`, { auth: false })
    if (seed) {
      expect(viaKey.status).toBe(401)
      expect(viaKey.text).toBe('{"ret":0,"msg":"key is null"}')
      expect(viaQuery.status).toBe(401)
    } else {
      expect(viaKey.status).toBe(200)
      expect(viaQuery.status).toBe(200)
      // Key wins over Token: a wrong Key with a right Token is refused.
      const both = await call(emu, 'GET', '/mu/v2/users', { headers: { Key: 'bad' } })
      expect(both.status).toBe(401)
    }
    // The key never lands in the request log.
    expect(JSON.stringify(emu.requests)).not.toContain(KEY)
    expect(emu.requests[1]?.path).toBe(
      seed ? '/mu/v2/users?key=REDACTED' : '/mu/v2/users?key=REDACTED',
    )
  })

  it('serves the users list with the variant envelope, fields and types', async () => {
    const emu = await start({
      variant,
      users: [
        {
          user_name: 'zoë',
          email: 'zo/e@example.com',
          u: 2048,
          d: 4096,
          t: 1463581379,
          transfer_enable: 23166189568,
          port: 21567,
          method: 'rc4-md5',
          passwd: '123gxopp',
        },
      ],
    })
    const r = await call(emu, 'GET', '/mu/v2/users')
    expect(r.status).toBe(200)
    const body = JSON.parse(r.text) as { msg?: string; data: Record<string, unknown>[] }
    const user = body.data[0] as Record<string, unknown>
    if (seed) {
      expect(body.msg).toBe('ok')
      expect(Object.keys(user)).toEqual([
        'id',
        'passwd',
        't',
        'u',
        'd',
        'transfer_enable',
        'port',
        'switch',
        'enable',
        'method',
      ])
      expect(r.text).toBe(
        '{"msg":"ok","data":[{"id":1,"passwd":"123gxopp","t":1463581379,"u":2048,"d":4096,' +
          '"transfer_enable":23166189568,"port":21567,"switch":1,"enable":1,"method":"rc4-md5"}]}',
      )
    } else {
      expect(Object.keys(body)).toEqual(['data'])
      expect(r.text).toContain('"transfer_enable":23166189568.0,')
      expect(r.text).toContain('"user_name":"zo\\u00eb","email":"zo\\/e@example.com"')
      expect(user).toMatchObject({
        id: 1,
        t: 1463581379,
        u: 2048,
        d: 4096,
        port: 21567,
        enable: 1,
        is_admin: false,
        switch: '1',
        type: '1',
        v2ray_level: '2',
        protocol_param: null,
      })
      for (const hidden of ['pass', 'reg_ip', 'ref_by', 'is_email_verify', 'last_get_gift_time'])
        expect(user).not.toHaveProperty(hidden)
    }
  })

  it('serves node users with a v2ray_user object', async () => {
    const emu = await start({ variant, users: [{ v2ray_uuid: 'abc-uuid' }] })
    const r = await call(emu, 'GET', '/mu/v2/nodes/1/users')
    expect(r.status).toBe(200)
    const body = JSON.parse(r.text) as { msg: string; data: Record<string, unknown>[] }
    expect(body.msg).toBe('ok')
    expect(body.data[0]?.v2ray_user).toEqual({
      uuid: 'abc-uuid',
      email: 'abc-uuid@sspanel.xyz',
      alter_id: seed ? 2 : '2',
      level: seed ? 2 : '2',
    })
    expect(r.text).toMatch(/"v2ray_user":\{[^}]*\}\}\]\}$/)
  })

  it('adds form-encoded per-user traffic times the node rate and logs it', async () => {
    const emu = await start({
      variant,
      users: [{}, {}],
      nodes: [{ id: 1 }, { id: 2, traffic_rate: 1.5 }],
    })
    const before = Math.floor(Date.now() / 1000)
    const r = await call(emu, 'POST', '/mu/v2/users/1/traffic', form('u=1024&d=2048&node_id=1'))
    expect(r.status).toBe(200)
    expect(r.type).toBe(JSON_TYPE)
    expect(r.text).toBe('{"ret":1,"msg":"ok"}')
    const r2 = await call(emu, 'POST', '/mu/v2/users/2/traffic', form('u=1001&d=10&node_id=2'))
    expect(r2.text).toBe('{"ret":1,"msg":"ok"}')
    const [u1, u2] = emu.control.users()
    expect(u1).toMatchObject({ u: 1024, d: 2048 })
    expect(u1?.t).toBeGreaterThanOrEqual(before)
    expect(u2).toMatchObject({ u: 1502, d: 15 }) // 1001 × 1.5 = 1501.5 → BIGINT rounds
    // Query parameters work too (Slim getParam), unknown node ⇒ zero-rated but `t` moves.
    await call(emu, 'POST', '/mu/v2/users/1/traffic?u=5&d=5&node_id=1')
    await call(emu, 'POST', '/mu/v2/users/1/traffic', form('u=100&d=100&node_id=99'))
    expect(emu.control.users()[0]).toMatchObject({ u: 1029, d: 2053 })
    const reports = emu.control.reportedTraffic()
    expect(reports).toHaveLength(4)
    expect(reports[0]).toMatchObject({
      kind: 'user',
      nodeId: 1,
      rawNodeId: '1',
      rate: 1,
      items: [{ userId: 1, u: 1024, d: 2048, applied: true }],
      outcome: 'ok',
    })
    expect(reports[3]).toMatchObject({ nodeId: null, rate: 0, rawNodeId: '99' })
    expect(typeof reports[0]?.at).toBe('number')
  })

  it('adds per-node batch traffic from a raw JSON array, whatever the Content-Type', async () => {
    const emu = await start({ variant, users: [{}, {}] })
    const batch = JSON.stringify([
      { user_id: 1, u: 1024, d: 1024 },
      { user_id: 2, u: 10, d: 20 },
    ])
    const r = await call(emu, 'POST', '/mu/v2/nodes/1/traffic', { body: batch })
    expect(r.status).toBe(200)
    expect(r.text).toBe('{"ret":1,"msg":"ok"}')
    expect(emu.control.users().map((u) => [u.u, u.d])).toEqual([
      [1024, 1024],
      [10, 20],
    ])
    const rep = emu.control.reportedTraffic()[0]
    expect(rep).toMatchObject({ kind: 'node', nodeId: 1, rate: 1, outcome: 'ok', body: batch })
    expect(rep?.items.map((i) => i.applied)).toEqual([true, true])
    // Not JSON: json_decode → null → nothing applied, still ret 1.
    const junk = await call(emu, 'POST', '/mu/v2/nodes/1/traffic', { body: 'u=1&d=2' })
    expect(junk.text).toBe('{"ret":1,"msg":"ok"}')
    expect(emu.control.users()[0]?.u).toBe(1024)
  })

  it('records online counts and node info (POST), answering ret 1', async () => {
    const emu = await start({ variant })
    const r = await call(emu, 'POST', '/mu/v2/nodes/3/online_count', form('count=17'))
    expect(r.text).toBe('{"ret":1,"msg":"ok"}')
    const i = await call(
      emu,
      'POST',
      '/mu/v2/nodes/3/info',
      form('load=0.25 0.30 0.41&uptime=3600'),
    )
    expect(i.text).toBe('{"ret":1,"msg":"ok"}')
    expect(emu.control.onlineReports()).toMatchObject([{ nodeId: '3', count: '17', outcome: 'ok' }])
    expect(emu.control.nodeInfoReports()).toMatchObject([
      { nodeId: '3', load: '0.25 0.30 0.41', uptime: '3600', outcome: 'ok' },
    ])
    // node info is a report, not a GET.
    const get = await call(emu, 'GET', '/mu/v2/nodes/3/info', {
      headers: { Accept: 'application/json' },
    })
    expect(get.status).toBe(405)
    expect(get.text).toBe('{"message":"Method not allowed. Must be one of: POST"}')
  })

  it('fails with 200 + ret 0 on demand, applying nothing', async () => {
    const emu = await start({ variant, users: [{}] })
    emu.control.failNext('ret0', { route: 'nodeTraffic' })
    const users = await call(emu, 'GET', '/mu/v2/users') // not the filtered route
    expect(users.status).toBe(200)
    const r = await call(emu, 'POST', '/mu/v2/nodes/1/traffic', {
      body: '[{"user_id":1,"u":5,"d":6}]',
    })
    expect(r.status).toBe(200)
    expect(r.text).toBe('{"ret":0,"msg":"update failed"}')
    expect(emu.control.users()[0]).toMatchObject({ u: 0, d: 0 })
    expect(emu.control.reportedTraffic()[0]).toMatchObject({
      outcome: 'ret0',
      items: [{ userId: 1, u: 5, d: 6, applied: false }],
    })
    emu.control.failNext('ret0')
    const o = await call(emu, 'POST', '/mu/v2/nodes/1/online_count', form('count=1'))
    expect(o.text).toBe('{"ret":0,"msg":"update failed"}')
    const again = await call(emu, 'POST', '/mu/v2/nodes/1/traffic', {
      body: '[{"user_id":1,"u":5,"d":6}]',
    })
    expect(again.text).toBe('{"ret":1,"msg":"ok"}')
    expect(emu.control.users()[0]).toMatchObject({ u: 5, d: 6 })
  })

  it('answers unknown routes with 404 and wrong methods with 405, before auth', async () => {
    const emu = await start({ variant })
    const nf = await call(emu, 'GET', '/mu/v2/nope', { auth: false })
    expect(nf.status).toBe(404)
    expect(nf.type).toBe('text/html')
    expect(nf.text).toContain('<title>Page Not Found</title>')
    expect(nf.text).toContain(`<a href='${emu.url}'>Visit the Home Page</a>`)
    const nfJson = await call(emu, 'GET', '/mu/v2/users/', {
      auth: false,
      headers: { Accept: 'application/json' },
    })
    expect(nfJson.status).toBe(404)
    expect(nfJson.text).toBe('{"message":"Not found"}')
    const na = await call(emu, 'POST', '/mu/v2/users', { auth: false })
    expect(na.status).toBe(405)
    expect(na.headers.get('allow')).toBe('GET')
    expect(na.text).toContain('Method not allowed. Must be one of: <strong>GET</strong>')
    const opt = await call(emu, 'OPTIONS', '/mu/v2/users/1/traffic', { auth: false })
    expect(opt.status).toBe(200)
    expect(opt.text).toBe('Allowed methods: POST')
    const apiMu = await call(emu, 'GET', '/api/mu/users')
    expect(apiMu.status).toBe(seed ? 404 : 200)
  })
})

describe('Mu API v2 emulator: PHP and Slim quirks', () => {
  it('compares the key loosely, like PHP', async () => {
    const emu = await start({ key: '123' })
    expect(
      (await call(emu, 'GET', '/mu/v2/users', { auth: false, headers: { Token: '0123' } })).status,
    ).toBe(200)
    expect(
      (await call(emu, 'GET', '/mu/v2/users', { auth: false, headers: { Token: '1.23e2' } }))
        .status,
    ).toBe(200)
    expect(
      (await call(emu, 'GET', '/mu/v2/users', { auth: false, headers: { Token: '123abc' } }))
        .status,
    ).toBe(401)
    emu.control.setKey('other')
    expect(
      (await call(emu, 'GET', '/mu/v2/users', { auth: false, headers: { Token: '123' } })).status,
    ).toBe(401)
  })

  it('answers a PHP fatal (unknown user) with Slim 500; a batch keeps the rows before it', async () => {
    const emu = await start({ users: [{}] })
    const r = await call(emu, 'POST', '/mu/v2/users/42/traffic', form('u=1&d=1&node_id=1'))
    expect(r.status).toBe(500)
    expect(r.text).toContain('<h1>Slim Application Error</h1>')
    const b = await call(emu, 'POST', '/mu/v2/nodes/1/traffic', {
      headers: { Accept: 'application/json' },
      body: '[{"user_id":1,"u":7,"d":8},{"user_id":42,"u":1,"d":1},{"user_id":1,"u":100,"d":100}]',
    })
    expect(b.status).toBe(500)
    expect(b.text).toBe('{\n    "message": "Slim Application Error"\n}')
    expect(emu.control.users()[0]).toMatchObject({ u: 7, d: 8 })
    expect(emu.control.reportedTraffic()[1]?.items.map((i) => i.applied)).toEqual([
      true,
      false,
      false,
    ])
    expect(emu.control.reportedTraffic()[1]?.outcome).toBe('error500')
  })

  it('serves transfer_enable as a string or without .0 on request', async () => {
    const s = await start({ users: [{ transfer_enable: 1024 }], transferEnableAs: 'string' })
    expect((await call(s, 'GET', '/mu/v2/users')).text).toContain('"transfer_enable":"1024",')
    const f = await start({ users: [{ transfer_enable: 1024 }], floatZeroFraction: false })
    expect((await call(f, 'GET', '/mu/v2/users')).text).toContain('"transfer_enable":1024,')
    const v3 = await start({ variant: 'seed', fields: 'all', users: [{}] })
    const user = (JSON.parse((await call(v3, 'GET', '/mu/v2/users')).text) as { data: object[] })
      .data[0]
    expect(user).not.toHaveProperty('user_name')
    expect(user).not.toHaveProperty('is_admin')
    expect(user).toHaveProperty('email')
  })

  it('serves only the documented routes when asked', async () => {
    const emu = await start({ variant: 'seed', routes: 'documented' })
    expect((await call(emu, 'POST', '/mu/v2/nodes/1/online_count', form('count=1'))).status).toBe(
      404,
    )
    expect((await call(emu, 'GET', '/mu/v2/users')).status).toBe(200)
  })

  it('injects http400, http500, garbage, hang, drop and dropAfterApply', async () => {
    const emu = await start({ users: [{}] })
    const body = '[{"user_id":1,"u":1,"d":1}]'
    emu.control.failNext('http400')
    const r400 = await call(emu, 'POST', '/mu/v2/users/1/traffic', form('u=1&d=1&node_id=1'))
    expect([r400.status, r400.text]).toEqual([400, '{"msg":"update failed"}'])
    emu.control.failNext('http500')
    expect((await call(emu, 'POST', '/mu/v2/nodes/1/traffic', { body })).status).toBe(500)
    emu.control.failNext('garbage')
    const g = await call(emu, 'GET', '/mu/v2/users')
    expect(g.status).toBe(200)
    expect(g.text).toContain('<html>')
    emu.control.failNext('hang')
    await expect(
      call(emu, 'POST', '/mu/v2/nodes/1/traffic', { body, timeoutMs: 200 }),
    ).rejects.toThrow()
    emu.control.failNext('drop')
    await expect(call(emu, 'POST', '/mu/v2/nodes/1/traffic', { body })).rejects.toThrow()
    expect(emu.control.users()[0]).toMatchObject({ u: 0, d: 0 })
    emu.control.failNext('dropAfterApply')
    await expect(call(emu, 'POST', '/mu/v2/nodes/1/traffic', { body })).rejects.toThrow()
    expect(emu.control.users()[0]).toMatchObject({ u: 1, d: 1 })
    expect(emu.control.reportedTraffic().map((r) => r.outcome)).toEqual([
      'http400',
      'http500',
      'hang',
      'drop',
      'dropAfterApply',
    ])
  })

  it('answers HEAD like GET without a body, and collapses leading slashes', async () => {
    const emu = await start({ users: [{}] })
    const h = await call(emu, 'HEAD', '/mu/v2/users')
    expect(h.status).toBe(200)
    expect(h.text).toBe('')
    expect(Number(h.headers.get('content-length'))).toBeGreaterThan(10)
    expect((await call(emu, 'GET', '//mu/v2/users')).status).toBe(200)
  })

  it('simulates users deterministically', async () => {
    const a = await start({ simulate: { users: 12, seed: 7 } })
    const b = await start({ simulate: { users: 12, seed: 7 } })
    const ua = a.control.users()
    expect(ua).toHaveLength(12)
    expect(ua.map((u) => [u.passwd, u.transfer_enable, u.u, u.d, u.method])).toEqual(
      b.control.users().map((u) => [u.passwd, u.transfer_enable, u.u, u.d, u.method]),
    )
    expect(ua.some((u) => u.enable === 0)).toBe(true)
    expect(ua.some((u) => u.u + u.d > u.transfer_enable)).toBe(true)
    expect(a.control.nodes().map((n) => n.traffic_rate)).toEqual([1, 1.5, 0.5])
  })

  it('encodes like PHP', () => {
    expect(phpJsonEncode({ a: 'é/"\n', b: new PhpFloat(2), c: 1.5, d: null, e: [] })).toBe(
      '{"a":"\\u00e9\\/\\"\\n","b":2,"c":1.5,"d":null,"e":[]}',
    )
    expect(phpJsonFloat(23166189568, true)).toBe('23166189568.0')
    expect(phpJsonFloat(1e25, false)).toBe('1.0e+25')
    expect(phpLooseEqualStrings('1e3', '1000')).toBe(true)
    expect(phpLooseEqualStrings('abc', 'ABC')).toBe(false)
    expect(phpParseStr('u=1&u=2&a+b=c%20d&x[]=1')).toEqual({ u: '2', a_b: 'c d', x: { 0: '1' } })
  })
})
