import { afterEach, describe, expect, it } from 'vitest'
import { connect as tlsConnect } from 'node:tls'
import { Agent, request } from 'undici'
import {
  Client,
  Metadata,
  credentials,
  status as grpcStatus,
  type ServiceError,
} from '@grpc/grpc-js'
import {
  grpcPath,
  pgDecode,
  pgDelimited,
  pgEncode,
  PG_RPCS,
  StatType,
  type PbUser,
  type PgMessageName,
  type PgMessages,
  type PgRpcName,
} from '../../src/main/core/adapters/pasarguard/proto'
import {
  startPasarGuardEmulator,
  simUsers,
  simXrayConfig,
  type PasarGuardEmulator,
  type PasarGuardEmulatorOptions,
} from './server'
import { parseGoUuid } from './errors'

const KEY = '4c9ae5a1-6c1f-4f5e-9a55-0c2b1d6e7f80'
const running: PasarGuardEmulator[] = []
const agents: Agent[] = []
const clients: Client[] = []

async function start(
  opts: Partial<PasarGuardEmulatorOptions> & { protocol: 'rest' | 'grpc' },
): Promise<PasarGuardEmulator> {
  const emu = await startPasarGuardEmulator({ apiKey: KEY, coreStartMs: 0, ...opts })
  running.push(emu)
  return emu
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.close()
  await Promise.all(agents.splice(0).map((a) => a.destroy()))
  await Promise.all(running.splice(0).map((e) => e.close()))
})

// ---------------------------------------------------------------------------------------------
// REST client (undici: GET bodies allowed)

interface Resp {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  text: string
}

function agentFor(emu: PasarGuardEmulator, h2 = false): Agent {
  const a = new Agent({
    allowH2: h2,
    connect: { ca: emu.certPem, ...(h2 ? {} : { ALPNProtocols: ['http/1.1'] }) },
  })
  agents.push(a)
  return a
}

async function rest(
  emu: PasarGuardEmulator,
  method: string,
  path: string,
  opts: { key?: string | null; body?: Uint8Array; h2?: boolean; agent?: Agent } = {},
): Promise<Resp> {
  const headers: Record<string, string> = {}
  const key = opts.key === undefined ? KEY : opts.key
  if (key !== null) headers['x-api-key'] = key
  if (opts.body) headers['content-type'] = 'application/x-protobuf'
  const res = await request(`${emu.url}${path}`, {
    method: method as 'GET',
    headers,
    body: opts.body ? Buffer.from(opts.body) : undefined,
    dispatcher: opts.agent ?? agentFor(emu, opts.h2),
  })
  const body = Buffer.from(await res.body.arrayBuffer())
  return { status: res.statusCode, headers: res.headers, body, text: body.toString('utf8') }
}

async function restProto<N extends PgMessageName>(
  emu: PasarGuardEmulator,
  method: string,
  path: string,
  res: N,
  req?: { name: PgMessageName; value: Record<string, unknown> },
): Promise<PgMessages[N]> {
  const r = await rest(emu, method, path, {
    body: req ? pgEncode(req.name, req.value) : undefined,
  })
  expect(r.status, r.text).toBe(200)
  expect(r.headers['content-type']).toBe('application/x-protobuf')
  return pgDecode(res, r.body)
}

const startBody = (extra: Record<string, unknown> = {}): Uint8Array =>
  pgEncode('Backend', {
    type: 0,
    config: simXrayConfig(),
    users: simUsers(5),
    keep_alive: 0,
    ...extra,
  })

// ---------------------------------------------------------------------------------------------
// gRPC client (generic, schema from PG_RPCS)

function grpcClient(emu: PasarGuardEmulator, target?: string): Client {
  const c = new Client(
    target ?? `127.0.0.1:${emu.port}`,
    credentials.createSsl(Buffer.from(emu.certPem)),
  )
  clients.push(c)
  return c
}

function md(key: string | null = KEY): Metadata {
  const m = new Metadata()
  if (key !== null) m.set('x-api-key', key)
  return m
}

function unary<R extends PgRpcName>(
  c: Client,
  rpc: R,
  req: Record<string, unknown>,
  key: string | null = KEY,
): Promise<{
  err: ServiceError | null
  value: PgMessages[(typeof PG_RPCS)[R]['response']] | null
}> {
  const d = PG_RPCS[rpc]
  return new Promise((resolve) => {
    c.makeUnaryRequest(
      grpcPath(rpc),
      (v: Record<string, unknown>) => Buffer.from(pgEncode(d.request, v)),
      (b: Buffer) => pgDecode(d.response, b) as PgMessages[(typeof PG_RPCS)[R]['response']],
      req,
      md(key),
      (err, value) => resolve({ err: err ?? null, value: value ?? null }),
    )
  })
}

function clientStreamCall<R extends 'SyncUser' | 'SyncUsersChunked'>(
  c: Client,
  rpc: R,
  messages: ReadonlyArray<object>,
  key: string | null = KEY,
): Promise<ServiceError | null> {
  const d = PG_RPCS[rpc]
  return new Promise((resolve) => {
    const call = c.makeClientStreamRequest(
      grpcPath(rpc),
      (v: Record<string, unknown>) => Buffer.from(pgEncode(d.request, v)),
      (b: Buffer) => pgDecode('Empty', b),
      md(key),
      (err) => resolve(err ?? null),
    )
    for (const m of messages) call.write(m as Record<string, unknown>)
    call.end()
  })
}

