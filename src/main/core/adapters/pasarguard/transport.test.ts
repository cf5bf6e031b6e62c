import { X509Certificate } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AppErrorException, type AppError } from '../../../../shared/contract'
import { createHttpClient, type HttpClient } from '../http/http-client'
import type { StreamState } from '../sse/stream-reader'
import { createGrpcTransport } from './grpc'
import { createRestTransport, type PgTransportConfig } from './rest'
import { NodeFailure, makeTestCert, startTestNode, type TestNode } from './test-node'
import type { NodeTransport } from './transport'

const KEY = '3f2a7c1e-9b4d-4e8a-a1c2-5d6e7f8a9b0c'
const OTHER = '00000000-0000-0000-0000-000000000001'

let cert: { certPem: string; keyPem: string }
let otherCert: { certPem: string; keyPem: string }
let http: HttpClient
const cleanups: Array<() => unknown> = []

beforeAll(() => {
  cert = makeTestCert()
  otherCert = makeTestCert('other')
  http = createHttpClient()
})
afterAll(async () => {
  await http.close()
})
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

const fp = (pem: string) => new X509Certificate(pem).fingerprint256

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (err) {
    if (err instanceof AppErrorException) return err.appError
    throw err
  }
  throw new Error('expected a failure')
}

type Kind = 'grpc' | 'rest'

async function setup(
  kind: Kind,
  o: {
    nodeKind?: Kind
    key?: string | null
    tls?: PgTransportConfig['tls']
  } = {},
): Promise<{ node: TestNode; t: NodeTransport }> {
  const node = await startTestNode({ protocol: o.nodeKind ?? kind, apiKey: KEY, cert })
  cleanups.push(() => node.close())
  const cfg: PgTransportConfig = {
    serverId: 's1',
    url: new URL(node.url),
    tls: o.tls ?? { fingerprintSha256: fp(cert.certPem) },
    getApiKey: async () => (o.key === undefined ? KEY : o.key),
    http,
    timeoutMs: 5000,
  }
  const t = kind === 'grpc' ? createGrpcTransport(cfg) : createRestTransport(cfg)
  cleanups.push(() => t.close())
  return { node, t }
}

