import { createParser, type EventSourceParser } from 'eventsource-parser'
import { request, type Dispatcher } from 'undici'
import type { AppError } from '../../../../shared/contract'
import { AppErrorException, appError, toAppError } from '../../../../shared/contract'
import { silentLogger, type Logger } from '../../util/logger'
import { redactSecrets, redactUrl } from '../../util/redact'
import {
  bodySnippet,
  mapNetworkError,
  type HttpClient,
  type HttpRequest,
} from '../http/http-client'

/**
 * One long-lived HTTP stream of a server (design.md §2.3: SSE framing and reconnect/backoff live
 * here once). Two framings:
 * - `sse`: Server-Sent Events on eventsource-parser (`data`/`event`/`id`/`retry`; comments such
 *   as HY2 SCALE's `: ping` count as keep-alives, apis.md §2 "Streams (SSE)");
 * - `lines`: raw newline-delimited text (PasarGuard `/logs`, apis.md §3 "/logs framing": sent as
 *   `text/event-stream` but with no SSE fields at all, so an SSE parser would see nothing).
 */
export type StreamFraming = 'sse' | 'lines'

/** One unit read from a stream. */
export type StreamFrame =
  | {
      kind: 'event'
      /** The event's data; multi-line `data:` fields joined with `\n`. */
      data: string
      /** The `event:` name, when the server sent one. */
      event?: string
      /** The `id:` of the event, when the server sent one. */
      id?: string
    }
  | {
      kind: 'line'
      /** The line without its `\n` / `\r\n`. */
      line: string
      /** True when the line was longer than `maxLineLength` and was cut to it. */
      truncated: boolean
    }

/** Where a stream is: emitted (as a new object) on every change. */
export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'failed'

/** The observable state of a stream reader. Never holds a secret (URLs are redacted). */
export interface StreamState {
  status: StreamStatus
  /** The last error (kept while reconnecting; cleared when the stream is live again). */
  error: AppError | null
  /** When the next connect attempt starts (epoch ms), while `reconnecting`. */
  nextRetryAt: number | null
  /** Failed attempts since the stream was last healthy. */
  attempt: number
  /** When this status was entered (epoch ms). */
  since: number
}

/** Counters of a reader, for diagnostics and tests. */
export interface StreamReaderStats {
  /** HTTP requests sent (first connect and every reconnect). */
  connects: number
  /** Connections that reached `live` (2xx headers). */
  lives: number
  frames: number
  /** SSE comments (`: ping`): counted as keep-alive, never delivered as frames. */
  keepAlives: number
  bytes: number
  /** `lines` framing: lines longer than the cap, cut to it. */
  truncatedLines: number
  /** `sse` framing: frames over the cap (each closes the connection, then a reconnect). */
  oversizedFrames: number
}

/** Reconnect delays: exponential from `initialMs` to `maxMs`, with jitter. */
export interface BackoffOptions {
  /** First delay (ms), default 1000. An SSE `retry:` field replaces it. */
  initialMs?: number
  /** Cap (ms), default 30000. */
  maxMs?: number
  /** Growth per failed attempt, default 2. */
  factor?: number
  /** Fraction of each delay that is random (0–1), default 0.3: delay ∈ [(1−j)·d, d]. */
  jitter?: number
  /** A connection live at least this long (ms) resets the attempts, default 30000. */
  resetAfterMs?: number
}

