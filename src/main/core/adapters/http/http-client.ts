import { Agent, buildConnector, errors as undiciErrors, request, type Dispatcher } from 'undici'
import { Readable } from 'node:stream'
import { handshakeUnverified } from './tls-handshake'
import type { AppError } from '../../../../shared/contract'
import { AppErrorException, appError } from '../../../../shared/contract'
import { redactUrl } from '../../util/redact'

/** Default cap of a response body; a larger one is cut off and reported (never buffered whole). */
export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024
/** Default total deadline of one request: connect, headers and the whole body. */
export const DEFAULT_TIMEOUT_MS = 10_000

export interface HttpRequest {
  serverId: string
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH' | 'HEAD'
  url: URL | string
  headers?: Record<string, string>
  /** A buffer, or an async iterable streamed as it is pulled (large uploads). */
  body?: string | Uint8Array | AsyncIterable<Uint8Array>
  /**
   * Keep the connection for the next request even though this one is a GET with a body
   * (PasarGuard's REST API, apis.md §3): undici closes such a connection by default (`reset`).
   */
  reuseConnection?: boolean
  /** Total deadline (ms). A server that drips one byte a second still times out. */
  timeoutMs?: number
  maxBytes?: number
  signal?: AbortSignal
  /** TLS options of the server: CA to trust or a pinned SHA-256 fingerprint. */
  tls?: { caPem?: string; fingerprintSha256?: string }
}

export interface HttpResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  /** Elapsed ms from send to the last body byte. */
  elapsedMs: number
}

export interface HttpClientOptions {
  /** Connections per origin (the pool cap). */
  connectionsPerOrigin?: number
  /** Idle keep-alive (ms); longer than any poll interval so polls reuse their connection. */
  keepAliveMs?: number
  userAgent?: string
}

/** The one HTTP layer of every adapter: deadlines, size caps, pools, redaction, error mapping. */
export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>
  /**
   * The undici dispatcher of a TLS profile, for long-lived streams (`adapters/sse`): the same
   * TLS handling (CA, pin) as `request`; `'stream'` uses a separate pool per profile so an open
   * stream never holds one of the connections polls share. Closed by `close()`.
   */
  dispatcherFor?(tls: HttpRequest['tls'], use?: 'request' | 'stream'): Dispatcher
  close(): Promise<void>
}

/** Normalizes a fingerprint to upper-case colon-separated hex. */
export function normalizeFingerprint(fp: string): string {
  const hex = fp.replace(/[^0-9a-fA-F]/g, '').toUpperCase()
  return hex.match(/.{2}/g)?.join(':') ?? ''
}

/**
 * A connector that accepts exactly one certificate, by SHA-256 fingerprint, and refuses any
 * other before a single request byte is written (the check runs on `secureConnect`, before
 * undici receives the socket). Chain validation is replaced by the pin, deliberately.
 */
function pinningConnector(fingerprint: string, timeoutMs: number): buildConnector.connector {
  const want = normalizeFingerprint(fingerprint)
  return (opts, callback) => {
    handshakeUnverified({
      host: opts.hostname,
      port: Number(opts.port) || 443,
      ...(opts.servername ? { servername: opts.servername } : {}),
      alpn: ['http/1.1'],
      timeoutMs,
      timeoutCode: 'UND_ERR_CONNECT_TIMEOUT',
    }).then(
      (socket) => {
        const got = normalizeFingerprint(socket.getPeerCertificate().fingerprint256 ?? '')
        if (got === want) {
          callback(null, socket)
          return
        }
        socket.destroy()
        callback(
          Object.assign(new Error('certificate fingerprint mismatch'), {
            code: 'ERR_NODEDECK_PIN_MISMATCH',
            fingerprint: got,
            expected: want,
          }),
          null,
        )
      },
      (err: Error) => callback(err, null),
    )
  }
}

