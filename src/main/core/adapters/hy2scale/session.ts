import { createHash } from 'node:crypto'
import { AppErrorException, appError } from '../../../../shared/contract'
import { redactSecrets } from '../../util/redact'
import { silentLogger, type Logger } from '../../util/logger'
import {
  bodySnippet,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
} from '../http/http-client'
import { parseJsonBody, type ResponseContext } from '../http/responses'
import { LoginResponseSchema } from './schema'

/** The advice of every "this is not an HY2 SCALE API" message. */
export const HY2SCALE_HINT =
  "Check that the URL is the node's web UI address including its base path (default http://<host>:5565/scale)."

/** Re-login proactively when the token sat unused this long (the node's default expiry is 12 h). */
export const DEFAULT_IDLE_RELOGIN_MS = 11 * 60 * 60 * 1000

/** The node's web UI login (plaintext password; hashed before it leaves this module). */
export interface Hy2ScaleCredentials {
  username: string
  password: string
}

/** Options of {@link createHy2ScaleSession}. */
export interface Hy2ScaleSessionOptions {
  serverId: string
  /** Base URL including the base path, e.g. `http://host:5565/scale` (no trailing slash needed). */
  baseUrl: string
  http: HttpClient
  /** Read at every login (never cached here); null = nothing stored. */
  getCredentials(): Promise<Hy2ScaleCredentials | null>
  timeoutMs?: number
  tls?: HttpRequest['tls']
  log?: Logger
  /** Clock (ms), for tests. */
  now?: () => number
  /** Idle time after which the token is replaced before use (default 11 h). */
  idleReloginMs?: number
}

/** What a login tells the caller (never the token). */
export interface Hy2ScaleLoginInfo {
  /** True while the node still has the default admin/admin login: the UI should warn. */
  forcePasswordChange: boolean
}

/**
 * The login/token machinery of one HY2 SCALE node (apis.md §2 "Auth"). The token lives in this
 * closure only: it is never logged and never handed out except by {@link Hy2ScaleSession.token}
 * for building SSE URLs.
 */
export interface Hy2ScaleSession {
  /** From the last successful login; null before the first one. */
  readonly forcePasswordChange: boolean | null
  /** When the token was last accepted by the node (ms), null without a token. */
  readonly lastUsedAt: number | null
  /** True while a token is held. */
  readonly loggedIn: boolean
  /** Logs in now (a fresh token) with the stored credentials; concurrent calls share one login. */
  login(signal?: AbortSignal): Promise<Hy2ScaleLoginInfo>
  /**
   * Logs in with explicit credentials (right after a password change, before the caller has
   * stored the new ones). Later re-logins use `getCredentials()` again.
   */
  loginWith(creds: Hy2ScaleCredentials, signal?: AbortSignal): Promise<Hy2ScaleLoginInfo>
  /** The current token, logging in first if needed. Only for `?token=` SSE URLs. */
  token(signal?: AbortSignal): Promise<string>
  /**
   * Sends `req` with `Authorization: Bearer <token>` (logging in first if needed). On a 401
   * (every token dies when the node restarts) it logs in again once and retries once; a second
   * 401 is an `auth` AppError. Any other status is returned as is.
   */
  request(req: HttpRequest): Promise<HttpResponse>
  /** Drops the token (after a password change, a restore or an upgrade). */
  invalidate(): void
  /** Masks the tokens this session has held in a text (a safety net for messages). */
  redact(text: string): string
}

