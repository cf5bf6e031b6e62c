/**
 * Contract tests: the Mu API v2 client against the emulator (apis.md §4), on both variants:
 * 'upstream' (orvice/ss-panel master: `{data}`, float quota, numeric strings, Key/Token/?key=)
 * and 'seed' (the wiki "Mu-V2" + v3: `{msg,data}`, ints, Token only). Real HTTP layer throughout.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { AppErrorException, toAppError, type AppError } from '../../src/shared/contract'
import { createHttpClient, type HttpClient } from '../../src/main/core/adapters/http/http-client'
import {
  createMuApiClient,
  muReportApplied,
  type MuApiClientOptions,
  type MuUser,
} from '../../src/main/core/adapters/muapi/client'
import {
  startMuApiEmulator,
  type MuApiEmulator,
  type MuApiEmulatorOptions,
  type MuApiVariant,
  type MuUser as MuUserRow,
} from '../../emulators/muapi/server'

const KEY = 'mu-Key-8c1f77'
const SERVER_ID = 'mu-contract'
/** Short client deadline so failure modes stay fast. */
const TIMEOUT_MS = 1200

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

async function emulator(opts: MuApiEmulatorOptions = {}): Promise<MuApiEmulator> {
  const emu = await startMuApiEmulator({ key: KEY, ...opts })
  cleanups.push(() => emu.close())
  return emu
}

function client(baseUrl: string, opts: Partial<MuApiClientOptions> = {}) {
  const http: HttpClient = createHttpClient()
  cleanups.push(() => http.close())
  return createMuApiClient({
    serverId: SERVER_ID,
    baseUrl,
    http,
    getKey: async () => KEY,
    timeoutMs: TIMEOUT_MS,
    ...opts,
  })
}

/** The AppError a promise rejects with; it must name the server and never hold the key. */
async function errorOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(AppErrorException)
    const e = toAppError(err)
    expect(e.serverId).toBe(SERVER_ID)
    expect(e.message).not.toContain(KEY)
    return e
  }
  throw new Error('expected the call to fail with an AppError')
}

/** What the domain object of a panel row must be (fields the variant sends). */
function expected(row: MuUserRow, withNames: boolean): MuUser {
  return {
    id: row.id,
    userName: withNames ? row.user_name : null,
    email: withNames ? row.email : null,
    up: row.u,
    down: row.d,
    quota: row.transfer_enable,
    lastUsedAt: row.t > 0 ? row.t * 1000 : null,
    enabled: row.enable !== 0,
    port: row.port,
    method: row.method,
  }
}

const USERS: Partial<MuUserRow>[] = [
  { id: 1, u: 2048, d: 4096, t: 1463581379, transfer_enable: 23166189568 },
  { id: 2, u: 0, d: 0, t: 0, enable: 0, method: 'aes-256-cfb', transfer_enable: 1099511627776 },
  { id: 5, u: 123456789012, d: 5, t: 1700000000, transfer_enable: 2 ** 40 + 3, v2ray_uuid: 'uu-5' },
]

const VARIANTS: MuApiVariant[] = ['upstream', 'seed']

