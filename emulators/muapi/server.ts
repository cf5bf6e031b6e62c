/**
 * Emulator of the Mu API v2 of orvice/ss-panel (apis.md §4; the user's seed doc 002_* is its
 * wiki page "Mu-V2"), a PHP 7 + Slim 3 panel that Shadowsocks nodes poll for users and report
 * traffic to. It answers like the PHP code in every point a client can see:
 *
 * - Slim routing first: unknown paths → Slim's 404 page, a known path with another method →
 *   405 + `Allow` (OPTIONS → 200 `Allowed methods: …`), both chosen by `Accept`, both BEFORE
 *   the Mu middleware (no auth). HEAD falls back to GET routes (FastRoute). Leading slashes of
 *   the path are collapsed (`'/' . ltrim($path, '/')`), no trailing-slash match.
 * - Mu middleware: key from header `Key`, then header `Token`, then `?key=` (upstream; the seed
 *   variant: `Token` only, as its doc says), compared with PHP's loose `!=` (`"0123"` matches
 *   `"123"`). `''` counts as missing. 401 bodies: master `[]`; seed/v3 `{"ret":0,"msg":"key is
 *   null"}` / `{"ret":0,"msg":"token is  invalid"}`.
 * - `withJson`: `application/json;charset=utf-8`, PHP `json_encode` (`\/`, `\uXXXX`).
 * - Traffic: `u*rate`, `d*rate` added to the user's counters (rate = the node's
 *   `traffic_rate`; an unknown or missing node ⇒ PHP null ⇒ a zero-rated update), `t` = now.
 *   Params through Slim's `getParam` (parsed body — form or JSON — then query). An unknown user
 *   ⇒ PHP fatal ⇒ Slim's 500 page; in a batch the items before it stay applied.
 * - Batch: the raw body is `json_decode`d whatever its Content-Type; not JSON ⇒ nothing
 *   applied, still `{"ret":1,"msg":"ok"}`.
 *
 * Variants (every documented difference; see `MuApiEmulatorOptions.variant`):
 * | | upstream (master) | seed (wiki + v3) |
 * |---|---|---|
 * | mounts | `/mu/v2`, `/api/mu` | `/mu/v2` |
 * | key from | `Key`, `Token`, `?key=` | `Token` |
 * | 401 body | `[]` | `{"ret":0,"msg":…}` |
 * | GET /users | `{"data":[…]}` | `{"msg":"ok","data":[…]}` |
 * | user fields | all but hidden (+`user_name`, `is_admin` bool) | the wiki's 10 (`fields:'all'`: v3's) |
 * | transfer_enable | float `23166189568.0` | int `23166189568` |
 * | other numeric columns | strings (old PDO) | ints |
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { closeServerHard, trackSockets } from '../common/http-util'
import { makeUser, simulatedUsers, USER_COLUMNS, type MuNode, type MuUser } from './model'
import {
  PhpFloat,
  phpJsonEncode,
  phpLooseEqualStrings,
  phpParseStr,
  phpToNumber,
  phpUrlDecode,
  type PhpParams,
  type PhpValue,
} from './php'
import { slimApplicationError, slimNotAllowed, slimNotFound, type SlimResponse } from './slim'

export type { MuNode, MuUser } from './model'

/** Which panel the emulator plays. */
export type MuApiVariant = 'upstream' | 'seed'

/** The routes of the Mu API v2 (names for {@link MuApiControl.failNext} filters and logs). */
export type MuApiRoute =
  'users' | 'userTraffic' | 'nodeUsers' | 'v2rayUsers' | 'onlineCount' | 'nodeInfo' | 'nodeTraffic'

/**
 * Injected failures (after routing and auth, so a failure hits a valid request):
 * - `ret0`: 200 `{"ret":0,"msg":"update failed"}` (how `online_count`/`info` fail), nothing applied;
 * - `http400`: 400 `{"msg":"update failed"}` (how a per-user traffic save fails), nothing applied;
 * - `http500`: Slim's 500 page; `garbage`: 200 with an HTML captive-portal page;
 * - `hang`: never answers; `drop`: closes the socket without answering, nothing applied;
 * - `dropAfterApply`: applies the request, then closes the socket (the ack is lost).
 */
