import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { X509Certificate } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppErrorException, type AppError } from '../../../../shared/contract'
import {
  bodySnippet,
  createHttpClient,
  normalizeFingerprint,
  type HttpClient,
  type HttpRequest,
} from './http-client'

/** A test server and what it saw. */
interface Harness {
  server: Server
  url: string
  connections: number
  requests: number
  sockets: Set<Socket>
  closedSockets: number
}

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

function track(server: Server, proto: 'http' | 'https'): Promise<Harness> {
  const h: Harness = {
    server,
    url: '',
    connections: 0,
    requests: 0,
    sockets: new Set(),
    closedSockets: 0,
  }
  server.on(proto === 'https' ? 'secureConnection' : 'connection', (s: Socket) => {
    h.connections++
    h.sockets.add(s)
    s.on('close', () => {
      h.sockets.delete(s)
      h.closedSockets++
    })
  })
  server.on('request', () => h.requests++)
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of h.sockets) s.destroy()
        server.close(() => resolve())
      }),
  )
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      h.url = `${proto}://127.0.0.1:${(server.address() as AddressInfo).port}`
      resolve(h)
    })
  })
}

function httpServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<Harness> {
  return track(createHttpServer(handler), 'http')
}

/** A raw TCP server (not HTTP); its sockets are destroyed at cleanup. Returns its port. */
async function rawServer(onSocket: (s: Socket) => void): Promise<number> {
  const sockets = new Set<Socket>()
  const srv = createNetServer((s) => {
    sockets.add(s)
    s.on('error', () => undefined)
    s.on('close', () => sockets.delete(s))
    onSocket(s)
  })
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()))
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy()
        srv.close(() => r())
      }),
  )
  return (srv.address() as AddressInfo).port
}

function client(): HttpClient {
  const c = createHttpClient()
  cleanups.push(() => c.close())
  return c
}

async function appErrorOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(AppErrorException)
    return (err as AppErrorException).appError
  }
  throw new Error('expected the request to fail')
}

function req(url: string, extra: Partial<HttpRequest> = {}): HttpRequest {
  return { serverId: 'srv-1', method: 'GET', url, ...extra }
}