/** Options of {@link openStream}. */
export interface StreamReaderOptions {
  serverId: string
  framing: StreamFraming
  /**
   * The URL, built at every (re)connect so a fresh token can go into `?token=`. A thrown
   * AppError is the attempt's error (retried when `retryable`, else `failed`).
   */
  getUrl(): string | URL | Promise<string | URL>
  /** Request headers, built at every (re)connect. */
  getHeaders?(): Record<string, string> | Promise<Record<string, string>>
  /**
   * On HTTP 401: refresh the credentials and answer true to reconnect at once. Called at most
   * once until the stream is live again: a second 401 before that is `failed` with an `auth`
   * error, as is an answer of false or a missing hook. A thrown retryable AppError (the login
   * endpoint is down) is retried with backoff.
   */
  onAuthError?(error: AppError): boolean | Promise<boolean>
  /**
   * Maps a non-2xx answer to the attempt's error (retried when `retryable`, else `failed`),
   * for APIs whose statuses mean more than "try again" (PasarGuard: 503 = the core is stopped,
   * 403 = wrong key). Null/undefined keeps the default handling. Gets the redacted body text.
   */
  mapHttpError?(status: number, bodyText: string): AppError | null | undefined
  /** Called for every frame, in order. */
  onFrame(frame: StreamFrame): void
  /** Called on every state change (also once, synchronously, with `connecting`). */
  onState?(state: StreamState): void
  /** The HTTP layer whose dispatcher (same TLS profile handling) carries the stream. */
  http?: Pick<HttpClient, 'dispatcherFor'>
  /** TLS options of the server, as for {@link HttpRequest}. */
  tls?: HttpRequest['tls']
  /**
   * An explicit dispatcher (wins over `http`). Without either, undici's global dispatcher is used
   * (which may be Node's bundled undici): pass `http` in the app.
   */
  dispatcher?: Dispatcher
  /**
   * No byte (frame or ping) for this long (ms) while live → reconnect. Null/0: no idle limit
   * (HY2 SCALE `/api/upgrade/events` sends no pings; `/api/graph-layout/stream` pings every 20 s).
   */
  idleTimeoutMs?: number | null
  /** Deadline (ms) for connect + response headers, default 15000. */
  connectTimeoutMs?: number
  backoff?: BackoffOptions
  /** `sse`: maximum characters of one event (and its partial lines), default 4 MiB. */
  maxFrameLength?: number
  /** `lines`: maximum characters of one line; the rest is dropped and counted, default 16 KiB. */
  maxLineLength?: number
  /** `sse`: reject a 2xx answer whose content type is not `text/event-stream` (default true). */
  requireEventStream?: boolean
  /** User agent, default `NodeDeck`. */
  userAgent?: string
  log?: Logger
  /** Clock (epoch ms) and randomness, for tests. */
  now?: () => number
  random?: () => number
}

/** A running stream reader. */
export interface StreamReader {
  readonly state: StreamState
  stats(): StreamReaderStats
  /** Reconnects now: resets the backoff and the once-per-401 refresh (e.g. after a new login). */
  reconnect(): void
  /** Closes the connection (the socket is destroyed) and stops for good. Idempotent. */
  stop(): void
}

/** Default `sse` frame cap (characters). */
export const DEFAULT_MAX_FRAME_LENGTH = 4 * 1024 * 1024
/** Default `lines` line cap (characters). */
export const DEFAULT_MAX_LINE_LENGTH = 16 * 1024
/** Default connect + headers deadline (ms). */
export const DEFAULT_STREAM_CONNECT_TIMEOUT_MS = 15_000

/** Why an attempt ended. */
type AttemptEnd =
  | { kind: 'stopped' }
  | { kind: 'error'; error: AppError; liveMs: number }
  | { kind: 'auth'; error: AppError }

/** What aborted the current request. */
type AbortCause = 'stop' | 'reconnect' | 'idle' | 'connect' | 'frame'

/**
 * Opens a long-lived stream and keeps it open: reconnects with exponential backoff and jitter,
 * rebuilds the URL and headers on every connect, watches for idle connections, and reports its
 * state on every change. Secrets in the URL (`?token=`) never appear in a state, error or log.
 */