export type MuApiFailMode =
  'ret0' | 'http400' | 'http500' | 'garbage' | 'hang' | 'drop' | 'dropAfterApply'

/** Options of {@link startMuApiEmulator}. */
export interface MuApiEmulatorOptions {
  /** Listen address (default 127.0.0.1). */
  host?: string
  /** Listen port; 0 = a free random port (default). */
  port?: number
  /** The Mu key (`muKey` / `MuKey`); default `mu-key`. */
  key?: string
  /**
   * 'upstream' (default): orvice/ss-panel master as apis.md §4 describes it.
   * 'seed': the user's seed doc (the wiki "Mu-V2"), completed by the v3 branch it documents.
   */
  variant?: MuApiVariant
  /** Fill the panel with `users` generated users (deterministic for a seed) and nodes 1-3. */
  simulate?: false | { users: number; seed?: number }
  /** Initial users (ids default to 1, 2, …), added after simulated ones. */
  users?: Partial<MuUser>[]
  /** Nodes (default: node 1, rate 1; with `simulate`: 1 (×1), 2 (×1.5), 3 (×0.5)). */
  nodes?: (Partial<MuNode> & { id: number })[]
  /** Override the wire type of `transfer_enable` (default: upstream `float`, seed `int`). */
  transferEnableAs?: 'float' | 'int' | 'string'
  /** Uncast numeric columns as JSON strings, as PDO gives them (default: upstream true, seed false). */
  numericStrings?: boolean
  /** Integral floats with `.0` (default true, as apis.md §4 says). */
  floatZeroFraction?: boolean
  /** Seed variant: 'documented' (default) = the wiki's 10 user fields; 'all' = v3's columns. */
  fields?: 'documented' | 'all'
  /** Seed variant: 'all' (default) = every v3 route; 'documented' = only the wiki's three. */
  routes?: 'all' | 'documented'
}

/** One request as received. */
export interface MuApiRequestLogEntry {
  method: string
  /** Raw request target; a `key` query value is replaced by `REDACTED`. */
  path: string
  /** Request headers; `Key` and `Token` values are replaced by `REDACTED`. */
  headers: Record<string, string | string[] | undefined>
  /** The raw body (UTF-8). */
  body: string
  /** Route name when one matched. */
  route: MuApiRoute | null
  at: number
}

/** What happened to a report. */
export type MuApiOutcome = 'ok' | 'error500' | MuApiFailMode

/** One traffic report: a per-user form post (`kind: 'user'`) or a per-node batch (`'node'`). */
export interface MuApiTrafficReport {
  kind: 'user' | 'node'
  /** Node id as the panel resolved it (`node_id` param / route id); null if none matched a number. */
  nodeId: number | null
  /** The node id exactly as sent (string), or null when absent. */
  rawNodeId: string | null
  /** Rate applied (0 when the node is unknown: PHP null). */
  rate: number
  /** Reported raw bytes (before the rate), per user; `applied` says which reached the counters. */
  items: { userId: number | null; u: number; d: number; applied: boolean }[]
  /** The raw request body. */
  body: string
  outcome: MuApiOutcome
  at: number
}

export interface MuApiOnlineReport {
  nodeId: string
  /** `count` param as sent (string), or null. */
  count: string | null
  outcome: MuApiOutcome
  at: number
}

export interface MuApiNodeInfoReport {
  nodeId: string
  load: string | null
  uptime: string | null
  outcome: MuApiOutcome
  at: number
}

/** Control API for tests. */
export interface MuApiControl {
  /** Copies of every user row (all columns), by id. */
  users(): MuUser[]
  /** Adds a user (next free id unless given); returns the row. */
  addUser(partial?: Partial<MuUser>): MuUser
  /** Patches a user; throws if unknown. */
  setUser(id: number, patch: Partial<MuUser>): MuUser
  removeUser(id: number): void
  nodes(): MuNode[]
  /** Creates or patches a node. */
  setNode(id: number, patch?: Partial<MuNode>): MuNode
  removeNode(id: number): void
  setKey(key: string): void
  reportedTraffic(): MuApiTrafficReport[]
  onlineReports(): MuApiOnlineReport[]
  nodeInfoReports(): MuApiNodeInfoReport[]
  /** Queues a failure for the next request (of `route`, if given); `times` requests (default 1). */
  failNext(mode: MuApiFailMode, opts?: { route?: MuApiRoute; times?: number }): void
  clearFailures(): void
  /** Clears the request log and the report logs. */
  clearLogs(): void
}