const lines = (s: string): string[] => s.split('\n').filter((l) => l !== '')
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

async function until(fn: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now()
  while (!fn()) {
    if (Date.now() - t0 > ms) throw new Error('timeout')
    await sleep(10)
  }
}

// =============================================================================================

describe('uuid.Parse', () => {
  it('accepts the Go forms, case-insensitively', () => {
    const hex = '4c9ae5a16c1f4f5e9a550c2b1d6e7f80'
    expect(parseGoUuid(KEY)).toBe(hex)
    expect(parseGoUuid(KEY.toUpperCase())).toBe(hex)
    expect(parseGoUuid(`{${KEY}}`)).toBe(hex)
    expect(parseGoUuid(`URN:uuid:${KEY}`)).toBe(hex)
    expect(parseGoUuid(hex.toUpperCase())).toBe(hex)
    expect(parseGoUuid(`${KEY} `)).toBeNull()
    expect(parseGoUuid(`(${KEY})`)).toBeNull()
    expect(parseGoUuid('4c9ae5a1_6c1f-4f5e-9a55-0c2b1d6e7f80')).toBeNull()
    expect(parseGoUuid('')).toBeNull()
  })
})

describe('REST', () => {
  it('checks x-api-key before routing, with Go http.Error texts', async () => {
    const emu = await start({ protocol: 'rest' })
    const miss = await rest(emu, 'GET', '/info', { key: null })
    expect(miss.status).toBe(401)
    expect(miss.text).toBe('missing x-api-key header\n')
    expect(miss.headers['content-type']).toBe('text/plain; charset=utf-8')
    expect(miss.headers['x-content-type-options']).toBe('nosniff')
    expect((await rest(emu, 'GET', '/nope', { key: null })).status).toBe(401)
    const bad = await rest(emu, 'GET', '/nope', { key: 'not-a-uuid' })
    expect([bad.status, bad.text]).toEqual([422, 'invalid api key format: must be a valid UUID\n'])
    const wrong = await rest(emu, 'POST', '/stop', { key: '00000000-0000-0000-0000-000000000000' })
    expect([wrong.status, wrong.text]).toEqual([403, 'api key mismatch\n'])
    for (const form of [KEY.toUpperCase(), `{${KEY}}`, `urn:uuid:${KEY}`, KEY.replace(/-/g, '')]) {
      expect((await rest(emu, 'GET', '/info', { key: form })).status).toBe(200)
    }
  })

  it('a node started without a valid API key accepts the nil UUID', async () => {
    const emu = await start({ protocol: 'rest', apiKey: 'garbage' })
    expect(
      (await rest(emu, 'GET', '/info', { key: '00000000-0000-0000-0000-000000000000' })).status,
    ).toBe(200)
    expect((await rest(emu, 'GET', '/info')).status).toBe(403)
  })

  it('routes like chi: 404 text, 405 empty with Allow, /stats behind the backend check', async () => {
    const emu = await start({ protocol: 'rest' })
    const nf = await rest(emu, 'GET', '/routing/rules')
    expect([nf.status, nf.text]).toEqual([404, '404 page not found\n'])
    expect((await rest(emu, 'GET', '/info/')).status).toBe(404)
    const na = await rest(emu, 'GET', '/stop')
    expect(na.status).toBe(405)
    expect(na.body.length).toBe(0)
    expect(na.headers.allow).toBe('PUT')
    expect(na.headers['content-type']).toBeUndefined()
    expect((await rest(emu, 'POST', '/info')).headers.allow).toBe('GET')
    // /stats is a mount inside the private group: the backend check answers first
    const mount = await rest(emu, 'POST', '/stats/system')
    expect([mount.status, mount.text]).toEqual([500, 'backend not initialized\n'])
    expect((await rest(emu, 'GET', '/stats/nope')).status).toBe(500)
    await rest(emu, 'POST', '/start', { body: startBody() })
    expect((await rest(emu, 'GET', '/stats/nope')).status).toBe(404)
    const post = await rest(emu, 'POST', '/stats')
    expect([post.status, post.headers.allow, post.body.length]).toEqual([405, 'GET', 0])
  })

  it('start/info/stop and the 500/503 backend states', async () => {
    const emu = await start({ protocol: 'rest' })
    const info0 = await rest(emu, 'GET', '/info')
    expect(pgDecode('BaseInfoResponse', info0.body)).toEqual({
      started: false,
      core_version: '',
      node_version: '0.5.2',
    })
    const stop0 = await rest(emu, 'PUT', '/stop')
    expect([stop0.status, stop0.text]).toEqual([500, 'backend not initialized\n'])
    const bad = await rest(emu, 'POST', '/start', { body: Buffer.from([0xff, 0xff, 0xff]) })
    expect(bad.status).toBe(400)
    const info = await restProto(emu, 'POST', '/start', 'BaseInfoResponse', {
      name: 'Backend',
      value: { type: 0, config: simXrayConfig(), users: simUsers(3) },
    })
    expect(info).toEqual({ started: true, core_version: '25.10.15', node_version: '0.5.2' })
    expect(emu.control.backend()?.users.size).toBe(3)
    emu.control.stopCore()
    const down = await rest(emu, 'GET', '/stats/system')
    expect([down.status, down.text]).toEqual([503, 'core is not started yet\n'])
    expect(pgDecode('BaseInfoResponse', (await rest(emu, 'GET', '/info')).body).started).toBe(false)
    emu.control.dropBackend()
    expect((await rest(emu, 'GET', '/stats/system')).status).toBe(500)
    await rest(emu, 'POST', '/start', { body: startBody() })
    const stop = await rest(emu, 'PUT', '/stop')
    expect([stop.status, stop.body.length, stop.headers['content-type']]).toEqual([
      200,
      0,
      'application/x-protobuf',
    ])
    expect(emu.control.backend()).toBeNull()
  })

  it('start failures answer 503 with the node/xray text', async () => {
    const emu = await start({ protocol: 'rest' })
    const notJson = await rest(emu, 'POST', '/start', {
      body: pgEncode('Backend', { type: 0, config: '{"inbounds": [' }),
    })
    expect([notJson.status, notJson.text]).toEqual([503, 'unexpected end of JSON input\n'])
    const typeErr = await rest(emu, 'POST', '/start', {
      body: pgEncode('Backend', { type: 0, config: '{"inbounds": "x"}' }),
    })
    expect(typeErr.text).toBe(
      'json: cannot unmarshal string into Go struct field Config.inbounds of type []*xray.Inbound\n',
    )
    const unknown = await rest(emu, 'POST', '/start', {
      body: pgEncode('Backend', {
        type: 0,
        config: JSON.stringify({ inbounds: [{ tag: 'x', port: 1, protocol: 'nope' }] }),
      }),
    })
    expect(unknown.status).toBe(503)
    expect(unknown.text).toBe(
      'failed to start xray: Failed to start: main: failed to load config files: [stdin:] > infra/conf: failed to build inbound config with tag x > infra/conf: failed to load inbound detour config for protocol nope > infra/conf: unknown config id: nope\n',
    )
    const type9 = await rest(emu, 'POST', '/start', { body: pgEncode('Backend', { type: 9 }) })
    expect([type9.status, type9.text]).toEqual([503, 'invalid backend type\n'])
    expect((await rest(emu, 'GET', '/stats/system')).status).toBe(500)
  })

  it('stats with protobuf GET bodies, reset, errors (HTTP/1.1 and h2)', async () => {
    const emu = await start({ protocol: 'rest' })
    await rest(emu, 'POST', '/start', { body: startBody() })
    const big = 2n ** 62n + 12345n
    expect(emu.control.addTraffic('user', 'user0001@example.com', big, 7)).toBe(true)
    const req = (type: number, name = '', reset = false) => ({
      name: 'StatRequest' as const,
      value: { type, name, reset },
    })
    const one = await restProto(
      emu,
      'GET',
      '/stats',
      'StatResponse',
      req(StatType.UserStat, 'user0001@example.com', true),
    )
    expect(one.stats.sort((a, b) => a.type.localeCompare(b.type))).toEqual([
      { name: 'user0001@example.com', type: 'downlink', link: 'traffic', value: '7' },
      { name: 'user0001@example.com', type: 'uplink', link: 'traffic', value: String(big) },
    ])
    const after = await restProto(emu, 'GET', '/stats/', 'StatResponse', req(StatType.UsersStat))
    expect(after.stats.map((s) => s.value)).toEqual(['0', '0'])
    // unknown user: Xray's substring query finds nothing — an empty list, not an error
    expect(
      (await restProto(emu, 'GET', '/stats', 'StatResponse', req(StatType.UserStat, 'ghost')))
        .stats,
    ).toEqual([])
    const outs = await restProto(emu, 'GET', '/stats', 'StatResponse', req(StatType.Outbounds))
    expect(new Set(outs.stats.map((s) => s.name))).toEqual(new Set(['direct', 'warp', 'blocked']))
    const noEmail = await rest(emu, 'GET', '/stats', {
      body: pgEncode('StatRequest', { type: StatType.UserStat }),
    })
    expect([noEmail.status, noEmail.text]).toEqual([500, 'email required\n'])
    const noTag = await rest(emu, 'GET', '/stats', {
      body: pgEncode('StatRequest', { type: StatType.Outbound }),
    })
    expect([noTag.status, noTag.text]).toEqual([500, 'tag required\n'])
    // online: no Xray online map yet → NotFound 404
    const off = await rest(emu, 'GET', '/stats/user/online', {
      body: pgEncode('StatRequest', { name: 'user0002@example.com' }),
    })
    expect(off.status).toBe(404)
    expect(off.text).toBe(
      'rpc error: code = NotFound desc = rpc error: code = NotFound desc = user>>>user0002@example.com>>>online not found.\n',
    )
    emu.control.setOnline('user0002@example.com', 2, {
      '203.0.113.7': 1795000000,
      '2001:db8::1': 1795000001,
    })
    const on = await restProto(
      emu,
      'GET',
      '/stats/user/online',
      'OnlineStatResponse',
      req(0, 'user0002@example.com'),
    )
    expect(on).toEqual({ name: 'user0002@example.com', value: '2' })
    const ips = await restProto(
      emu,
      'GET',
      '/stats/user/online_ip',
      'StatsOnlineIpListResponse',
      req(0, 'user0002@example.com'),
    )
    expect(ips.ips).toEqual({ '203.0.113.7': '1795000000', '2001:db8::1': '1795000001' })
    emu.control.setLatency('warp', { alive: false, delay: 0 })
    const lat = await restProto(emu, 'GET', '/stats/latency', 'LatencyResponse', {
      name: 'LatencyRequest',
      value: {},
    })
    expect(lat.latencies.map((l) => [l.name, l.alive, l.source])).toEqual([
      ['direct', true, 'xray-observatory'],
      ['warp', false, 'xray-observatory'],
    ])
    const be = await restProto(emu, 'GET', '/stats/backend', 'BackendStatsResponse')
    expect(be.num_goroutine).toBeGreaterThan(0)
    expect(BigInt(be.live_objects)).toBe(BigInt(be.mallocs) - BigInt(be.frees))
    // h2 speaks the same
    const h2 = await rest(emu, 'GET', '/stats', {
      h2: true,
      body: pgEncode('StatRequest', { type: StatType.Inbounds }),
    })
    expect(h2.status).toBe(200)
    expect(pgDecode('StatResponse', h2.body).stats.length).toBeGreaterThan(0)
  })

  it('system stats: zeros until the first sample, then moving numbers', async () => {
    const emu = await start({ protocol: 'rest', systemSampleMs: 80 })
    await rest(emu, 'POST', '/start', { body: startBody() })
    const s0 = await restProto(emu, 'GET', '/stats/system', 'SystemStatsResponse')
    expect([s0.mem_total, s0.cpu_cores]).toEqual(['0', '0'])
    await sleep(200)
    const s1 = await restProto(emu, 'GET', '/stats/system', 'SystemStatsResponse')
    expect(Number(s1.mem_total)).toBeGreaterThan(1e9)
    expect(Number(s1.mem_used)).toBeLessThan(Number(s1.mem_total))
    expect(s1.cpu_usage).toBeGreaterThan(0)
  })

  it('/logs: raw lines, headers only with the first line, two readers split the channel', async () => {
    const emu = await start({ protocol: 'rest' })
    await rest(emu, 'POST', '/start', { body: startBody() })
    const agent = agentFor(emu)
    const open = async () => {
      const res = await request(`${emu.url}/logs`, {
        headers: { 'x-api-key': KEY },
        dispatcher: agent,
      })
      const got: string[] = []
      let buf = ''
      res.body.on('data', (c: Buffer) => {
        buf += c.toString()
        const parts = buf.split('\n')
        buf = parts.pop() ?? ''
        got.push(...parts)
      })
      return { res, got }
    }
    // the start banner is buffered in the channel: the first reader gets it
    const a = await open()
    expect(a.res.statusCode).toBe(200)
    expect(a.res.headers['content-type']).toBe('text/event-stream')
    await until(() => a.got.length >= 4)
    expect(a.got[0]).toMatch(/^Xray 25\.10\.15 /)
    expect(a.got[3]).toMatch(/\[Warning\] core: Xray 25\.10\.15 started$/)
    // the second response has no headers until a line reaches it
    const bp = open()
    await until(() => emu.control.logReaders() === 2)
    const sent = Array.from(
      { length: 200 },
      (_, i) => `2026/11/23 11:48:07.${String(i).padStart(6, '0')} [Info] line ${i}`,
    )
    for (const l of sent) emu.control.emitLog(l)
    const b = await bp
    const mine = (g: string[]) => g.filter((l) => l.includes('] line '))
    await until(() => mine(a.got).length + mine(b.got).length === 200)
    expect(mine(a.got).length).toBeGreaterThan(0)
    expect(mine(b.got).length).toBeGreaterThan(0)
    expect(new Set([...mine(a.got), ...mine(b.got)])).toEqual(new Set(sent))
    expect([...a.got, ...b.got].some((l) => l.startsWith('data:') || l === '')).toBe(false)
    a.res.body.destroy()
    b.res.body.destroy()
    await until(() => emu.control.logReaders() === 0)
  })

  it('/logs sends no headers before a line; an Xray stream stays open after /stop', async () => {
    const emu = await start({ protocol: 'rest' })
    await rest(emu, 'POST', '/start', { body: startBody() })
    const agent = agentFor(emu)
    // consume the banner
    const first = await request(`${emu.url}/logs`, {
      headers: { 'x-api-key': KEY },
      dispatcher: agent,
    })
    first.body.on('data', () => {})
    await until(() => emu.control.logStats().channel?.buffered === 0)
    first.body.destroy()
    await until(() => emu.control.logReaders() === 0)
    let headers = false
    const p = request(`${emu.url}/logs`, { headers: { 'x-api-key': KEY }, dispatcher: agent }).then(
      (r) => {
        headers = true
        return r
      },
    )
    await until(() => emu.control.logReaders() === 1)
    await sleep(50)
    expect(headers).toBe(false)
    emu.control.emitLog('hello')
    const res = await p
    let text = ''
    let ended = false
    res.body.on('data', (c: Buffer) => (text += c.toString()))
    res.body.on('end', () => (ended = true))
    await until(() => text === 'hello\n')
    expect((await rest(emu, 'PUT', '/stop')).status).toBe(200)
    await sleep(100)
    expect(ended).toBe(false)
    expect(emu.control.logReaders()).toBe(1)
    res.body.destroy()
  })

  it('keep-alive: the watchdog forgets the backend once no 2xx came for keep_alive seconds', async () => {
    const emu = await start({ protocol: 'rest', watchdogIntervalMs: 50 })
    await rest(emu, 'POST', '/start', { body: startBody({ keep_alive: 1 }) })
    const t0 = Date.now()
    while (Date.now() - t0 < 1400) {
      expect((await rest(emu, 'GET', '/info')).status).toBe(200) // any 2xx resets the clock
      await sleep(250)
    }
    expect(emu.control.backend()).not.toBeNull()
    // a 4xx does not count
    await rest(emu, 'GET', '/nope')
    await until(() => emu.control.backend() === null, 2000)
    expect(Date.now() - emu.control.lastRequestAt()).toBeGreaterThanOrEqual(1000)
    expect((await rest(emu, 'GET', '/stats/system')).status).toBe(500)
  })

  it('user syncs: single, full (restart), chunked framing and errors', async () => {
    const emu = await start({ protocol: 'rest' })
    await rest(emu, 'POST', '/start', { body: startBody() })
    const noEmail = await rest(emu, 'PUT', '/user/sync', {
      body: pgEncode('User', { inbounds: ['vless-in'] }),
    })
    expect([noEmail.status, noEmail.text]).toEqual([400, 'email is required\n'])
    const undecodable = await rest(emu, 'PUT', '/user/sync', {
      body: Buffer.from([0x0a, 0x05, 0x61]),
    })
    expect([undecodable.status, undecodable.text]).toEqual([400, 'Failed to decode user\n'])
    // removal: empty inbounds
    const rm = await rest(emu, 'PUT', '/user/sync', {
      body: pgEncode('User', { email: 'user0001@example.com' }),
    })
    expect([rm.status, rm.body.length]).toEqual([200, 0])
    expect(emu.control.backend()?.users.has('user0001@example.com')).toBe(false)
    // a user only lands on inbounds whose protocol has matching settings
    const partial: PbUser = {
      email: 'new@example.com',
      inbounds: ['vless-in', 'vmess-in'],
      proxies: { vless: { id: KEY, flow: '' } },
    }
    await rest(emu, 'PUT', '/user/sync', { body: pgEncode('User', partial) })
    const ib = emu.control.backend()?.inbounds ?? []
    expect(ib.find((i) => i.tag === 'vless-in')?.clients).toContain('new@example.com')
    expect(ib.find((i) => i.tag === 'vmess-in')?.clients).not.toContain('new@example.com')

    emu.control.addTraffic('user', 'user0002@example.com', 10, 10)
    const full = await rest(emu, 'PUT', '/users/sync', {
      body: pgEncode('Users', { users: simUsers(2) }),
    })
    expect(full.status).toBe(200)
    expect(emu.control.backend()?.users.size).toBe(2)
    expect(emu.control.counters()['user>>>user0002@example.com>>>traffic>>>uplink']).toBeUndefined() // restarted
    expect(emu.control.lastSyncs.at(-1)).toMatchObject({
      rpc: 'SyncUsers',
      users: 2,
      mode: 'restart',
      ok: true,
    })

    const users = simUsers(6)
    const framed = pgDelimited([
      pgEncode('UsersChunk', { users: users.slice(0, 3), index: 0 }),
      pgEncode('UsersChunk', { users: users.slice(3), index: 1, last: true }),
    ])
    const ok = await rest(emu, 'PUT', '/users/sync/chunked', { body: framed })
    expect([ok.status, ok.body.length]).toEqual([200, 0])
    expect(emu.control.lastSyncs.at(-1)).toMatchObject({
      rpc: 'SyncUsersChunked',
      users: 6,
      chunks: 2,
      mode: 'live',
    })
    const truncated = await rest(emu, 'PUT', '/users/sync/chunked', {
      body: framed.subarray(0, framed.length - 3),
    })
    expect([truncated.status, truncated.text]).toEqual([
      400,
      'failed to read chunk payload: unexpected EOF\n',
    ])
    const noLast = await rest(emu, 'PUT', '/users/sync/chunked', {
      body: pgDelimited([pgEncode('UsersChunk', { users: users.slice(0, 1), index: 0 })]),
    })
    expect([noLast.status, noLast.text]).toEqual([400, 'missing final chunk indicator\n'])
    const gap = await rest(emu, 'PUT', '/users/sync/chunked', {
      body: pgDelimited([
        pgEncode('UsersChunk', { users: users.slice(0, 1), index: 1, last: true }),
      ]),
    })
    expect(gap.text).toBe('missing chunk index 0\n')
    const many = await rest(emu, 'PUT', '/users/sync/chunked', {
      body: pgDelimited([pgEncode('UsersChunk', { users: simUsers(101), index: 0, last: true })]),
    })
    expect(many.status).toBe(200)
    expect(emu.control.lastSyncs.at(-1)).toMatchObject({ users: 101, chunks: 1, mode: 'restart' })
  })

  it('records requests, counts TLS handshakes (a probe is not a request)', async () => {
    const emu = await start({ protocol: 'rest' })
    await new Promise<void>((resolve, reject) => {
      const s = tlsConnect(
        { host: '127.0.0.1', port: emu.port, ca: emu.certPem, ALPNProtocols: ['h2'] },
        () => {
          s.end()
          resolve()
        },
      )
      s.on('error', reject)
    })
    await until(() => emu.handshakes() === 1)
    expect(emu.requests).toEqual([])
    await rest(emu, 'GET', '/info?x=1', { key: 'nope' })
    expect(emu.requests).toEqual([
      {
        at: expect.any(Number),
        transport: 'rest',
        method: 'GET',
        path: '/info?x=1',
        apiKey: 'nope',
        status: 422,
      },
    ])
    expect(emu.handshakes()).toBe(2)
  })

  it('a gRPC client reaching a REST node gets a plain HTTP 404', async () => {
    const emu = await start({ protocol: 'rest' })
    const r = await unary(grpcClient(emu), 'GetBaseInfo', {})
    expect(r.err?.code).toBe(grpcStatus.UNIMPLEMENTED)
    expect(r.err?.details).toMatch(/404/)
    await until(() => emu.requests.at(-1)?.status === 404)
    expect(emu.requests.at(-1)).toMatchObject({
      method: 'POST',
      path: '/service.NodeService/GetBaseInfo',
      apiKey: KEY,
    })
  })

  it('failure modes: garbage, http500, hang', async () => {
    const emu = await start({ protocol: 'rest' })
    emu.control.failNext('garbage')
    const g = await rest(emu, 'GET', '/info')
    expect(g.status).toBe(200)
    expect(() => pgDecode('BaseInfoResponse', g.body)).toThrow()
    emu.control.failNext('http500')
    expect((await rest(emu, 'GET', '/info')).status).toBe(500)
    emu.control.failNext('hang')
    const hung = await Promise.race([
      rest(emu, 'GET', '/info').then(() => 'answered'),
      sleep(200).then(() => 'hung'),
    ])
    expect(hung).toBe('hung')
  })
})