export function openStream(opts: StreamReaderOptions): StreamReader {
  const now = opts.now ?? Date.now
  const random = opts.random ?? Math.random
  const log = opts.log ?? silentLogger
  const serverId = opts.serverId
  const backoff = {
    initialMs: opts.backoff?.initialMs ?? 1000,
    maxMs: opts.backoff?.maxMs ?? 30_000,
    factor: opts.backoff?.factor ?? 2,
    jitter: Math.min(1, Math.max(0, opts.backoff?.jitter ?? 0.3)),
    resetAfterMs: opts.backoff?.resetAfterMs ?? 30_000,
  }
  const idleMs = opts.idleTimeoutMs && opts.idleTimeoutMs > 0 ? opts.idleTimeoutMs : null
  const connectMs = opts.connectTimeoutMs ?? DEFAULT_STREAM_CONNECT_TIMEOUT_MS
  const maxFrame = opts.maxFrameLength ?? DEFAULT_MAX_FRAME_LENGTH
  const maxLine = opts.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH
  const requireEventStream = opts.requireEventStream ?? true
  /** Asked at every connect: the HTTP layer recreates a pool that `close()` dropped. */
  const dispatcherNow = () => opts.dispatcher ?? opts.http?.dispatcherFor?.(opts.tls, 'stream')

  const stats: StreamReaderStats = {
    connects: 0,
    lives: 0,
    frames: 0,
    keepAlives: 0,
    bytes: 0,
    truncatedLines: 0,
    oversizedFrames: 0,
  }
  let state: StreamState = {
    status: 'connecting',
    error: null,
    nextRetryAt: null,
    attempt: 0,
    since: now(),
  }
  let stopped = false
  /** Bumped by reconnect()/stop(): an older loop notices and exits. */
  let generation = 0
  let attempt = 0
  let authRefreshUsed = false
  let serverRetryMs: number | null = null
  let lastEventId: string | null = null
  /** The request in flight and why it was aborted, if it was. */
  let current: { ac: AbortController; cause: AbortCause | null } | null = null
  let wake: (() => void) | null = null

  const setState = (next: Omit<StreamState, 'since' | 'attempt'>) => {
    const changed =
      next.status !== state.status ||
      next.error !== state.error ||
      next.nextRetryAt !== state.nextRetryAt ||
      attempt !== state.attempt
    if (!changed) return
    state = { ...next, attempt, since: next.status === state.status ? state.since : now() }
    try {
      opts.onState?.(state)
    } catch (err) {
      log.error('stream state listener threw', { serverId, err: String(err) })
    }
  }

  const abort = (cause: AbortCause) => {
    if (!current || current.ac.signal.aborted) return
    current.cause = cause
    current.ac.abort()
  }

  const delayFor = (n: number): number => {
    const base = Math.min(backoff.maxMs, serverRetryMs ?? backoff.initialMs)
    const exp = Math.min(backoff.maxMs, base * Math.pow(backoff.factor, Math.max(0, n - 1)))
    return Math.round(exp * (1 - backoff.jitter * random()))
  }

  /** One connection: connect, read until it ends, report why. */
  async function runAttempt(gen: number): Promise<AttemptEnd> {
    let url: URL
    let headers: Record<string, string>
    try {
      const raw = await opts.getUrl()
      url = typeof raw === 'string' ? new URL(raw) : raw
      headers = { ...((await opts.getHeaders?.()) ?? {}) }
    } catch (err) {
      return { kind: 'error', error: toAppError(err, serverId), liveMs: 0 }
    }
    // stop() or reconnect() while the URL was being built: this attempt must not connect.
    if (stopped || gen !== generation) return { kind: 'stopped' }
    const where = `GET ${redactUrl(url)}`
    const secrets = secretsOf(url, headers)
    const ac = new AbortController()
    const self: { ac: AbortController; cause: AbortCause | null } = { ac, cause: null }
    current = self
    let timer: NodeJS.Timeout | null = null
    const arm = (ms: number | null, cause: AbortCause) => {
      if (timer) clearTimeout(timer)
      timer = ms === null ? null : setTimeout(() => abort(cause), ms)
    }
    arm(connectMs, 'connect')
    stats.connects++
    let liveAt: number | null = null
    const liveMs = () => (liveAt === null ? 0 : now() - liveAt)
    let tooBig = false
    const feeder = createFeeder()
    try {
      if (lastEventId !== null) headers['last-event-id'] = lastEventId
      const res = await request(url, {
        method: 'GET',
        headers: {
          'user-agent': opts.userAgent ?? 'NodeDeck',
          accept: opts.framing === 'sse' ? 'text/event-stream' : 'text/event-stream, text/plain',
          'cache-control': 'no-cache',
          ...headers,
        },
        signal: ac.signal,
        dispatcher: dispatcherNow(),
        headersTimeout: connectMs,
        // The idle watchdog below replaces undici's body timeout (300 s by default), which
        // would cut a stream without keep-alives (HY2 SCALE upgrade events) every 5 minutes.
        bodyTimeout: 0,
      })
      const status = res.statusCode
      if (status < 200 || status > 299) {
        const snippet = redactSecrets(await readSnippet(res.body), secrets)
        arm(null, 'connect')
        const mapped = opts.mapHttpError?.(status, snippet)
        if (mapped) return { kind: 'error', error: mapped, liveMs: 0 }
        if (status === 401) {
          return {
            kind: 'auth',
            error: appError(
              'auth',
              `The server refused the stream ${where} (HTTP 401${snippet ? `: ${snippet}` : ''}). Check the login in the server's settings.`,
              { serverId, params: { status } },
            ),
          }
        }
        return {
          kind: 'error',
          error: appError(
            'http_status',
            `The stream ${where} answered HTTP ${status}${snippet ? `: ${snippet}` : ''}. NodeDeck will retry.`,
            { serverId, retryable: true, params: { status } },
          ),
          liveMs: 0,
        }
      }
      const type = String(res.headers['content-type'] ?? '')
      if (opts.framing === 'sse' && requireEventStream && !/text\/event-stream/i.test(type)) {
        await readSnippet(res.body)
        return {
          kind: 'error',
          error: appError(
            'bad_payload',
            `The stream ${where} answered with ${type || 'no content type'} instead of text/event-stream. Check that the URL points at the right API.`,
            { serverId, params: { contentType: type } },
          ),
          liveMs: 0,
        }
      }
      liveAt = now()
      stats.lives++
      // The credentials worked: a later 401 may refresh them once again.
      authRefreshUsed = false
      arm(idleMs, 'idle')
      log.info('stream live', { serverId, url: redactUrl(url) })
      setState({ status: 'live', error: null, nextRetryAt: null })
      const decoder = new TextDecoder('utf-8')
      for await (const chunk of res.body) {
        const buf = chunk as Buffer
        stats.bytes += buf.length
        arm(idleMs, 'idle')
        feeder.feed(decoder.decode(buf, { stream: true }))
        if (feeder.oversized()) {
          tooBig = true
          abort('frame')
          break
        }
        if (stopped || ac.signal.aborted) break
      }
      if (!tooBig && !ac.signal.aborted) {
        feeder.feed(decoder.decode())
        feeder.end()
      }
      if (stopped || self.cause === 'stop') return { kind: 'stopped' }
      if (tooBig) return { kind: 'error', error: oversized(where), liveMs: liveMs() }
      if (self.cause === 'idle') return { kind: 'error', error: idle(where), liveMs: liveMs() }
      return { kind: 'error', error: closed(where), liveMs: liveMs() }
    } catch (err) {
      if (stopped || self.cause === 'stop') return { kind: 'stopped' }
      if (tooBig || self.cause === 'frame') {
        return { kind: 'error', error: oversized(where), liveMs: liveMs() }
      }
      if (self.cause === 'idle') return { kind: 'error', error: idle(where), liveMs: liveMs() }
      if (self.cause === 'connect') {
        return { kind: 'error', error: connectTimeout(where), liveMs: 0 }
      }
      if (self.cause === 'reconnect') return { kind: 'error', error: closed(where), liveMs: 0 }
      if (err instanceof AppErrorException) {
        return { kind: 'error', error: toAppError(err, serverId), liveMs: liveMs() }
      }
      const mapped = mapNetworkError(err, { serverId, method: 'GET', url, timeoutMs: connectMs })
      return {
        kind: 'error',
        error: { ...mapped, message: redactSecrets(mapped.message, secrets) },
        liveMs: liveMs(),
      }
    } finally {
      if (timer) clearTimeout(timer)
      // Whatever ended the attempt, its socket is closed (an unfinished body is never reused).
      if (!ac.signal.aborted) {
        self.cause = 'reconnect'
        ac.abort()
      }
      if (current === self) current = null
    }
  }

  /** The framing of this stream, fed with decoded text. */
  function createFeeder(): { feed(text: string): void; end(): void; oversized(): boolean } {
    if (opts.framing === 'sse') {
      let over = false
      const parser: EventSourceParser = createParser({
        maxBufferSize: maxFrame,
        onEvent: (ev) => {
          const frame: StreamFrame = { kind: 'event', data: ev.data }
          if (ev.event !== undefined) frame.event = ev.event
          if (ev.id !== undefined) frame.id = ev.id
          emit(frame)
        },
        onId: (id) => {
          lastEventId = id
        },
        onRetry: (ms) => {
          serverRetryMs = ms
        },
        onComment: () => {
          stats.keepAlives++
        },
        onError: (err) => {
          if (err.type === 'max-buffer-size-exceeded') over = true
          else log.debug('stream: ignored SSE line', { serverId, type: err.type })
        },
      })
      return {
        feed: (text) => {
          if (!over && text) parser.feed(text)
        },
        // An event without its closing blank line is incomplete: dropped, as EventSource does.
        end: () => undefined,
        oversized: () => over,
      }
    }
    // `lines`: partial lines are buffered (bounded by the cap); the rest of an overlong line is
    // skipped up to its newline and counted once.
    let parts: string[] = []
    let length = 0
    let skipping = false
    const pushPart = (text: string) => {
      if (skipping || !text) return
      const room = maxLine - length
      if (text.length > room) {
        if (room > 0) parts.push(text.slice(0, room))
        length = maxLine
        skipping = true
        stats.truncatedLines++
        return
      }
      parts.push(text)
      length += text.length
    }
    const flush = () => {
      let line = parts.join('')
      if (line.endsWith('\r')) line = line.slice(0, -1)
      emit({ kind: 'line', line, truncated: skipping })
      parts = []
      length = 0
      skipping = false
    }
    return {
      feed: (text) => {
        let start = 0
        for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
          pushPart(text.slice(start, nl))
          flush()
          start = nl + 1
        }
        pushPart(text.slice(start))
      },
      end: () => {
        if (length > 0 || skipping) flush()
      },
      oversized: () => false,
    }
  }

  function emit(frame: StreamFrame) {
    if (stopped) return
    stats.frames++
    try {
      opts.onFrame(frame)
    } catch (err) {
      log.error('stream frame listener threw', { serverId, err: String(err) })
    }
  }

  function oversized(where: string): AppError {
    stats.oversizedFrames++
    return appError(
      'bad_payload',
      `An event of the stream ${where} is larger than ${maxFrame} characters; the connection was closed. NodeDeck will retry.`,
      { serverId, retryable: true, params: { maxFrameLength: maxFrame } },
    )
  }

  function idle(where: string): AppError {
    return appError(
      'timeout',
      `The stream ${where} sent nothing for ${idleMs === null ? 0 : Math.round(idleMs / 100) / 10} s. NodeDeck reconnects.`,
      { serverId, params: { idleTimeoutMs: idleMs } },
    )
  }

  function connectTimeout(where: string): AppError {
    return appError(
      'timeout',
      `The stream ${where} did not answer within ${Math.round(connectMs / 100) / 10} s. The server may be overloaded or unreachable; NodeDeck will retry.`,
      { serverId, params: { timeoutMs: connectMs } },
    )
  }

  function closed(where: string): AppError {
    return appError(
      'network',
      `The stream ${where} was closed by the server. NodeDeck reconnects.`,
      { serverId },
    )
  }

  /** Waits `ms` unless woken by reconnect()/stop(). */
  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms)
      function done() {
        clearTimeout(t)
        if (wake === done) wake = null
        resolve()
      }
      wake = done
    })
  }

  async function loop(gen: number): Promise<void> {
    while (!stopped && gen === generation) {
      if (state.status !== 'connecting') {
        setState({ status: 'connecting', error: state.error, nextRetryAt: null })
      }
      const end = await runAttempt(gen)
      if (stopped || gen !== generation || end.kind === 'stopped') return
      if (end.kind === 'auth') {
        attempt++
        if (!opts.onAuthError || authRefreshUsed) {
          fail(end.error)
          return
        }
        authRefreshUsed = true
        let again: boolean
        try {
          again = await opts.onAuthError(end.error)
        } catch (err) {
          const e = toAppError(err, serverId)
          if (stopped || gen !== generation) return
          if (!e.retryable) {
            fail(e)
            return
          }
          // The refresh itself failed on a blip: it may be tried again after the backoff.
          authRefreshUsed = false
          await waitBeforeRetry(e)
          continue
        }
        if (stopped || gen !== generation) return
        if (!again) {
          fail(end.error)
          return
        }
        log.info('stream: credentials refreshed after 401, reconnecting', { serverId })
        continue
      }
      // A connection that was live only briefly (accepted, then dropped) still backs off.
      if (end.liveMs >= backoff.resetAfterMs) attempt = 0
      attempt++
      if (!end.error.retryable) {
        fail(end.error)
        return
      }
      await waitBeforeRetry(end.error)
    }
  }

  async function waitBeforeRetry(error: AppError) {
    const delay = delayFor(attempt)
    log.warn('stream interrupted, reconnecting', {
      serverId,
      code: error.code,
      message: error.message,
      delayMs: delay,
    })
    setState({ status: 'reconnecting', error, nextRetryAt: now() + delay })
    await sleep(delay)
  }

  function fail(error: AppError) {
    log.warn('stream failed', { serverId, code: error.code, message: error.message })
    setState({ status: 'failed', error, nextRetryAt: null })
  }

  function start() {
    const gen = ++generation
    loop(gen).catch((err: unknown) => {
      if (stopped || gen !== generation) return
      fail(toAppError(err, serverId))
    })
  }

  opts.onState?.(state)
  start()

  return {
    get state() {
      return state
    },
    stats: () => ({ ...stats }),
    reconnect() {
      if (stopped) return
      attempt = 0
      authRefreshUsed = false
      generation++
      abort('reconnect')
      wake?.()
      start()
    },
    stop() {
      if (stopped) return
      stopped = true
      generation++
      abort('stop')
      wake?.()
    },
  }
}

/** The values of secret query parameters and auth-like headers, to mask in quoted server text. */
function secretsOf(url: URL, headers: Record<string, string>): string[] {
  const out: string[] = []
  const masked = new URL(redactUrl(url))
  for (const [name, value] of url.searchParams) {
    if (value && masked.searchParams.get(name) === '***') out.push(value)
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!/auth|token|key|secret|cookie|password/i.test(name)) continue
    out.push(value)
    const bearer = /^\S+\s+(\S+)$/.exec(value)?.[1]
    if (bearer) out.push(bearer)
  }
  return out
}

/** Reads at most ~2 KiB of an error body, then drops the rest (the socket is not reused). */
async function readSnippet(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  body.on('error', () => undefined)
  try {
    for await (const chunk of body) {
      const buf = chunk as Buffer
      chunks.push(buf)
      size += buf.length
      if (size >= 2048) break
    }
  } catch {
    // A body that fails half-way still gives its first bytes.
  } finally {
    body.destroy()
  }
  return bodySnippet(Buffer.concat(chunks, size), 200)
}