/** A running emulator. */
export interface MuApiEmulator {
  /** Base URL of the server, e.g. `http://127.0.0.1:40123` (the API is under `/mu/v2`). */
  readonly url: string
  /** `url` + `/mu/v2` (what an admin enters as the panel's API URL). */
  readonly apiUrl: string
  readonly port: number
  readonly variant: MuApiVariant
  close(): Promise<void>
  readonly control: MuApiControl
  readonly requests: ReadonlyArray<MuApiRequestLogEntry>
}

const JSON_TYPE = 'application/json;charset=utf-8'

const GARBAGE_BODY =
  '<html><head><title>Wi-Fi login</title></head><body><p>Please sign in to continue.</p></body></html>\n'

/** Hidden columns (`User::$hidden`). */
const HIDDEN_MASTER = new Set<keyof MuUser>([
  'pass',
  'last_get_gift_time',
  'last_rest_pass_time',
  'reg_ip',
  'is_email_verify',
  'ref_by',
])
const HIDDEN_V3 = new Set<keyof MuUser>([...HIDDEN_MASTER, 'user_name', 'is_admin'])
/** The fields of the wiki's example, in its order. */
const SEED_DOC_FIELDS: readonly (keyof MuUser)[] = [
  'id',
  'passwd',
  't',
  'u',
  'd',
  'transfer_enable',
  'port',
  'switch',
  'enable',
  'method',
]
const STRING_COLUMNS = new Set<keyof MuUser>([
  'user_name',
  'email',
  'pass',
  'passwd',
  'reg_date',
  'method',
  'protocol',
  'protocol_param',
  'obfs',
  'obfs_param',
  'reg_ip',
  'v2ray_uuid',
])

interface RouteDef {
  name: MuApiRoute
  method: 'GET' | 'POST'
  /** Path after the mount, `{id}` = one segment. */
  pattern: string
  /** Documented in the seed doc. */
  seedDoc: boolean
}

/** Registration order (Slim lists `Allow` methods in this order). */
const ROUTES: readonly RouteDef[] = [
  { name: 'users', method: 'GET', pattern: '/users', seedDoc: true },
  { name: 'userTraffic', method: 'POST', pattern: '/users/{id}/traffic', seedDoc: true },
  { name: 'nodeUsers', method: 'GET', pattern: '/nodes/{id}/users', seedDoc: false },
  { name: 'v2rayUsers', method: 'GET', pattern: '/nodes/{id}/v2rayUsers', seedDoc: false },
  { name: 'onlineCount', method: 'POST', pattern: '/nodes/{id}/online_count', seedDoc: false },
  { name: 'nodeInfo', method: 'POST', pattern: '/nodes/{id}/info', seedDoc: false },
  { name: 'nodeTraffic', method: 'POST', pattern: '/nodes/{id}/traffic', seedDoc: true },
]

function compile(mount: string, pattern: string): RegExp {
  const esc = (mount + pattern).replace(/[.*+?^$()|[\]\\]/g, '\\$&')
  return new RegExp(`^${esc.replace('{id}', '([^/]+)')}$`)
}

/**
 * MySQL's `WHERE id = '<value>'` on an integer column: the string is read as a number by its
 * leading numeric prefix (`'1abc'` finds row 1, `'abc'` row 0). Returns null when no row can match.
 */
function mysqlIdLookup(v: unknown): number | null {
  if (v === null || v === undefined) return null
  if (typeof v === 'number') return Number.isInteger(v) ? v : null
  if (typeof v === 'boolean') return v ? 1 : 0
  if (typeof v !== 'string') return null
  const n = phpToNumber(v)
  return n.ok && Number.isInteger(n.value) ? n.value : null
}

