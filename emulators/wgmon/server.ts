/**
 * Emulator of the "WireGuard 监控系统" (WireGuard monitor, port 8000; apis.md §5, seed doc
 * `seeds/003_*`): the upstream Python stdlib project ("WireGuard Server Manager", `APIHandler` on
 * `http.server.HTTPServer`) as a client sees it, from its source:
 *
 * Transport (pyhttp.ts): single-threaded — one connection at a time, the others wait (so at most
 * one request is ever in progress: `control.maxConcurrent()` stays 1); HTTP/1.0, one request per
 * connection, closed after the reply; `Server: BaseHTTP/0.6 Python/3.12.3`; no auth; unknown
 * paths → `send_error(404, "API endpoint not found")` (HTML page, `Connection: close`, NO CORS);
 * other methods → 501 `Unsupported method ('PATCH')`; OPTIONS on any path → 200 with the CORS
 * headers and no body. JSON: `json.dumps(ensure_ascii=False, indent=2)`, raw UTF-8 Chinese,
 * `Content-Type: application/json; charset=utf-8`, CORS `*` on every JSON reply.
 *
 * Routes (variant 'upstream', the default; 'seed' = the user's seed doc where it differs):
 * | route | upstream | seed |
 * |---|---|---|
 * | GET /api/users | `{"users":[row…]}` (all 19 columns) | bare `[row…]` with the seed's 16 fields |
 * | GET /api/users/management | `{users, pagination, filters}` (page/per_page≤100/search/status) | bare `[…]` with the seed's 13 fields; search/status applied, no paging |
 * | GET /api/dashboard | `{summary:{…}, traffic:{…}}` | flat `{total_users, online_users, active_sessions, total_rx, total_tx, today_rx, today_tx, uptime_start}` |
 * | GET /api/traffic/chart?days | `{data:[{date, upload, download, sessions, *_readable}], period}` | bare `[{date, total_rx, total_tx}]` |
 * | POST /api/users | create → `{status, message, user_id, client_ip, config_download_url}` | 404 page (the seed doc has no such route) |
 * | POST /api/users/create | NO reply at all: 3 path segments fall through `do_POST` (empty reply) | create → `{status, message:"用户创建成功", user_id}` |
 * | POST /api/users/{id}/update | message "用户信息已更新" | "用户信息更新成功" |
 * | events, history, status, GET actions, PUT, DELETE | as upstream | same (the seed doc shows no bodies) |
 *
 * Directions (gotcha 3): rx/tx are the SERVER interface's counters (`wg show dump`): `total_rx` /
 * `session_rx` = received from the peer = the CLIENT'S UPLOAD; `total_tx` / `session_tx` = the
 * CLIENT'S DOWNLOAD. The dashboard and chart label `tx` "upload" and `rx` "download" — the
 * server's upload is the client's download. `control.addTraffic(name, rx, tx)` takes the server's
 * view too.
 *
 * Other upstream quirks kept (state.ts): totals and daily stats grow only when a session closes;
 * `kick` only closes the session (a handshaking peer gets a new one at the next poll); `/api/status`
 * `users.total` counts ENABLED users; DELETE of a missing id → 400 `Invalid user ID`; update/enable
 * of a missing id → success; `per_page=0` → 500 `integer division or modulo by zero`; the chart
 * compares local dates with SQLite's UTC `date('now', '-N days')`; dashboard "today" = UTC date.
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import {
  PyFloat,
  PyResponseWriter,
  SocketReader,
  pyFloorDiv,
  pyHeader,
  pyInt,
  pyJsonDumps,
  pyParseQs,
  pyRepr,
  pyUrlParse,
  readPyRequest,
  readableBytes,
  type PyRequest,
} from './pyhttp'
import { PyError, WgMonState, pyTruthy, pyTypeName, type EventRow, type UserRow } from './state'
import { createPrng, fakePubkey, startSimulation, type WgMonSimulation } from './sim'

export type { EventRow, UserRow, TrafficStatRow, WgPeer } from './state'
export { readableBytes, pyJsonDumps } from './pyhttp'
export { fakePubkey } from './sim'

export type WgMonVariant = 'upstream' | 'seed'

/** Failure modes for the next request(s). */
export type WgMonFailMode =
  /** `HTTP/1.0 200 OK`, JSON headers, `Content-Length: 0`, no body. */
  | 'empty'
  /** Nothing at all: the connection is closed without a byte (like upstream's POST /api/users/create). */
  | 'noreply'
  /** `{"error": "database is locked"}` with 500 (what a busy SQLite gives the handler). */
  | 'http500'
  /** 200 with an HTML page (a captive portal / wrong service). */
  | 'garbage'
  /** The request is read and never answered; the server stays blocked until that client gives up. */
  | 'hang'

