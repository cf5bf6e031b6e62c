/**
 * Contract tests: the Hysteria 2 client and adapter against the emulator, one test per quirk of
 * apis.md §1 (Hysteria 2 Traffic Stats API). Every test uses the real HTTP layer.
 */
import { afterEach, describe, expect, it } from 'vitest'
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { spawn } from 'node:child_process'
import { resolve as resolvePath } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  AppErrorException,
  ServerConfigSchema,
  toAppError,
  type AppError,
  type SessionRow,
} from '../../src/shared/contract'
import {
  createHttpClient,
  type HttpClient,
  type HttpResponse,
} from '../../src/main/core/adapters/http/http-client'
import { createHysteria2Client } from '../../src/main/core/adapters/hysteria2/client'
import { createHysteria2Adapter } from '../../src/main/core/adapters/hysteria2/adapter'
import { parseStreamTable } from '../../src/main/core/adapters/hysteria2/map'
import type { PollResult, ServerAdapter } from '../../src/main/core/adapters/adapter'
import { TrafficTracker } from '../../src/main/core/monitor/traffic-tracker'
import {
  startHysteria2Emulator,
  type Hysteria2Emulator,
  type Hysteria2EmulatorOptions,
  type Hysteria2Mode,
} from '../../emulators/hysteria2/server'

const SECRET = 'zx8257686@520'
const SERVER_ID = 'hy-contract'
/** Short client deadline so failure modes stay fast. */
const TIMEOUT_MS = 1500

// ---------------------------------------------------------------------------------------------
// Harness

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

async function emulator(opts: Hysteria2EmulatorOptions = {}): Promise<Hysteria2Emulator> {
  const emu = await startHysteria2Emulator({ secret: SECRET, ...opts })
  cleanups.push(() => emu.close())
  return emu
}

function httpClient(): HttpClient {
  const http = createHttpClient()
  cleanups.push(() => http.close())
  return http
}

function client(
  baseUrl: string,
  secret: string | null = SECRET,
  opts: { timeoutMs?: number; http?: HttpClient } = {},
) {
  return createHysteria2Client({
    serverId: SERVER_ID,
    baseUrl,
    http: opts.http ?? httpClient(),
    getSecret: async () => secret,
    timeoutMs: opts.timeoutMs ?? TIMEOUT_MS,
  })
}

function adapter(
  baseUrl: string,
  opts: { secret?: string | null; clearOnRead?: boolean; http?: HttpClient } = {},
): ServerAdapter {
  const server = ServerConfigSchema.parse({
    id: SERVER_ID,
    kind: 'hysteria2',
    name: 'contract',
    url: baseUrl,
    pollIntervalSec: 2,
    options: opts.clearOnRead ? { clearOnRead: true } : {},
    createdAt: Date.now(),
  })
  const secret = opts.secret === undefined ? SECRET : opts.secret
  return createHysteria2Adapter({
    server,
    http: opts.http ?? httpClient(),
    getSecret: async () => secret,
  })
}

/** The AppError a promise rejects with (fails the test if it resolves). */
async function appErrorOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(AppErrorException)
    return toAppError(err)
  }
  throw new Error('expected the call to fail with an AppError')
}

function hex8(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0')
}

function authHeaders(emu: Hysteria2Emulator): Array<string | string[] | undefined> {
  return emu.requests.map((r) => r.headers.authorization)
}

/** A reverse proxy in front of `target` that rewrites request headers. */
async function proxy(
  target: string,
  rewrite: (h: IncomingMessage['headers']) => IncomingMessage['headers'],
  /** Answers a request itself when it returns true (an older server's missing route...). */
  intercept: (req: IncomingMessage, res: ServerResponse) => boolean = () => false,
): Promise<string> {
  const t = new URL(target)
  const sockets = new Set<Socket>()
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (intercept(req, res)) return
    const up = httpRequest(
      {
        host: t.hostname,
        port: t.port,
        method: req.method,
        path: req.url,
        headers: rewrite({ ...req.headers, host: t.host }),
      },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers)
        ur.pipe(res)
      },
    )
    up.on('error', () => res.destroy())
    req.pipe(up)
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/**
 * Starts an emulator in a child Node process (type stripping; a resolve hook adds the `.ts` of
 * the emulator's extensionless relative imports) and sets its mode. Resolves with its URL.
 */