/** Lower-case hex sha256 of a UTF-8 text: the password form of the wire (apis.md §2 gotcha 1). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/** Creates the session of one node. */
export function createHy2ScaleSession(opts: Hy2ScaleSessionOptions): Hy2ScaleSession {
  const base = opts.baseUrl.replace(/\/+$/, '')
  const log = opts.log ?? silentLogger
  const now = opts.now ?? Date.now
  const idleMs = opts.idleReloginMs ?? DEFAULT_IDLE_RELOGIN_MS
  const serverId = opts.serverId

  let token: string | null = null
  /** Tokens held before (bounded), only to mask them in messages. */
  const seen: string[] = []
  let lastUsedAt: number | null = null
  let forcePasswordChange: boolean | null = null
  /** Bumped by invalidate(): a login that started before does not store its token. */
  let generation = 0
  let inflight: Promise<string> | null = null

  async function doLogin(creds: Hy2ScaleCredentials | null, signal?: AbortSignal) {
    if (!creds || !creds.username) {
      throw new AppErrorException(
        appError(
          'auth',
          'No user name and password are stored for this HY2 SCALE node. Enter the web UI login in the server settings.',
          { serverId },
        ),
      )
    }
    const what = 'POST /api/login'
    const ctx: ResponseContext = { serverId, what, hint: HY2SCALE_HINT }
    const hash = sha256Hex(creds.password)
    const res = await opts.http.request({
      serverId,
      method: 'POST',
      url: `${base}/api/login`,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      // apis.md §2 Auth: the password travels as sha256 hex, never in plaintext.
      body: JSON.stringify({ username: creds.username, password: hash }),
      timeoutMs: opts.timeoutMs,
      signal,
      tls: opts.tls,
    })
    if (res.status === 401) {
      throw new AppErrorException(
        appError(
          'auth',
          `The node refused the user name or password (HTTP 401 on ${what}). Enter the login of the node's web UI (default admin/admin until changed).`,
          { serverId, params: { status: 401 } },
        ),
      )
    }
    if (res.status < 200 || res.status >= 300) {
      throw hy2ScaleStatusError(res, { serverId, what }, [creds.password, hash])
    }
    const data = parseJsonBody(res, LoginResponseSchema, ctx)
    return data
  }

  function startLogin(
    getCreds: () => Promise<Hy2ScaleCredentials | null>,
    signal?: AbortSignal,
  ): Promise<string> {
    const gen = generation
    const p = (async () => {
      const data = await doLogin(await getCreds(), signal)
      if (gen === generation) {
        token = data.token
        seen.push(data.token)
        if (seen.length > 4) seen.shift()
        lastUsedAt = now()
        forcePasswordChange = data.force_password_change
        log.debug('hy2scale: logged in', { serverId, forcePasswordChange })
      }
      return data.token
    })()
    inflight = p
    const clear = () => {
      if (inflight === p) inflight = null
    }
    p.then(clear, clear)
    return p
  }

  /** Single-flight: every caller waiting for a token shares the login under way. */
  function loginShared(signal?: AbortSignal): Promise<string> {
    return inflight ?? startLogin(() => opts.getCredentials(), signal)
  }

  async function ensureToken(signal?: AbortSignal): Promise<string> {
    if (token !== null && lastUsedAt !== null && now() - lastUsedAt > idleMs) {
      // Sliding expiry (apis.md §2 Auth): idle this long, the token is about to die; replace it.
      log.debug('hy2scale: token idle, logging in again', { serverId })
      token = null
    }
    if (token !== null) return token
    return loginShared(signal)
  }

  /** Drops `used` if it is still the current token (another call may have replaced it). */
  function drop(used: string): void {
    if (token === used) {
      token = null
      lastUsedAt = null
    }
  }

  const info = (): Hy2ScaleLoginInfo => ({ forcePasswordChange: forcePasswordChange ?? false })

  return {
    get forcePasswordChange() {
      return forcePasswordChange
    },
    get lastUsedAt() {
      return lastUsedAt
    },
    get loggedIn() {
      return token !== null
    },
    async login(signal) {
      if (!inflight) token = null
      await loginShared(signal)
      return info()
    },
    async loginWith(creds, signal) {
      await startLogin(async () => creds, signal)
      return info()
    },
    token: ensureToken,
    async request(req) {
      const send = (t: string) =>
        opts.http.request({ ...req, headers: { ...req.headers, authorization: `Bearer ${t}` } })
      const first = await ensureToken(req.signal)
      let res = await send(first)
      if (res.status !== 401) {
        if (token === first) lastUsedAt = now()
        return res
      }
      // apis.md §2 gotcha 8: tokens vanish on restart/password change; log in once, retry once.
      drop(first)
      log.info('hy2scale: token refused, logging in again', { serverId })
      const second = await ensureToken(req.signal)
      res = await send(second)
      if (res.status === 401) {
        drop(second)
        const path = new URL(req.url.toString()).pathname
        throw new AppErrorException(
          appError(
            'auth',
            `The node refused a fresh session token (HTTP 401 on ${req.method} ${path} right after logging in again). A reverse proxy in front of the node may drop the Authorization header, or the node restarted again.`,
            { serverId, params: { status: 401 } },
          ),
        )
      }
      if (token === second) lastUsedAt = now()
      return res
    },
    invalidate() {
      generation++
      token = null
      lastUsedAt = null
      inflight = null
    },
    redact(text) {
      return redactSecrets(text, token ? [token, ...seen] : seen)
    },
  }
}