describe('gRPC', () => {
  it('auth, backend check codes and messages', async () => {
    const emu = await start({ protocol: 'grpc' })
    const c = grpcClient(emu)
    expect((await unary(c, 'GetBaseInfo', {}, null)).err).toMatchObject({
      code: grpcStatus.UNAUTHENTICATED,
      details: 'missing x-api-key header',
    })
    expect((await unary(c, 'GetBaseInfo', {}, 'nope')).err).toMatchObject({
      code: grpcStatus.INVALID_ARGUMENT,
      details: 'invalid api key format: must be a valid UUID',
    })
    expect((await unary(c, 'GetBaseInfo', {}, '')).err?.code).toBe(grpcStatus.INVALID_ARGUMENT)
    expect(
      (await unary(c, 'GetBaseInfo', {}, '00000000000000000000000000000000')).err,
    ).toMatchObject({
      code: grpcStatus.PERMISSION_DENIED,
      details: 'api key mismatch',
    })
    const info = await unary(c, 'GetBaseInfo', {}, `{${KEY.toUpperCase()}}`)
    expect(info.value).toEqual({ started: false, core_version: '', node_version: '0.5.2' })
    expect((await unary(c, 'GetStats', {})).err).toMatchObject({
      code: grpcStatus.UNAVAILABLE,
      details: 'backend not initialized',
    })
    // not behind the backend check: empty list without a backend
    expect((await unary(c, 'GetOutboundsLatency', {})).value).toEqual({ latencies: [] })
    const started = await unary(c, 'Start', {
      type: 0,
      config: simXrayConfig(),
      users: simUsers(3),
    })
    expect(started.value).toEqual({
      started: true,
      core_version: '25.10.15',
      node_version: '0.5.2',
    })
    emu.control.stopCore()
    expect((await unary(c, 'GetSystemStats', {})).err).toMatchObject({
      code: grpcStatus.UNAVAILABLE,
      details: 'core is not started yet',
    })
    expect((await unary(c, 'GetOutboundsLatency', {})).err).toMatchObject({
      code: grpcStatus.UNKNOWN,
      details: 'xray not started',
    })
    const failed = await unary(c, 'Start', { type: 0, config: 'nope' })
    expect(failed.err).toMatchObject({
      code: grpcStatus.UNKNOWN,
      details: "invalid character 'o' in literal null (expecting 'u')",
    })
    expect(emu.requests.map((r) => r.status)).toEqual([
      'UNAUTHENTICATED',
      'INVALID_ARGUMENT',
      'INVALID_ARGUMENT',
      'PERMISSION_DENIED',
      'OK',
      'UNAVAILABLE',
      'OK',
      'OK',
      'UNAVAILABLE',
      'UNKNOWN',
      'UNKNOWN',
    ])
    expect(emu.requests[0]).toMatchObject({
      transport: 'grpc',
      method: 'POST',
      path: '/service.NodeService/GetBaseInfo',
      apiKey: null,
    })
  })

  it('stats errors map like upstream', async () => {
    const emu = await start({ protocol: 'grpc' })
    const c = grpcClient(emu)
    await unary(c, 'Start', { type: 0, config: simXrayConfig(), users: simUsers(3) })
    emu.control.addTraffic('outbound', 'direct', 100, 200)
    const s = await unary(c, 'GetStats', { type: StatType.Outbound, name: 'direct', reset: true })
    expect(s.value?.stats.map((x) => [x.name, x.link, x.type, x.value]).sort()).toEqual([
      ['direct', 'traffic', 'downlink', '200'],
      ['direct', 'traffic', 'uplink', '100'],
    ])
    expect((await unary(c, 'GetStats', { type: StatType.Inbound })).err).toMatchObject({
      code: grpcStatus.UNKNOWN,
      details: 'tag required',
    })
    expect((await unary(c, 'GetUserOnlineStats', { name: 'ghost' })).err).toMatchObject({
      code: grpcStatus.NOT_FOUND,
      details: 'rpc error: code = NotFound desc = user>>>ghost>>>online not found.',
    })
  })

  it('client streams: SyncUser and SyncUsersChunked', async () => {
    const emu = await start({ protocol: 'grpc' })
    const c = grpcClient(emu)
    await unary(c, 'Start', { type: 0, config: simXrayConfig(), users: [] })
    const users = simUsers(4)
    expect(await clientStreamCall(c, 'SyncUser', users.slice(0, 2))).toBeNull()
    expect(emu.control.backend()?.users.size).toBe(2)
    expect(
      await clientStreamCall(c, 'SyncUser', [users[2] as PbUser, { email: '' }]),
    ).toMatchObject({
      code: grpcStatus.UNKNOWN,
      details: 'email is required',
    })
    expect(emu.control.backend()?.users.size).toBe(3)
    expect(
      await clientStreamCall(c, 'SyncUsersChunked', [
        { users: users.slice(0, 1), index: 0 },
        { users: users.slice(1), index: 1, last: true },
      ]),
    ).toBeNull()
    expect(emu.control.lastSyncs.at(-1)).toMatchObject({
      transport: 'grpc',
      rpc: 'SyncUsersChunked',
      users: 4,
      chunks: 2,
      mode: 'live',
    })
    expect(
      await clientStreamCall(c, 'SyncUsersChunked', [{ users: users.slice(0, 1), index: 0 }]),
    ).toMatchObject({
      code: grpcStatus.INVALID_ARGUMENT,
      details: 'missing final chunk indicator',
    })
    expect(await clientStreamCall(c, 'SyncUser', users, 'nope')).toMatchObject({
      code: grpcStatus.INVALID_ARGUMENT,
    })
  })

  it('GetLogs streams Log{detail} from the shared channel', async () => {
    const emu = await start({ protocol: 'grpc' })
    const c = grpcClient(emu)
    await unary(c, 'Start', { type: 0, config: simXrayConfig(), users: simUsers(2) })
    const got: string[] = []
    const call = c.makeServerStreamRequest(
      grpcPath('GetLogs'),
      (v: Record<string, unknown>) => Buffer.from(pgEncode('Empty', v)),
      (b: Buffer) => pgDecode('Log', b),
      {},
      md(),
    )
    call.on('data', (l: { detail: string }) => got.push(l.detail))
    call.on('error', () => {})
    await until(() => got.length >= 4) // the start banner
    emu.control.emitLog(['a', 'b', 'c'])
    await until(() => got.includes('c'))
    expect(got.slice(-3)).toEqual(['a', 'b', 'c'])
    expect(emu.control.logReaders()).toBe(1)
    call.cancel()
    await until(() => emu.control.logReaders() === 0)
    await until(() => emu.requests.at(-1)?.status === 'CANCELLED')
  })

  it('a REST (HTTP/1.1) client against a gRPC node fails fast with the ALPN alert', async () => {
    const emu = await start({ protocol: 'grpc' })
    const t0 = Date.now()
    const err = await rest(emu, 'GET', '/info').then(
      () => null,
      (e: Error & { code?: string; cause?: { code?: string } }) => e,
    )
    expect(err).not.toBeNull()
    expect(`${err?.code} ${err?.message} ${err?.cause?.code ?? ''}`).toMatch(
      /NO_APPLICATION_PROTOCOL|no application protocol/i,
    )
    expect(Date.now() - t0).toBeLessThan(2000)
    expect(emu.handshakes()).toBe(0)
    expect(emu.requests).toEqual([])
    // no ALPN at all: the handshake completes, then the connection is closed at once
    const closed = await new Promise<boolean>((resolve) => {
      const s = tlsConnect({ host: '127.0.0.1', port: emu.port, ca: emu.certPem }, () => {})
      s.on('close', () => resolve(true))
      s.on('error', () => {})
    })
    expect(closed).toBe(true)
    expect(emu.handshakes()).toBe(1)
  })
})