/** A MySQL BIGINT store of a PHP number (fractions rounded, as MySQL does on insert). */
function toBigint(n: number): number {
  return n < 0 ? -Math.round(-n) : Math.round(n)
}

/** Starts an emulator; resolves once it listens. */
export async function startMuApiEmulator(opts: MuApiEmulatorOptions = {}): Promise<MuApiEmulator> {
  const host = opts.host ?? '127.0.0.1'
  const variant: MuApiVariant = opts.variant ?? 'upstream'
  const seed = variant === 'seed'
  let muKey = opts.key ?? 'mu-key'
  const mounts = seed ? ['/mu/v2'] : ['/mu/v2', '/api/mu']
  const routeDefs = ROUTES.filter((r) => !seed || opts.routes !== 'documented' || r.seedDoc)
  const compiled = mounts.flatMap((m) =>
    routeDefs.map((r) => ({ def: r, re: compile(m, r.pattern) })),
  )
  const transferAs = opts.transferEnableAs ?? (seed ? 'int' : 'float')
  const numericStrings = opts.numericStrings ?? !seed
  const zeroFraction = opts.floatZeroFraction ?? true
  const seedFields = opts.fields ?? 'documented'

  const users = new Map<number, MuUser>()
  const nodes = new Map<number, MuNode>()
  const requests: MuApiRequestLogEntry[] = []
  const traffic: MuApiTrafficReport[] = []
  const online: MuApiOnlineReport[] = []
  const infos: MuApiNodeInfoReport[] = []
  const failures: { mode: MuApiFailMode; route?: MuApiRoute; times: number }[] = []
  let closed = false

  const setNode = (id: number, patch: Partial<MuNode> = {}): MuNode => {
    const cur = nodes.get(id) ?? { id, name: `node${id}`, traffic_rate: 1, v2ray_port: 10086 }
    const next = { ...cur, ...patch, id }
    nodes.set(id, next)
    return { ...next }
  }
  const addUser = (partial: Partial<MuUser> = {}): MuUser => {
    const id = partial.id ?? Math.max(0, ...users.keys()) + 1
    if (users.has(id)) throw new Error(`user ${id} exists`)
    const u = makeUser(id, partial)
    users.set(id, u)
    return { ...u }
  }

  if (opts.simulate) {
    for (const u of simulatedUsers(opts.simulate.users, opts.simulate.seed ?? 1)) users.set(u.id, u)
  }
  for (const p of opts.users ?? []) addUser(p)
  const initialNodes =
    opts.nodes ??
    (opts.simulate
      ? [
          { id: 1, name: 'Tokyo', traffic_rate: 1 },
          { id: 2, name: 'Hong Kong', traffic_rate: 1.5 },
          { id: 3, name: 'Frankfurt', traffic_rate: 0.5 },
        ]
      : [{ id: 1 }])
  for (const n of initialNodes) setNode(n.id, n)

  // -- wire encoding ------------------------------------------------------------------------------

  function column(u: MuUser, col: keyof MuUser, cast: Set<keyof MuUser>): PhpValue {
    const v = u[col]
    if (col === 'transfer_enable') {
      const n = v as number
      return transferAs === 'float' ? new PhpFloat(n) : transferAs === 'string' ? String(n) : n
    }
    if (col === 'is_admin' && cast.has('is_admin')) return v !== 0
    if (v === null || STRING_COLUMNS.has(col)) return v
    if (cast.has(col)) return v
    return numericStrings ? String(v) : v
  }

  const CAST_MASTER = new Set<keyof MuUser>(['id', 't', 'u', 'd', 'port', 'enable', 'is_admin'])
  const CAST_V3 = new Set<keyof MuUser>(['id', 't', 'u', 'd', 'port', 'enable', 'switch'])

  function userObject(u: MuUser): Map<string, PhpValue> {
    const m = new Map<string, PhpValue>()
    if (!seed) {
      for (const c of USER_COLUMNS) if (!HIDDEN_MASTER.has(c)) m.set(c, column(u, c, CAST_MASTER))
    } else if (seedFields === 'all') {
      for (const c of USER_COLUMNS) if (!HIDDEN_V3.has(c)) m.set(c, column(u, c, CAST_V3))
    } else {
      // The wiki's example: plain integers everywhere.
      for (const c of SEED_DOC_FIELDS) m.set(c, column(u, c, new Set(SEED_DOC_FIELDS)))
    }
    return m
  }

  function sortedUsers(): MuUser[] {
    return [...users.values()].sort((a, b) => a.id - b.id)
  }

  // -- HTTP plumbing ------------------------------------------------------------------------------

  function send(req: IncomingMessage, res: ServerResponse, r: SlimResponse): void {
    if (closed || res.destroyed) return
    const buf = Buffer.from(r.body, 'utf8')
    res.statusCode = r.status
    for (const [k, v] of Object.entries(r.headers)) res.setHeader(k, v)
    res.setHeader('Content-Length', String(buf.length))
    if (req.method === 'HEAD') res.end()
    else res.end(buf)
  }

  const json = (value: PhpValue, status = 200): SlimResponse => ({
    status,
    headers: { 'Content-Type': JSON_TYPE },
    body: phpJsonEncode(value, { zeroFraction }),
  })
  const OK = (): SlimResponse => json({ ret: 1, msg: 'ok' })

  function readBody(req: IncomingMessage): Promise<Buffer | null> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.once('end', () => resolve(Buffer.concat(chunks)))
      req.once('error', () => resolve(null))
      req.once('close', () => {
        if (!req.complete) resolve(null)
      })
    })
  }

  function headerLine(req: IncomingMessage, name: string): string | undefined {
    const raw = req.rawHeaders
    const vals: string[] = []
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (raw[i]?.toLowerCase() === name) vals.push(raw[i + 1] as string)
    }
    return vals.length === 0 ? undefined : vals.join(',')
  }

  function redactedHeaders(req: IncomingMessage): Record<string, string | string[] | undefined> {
    const h: Record<string, string | string[] | undefined> = { ...req.headers }
    for (const k of ['key', 'token']) if (h[k] !== undefined) h[k] = 'REDACTED'
    return h
  }

  function redactedPath(url: string): string {
    const q = url.indexOf('?')
    if (q < 0) return url
    const parts = url
      .slice(q + 1)
      .split('&')
      .map((p) => (/^key(=|$)/.test(p) ? 'key=REDACTED' : p))
    return `${url.slice(0, q)}?${parts.join('&')}`
  }

  // -- Mu middleware ------------------------------------------------------------------------------

  /** `Helper::getMuKeyFromReq` + the `Mu` middleware; null = pass, else the 401 response. */
  function authenticate(req: IncomingMessage, query: PhpParams): SlimResponse | null {
    let key: string | Record<string, string> | undefined
    const keyHeader = headerLine(req, 'key')
    const tokenHeader = headerLine(req, 'token')
    if (!seed && keyHeader !== undefined) key = keyHeader
    else if (tokenHeader !== undefined) key = tokenHeader
    else if (!seed) key = query.key
    // `$key == null`: absent, '' and an empty array are all "null".
    if (
      key === undefined ||
      key === '' ||
      (typeof key === 'object' && Object.keys(key).length === 0)
    )
      return json(seed ? { ret: 0, msg: 'key is null' } : [], 401)
    if (typeof key === 'object' || !phpLooseEqualStrings(key, muKey)) {
      return json(seed ? { ret: 0, msg: 'token is  invalid' } : [], 401)
    }
    return null
  }

  // -- controllers --------------------------------------------------------------------------------

  interface Ctx {
    req: IncomingMessage
    res: ServerResponse
    id: string
    body: Buffer
    query: PhpParams
    /** Slim's parsed body: form → parse_str, JSON → json_decode(assoc), else null. */
    parsed: unknown
    fail: MuApiFailMode | null
    accept: string
  }

  /** Slim 3 `Request::getParam`: parsed body first, then the query. */
  function getParam(c: Ctx, name: string): unknown {
    const p = c.parsed
    if (p !== null && typeof p === 'object' && !Array.isArray(p)) {
      const v = (p as Record<string, unknown>)[name]
      if (v !== undefined && v !== null) return v
    }
    return c.query[name]
  }

  const asString = (v: unknown): string | null =>
    v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v)

  function rateOf(nodeParam: unknown): { nodeId: number | null; rate: number } {
    const nodeId = mysqlIdLookup(nodeParam)
    const node = nodeId === null ? undefined : nodes.get(nodeId)
    return { nodeId: node === undefined ? null : nodeId, rate: node?.traffic_rate ?? 0 }
  }

  function applyTraffic(user: MuUser, u: number, d: number, rate: number): void {
    user.t = Math.floor(Date.now() / 1000)
    user.u = toBigint(user.u + u * rate)
    user.d = toBigint(user.d + d * rate)
  }

  /** The injected failure's response (null: go on; `dropAfterApply` is handled by the caller). */
  function failureResponse(c: Ctx): SlimResponse | 'none' | null {
    switch (c.fail) {
      case null:
      case 'dropAfterApply':
        return null
      case 'ret0':
        return json({ ret: 0, msg: 'update failed' })
      case 'http400':
        return json({ msg: 'update failed' }, 400)
      case 'http500':
        return slimApplicationError(c.accept)
      case 'garbage':
        return { status: 200, headers: { 'Content-Type': 'text/html' }, body: GARBAGE_BODY }
      case 'hang':
        return 'none'
      case 'drop':
        c.req.socket.destroy()
        return 'none'
    }
  }

  function finish(c: Ctx, r: SlimResponse): void {
    if (c.fail === 'dropAfterApply') c.req.socket.destroy()
    else send(c.req, c.res, r)
  }

  function usersController(): SlimResponse {
    const data = sortedUsers().map(userObject)
    return json(seed ? { msg: 'ok', data } : { data })
  }

  function nodeUsersController(): SlimResponse {
    const data = sortedUsers().map((u) => {
      const m = userObject(u)
      const num = (n: number): PhpValue => (numericStrings ? String(n) : n)
      m.set('v2ray_user', {
        uuid: u.v2ray_uuid,
        email: `${u.v2ray_uuid}@sspanel.xyz`,
        alter_id: num(u.v2ray_alter_id),
        level: num(u.v2ray_level),
      })
      return m
    })
    return json({ msg: 'ok', data })
  }

  /** `V2rayGenerator::getArr()` — shape UNVERIFIED (apis.md §4): a VMess inbound fragment. */
  function v2rayUsersController(c: Ctx): SlimResponse {
    const nodeId = mysqlIdLookup(c.id)
    const node = nodeId === null ? undefined : nodes.get(nodeId)
    const clients = sortedUsers()
      .filter((u) => u.enable !== 0)
      .map((u) => ({
        id: u.v2ray_uuid,
        level: u.v2ray_level,
        alterId: u.v2ray_alter_id,
        email: `${u.v2ray_uuid}@sspanel.io`,
      }))
    return json({
      port: node?.v2ray_port ?? null,
      protocol: 'vmess',
      settings: { clients },
    })
  }

  function userTrafficController(c: Ctx): SlimResponse | null {
    const rawNode = getParam(c, 'node_id')
    const { nodeId, rate } = rateOf(rawNode)
    const rawU = getParam(c, 'u')
    const rawD = getParam(c, 'd')
    const u = phpToNumber(rawU)
    const d = phpToNumber(rawD)
    const userId = mysqlIdLookup(c.id)
    const user = userId === null ? undefined : users.get(userId)
    const report: MuApiTrafficReport = {
      kind: 'user',
      nodeId,
      rawNodeId: asString(rawNode),
      rate,
      items: [{ userId: userId, u: u.ok ? u.value : NaN, d: d.ok ? d.value : NaN, applied: false }],
      body: c.body.toString('utf8'),
      outcome: c.fail ?? 'ok',
      at: Date.now(),
    }
    traffic.push(report)
    const failed = failureResponse(c)
    if (failed === 'none') return null
    if (failed !== null) return failed
    if (typeof rawNode === 'object' && rawNode !== null) {
      report.outcome = 'error500' // Node::find([...]) → a Collection → no traffic_rate
      return slimApplicationError(c.accept)
    }
    if (user === undefined || !u.ok || !d.ok) {
      // `$user->t = time()` on null / `array * float`: a PHP fatal error.
      report.outcome = c.fail === 'dropAfterApply' ? c.fail : 'error500'
      return slimApplicationError(c.accept)
    }
    applyTraffic(user, u.value, d.value, rate)
    ;(report.items[0] as { applied: boolean }).applied = true
    return OK()
  }

  function nodeTrafficController(c: Ctx): SlimResponse | null {
    const { nodeId, rate } = rateOf(c.id)
    const report: MuApiTrafficReport = {
      kind: 'node',
      nodeId,
      rawNodeId: c.id,
      rate,
      items: [],
      body: c.body.toString('utf8'),
      outcome: c.fail ?? 'ok',
      at: Date.now(),
    }
    traffic.push(report)
    let decoded: unknown
    try {
      decoded = JSON.parse(report.body) as unknown
    } catch {
      decoded = null // json_decode → null → foreach warning → nothing done
    }
    const entries: unknown[] =
      decoded !== null && typeof decoded === 'object'
        ? Array.isArray(decoded)
          ? decoded
          : Object.values(decoded)
        : []
    // Parse every item for the log, before deciding anything.
    const parsed = entries.map((e) => {
      const obj =
        e !== null && typeof e === 'object' && !Array.isArray(e)
          ? (e as Record<string, unknown>)
          : null
      const userId = obj === null ? null : mysqlIdLookup(obj.user_id)
      const u = phpToNumber(obj?.u)
      const d = phpToNumber(obj?.d)
      report.items.push({
        userId,
        u: u.ok ? u.value : NaN,
        d: d.ok ? d.value : NaN,
        applied: false,
      })
      return { userId, u, d, ok: obj !== null }
    })
    const failed = failureResponse(c)
    if (failed === 'none') return null
    if (failed !== null) return failed
    for (let i = 0; i < parsed.length; i++) {
      const p = parsed[i] as (typeof parsed)[number]
      const user = p.userId === null ? undefined : users.get(p.userId)
      if (!p.ok || user === undefined || !p.u.ok || !p.d.ok) {
        // PHP fatal mid-loop: the rows saved so far stay saved.
        if (c.fail !== 'dropAfterApply') report.outcome = 'error500'
        return slimApplicationError(c.accept)
      }
      applyTraffic(user, p.u.value, p.d.value, rate)
      ;(report.items[i] as { applied: boolean }).applied = true
    }
    return OK()
  }

  function onlineController(c: Ctx): SlimResponse | null {
    const count = getParam(c, 'count')
    online.push({ nodeId: c.id, count: asString(count), outcome: c.fail ?? 'ok', at: Date.now() })
    const failed = failureResponse(c)
    if (failed === 'none') return null
    return failed ?? OK()
  }

  function infoController(c: Ctx): SlimResponse | null {
    infos.push({
      nodeId: c.id,
      load: asString(getParam(c, 'load')),
      uptime: asString(getParam(c, 'uptime')),
      outcome: c.fail ?? 'ok',
      at: Date.now(),
    })
    const failed = failureResponse(c)
    if (failed === 'none') return null
    return failed ?? OK()
  }

  function dispatch(name: MuApiRoute, c: Ctx): SlimResponse | null {
    switch (name) {
      case 'userTraffic':
        return userTrafficController(c)
      case 'nodeTraffic':
        return nodeTrafficController(c)
      case 'onlineCount':
        return onlineController(c)
      case 'nodeInfo':
        return infoController(c)
    }
    // GET routes: an injected failure replaces the answer.
    const failed = failureResponse(c)
    if (failed === 'none') return null
    if (failed !== null) return failed
    if (name === 'users') return usersController()
    if (name === 'nodeUsers') return nodeUsersController()
    return v2rayUsersController(c)
  }

  function parseBody(req: IncomingMessage, body: Buffer): unknown {
    if (req.method !== 'POST' && req.method !== 'PUT' && req.method !== 'PATCH') return null
    const type = (headerLine(req, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase()
    if (type === 'application/x-www-form-urlencoded') return phpParseStr(body.toString('utf8'))
    if (type === 'application/json' || type?.endsWith('+json')) {
      try {
        return JSON.parse(body.toString('utf8')) as unknown
      } catch {
        return null
      }
    }
    return null
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req)
    if (body === null || closed) return
    const url = req.url ?? '/'
    const q = url.indexOf('?')
    const rawPath = q < 0 ? url : url.slice(0, q)
    const query = phpParseStr(q < 0 ? '' : (url.slice(q + 1).split('#')[0] ?? ''))
    const path = `/${rawPath.replace(/^\/+/, '')}`
    const method = req.method ?? 'GET'
    const accept = headerLine(req, 'accept') ?? ''

    // Slim/FastRoute: match the path, then the method (HEAD falls back to GET).
    const matching = compiled.filter((r) => r.re.test(path))
    const hit =
      matching.find((r) => r.def.method === method) ??
      (method === 'HEAD' ? matching.find((r) => r.def.method === 'GET') : undefined)
    requests.push({
      method,
      path: redactedPath(url),
      headers: redactedHeaders(req),
      body: body.toString('utf8'),
      route: hit?.def.name ?? null,
      at: Date.now(),
    })
    if (hit === undefined) {
      const host = headerLine(req, 'host') ?? `${req.socket.localAddress}:${req.socket.localPort}`
      if (matching.length === 0) send(req, res, slimNotFound(accept, `http://${host}`))
      else
        send(
          req,
          res,
          slimNotAllowed(
            method,
            accept,
            matching.map((r) => r.def.method),
          ),
        )
      return
    }
    const denied = authenticate(req, query)
    if (denied !== null) {
      send(req, res, denied)
      return
    }
    let fail: MuApiFailMode | null = null
    const fi = failures.findIndex((f) => f.route === undefined || f.route === hit.def.name)
    if (fi >= 0) {
      const f = failures[fi] as (typeof failures)[number]
      fail = f.mode
      if (--f.times <= 0) failures.splice(fi, 1)
    }
    // Slim 3 `urldecode`s route arguments.
    const id = phpUrlDecode((hit.re.exec(path) ?? [])[1] ?? '')
    const c: Ctx = { req, res, id, body, query, parsed: parseBody(req, body), fail, accept }
    const r = dispatch(hit.def.name, c)
    if (r !== null) finish(c, r)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent && !res.destroyed) send(req, res, slimApplicationError(''))
    })
  })
  const sockets = trackSockets(server)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const urlHost = host.includes(':') ? `[${host}]` : host
  const url = `http://${urlHost}:${port}`

  const control: MuApiControl = {
    users: () => sortedUsers().map((u) => ({ ...u })),
    addUser,
    setUser(id, patch) {
      const u = users.get(id)
      if (u === undefined) throw new Error(`no user ${id}`)
      Object.assign(u, patch, { id })
      return { ...u }
    },
    removeUser(id) {
      users.delete(id)
    },
    nodes: () => [...nodes.values()].sort((a, b) => a.id - b.id).map((n) => ({ ...n })),
    setNode,
    removeNode(id) {
      nodes.delete(id)
    },
    setKey(k) {
      muKey = k
    },
    reportedTraffic: () => traffic.map((r) => ({ ...r, items: r.items.map((i) => ({ ...i })) })),
    onlineReports: () => online.map((r) => ({ ...r })),
    nodeInfoReports: () => infos.map((r) => ({ ...r })),
    failNext(mode, o = {}) {
      failures.push({ mode, route: o.route, times: Math.max(1, o.times ?? 1) })
    },
    clearFailures() {
      failures.length = 0
    },
    clearLogs() {
      requests.length = 0
      traffic.length = 0
      online.length = 0
      infos.length = 0
    },
  }

  return {
    url,
    apiUrl: `${url}/mu/v2`,
    port,
    variant,
    async close() {
      if (closed) return
      closed = true
      await closeServerHard(server, sockets)
    },
    control,
    requests,
  }
}
