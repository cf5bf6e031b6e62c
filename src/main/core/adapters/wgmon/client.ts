import type { z } from 'zod'
import { AppErrorException, appError } from '../../../../shared/contract'
import {
  bodySnippet,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
} from '../http/http-client'
import { parseJsonBody, type ResponseContext } from '../http/responses'
import { createSerialQueue, type SerialQueue } from './queue'
import {
  ChartSeedSchema,
  ChartUpstreamSchema,
  CreateResultSchema,
  DashboardSeedSchema,
  DashboardUpstreamSchema,
  ErrorBodySchema,
  EventHistorySchema,
  EventListSchema,
  ManagementSchema,
  ResultSchema,
  StatusSchema,
  UserListSchema,
  type EventWire,
  type ManagedUserWire,
  type PaginationWire,
  type UserRowWire,
} from './schema'

const HINT =
  'Check that the URL points at the WireGuard monitor API (port 8000 by default), not at the WireGuard port or another service.'

// ---- domain objects (CLIENT's view: up = the client's upload, down = its download) --------------

/**
 * A WireGuard monitor user. Byte counters are the CLIENT's view: `up` = what the client sent
 * (the server's `rx`), `down` = what it received (the server's `tx`). Unknown numbers are null.
 * Times are the server's local time `YYYY-MM-DD HH:MM:SS` as sent (no zone).
 */
export interface WgMonUser {
  id: number
  publicKey: string | null
  /** The tunnel address (`client_ip`); null when the server does not report it (seed doc). */
  clientIp: string | null
  nickname: string | null
  email: string | null
  phone: string | null
  loginIp: string | null
  /** KB/s; 0 = no limit (upstream's meaning); null = not reported. */
  bandwidthLimitKBps: number | null
  /** MB; 0 = no limit; null = not reported. */
  dataLimitMb: number | null
  expiryDate: string | null
  /** `status`: last handshake within the server's handshake timeout; null = not reported. */
  online: boolean | null
  enabled: boolean | null
  /** Total client upload, bytes (server `total_rx`; grows when a session closes). */
  up: number | null
  /** Total client download, bytes (server `total_tx`). */
  down: number | null
  lastLogin: string | null
  note: string | null
  createdAt: string | null
  updatedAt: string | null
}

/** A user of the management view: the row plus its open session. */
export interface WgMonManagedUser extends WgMonUser {
  /** `is_online`: an open session exists. */
  inSession: boolean | null
  sessionStart: string | null
  /** Client upload in the open session (server `session_rx`); null without one. */
  sessionUp: number | null
  /** Client download in the open session (server `session_tx`). */
  sessionDown: number | null
}

export interface WgMonPagination {
  page: number
  perPage: number
  total: number
  totalPages: number
  hasNext: boolean
  hasPrev: boolean
  /** False when the server sent a bare list (seed doc) and the client cut the page itself. */
  serverSide: boolean
}

export type WgMonUserStatusFilter = 'all' | 'online' | 'offline' | 'enabled' | 'disabled'

export interface WgMonManagementQuery {
  /** 1-based (default 1). */
  page?: number
  /** 1–100 (default 50; the server caps it at 100). */
  perPage?: number
  /** Matches nickname, mail or public key (SQL LIKE, case-insensitive). */
  search?: string
  status?: WgMonUserStatusFilter
}

export interface WgMonManagementPage {
  users: WgMonManagedUser[]
  pagination: WgMonPagination
}

/** A session event. */
export interface WgMonEvent {
  id: number
  userId: number | null
  nickname: string | null
  /** Shortened key (16 chars + "...") or null when the server said "Unknown". */
  publicKeyShort: string | null
  startTime: string | null
  /** Null while the session is open. */
  endTime: string | null
  lastUpdate: string | null
  /** Client upload in the session (server `session_rx`). */
  up: number | null
  /** Client download in the session (server `session_tx`). */
  down: number | null
  /** Null while the session is open (the server sends 0 then). */
  durationSeconds: number | null
  /** `ip:port` the peer connects from. */
  endpoint: string | null
  online: boolean | null
}