async function emulatorInChild(mode: Hysteria2Mode): Promise<string> {
  const hook = `export async function resolve(s, c, n) {
    try { return await n(s, c) } catch (e) {
      if (/^\\.\\.?\\//.test(s) && !/\\.[cm]?[jt]s$/.test(s)) return n(s + '.ts', c)
      throw e
    }
  }`
  const server = pathToFileURL(
    resolvePath(import.meta.dirname, '../../emulators/hysteria2/server.ts'),
  )
  const script = `
    import { register } from 'node:module'
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}))
    const { startHysteria2Emulator } = await import(${JSON.stringify(server.href)})
    const emu = await startHysteria2Emulator({ secret: ${JSON.stringify(SECRET)} })
    emu.setMode(${JSON.stringify(mode)})
    process.stdout.write(emu.url + '\\n')
    // Never outlive the test process: exit when our stdin (its pipe) closes.
    process.stdin.on('end', () => process.exit(0)).resume()
  `
  const child = spawn(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill()
      await exited
    }
  })
  let stderr = ''
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  return new Promise<string>((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      const line = out.split('\n')[0]
      if (out.includes('\n') && line) resolve(line.trim())
    })
    child.once('exit', (code) => reject(new Error(`emulator child exited (${code}): ${stderr}`)))
  })
}