export interface WgMonEmulatorOptions {
  host?: string
  /** 0 = random free port (default). Upstream listens on 8000. */
  port?: number
  variant?: WgMonVariant
  /** Server header's Python version (default 3.12.3). */
  pythonVersion?: string
  /** MAX_HANDSHAKE_AGE seconds (default 180). */
  handshakeTimeout?: number
  /** Monitor poll period (upstream 10 s); 0 = no timer (tests call `control.poll()`). Default 0 without simulate, 10000 with. */
  monitorMs?: number
  /** `addTraffic`/`setOnline`/`addPeer` run a monitor poll right away (default true). */
  autoPoll?: boolean
  /** Extra time each request takes in the handler (ms): makes the serialization observable. */
  latencyMs?: number
  /** Demo: users with handshakes, moving traffic, sessions and events. */
  simulate?: false | { users: number; seed?: number; tickMs?: number }
}

export interface WgMonRequestLogEntry {
  method: string
  /** The raw request target. */
  path: string
  headers: Record<string, string>
  /** The body as read by the handler (POST/PUT), utf-8. */
  body: string
  at: number
}

export interface WgMonControl {
  /** Copies of the `users` rows (id order). */
  users(): UserRow[]
  /** Copies of the `events` rows (id order). */
  events(): EventRow[]
  /** Creates a user as POST /api/users would (peer added); returns the id. Throws on invalid input. */
  createUser(fields: { peer_pubkey?: string } & Record<string, unknown>): number
  /**
   * Moves bytes on a user's peer, SERVER view: `rx` = received from the client (client upload),
   * `tx` = sent to the client (client download). The device goes online (it handshakes). False
   * when the user/peer is unknown or not on the interface (disabled). `name` = nickname,
   * `User_<id>`, public key or id.
   */
  addTraffic(name: string, rx: number, tx: number): boolean
  /** The client keeps handshaking (true) or stops (false: its handshake is already too old). */
  setOnline(name: string, online: boolean): boolean
  /** A peer added to wg0 behind the monitor's back (auto-inserted as a user by the next poll). */
  addPeer(pubkey?: string, opts?: { online?: boolean }): string
  /** One monitor pass now. */
  poll(): void
  /** Moves the emulated clock forward (handshake ages, durations, uptime). */
  advanceTime(ms: number): void
  /** `wg` broken: status "error", polls see no peer, create → 500. */
  setWgUp(up: boolean): void
  /** The next `count` requests (default 1) fail this way. */
  failNext(mode: WgMonFailMode, count?: number): void
  /** The most requests ever in progress at once (1: the server serializes). */
  maxConcurrent(): number
  /** Requests currently waiting for their turn (connected, not yet served). */
  queued(): number
  setVariant(v: WgMonVariant): void
  readonly state: WgMonState
}

export interface WgMonEmulator {
  readonly url: string
  readonly port: number
  readonly variant: WgMonVariant
  close(): Promise<void>
  readonly control: WgMonControl
  readonly requests: ReadonlyArray<WgMonRequestLogEntry>
  clearRequestLog(): void
  readonly simulation: WgMonSimulation | null
}

const CORS: Array<[string, string]> = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Allow-Methods', 'GET, POST, PUT, DELETE, OPTIONS'],
  ['Access-Control-Allow-Headers', 'Content-Type, Authorization'],
]

function sendJson(w: PyResponseWriter, data: unknown, status = 200): void {
  const body = Buffer.from(pyJsonDumps(data), 'utf8')
  w.send(
    status,
    null,
    [
      ['Content-Type', 'application/json; charset=utf-8'],
      ...CORS,
      ['Content-Length', String(body.length)],
    ],
    body,
  )
}

/** `self.get_param(qp, key, default, type)`. */
function getParam(qp: Map<string, string[]>, key: string): string | undefined {
  return qp.get(key)?.[0]
}
function getIntParam(qp: Map<string, string[]>, key: string, dflt: number | null): number | null {
  const v = getParam(qp, key)
  if (v === undefined) return dflt
  return pyInt(v) ?? dflt
}

/** `str[:16] + "..."` by code points. */
function short16(s: string): string {
  return Array.from(s).slice(0, 16).join('') + '...'
}

/** SQLite `LIKE` (ASCII case-insensitive, `%` and `_` wildcards, no escape). */
function sqlLike(value: unknown, pattern: string): boolean {
  if (value === null || value === undefined) return false
  const re = pattern
    .split('')
    .map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('')
  const fold = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase())
  return new RegExp(`^${fold(re)}$`, 's').test(fold(String(value)))
}

/** Python `str(e)` of the JSON decode error's class is irrelevant: upstream maps it to 400. */
class JsonDecodeError extends Error {}

/** SQLite ordering of values in `ORDER BY … DESC` (NULL lowest, numbers < text). */
function sqlCmp(a: unknown, b: unknown): number {
  const rank = (v: unknown): number =>
    v === null || v === undefined ? 0 : typeof v === 'number' ? 1 : 2
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra - rb
  if (ra === 0) return 0
  if (ra === 1) return (a as number) - (b as number)
  const sa = String(a)
  const sb = String(b)
  return sa < sb ? -1 : sa > sb ? 1 : 0
}