export type WgMonEventStatusFilter = 'all' | 'online' | 'offline'

export interface WgMonHistoryQuery {
  page?: number
  perPage?: number
  userId?: number
  status?: WgMonEventStatusFilter
}

export interface WgMonHistoryPage {
  events: WgMonEvent[]
  pagination: WgMonPagination
}

export interface WgMonStatus {
  interface: string | null
  /** `system.status === "running"` (`"error"` when `wg` fails); null = not reported. */
  running: boolean | null
  maxHandshakeAgeSeconds: number | null
  /** `users.total`: upstream counts ENABLED users here. */
  enabledUsers: number | null
  onlineUsers: number | null
  activeSessions: number | null
  /** Server local time. */
  timestamp: string | null
}

export interface WgMonDashboard {
  /** Which shape the server sent. */
  shape: 'upstream' | 'seed'
  registeredUsers: number | null
  enabledUsers: number | null
  onlineUsers: number | null
  activeSessions: number | null
  /** Client upload of all users, bytes (server rx; the upstream calls it "download"). */
  totalUp: number | null
  /** Client download of all users, bytes (server tx; the upstream calls it "upload"). */
  totalDown: number | null
  todayUp: number | null
  todayDown: number | null
  todaySessions: number | null
  uptimeHours: number | null
  /** Seed shape only: the first session's start. */
  uptimeStart: string | null
}

export interface WgMonChartPoint {
  /** `YYYY-MM-DD`. */
  date: string
  /** Client upload that day (server rx). */
  up: number | null
  /** Client download that day (server tx). */
  down: number | null
  sessions: number | null
}

export interface WgMonChart {
  shape: 'upstream' | 'seed'
  /** The range asked for. */
  days: number
  points: WgMonChartPoint[]
  startDate: string | null
  endDate: string | null
}

export type WgMonAction = 'enable' | 'disable' | 'reset' | 'kick'

export interface WgMonActionResult {
  /** False when the server answered `status: "info"` (kick of a user who is not online). */
  changed: boolean
  /** The server's message (Chinese upstream), for display. */
  message: string | null
}

export interface WgMonUserInput {
  nickname?: string
  email?: string
  phone?: string
  /** KB/s; 0 = no limit. */
  bandwidthLimitKBps?: number
  /** MB; 0 = no limit. */
  dataLimitMb?: number
  /** `YYYY-MM-DD HH:MM:SS` (server local time). */
  expiryDate?: string
  note?: string
}

export interface WgMonCreateInput extends WgMonUserInput {
  /** The client's WireGuard public key (44-char base64). */
  publicKey: string
}

export interface WgMonUpdateInput extends WgMonUserInput {
  enabled?: boolean
}

export interface WgMonCreated {
  id: number
  clientIp: string | null
  message: string | null
  /** The route that created it. */
  route: WgMonCreateRoute
}

/** `upstream` = `POST /api/users`; `seed` = the seed doc's `POST /api/users/create`. */
export type WgMonCreateRoute = 'upstream' | 'seed'
const CREATE_PATH: Record<WgMonCreateRoute, string> = {
  upstream: '/api/users',
  seed: '/api/users/create',
}
const other = (r: WgMonCreateRoute): WgMonCreateRoute => (r === 'upstream' ? 'seed' : 'upstream')

export interface WgMonClientOptions {
  serverId: string
  /** e.g. `http://host:8000`. */
  baseUrl: string
  http: HttpClient
  /** Deadline of one request, counted from when it is sent (the HTTP layer's default if absent). */
  timeoutMs?: number
  /** The most a request waits for its turn in the client's queue (ms, default 30 s). */
  queueWaitMs?: number
  /** A queue shared by several clients of the same server (default: the client's own). */
  queue?: SerialQueue
  /** The configured or previously learned create route (default `upstream`). */
  createRoute?: WgMonCreateRoute
  /** Called when a create succeeded on a route, so the caller can store it. */
  onCreateRouteLearned?: (route: WgMonCreateRoute) => void
  tls?: HttpRequest['tls']
}

