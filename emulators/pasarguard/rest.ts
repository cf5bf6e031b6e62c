/**
 * The node's REST transport (`controller/rest/*.go`, SERVICE_PROTOCOL=rest): Go `net/http` over
 * `tls.Listen` (ALPN h2 + http/1.1) with a chi v5.3.0 router. Emulated with `node:http2`
 * `createSecureServer({ allowHTTP1: true })`.
 *
 * Middleware order as upstream: LogRequest → validateApiKey → trackSuccessfulRequest →
 * Recoverer → routing. So the API key is checked before routing (unknown paths and wrong methods
 * answer 401/422/403 first), and any 2xx response — when the handler returns — resets the
 * keep-alive clock. chi specifics: 404 `404 page not found\n` (`http.NotFound`), 405 with an empty
 * body and an `Allow` header per allowed method (chi ≥ 5.0.11; no `Allow` for a method chi does
 * not know), routing on the raw (escaped) path, `/stats` mounted as a sub-router inside the
 * private group — so `/stats/<anything>` (any method) passes the backend check before the
 * sub-router answers 404/405, while `GET /stop` answers 405 without it.
 */
import {
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import {
  pgDecode,
  pgEncode,
  type PbUser,
  type PbUsersChunk,
  type PgMessageName,
  type PgMessages,
} from '../../src/main/core/adapters/pasarguard/proto'
import { GO_CHUNKING_THRESHOLD, GO_ERROR_HEADERS, parseGoRequestURI } from '../common/http-util'
import { GRPC, NodeError, grpcCodeToHttp, interceptNotFound } from './errors'
import type { LogSink } from './logs'
import type { PgNode } from './node-state'
import type { FailMode, TransportContext } from './transport'

type Req = IncomingMessage | Http2ServerRequest
type Res = ServerResponse | Http2ServerResponse

/** What Go's protobuf runtime says about undecodable bytes. */
export const GO_PROTO_ERROR = 'proto: cannot parse invalid wire-format data'

const CHI_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
])

function firstHeader(req: Req, name: string): string | null {
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === name) return raw[i + 1] ?? ''
  }
  return null
}

function readBody(req: Req): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
    req.on('aborted', () => reject(new Error('aborted')))
  })
}

function decode<N extends PgMessageName>(name: N, body: Uint8Array): PgMessages[N] | null {
  try {
    return pgDecode(name, body)
  } catch {
    return null
  }
}

/** Writes a whole response as Go frames it (HTTP/1.1: Content-Length up to 2048 bytes, else chunked). */
function send(res: Res, status: number, headers: Record<string, string>, body: Uint8Array): void {
  if (res.headersSent || res.destroyed) return
  const h1 = !('stream' in res)
  res.statusCode = status
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
  if (!h1 || body.length <= GO_CHUNKING_THRESHOLD) {
    res.setHeader('Content-Length', String(body.length))
    res.end(Buffer.from(body))
  } else {
    ;(res as ServerResponse).write(Buffer.from(body))
    res.end()
  }
}

/** Go's `http.Error`. */
function goError(res: Res, status: number, msg: string): void {
  send(res, status, GO_ERROR_HEADERS as Record<string, string>, Buffer.from(`${msg}\n`, 'utf8'))
}

function sendProto<N extends PgMessageName>(res: Res, name: N, value: PgMessages[N]): void {
  send(res, 200, { 'Content-Type': 'application/x-protobuf' }, pgEncode(name, value))
}

/** chi's 405: `Allow` per allowed method, empty body (no Content-Type). */
function methodNotAllowed(res: Res, allow: string | null): void {
  send(res, 405, allow === null ? {} : { Allow: allow }, Buffer.alloc(0))
}

/** The uvarint-framed chunk stream of `/users/sync/chunked`, read as upstream does. */
export function readChunkFrames(
  body: Uint8Array,
): { chunks: PbUsersChunk[]; frames: number } | { error: string } {
  const chunks: PbUsersChunk[] = []
  let pos = 0
  let frames = 0
  for (;;) {
    // binary.ReadUvarint
    if (pos >= body.length) break
    let size = 0n
    let shift = 0n
    let i = 0
    for (;;) {
      if (pos >= body.length) return { error: 'failed to read chunk length: unexpected EOF' }
      const b = body[pos++] as number
      if (i === 9 && b > 1) {
        return { error: 'failed to read chunk length: binary: varint overflows a 64-bit integer' }
      }
      size |= BigInt(b & 0x7f) << shift
      i++
      if (b < 0x80) break
      shift += 7n
      if (i === 10) {
        return { error: 'failed to read chunk length: binary: varint overflows a 64-bit integer' }
      }
    }
    if (size === 0n) continue
    const remaining = BigInt(body.length - pos)
    if (size > remaining) {
      return {
        error: `failed to read chunk payload: ${remaining === 0n ? 'EOF' : 'unexpected EOF'}`,
      }
    }
    const payload = body.subarray(pos, pos + Number(size))
    pos += Number(size)
    frames++
    const chunk = decode('UsersChunk', payload)
    if (chunk === null) return { error: `failed to decode chunk: ${GO_PROTO_ERROR}` }
    chunks.push(chunk)
    if (chunk.last) break
  }
  return { chunks, frames }
}