/** Creates the shared HTTP client. One undici Agent per TLS profile; pools per origin inside. */
export function createHttpClient(opts: HttpClientOptions = {}): HttpClient {
  const connections = opts.connectionsPerOrigin ?? 4
  const keepAliveTimeout = opts.keepAliveMs ?? 120_000
  const userAgent = opts.userAgent ?? 'NodeDeck'
  const agents = new Map<string, Agent>()

  const agentFor = (tls: HttpRequest['tls'], use: 'request' | 'stream' = 'request'): Dispatcher => {
    const profile = tls?.fingerprintSha256
      ? `pin:${normalizeFingerprint(tls.fingerprintSha256)}`
      : tls?.caPem
        ? `ca:${tls.caPem}`
        : 'default'
    const key = use === 'stream' ? `stream:${profile}` : profile
    let agent = agents.get(key)
    if (!agent) {
      const base = {
        // Streams: one connection each, as many as are open (the stream hub keeps one per key).
        connections: use === 'stream' ? null : connections,
        keepAliveTimeout,
        keepAliveMaxTimeout: Math.max(keepAliveTimeout, 600_000),
        pipelining: 1,
      }
      if (tls?.fingerprintSha256) {
        agent = new Agent({ ...base, connect: pinningConnector(tls.fingerprintSha256, 10_000) })
      } else if (tls?.caPem) {
        agent = new Agent({ ...base, connect: { ca: tls.caPem, timeout: 10_000 } })
      } else {
        agent = new Agent({ ...base, connect: { timeout: 10_000 } })
      }
      agents.set(key, agent)
    }
    return agent
  }

  return {
    dispatcherFor: agentFor,
    async request(req) {
      const url = typeof req.url === 'string' ? new URL(req.url) : req.url
      const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS
      const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES
      // One controller and one timer cleared when the request ends. AbortSignal.timeout's timer
      // would outlive the request and, at 400 requests/s, fire a DOMException and an abort
      // through AbortSignal.any's followers for every request long after it was done.
      const controller = new AbortController()
      const signal = controller.signal
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        controller.abort(new DOMException('The request timed out.', 'TimeoutError'))
      }, timeoutMs)
      timer.unref?.()
      const outer = req.signal
      const follow = () => controller.abort(outer?.reason)
      if (outer?.aborted) follow()
      else outer?.addEventListener('abort', follow, { once: true })
      const started = performance.now()
      const ctx: ErrorContext = { serverId: req.serverId, method: req.method, url, timeoutMs }
      try {
        const res = await request(url, {
          method: req.method,
          headers: { 'user-agent': userAgent, ...req.headers },
          body:
            req.body === undefined || typeof req.body === 'string' || req.body instanceof Uint8Array
              ? req.body
              : Readable.from(req.body, { objectMode: false }),
          signal,
          dispatcher: agentFor(req.tls),
          ...(req.reuseConnection ? { reset: false } : {}),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        })
        const chunks: Buffer[] = []
        let size = 0
        // Destroying an unread body emits 'error' (RequestAbortedError) on the next tick; with no
        // listener that is an uncaught exception that would take the whole process down.
        const discard = () => {
          res.body.on('error', () => undefined)
          res.body.destroy()
        }
        const declared = Number(res.headers['content-length'] ?? NaN)
        if (Number.isFinite(declared) && declared > maxBytes) {
          discard()
          throw tooLarge(ctx, maxBytes)
        }
        for await (const chunk of res.body) {
          const buf = chunk as Buffer
          size += buf.length
          if (size > maxBytes) {
            discard()
            throw tooLarge(ctx, maxBytes)
          }
          chunks.push(buf)
        }
        return {
          status: res.statusCode,
          headers: res.headers,
          // A small answer arrives in one chunk: no copy of it.
          body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size),
          elapsedMs: performance.now() - started,
        }
      } catch (err) {
        if (err instanceof AppErrorException) throw err
        if (timedOut) throw new AppErrorException(timeoutError(ctx))
        if (req.signal?.aborted) {
          throw new AppErrorException(
            appError('timeout', `The request ${describe(ctx)} was cancelled.`, {
              serverId: ctx.serverId,
            }),
          )
        }
        throw new AppErrorException(mapNetworkError(err, ctx))
      } finally {
        clearTimeout(timer)
        outer?.removeEventListener('abort', follow)
      }
    },
    async close() {
      const all = [...agents.entries()]
      agents.clear()
      // A stream never completes, so waiting for it (close) would hang: stream pools are destroyed.
      await Promise.all(
        all.map(([key, a]) =>
          (key.startsWith('stream:') ? a.destroy() : a.close()).catch(() => undefined),
        ),
      )
    },
  }
}

