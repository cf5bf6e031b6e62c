import type { z } from 'zod'
import { AppErrorException, appError, type AppError } from '../../../../shared/contract'
import { redactSecrets, redactUrl } from '../../util/redact'
import type { Logger } from '../../util/logger'
import {
  bodySnippet,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
} from '../http/http-client'
import { parseJsonBody, statusError, type ResponseContext } from '../http/responses'
import {
  MuNodeUserWireSchema,
  MuRetSchema,
  MuUserWireSchema,
  isRet0,
  listEnvelope,
  toMuNodeUser,
  toMuUser,
  type MuNodeUser,
  type MuUser,
} from './schema'

export type { MuNodeUser, MuUser } from './schema'

/** Size cap of the user lists (a big panel: ~1 KB per user on master, tens of thousands of users). */
export const MU_LIST_MAX_BYTES = 64 * 1024 * 1024
/** Size cap of a report's answer (`{"ret":1,"msg":"ok"}`). */
export const MU_REPORT_MAX_BYTES = 64 * 1024

const HINT =
  "Check that the URL is the Mu API of an ss-panel (it ends in /mu/v2, e.g. https://panel.example/mu/v2), not the panel's web page or a login portal."

/** Where the key goes (apis.md §4 "Mounting and auth": `Key`, then `Token`, then `?key=`). */
export interface MuKeyPlacement {
  /** `header` (default) or `query` (`?key=`: only when the admin chooses it; it ends up in access logs). */
  keyIn?: 'header' | 'query'
  /** The header, when `keyIn` is `header`: `Token` (default, the wiki's and v3's) or `Key` (master). */
  keyHeader?: 'Token' | 'Key'
}

/** Options of {@link createMuApiClient}. */
export interface MuApiClientOptions extends MuKeyPlacement {
  serverId: string
  /** The panel's Mu API URL including the mount, e.g. `https://panel.example/mu/v2`. */
  baseUrl: string
  http: HttpClient
  /** The mu key (`muKey` in v3's `.env`, `MuKey` in master's config), read at every call. */
  getKey(): Promise<string | null>
  /** Deadline of one call (the HTTP layer's default when absent). */
  timeoutMs?: number
  /** Cap of the user lists (default {@link MU_LIST_MAX_BYTES}). */
  maxListBytes?: number
  tls?: HttpRequest['tls']
  log?: Logger
}

/** One user's traffic since the last report, raw bytes (the panel applies the node's rate). */
export interface MuTraffic {
  /** Bytes the client uploaded (sent through the node). */
  u: number
  /** Bytes the client downloaded. */
  d: number
}

/** One item of a per-node batch. */
export interface MuUserTraffic extends MuTraffic {
  userId: number
}

/** What a node reports about itself (`POST /nodes/{id}/info`). */
export interface MuNodeInfo {
  /** The load average as the node reads it, e.g. `0.52 0.58 0.59` (sent as given). */
  load: string | number
  /** Uptime, seconds. */
  uptime: number
}

/**
 * Whether a failed report may still have been recorded by the panel, from the AppError's
 * `params.applied` (reports only): `no` = refused before or without recording (401, 400, 404,
 * `ret:0`, connection refused, TLS); `unknown` = the request may have reached the panel (timeout,
 * dropped connection, a 5xx in the middle of a batch, a 200 that is not the panel's JSON).
 */
export type MuReportApplied = 'no' | 'unknown'

/** `params.applied` of an error thrown by a report; null when not a report error. */
export function muReportApplied(err: unknown): MuReportApplied | null {
  const e = err instanceof AppErrorException ? err.appError : (err as AppError | null)
  const v = e?.params?.applied
  return v === 'no' || v === 'unknown' ? v : null
}

/** One request of the client. */
interface Call {
  method: 'GET' | 'POST'
  /** Path under the base, e.g. `/nodes/1/traffic`. */
  path: string
  /** A form-encoded body. */
  form?: Record<string, string>
  /** A raw JSON body. */
  json?: string
  maxBytes: number
  /** A report: errors carry `params.applied`. */
  report: boolean
  signal?: AbortSignal
}

/** Network failures after which the request surely never reached the panel. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_NODEDECK_PIN_MISMATCH',
])

/**
 * A client of the Mu API v2 of an ss-panel (apis.md §4), the API Shadowsocks nodes poll for
 * their users and report traffic to. Not wired into the app yet.
 *
 * - Key: the `Token` header by default, the `Key` header or `?key=` when chosen; never logged or
 *   quoted (URLs are redacted, panel text is scrubbed). 401 is explained from its body.
 * - Lists accept both envelopes (`{msg,data}` / `{data}`) and every typing of the numbers.
 * - Reports: HTTP status is the panel's first signal, but a 200 with `ret:0` is a failure too
 *   (how `online_count` / `info` fail), and so is a 200 that is not JSON. Every report error
 *   carries `params.applied` ({@link muReportApplied}) for callers that must not lose or double bytes.
 * - Traffic is reported as raw bytes from the client's point of view (`u` = upload); the panel
 *   multiplies by the node's `traffic_rate` itself.
 */