interface Call {
  method: HttpRequest['method']
  path: string
  query?: Record<string, string>
  json?: unknown
  signal?: AbortSignal
}

/**
 * A client of the WireGuard monitor (apis.md §5): no auth, JSON both ways, and ONE request at a
 * time: every call goes through a FIFO (`queue.ts`); its deadline starts when it is sent.
 *
 * Accepts both the upstream shapes and the seed doc's (bare arrays, the flat dashboard, the
 * bare chart), and returns the CLIENT's view of traffic (`up` = server rx, `down` = server tx).
 * Errors: 400 → `invalid_input` quoting the server, missing user → `not_found`, an HTML 404 →
 * `not_found` naming the route, 5xx → retryable `http_status`, an empty body or a wrong shape →
 * `bad_payload`; each names the server (serverId) and what to do.
 */
export function createWgMonClient(opts: WgMonClientOptions) {
  const base = opts.baseUrl.replace(/\/+$/, '')
  const serverId = opts.serverId
  const queue = opts.queue ?? createSerialQueue({ serverId, maxWaitMs: opts.queueWaitMs })
  let createRoute: WgMonCreateRoute = opts.createRoute ?? 'upstream'
  /** True once a create succeeded on `createRoute` in this client's life. */
  let createRouteConfirmed = false

  const fail = (
    code: Parameters<typeof appError>[0],
    message: string,
    params?: Record<string, string | number | boolean | null>,
  ): AppErrorException => new AppErrorException(appError(code, message, { serverId, params }))

  /** Sends one call through the queue; the answer's status is checked, the body is not. */
  async function send(call: Call): Promise<{ res: HttpResponse; ctx: ResponseContext }> {
    const url = new URL(base + call.path)
    for (const [k, v] of Object.entries(call.query ?? {})) url.searchParams.set(k, v)
    const what = `${call.method} ${call.path}`
    const ctx: ResponseContext = { serverId, what, hint: HINT }
    const headers: Record<string, string> = { accept: 'application/json' }
    let body: string | undefined
    if (call.json !== undefined) {
      headers['content-type'] = 'application/json'
      body = JSON.stringify(call.json)
    }
    const res = await queue.run(
      () =>
        opts.http.request({
          serverId,
          method: call.method,
          url,
          headers,
          body,
          timeoutMs: opts.timeoutMs,
          signal: call.signal,
          tls: opts.tls,
        }),
      what,
      call.signal,
    )
    if (res.status < 200 || res.status >= 300) throw statusError(res, ctx)
    if (res.body.length === 0) {
      throw fail(
        'bad_payload',
        `${what} got an empty answer (HTTP ${res.status}, no body), which is not a result. The monitor may have failed mid-request; check its log and try again. ${HINT}`,
        { status: res.status },
      )
    }
    return { res, ctx }
  }

  /** The server's `{"error": …}` text, or a snippet of whatever it sent. */
  function serverText(res: HttpResponse): string {
    try {
      const parsed = ErrorBodySchema.safeParse(JSON.parse(res.body.toString('utf8')))
      if (parsed.success) return parsed.data.error
    } catch {
      // not JSON
    }
    return bodySnippet(res.body, 160)
  }

  function statusError(res: HttpResponse, ctx: ResponseContext): AppErrorException {
    const text = serverText(res)
    const quoted = text ? ` ("${text}")` : ''
    const params = { status: res.status }
    const type = String(res.headers['content-type'] ?? '').toLowerCase()
    if (res.status === 404) {
      return fail(
        'not_found',
        `${ctx.what} is not a route of this server (HTTP 404${type.includes('html') ? ', an HTML error page' : ''}). ${HINT}`,
        params,
      )
    }
    if (res.status === 400) {
      return fail(
        'invalid_input',
        `The WireGuard monitor refused ${ctx.what} (HTTP 400)${quoted}. Correct the input and try again.`,
        params,
      )
    }
    if (res.status === 501) {
      return fail(
        'unsupported',
        `The WireGuard monitor does not support ${ctx.what} (HTTP 501)${quoted}.`,
        params,
      )
    }
    return new AppErrorException(
      appError(
        'http_status',
        `${ctx.what} failed with HTTP ${res.status}${quoted}. ${res.status >= 500 ? 'The monitor hit an internal error (a busy database or a failing `wg` command); try again later and check its log.' : HINT}`,
        { serverId, retryable: res.status >= 500, params },
      ),
    )
  }

  async function json<S extends z.ZodType>(call: Call, schema: S): Promise<z.output<S>> {
    const { res, ctx } = await send(call)
    return parseJsonBody(res, schema, ctx)
  }

  /** A body that must be JSON (any shape) and is checked by the caller. */
  async function rawJson(
    call: Call,
  ): Promise<{ value: unknown; res: HttpResponse; ctx: ResponseContext }> {
    const { res, ctx } = await send(call)
    let value: unknown
    try {
      value = JSON.parse(res.body.toString('utf8'))
    } catch {
      throw fail(
        'bad_payload',
        `The answer to ${ctx.what} is not JSON ("${bodySnippet(res.body, 80)}"). ${HINT}`,
      )
    }
    return { value, res, ctx }
  }

  function requireId(userId: number, what: string): void {
    if (!Number.isSafeInteger(userId) || userId < 0) {
      throw fail(
        'invalid_input',
        `${what} needs a user id (a whole number ≥ 0), not ${String(userId)}.`,
      )
    }
  }

  function pageArgs(page: number | undefined, perPage: number | undefined) {
    const p = page ?? 1
    const pp = perPage ?? 50
    if (!Number.isSafeInteger(p) || p < 1)
      throw fail('invalid_input', `The page must be 1 or more, not ${String(p)}.`)
    // per_page=0 makes upstream fail with "integer division or modulo by zero"
    if (!Number.isSafeInteger(pp) || pp < 1 || pp > 100) {
      throw fail('invalid_input', `The page size must be 1–100, not ${String(pp)}.`)
    }
    return { page: p, perPage: pp }
  }

  async function doAction(userId: number, action: WgMonAction, signal?: AbortSignal) {
    requireId(userId, `The ${action} action`)
    const r = await json(
      { method: 'GET', path: `/api/users/${userId}/${action}`, signal },
      ResultSchema,
    )
    return checkResult(r, `GET /api/users/${userId}/${action}`)
  }

  function checkResult(r: z.output<typeof ResultSchema>, what: string): WgMonActionResult {
    if (r.status === 'success') return { changed: true, message: r.message }
    if (r.status === 'info') return { changed: false, message: r.message }
    throw fail(
      'bad_payload',
      `The answer to ${what} has status "${r.status}"${r.message ? ` ("${r.message}")` : ''}, not "success". ${HINT}`,
    )
  }

  /** An error for a create that got an empty reply or none at all on `route`. */
  function noCreateReply(route: WgMonCreateRoute, kind: 'empty' | 'none'): AppErrorException {
    const path = CREATE_PATH[route]
    const alt = CREATE_PATH[other(route)]
    const got = kind === 'empty' ? 'an empty reply' : 'no reply at all'
    const advice =
      route === 'seed'
        ? `The upstream WireGuard monitor has no ${path} route and closes such a request without answering (apis.md §5 gotcha 1): the user was most likely NOT created. Its create route is POST ${alt}; NodeDeck will use that next time. Try again.`
        : `The user may or may not have been created: check the users list before trying again. If this server follows the seed doc, its create route is POST ${alt}.`
    return fail(
      'bad_payload',
      `Creating a user with POST ${path} got ${got}, which is not a success. ${advice}`,
      {
        route: path,
      },
    )
  }

  async function createOn(
    route: WgMonCreateRoute,
    body: Record<string, unknown>,
    signal?: AbortSignal,
  ) {
    const path = CREATE_PATH[route]
    try {
      const { res, ctx } = await send({ method: 'POST', path, json: body, signal })
      const r = parseJsonBody(res, CreateResultSchema, ctx)
      if (r.status !== 'success') {
        throw fail(
          'bad_payload',
          `The answer to POST ${path} has status "${r.status}", not "success". ${HINT}`,
        )
      }
      return r
    } catch (err) {
      if (!(err instanceof AppErrorException)) throw err
      const e = err.appError
      if (e.code === 'bad_payload' && /got an empty answer/.test(e.message)) {
        throw noCreateReply(route, 'empty')
      }
      // the server closed the connection without a byte (undici: "other side closed")
      if (e.code === 'network' && /closed before a complete answer/.test(e.message)) {
        throw noCreateReply(route, 'none')
      }
      throw err
    }
  }

  return {
    /** The create route the next `createUser` tries first. */
    get createRoute(): WgMonCreateRoute {
      return createRoute
    },
    /** Requests waiting for their turn (the one in progress not counted). */
    get queued(): number {
      return queue.waiting
    },

    /** `GET /api/users`: every user (the wrapped list upstream, a bare array in the seed doc). */
    async users(signal?: AbortSignal): Promise<WgMonUser[]> {
      const rows = await json({ method: 'GET', path: '/api/users', signal }, UserListSchema)
      return rows.map(toUser)
    },

    /**
     * `GET /api/users/management`: a page of users with their open sessions, filtered by `search`
     * and `status`. A server that sends a bare list (seed doc: filtered but not paged) is paged
     * here (`pagination.serverSide: false`).
     */
    async management(
      q: WgMonManagementQuery = {},
      signal?: AbortSignal,
    ): Promise<WgMonManagementPage> {
      const { page, perPage } = pageArgs(q.page, q.perPage)
      const query: Record<string, string> = { page: String(page), per_page: String(perPage) }
      if (q.search) query.search = q.search
      query.status = q.status ?? 'all'
      const r = await json(
        { method: 'GET', path: '/api/users/management', query, signal },
        ManagementSchema,
      )
      const users = r.users.map(toManagedUser)
      if (r.pagination)
        return { users, pagination: toPagination(r.pagination, page, perPage, users.length) }
      return pageLocally(users, page, perPage, (items, pagination) => ({
        users: items,
        pagination,
      }))
    },

    /** `GET /api/events`: the latest event per user (online first, at most 100). */
    async events(signal?: AbortSignal): Promise<WgMonEvent[]> {
      const list = await json({ method: 'GET', path: '/api/events', signal }, EventListSchema)
      return list.map(toEvent)
    },

    /** `GET /api/events/history`: session events, newest first, paged and filtered. */
    async eventHistory(q: WgMonHistoryQuery = {}, signal?: AbortSignal): Promise<WgMonHistoryPage> {
      const { page, perPage } = pageArgs(q.page, q.perPage)
      const query: Record<string, string> = { page: String(page), per_page: String(perPage) }
      if (q.userId !== undefined) {
        requireId(q.userId, 'The event history filter')
        query.user_id = String(q.userId)
      }
      query.status = q.status ?? 'all'
      const r = await json(
        { method: 'GET', path: '/api/events/history', query, signal },
        EventHistorySchema,
      )
      let events = r.events.map(toEvent)
      if (r.pagination) {
        return { events, pagination: toPagination(r.pagination, page, perPage, events.length) }
      }
      // a bare list: apply the filters too (harmless when the server already did)
      if (q.userId !== undefined) events = events.filter((e) => e.userId === q.userId)
      if (q.status === 'online') events = events.filter((e) => e.online === true)
      if (q.status === 'offline') events = events.filter((e) => e.online === false)
      return pageLocally(events, page, perPage, (items, pagination) => ({
        events: items,
        pagination,
      }))
    },

    /** `GET /api/status`. */
    async status(signal?: AbortSignal): Promise<WgMonStatus> {
      const r = await json({ method: 'GET', path: '/api/status', signal }, StatusSchema)
      const s = r.system?.status ?? null
      return {
        interface: r.system?.interface ?? null,
        running: s === null ? null : s === 'running',
        maxHandshakeAgeSeconds: r.system?.max_handshake_age ?? null,
        enabledUsers: r.users?.total ?? null,
        onlineUsers: r.users?.online ?? null,
        activeSessions: r.users?.active_sessions ?? null,
        timestamp: r.timestamp,
      }
    },

    /** `GET /api/dashboard`: both shapes, in the client's direction. */
    async dashboard(signal?: AbortSignal): Promise<WgMonDashboard> {
      const { value, res, ctx } = await rawJson({ method: 'GET', path: '/api/dashboard', signal })
      if (value !== null && typeof value === 'object' && 'summary' in value) {
        const d = parseJsonBody(res, DashboardUpstreamSchema, ctx)
        return {
          shape: 'upstream',
          registeredUsers: d.summary.registered_users,
          enabledUsers: d.summary.enabled_users,
          onlineUsers: d.summary.online_users,
          activeSessions: d.summary.active_sessions,
          // upstream "download" = server rx = client upload; "upload" = server tx = client download
          totalUp: d.traffic.download_raw,
          totalDown: d.traffic.upload_raw,
          todayUp: d.traffic.today_download_raw,
          todayDown: d.traffic.today_upload_raw,
          todaySessions: d.traffic.today_sessions,
          uptimeHours: d.summary.uptime_hours,
          uptimeStart: null,
        }
      }
      const d = parseJsonBody(res, DashboardSeedSchema, ctx)
      return {
        shape: 'seed',
        registeredUsers: d.total_users,
        enabledUsers: null,
        onlineUsers: d.online_users,
        activeSessions: d.active_sessions,
        totalUp: d.total_rx,
        totalDown: d.total_tx,
        todayUp: d.today_rx,
        todayDown: d.today_tx,
        todaySessions: null,
        uptimeHours: null,
        uptimeStart: d.uptime_start,
      }
    },

    /** `GET /api/traffic/chart?days=N` (1–365, default 7): daily totals, both shapes. */
    async trafficChart(days = 7, signal?: AbortSignal): Promise<WgMonChart> {
      if (!Number.isSafeInteger(days) || days < 1 || days > 365) {
        throw fail('invalid_input', `The chart range must be 1–365 days, not ${String(days)}.`)
      }
      const call: Call = {
        method: 'GET',
        path: '/api/traffic/chart',
        query: { days: String(days) },
        signal,
      }
      const { value, res, ctx } = await rawJson(call)
      if (Array.isArray(value)) {
        const rows = parseJsonBody(res, ChartSeedSchema, ctx)
        const points = rows.map((p) => ({
          date: p.date,
          up: p.total_rx,
          down: p.total_tx,
          sessions: null,
        }))
        return {
          shape: 'seed',
          days,
          points,
          startDate: points[0]?.date ?? null,
          endDate: points[points.length - 1]?.date ?? null,
        }
      }
      const r = parseJsonBody(res, ChartUpstreamSchema, ctx)
      const points = r.data.map((p) => ({
        date: p.date,
        // upstream "upload" = server tx = client download
        up: p.download,
        down: p.upload,
        sessions: p.sessions,
      }))
      return {
        shape: 'upstream',
        days,
        points,
        startDate: r.period?.start_date ?? points[0]?.date ?? null,
        endDate: r.period?.end_date ?? points[points.length - 1]?.date ?? null,
      }
    },

    /** `GET /api/users/{id}/enable` (re-adds the peer to WireGuard). */
    enableUser(userId: number, signal?: AbortSignal): Promise<WgMonActionResult> {
      return doAction(userId, 'enable', signal)
    },
    /** `GET /api/users/{id}/disable` (removes the peer from WireGuard). */
    disableUser(userId: number, signal?: AbortSignal): Promise<WgMonActionResult> {
      return doAction(userId, 'disable', signal)
    },
    /** `GET /api/users/{id}/reset`: zeroes the user's totals. */
    resetTraffic(userId: number, signal?: AbortSignal): Promise<WgMonActionResult> {
      return doAction(userId, 'reset', signal)
    },
    /**
     * `GET /api/users/{id}/kick`: closes the open session only (gotcha 4: a still-handshaking peer
     * gets a new session at the next poll). `changed: false` when the user was not online.
     */
    kickUser(userId: number, signal?: AbortSignal): Promise<WgMonActionResult> {
      return doAction(userId, 'kick', signal)
    },

    /**
     * Creates a user on the configured/learned route. A 404 (the route does not exist, nothing was
     * done) is retried once on the other route. An empty reply or no reply is an error, never a
     * success; on the seed route that is upstream's known behaviour, so the next create uses the
     * upstream route. The route that succeeds is remembered (and reported to
     * `onCreateRouteLearned`).
     */
    async createUser(input: WgMonCreateInput, signal?: AbortSignal): Promise<WgMonCreated> {
      if (!input.publicKey)
        throw fail('invalid_input', "Creating a user needs the client's WireGuard public key.")
      const body = { peer_pubkey: input.publicKey, ...userFields(input) }
      const first = createRoute
      let route = first
      let r: z.output<typeof CreateResultSchema>
      try {
        r = await createOn(route, body, signal)
      } catch (err) {
        const e = err instanceof AppErrorException ? err.appError : null
        if (e?.code === 'not_found') {
          route = other(first)
          try {
            r = await createOn(route, body, signal)
          } catch (err2) {
            if (err2 instanceof AppErrorException && err2.appError.code === 'not_found') {
              throw fail(
                'not_found',
                `Neither create route exists on this server (POST ${CREATE_PATH.upstream} and POST ${CREATE_PATH.seed} both answered 404). ${HINT}`,
              )
            }
            throw err2
          }
        } else {
          if (
            e?.code === 'bad_payload' &&
            first === 'seed' &&
            !createRouteConfirmed &&
            e.params?.route
          ) {
            createRoute = 'upstream'
          }
          throw err
        }
      }
      if (createRoute !== route || !createRouteConfirmed) {
        createRoute = route
        createRouteConfirmed = true
        opts.onCreateRouteLearned?.(route)
      }
      return { id: r.user_id, clientIp: r.client_ip, message: r.message, route }
    },

    /** `POST /api/users/{id}/update` (both variants): only the given fields change. */
    async updateUser(
      userId: number,
      input: WgMonUpdateInput,
      signal?: AbortSignal,
    ): Promise<WgMonActionResult> {
      requireId(userId, 'Updating a user')
      const body: Record<string, unknown> = userFields(input)
      if (input.enabled !== undefined) body.enabled = input.enabled ? 1 : 0
      if (Object.keys(body).length === 0) {
        throw fail('invalid_input', 'Updating a user needs at least one field to change.')
      }
      const what = `POST /api/users/${userId}/update`
      const r = await json(
        { method: 'POST', path: `/api/users/${userId}/update`, json: body, signal },
        ResultSchema,
      )
      return checkResult(r, what)
    },

    /** `DELETE /api/users/{id}`; a missing user → `not_found` (upstream answers 400 `Invalid user ID`). */
    async deleteUser(userId: number, signal?: AbortSignal): Promise<WgMonActionResult> {
      requireId(userId, 'Deleting a user')
      const what = `DELETE /api/users/${userId}`
      try {
        const r = await json(
          { method: 'DELETE', path: `/api/users/${userId}`, signal },
          ResultSchema,
        )
        return checkResult(r, what)
      } catch (err) {
        if (
          err instanceof AppErrorException &&
          err.appError.code === 'invalid_input' &&
          /Invalid user ID/i.test(err.appError.message)
        ) {
          throw fail(
            'not_found',
            `User ${userId} does not exist on this WireGuard monitor (${what} answered 400 "Invalid user ID"). Refresh the users list.`,
            { status: 400 },
          )
        }
        throw err
      }
    },
  }
}