/** Resolves when `cond` holds, or fails after `ms`. */
async function until(cond: () => boolean, ms = 1000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Lets a macrotask pass. */
const gap = () => new Promise((r) => setTimeout(r, 10))

const SECRET_QUERY = '?token=abc&key=xyz'

function expectRedacted(e: AppError): void {
  expect(e.message).not.toMatch(/abc|xyz/)
  expect(JSON.stringify(e)).not.toMatch(/abc|xyz/)
}

describe('createHttpClient: success and keep-alive', () => {
  it('returns status, headers, body and elapsed time', async () => {
    const h = await httpServer((rq, res) => {
      res.setHeader('content-type', 'application/json')
      res.end(
        JSON.stringify({
          path: rq.url,
          auth: rq.headers.authorization,
          ua: rq.headers['user-agent'],
        }),
      )
    })
    const r = await client().request(
      req(`${h.url}/traffic?clear=1`, { headers: { authorization: 's3cret' } }),
    )
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('application/json')
    expect(JSON.parse(r.body.toString())).toEqual({
      path: '/traffic?clear=1',
      auth: 's3cret',
      ua: 'NodeDeck',
    })
    expect(r.elapsedMs).toBeGreaterThanOrEqual(0)
  })

  it('sends a body with POST', async () => {
    const h = await httpServer((rq, res) => {
      let body = ''
      rq.on('data', (c: Buffer) => (body += c.toString()))
      rq.on('end', () => res.end(`${rq.method} ${body}`))
    })
    const r = await client().request(req(`${h.url}/kick`, { method: 'POST', body: '["a"]' }))
    expect(r.body.toString()).toBe('POST ["a"]')
  })

  it('reuses one connection for sequential requests (keep-alive)', async () => {
    const h = await httpServer((_rq, res) => res.end('ok'))
    const c = client()
    await c.request(req(`${h.url}/a`))
    // undici frees a connection on the next macrotask (setImmediate) after the body ends; polls
    // are seconds apart, so a short gap models them.
    await gap()
    await c.request(req(`${h.url}/b`))
    await gap()
    await c.request(req(`${h.url}/c`))
    expect(h.requests).toBe(3)
    expect(h.connections).toBe(1)
  })

  it('accepts a body of exactly maxBytes', async () => {
    const h = await httpServer((_rq, res) => res.end(Buffer.alloc(1000, 0x61)))
    const r = await client().request(req(h.url, { maxBytes: 1000 }))
    expect(r.body.length).toBe(1000)
  })
})

describe('createHttpClient: deadlines', () => {
  it('holds the total deadline against a server that drips one byte per 200 ms', async () => {
    const h = await httpServer((_rq, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.flushHeaders()
      const t = setInterval(() => res.write('x'), 200)
      res.on('close', () => clearInterval(t))
    })
    const started = Date.now()
    const e = await appErrorOf(
      client().request(req(`${h.url}/traffic${SECRET_QUERY}`, { timeoutMs: 1000 })),
    )
    const elapsed = Date.now() - started
    expect(e.code).toBe('timeout')
    expect(e.serverId).toBe('srv-1')
    expect(e.retryable).toBe(true)
    expect(e.message).toContain('1 s')
    expect(e.message).toContain('token=***')
    expectRedacted(e)
    expect(elapsed).toBeGreaterThanOrEqual(900)
    expect(elapsed).toBeLessThan(1500)
    // The dripping connection is dropped, not left open.
    await until(() => h.sockets.size === 0)
  })

  it('times out when the headers never come', async () => {
    const h = await httpServer(() => {
      /* never answers */
    })
    const started = Date.now()
    const e = await appErrorOf(
      client().request(req(`${h.url}/online${SECRET_QUERY}`, { timeoutMs: 500 })),
    )
    expect(e.code).toBe('timeout')
    expect(Date.now() - started).toBeLessThan(1200)
    expectRedacted(e)
  })

  it('a caller abort is reported as cancelled (timeout code), promptly', async () => {
    const h = await httpServer(() => {
      /* never answers */
    })
    const ac = new AbortController()
    setTimeout(() => ac.abort(), 100)
    const started = Date.now()
    const e = await appErrorOf(
      client().request(req(`${h.url}/x${SECRET_QUERY}`, { signal: ac.signal, timeoutMs: 5000 })),
    )
    expect(e.code).toBe('timeout')
    expect(e.message).toMatch(/cancelled/)
    expect(Date.now() - started).toBeLessThan(1000)
    expectRedacted(e)
  })
})

describe('createHttpClient: size caps', () => {
  // Also guards a crash: destroying the unread body used to emit an unhandled 'error' event
  // (vitest reports it as an unhandled error and fails the run).
  it('refuses a body larger than maxBytes announced by content-length, and drops the connection', async () => {
    const h = await httpServer((_rq, res) => {
      res.writeHead(200, { 'content-length': '100000' })
      // Sends only part of it and then waits: the client must not wait for the rest.
      res.write(Buffer.alloc(10, 0x61))
    })
    const started = Date.now()
    const e = await appErrorOf(
      client().request(req(`${h.url}/big${SECRET_QUERY}`, { maxBytes: 1000, timeoutMs: 5000 })),
    )
    expect(e.code).toBe('bad_payload')
    expect(e.params).toEqual({ maxBytes: 1000 })
    expect(Date.now() - started).toBeLessThan(1000)
    expectRedacted(e)
    await until(() => h.sockets.size === 0)
    expect(h.closedSockets).toBe(1)
  })

  it('refuses an endless chunked body once it passes maxBytes, and drops the connection', async () => {
    const h = await httpServer((_rq, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      const t = setInterval(() => res.write(Buffer.alloc(256, 0x62)), 5)
      res.on('close', () => clearInterval(t))
    })
    const started = Date.now()
    const e = await appErrorOf(
      client().request(req(`${h.url}/big${SECRET_QUERY}`, { maxBytes: 2048, timeoutMs: 5000 })),
    )
    expect(e.code).toBe('bad_payload')
    expect(Date.now() - started).toBeLessThan(1500)
    expectRedacted(e)
    await until(() => h.sockets.size === 0)
  })

  it('states the cap as a true figure even below 1 MiB', async () => {
    const h = await httpServer((_rq, res) => res.end(Buffer.alloc(5000)))
    const e = await appErrorOf(client().request(req(h.url, { maxBytes: 1000 })))
    expect(e.code).toBe('bad_payload')
    expect(e.message).not.toMatch(/larger than 0 MiB/)
    expect(e.message).toContain('larger than 1000 bytes')
  })
})

describe('createHttpClient: network errors', () => {
  it('connection refused → network, naming host and port, with what to check', async () => {
    const probe = await httpServer(() => undefined)
    const url = probe.url
    await new Promise<void>((r) => probe.server.close(() => r()))
    const e = await appErrorOf(client().request(req(`${url}/traffic${SECRET_QUERY}`)))
    expect(e.code).toBe('network')
    expect(e.retryable).toBe(true)
    expect(e.serverId).toBe('srv-1')
    expect(e.message).toContain(new URL(url).host)
    expect(e.message).toMatch(/refused the connection/)
    expect(e.message).toMatch(/port/)
    expectRedacted(e)
  })

  it('garbage instead of HTTP → bad_payload (not retryable), pointing at the port', async () => {
    const port = await rawServer((s) => s.end('hello\r\n\r\n'))
    const e = await appErrorOf(
      client().request(req(`http://127.0.0.1:${port}/traffic${SECRET_QUERY}`)),
    )
    // Documented outcome: undici's parser raises HPE_* → bad_payload, not network.
    expect(e.code).toBe('bad_payload')
    expect(e.retryable).toBe(false)
    expect(e.message).toMatch(/valid HTTP/)
    expectRedacted(e)
  })

  it('a server that closes the connection before answering → network', async () => {
    const port = await rawServer((s) => s.once('data', () => s.destroy()))
    const e = await appErrorOf(client().request(req(`http://127.0.0.1:${port}/x${SECRET_QUERY}`)))
    expect(e.code).toBe('network')
    expectRedacted(e)
  })

  it('an unresolvable host → network', async () => {
    const e = await appErrorOf(
      client().request(req(`http://nodedeck-test.invalid/x${SECRET_QUERY}`, { timeoutMs: 1500 })),
    )
    expect(['network', 'timeout']).toContain(e.code)
    expectRedacted(e)
  })
})

describe('normalizeFingerprint / bodySnippet', () => {
  it('normalizes to upper-case colon-separated hex', () => {
    expect(normalizeFingerprint('ab:cd:ef')).toBe('AB:CD:EF')
    expect(normalizeFingerprint('abcdef')).toBe('AB:CD:EF')
    expect(normalizeFingerprint(' Ab-Cd ')).toBe('AB:CD')
    expect(normalizeFingerprint('')).toBe('')
  })

  it('collapses whitespace and cuts long text', () => {
    expect(bodySnippet(Buffer.from('  a \n\n b  '))).toBe('a b')
    expect(bodySnippet(Buffer.from('x'.repeat(300)), 10)).toBe(`${'x'.repeat(10)}…`)
  })
})

const OPENSSL = '/usr/bin/openssl'
const haveOpenssl = existsSync(OPENSSL)

describe.skipIf(!haveOpenssl)(
  'createHttpClient: TLS (self-signed certificate made with /usr/bin/openssl)',
  () => {
    let dir = ''
    let cert = ''
    let key = ''
    let otherCert = ''

    function makeCert(name: string): { cert: string; key: string } {
      const keyPath = join(dir, `${name}.key`)
      const certPath = join(dir, `${name}.crt`)
      execFileSync(
        OPENSSL,
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          keyPath,
          '-out',
          certPath,
          '-days',
          '2',
          '-subj',
          '/CN=nodedeck-test',
          '-addext',
          'subjectAltName=IP:127.0.0.1,DNS:localhost',
        ],
        { stdio: 'ignore' },
      )
      return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') }
    }

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'nodedeck-tls-'))
      ;({ cert, key } = makeCert('server'))
      otherCert = makeCert('other').cert
    })
    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true })
    })

    function httpsServer(): Promise<Harness> {
      return track(
        createHttpsServer({ cert, key }, (_rq, res) => res.end('{"ok":true}')) as unknown as Server,
        'https',
      )
    }

    it('refuses a self-signed certificate without TLS options → tls', async () => {
      const h = await httpsServer()
      const e = await appErrorOf(client().request(req(`${h.url}/traffic${SECRET_QUERY}`)))
      expect(e.code).toBe('tls')
      expect(e.retryable).toBe(false)
      expect(e.message).toMatch(/fingerprint|CA/)
      expectRedacted(e)
      expect(h.requests).toBe(0)
    })

    it('accepts it with caPem', async () => {
      const h = await httpsServer()
      const r = await client().request(req(`${h.url}/traffic`, { tls: { caPem: cert } }))
      expect(r.status).toBe(200)
      expect(r.body.toString()).toBe('{"ok":true}')
    })

    it('refuses it with another CA → tls', async () => {
      const h = await httpsServer()
      const e = await appErrorOf(
        client().request(req(`${h.url}/traffic`, { tls: { caPem: otherCert } })),
      )
      expect(e.code).toBe('tls')
      expect(h.requests).toBe(0)
    })

    it('accepts it with the right fingerprint (any case/separators), reusing the connection', async () => {
      const h = await httpsServer()
      const fp = new X509Certificate(cert).fingerprint256
      const c = client()
      const r = await c.request(req(`${h.url}/a`, { tls: { fingerprintSha256: fp } }))
      expect(r.status).toBe(200)
      await gap()
      const r2 = await c.request(
        req(`${h.url}/b`, { tls: { fingerprintSha256: fp.replace(/:/g, '').toLowerCase() } }),
      )
      expect(r2.status).toBe(200)
      expect(h.requests).toBe(2)
      expect(h.connections).toBe(1)
    })

    it('refuses a wrong fingerprint → tls, and not one HTTP request reaches the server', async () => {
      const h = await httpsServer()
      let handshakes = 0
      h.server.on('secureConnection', () => handshakes++)
      const wrong = new X509Certificate(otherCert).fingerprint256
      const e = await appErrorOf(
        client().request(
          req(`${h.url}/traffic${SECRET_QUERY}`, {
            headers: { authorization: 'the-secret' },
            tls: { fingerprintSha256: wrong },
          }),
        ),
      )
      expect(e.code).toBe('tls')
      expect(e.message).toMatch(/does not match the pinned fingerprint/)
      expect(e.params?.fingerprint).toBe(new X509Certificate(cert).fingerprint256)
      expectRedacted(e)
      expect(JSON.stringify(e)).not.toContain('the-secret')
      // Give a stray request time to arrive, then check none did.
      await new Promise((r) => setTimeout(r, 100))
      expect(handshakes).toBeLessThanOrEqual(1)
      expect(h.requests).toBe(0)
    })
  },
)
