import { Agent, buildConnector, errors as undiciErrors, type Dispatcher } from 'undici'
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
    request(req) {
      const url = typeof req.url === 'string' ? new URL(req.url) : req.url
      const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS
      const ctx: ErrorContext = { serverId: req.serverId, method: req.method, url, timeoutMs }
      return new Promise<HttpResponse>((resolve, reject) => {
        const call = new Call(ctx, req.maxBytes ?? DEFAULT_MAX_BYTES, req.signal, resolve, reject)
        try {
          agentFor(req.tls).dispatch(
            {
              origin: url.origin,
              path: url.pathname + url.search,
              method: req.method,
              headers: { 'user-agent': userAgent, ...req.headers },
              body:
                req.body === undefined ||
                typeof req.body === 'string' ||
                req.body instanceof Uint8Array
                  ? req.body
                  : Readable.from(req.body, { objectMode: false }),
              ...(req.reuseConnection ? { reset: false } : {}),
              headersTimeout: timeoutMs,
              bodyTimeout: timeoutMs,
            },
            call,
          )
        } catch (err) {
          call.onResponseError(null, err as Error)
        }
      })
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

/**
 * One request as an undici dispatch handler: the body is collected as the chunks arrive (no
 * stream, no async iterator, no promise per chunk — polls run 400 requests a second), under the
 * size cap, within one total deadline (one timer, cleared at the end) and the caller's signal.
 * Settles exactly once; every failure is an AppErrorException.
 */
class Call implements Dispatcher.DispatchHandler {
  private readonly started = performance.now()
  private readonly timer: NodeJS.Timeout
  private controller: Dispatcher.DispatchController | null = null
  /** Why the request is being aborted (set before undici is told). */
  private reason: AppErrorException | null = null
  private done = false
  private status = 0
  private headers: Record<string, string | string[] | undefined> = {}
  private readonly chunks: Buffer[] = []
  private size = 0

  constructor(
    private readonly ctx: ErrorContext,
    private readonly maxBytes: number,
    private readonly signal: AbortSignal | undefined,
    private readonly resolve: (res: HttpResponse) => void,
    private readonly reject: (err: AppErrorException) => void,
  ) {
    this.timer = setTimeout(
      () => this.abort(new AppErrorException(timeoutError(ctx))),
      ctx.timeoutMs,
    )
    this.timer.unref?.()
    if (signal?.aborted) this.onCallerAbort()
    else signal?.addEventListener('abort', this, { once: true })
  }

  /** The caller's signal (this object is its listener: no closure per request). */
  handleEvent(): void {
    this.onCallerAbort()
  }

  private onCallerAbort(): void {
    this.abort(
      new AppErrorException(
        appError('timeout', `The request ${describe(this.ctx)} was cancelled.`, {
          serverId: this.ctx.serverId,
        }),
      ),
    )
  }

  private abort(reason: AppErrorException): void {
    if (this.done || this.reason) return
    this.reason = reason
    // Not started yet: onRequestStart aborts it. Aborting a started request destroys its socket.
    this.controller?.abort(reason)
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.reason) {
      controller.abort(this.reason)
      return
    }
    this.controller = controller
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    if (statusCode < 200) return
    const declared = Number(headers['content-length'] ?? NaN)
    if (Number.isFinite(declared) && declared > this.maxBytes) {
      this.abort(tooLarge(this.ctx, this.maxBytes))
      return
    }
    this.status = statusCode
    this.headers = headers
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.reason) return
    this.size += chunk.length
    if (this.size > this.maxBytes) {
      this.abort(tooLarge(this.ctx, this.maxBytes))
      return
    }
    this.chunks.push(chunk)
  }

  onResponseEnd(): void {
    if (this.done) return
    if (this.reason) {
      this.onResponseError(null, this.reason)
      return
    }
    this.finish()
    const { chunks, size } = this
    this.resolve({
      status: this.status,
      headers: this.headers,
      // A small answer arrives in one chunk: no copy of it.
      body:
        chunks.length === 1
          ? (chunks[0] as Buffer)
          : chunks.length === 0
            ? Buffer.alloc(0)
            : Buffer.concat(chunks, size),
      elapsedMs: performance.now() - this.started,
    })
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    if (this.done) return
    this.finish()
    if (this.reason) this.reject(this.reason)
    else if (err instanceof AppErrorException) this.reject(err)
    else this.reject(new AppErrorException(mapNetworkError(err, this.ctx)))
  }

  private finish(): void {
    this.done = true
    clearTimeout(this.timer)
    this.signal?.removeEventListener('abort', this)
  }
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