describe.each(VARIANTS)('Mu API v2 client, %s variant', (variant) => {
  const withNames = variant === 'upstream'

  it('lists users: envelope, quota as exact bytes, u/d/t/enable/port/method', async () => {
    const emu = await emulator({ variant, users: USERS })
    const users = await client(emu.apiUrl).listUsers()
    expect(users).toEqual(emu.control.users().map((r) => expected(r, withNames)))
    // The wire really is what the variant promises (float + strings vs the wiki's ints).
    expect(users.find((u) => u.id === 5)?.quota).toBe(2 ** 40 + 3)
  })

  it('sends the key as the Token header by default, never in the URL or the log', async () => {
    const emu = await emulator({ variant, users: USERS })
    await client(emu.apiUrl).listUsers()
    const req = emu.requests[0]
    expect(req?.headers.token).toBe('REDACTED')
    expect(req?.headers.key).toBeUndefined()
    expect(req?.path).toBe('/mu/v2/users')
  })

  it('lists node users with their V2Ray identity', async () => {
    const emu = await emulator({ variant, users: USERS })
    const users = await client(emu.apiUrl).nodeUsers(1)
    const u5 = users.find((u) => u.id === 5)
    expect(u5).toMatchObject({ ...expected(emu.control.users()[2] as MuUserRow, withNames) })
    expect(u5?.v2ray).toEqual({ uuid: 'uu-5', email: 'uu-5@sspanel.xyz', alterId: 2, level: 2 })
  })

  it('a wrong key: 401 explained, auth error', async () => {
    const emu = await emulator({ variant, users: USERS })
    emu.control.setKey('another-key')
    const e = await errorOf(client(emu.apiUrl).listUsers())
    expect(e).toMatchObject({ code: 'auth', params: { status: 401 } })
    expect(e.message).toMatch(/refused the mu key/)
  })

  it('per-user traffic: form-encoded, u = client upload, the panel applies the node rate', async () => {
    const emu = await emulator({
      variant,
      users: USERS,
      nodes: [{ id: 1 }, { id: 2, traffic_rate: 1.5 }],
    })
    const c = client(emu.apiUrl)
    const before = emu.control.users()[0] as MuUserRow
    await c.reportUserTraffic(1, { u: 1000, d: 200 }, 2)
    const req = emu.requests.at(-1)
    expect(req?.headers['content-type']).toBe('application/x-www-form-urlencoded')
    const rep = emu.control.reportedTraffic().at(-1)
    expect(rep).toMatchObject({ kind: 'user', nodeId: 2, rate: 1.5, outcome: 'ok' })
    // Raw bytes reported (no rate on the client side), upload stays upload.
    expect(rep?.items).toEqual([{ userId: 1, u: 1000, d: 200, applied: true }])
    const after = (await c.listUsers()).find((u) => u.id === 1)
    expect(after?.up).toBe(before.u + 1500)
    expect(after?.down).toBe(before.d + 300)
    expect(after?.lastUsedAt).toBeGreaterThan(before.t * 1000)
  })

  it('per-node traffic: a raw JSON array, raw bytes, the panel applies the rate', async () => {
    const emu = await emulator({ variant, users: USERS, nodes: [{ id: 3, traffic_rate: 0.5 }] })
    const c = client(emu.apiUrl)
    await c.reportNodeTraffic(3, [
      { userId: 1, u: 400, d: 10_000 },
      { userId: 5, u: 2, d: 0 },
    ])
    const req = emu.requests.at(-1)
    expect(JSON.parse(req?.body ?? '')).toEqual([
      { user_id: 1, u: 400, d: 10_000 },
      { user_id: 5, u: 2, d: 0 },
    ])
    const rep = emu.control.reportedTraffic().at(-1)
    expect(rep).toMatchObject({ kind: 'node', nodeId: 3, rate: 0.5, outcome: 'ok' })
    expect(rep?.items.map((i) => [i.userId, i.u, i.d, i.applied])).toEqual([
      [1, 400, 10_000, true],
      [5, 2, 0, true],
    ])
    const users = await c.listUsers()
    expect(users.find((u) => u.id === 1)).toMatchObject({ up: 2048 + 200, down: 4096 + 5000 })
    expect(users.find((u) => u.id === 5)).toMatchObject({ up: 123456789012 + 1 })
  })

  it('online count and node info are recorded', async () => {
    const emu = await emulator({ variant, users: USERS })
    const c = client(emu.apiUrl)
    await c.reportOnline(1, 17)
    await c.reportNodeInfo(1, { load: '0.52 0.58 0.59', uptime: 86400 })
    expect(emu.control.onlineReports()).toMatchObject([{ nodeId: '1', count: '17', outcome: 'ok' }])
    expect(emu.control.nodeInfoReports()).toMatchObject([
      { nodeId: '1', load: '0.52 0.58 0.59', uptime: '86400', outcome: 'ok' },
    ])
  })

  describe('failure modes', () => {
    it('ret0: a 200 with ret:0 is a failure quoting the panel, nothing applied', async () => {
      const emu = await emulator({ variant, users: USERS })
      const c = client(emu.apiUrl)
      for (const route of ['onlineCount', 'nodeInfo', 'nodeTraffic', 'userTraffic'] as const) {
        emu.control.failNext('ret0', { route })
      }
      const calls = [
        c.reportOnline(1, 1),
        c.reportNodeInfo(1, { load: 0.1, uptime: 1 }),
        c.reportNodeTraffic(1, [{ userId: 1, u: 1, d: 1 }]),
        c.reportUserTraffic(1, { u: 1, d: 1 }, 1),
      ]
      for (const p of calls) {
        const e = await errorOf(p)
        expect(e).toMatchObject({ code: 'http_status', retryable: true })
        expect(e.params).toMatchObject({ status: 200, ret: 0, applied: 'no' })
        expect(e.message).toContain('"update failed"')
      }
      expect((await c.listUsers()).find((u) => u.id === 1)).toMatchObject({ up: 2048, down: 4096 })
    })

    it('http400 on per-user traffic: the panel msg, nothing applied', async () => {
      const emu = await emulator({ variant, users: USERS })
      emu.control.failNext('http400')
      const e = await errorOf(client(emu.apiUrl).reportUserTraffic(1, { u: 1, d: 1 }, 1))
      expect(e.params).toMatchObject({ status: 400, applied: 'no' })
      expect(e.message).toMatch(/HTTP 400 "update failed"/)
    })

    it('http500: retryable http_status; a report may have been applied', async () => {
      const emu = await emulator({ variant, users: USERS })
      const c = client(emu.apiUrl)
      emu.control.failNext('http500', { times: 2 })
      const list = await errorOf(c.listUsers())
      expect(list).toMatchObject({ code: 'http_status', retryable: true, params: { status: 500 } })
      const rep = await errorOf(c.reportNodeTraffic(1, [{ userId: 1, u: 1, d: 1 }]))
      expect(rep.retryable).toBe(true)
      expect(muReportApplied(rep)).toBe('unknown')
    })

    it('garbage: a 200 HTML page is bad_payload, not success', async () => {
      const emu = await emulator({ variant, users: USERS })
      const c = client(emu.apiUrl)
      emu.control.failNext('garbage', { times: 2 })
      const list = await errorOf(c.listUsers())
      expect(list.code).toBe('bad_payload')
      expect(list.message).toMatch(/not JSON.*\/mu\/v2/)
      const rep = await errorOf(c.reportOnline(1, 3))
      expect(rep.code).toBe('bad_payload')
      expect(muReportApplied(rep)).toBe('unknown')
    })

    it('hang: a timeout within the deadline', async () => {
      const emu = await emulator({ variant, users: USERS })
      emu.control.failNext('hang')
      const started = Date.now()
      const e = await errorOf(client(emu.apiUrl).reportOnline(1, 3))
      expect(e).toMatchObject({ code: 'timeout', retryable: true })
      expect(muReportApplied(e)).toBe('unknown')
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 2000)
    })

    it('drop: a network error; the next call works', async () => {
      const emu = await emulator({ variant, users: USERS })
      const c = client(emu.apiUrl)
      emu.control.failNext('drop')
      const e = await errorOf(c.reportNodeTraffic(1, [{ userId: 1, u: 1, d: 1 }]))
      expect(e).toMatchObject({ code: 'network', retryable: true })
      expect(muReportApplied(e)).toBe('unknown')
      expect(await c.listUsers()).toHaveLength(USERS.length)
    })

    it('an unknown user: the PHP fatal (500) is an error, not success', async () => {
      const emu = await emulator({ variant, users: USERS })
      const e = await errorOf(client(emu.apiUrl).reportUserTraffic(99, { u: 1, d: 1 }, 1))
      expect(e).toMatchObject({ code: 'http_status', params: { status: 500 } })
    })

    it('a wrong URL (no /mu/v2): not_found with advice', async () => {
      const emu = await emulator({ variant, users: USERS })
      const e = await errorOf(client(emu.url).listUsers())
      expect(e.code).toBe('not_found')
      expect(e.message).toMatch(/\/mu\/v2/)
    })
  })
})

