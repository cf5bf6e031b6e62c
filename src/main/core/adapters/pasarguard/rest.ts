import type { AppError } from '../../../../shared/contract'
import { AppErrorException, appError } from '../../../../shared/contract'
import { silentLogger, type Logger } from '../../util/logger'
import type { HttpClient, HttpRequest, HttpResponse } from '../http/http-client'
import { hostPortOf, probeTls } from '../http/tls-probe'
import { openStream } from '../sse/stream-reader'
import {
  coreDownOf,
  restStatusError,
  transportHintOf,
  wrongTransportError,
  type PgErrorContext,
} from './errors'
import {
  PG_GRPC_MAX_MESSAGE,
  PG_RPCS,
  pgDecode,
  pgDelimited,
  pgEncode,
  type PgRpcName,
} from './proto'
import {
  PG_LOGS_FIRST_LINE_TIMEOUT_MS,
  PG_LOGS_LIVE_AFTER_MS,
  PG_REST_ROUTES,
  type NodeTransport,
  type PgCallOptions,
  type PgClientStreamRpc,
  type PgRequest,
  type PgResponse,
  type PgStreamProgress,
  type PgUnaryRpc,
} from './transport'

/** What both transports are built from. */
export interface PgTransportConfig {
  serverId: string
  /** The node's https base URL. */
  url: URL
  tls: HttpRequest['tls']
  /** The API key (a UUID), read from the keychain at call time; null = none stored. */
  getApiKey(): Promise<string | null>
  http: HttpClient
  /** Deadline of a call without its own (ms). */
  timeoutMs: number
  log?: Logger
}

/** Largest answer the REST transport reads (the node's gRPC limit, same data). */
const MAX_ANSWER = PG_GRPC_MAX_MESSAGE + 1024 * 1024

/** Socket-level codes that may mean "this port speaks h2 only". */
const RESET_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED'])

/**
 * The REST transport (`SERVICE_PROTOCOL=rest`, apis.md §3): protobuf bodies over the shared HTTP
 * client (`x-api-key` header, bodies also on GET, status checked before decoding, 0-byte answers
 * are a valid Empty). TLS goes through the client's CA / pin handling: with a pin, the
 * certificate is checked before any request byte.
 */
