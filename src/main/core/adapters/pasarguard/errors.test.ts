import { describe, expect, it } from 'vitest'
import {
  GRPC,
  coreDownOf,
  grpcStatusError,
  restStatusError,
  transportHintOf,
  type PgErrorContext,
} from './errors'

const rest: PgErrorContext = {
  serverId: 's1',
  host: 'n:62050',
  transport: 'rest',
  op: 'GET /stats',
}
const grpc: PgErrorContext = { serverId: 's1', host: 'n:62050', transport: 'grpc', op: 'GetStats' }
const r = (status: number, text: string, contentType = 'text/plain; charset=utf-8') =>
  restStatusError(rest, { status, text: `${text}\n`, contentType })
const g = (code: number, details: string) => grpcStatusError(grpc, { code, details })

describe('PasarGuard error mapping (apis.md §3)', () => {
  it('auth: 401 / 422 / 403 and their gRPC codes, each with its reason', () => {
    expect(
      [r(401, 'missing x-api-key header'), g(GRPC.UNAUTHENTICATED, 'missing x-api-key header')].map(
        (e) => [e.code, e.params?.reason],
      ),
    ).toEqual([
      ['auth', 'missing_key'],
      ['auth', 'missing_key'],
    ])
    const notUuid = [
      r(422, 'invalid api key format: must be a valid UUID'),
      g(GRPC.INVALID_ARGUMENT, 'invalid api key format: must be a valid UUID'),
    ]
    for (const e of notUuid) {
      expect(e.params?.reason).toBe('key_not_uuid')
      expect(e.message).toMatch(/not a UUID/)
    }
    for (const e of [r(403, 'api key mismatch'), g(GRPC.PERMISSION_DENIED, 'api key mismatch')]) {
      expect(e.params?.reason).toBe('key_mismatch')
      expect(e.message).toMatch(/copy API_KEY from the node's \.env/i)
      expect(e.retryable).toBe(false)
    }
  })

  it('core states: 500 backend not initialized / 503 core is not started yet (and gRPC)', () => {
    for (const e of [
      r(500, 'backend not initialized'),
      g(GRPC.UNAVAILABLE, 'backend not initialized'),
    ]) {
      expect(e.code).toBe('http_status')
      expect(coreDownOf(e)).toBe('no_backend')
      expect(e.retryable).toBe(true)
      expect(e.params?.nodeText).toBe('backend not initialized')
    }
    for (const e of [
      r(503, 'core is not started yet'),
      g(GRPC.UNAVAILABLE, 'core is not started yet'),
    ]) {
      expect(coreDownOf(e)).toBe('stopped')
    }
    // Another 503 (a stats call the core could not serve) is not a core state.
    expect(coreDownOf(r(503, 'rpc error: code = Unavailable desc = connection refused'))).toBeNull()
  })

  it('stats errors per GrpcCodeToHTTP', () => {
    expect(r(404, 'rpc error: code = NotFound desc = user>>>a>>>online not found.').code).toBe(
      'not_found',
    )
    expect(r(400, 'email is required').code).toBe('http_status')
    expect(r(499, 'context canceled').code).toBe('timeout')
    expect(r(504, 'context deadline exceeded').code).toBe('timeout')
    const latency = r(502, 'observatory not found')
    expect([latency.code, latency.retryable]).toEqual(['http_status', true])
    expect(r(503, 'rpc error: code = Unavailable').retryable).toBe(true)
    expect(g(GRPC.NOT_FOUND, 'user>>>a>>>online not found.').code).toBe('not_found')
    expect(g(GRPC.DEADLINE_EXCEEDED, 'Deadline exceeded').code).toBe('timeout')
    expect(g(GRPC.RESOURCE_EXHAUSTED, 'Sent message larger than max').message).toMatch(/chunks/)
  })

  it('a route the node does not have (chi 404 / 405, UNIMPLEMENTED) is unsupported', () => {
    expect(r(404, '404 page not found').code).toBe('unsupported')
    expect(r(405, '').code).toBe('unsupported')
    expect(g(GRPC.UNIMPLEMENTED, 'unknown method SyncUsersChunked').code).toBe('unsupported')
  })

  it('wrong transport: gRPC answers to REST, plain HTTP answers to gRPC', () => {
    expect(transportHintOf(r(415, 'invalid gRPC request content-type'))).toBe('speaks_grpc')
    expect(transportHintOf(r(200, '', 'application/grpc'))).toBe('speaks_grpc')
    expect(transportHintOf(r(403, 'Missing ALPN Protocol, expected `h2` to be available.'))).toBe(
      'speaks_grpc',
    )
    for (const d of ['Received HTTP status code 404', 'Received HTTP status code 403']) {
      const e = g(GRPC.UNIMPLEMENTED, d)
      expect(transportHintOf(e)).toBe('speaks_rest')
      expect(e.code).toBe('unsupported')
      expect(e.message).toMatch(/SERVICE_PROTOCOL=rest/)
    }
  })

  it('transport failures: TLS, refused, other', () => {
    expect(
      g(GRPC.UNAVAILABLE, 'No connection established. Last error: Error: self-signed certificate')
        .code,
    ).toBe('tls')
    const refused = g(
      GRPC.UNAVAILABLE,
      'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1',
    )
    expect([refused.code, refused.retryable]).toEqual(['network', true])
    expect(refused.message).toMatch(/62050/)
    expect(g(GRPC.UNAVAILABLE, 'Connection dropped').code).toBe('network')
  })

  it('never quotes more than a snippet of the node text', () => {
    const e = r(500, 'x'.repeat(5000))
    expect(e.message.length).toBeLessThan(600)
  })
})
