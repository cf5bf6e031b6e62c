import { describe, expect, it } from 'vitest'
import { AppErrorException, appError, toAppError, type AppError } from '../../../../shared/contract'
import type { HttpClient, HttpRequest, HttpResponse } from '../http/http-client'
import { createMuApiClient, muReportApplied, type MuApiClientOptions } from './client'

const KEY = 'S3cr3t-MuKey'
const BASE = 'https://panel.example/mu/v2'

type Answer = { status?: number; body?: string } | AppErrorException

/** A fake HTTP layer: records requests, answers from a queue (default `{"ret":1,"msg":"ok"}`). */
function fakeHttp(answers: Answer[] = []) {
  const seen: HttpRequest[] = []
  const http: HttpClient = {
    async request(req) {
      seen.push(req)
      const a = answers.shift() ?? { body: '{"ret":1,"msg":"ok"}' }
      if (a instanceof AppErrorException) throw a
      const res: HttpResponse = {
        status: a.status ?? 200,
        headers: { 'content-type': 'application/json;charset=utf-8' },
        body: Buffer.from(a.body ?? ''),
        elapsedMs: 1,
      }
      return res
    },
    async close() {},
  }
  return { http, seen }
}

function client(answers: Answer[] = [], opts: Partial<MuApiClientOptions> = {}) {
  const f = fakeHttp(answers)
  const c = createMuApiClient({
    serverId: 'mu-1',
    baseUrl: BASE,
    http: f.http,
    getKey: async () => KEY,
    ...opts,
  })
  return { c, seen: f.seen }
}

async function errorOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(AppErrorException)
    const e = toAppError(err)
    expect(e.serverId).toBe('mu-1')
    expect(e.message).not.toContain(KEY)
    return e
  }
  throw new Error('expected an AppError')
}

const url = (r: HttpRequest | undefined) => String(r?.url)
const bodyOf = (r: HttpRequest | undefined) => String(r?.body)

describe('key placement', () => {
  it('sends the key as the Token header by default, never in the URL', async () => {
    const { c, seen } = client([{ body: '{"data":[]}' }])
    await c.listUsers()
    expect(seen[0]?.headers?.Token).toBe(KEY)
    expect(seen[0]?.headers?.Key).toBeUndefined()
    expect(url(seen[0])).toBe(`${BASE}/users`)
  })
  it('sends the Key header when chosen', async () => {
    const { c, seen } = client([{ body: '{"data":[]}' }], { keyHeader: 'Key' })
    await c.listUsers()
    expect(seen[0]?.headers?.Key).toBe(KEY)
    expect(seen[0]?.headers?.Token).toBeUndefined()
  })
  it('sends ?key= only when chosen, and no header then', async () => {
    const { c, seen } = client([{ body: '{"data":[]}' }], { keyIn: 'query' })
    await c.listUsers()
    expect(new URL(url(seen[0])).searchParams.get('key')).toBe(KEY)
    expect(seen[0]?.headers?.Token).toBeUndefined()
  })
  it('never logs the key (the URL is redacted)', async () => {
    const lines: string[] = []
    const rec = (m: string, f?: Record<string, unknown>) => lines.push(m + JSON.stringify(f ?? {}))
    const log = { debug: rec, info: rec, warn: rec, error: rec }
    const { c } = client([{ body: '{"data":[]}' }], { keyIn: 'query', log })
    await c.listUsers()
    expect(lines.length).toBeGreaterThan(0)
    expect(lines.join('\n')).not.toContain(KEY)
  })
  it('refuses to call without a key', async () => {
    const { c, seen } = client([], { getKey: async () => null })
    const e = await errorOf(c.listUsers())
    expect(e.code).toBe('auth')
    expect(e.message).toMatch(/No mu key/)
    expect(seen).toHaveLength(0)
    const r = await errorOf(c.reportOnline(1, 2))
    expect(r.params?.applied).toBe('no')
  })
  it('refuses a key a header cannot carry', async () => {
    const { c, seen } = client([], { getKey: async () => 'bad\r\nkey' })
    expect((await errorOf(c.listUsers())).code).toBe('invalid_input')
    expect(seen).toHaveLength(0)
  })
})