describe.each<Kind>(['grpc', 'rest'])('%s transport against a test node', (kind) => {
  it('calls GetBaseInfo with the x-api-key and decodes the answer', async () => {
    const { node, t } = await setup(kind)
    node.handlers.GetBaseInfo = () => ({
      started: true,
      core_version: '25.1.1',
      node_version: '0.5.2',
    })
    const info = await t.unary('GetBaseInfo', {})
    expect(info).toEqual({ started: true, core_version: '25.1.1', node_version: '0.5.2' })
    expect(node.requests.map((r) => r.apiKey)).toEqual([KEY])
  })

  it('sends StatRequest bodies (REST: on a GET) and decodes int64 as decimal strings', async () => {
    const { node, t } = await setup(kind)
    let seen: unknown = null
    node.handlers.GetStats = (c) => {
      seen = c.request
      return {
        stats: [
          { name: 'a@x', type: 'uplink', link: 'traffic', value: '9007199254740993' },
          { name: 'a@x', type: 'downlink', link: 'traffic', value: '5' },
        ],
      }
    }
    const r = await t.unary('GetStats', { name: '', reset: true, type: 4 })
    expect(seen).toEqual({ name: '', reset: true, type: 4 })
    expect(r.stats[0]?.value).toBe('9007199254740993')
    if (kind === 'rest') expect(node.requests[0]?.bodyBytes).toBeGreaterThan(0)
  })

  it('takes a 0-byte answer as a valid Empty', async () => {
    const { node, t } = await setup(kind)
    node.handlers.Stop = () => ({})
    await expect(t.unary('Stop', {})).resolves.toEqual({})
  })

  it('explains the three API key refusals without quoting the key', async () => {
    for (const [key, reason] of [
      [null, 'missing_key'],
      ['not-a-uuid', 'key_not_uuid'],
      [OTHER, 'key_mismatch'],
    ] as const) {
      const { t } = await setup(kind, { key })
      const e = await failure(t.unary('GetBaseInfo', {}))
      expect(e.code).toBe('auth')
      expect(e.params?.reason).toBe(reason)
      expect(e.serverId).toBe('s1')
      if (key) expect(e.message).not.toContain(key)
      expect(e.message).toMatch(/API_KEY|API key/)
    }
  })

  it('reports the core states as states (coreState), not as failures of the node', async () => {
    const { node, t } = await setup(kind)
    node.handlers.GetBackendStats = () => {
      throw new NodeFailure(14, 500, 'backend not initialized')
    }
    node.handlers.GetSystemStats = () => {
      throw new NodeFailure(14, 503, 'core is not started yet')
    }
    const a = await failure(t.unary('GetBackendStats', {}))
    expect(a.params?.coreState).toBe('no_backend')
    expect(a.code).toBe('http_status')
    expect(a.retryable).toBe(true)
    const b = await failure(t.unary('GetSystemStats', {}))
    expect(b.params?.coreState).toBe('stopped')
    expect(b.message).toMatch(/core is not started yet/)
  })

  it('maps stats errors: NotFound → not_found, deadline → timeout', async () => {
    const { node, t } = await setup(kind)
    node.handlers.GetUserOnlineStats = () => {
      throw new NodeFailure(
        5,
        404,
        'rpc error: code = NotFound desc = user>>>x>>>online not found.',
      )
    }
    node.handlers.GetStats = () => {
      throw new NodeFailure(
        4,
        504,
        'rpc error: code = DeadlineExceeded desc = context deadline exceeded',
      )
    }
    expect((await failure(t.unary('GetUserOnlineStats', { name: 'x' }))).code).toBe('not_found')
    expect((await failure(t.unary('GetStats', { type: 0 }))).code).toBe('timeout')
  })

  it('streams chunks (REST: uvarint-delimited frames in one PUT) and reports progress', async () => {
    const { node, t } = await setup(kind)
    let got: unknown[] = []
    node.handlers.SyncUsersChunked = (c) => {
      got = c.messages
      return {}
    }
    const seen: number[] = []
    const chunks = [0, 1, 2].map((i) => ({
      users: [{ email: `u${i}@x`, inbounds: ['in'], proxies: { vless: { id: 'id', flow: '' } } }],
      index: String(i),
      last: i === 2,
    }))
    const r = await t.clientStream('SyncUsersChunked', chunks, {
      onProgress: (p) => seen.push(p.messages),
    })
    expect(r.messages).toBe(3)
    expect(r.bytes).toBeGreaterThan(0)
    expect(seen.at(-1)).toBe(3)
    expect(got).toHaveLength(3)
    expect(got[2]).toMatchObject({ index: '2', last: true })
    expect(got[0]).toMatchObject({ users: [{ email: 'u0@x', inbounds: ['in'] }] })
  })

  it('streams log lines and reports live, one reader on the node', async () => {
    const { node, t } = await setup(kind)
    const lines: string[] = []
    const states: StreamState[] = []
    const up = t.logs({ line: (l) => lines.push(l), state: (s) => states.push(s) })
    cleanups.push(() => up.stop())
    await expect.poll(() => node.logReaders(), { timeout: 5000 }).toBe(1)
    node.pushLog('2026/01/01 00:00:00 [Info] started')
    node.pushLog('second line')
    await expect
      .poll(() => lines, { timeout: 5000 })
      .toEqual(['2026/01/01 00:00:00 [Info] started', 'second line'])
    await expect.poll(() => states.at(-1)?.status, { timeout: 5000 }).toBe('live')
    up.stop()
  })

  it('log stream: a stopped core means reconnecting with the core-stopped reason', async () => {
    const { node, t } = await setup(kind)
    node.handlers.GetLogs = () => {
      throw new NodeFailure(14, 503, 'core is not started yet')
    }
    const states: StreamState[] = []
    const up = t.logs({ line: () => undefined, state: (s) => states.push(s) })
    cleanups.push(() => up.stop())
    await expect.poll(() => states.at(-1)?.status, { timeout: 5000 }).toBe('reconnecting')
    expect(states.at(-1)?.error?.params?.coreState).toBe('stopped')
    up.stop()
  })

  it('log stream: a wrong key fails for good', async () => {
    const { t } = await setup(kind, { key: OTHER })
    const states: StreamState[] = []
    const up = t.logs({ line: () => undefined, state: (s) => states.push(s) })
    cleanups.push(() => up.stop())
    await expect.poll(() => states.at(-1)?.status, { timeout: 5000 }).toBe('failed')
    expect(states.at(-1)?.error?.code).toBe('auth')
  })

  it('refuses a wrong pinned fingerprint before any request: the node sees nothing', async () => {
    const { node, t } = await setup(kind, { tls: { fingerprintSha256: fp(otherCert.certPem) } })
    const e = await failure(t.unary('GetBaseInfo', {}))
    expect(e.code).toBe('tls')
    expect(e.message).toContain(fp(cert.certPem))
    expect(e.message).toContain(fp(otherCert.certPem))
    expect(node.requests).toEqual([])
  })

  it('trusts the node certificate given as CA (host name checked)', async () => {
    const { node, t } = await setup(kind, { tls: { caPem: cert.certPem } })
    node.handlers.GetBaseInfo = () => ({ started: false })
    await expect(t.unary('GetBaseInfo', {})).resolves.toMatchObject({ started: false })
  })

  it('refuses a certificate the given CA did not sign', async () => {
    const { node, t } = await setup(kind, { tls: { caPem: otherCert.certPem } })
    const e = await failure(t.unary('GetBaseInfo', {}))
    expect(e.code).toBe('tls')
    expect(node.requests).toEqual([])
  })
})