export type WgMonClient = ReturnType<typeof createWgMonClient>

// ---- mapping ------------------------------------------------------------------------------------

function userFields(input: WgMonUserInput): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (input.nickname !== undefined) out.nickname = input.nickname
  if (input.email !== undefined) out.mail = input.email
  if (input.phone !== undefined) out.phone = input.phone
  if (input.bandwidthLimitKBps !== undefined) out.bandwidth_limit = input.bandwidthLimitKBps
  if (input.dataLimitMb !== undefined) out.data_limit = input.dataLimitMb
  if (input.expiryDate !== undefined) out.expiry_date = input.expiryDate
  if (input.note !== undefined) out.note = input.note
  return out
}

/** "" → null: the management view turns null mail/phone/note/login_ip into "". */
const blank = (v: string | null): string | null => (v === null || v === '' ? null : v)
const flag = (v: number | null): boolean | null => (v === null ? null : v !== 0)

/** The rx/tx → up/down turn (gotcha 3): rx = received by the server = the client's upload. */
export function toUser(w: UserRowWire): WgMonUser {
  return {
    id: w.id,
    publicKey: blank(w.peer_pubkey),
    clientIp: blank(w.client_ip),
    nickname: blank(w.nickname),
    email: blank(w.mail),
    phone: blank(w.phone),
    loginIp: blank(w.login_ip),
    bandwidthLimitKBps: w.bandwidth_limit,
    dataLimitMb: w.data_limit,
    expiryDate: blank(w.expiry_date),
    online: flag(w.status),
    enabled: flag(w.enabled),
    up: w.total_rx,
    down: w.total_tx,
    lastLogin: blank(w.last_login),
    note: blank(w.note),
    createdAt: blank(w.created_at),
    updatedAt: blank(w.updated_at),
  }
}