export function createMuApiClient(opts: MuApiClientOptions) {
  const base = opts.baseUrl.replace(/\/+$/, '')
  const serverId = opts.serverId
  const keyIn = opts.keyIn ?? 'header'
  const keyHeader = opts.keyHeader ?? 'Token'
  const maxListBytes = opts.maxListBytes ?? MU_LIST_MAX_BYTES
  const log = opts.log
  const host = (() => {
    try {
      return new URL(base).host
    } catch {
      return base
    }
  })()

  const fail = (
    code: AppError['code'],
    message: string,
    extra: { retryable?: boolean; params?: AppError['params'] } = {},
  ): AppErrorException => new AppErrorException(appError(code, message, { serverId, ...extra }))

  async function readKey(): Promise<string> {
    const key = await opts.getKey()
    if (!key) {
      throw fail(
        'auth',
        `No mu key is stored for the panel at ${host}. Enter the panel's mu key (muKey in ss-panel v3's .env, MuKey in master's config).`,
      )
    }
    if (keyIn === 'header' && /[^\x20-\x7e\x80-\xff]|^\s|\s$/.test(key)) {
      throw fail(
        'invalid_input',
        `The stored mu key of the panel at ${host} has characters an HTTP header cannot carry (control characters, leading or trailing blanks, or non-Latin-1 text). Enter the key again, or have it sent as ?key=.`,
      )
    }
    return key
  }

  /** The panel's `msg` (or body text) for a message, scrubbed of the key. */
  function panelText(res: HttpResponse, key: string): string {
    let text: string
    try {
      const v = JSON.parse(res.body.toString('utf8')) as unknown
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && 'msg' in v) {
        const msg = (v as { msg: unknown }).msg
        text = typeof msg === 'string' ? msg : JSON.stringify(msg)
      } else {
        text = bodySnippet(res.body, 160)
      }
    } catch {
      text = bodySnippet(res.body, 160)
    }
    text = text.replace(/\s+/g, ' ').trim()
    if (text.length > 160) text = `${text.slice(0, 160)}…`
    return redactSecrets(text, [key])
  }

  function unauthorized(res: HttpResponse, key: string, what: string, extra: AppError['params']) {
    const msg = panelText(res, key)
    const params = { status: 401, ...extra }
    const keyAdvice =
      "Enter the panel's exact mu key (muKey in ss-panel v3's .env, MuKey in master's config)."
    if (/key is null/i.test(msg)) {
      const where =
        keyIn === 'query' || keyHeader !== 'Token'
          ? `It was sent ${keyIn === 'query' ? 'as ?key=' : `in the ${keyHeader} header`}, but this panel reads it only from the Token header (ss-panel v3): send it in the Token header.`
          : 'It was sent in the Token header: a proxy in front of the panel may drop that header; check the proxy, or send the key as ?key= (ss-panel master).'
      return fail(
        'auth',
        `The panel at ${host} received no key for ${what} (HTTP 401 "key is null"). ${where}`,
        {
          params,
        },
      )
    }
    if (/invalid/i.test(msg)) {
      return fail(
        'auth',
        `The panel at ${host} refused the mu key (HTTP 401 "token is invalid"). ${keyAdvice}`,
        {
          params,
        },
      )
    }
    return fail(
      'auth',
      `The panel at ${host} refused the mu key (HTTP 401). Either the key is wrong or the panel did not find it where it looks (ss-panel master: the Key header, then Token, then ?key=). ${keyAdvice}`,
      { params },
    )
  }

  /** Adds `params.applied` to a report's error and masks the key in its message. */
  function finishError(err: unknown, key: string | null, applied: MuReportApplied | null): unknown {
    if (!(err instanceof AppErrorException)) return err
    const e = err.appError
    const message = key ? redactSecrets(e.message, [key]) : e.message
    if (message === e.message && (applied === null || e.params?.applied !== undefined)) return err
    const params =
      applied === null || e.params?.applied !== undefined ? e.params : { ...e.params, applied }
    const next = new AppErrorException({ ...e, message, ...(params ? { params } : {}) })
    next.stack = err.stack
    return next
  }

  /** Whether a failure of the HTTP layer (no status) may have let the request reach the panel. */
  function appliedAfterTransportError(err: unknown): MuReportApplied {
    if (!(err instanceof AppErrorException)) return 'unknown'
    const e = err.appError
    if (e.code === 'tls' || e.code === 'auth' || e.code === 'invalid_input') return 'no'
    const code = e.params?.code
    return typeof code === 'string' && NOT_SENT_CODES.has(code) ? 'no' : 'unknown'
  }

  /** Sends one call; non-2xx answers become AppErrors; returns the 2xx answer. */
  async function send(c: Call): Promise<{ res: HttpResponse; ctx: ResponseContext; key: string }> {
    const what = `${c.method} ${c.path}`
    let key: string | null = null
    try {
      key = await readKey()
      let url: URL
      try {
        url = new URL(base + c.path)
      } catch {
        throw fail('invalid_input', `The Mu API URL of this panel is not a valid URL. ${HINT}`)
      }
      const headers: Record<string, string> = { accept: 'application/json' }
      if (keyIn === 'query') url.searchParams.set('key', key)
      else headers[keyHeader] = key
      let body: string | undefined
      if (c.form) {
        headers['content-type'] = 'application/x-www-form-urlencoded'
        body = new URLSearchParams(c.form).toString()
      } else if (c.json !== undefined) {
        headers['content-type'] = 'application/json'
        body = c.json
      }
      log?.debug('muapi: request', { serverId, method: c.method, url: redactUrl(url) })
      let res: HttpResponse
      try {
        res = await opts.http.request({
          serverId,
          method: c.method,
          url,
          headers,
          body,
          timeoutMs: opts.timeoutMs,
          maxBytes: c.maxBytes,
          signal: c.signal,
          tls: opts.tls,
        })
      } catch (err) {
        throw finishError(err, key, c.report ? appliedAfterTransportError(err) : null)
      }
      const ctx: ResponseContext = { serverId, what: `${what} on the panel at ${host}`, hint: HINT }
      const rp = (applied: MuReportApplied): AppError['params'] => (c.report ? { applied } : {})
      if (res.status === 401) throw unauthorized(res, key, what, rp('no'))
      if (res.status === 404 || res.status === 405) {
        throw fail(
          res.status === 404 ? 'not_found' : 'unsupported',
          `The panel at ${host} has no ${what} (HTTP ${res.status}). ${HINT}${c.path === '/users' ? '' : " If listing users works, this panel's version lacks this route."}`,
          { params: { status: res.status, ...rp('no') } },
        )
      }
      if (res.status === 400) {
        const msg = panelText(res, key)
        throw fail(
          'http_status',
          `The panel at ${host} refused ${what} (HTTP 400${msg ? ` "${msg}"` : ''}). Nothing was recorded; check that the ids exist in the panel and try again.`,
          { retryable: true, params: { status: 400, ...rp('no') } },
        )
      }
      if (res.status < 200 || res.status >= 300) {
        const err = statusError(
          res,
          ctx,
          res.status >= 500
            ? "The panel failed (a PHP error: often an id it does not know). Check the panel's log; NodeDeck will try again."
            : 'Check the URL and the panel.',
        )
        throw finishError(err, key, c.report ? (res.status >= 500 ? 'unknown' : 'no') : null)
      }
      return { res, ctx, key }
    } catch (err) {
      // Errors without `applied` by now were raised before anything was sent.
      throw finishError(err, key, c.report ? 'no' : null)
    }
  }

  async function list<T extends z.ZodType>(path: string, item: T, signal?: AbortSignal) {
    const { res, ctx, key } = await send({
      method: 'GET',
      path,
      maxBytes: maxListBytes,
      report: false,
      signal,
    })
    const env = parseJsonBody(res, listEnvelope(item), ctx)
    if (isRet0(env.ret)) {
      const msg = panelText(res, key)
      throw fail(
        'http_status',
        `The panel at ${host} refused GET ${path} ("${msg || 'ret 0'}", HTTP 200 with ret 0). Check the panel's log.`,
        { retryable: true, params: { status: 200, ret: 0 } },
      )
    }
    return env.data as z.output<T>[]
  }

  /** Sends a report and checks its `{"ret":1,"msg":"ok"}`. */
  async function report(c: Omit<Call, 'maxBytes' | 'report'>): Promise<void> {
    const { res, ctx, key } = await send({ ...c, maxBytes: MU_REPORT_MAX_BYTES, report: true })
    let answer
    try {
      answer = parseJsonBody(res, MuRetSchema, ctx)
    } catch (err) {
      // A PHP notice printed before the JSON, or a portal page: the panel may have recorded it.
      throw finishError(err, key, 'unknown')
    }
    if (isRet0(answer.ret)) {
      const msg = panelText(res, key)
      throw fail(
        'http_status',
        `The panel at ${host} refused ${c.method} ${c.path} ("${msg || 'ret 0'}", HTTP 200 with ret 0). Nothing was recorded; NodeDeck will try again. If it persists, check that the node exists in the panel and the panel's log.`,
        { retryable: true, params: { status: 200, ret: 0, applied: 'no' } },
      )
    }
  }

  function requireId(v: number, what: string): string {
    if (!Number.isSafeInteger(v) || v <= 0) {
      throw fail('invalid_input', `${what} must be a positive whole number (got ${String(v)}).`)
    }
    return String(v)
  }

  function requireBytes(v: number, what: string): string {
    if (!Number.isSafeInteger(v) || v < 0) {
      throw fail('invalid_input', `${what} must be a whole number of bytes ≥ 0 (got ${String(v)}).`)
    }
    return String(v)
  }

  return {
    /** The panel's host (for messages). */
    host,

    /** `GET /users`: every user of the panel. */
    async listUsers(signal?: AbortSignal): Promise<MuUser[]> {
      const rows = await list('/users', MuUserWireSchema, signal)
      return rows.map(toMuUser)
    },

    /** `GET /nodes/{id}/users`: the users a node serves, with their V2Ray identity. */
    async nodeUsers(nodeId: number, signal?: AbortSignal): Promise<MuNodeUser[]> {
      const id = requireId(nodeId, 'The node id')
      const rows = await list(`/nodes/${id}/users`, MuNodeUserWireSchema, signal)
      return rows.map(toMuNodeUser)
    },

    /**
     * `POST /users/{id}/traffic`, form `u`, `d`, `node_id`: one user's raw bytes since the last
     * report (`u` = client upload). The panel adds `u*rate`, `d*rate` and sets the last use.
     */
    async reportUserTraffic(
      userId: number,
      traffic: MuTraffic,
      nodeId: number,
      signal?: AbortSignal,
    ): Promise<void> {
      const id = requireId(userId, 'The user id')
      const form = {
        u: requireBytes(traffic.u, 'u (upload)'),
        d: requireBytes(traffic.d, 'd (download)'),
        node_id: requireId(nodeId, 'The node id'),
      }
      return report({ method: 'POST', path: `/users/${id}/traffic`, form, signal })
    },

    /**
     * `POST /nodes/{id}/traffic`, a raw JSON array `[{"user_id","u","d"}…]`: many users' raw bytes
     * in one request (`u` = client upload). The panel applies the node's rate.
     */
    async reportNodeTraffic(
      nodeId: number,
      items: readonly MuUserTraffic[],
      signal?: AbortSignal,
    ): Promise<void> {
      const id = requireId(nodeId, 'The node id')
      const wire = items.map((it, i) => ({
        user_id: Number(requireId(it.userId, `The user id of item ${i}`)),
        u: Number(requireBytes(it.u, `u (upload) of item ${i}`)),
        d: Number(requireBytes(it.d, `d (download) of item ${i}`)),
      }))
      return report({
        method: 'POST',
        path: `/nodes/${id}/traffic`,
        json: JSON.stringify(wire),
        signal,
      })
    },

    /** `POST /nodes/{id}/online_count`, form `count`: users online on the node. */
    async reportOnline(nodeId: number, count: number, signal?: AbortSignal): Promise<void> {
      const id = requireId(nodeId, 'The node id')
      if (!Number.isSafeInteger(count) || count < 0) {
        throw fail(
          'invalid_input',
          `The online count must be a whole number ≥ 0 (got ${String(count)}).`,
        )
      }
      return report({
        method: 'POST',
        path: `/nodes/${id}/online_count`,
        form: { count: String(count) },
        signal,
      })
    },

    /** `POST /nodes/{id}/info`, form `load`, `uptime` (a report, not a read). */
    async reportNodeInfo(nodeId: number, info: MuNodeInfo, signal?: AbortSignal): Promise<void> {
      const id = requireId(nodeId, 'The node id')
      if (!Number.isFinite(info.uptime) || info.uptime < 0) {
        throw fail(
          'invalid_input',
          `The uptime must be a number of seconds ≥ 0 (got ${String(info.uptime)}).`,
        )
      }
      if (typeof info.load === 'number' && !Number.isFinite(info.load)) {
        throw fail('invalid_input', `The load must be a number or text (got ${String(info.load)}).`)
      }
      return report({
        method: 'POST',
        path: `/nodes/${id}/info`,
        form: { load: String(info.load), uptime: String(info.uptime) },
        signal,
      })
    },
  }
}

export type MuApiClient = ReturnType<typeof createMuApiClient>
