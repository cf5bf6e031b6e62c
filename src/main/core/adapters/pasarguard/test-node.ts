/**
 * A minimal PasarGuard node for the transports' unit tests (the full emulator lives in
 * `emulators/pasarguard`): TLS with a given certificate, the node's API key check, and per-RPC
 * handlers. REST runs on node:http2 with HTTP/1.1 allowed (as Go's net/http serves both), gRPC on
 * grpc-js. Records every request that reached the application layer.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createSecureServer, type Http2SecureServer } from 'node:http2'
import type { IncomingHttpHeaders } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as grpc from '@grpc/grpc-js'
import {
  PG_RPCS,
  grpcPath,
  pgDecode,
  pgEncode,
  pgReadDelimited,
  type PgMessageName,
  type PgRpcName,
} from './proto'
import { PG_REST_ROUTES } from './transport'

/** A self-signed EC certificate made with /usr/bin/openssl (SAN localhost + 127.0.0.1). */
export function makeTestCert(cn = 'localhost'): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'nodedeck-pg-cert-'))
  try {
    execFileSync(
      '/usr/bin/openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
        '-days',
        '2',
        '-subj',
        `/CN=${cn}`,
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    )
    return {
      certPem: readFileSync(join(dir, 'c.pem'), 'utf8'),
      keyPem: readFileSync(join(dir, 'k.pem'), 'utf8'),
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A failure a handler throws: gRPC code + details, REST status + text. */
export class NodeFailure extends Error {
  constructor(
    readonly grpcCode: number,
    readonly status: number,
    readonly text: string,
  ) {
    super(text)
  }
}

/** What a handler gets. */
export interface NodeCall {
  rpc: PgRpcName
  /** The decoded request (client streams: every message). */
  request: unknown
  messages: unknown[]
}

export type NodeHandler = (call: NodeCall) => unknown

export interface TestNode {
  url: string
  port: number
  /** Requests that reached the application (after TLS), with the key they carried. */
  requests: Array<{ rpc: PgRpcName | string; apiKey: string | null; bodyBytes: number }>
  handlers: Partial<Record<PgRpcName, NodeHandler>>
  /** Lines sent to open log streams. */
  pushLog(line: string): void
  logReaders(): number
  close(): Promise<void>
}

const UUID = /^(urn:uuid:)?\{?[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\}?$/i

function authFailure(key: string | null, want: string): NodeFailure | null {
  if (!key) return new NodeFailure(16, 401, 'missing x-api-key header')
  if (!UUID.test(key)) {
    return new NodeFailure(3, 422, 'invalid api key format: must be a valid UUID')
  }
  const norm = (k: string) => k.replace(/^urn:uuid:|[{}-]/gi, '').toLowerCase()
  if (norm(key) !== norm(want)) return new NodeFailure(7, 403, 'api key mismatch')
  return null
}

/** Starts a test node speaking `protocol`. */
export async function startTestNode(opts: {
  protocol: 'rest' | 'grpc'
  apiKey: string
  cert: { certPem: string; keyPem: string }
  /** Bind this port (0 = any). */
  port?: number
}): Promise<TestNode> {
  const requests: TestNode['requests'] = []
  const handlers: TestNode['handlers'] = {}
  const logSinks = new Set<(line: string) => void>()
  const run = (rpc: PgRpcName, request: unknown, messages: unknown[]) => {
    const h = handlers[rpc]
    if (!h) return {}
    return h({ rpc, request, messages })
  }
  if (opts.protocol === 'rest') {
    const server: Http2SecureServer = createSecureServer({
      cert: opts.cert.certPem,
      key: opts.cert.keyPem,
      allowHTTP1: true,
    })
    const routes = new Map<string, PgRpcName>()
    for (const [rpc, r] of Object.entries(PG_REST_ROUTES)) {
      routes.set(`${r.method} ${r.path}`, rpc as PgRpcName)
    }
    server.on('request', (req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks)
        const key = (req.headers as IncomingHttpHeaders)['x-api-key']
        const apiKey = typeof key === 'string' ? key : null
        const path = (req.url ?? '').split('?')[0] ?? ''
        const rpc = routes.get(`${req.method} ${path}`)
        requests.push({ rpc: rpc ?? path, apiKey, bodyBytes: body.length })
        const fail = (f: NodeFailure) => {
          res.writeHead(f.status, { 'content-type': 'text/plain; charset=utf-8' })
          res.end(`${f.text}\n`)
        }
        const auth = authFailure(apiKey, opts.apiKey)
        if (auth) return fail(auth)
        if (!rpc) {
          res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
          res.end('404 page not found\n')
          return
        }
        const def = PG_RPCS[rpc]
        try {
          if (rpc === 'GetLogs') {
            run(rpc, {}, [])
            res.writeHead(200, { 'content-type': 'text/event-stream' })
            const sink = (line: string) => res.write(`${line}\n`)
            logSinks.add(sink)
            res.on('close', () => logSinks.delete(sink))
            return
          }
          const messages =
            rpc === 'SyncUsersChunked'
              ? pgReadDelimited(body).map((m) => pgDecode('UsersChunk', m))
              : [pgDecode(def.request as PgMessageName, body)]
          const out = run(rpc, messages[0], messages)
          const bytes = pgEncode(def.response as PgMessageName, out as Record<string, unknown>)
          res.writeHead(200, { 'content-type': 'application/x-protobuf' })
          res.end(Buffer.from(bytes))
        } catch (err) {
          if (err instanceof NodeFailure) return fail(err)
          fail(new NodeFailure(13, 500, String(err)))
        }
      })
    })
    await new Promise<void>((r) => server.listen(opts.port ?? 0, '127.0.0.1', r))
    const port = (server.address() as AddressInfo).port
    const sessions = new Set<{ destroy(): void }>()
    server.on('session', (s) => {
      sessions.add(s)
      s.on('close', () => sessions.delete(s))
    })
    const sockets = new Set<{ destroy(): void }>()
    server.on('secureConnection', (s) => {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
    })
    return {
      url: `https://127.0.0.1:${port}`,
      port,
      requests,
      handlers,
      pushLog: (line) => {
        for (const s of logSinks) s(line)
      },
      logReaders: () => logSinks.size,
      close: () =>
        new Promise<void>((resolve) => {
          for (const s of sessions) s.destroy()
          for (const s of sockets) s.destroy()
          server.close(() => resolve())
        }),
    }
  }

  const server = new grpc.Server()
  const def: Record<string, grpc.MethodDefinition<unknown, unknown>> = {}
  const impl: grpc.UntypedServiceImplementation = {}
  for (const [name, d] of Object.entries(PG_RPCS)) {
    const rpc = name as PgRpcName
    def[rpc] = {
      path: grpcPath(rpc),
      requestStream: d.clientStream,
      responseStream: d.serverStream,
      requestSerialize: (v: unknown) =>
        Buffer.from(pgEncode(d.request, v as Record<string, unknown>)),
      requestDeserialize: (b: Buffer) => pgDecode(d.request, b),
      responseSerialize: (v: unknown) =>
        Buffer.from(pgEncode(d.response, v as Record<string, unknown>)),
      responseDeserialize: (b: Buffer) => pgDecode(d.response, b),
      originalName: rpc,
    }
    const check = (md: grpc.Metadata): NodeFailure | null => {
      const key = md.get('x-api-key')[0]
      const apiKey = typeof key === 'string' ? key : null
      requests.push({ rpc, apiKey, bodyBytes: 0 })
      return authFailure(apiKey, opts.apiKey)
    }
    const asStatus = (err: unknown): Partial<grpc.StatusObject> =>
      err instanceof NodeFailure
        ? { code: err.grpcCode, details: err.text }
        : { code: grpc.status.UNKNOWN, details: String(err) }
    if (d.serverStream) {
      impl[rpc] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const auth = check(call.metadata)
        // grpc-js: an 'error' on a server stream ends the call with that status.
        if (auth) return void call.emit('error', asStatus(auth))
        try {
          run(rpc, call.request, [call.request])
        } catch (err) {
          return void call.emit('error', asStatus(err))
        }
        call.sendMetadata(new grpc.Metadata())
        const sink = (line: string) => call.write({ detail: line })
        logSinks.add(sink)
        call.on('cancelled', () => logSinks.delete(sink))
        call.on('close', () => logSinks.delete(sink))
      }
    } else if (d.clientStream) {
      impl[rpc] = (
        call: grpc.ServerReadableStream<unknown, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) => {
        const auth = check(call.metadata)
        if (auth) return cb(asStatus(auth), null)
        const messages: unknown[] = []
        call.on('data', (m: unknown) => messages.push(m))
        call.on('end', () => {
          try {
            cb(null, run(rpc, messages[0], messages))
          } catch (err) {
            cb(asStatus(err), null)
          }
        })
      }
    } else {
      impl[rpc] = (
        call: grpc.ServerUnaryCall<unknown, unknown>,
        cb: grpc.sendUnaryData<unknown>,
      ) => {
        const auth = check(call.metadata)
        if (auth) return cb(asStatus(auth), null)
        try {
          cb(null, run(rpc, call.request, [call.request]))
        } catch (err) {
          cb(asStatus(err), null)
        }
      }
    }
  }
  server.addService(def, impl)
  const creds = grpc.ServerCredentials.createSsl(
    null,
    [{ cert_chain: Buffer.from(opts.cert.certPem), private_key: Buffer.from(opts.cert.keyPem) }],
    false,
  )
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${opts.port ?? 0}`, creds, (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  )
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    requests,
    handlers,
    pushLog: (line) => {
      for (const s of logSinks) s(line)
    },
    logReaders: () => logSinks.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.forceShutdown()
        resolve()
      }),
  }
}