interface ErrorContext {
  serverId: string
  method: string
  url: URL
  timeoutMs: number
}

function describe(ctx: ErrorContext): string {
  return `${ctx.method} ${redactUrl(ctx.url)}`
}

function tooLarge(ctx: ErrorContext, maxBytes: number): AppErrorException {
  return new AppErrorException(
    appError(
      'bad_payload',
      `The server's answer to ${describe(ctx)} is larger than ${formatCap(maxBytes)} and was cut off. Check that the URL points at the right API.`,
      { serverId: ctx.serverId, params: { maxBytes } },
    ),
  )
}

/** The cap as a true figure: whole MiB when it is one, else bytes (never "0 MiB"). */
function formatCap(maxBytes: number): string {
  return maxBytes % 1048576 === 0 ? `${maxBytes / 1048576} MiB` : `${maxBytes} bytes`
}

function timeoutError(ctx: ErrorContext): AppError {
  return appError(
    'timeout',
    `No complete answer to ${describe(ctx)} within ${Math.round(ctx.timeoutMs / 100) / 10} s. The server may be overloaded or unreachable; check it and its network.`,
    { serverId: ctx.serverId, params: { timeoutMs: ctx.timeoutMs } },
  )
}

const TLS_CODES =
  /^(CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_TLS|ERR_SSL|HOSTNAME_MISMATCH|ERR_NODEDECK_PIN)/

/** Maps undici / Node socket errors to an AppError a person can act on. */
export function mapNetworkError(err: unknown, ctx: ErrorContext): AppError {
  const e = err as {
    code?: string
    cause?: { code?: string }
    fingerprint?: string
    expected?: string
  }
  const code = e.code ?? e.cause?.code ?? ''
  const host = ctx.url.host
  const base = { serverId: ctx.serverId, params: { code } }
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return appError(
      'timeout',
      `Connecting to ${host} timed out. Check the address, the port and any firewall in between.`,
      base,
    )
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return timeoutError(ctx)
  if (code === 'ERR_NODEDECK_PIN_MISMATCH') {
    return appError(
      'tls',
      `The certificate of ${host} does not match the pinned fingerprint (${e.expected ? `expected ${e.expected}, ` : ''}it presented ${e.fingerprint ?? 'another'}). Nothing was sent. If the server's certificate was replaced on purpose, update the fingerprint in the server's settings.`,
      {
        serverId: ctx.serverId,
        params: { code, fingerprint: e.fingerprint ?? null, expected: e.expected ?? null },
      },
    )
  }
  if (TLS_CODES.test(code)) {
    return appError(
      'tls',
      `The TLS certificate of ${host} was not accepted (${code}). Trust the server's CA or pin its fingerprint in the server's settings.`,
      base,
    )
  }
  if (code === 'ECONNREFUSED') {
    return appError(
      'network',
      `${host} refused the connection. Check that the server is running and that the port is right.`,
      base,
    )
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return appError(
      'network',
      `The host name ${ctx.url.hostname} could not be resolved. Check the address.`,
      base,
    )
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return appError('network', `${host} is unreachable from this machine. Check the network.`, base)
  }
  if (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'UND_ERR_CLOSED' ||
    err instanceof undiciErrors.SocketError
  ) {
    return appError(
      'network',
      `The connection to ${host} was closed before a complete answer arrived. The server may have restarted; NodeDeck will retry.`,
      base,
    )
  }
  // undici's HTTPParserError may carry no code (it maps llhttp's numeric error to a name that
  // is not there), so recognize the class too: garbage is not a network blip.
  if (code.startsWith('HPE_') || err instanceof undiciErrors.HTTPParserError) {
    return appError(
      'bad_payload',
      `${host} did not answer with valid HTTP (${code || 'not an HTTP response'}). Check the port: is it the API's port, and plain HTTP vs HTTPS right?`,
      { ...base, retryable: false },
    )
  }
  return appError(
    'network',
    `The request ${describe(ctx)} failed (${code || 'unknown error'}).`,
    base,
  )
}

/** The text of a body, at most `max` characters, for error messages. */
export function bodySnippet(body: Buffer, max = 200): string {
  const text = body.toString('utf8').replace(/\s+/g, ' ').trim()
  return text.length > max ? `${text.slice(0, max)}…` : text
}