describe('failures and recovery', () => {
  it('crashCore: 503 until the health check restarts Xray with fresh counters', async () => {
    const emu = await start({ protocol: 'rest', healthCheckMs: 100 })
    await rest(emu, 'POST', '/start', { body: startBody() })
    emu.control.addTraffic('outbound', 'direct', 5, 5)
    emu.control.crashCore()
    expect((await rest(emu, 'GET', '/stats/backend')).status).toBe(503)
    await until(() => emu.control.backend()?.coreRunning === true)
    expect(emu.control.counters()['outbound>>>direct>>>traffic>>>uplink']).toBe(0n)
  })

  it('REST reset (HTTP/1.1 and h2) and gRPC garbage / reset / http500', async () => {
    const r = await start({ protocol: 'rest' })
    r.control.failNext('reset', 2)
    await expect(rest(r, 'GET', '/info')).rejects.toThrow()
    await expect(rest(r, 'GET', '/info', { h2: true })).rejects.toThrow()
    expect((await rest(r, 'GET', '/info')).status).toBe(200)
    const g = await start({ protocol: 'grpc' })
    const c = grpcClient(g)
    g.control.failNext('garbage')
    expect((await unary(c, 'GetBaseInfo', {})).err?.code).toBe(grpcStatus.INTERNAL)
    g.control.failNext('http500')
    expect((await unary(c, 'GetBaseInfo', {})).err).toMatchObject({
      code: grpcStatus.INTERNAL,
      details: 'internal error',
    })
    g.control.failNext('reset')
    expect((await unary(c, 'GetBaseInfo', {})).err?.code).toBe(grpcStatus.UNAVAILABLE)
    expect((await unary(c, 'GetBaseInfo', {})).value?.node_version).toBe('0.5.2')
  })
})