describe('401 explained', () => {
  it('"key is null" with the Key header: the panel reads only Token', async () => {
    const { c } = client([{ status: 401, body: '{"ret":0,"msg":"key is null"}' }], {
      keyHeader: 'Key',
    })
    const e = await errorOf(c.listUsers())
    expect(e).toMatchObject({ code: 'auth', params: { status: 401 } })
    expect(e.message).toMatch(/received no key.*Key header.*Token header/)
  })
  it('"key is null" with Token: a proxy may drop the header', async () => {
    const { c } = client([{ status: 401, body: '{"ret":0,"msg":"key is null"}' }])
    expect((await errorOf(c.listUsers())).message).toMatch(/proxy/)
  })
  it('"token is  invalid" (v3) and [] (master): wrong key', async () => {
    const { c } = client([
      { status: 401, body: '{"ret":0,"msg":"token is  invalid"}' },
      { status: 401, body: '[]' },
    ])
    expect((await errorOf(c.listUsers())).message).toMatch(/refused the mu key.*muKey/)
    expect((await errorOf(c.listUsers())).message).toMatch(/refused the mu key.*Key header/)
  })
})

describe('lists', () => {
  it('reads both envelopes and typings to the same domain objects', async () => {
    const { c } = client([
      { body: '{"msg":"ok","data":[{"id":1,"u":1,"d":2,"transfer_enable":23166189568,"t":5}]}' },
      { body: '{"data":[{"id":"1","u":"1","d":"2","transfer_enable":23166189568.0,"t":"5"}]}' },
    ])
    const a = await c.listUsers()
    const b = await c.listUsers()
    expect(a).toEqual(b)
    expect(a[0]).toMatchObject({ id: 1, up: 1, down: 2, quota: 23166189568, lastUsedAt: 5000 })
  })
  it('nodeUsers: GET /nodes/{id}/users', async () => {
    const { c, seen } = client([
      { body: '{"msg":"ok","data":[{"id":1,"v2ray_user":{"uuid":"x","alter_id":"2"}}]}' },
    ])
    const users = await c.nodeUsers(4)
    expect(seen[0]?.method).toBe('GET')
    expect(url(seen[0])).toBe(`${BASE}/nodes/4/users`)
    expect(users[0]?.v2ray).toEqual({ uuid: 'x', email: null, alterId: 2, level: null })
  })
  it('a list answered with ret:0 is a failure quoting the panel', async () => {
    const { c } = client([{ body: '{"ret":0,"msg":"node not found","data":[]}' }])
    const e = await errorOf(c.nodeUsers(9))
    expect(e.code).toBe('http_status')
    expect(e.message).toContain('node not found')
  })
  it('a non-JSON 200 and a wrong shape are bad_payload', async () => {
    const { c } = client([{ body: '<html>login</html>' }, { body: '{"msg":"ok"}' }])
    expect((await errorOf(c.listUsers())).code).toBe('bad_payload')
    expect((await errorOf(c.listUsers())).message).toMatch(/unexpected shape at data/)
  })
})