/** `controller.BuildUsersFromChunks` (chunks in arrival order; `last` ends the stream). */
export function buildUsersFromChunks(chunks: readonly PbUsersChunk[]): PbUser[] | string {
  const byIndex = new Map<string, PbUser[]>()
  let lastIndex: bigint | null = null
  for (const c of chunks) {
    const list = byIndex.get(c.index) ?? []
    list.push(...c.users)
    byIndex.set(c.index, list)
    if (c.last) {
      lastIndex = BigInt(c.index)
      break
    }
  }
  if (lastIndex === null) return 'missing final chunk indicator'
  const users: PbUser[] = []
  for (let i = 0n; i <= lastIndex; i++) {
    const list = byIndex.get(String(i))
    if (!list) return `missing chunk index ${i}`
    users.push(...list)
  }
  if (users.length === 0) return 'no users received'
  return users
}

/** Starts the REST server; resolves once listening. */
export async function startRestServer(
  node: PgNode,
  ctx: TransportContext,
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>()
  const sessions = new Set<Http2Session>()
  const server = createSecureServer({
    key: ctx.keyPem,
    cert: ctx.certPem,
    allowHTTP1: true,
    ALPNProtocols: ['h2', 'http/1.1'],
  })
  // Go's http.Server has no keep-alive header and no request timeouts.
  Object.assign(server, { keepAliveTimeout: 0, requestTimeout: 0, headersTimeout: 0 })
  // Raw TCP sockets too: one still in its TLS handshake (a client that read the certificate and
  // hung up) is not a 'secureConnection' yet, and server.close() would wait for it.
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  server.on('secureConnection', (s: Socket) => {
    ctx.onHandshake()
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  server.on('session', (s: Http2Session) => {
    sessions.add(s)
    s.once('close', () => sessions.delete(s))
  })
  server.on('request', (req: Req, res: Res) => {
    handle(req, res).catch(() => {
      // chi's Recoverer: 500 with an empty body
      if (!res.headersSent) send(res, 500, {}, Buffer.alloc(0))
    })
  })

  async function failure(mode: FailMode, req: Req, res: Res): Promise<void> {
    switch (mode) {
      case 'hang':
        return
      case 'reset':
        if ('stream' in req) req.stream.session?.socket.destroy()
        else req.socket.destroy()
        return
      case 'http500':
        goError(res, 500, 'Internal Server Error')
        return
      case 'garbage':
        send(
          res,
          200,
          { 'Content-Type': 'application/x-protobuf' },
          Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x08]),
        )
        return
      case 'huge': {
        // 72 MiB of bytes that are not a protobuf message, streamed with backpressure
        res.statusCode = 200
        res.setHeader('Content-Type', 'application/x-protobuf')
        const chunk = Buffer.alloc(1 << 20, 0xff)
        for (let i = 0; i < 72 && !res.destroyed; i++) {
          if (!(res as ServerResponse).write(chunk)) {
            await new Promise<void>((r) => {
              res.once('drain', () => r())
              res.once('close', () => r())
            })
          }
        }
        res.end()
        return
      }
    }
  }

  async function handle(req: Req, res: Res): Promise<void> {
    const url = req.url ?? ''
    const entry = ctx.record({
      transport: 'rest',
      method: req.method ?? '',
      path: url,
      apiKey: firstHeader(req, 'x-api-key'),
    })
    res.once('close', () => {
      if (!res.headersSent) return
      entry.status = res.statusCode
      // trackSuccessfulRequest: after the handler returns, 2xx → NewRequest
      if (res.statusCode >= 200 && res.statusCode < 300) node.newRequest()
    })
    const fail = ctx.takeFailure()
    if (fail) {
      await failure(fail, req, res)
      return
    }
    // The API key check needs the controller lock that a running /start holds.
    await node.idle()
    const target = parseGoRequestURI(url)
    if (target === null) {
      goError(res, 400, 'Bad Request')
      return
    }

    // validateApiKey
    switch (node.checkKey(firstHeader(req, 'x-api-key'))) {
      case 'missing':
        goError(res, 401, 'missing x-api-key header')
        return
      case 'invalid':
        goError(res, 422, 'invalid api key format: must be a valid UUID')
        return
      case 'mismatch':
        goError(res, 403, 'api key mismatch')
        return
    }

    const method = req.method ?? ''
    if (!CHI_METHODS.has(method)) {
      methodNotAllowed(res, null)
      return
    }
    const q = url.indexOf('?')
    const rawPath = q < 0 ? url : url.slice(0, q)
    const path = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(rawPath)
      ? rawPath.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/, '') || '/'
      : rawPath

    const checkBackend = (): boolean => {
      switch (node.backendStatus()) {
        case 'none':
          goError(res, 500, 'backend not initialized')
          return false
        case 'stopped':
          goError(res, 503, 'core is not started yet')
          return false
      }
      return true
    }

    if (path === '/stats' || path.startsWith('/stats/')) {
      if (!checkBackend()) return
      const sub = path === '/stats' ? '/' : `/${path.slice('/stats/'.length)}`
      const h = STATS[sub]
      if (!h) {
        goError(res, 404, '404 page not found')
        return
      }
      if (method !== 'GET') {
        methodNotAllowed(res, 'GET')
        return
      }
      await h(req, res)
      return
    }
    const route = ROUTES[path]
    if (!route) {
      goError(res, 404, '404 page not found')
      return
    }
    if (method !== route.method) {
      methodNotAllowed(res, route.method)
      return
    }
    if (route.private && !checkBackend()) return
    await route.handler(req, res)
  }

  /** Stats-style error mapping: InterceptNotFound, then GrpcCodeToHTTP of the status code. */
  function statsError(res: Res, e: unknown, intercept: boolean): void {
    if (!(e instanceof NodeError)) throw e
    const err = intercept ? interceptNotFound(e) : e
    goError(res, grpcCodeToHttp(err.isStatus ? err.code : GRPC.UNKNOWN), err.goText)
  }

  type Handler = (req: Req, res: Res) => Promise<void> | void

  const STATS: Record<string, Handler> = {
    '/': async (req, res) => {
      const r = decode('StatRequest', await readBody(req))
      if (!r) return goError(res, 400, GO_PROTO_ERROR)
      const b = node.backend
      if (!b) throw new Error('nil backend')
      try {
        sendProto(res, 'StatResponse', b.getStats(r))
      } catch (e) {
        statsError(res, e, true)
      }
    },
    '/latency': async (req, res) => {
      const r = decode('LatencyRequest', await readBody(req))
      if (!r) return goError(res, 400, GO_PROTO_ERROR)
      try {
        sendProto(res, 'LatencyResponse', node.outboundsLatency(r.name))
      } catch (e) {
        if (!(e instanceof NodeError)) throw e
        goError(res, 502, e.goText)
      }
    },
    '/user/online': async (req, res) => {
      const r = decode('StatRequest', await readBody(req))
      if (!r) return goError(res, 400, GO_PROTO_ERROR)
      const b = node.backend
      if (!b) throw new Error('nil backend')
      try {
        sendProto(res, 'OnlineStatResponse', b.getUserOnlineStats(r.name))
      } catch (e) {
        statsError(res, e, true)
      }
    },
    '/user/online_ip': async (req, res) => {
      const r = decode('StatRequest', await readBody(req))
      if (!r) return goError(res, 400, GO_PROTO_ERROR)
      const b = node.backend
      if (!b) throw new Error('nil backend')
      try {
        sendProto(res, 'StatsOnlineIpListResponse', b.getUserOnlineIpListStats(r.name))
      } catch (e) {
        statsError(res, e, true)
      }
    },
    '/backend': (_req, res) => {
      const b = node.backend
      if (!b) throw new Error('nil backend')
      try {
        sendProto(res, 'BackendStatsResponse', b.getSysStats())
      } catch (e) {
        statsError(res, e, false)
      }
    },
    '/system': (_req, res) => {
      sendProto(res, 'SystemStatsResponse', node.systemStats())
    },
  }

  const ROUTES: Record<string, { method: string; private: boolean; handler: Handler }> = {
    '/start': {
      method: 'POST',
      private: false,
      handler: async (req, res) => {
        const b = decode('Backend', await readBody(req))
        if (!b) return goError(res, 400, GO_PROTO_ERROR)
        try {
          sendProto(res, 'BaseInfoResponse', await node.start(b))
        } catch (e) {
          if (!(e instanceof NodeError)) throw e
          goError(res, 503, e.goText)
        }
      },
    },
    '/info': {
      method: 'GET',
      private: false,
      handler: (_req, res) => sendProto(res, 'BaseInfoResponse', node.baseInfo()),
    },
    '/stop': {
      method: 'PUT',
      private: true,
      handler: (_req, res) => {
        node.disconnect()
        sendProto(res, 'Empty', {})
      },
    },
    '/logs': { method: 'GET', private: true, handler: (req, res) => streamLogs(req, res) },
    '/user/sync': {
      method: 'PUT',
      private: true,
      handler: async (req, res) => {
        const user = decode('User', await readBody(req))
        if (!user) return goError(res, 400, 'Failed to decode user')
        if (user.email === '') return goError(res, 400, 'email is required')
        const b = node.backend
        if (!b) throw new Error('nil backend')
        try {
          b.syncUser(user)
          node.recordSync({
            transport: 'rest',
            rpc: 'SyncUser',
            users: 1,
            chunks: 1,
            mode: 'live',
            ok: true,
          })
          sendProto(res, 'Empty', {})
        } catch (e) {
          if (!(e instanceof NodeError)) throw e
          node.recordSync({
            transport: 'rest',
            rpc: 'SyncUser',
            users: 1,
            chunks: 1,
            mode: 'live',
            ok: false,
            error: e.goText,
          })
          goError(res, 500, e.goText)
        }
      },
    },
    '/users/sync': {
      method: 'PUT',
      private: true,
      handler: async (req, res) => {
        const users = decode('Users', await readBody(req))
        if (!users) return goError(res, 400, 'Failed to decode user')
        const b = node.backend
        if (!b) throw new Error('nil backend')
        const rec = {
          transport: 'rest' as const,
          rpc: 'SyncUsers' as const,
          users: users.users.length,
          chunks: 1,
          mode: 'restart' as const,
        }
        try {
          await b.syncUsers(users.users)
          node.recordSync({ ...rec, ok: true })
          sendProto(res, 'Empty', {})
        } catch (e) {
          if (!(e instanceof NodeError)) throw e
          node.recordSync({ ...rec, ok: false, error: e.goText })
          goError(res, 500, e.goText)
        }
      },
    },
    '/users/sync/chunked': {
      method: 'PUT',
      private: true,
      handler: async (req, res) => {
        const framed = readChunkFrames(await readBody(req))
        if ('error' in framed) return goError(res, 400, framed.error)
        const users = buildUsersFromChunks(framed.chunks)
        if (typeof users === 'string') return goError(res, 400, users)
        const b = node.backend
        if (!b) throw new Error('nil backend')
        const restart = users.length > 100
        const rec = {
          transport: 'rest' as const,
          rpc: 'SyncUsersChunked' as const,
          users: users.length,
          chunks: framed.frames,
          mode: restart ? ('restart' as const) : ('live' as const),
        }
        try {
          if (restart) await b.updateUsersAndRestart(users)
          else b.updateUsers(users)
          node.recordSync({ ...rec, ok: true })
          sendProto(res, 'Empty', {})
        } catch (e) {
          if (!(e instanceof NodeError)) throw e
          node.recordSync({ ...rec, ok: false, error: e.goText })
          goError(res, 500, e.goText)
        }
      },
    },
  }

  /**
   * `GET /logs`: `text/event-stream`, each line `<line>\n`, flushed. Like Go, nothing (not even
   * the headers) is sent before the first line. Ends when the channel closes (WireGuard
   * shutdown) or the client goes away; Xray's channel never closes.
   */
  function streamLogs(req: Req, res: Res): void {
    const b = node.backend
    if (!b) throw new Error('nil backend')
    const h2 = req.httpVersionMajor === 2
    const headers: Record<string, string> = {
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
    }
    if (!h2) headers.Connection = 'keep-alive'
    let started = false
    const head = (): void => {
      if (started) return
      started = true
      res.statusCode = 200
      for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
    }
    const sink: LogSink = {
      write(lines) {
        if (res.destroyed || res.writableEnded) return false
        head()
        return (res as ServerResponse).write(`${lines.join('\n')}\n`)
      },
      end() {
        if (res.destroyed || res.writableEnded) return
        if (!started) {
          head()
          res.setHeader('Content-Length', '0')
        }
        res.end()
      },
    }
    const detach = b.logs.attach(sink)
    res.on('drain', () => b.logs.resume(sink))
    res.once('close', detach)
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(ctx.port, ctx.host, () => {
      server.off('error', reject)
      resolve()
    })
  })

  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sessions) s.destroy()
        for (const s of sockets) s.destroy()
        sessions.clear()
        sockets.clear()
      }),
  }
}