describe('WireGuard backend', () => {
  const priv = Buffer.alloc(32, 7).toString('base64')
  const peerKey = Buffer.alloc(32, 9).toString('base64')
  const wgConfig = JSON.stringify({
    interface_name: 'wg0',
    private_key: priv,
    listen_port: 51820,
    address: ['10.8.0.1/24'],
  })
  const wgUser: PbUser = {
    email: 'peer@example.com',
    inbounds: ['wg0'],
    proxies: { wireguard: { public_key: peerKey, peer_ips: ['10.8.0.2/32'] } },
  }

  it('stats link = peer key / interface, zero deltas omitted, inbounds refused, log stream ends on stop', async () => {
    const emu = await start({ protocol: 'rest' })
    const noKey = await rest(emu, 'POST', '/start', {
      body: pgEncode('Backend', { type: 1, config: '{}' }),
    })
    expect([noKey.status, noKey.text]).toEqual([
      503,
      'invalid wireguard private key: private key is empty\n',
    ])
    const info = await restProto(emu, 'POST', '/start', 'BaseInfoResponse', {
      name: 'Backend',
      value: { type: 1, config: wgConfig, users: [wgUser] },
    })
    expect(info.core_version).toBe('v1.0.20250521')
    expect(emu.control.addTraffic('user', 'peer@example.com', 5, 0)).toBe(true)
    const users = await restProto(emu, 'GET', '/stats', 'StatResponse', {
      name: 'StatRequest',
      value: { type: StatType.UsersStat, reset: true },
    })
    expect(users.stats).toEqual([
      { name: 'peer@example.com', type: 'uplink', link: peerKey, value: '5' },
    ])
    const inb = await rest(emu, 'GET', '/stats', {
      body: pgEncode('StatRequest', { type: StatType.Inbounds }),
    })
    expect([inb.status, inb.text]).toEqual([500, 'inbound stats not applicable for wireguard\n'])
    const online = await restProto(emu, 'GET', '/stats/user/online', 'OnlineStatResponse', {
      name: 'StatRequest',
      value: { name: 'peer@example.com' },
    })
    expect(online.value).toBe('1')
    const res = await request(`${emu.url}/logs`, {
      headers: { 'x-api-key': KEY },
      dispatcher: agentFor(emu),
    })
    const text = await new Promise<string>((resolve) => {
      let t = ''
      res.body.on('data', (c: Buffer) => (t += c.toString()))
      res.body.on('end', () => resolve(t))
      void rest(emu, 'PUT', '/stop')
    })
    expect(lines(text)[0]).toMatch(/ \[Info\] WireGuard interface wg0 initialized successfully$/)
  })

  it('gRPC: interface outbound stats (first read is the baseline), GetLogs ends with the channel', async () => {
    const emu = await start({ protocol: 'grpc' })
    const c = grpcClient(emu)
    await unary(c, 'Start', { type: 1, config: wgConfig, users: [wgUser] })
    emu.control.addTraffic('outbound', 'wg0', 10, 20)
    // upstream's interface tracker takes its baseline at the first read
    expect((await unary(c, 'GetStats', { type: StatType.Outbounds })).value?.stats).toEqual([])
    emu.control.addTraffic('outbound', 'wg0', 10, 20)
    expect(
      (await unary(c, 'GetStats', { type: StatType.Outbounds, reset: true })).value?.stats,
    ).toEqual([
      { name: 'wg0', type: 'uplink', link: 'interface', value: '10' },
      { name: 'wg0', type: 'downlink', link: 'interface', value: '20' },
    ])
    const ended = new Promise<ServiceError>((resolve) => {
      const call = c.makeServerStreamRequest(
        grpcPath('GetLogs'),
        (v: Record<string, unknown>) => Buffer.from(pgEncode('Empty', v)),
        (b: Buffer) => pgDecode('Log', b),
        {},
        md(),
      )
      call.on('data', () => {})
      call.on('error', resolve)
    })
    await until(() => emu.control.logReaders() === 1)
    await unary(c, 'Stop', {})
    expect(await ended).toMatchObject({ code: grpcStatus.UNKNOWN, details: 'log channel closed' })
  })
})

describe('simulation', () => {
  it('auto-starts Xray with users, moves traffic and writes log lines', async () => {
    const emu = await start({
      protocol: 'grpc',
      simulate: { users: 20, seed: 3, autoStart: true, logLinesPerSec: 200 },
    })
    expect(emu.control.backend()?.users.size).toBe(20)
    const c = grpcClient(emu)
    await until(() => (emu.control.logStats().channel?.sent ?? 0) > 20)
    await until(() => Object.values(emu.control.counters()).some((v) => v > 0n), 2500)
    const s = await unary(c, 'GetStats', { type: StatType.UsersStat })
    expect(s.value?.stats.length).toBeGreaterThan(0)
  })
})