describe('reports', () => {
  it('per-user traffic: form-encoded u, d, node_id', async () => {
    const { c, seen } = client()
    await c.reportUserTraffic(7, { u: 1024, d: 4096 }, 2)
    expect(seen[0]?.method).toBe('POST')
    expect(url(seen[0])).toBe(`${BASE}/users/7/traffic`)
    expect(seen[0]?.headers?.['content-type']).toBe('application/x-www-form-urlencoded')
    expect(bodyOf(seen[0])).toBe('u=1024&d=4096&node_id=2')
  })
  it('per-node traffic: a raw JSON array of user_id, u, d', async () => {
    const { c, seen } = client()
    await c.reportNodeTraffic(3, [
      { userId: 1, u: 10, d: 20 },
      { userId: 2, u: 0, d: 5 },
    ])
    expect(url(seen[0])).toBe(`${BASE}/nodes/3/traffic`)
    expect(JSON.parse(bodyOf(seen[0]))).toEqual([
      { user_id: 1, u: 10, d: 20 },
      { user_id: 2, u: 0, d: 5 },
    ])
  })
  it('online count and node info: form params', async () => {
    const { c, seen } = client()
    await c.reportOnline(1, 12)
    await c.reportNodeInfo(1, { load: '0.52 0.58 0.59', uptime: 3600 })
    expect(url(seen[0])).toBe(`${BASE}/nodes/1/online_count`)
    expect(bodyOf(seen[0])).toBe('count=12')
    expect(url(seen[1])).toBe(`${BASE}/nodes/1/info`)
    expect(new URLSearchParams(bodyOf(seen[1])).get('load')).toBe('0.52 0.58 0.59')
    expect(new URLSearchParams(bodyOf(seen[1])).get('uptime')).toBe('3600')
  })
  it('a 200 with ret:0 is a failure with the panel msg; nothing applied', async () => {
    const { c } = client([{ body: '{"ret":0,"msg":"update failed"}' }, { body: '{"ret":"0"}' }])
    const e = await errorOf(c.reportOnline(1, 3))
    expect(e).toMatchObject({ code: 'http_status', retryable: true })
    expect(e.params).toMatchObject({ status: 200, ret: 0, applied: 'no' })
    expect(e.message).toContain('"update failed"')
    expect((await errorOf(c.reportNodeInfo(1, { load: 1, uptime: 1 }))).code).toBe('http_status')
  })
  it('a non-JSON 200 is a failure that may have been applied', async () => {
    const { c } = client([{ body: '<br />Notice: undefined index' }])
    const e = await errorOf(c.reportNodeTraffic(1, [{ userId: 1, u: 1, d: 1 }]))
    expect(e.code).toBe('bad_payload')
    expect(muReportApplied(e)).toBe('unknown')
  })
  it('400 quotes the panel; 5xx is retryable and maybe applied', async () => {
    const { c } = client([
      { status: 400, body: '{"msg":"update failed"}' },
      { status: 500, body: '<html>Slim Application Error</html>' },
    ])
    const a = await errorOf(c.reportUserTraffic(1, { u: 1, d: 1 }, 1))
    expect(a.message).toContain('"update failed"')
    expect(a.params).toMatchObject({ status: 400, applied: 'no' })
    const b = await errorOf(c.reportUserTraffic(1, { u: 1, d: 1 }, 1))
    expect(b).toMatchObject({ code: 'http_status', retryable: true })
    expect(b.params).toMatchObject({ status: 500, applied: 'unknown' })
  })
  it('transport errors: refused = not applied, reset = unknown; the key is scrubbed', async () => {
    const refused = new AppErrorException(
      appError('network', 'refused', { serverId: 'mu-1', params: { code: 'ECONNREFUSED' } }),
    )
    const reset = new AppErrorException(
      appError('network', `closed ${BASE}/x?key=${KEY}`, {
        serverId: 'mu-1',
        params: { code: 'ECONNRESET' },
      }),
    )
    const { c } = client([refused, reset], { keyIn: 'query' })
    expect(muReportApplied(await errorOf(c.reportOnline(1, 1)))).toBe('no')
    const e = await errorOf(c.reportOnline(1, 1))
    expect(muReportApplied(e)).toBe('unknown')
  })
  it('refuses bad ids and byte counts before sending', async () => {
    const { c, seen } = client()
    expect((await errorOf(c.reportUserTraffic(0, { u: 1, d: 1 }, 1))).code).toBe('invalid_input')
    expect((await errorOf(c.reportUserTraffic(1, { u: -1, d: 1 }, 1))).code).toBe('invalid_input')
    expect((await errorOf(c.reportUserTraffic(1, { u: 1.5, d: 1 }, 1))).code).toBe('invalid_input')
    expect((await errorOf(c.reportNodeTraffic(1, [{ userId: 1, u: NaN, d: 0 }]))).code).toBe(
      'invalid_input',
    )
    expect((await errorOf(c.reportOnline(1, -1))).code).toBe('invalid_input')
    expect((await errorOf(c.nodeUsers(1.5))).code).toBe('invalid_input')
    expect(seen).toHaveLength(0)
  })
})