export async function startWgMonEmulator(opts: WgMonEmulatorOptions = {}): Promise<WgMonEmulator> {
  let variant: WgMonVariant = opts.variant ?? 'upstream'
  const st = new WgMonState({ handshakeTimeout: opts.handshakeTimeout })
  const serverVersion = `BaseHTTP/0.6 Python/${opts.pythonVersion ?? '3.12.3'}`
  const autoPoll = opts.autoPoll ?? true
  const latencyMs = opts.latencyMs ?? 0
  const requests: WgMonRequestLogEntry[] = []
  const failQueue: WgMonFailMode[] = []
  const sockets = new Set<Socket>()
  const queue: Socket[] = []
  let busy = false
  let inFlight = 0
  let maxInFlight = 0
  let closed = false
  const rand = createPrng(opts.simulate ? (opts.simulate.seed ?? 1) ^ 0x77 : Date.now())

  // -- control helpers -------------------------------------------------------------------------

  function findUser(name: string): UserRow | undefined {
    for (const u of st.users.values()) if (u.peer_pubkey === name) return u
    for (const u of st.users.values())
      if (typeof u.nickname === 'string' && u.nickname === name) return u
    const m = /^(?:User_)?(\d+)$/.exec(name)
    if (m) return st.users.get(Number(m[1]))
    return undefined
  }

  function endpoint(): string {
    const ip = `${rand() < 0.5 ? '198.51.100' : '203.0.113'}.${1 + Math.floor(rand() * 254)}`
    return `${ip}:${1024 + Math.floor(rand() * 64511)}`
  }

  function device(pubkey: string): { online: boolean; endpoint: string } {
    let d = st.devices.get(pubkey)
    if (!d) {
      d = { online: false, endpoint: endpoint() }
      st.devices.set(pubkey, d)
    }
    return d
  }

  function setOnlineRaw(name: string, online: boolean): boolean {
    const u = findUser(name)
    const key = u?.peer_pubkey ?? (st.peers.has(name) ? name : undefined)
    if (key === undefined) return false
    const d = device(key)
    d.online = online
    if (!online) {
      const p = st.peers.get(key)
      if (p && p.handshake !== 0) {
        p.handshake = Math.min(p.handshake, Math.floor(st.nowMs() / 1000) - st.handshakeTimeout - 1)
      }
    }
    return true
  }

  function addTrafficRaw(name: string, rx: number, tx: number): boolean {
    for (const [n, v] of [
      ['rx', rx],
      ['tx', tx],
    ] as const) {
      if (!Number.isSafeInteger(v) || v < 0)
        throw new RangeError(`${n} must be a non-negative integer`)
    }
    const u = findUser(name)
    const key = u?.peer_pubkey ?? (st.peers.has(name) ? name : undefined)
    if (key === undefined) return false
    const p = st.peers.get(key)
    if (!p || !st.wgUp) return false
    const d = device(key)
    if (!d.online) {
      // the client handshakes first; the monitor sees it before the bytes move
      d.online = true
      if (autoPoll) st.poll()
    }
    p.rx += rx
    p.tx += tx
    return true
  }

  function createUserRaw(fields: { peer_pubkey?: string } & Record<string, unknown>): number {
    const key = fields.peer_pubkey ?? fakePubkey(rand)
    return st.createUser(key, fields).id
  }

  // -- handlers ----------------------------------------------------------------------------------

  function userRowOut(u: UserRow): Record<string, unknown> {
    if (variant === 'seed') {
      return {
        id: u.id,
        peer_pubkey: u.peer_pubkey,
        nickname: u.nickname,
        mail: u.mail,
        phone: u.phone,
        login_ip: u.login_ip,
        bandwidth_limit: u.bandwidth_limit,
        data_limit: u.data_limit,
        expiry_date: u.expiry_date,
        status: u.status,
        enabled: u.enabled,
        total_rx: u.total_rx,
        total_tx: u.total_tx,
        last_login: u.last_login,
        created_at: u.created_at,
        updated_at: u.updated_at,
      }
    }
    return { ...u }
  }

  function handleUsers(w: PyResponseWriter): void {
    const rows = [...st.users.values()].sort((a, b) => a.id - b.id).map(userRowOut)
    sendJson(w, variant === 'seed' ? rows : { users: rows })
  }

  /** The open session joined per user (upstream's `s` subquery: MAX(start_time) of open events). */
  function openSessionOf(userId: number): EventRow | undefined {
    let best: EventRow | undefined
    for (const e of st.events) {
      if (e.user_id !== userId || e.end_time !== null) continue
      if (!best || e.start_time > best.start_time) best = e
    }
    return best
  }

  function handleManagement(w: PyResponseWriter, qp: Map<string, string[]>): void {
    const page = getIntParam(qp, 'page', 1) as number
    let perPage = getIntParam(qp, 'per_page', 50) as number
    const search = getParam(qp, 'search') ?? ''
    const status = getParam(qp, 'status') ?? 'all'
    perPage = Math.min(perPage, 100)
    let list = [...st.users.values()].sort((a, b) => a.id - b.id)
    if (search) {
      const pat = `%${search}%`
      list = list.filter(
        (u) => sqlLike(u.nickname, pat) || sqlLike(u.mail, pat) || sqlLike(u.peer_pubkey, pat),
      )
    }
    if (status === 'online') list = list.filter((u) => u.status === 1)
    else if (status === 'offline') list = list.filter((u) => u.status === 0)
    else if (status === 'enabled') list = list.filter((u) => u.enabled === 1)
    else if (status === 'disabled') list = list.filter((u) => u.enabled === 0)
    const total = list.length
    if (variant !== 'seed' && perPage === 0)
      throw new PyError('Exception', 'integer division or modulo by zero')
    list.sort((a, b) => -sqlCmp(a.status, b.status) || -sqlCmp(a.last_login, b.last_login))
    if (variant !== 'seed') {
      const offset = Math.max(0, (page - 1) * perPage)
      list = perPage < 0 ? list.slice(offset) : list.slice(offset, offset + perPage)
    }
    const out = list.map((u) => {
      const s = openSessionOf(u.id)
      const nick = pyTruthy(u.nickname) ? u.nickname : `User_${u.id}`
      const orEmpty = (v: unknown): unknown => (pyTruthy(v) ? v : '')
      // `SELECT u.*, …, s.login_ip`: the event's login_ip (always NULL) replaces the user's
      const loginIp = s ? s.login_ip : null
      if (variant === 'seed') {
        return {
          id: u.id,
          peer_pubkey: u.peer_pubkey,
          nickname: nick,
          mail: orEmpty(u.mail),
          phone: orEmpty(u.phone),
          login_ip: orEmpty(loginIp),
          status: u.status,
          enabled: u.enabled,
          is_online: s ? 1 : 0,
          total_rx: u.total_rx || 0,
          total_tx: u.total_tx || 0,
          last_login: u.last_login,
          session_start: s ? s.start_time : null,
        }
      }
      const srx = s ? s.session_rx : null
      const stx = s ? s.session_tx : null
      return {
        id: u.id,
        peer_pubkey: u.peer_pubkey,
        peer_pubkey_short: u.peer_pubkey ? short16(u.peer_pubkey) : '',
        nickname: nick,
        mail: orEmpty(u.mail),
        phone: orEmpty(u.phone),
        login_ip: orEmpty(loginIp),
        status: u.status,
        enabled: u.enabled,
        is_online: s ? 1 : 0,
        total_rx: u.total_rx || 0,
        total_tx: u.total_tx || 0,
        total_rx_readable: readableBytes(u.total_rx || 0),
        total_tx_readable: readableBytes(u.total_tx || 0),
        last_login: u.last_login,
        bandwidth_limit: pyTruthy(u.bandwidth_limit) ? u.bandwidth_limit : 0,
        data_limit: pyTruthy(u.data_limit) ? u.data_limit : 0,
        expiry_date: u.expiry_date,
        note: orEmpty(u.note),
        created_at: u.created_at,
        updated_at: u.updated_at,
        session_start: s ? s.start_time : null,
        session_rx: srx,
        session_tx: stx,
        session_rx_readable: readableBytes(srx || 0),
        session_tx_readable: readableBytes(stx || 0),
      }
    })
    if (variant === 'seed') {
      sendJson(w, out)
      return
    }
    const totalPages = pyFloorDiv(total + perPage - 1, perPage)
    sendJson(w, {
      users: out,
      pagination: {
        current_page: page,
        per_page: perPage,
        total,
        total_pages: totalPages,
        has_next: page < totalPages,
        has_prev: page > 1,
      },
      filters: { search, status },
    })
  }

  function eventOut(e: EventRow, history: boolean): Record<string, unknown> {
    const u = st.users.get(e.user_id)
    const nick = u && pyTruthy(u.nickname) ? u.nickname : `User_${e.user_id}`
    const out: Record<string, unknown> = {
      id: e.id,
      user_id: e.user_id,
      nickname: nick,
      peer_pubkey: u?.peer_pubkey ? short16(u.peer_pubkey) : 'Unknown',
      start_time: e.start_time,
      end_time: e.end_time,
      last_update: e.last_update,
      session_rx: e.session_rx,
      session_tx: e.session_tx,
      session_rx_readable: readableBytes(e.session_rx),
      session_tx_readable: readableBytes(e.session_tx),
      duration_seconds: e.duration_seconds,
    }
    if (history) {
      let r = ''
      const d = e.duration_seconds
      if (d) {
        const h = Math.floor(d / 3600)
        const m = Math.floor((d % 3600) / 60)
        const s = d % 60
        r = h > 0 ? `${h}h ${m}m ${s}s` : m > 0 ? `${m}m ${s}s` : `${s}s`
      }
      out.duration_readable = r
    }
    out.login_ip = e.login_ip
    out.endpoint_info = e.endpoint_info
    out.status = e.status
    return out
  }

  function handleEvents(w: PyResponseWriter): void {
    const latest = new Map<number, EventRow>()
    for (const e of st.events) {
      const cur = latest.get(e.user_id)
      if (!cur || e.id > cur.id) latest.set(e.user_id, e)
    }
    const list = [...latest.values()]
      .sort((a, b) => a.id - b.id)
      .sort((a, b) => -sqlCmp(a.status, b.status) || -sqlCmp(a.last_update, b.last_update))
      .slice(0, 100)
    sendJson(w, { events: list.map((e) => eventOut(e, false)) })
  }

  function handleHistory(w: PyResponseWriter, qp: Map<string, string[]>): void {
    const page = getIntParam(qp, 'page', 1) as number
    let perPage = getIntParam(qp, 'per_page', 50) as number
    const userId = getIntParam(qp, 'user_id', null)
    const status = getParam(qp, 'status') ?? 'all'
    perPage = Math.min(perPage, 100)
    let list = [...st.events]
    if (userId) list = list.filter((e) => e.user_id === userId)
    if (status === 'online') list = list.filter((e) => e.status === 'ONLINE')
    else if (status === 'offline') list = list.filter((e) => e.status === 'OFFLINE')
    const total = list.length
    list.sort((a, b) => b.id - a.id)
    const offset = Math.max(0, (page - 1) * perPage)
    list = perPage < 0 ? list.slice(offset) : list.slice(offset, offset + perPage)
    const events = list.map((e) => eventOut(e, true))
    if (perPage === 0) throw new PyError('Exception', 'integer division or modulo by zero')
    const totalPages = pyFloorDiv(total + perPage - 1, perPage)
    sendJson(w, {
      events,
      pagination: {
        current_page: page,
        per_page: perPage,
        total,
        total_pages: totalPages,
        has_next: page < totalPages,
        has_prev: page > 1,
      },
      filters: { user_id: userId, status },
    })
  }

  function handleStatus(w: PyResponseWriter): void {
    const enabled = [...st.users.values()].filter((u) => u.enabled === 1).length
    sendJson(w, {
      system: {
        interface: st.iface,
        status: st.wgUp ? 'running' : 'error',
        max_handshake_age: st.handshakeTimeout,
        monitoring: true,
      },
      users: { total: enabled, online: st.sessions.size, active_sessions: st.sessions.size },
      timestamp: st.timestamp(),
    })
  }

  function dashboardStats(): {
    total_users: number
    enabled_users: number
    online_users: number
    active_sessions: number
    total_rx: number
    total_tx: number
    today_rx: number | null
    today_tx: number | null
    today_sessions: number | null
    uptime_start: string | null
  } {
    const users = [...st.users.values()]
    const sum = (f: (u: UserRow) => number): number => users.reduce((a, u) => a + f(u), 0)
    const today = st.sqliteDate()
    const rows = [...st.trafficStats.values()].filter((r) => r.date === today)
    const tsum = (f: (r: (typeof rows)[number]) => number): number | null =>
      rows.length === 0 ? null : rows.reduce((a, r) => a + f(r), 0)
    let first: string | null = null
    for (const e of st.events) if (first === null || e.start_time < first) first = e.start_time
    return {
      total_users: users.length,
      enabled_users: sum((u) => (u.enabled === 1 ? 1 : 0)),
      online_users: sum((u) => (u.status === 1 ? 1 : 0)),
      active_sessions: st.sessions.size,
      total_rx: sum((u) => u.total_rx),
      total_tx: sum((u) => u.total_tx),
      today_rx: tsum((r) => r.daily_rx),
      today_tx: tsum((r) => r.daily_tx),
      today_sessions: tsum((r) => r.session_count),
      uptime_start: first,
    }
  }

  function handleDashboard(w: PyResponseWriter): void {
    const s = dashboardStats()
    if (variant === 'seed') {
      sendJson(w, {
        total_users: s.total_users,
        online_users: s.online_users,
        active_sessions: s.active_sessions,
        total_rx: s.total_rx,
        total_tx: s.total_tx,
        today_rx: s.today_rx ?? 0,
        today_tx: s.today_tx ?? 0,
        uptime_start: s.uptime_start,
      })
      return
    }
    let uptimeHours: number | PyFloat = 0
    let uptimeReadable = '0小时'
    const start = st.parseTimestamp(s.uptime_start)
    if (start !== null) {
      const secs = (st.nowMs() - start) / 1000
      uptimeHours = new PyFloat(Math.round((secs / 3600) * 10) / 10)
      const days = Math.floor(secs / 86400)
      const hours = Math.floor((secs % 86400) / 3600)
      const minutes = Math.floor((secs % 3600) / 60)
      uptimeReadable =
        days > 0
          ? `${days}天 ${hours}小时 ${minutes}分钟`
          : hours > 0
            ? `${hours}小时 ${minutes}分钟`
            : `${minutes}分钟`
    }
    sendJson(w, {
      summary: {
        registered_users: s.total_users,
        enabled_users: s.enabled_users,
        online_users: s.online_users,
        active_sessions: s.active_sessions,
        uptime_hours: uptimeHours,
        uptime_readable: uptimeReadable,
      },
      traffic: {
        total_upload: readableBytes(s.total_tx),
        total_download: readableBytes(s.total_rx),
        today_upload: readableBytes(s.today_tx || 0),
        today_download: readableBytes(s.today_rx || 0),
        today_sessions: s.today_sessions || 0,
        upload_raw: s.total_tx,
        download_raw: s.total_rx,
        today_upload_raw: s.today_tx || 0,
        today_download_raw: s.today_rx || 0,
      },
    })
  }

  function handleChart(w: PyResponseWriter, qp: Map<string, string[]>): void {
    let days = getIntParam(qp, 'days', 7) as number
    days = Math.min(Math.max(days, 1), 365)
    const since = st.sqliteDate(st.nowMs(), days)
    const byDate = new Map<string, { rx: number; tx: number; n: number }>()
    for (const r of st.trafficStats.values()) {
      if (r.date < since) continue
      const a = byDate.get(r.date) ?? { rx: 0, tx: 0, n: 0 }
      a.rx += r.daily_rx
      a.tx += r.daily_tx
      a.n += r.session_count
      byDate.set(r.date, a)
    }
    const rows = [...byDate.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    if (variant === 'seed') {
      sendJson(
        w,
        rows.map(([date, a]) => ({ date, total_rx: a.rx, total_tx: a.tx })),
      )
      return
    }
    const data = rows.map(([date, a]) => ({
      date,
      upload: a.tx,
      download: a.rx,
      sessions: a.n,
      upload_readable: readableBytes(a.tx),
      download_readable: readableBytes(a.rx),
    }))
    sendJson(w, {
      data,
      period: {
        days,
        start_date: data.length ? data[0]!.date : null,
        end_date: data.length ? data[data.length - 1]!.date : null,
      },
    })
  }

  function handleAction(w: PyResponseWriter, path: string): void {
    const parts = path.replace(/^\/+|\/+$/g, '').split('/')
    if (parts.length !== 4) {
      sendJson(w, { error: 'Invalid user action path' }, 400)
      return
    }
    const id = pyInt(parts[2] as string)
    if (id === null) {
      sendJson(w, { error: 'Invalid user ID' }, 400)
      return
    }
    const action = parts[3] as string
    try {
      if (action === 'enable') {
        st.updateUser(id, { enabled: 1 })
        sendJson(w, { status: 'success', message: '用户已启用' })
      } else if (action === 'disable') {
        st.updateUser(id, { enabled: 0 })
        sendJson(w, { status: 'success', message: '用户已禁用' })
      } else if (action === 'reset') {
        st.resetTraffic(id)
        sendJson(w, { status: 'success', message: '用户流量已重置' })
      } else if (action === 'kick') {
        let key: string | undefined
        for (const [k, s] of st.sessions) {
          if (s.user_id === id) {
            key = k
            break
          }
        }
        if (key !== undefined) {
          st.peerOffline(key)
          sendJson(w, { status: 'success', message: '用户已踢出' })
        } else {
          sendJson(w, { status: 'info', message: '用户当前不在线' })
        }
      } else {
        sendJson(w, { error: `Unknown action: ${action}` }, 400)
      }
    } catch (e) {
      sendJson(w, { error: (e as Error).message }, 500)
    }
  }

  function handleCreate(w: PyResponseWriter, data: unknown): void {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      // `'peer_pubkey' in data` on a non-dict
      if (typeof data === 'string') {
        if (!data.includes('peer_pubkey')) {
          sendJson(w, { error: 'Missing required fields: peer_pubkey' }, 400)
          return
        }
        sendJson(
          w,
          { error: "Failed to create user: string indices must be integers, not 'str'" },
          500,
        )
        return
      }
      if (Array.isArray(data)) {
        if (!data.includes('peer_pubkey')) {
          sendJson(w, { error: 'Missing required fields: peer_pubkey' }, 400)
          return
        }
        sendJson(
          w,
          { error: 'Failed to create user: list indices must be integers or slices, not str' },
          500,
        )
        return
      }
      throw new PyError('TypeError', `argument of type '${pyTypeName(data)}' is not iterable`)
    }
    const d = data as Record<string, unknown>
    if (!('peer_pubkey' in d)) {
      sendJson(w, { error: 'Missing required fields: peer_pubkey' }, 400)
      return
    }
    try {
      const { id, clientIp } = st.createUser(d.peer_pubkey, d)
      if (variant === 'seed') {
        sendJson(w, { status: 'success', message: '用户创建成功', user_id: id })
      } else {
        sendJson(w, {
          status: 'success',
          message: '用户创建成功并已添加到WireGuard',
          user_id: id,
          client_ip: clientIp,
          config_download_url: `/api/users/${id}/config`,
        })
      }
    } catch (e) {
      const err = e as PyError
      if (err.kind === 'ValueError') sendJson(w, { error: err.message }, 400)
      else if (err.kind === 'RuntimeError') sendJson(w, { error: err.message }, 500)
      else sendJson(w, { error: `Failed to create user: ${err.message}` }, 500)
    }
  }

  function handleUpdate(w: PyResponseWriter, id: number, data: unknown): void {
    try {
      if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        throw new PyError(
          'TypeError',
          `update_user() argument after ** must be a mapping, not ${pyTypeName(data)}`,
        )
      }
      st.updateUser(id, data as Record<string, unknown>)
      sendJson(w, {
        status: 'success',
        message: variant === 'seed' ? '用户信息更新成功' : '用户信息已更新',
      })
    } catch (e) {
      const err = e as PyError
      if (err.kind === 'ValueError') sendJson(w, { error: err.message }, 400)
      else sendJson(w, { error: `Failed to update user: ${err.message}` }, 500)
    }
  }

  /** `int(self.headers.get('Content-Length', 0))` + read + `json.loads(….decode('utf-8'))`. */
  async function readJsonBody(req: PyRequest, log: WgMonRequestLogEntry): Promise<unknown> {
    const cl = pyHeader(req, 'Content-Length')
    let n = 0
    if (cl !== undefined) {
      const v = pyInt(cl)
      if (v === null)
        throw new PyError('ValueError', `invalid literal for int() with base 10: ${pyRepr(cl)}`)
      n = v
    }
    if (n <= 0) return {}
    const buf = await req.reader.read(n)
    let text: string
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf)
    } catch {
      const bad = buf.find((b) => b >= 0x80) ?? 0
      throw new PyError(
        'ValueError',
        `'utf-8' codec can't decode byte 0x${bad.toString(16).padStart(2, '0')} in position ${buf.indexOf(bad)}: invalid start byte`,
      )
    }
    log.body = text
    try {
      // Python also accepts NaN/Infinity; JSON.parse does not (not emulated)
      return JSON.parse(text) as unknown
    } catch {
      throw new JsonDecodeError()
    }
  }

  async function doPostPut(
    req: PyRequest,
    w: PyResponseWriter,
    log: WgMonRequestLogEntry,
  ): Promise<void> {
    const { path } = pyUrlParse(req.path)
    try {
      const data = await readJsonBody(req, log)
      if (req.command === 'POST') {
        if (path === '/api/users' && variant === 'upstream') handleCreate(w, data)
        else if (path === '/api/users/create' && variant === 'seed') handleCreate(w, data)
        else if (path.startsWith('/api/users/')) {
          const parts = path.replace(/^\/+|\/+$/g, '').split('/')
          if (parts.length >= 4) {
            const id = pyInt(parts[2] as string)
            if (id === null) sendJson(w, { error: 'Invalid user ID' }, 400)
            else if (parts[3] === 'update') handleUpdate(w, id, data)
            else sendJson(w, { error: `Unknown action: ${parts[3]}` }, 400)
          }
          // fewer than 4 segments (e.g. the seed doc's /api/users/create): no response at all
        } else w.sendError(404, 'API endpoint not found')
        return
      }
      // PUT
      if (path.startsWith('/api/users/')) {
        const parts = path.replace(/^\/+|\/+$/g, '').split('/')
        if (parts.length === 3) {
          const id = pyInt(parts[2] as string)
          if (id === null) sendJson(w, { error: 'Invalid user ID' }, 400)
          else handleUpdate(w, id, data)
        } else sendJson(w, { error: 'Invalid request path' }, 400)
      } else w.sendError(404, 'API endpoint not found')
    } catch (e) {
      if (e instanceof JsonDecodeError) sendJson(w, { error: 'Invalid JSON data' }, 400)
      else sendJson(w, { error: (e as Error).message }, 500)
    }
  }

  function doGet(req: PyRequest, w: PyResponseWriter): void {
    const { path, query } = pyUrlParse(req.path)
    const qp = pyParseQs(query)
    try {
      if (path === '/api/users') handleUsers(w)
      else if (path === '/api/users/management') handleManagement(w, qp)
      else if (path === '/api/events') handleEvents(w)
      else if (path === '/api/events/history') handleHistory(w, qp)
      else if (path === '/api/status') handleStatus(w)
      else if (path === '/api/dashboard') handleDashboard(w)
      else if (path === '/api/traffic/chart') handleChart(w, qp)
      else if (path.startsWith('/api/users/')) handleAction(w, path)
      else w.sendError(404, 'API endpoint not found')
    } catch (e) {
      sendJson(w, { error: (e as Error).message }, 500)
    }
  }

  function doDelete(req: PyRequest, w: PyResponseWriter): void {
    const { path } = pyUrlParse(req.path)
    if (!path.startsWith('/api/users/')) {
      w.sendError(404, 'API endpoint not found')
      return
    }
    const parts = path.replace(/^\/+|\/+$/g, '').split('/')
    if (parts.length !== 3) {
      sendJson(w, { error: 'Invalid request path' }, 400)
      return
    }
    const id = pyInt(parts[2] as string)
    try {
      if (id === null) throw new PyError('ValueError', 'invalid literal')
      st.deleteUser(id)
      sendJson(w, { status: 'success', message: '用户已删除' })
    } catch (e) {
      if ((e as PyError).kind === 'ValueError') sendJson(w, { error: 'Invalid user ID' }, 400)
      else sendJson(w, { error: (e as Error).message }, 500)
    }
  }

  // -- the single-threaded server -----------------------------------------------------------------

  function waitClose(socket: Socket): Promise<void> {
    if (socket.destroyed || socket.readableEnded) return Promise.resolve()
    return new Promise((resolve) => {
      socket.once('close', () => resolve())
      socket.once('end', () => resolve())
    })
  }

  async function serve(socket: Socket): Promise<void> {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    try {
      const reader = new SocketReader(socket)
      const got = await readPyRequest(
        reader,
        (v) => new PyResponseWriter(socket, v, serverVersion, () => st.nowMs()),
      )
      if (!got || closed) return
      const { req, writer } = got
      const log: WgMonRequestLogEntry = {
        method: req.command,
        path: req.path,
        headers: Object.fromEntries(req.headers.map(([k, v]) => [k.toLowerCase(), v])),
        body: '',
        at: Date.now(),
      }
      requests.push(log)
      if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs))
      const fail = failQueue.shift()
      if (fail !== undefined) {
        await failWith(fail, socket, writer)
        return
      }
      switch (req.command) {
        case 'OPTIONS':
          writer.send(200, null, CORS)
          break
        case 'GET':
          doGet(req, writer)
          break
        case 'POST':
        case 'PUT':
          await doPostPut(req, writer, log)
          break
        case 'DELETE':
          doDelete(req, writer)
          break
        default:
          writer.sendError(
            501,
            `Unsupported method (${pyRepr(req.command)})`,
            undefined,
            req.command,
          )
      }
    } finally {
      inFlight--
      // shutdown(SHUT_WR) + close()
      if (!socket.destroyed) {
        socket.end()
        socket.once('finish', () => socket.destroy())
      }
    }
  }

  async function failWith(mode: WgMonFailMode, socket: Socket, w: PyResponseWriter): Promise<void> {
    switch (mode) {
      case 'empty':
        w.send(200, null, [
          ['Content-Type', 'application/json; charset=utf-8'],
          ...CORS,
          ['Content-Length', '0'],
        ])
        return
      case 'noreply':
        return
      case 'http500':
        sendJson(w, { error: 'database is locked' }, 500)
        return
      case 'garbage': {
        const body = Buffer.from(
          '<html><head><title>Wi-Fi login</title></head><body><p>Please sign in.</p></body></html>\n',
        )
        w.send(
          200,
          null,
          [
            ['Content-Type', 'text/html'],
            ['Content-Length', String(body.length)],
          ],
          body,
        )
        return
      }
      case 'hang':
        await waitClose(socket)
        return
    }
  }

  function pump(): void {
    if (busy || closed) return
    const next = queue.shift()
    if (!next) return
    busy = true
    void serve(next).finally(() => {
      busy = false
      pump()
    })
  }

  const server: Server = createServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.once('close', () => sockets.delete(socket))
    queue.push(socket)
    pump()
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const host = opts.host ?? '127.0.0.1'
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

  // -- monitor + simulation ------------------------------------------------------------------------

  const maybePoll = (): void => {
    if (autoPoll) st.poll()
  }
  let simulation: WgMonSimulation | null = null
  if (opts.simulate) {
    simulation = startSimulation(
      {
        createUser: (f) => createUserRaw(f),
        setOnline: (n, on) => setOnlineRaw(n, on),
        addTraffic: (n, rx, tx) => addTrafficRaw(n, rx, tx),
      },
      opts.simulate,
    )
    st.poll()
  }
  const monitorMs = opts.monitorMs ?? (opts.simulate ? 10_000 : 0)
  const monitor = monitorMs > 0 ? setInterval(() => st.poll(), monitorMs) : null
  monitor?.unref()

  const control: WgMonControl = {
    users: () => [...st.users.values()].sort((a, b) => a.id - b.id).map((u) => ({ ...u })),
    events: () => st.events.map((e) => ({ ...e })),
    createUser(fields) {
      return createUserRaw(fields)
    },
    addTraffic(name, rx, tx) {
      const ok = addTrafficRaw(name, rx, tx)
      maybePoll()
      return ok
    },
    setOnline(name, online) {
      const ok = setOnlineRaw(name, online)
      maybePoll()
      return ok
    },
    addPeer(pubkey, o = {}) {
      const key = pubkey ?? fakePubkey(rand)
      st.addWgPeer(key, null)
      device(key).online = o.online ?? true
      maybePoll()
      return key
    },
    poll: () => st.poll(),
    advanceTime(ms) {
      st.clockOffsetMs += ms
    },
    setWgUp(up) {
      st.wgUp = up
    },
    failNext(mode, count = 1) {
      for (let i = 0; i < count; i++) failQueue.push(mode)
    },
    maxConcurrent: () => maxInFlight,
    queued: () => queue.length,
    setVariant(v) {
      variant = v
    },
    state: st,
  }

  return {
    url,
    port,
    get variant() {
      return variant
    },
    control,
    requests,
    clearRequestLog: () => {
      requests.length = 0
    },
    simulation,
    async close() {
      if (closed) return
      closed = true
      simulation?.stop()
      if (monitor) clearInterval(monitor)
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        for (const s of sockets) s.destroy()
        sockets.clear()
        queue.length = 0
      })
    },
  }
}