/** What an error is about. */
export interface Hy2ScaleErrorContext {
  serverId: string
  /** `METHOD /api/path` (no query: a query may hold secrets, e.g. the QR text). */
  what: string
}

/**
 * A non-2xx answer of the node as an AppError. The node's errors are `http.Error` plain text
 * (apis.md §2 "Response and error format"); the message is quoted with `secrets` masked.
 */
export function hy2ScaleStatusError(
  res: HttpResponse,
  ctx: Hy2ScaleErrorContext,
  secrets: ReadonlyArray<string | null | undefined> = [],
): AppErrorException {
  const status = res.status
  const text = redactSecrets(bodySnippet(res.body, 200), secrets)
  const quoted = text ? ` ("${text}")` : ''
  const extra = { serverId: ctx.serverId, params: { status, route: ctx.what } }
  const make = (code: Parameters<typeof appError>[0], message: string, retryable?: boolean) =>
    new AppErrorException(
      appError(code, message, retryable === undefined ? extra : { ...extra, retryable }),
    )
  if (status === 400) {
    return make(
      'invalid_input',
      text
        ? `The node rejected ${ctx.what}: ${text}`
        : `The node rejected ${ctx.what} (HTTP 400) without saying why.`,
    )
  }
  if (status === 401) {
    return make('auth', `The node refused the session for ${ctx.what} (HTTP 401).`)
  }
  if (status === 403) {
    return make(
      'http_status',
      `The node refused ${ctx.what} (HTTP 403)${quoted}. It lacks a capability for it (e.g. NET_ADMIN for L2TP/IKEv2), the feature needs the Docker image, or a password was wrong.`,
    )
  }
  if (status === 404) {
    // Go's mux answers an unknown path with exactly this text (apis.md §2 Transport).
    if (text === '404 page not found') {
      return make(
        'not_found',
        `The node does not know ${ctx.what} (HTTP 404): its HY2 SCALE version may lack this route, or the base path is wrong. ${HY2SCALE_HINT}`,
      )
    }
    return make('not_found', `${ctx.what}: the node found nothing${quoted} (HTTP 404).`)
  }
  if (status === 405) {
    return make(
      'unsupported',
      `This node's version does not support ${ctx.what} (HTTP 405 method not allowed). Upgrade HY2 SCALE on the node.`,
    )
  }
  if (status === 502) {
    return make(
      'http_status',
      `${ctx.what} failed with HTTP 502${quoted}. The node could not reach GitHub for release information (or a proxy in front of the node failed); check the node's internet access and try again later.`,
      true,
    )
  }
  if (status >= 500) {
    return make(
      'http_status',
      `${ctx.what} failed on the node with HTTP ${status}${quoted}. Try again later; if it persists, check the node's log.`,
      true,
    )
  }
  if (status >= 300 && status < 400) {
    const location = res.headers['location']
    const to = typeof location === 'string' ? ` to ${location.split('?')[0] ?? ''}` : ''
    return make(
      'http_status',
      `The node redirected ${ctx.what} (HTTP ${status}${to}) instead of answering. ${HY2SCALE_HINT}`,
    )
  }
  return make('http_status', `${ctx.what} failed with HTTP ${status}${quoted}.`)
}