describe('wrong transport', () => {
  it('gRPC against a REST node → speaks_rest', async () => {
    for (const tls of [{ fingerprintSha256: fp(cert.certPem) }, { caPem: cert.certPem }]) {
      const { t } = await setup('grpc', { nodeKind: 'rest', tls })
      const e = await failure(t.unary('GetBaseInfo', {}))
      expect(e.params?.hint).toBe('speaks_rest')
      expect(e.message).toMatch(/SERVICE_PROTOCOL=rest/)
      expect(e.message).toMatch(/choose REST/i)
    }
  })

  it('REST against a gRPC node → speaks_grpc (pinned: HTTP/1.1 only; CA: h2)', async () => {
    for (const tls of [{ fingerprintSha256: fp(cert.certPem) }, { caPem: cert.certPem }]) {
      const { t } = await setup('rest', { nodeKind: 'grpc', tls })
      const e = await failure(t.unary('GetBaseInfo', {}))
      expect(e.params?.hint).toBe('speaks_grpc')
      expect(e.message).toMatch(/SERVICE_PROTOCOL=grpc/)
      expect(e.message).toMatch(/Choose gRPC/)
    }
  })
})

describe('gRPC channel', () => {
  it('reuses one channel and re-probes after the node went away (replaced certificate → tls)', async () => {
    const node = await startTestNode({ protocol: 'grpc', apiKey: KEY, cert })
    cleanups.push(() => node.close())
    const t = createGrpcTransport({
      serverId: 's1',
      url: new URL(node.url),
      tls: { fingerprintSha256: fp(cert.certPem) },
      getApiKey: async () => KEY,
      http,
      timeoutMs: 3000,
    })
    cleanups.push(() => t.close())
    await t.unary('GetBaseInfo', {})
    await t.unary('GetBaseInfo', {})
    expect(node.requests).toHaveLength(2)
    const port = node.port
    await node.close()
    // The node comes back on the same port with another certificate.
    const again = await startTestNodeOn(port, otherCert)
    cleanups.push(() => again.close())
    let e = await failure(t.unary('GetBaseInfo', {}))
    if (e.code !== 'tls') e = await failure(t.unary('GetBaseInfo', {}))
    expect(e.code).toBe('tls')
    expect(e.message).toContain(fp(otherCert.certPem))
    expect(again.requests).toEqual([])
  })
})

/** A gRPC test node bound to a given port (a restarted node). */
async function startTestNodeOn(
  port: number,
  c: { certPem: string; keyPem: string },
): Promise<TestNode> {
  for (let i = 0; i < 20; i++) {
    const n = await startTestNode({ protocol: 'grpc', apiKey: KEY, cert: c, port }).catch(
      () => null,
    )
    if (n) return n
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`port ${port} did not free up`)
}