export function toManagedUser(w: ManagedUserWire): WgMonManagedUser {
  const inSession = flag(w.is_online)
  return {
    ...toUser(w),
    inSession,
    sessionStart: blank(w.session_start),
    sessionUp: w.session_rx,
    sessionDown: w.session_tx,
  }
}

export function toEvent(w: EventWire): WgMonEvent {
  const status = w.status?.toUpperCase() ?? null
  const online = status === 'ONLINE' ? true : status === 'OFFLINE' ? false : null
  return {
    id: w.id,
    userId: w.user_id,
    nickname: blank(w.nickname),
    publicKeyShort: w.peer_pubkey === 'Unknown' ? null : blank(w.peer_pubkey),
    startTime: blank(w.start_time),
    endTime: blank(w.end_time),
    lastUpdate: blank(w.last_update),
    up: w.session_rx,
    down: w.session_tx,
    // the server sends 0 while the session is open: not a duration
    durationSeconds: online === true || w.end_time === null ? null : w.duration_seconds,
    endpoint: blank(w.endpoint_info),
    online,
  }
}

function toPagination(
  p: PaginationWire,
  page: number,
  perPage: number,
  count: number,
): WgMonPagination {
  const total = p.total ?? count
  const pp = p.per_page ?? perPage
  const cur = p.current_page ?? page
  const totalPages = p.total_pages ?? (pp > 0 ? Math.ceil(total / pp) : 0)
  return {
    page: cur,
    perPage: pp,
    total,
    totalPages,
    hasNext: typeof p.has_next === 'boolean' ? p.has_next : cur < totalPages,
    hasPrev: typeof p.has_prev === 'boolean' ? p.has_prev : cur > 1,
    serverSide: true,
  }
}

function pageLocally<T, R>(
  items: T[],
  page: number,
  perPage: number,
  build: (items: T[], pagination: WgMonPagination) => R,
): R {
  const total = items.length
  const totalPages = Math.ceil(total / perPage)
  return build(items.slice((page - 1) * perPage, page * perPage), {
    page,
    perPage,
    total,
    totalPages,
    hasNext: page < totalPages,
    hasPrev: page > 1,
    serverSide: false,
  })
}