describe('variant differences', () => {
  it('upstream: the Key header and ?key= both work when chosen; /api/mu mount too', async () => {
    const emu = await emulator({ variant: 'upstream', users: USERS })
    expect(await client(emu.apiUrl, { keyHeader: 'Key' }).listUsers()).toHaveLength(3)
    expect(emu.requests.at(-1)?.headers).toMatchObject({ key: 'REDACTED' })
    expect(emu.requests.at(-1)?.headers.token).toBeUndefined()
    expect(await client(emu.apiUrl, { keyIn: 'query' }).listUsers()).toHaveLength(3)
    expect(emu.requests.at(-1)?.path).toBe('/mu/v2/users?key=REDACTED')
    expect(emu.requests.at(-1)?.headers.token).toBeUndefined()
    expect(await client(`${emu.url}/api/mu`).listUsers()).toHaveLength(3)
  })

  it('upstream: a wrong key in the query never shows in the error', async () => {
    const emu = await emulator({ variant: 'upstream', users: USERS })
    emu.control.setKey('other')
    const e = await errorOf(client(emu.apiUrl, { keyIn: 'query' }).listUsers())
    expect(e.code).toBe('auth')
  })

  it('seed: Key header or ?key= → "key is null", explained as Token-only', async () => {
    const emu = await emulator({ variant: 'seed', users: USERS })
    for (const opts of [{ keyHeader: 'Key' as const }, { keyIn: 'query' as const }]) {
      const e = await errorOf(client(emu.apiUrl, opts).listUsers())
      expect(e.code).toBe('auth')
      expect(e.message).toMatch(/received no key.*only from the Token header/)
    }
  })

  it('seed with all v3 fields: email present, user_name hidden', async () => {
    const emu = await emulator({ variant: 'seed', fields: 'all', users: USERS })
    const users = await client(emu.apiUrl).listUsers()
    expect(users[0]).toMatchObject({
      email: 'user1@example.com',
      userName: null,
      quota: 23166189568,
    })
  })

  it('quota as a string and as an int reads the same exact bytes', async () => {
    for (const transferEnableAs of ['string', 'int', 'float'] as const) {
      const emu = await emulator({ variant: 'upstream', users: USERS, transferEnableAs })
      const users = await client(emu.apiUrl).listUsers()
      expect(users.map((u) => u.quota)).toEqual([23166189568, 1099511627776, 2 ** 40 + 3])
    }
  })

  it('seed with only the documented routes: node routes are not_found, explained', async () => {
    const emu = await emulator({ variant: 'seed', routes: 'documented', users: USERS })
    const c = client(emu.apiUrl)
    const e = await errorOf(c.nodeUsers(1))
    expect(e.code).toBe('not_found')
    expect(e.message).toMatch(/lacks this route/)
    expect((await errorOf(c.reportOnline(1, 1))).params).toMatchObject({ applied: 'no' })
    // The documented ones still work.
    await c.reportNodeTraffic(1, [{ userId: 1, u: 1, d: 1 }])
  })
})