/** Polls and feeds the tracker like the monitor does. */
async function pollInto(a: ServerAdapter, tracker: TrafficTracker): Promise<PollResult> {
  const r = await a.poll()
  expect(r.users).toBeDefined()
  if (r.users) tracker.update(r.users, r.partial)
  return r
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

// ---------------------------------------------------------------------------------------------

describe('Hysteria 2 contract (apis.md §1) — auth', () => {
  it('auth: the raw secret is the whole Authorization header, no scheme', async () => {
    const emu = await emulator()
    await client(emu.url).traffic(false)
    expect(emu.requests).toHaveLength(1)
    expect(emu.requests[0]?.headers.authorization).toBe(SECRET)
  })

  it('auth: a wrong secret is an AppError "auth" (and the message does not leak it)', async () => {
    const emu = await emulator()
    const e = await appErrorOf(client(emu.url, 'not-the-secret').traffic(false))
    expect(e.code).toBe('auth')
    expect(e.params?.status).toBe(401)
    expect(e.retryable).toBe(false)
    expect(e.serverId).toBe(SERVER_ID)
    expect(e.message).not.toContain('not-the-secret')
    expect(e.message).toMatch(/Bearer/) // advice: no "Bearer" prefix
    // A poll through the adapter is an auth failure too (not a partial answer).
    const p = await appErrorOf(adapter(emu.url, { secret: 'not-the-secret' }).poll())
    expect(p.code).toBe('auth')
  })

  it('auth: "Bearer" is never sent, on any route', async () => {
    const emu = await emulator()
    const conn = emu.connect('u')
    emu.openStream(conn, 'example.com:443')
    const c = client(emu.url)
    await c.traffic(false)
    await c.traffic(true)
    await c.online()
    await c.streams()
    await c.kick(['nobody'])
    expect(emu.requests).toHaveLength(5)
    for (const h of authHeaders(emu)) {
      expect(h).toBe(SECRET)
      expect(String(h)).not.toMatch(/bearer|basic/i)
    }
  })

  it('auth: an empty secret sends no Authorization header at all', async () => {
    const emu = await emulator({ secret: '' })
    await client(emu.url, '').traffic(false)
    await client(emu.url, null).online()
    expect(emu.requests).toHaveLength(2)
    for (const r of emu.requests) expect('authorization' in r.headers).toBe(false)
    // A server that does require one: auth, with advice to enter it.
    emu.setSecret(SECRET)
    const e = await appErrorOf(client(emu.url, '').traffic(false))
    expect(e.code).toBe('auth')
    expect(e.message).toMatch(/requires a secret/)
  })

  it('auth: 401 comes before routing (wrong secret on an unknown route is auth, not http_status)', async () => {
    const emu = await emulator()
    const wrong = await appErrorOf(client(`${emu.url}/nope`, 'wrong').traffic(false))
    expect(wrong.code).toBe('auth')
    const wrongKick = await appErrorOf(client(`${emu.url}/nope`, 'wrong').kick(['u']))
    expect(wrongKick.code).toBe('auth')
    // The same unknown route with the right secret: 404.
    const right = await appErrorOf(client(`${emu.url}/nope`).traffic(false))
    expect(right.code).toBe('http_status')
  })
})

describe('Hysteria 2 contract (apis.md §1) — routes', () => {
  it('404-not-405: an unknown route is http_status 404 with advice to check the URL / version', async () => {
    const emu = await emulator()
    const c = client(`${emu.url}/api/v1`)
    const traffic = await appErrorOf(c.traffic(false))
    expect(traffic.code).toBe('http_status')
    expect(traffic.params?.status).toBe(404)
    expect(traffic.retryable).toBe(false)
    expect(traffic.message).toContain('GET /traffic')
    expect(traffic.message).toMatch(/Check that the URL points at the Hysteria 2 traffic stats API/)
    const online = await appErrorOf(c.online())
    expect(online.params?.status).toBe(404)
    expect(online.message).toMatch(/since Hysteria v2\.4\.4/)
    const streams = await appErrorOf(c.streams())
    expect(streams.params?.status).toBe(404)
    expect(streams.message).toMatch(/since Hysteria v2\.6\.0/)
    // The wire itself: a wrong method is 404, never 405.
    const res = await fetch(`${emu.url}/traffic`, {
      method: 'POST',
      headers: { authorization: SECRET },
    })
    expect(res.status).toBe(404)
    expect(await res.text()).toBe('404 page not found\n')
  })

  it('404-not-405: an old server without /online (< v2.4.4) still gives traffic, with a partial error', async () => {
    const emu = await emulator()
    emu.moveTraffic(emu.connect('u'), 1, 2)
    const url = await proxy(
      emu.url,
      (h) => h,
      (req, res) => {
        if (req.url !== '/online') return false
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        res.end('404 page not found\n')
        return true
      },
    )
    const r = await adapter(url).poll()
    expect(r.users?.counters?.get('u')).toEqual({ up: 1, down: 2 })
    expect(r.users?.devices).toBeNull()
    expect(r.partial).toMatchObject({ code: 'http_status', params: { status: 404 } })
    expect(r.partial?.message).toMatch(/GET \/online .*since Hysteria v2\.4\.4/)
  })

  it('tx/rx direction: tx is the client upload, rx the client download', async () => {
    const emu = await emulator()
    const conn = emu.connect('u')
    emu.moveTraffic(conn, 1000, 5000)
    const r = await adapter(emu.url).poll()
    expect(r.partial).toBeNull()
    expect(r.users?.counters?.get('u')).toEqual({ up: 1000, down: 5000 })
    const tracker = new TrafficTracker(SERVER_ID)
    tracker.update(r.users as NonNullable<PollResult['users']>, null)
    const row = tracker.current().users.find((u) => u.name === 'u')
    expect(row?.up).toBe(1000)
    expect(row?.down).toBe(5000)
  })

  it('/traffic entries persist after the user goes offline', async () => {
    const emu = await emulator()
    const conn = emu.connect('gone')
    emu.moveTraffic(conn, 10, 20)
    emu.disconnect(conn)
    const r = await adapter(emu.url).poll()
    expect(r.users?.counters?.get('gone')).toEqual({ up: 10, down: 20 })
    expect(r.users?.devices?.has('gone')).toBe(false)
    const tracker = new TrafficTracker(SERVER_ID)
    tracker.update(r.users as NonNullable<PollResult['users']>, null)
    expect(tracker.current().users).toEqual([
      expect.objectContaining({ name: 'gone', online: false, devices: 0, up: 10, down: 20 }),
    ])
  })

  it('/traffic and /online answer {} when empty: no users, not an error', async () => {
    const emu = await emulator()
    const r = await adapter(emu.url).poll()
    expect(r.partial).toBeNull()
    expect(r.users?.counters?.size).toBe(0)
    expect(r.users?.devices?.size).toBe(0)
    // A user online that never moved traffic has no /traffic entry yet.
    emu.connect('quiet')
    const r2 = await adapter(emu.url).poll()
    expect(r2.users?.counters?.size).toBe(0)
    expect(r2.users?.devices?.get('quiet')).toBe(1)
  })
})

describe('Hysteria 2 contract (apis.md §1) — clear-on-read', () => {
  it('clear-on-read: with the option the client sends ?clear=1 and the counters reset', async () => {
    const emu = await emulator()
    const conn = emu.connect('u')
    emu.moveTraffic(conn, 100, 200)
    const r = await adapter(emu.url, { clearOnRead: true }).poll()
    expect(r.users?.countersAreDeltas).toBe(true)
    expect(r.users?.counters?.get('u')).toEqual({ up: 100, down: 200 })
    const trafficReqs = emu.requests.filter((x) => x.path.startsWith('/traffic'))
    expect(trafficReqs.map((x) => x.path)).toEqual(['/traffic?clear=1'])
    expect(emu.traffic()).toEqual({})
  })

  it('clear-on-read: without the option no request ever carries "clear"', async () => {
    const emu = await emulator()
    const conn = emu.connect('u')
    const a = adapter(emu.url)
    for (let i = 0; i < 3; i++) {
      emu.moveTraffic(conn, 100, 200)
      const r = await a.poll()
      expect(r.users?.countersAreDeltas).toBe(false)
    }
    await a.sessions?.list()
    await a.users?.kick(['nobody'])
    expect(emu.requests.length).toBeGreaterThanOrEqual(8)
    for (const req of emu.requests) expect(req.path).not.toMatch(/clear/i)
    expect(emu.traffic()).toEqual({ u: { tx: 300, rx: 600 } })
  })

  it('clear-on-read: no bytes are lost between polls, even with traffic moving during a poll', async () => {
    const emu = await emulator()
    const a = adapter(emu.url, { clearOnRead: true })
    const tracker = new TrafficTracker(SERVER_ID)
    const ca = emu.connect('a')
    const cb = emu.connect('b')
    const moved = { a: { up: 0, down: 0 }, b: { up: 0, down: 0 } }
    const move = (user: 'a' | 'b', conn: number, up: number, down: number) => {
      expect(emu.moveTraffic(conn, up, down)).toBe(true)
      moved[user].up += up
      moved[user].down += down
    }
    move('a', ca, 1000, 5000)
    await pollInto(a, tracker)
    for (let round = 0; round < 5; round++) {
      move('a', ca, 123 + round, 4567)
      move('b', cb, 7, 11 * round)
      // Keep moving bytes while the request is in flight (the server's snapshot + swap is atomic).
      const poll = pollInto(a, tracker)
      let busy = true
      const mover = (async () => {
        while (busy) {
          move('b', cb, 3, 5)
          await new Promise((r) => setImmediate(r))
        }
      })()
      await poll
      busy = false
      await mover
    }
    await pollInto(a, tracker) // collects what moved during the last poll
    const snap = tracker.current()
    expect(snap.clearOnRead).toBe(true)
    const rows = Object.fromEntries(snap.users.map((u) => [u.name, { up: u.up, down: u.down }]))
    expect(rows).toEqual(moved)
    expect(moved.b.up).toBeGreaterThan(35) // the in-flight mover did run
  })
})

describe('Hysteria 2 contract (apis.md §1) — online and kick', () => {
  it('/online counts devices (connections), and users with zero are absent', async () => {
    const emu = await emulator()
    const c1 = emu.connect('u')
    const c2 = emu.connect('u')
    const solo = emu.connect('solo')
    emu.openStream(c1, 'a.example:443') // streams are not devices
    emu.openStream(c1, 'b.example:443')
    const a = adapter(emu.url)
    const r = await a.poll()
    expect(r.users?.devices).toEqual(
      new Map([
        ['solo', 1],
        ['u', 2],
      ]),
    )
    emu.disconnect(c1)
    emu.disconnect(c2)
    emu.disconnect(solo)
    const r2 = await a.poll()
    expect(r2.users?.devices?.size).toBe(0)
  })

  it('/online: a zero entry (should a server send one) is not a device', async () => {
    // The client side of "zero entries removed": a fake HTTP layer answers {"ghost":0,"u":1}.
    const fake: HttpClient = {
      async request(req): Promise<HttpResponse> {
        const path = new URL(req.url).pathname
        const body = path === '/online' ? '{"ghost":0,"u":1}' : '{}'
        return {
          status: 200,
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body: Buffer.from(body),
          elapsedMs: 1,
        }
      },
      async close() {},
    }
    const r = await adapter('http://127.0.0.1:9', { http: fake }).poll()
    expect(r.users?.devices).toEqual(new Map([['u', 1]]))
  })

  it('kick is lazy: an idle user stays connected until it moves data; the kicking chunk is not counted', async () => {
    const emu = await emulator()
    const conn = emu.connect('u')
    emu.moveTraffic(conn, 10, 10)
    const a = adapter(emu.url)
    await a.users?.kick(['u', 'offline-user', '用户 ü'])
    const kickReq = emu.requests.find((r) => r.path === '/kick')
    expect(kickReq?.method).toBe('POST')
    expect(kickReq?.headers['content-type']).toBe('application/json')
    expect(emu.pendingKicks()).toEqual(['offline-user', 'u', '用户 ü'])
    // Idle: still online.
    expect((await a.poll()).users?.devices?.get('u')).toBe(1)
    // Next chunk: that connection closes, and the chunk is not counted.
    expect(emu.moveTraffic(conn, 999, 999)).toBe(false)
    expect(emu.pendingKicks()).toEqual(['offline-user', '用户 ü'])
    const r = await a.poll()
    expect(r.users?.devices?.has('u')).toBe(false)
    expect(r.users?.counters?.get('u')).toEqual({ up: 10, down: 10 })
  })

  it('kick is per connection: with 2 devices one kick closes one', async () => {
    const emu = await emulator()
    const c1 = emu.connect('u')
    const c2 = emu.connect('u')
    const a = adapter(emu.url)
    await a.users?.kick(['u'])
    expect(emu.pendingKicks()).toEqual(['u'])
    expect(emu.moveTraffic(c2, 1, 1)).toBe(false)
    expect(emu.isConnected(c2)).toBe(false)
    expect(emu.moveTraffic(c1, 1, 1)).toBe(true) // the kick was consumed by the other device
    expect((await a.poll()).users?.devices?.get('u')).toBe(1)
    await a.users?.kick(['u'])
    expect(emu.moveTraffic(c1, 1, 1)).toBe(false)
    expect((await a.poll()).users?.devices?.has('u')).toBe(false)
  })
})

describe('Hysteria 2 contract (apis.md §1) — /dump/streams', () => {
  it('stream dump JSON: fields mapped (hex connection, stream ids, addrs, tx→up, rx→down, times)', async () => {
    const emu = await emulator()
    const conn = emu.connect('alice')
    const s1 = emu.openStream(conn, '142.250.72.14:443', { hookedReqAddr: 'www.google.com:443' })
    const s2 = emu.openStream(conn, 'github.com:443', { hookedReqAddr: 'github.com:443' })
    const s3 = emu.openStream(conn, 'ignored:1', { state: 'init' })
    expect([s1, s2, s3]).toEqual([4, 8, 12])
    emu.moveTraffic(conn, 300, 7000, s1)
    const rows = (await adapter(emu.url).sessions?.list()) as SessionRow[]
    const c = hex8(conn)
    expect(rows).toHaveLength(3)
    expect(rows[0]).toEqual({
      id: `${c}:4`,
      user: 'alice',
      state: 'estab',
      connection: c,
      stream: '4',
      target: '142.250.72.14:443',
      hookedTarget: 'www.google.com:443',
      remote: null,
      up: 300,
      down: 7000,
      startedAt: expect.stringMatching(RFC3339),
      lastActiveAt: expect.stringMatching(RFC3339),
      protocol: 'tcp',
      connections: null,
    })
    expect(rows[1]).toMatchObject({
      id: `${c}:8`,
      stream: '8',
      target: 'github.com:443',
      hookedTarget: null, // same as req_addr → "" on the wire
      up: 0,
      down: 0,
    })
    expect(rows[2]).toMatchObject({ stream: '12', state: 'init', target: '' })
    expect(c).toMatch(/^[0-9A-F]{8}$/)
  })

  it('stream dump JSON: {"streams":[]} is an empty list', async () => {
    const emu = await emulator()
    emu.connect('u') // a connection without streams
    expect(await client(emu.url).streams()).toEqual([])
  })

  it('stream dump text table (Accept: text/plain) parses to the same rows as the JSON', async () => {
    const emu = await emulator()
    const c1 = emu.connect('alice')
    const c2 = emu.connect('bob smith') // an auth id with a space stays whole
    emu.openStream(c1, '142.250.72.14:443', { hookedReqAddr: 'www.google.com:443' })
    emu.openStream(c1, '[2606:4700::6810:85e5]:443', { hookedReqAddr: 'discord.com:443' })
    const s = emu.openStream(c2, 'example.com:443')
    emu.openStream(c2, 'x:1', { state: 'init' })
    emu.moveTraffic(c2, 1234567, 89, s)
    const res = await fetch(`${emu.url}/dump/streams`, {
      headers: { authorization: SECRET, accept: 'text/plain' },
    })
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = await res.text()
    expect(text.split('\n')[0]).toMatch(/^State\s+Auth\s+Connection\s+Stream\s+TX-Bytes/)
    const parsed = parseStreamTable(text)
    expect(parsed).not.toBeNull()
    const fromJson = await client(emu.url).streams()
    const strip = (r: SessionRow) => ({ ...r, startedAt: null, lastActiveAt: null })
    expect(parsed).toEqual(fromJson.map(strip))
    expect(parsed?.map((r) => r.user)).toEqual(['alice', 'alice', 'bob smith', 'bob smith'])
    expect(parsed?.[1]?.target).toBe('[2606:4700::6810:85e5]:443')
    expect(parseStreamTable('<html>nope</html>')).toBeNull()
  })

  it('stream dump: a server (or proxy) that always answers text/plain is understood', async () => {
    const emu = await emulator()
    const conn = emu.connect('u')
    const s = emu.openStream(conn, 'example.com:443', { hookedReqAddr: 'sniffed.example:443' })
    emu.moveTraffic(conn, 5, 6, s)
    const url = await proxy(emu.url, (h) => ({ ...h, accept: 'text/plain' }))
    const rows = await client(url).streams()
    expect(emu.requests.at(-1)?.headers.accept).toBe('text/plain')
    expect(rows).toEqual([
      {
        id: `${hex8(conn)}:4`,
        user: 'u',
        state: 'estab',
        connection: hex8(conn),
        stream: '4',
        target: 'example.com:443',
        hookedTarget: 'sniffed.example:443',
        remote: null,
        up: 5,
        down: 6,
        startedAt: null,
        lastActiveAt: null,
        protocol: 'tcp',
        connections: null,
      },
    ])
    // An empty table (header only) is no sessions.
    emu.disconnect(conn)
    expect(await client(url).streams()).toEqual([])
  })

  it('stream dump: the seed doc variant {"<connId>": {user, remote, target, tx, rx}} is parsed', async () => {
    const emu = await emulator({ variant: 'seed' })
    const conn = emu.connect('u')
    const s = emu.openStream(conn, 'example.com:443')
    emu.moveTraffic(conn, 40, 50, s)
    const rows = await client(emu.url).streams()
    expect(rows).toEqual([
      expect.objectContaining({
        id: `${hex8(conn)}:4`,
        user: 'u',
        target: 'example.com:443',
        remote: expect.stringMatching(/^\d+\.\d+\.\d+\.\d+:\d+$/),
        up: 40,
        down: 50,
      }),
    ])
    emu.disconnect(conn)
    expect(await client(emu.url).streams()).toEqual([]) // seed variant's empty answer: {}
  })
})

describe('Hysteria 2 contract (apis.md §1) — restarts and failure modes', () => {
  it('counters reset on server restart: the tracker reports a reset, never a negative rate', async () => {
    const emu = await emulator()
    const a = adapter(emu.url)
    const tracker = new TrafficTracker(SERVER_ID)
    const ca = emu.connect('a')
    const cb = emu.connect('b')
    emu.moveTraffic(ca, 10_000, 50_000)
    emu.moveTraffic(cb, 20_000, 20_000)
    await pollInto(a, tracker)
    await new Promise((r) => setTimeout(r, 20))
    emu.moveTraffic(ca, 1000, 1000)
    emu.moveTraffic(cb, 1000, 1000)
    await pollInto(a, tracker)
    const before = tracker.current()
    expect(before.users.find((u) => u.name === 'a')?.upRate).toBeGreaterThan(0)

    emu.restart()
    const ca2 = emu.connect('a')
    emu.moveTraffic(ca2, 500, 500) // smaller than before: went backwards
    await new Promise((r) => setTimeout(r, 20))
    await pollInto(a, tracker)
    const after = tracker.current()
    expect(after.serverReset).toBe(true) // a went backwards, b vanished
    const rowA = after.users.find((u) => u.name === 'a')
    expect(rowA).toMatchObject({ reset: true, upRate: null, downRate: null, up: 500, down: 500 })
    for (const u of [...before.users, ...after.users]) {
      for (const rate of [u.upRate, u.downRate])
        if (rate !== null) expect(rate).toBeGreaterThanOrEqual(0)
    }
  })

  it('failure mode "silent": timeout within the deadline', async () => {
    const emu = await emulator()
    emu.setMode('silent')
    const t0 = performance.now()
    const e = await appErrorOf(client(emu.url).traffic(false))
    const elapsed = performance.now() - t0
    expect(e.code).toBe('timeout')
    expect(e.retryable).toBe(true)
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS - 50)
    expect(elapsed).toBeLessThan(TIMEOUT_MS + 1000)
  })

  it('failure mode "garbage": bad_payload naming the route', async () => {
    const emu = await emulator()
    emu.setMode('garbage')
    const c = client(emu.url)
    const t = await appErrorOf(c.traffic(false))
    expect(t.code).toBe('bad_payload')
    expect(t.message).toContain('GET /traffic')
    expect(t.retryable).toBe(false)
    const o = await appErrorOf(c.online())
    expect(o.code).toBe('bad_payload')
    expect(o.message).toContain('GET /online')
    const s = await appErrorOf(c.streams())
    expect(s.code).toBe('bad_payload')
    expect(s.message).toContain('GET /dump/streams')
    // The adapter: both routes failed → the poll fails with the traffic error.
    const p = await appErrorOf(adapter(emu.url).poll())
    expect(p.code).toBe('bad_payload')
    expect(p.message).toContain('GET /traffic')
  })

  it('failure mode "drip" (one byte a second): timeout, the deadline covers the whole body', async () => {
    const emu = await emulator()
    emu.moveTraffic(emu.connect('u'), 1, 1) // a body of some bytes
    emu.setMode('drip')
    const t0 = performance.now()
    const e = await appErrorOf(client(emu.url).traffic(false))
    expect(e.code).toBe('timeout')
    expect(performance.now() - t0).toBeLessThan(TIMEOUT_MS + 1000)
  })

  it('failure mode "huge" (64 MiB): bad_payload at the size cap, without buffering it all', async () => {
    // The emulator runs in a child process so its own work does not count in our memory.
    const url = await emulatorInChild('huge')
    const mem = () => {
      const m = process.memoryUsage()
      return { rss: m.rss, buffered: m.heapUsed + m.arrayBuffers }
    }
    const base = mem()
    const peak = { ...base }
    const sampler = setInterval(() => {
      const m = mem()
      peak.rss = Math.max(peak.rss, m.rss)
      peak.buffered = Math.max(peak.buffered, m.buffered)
    }, 5)
    try {
      const e = await appErrorOf(client(url, SECRET, { timeoutMs: 10_000 }).traffic(false))
      expect(e.code).toBe('bad_payload')
      expect(e.message).toMatch(/larger than 16 MiB/)
      expect(e.params?.maxBytes).toBe(16 * 1024 * 1024)
    } finally {
      clearInterval(sampler)
    }
    const MB = 1024 * 1024
    expect((peak.buffered - base.buffered) / MB).toBeLessThan(40)
    expect((peak.rss - base.rss) / MB).toBeLessThan(40)
  })

  it('failure mode "http500": http_status, retryable', async () => {
    const emu = await emulator()
    emu.setMode('http500')
    const e = await appErrorOf(client(emu.url).traffic(false))
    expect(e.code).toBe('http_status')
    expect(e.params?.status).toBe(500)
    expect(e.retryable).toBe(true)
    expect(e.message).toContain('GET /traffic failed with HTTP 500')
  })

  it('failure mode "connection refused" (closed emulator): network', async () => {
    const emu = await emulator()
    const url = emu.url
    await emu.close()
    const e = await appErrorOf(client(url).traffic(false))
    expect(e.code).toBe('network')
    expect(e.retryable).toBe(true)
    expect(e.params?.code).toBe('ECONNREFUSED')
    expect(e.message).toContain('refused the connection')
    const p = await appErrorOf(adapter(url).poll())
    expect(p.code).toBe('network')
  })
})