export function createRestTransport(cfg: PgTransportConfig): NodeTransport {
  const log = cfg.log ?? silentLogger
  const { host, port } = hostPortOf(cfg.url)
  const hostPort = cfg.url.host
  const basePath = cfg.url.pathname.replace(/\/+$/, '')
  const urlOf = (path: string) => new URL(`${basePath}${path}`, cfg.url)
  const ctxOf = (rpc: PgRpcName): PgErrorContext => {
    const r = PG_REST_ROUTES[rpc]
    return {
      serverId: cfg.serverId,
      host: hostPort,
      transport: 'rest',
      op: `${r.method} ${r.path}`,
    }
  }

  const headers = async (withBody: boolean): Promise<Record<string, string>> => {
    const key = await cfg.getApiKey()
    const h: Record<string, string> = { accept: 'application/x-protobuf' }
    if (key) h['x-api-key'] = key
    if (withBody) h['content-type'] = 'application/x-protobuf'
    return h
  }

  /**
   * A connection that fails before any HTTP answer may be a gRPC node: Go's gRPC server refuses
   * a TLS client that does not offer h2 (`no_application_protocol` alert), Node's http2 server
   * hangs up. A handshake offering only HTTP/1.1 (no byte sent after it) tells them apart.
   */
  async function explainNetworkError(rpc: PgRpcName, e: AppError): Promise<AppError> {
    const code = String(e.params?.code ?? '')
    const ctx = ctxOf(rpc)
    if (/NO_APPLICATION_PROTOCOL/i.test(code)) {
      return wrongTransportError(ctx, 'speaks_grpc', 'it refused HTTP/1.1 in the TLS handshake')
    }
    if (code.startsWith('HPE_') || (e.code === 'bad_payload' && /valid HTTP/.test(e.message))) {
      return wrongTransportError(ctx, 'speaks_grpc', 'its answer is not HTTP/1.1')
    }
    if (e.code === 'network' && RESET_CODES.has(code)) {
      try {
        const r = await probeTls({ host, port, alpn: ['http/1.1'], timeoutMs: 5000 })
        if (r.alpn === null) {
          return wrongTransportError(ctx, 'speaks_grpc', 'it does not offer HTTP/1.1')
        }
      } catch (err) {
        if (/NO_APPLICATION_PROTOCOL/i.test(String((err as { code?: unknown }).code ?? ''))) {
          return wrongTransportError(ctx, 'speaks_grpc', 'it refused HTTP/1.1 in the TLS handshake')
        }
      }
    }
    return e
  }

  async function send(
    rpc: PgRpcName,
    body: Uint8Array | AsyncIterable<Uint8Array> | undefined,
    opts: PgCallOptions,
  ): Promise<HttpResponse> {
    const route = PG_REST_ROUTES[rpc]
    let res: HttpResponse
    try {
      res = await cfg.http.request({
        serverId: cfg.serverId,
        method: route.method,
        url: urlOf(route.path),
        headers: await headers(body !== undefined),
        body,
        // GETs carry protobuf bodies: keep the connection anyway (the node reads them).
        reuseConnection: true,
        timeoutMs: opts.timeoutMs ?? cfg.timeoutMs,
        maxBytes: MAX_ANSWER,
        signal: opts.signal,
        tls: cfg.tls,
      })
    } catch (err) {
      if (err instanceof AppErrorException) {
        const e = await explainNetworkError(rpc, err.appError)
        throw new AppErrorException(e)
      }
      throw err
    }
    if (res.status < 200 || res.status > 299) {
      const e = restStatusError(ctxOf(rpc), {
        status: res.status,
        text: res.body.subarray(0, 4096).toString('utf8'),
        contentType: String(res.headers['content-type'] ?? ''),
      })
      throw new AppErrorException(e)
    }
    return res
  }

  function decode<R extends PgRpcName>(rpc: R, body: Uint8Array): PgResponse<R> {
    const name = PG_RPCS[rpc].response
    try {
      return pgDecode(name, body) as PgResponse<R>
    } catch {
      throw new AppErrorException(
        appError(
          'bad_payload',
          `The PasarGuard node at ${hostPort} answered ${ctxOf(rpc).op} with ${body.byteLength} bytes that are not a ${name} protobuf message. Check that the address is the node's API port.`,
          { serverId: cfg.serverId, params: { op: ctxOf(rpc).op, transport: 'rest' } },
        ),
      )
    }
  }

  const encode = <R extends PgRpcName>(rpc: R, msg: Partial<PgRequest<R>>): Uint8Array =>
    pgEncode(PG_RPCS[rpc].request, msg)

  return {
    kind: 'rest',
    host: hostPort,
    async unary<R extends PgUnaryRpc>(
      rpc: R,
      request: Partial<PgRequest<R>>,
      opts: PgCallOptions = {},
    ): Promise<PgResponse<R>> {
      const body = PG_RPCS[rpc].request === 'Empty' ? undefined : encode(rpc, request)
      if (opts.sent) opts.sent.bytes = body?.byteLength ?? 0
      const res = await send(rpc, body, opts)
      return decode(rpc, res.body)
    },
    async clientStream<R extends PgClientStreamRpc>(
      rpc: R,
      messages: Iterable<Partial<PgRequest<R>>> | AsyncIterable<Partial<PgRequest<R>>>,
      opts: PgCallOptions & { onProgress?: (p: PgStreamProgress) => void } = {},
    ) {
      const progress: PgStreamProgress = { messages: 0, bytes: 0 }
      if (rpc === 'SyncUser') {
        // The REST route takes one User per PUT (the gRPC stream's messages one by one).
        let last: Uint8Array = new Uint8Array(0)
        for await (const m of messages) {
          const body = encode(rpc, m)
          const res = await send(rpc, body, opts)
          last = res.body
          progress.messages++
          progress.bytes += body.byteLength
          opts.onProgress?.({ ...progress })
        }
        return { response: decode(rpc, last), ...progress }
      }
      // `/users/sync/chunked`: one PUT whose body is the frames, streamed as they are pulled.
      async function* frames(): AsyncGenerator<Uint8Array> {
        for await (const m of messages) {
          const frame = pgDelimited([encode(rpc, m)])
          yield frame
          progress.messages++
          progress.bytes += frame.byteLength
          opts.onProgress?.({ ...progress })
        }
      }
      const res = await send(rpc, frames(), opts)
      return { response: decode(rpc, res.body), ...progress }
    },
    logs(sink) {
      const ctx = ctxOf('GetLogs')
      // See PG_LOGS_LIVE_AFTER_MS: a pending request without an error is a quiet, live stream.
      let liveTimer: NodeJS.Timeout | null = null
      const clearLive = () => {
        if (liveTimer) clearTimeout(liveTimer)
        liveTimer = null
      }
      const reader = openStream({
        serverId: cfg.serverId,
        framing: 'lines',
        http: cfg.http,
        tls: cfg.tls,
        log,
        // The node sends raw lines with no keep-alive: a quiet core is not a dead connection.
        idleTimeoutMs: null,
        connectTimeoutMs: PG_LOGS_FIRST_LINE_TIMEOUT_MS,
        maxLineLength: 64 * 1024,
        getUrl: () => urlOf(PG_REST_ROUTES.GetLogs.path),
        getHeaders: async (): Promise<Record<string, string>> => {
          const key = await cfg.getApiKey()
          return key ? { 'x-api-key': key } : {}
        },
        mapHttpError: (status, text) => {
          const e = restStatusError(ctx, { status, text, contentType: '' })
          // A stopped core: keep trying (with backoff) until it runs again.
          if (coreDownOf(e)) return e
          // Wrong key or wrong transport: retrying cannot help.
          if (e.code === 'auth' || transportHintOf(e)) return { ...e, retryable: false }
          return null
        },
        onFrame: (frame) => {
          if (frame.kind === 'line') sink.line(frame.line)
        },
        onState: (s) => {
          clearLive()
          sink.state(s)
          if (s.status !== 'connecting') return
          liveTimer = setTimeout(() => {
            liveTimer = null
            sink.state({ ...s, status: 'live', error: null, nextRetryAt: null, since: Date.now() })
          }, PG_LOGS_LIVE_AFTER_MS)
        },
      })
      return {
        stop: () => {
          clearLive()
          reader.stop()
        },
      }
    },
    close() {
      // The shared HTTP client owns the connections (pooled per TLS profile).
    },
  }
}
