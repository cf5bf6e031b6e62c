/**
 * The WireGuard monitor's state, ported from the upstream Python (apis.md §5): the SQLite tables
 * `users`, `events`, `traffic_stats` as in-memory rows, the in-process `user_sessions` dict, the
 * `wg0` interface (`wg show wg0 dump`: per peer rx/tx from the SERVER's view, latest handshake,
 * endpoint) and the 10 s monitor poll (`monitor_wireguard`), with upstream's quirks:
 *
 * - users' totals and the daily `traffic_stats` grow only when a session CLOSES (close_session),
 *   with the session's last POLLED bytes (bytes since the last poll are lost);
 * - a session is live only in `events` (session_rx/tx, updated every poll);
 * - `kick` closes the session but keeps the peer: a still-handshaking client gets a new session
 *   at the next poll; `disable` removes the peer (it disappears → session closed at next poll);
 *   `enable` re-adds it only when the user has a `client_ip` (auto-inserted users have none);
 * - unknown peers are inserted as users (nickname null, client_ip null) by the monitor;
 * - an expired `expiry_date` disables the user at the next poll (peer stays on the interface);
 * - a peer whose counters went backwards (removed and re-added) restarts the session baseline;
 * - deleting a user leaves its events and traffic_stats (SQLite foreign keys are off by default).
 *
 * Directions: `rx` = bytes the server RECEIVED from the peer = the client's UPLOAD; `tx` = bytes
 * the server SENT = the client's DOWNLOAD. Upstream's dashboard/chart call `tx` "upload" and `rx`
 * "download" (the server's own upload/download), i.e. inverted relative to the client.
 */

export interface UserRow {
  id: number
  peer_pubkey: string
  client_ip: string | null
  nickname: unknown
  mail: unknown
  phone: unknown
  login_ip: string | null
  bandwidth_limit: unknown
  data_limit: unknown
  expiry_date: unknown
  status: number
  enabled: unknown
  total_rx: number
  total_tx: number
  last_login: string | null
  note: unknown
  wg_config: string | null
  created_at: string
  updated_at: string
}

export interface EventRow {
  id: number
  user_id: number
  start_time: string
  end_time: string | null
  last_update: string
  session_rx: number
  session_tx: number
  login_ip: string | null
  endpoint_info: string | null
  status: 'ONLINE' | 'OFFLINE'
  duration_seconds: number
}

export interface TrafficStatRow {
  user_id: number
  date: string
  daily_rx: number
  daily_tx: number
  session_count: number
}

export interface Session {
  event_id: number
  start_rx: number
  start_tx: number
  last_handshake: number
  user_id: number
  nickname: string
}

export interface WgPeer {
  pubkey: string
  allowedIp: string | null
  /** Server view: received from the peer (client upload). */
  rx: number
  /** Server view: sent to the peer (client download). */
  tx: number
  /** Unix seconds; 0 = never. */
  handshake: number
  endpoint: string | null
}

/** A client device behind a public key: whether it keeps handshaking and from where. */
export interface Device {
  online: boolean
  endpoint: string
}

/** A Python exception as the handlers see it: `kind` picks the `except` clause. */
export class PyError extends Error {
  constructor(
    readonly kind: 'ValueError' | 'RuntimeError' | 'TypeError' | 'Exception',
    message: string,
  ) {
    super(message)
  }
}

const EMAIL_RE = /^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$/
const ALLOWED_FIELDS = [
  'nickname',
  'mail',
  'phone',
  'bandwidth_limit',
  'data_limit',
  'expiry_date',
  'enabled',
  'note',
] as const
const INTEGER_COLUMNS = new Set(['bandwidth_limit', 'data_limit', 'enabled'])

/** Python's type name of a JSON value. */
export function pyTypeName(v: unknown): string {
  if (v === null || v === undefined) return 'NoneType'
  if (typeof v === 'boolean') return 'bool'
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float'
  if (typeof v === 'string') return 'str'
  if (Array.isArray(v)) return 'list'
  return 'dict'
}

/** Python `len()` of a JSON value, or the TypeError. */
function pyLen(v: unknown): number {
  if (typeof v === 'string') return Array.from(v).length
  if (Array.isArray(v)) return v.length
  if (v !== null && typeof v === 'object') return Object.keys(v).length
  throw new PyError('TypeError', `object of type '${pyTypeName(v)}' has no len()`)
}

/** Python truthiness of a JSON value. */
export function pyTruthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false
  if (Array.isArray(v)) return v.length > 0
  if (typeof v === 'object') return Object.keys(v).length > 0
  return true
}

/** Python `==` between a JSON value and an int (True == 1, 1.0 == 1). */
function pyEqInt(v: unknown, n: number): boolean {
  return v === n || (typeof v === 'boolean' && Number(v) === n)
}

/** upstream `validate_pubkey`: 44 characters and `base64.b64decode(key + '==')` succeeds. */
export function validatePubkey(pubkey: unknown): boolean {
  if (!pyTruthy(pubkey)) return false
  if (pyLen(pubkey) !== 44) return false
  if (typeof pubkey !== 'string') return false // list/dict + '==' → TypeError → False
  // non-strict b64decode drops non-alphabet characters and stops at padding; it fails only when
  // the data characters are 1 more than a multiple of 4
  const data = (pubkey + '==').split('=')[0]?.replace(/[^A-Za-z0-9+/]/g, '') ?? ''
  return data.length % 4 !== 1
}

/** A JSON value as SQLite stores it in a column (INTEGER affinity converts numeric text). */
function sqliteValue(column: string, v: unknown, index: number): unknown {
  if (v !== null && typeof v === 'object') {
    throw new PyError(
      'Exception',
      `Error binding parameter ${index}: type '${pyTypeName(v)}' is not supported`,
    )
  }
  if (typeof v === 'boolean') return v ? 1 : 0
  if (INTEGER_COLUMNS.has(column) && typeof v === 'string' && /^\s*[+-]?\d+(\.\d*)?\s*$/.test(v)) {
    const n = Number(v)
    if (Number.isFinite(n)) return n
  }
  return v
}

function checkConstraints(row: UserRow): void {
  const nonNeg = (name: 'bandwidth_limit' | 'data_limit'): void => {
    const v = row[name]
    if (typeof v === 'number' && v < 0)
      throw new PyError('Exception', `CHECK constraint failed: ${name} >= 0`)
  }
  nonNeg('bandwidth_limit')
  nonNeg('data_limit')
  if (row.enabled !== 0 && row.enabled !== 1)
    throw new PyError('Exception', 'CHECK constraint failed: enabled IN (0, 1)')
}

export interface WgMonStateOptions {
  /** `--handshake-timeout` (MAX_HANDSHAKE_AGE), seconds; default 180. */
  handshakeTimeout?: number
  /** Interface name; default wg0. */
  iface?: string
  /** The first three octets of the client addresses (default `10.0.0`; .2–.254 are handed out). */
  subnetPrefix?: string
  /** Server public key / endpoint for the generated client configs. */
  serverPubkey?: string
  serverEndpoint?: string
}

/** The monitor's database, interface and session table. */
export class WgMonState {
  users = new Map<number, UserRow>()
  events: EventRow[] = []
  trafficStats = new Map<string, TrafficStatRow>()
  /** upstream `user_sessions` (pubkey → session), insertion-ordered like a Python dict. */
  sessions = new Map<string, Session>()
  peers = new Map<string, WgPeer>()
  devices = new Map<string, Device>()
  /** `wg` works (false: `wg show` fails → status "error", polls see no peers, create → 500). */
  wgUp = true
  /** Emulated clock offset (ms) added to Date.now(): tests move time forward with it. */
  clockOffsetMs = 0
  private nextUserId = 1
  private nextEventId = 1
  readonly handshakeTimeout: number
  readonly iface: string
  private readonly subnetPrefix: string
  private readonly serverPubkey: string
  private readonly serverEndpoint: string

  constructor(o: WgMonStateOptions = {}) {
    this.handshakeTimeout = o.handshakeTimeout ?? 180
    this.iface = o.iface ?? 'wg0'
    this.subnetPrefix = o.subnetPrefix ?? '10.0.0'
    this.serverPubkey = o.serverPubkey ?? 'U2VydmVyUHVibGljS2V5Rm9yV2dNb25FbXVsYXRvcjA='
    this.serverEndpoint = o.serverEndpoint ?? '203.0.113.1:51820'
  }

  nowMs(): number {
    return Date.now() + this.clockOffsetMs
  }

  /** `datetime.now().strftime("%Y-%m-%d %H:%M:%S")` (local time). */
  timestamp(ms = this.nowMs()): string {
    return `${this.localDate(ms)} ${new Date(ms).toTimeString().slice(0, 8)}`
  }

  /** `datetime.now().strftime("%Y-%m-%d")` (local). */
  localDate(ms = this.nowMs()): string {
    const d = new Date(ms)
    const p = (n: number): string => String(n).padStart(2, '0')
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`
  }

  /** SQLite `date('now', '-N days')` (UTC). */
  sqliteDate(ms = this.nowMs(), minusDays = 0): string {
    return new Date(ms - minusDays * 86_400_000).toISOString().slice(0, 10)
  }

  /** Parses a local `YYYY-MM-DD HH:MM:SS` (strptime); null if malformed. */
  parseTimestamp(s: unknown): number | null {
    if (typeof s !== 'string') return null
    const m = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})$/.exec(s)
    if (!m) return null
    const [, y, mo, d, h, mi, se] = m.map(Number) as number[]
    return new Date(y!, mo! - 1, d!, h!, mi!, se!).getTime()
  }

  userByPubkey(pubkey: string): UserRow | undefined {
    for (const u of this.users.values()) if (u.peer_pubkey === pubkey) return u
    return undefined
  }

  // ---- wg ------------------------------------------------------------------------------------

  addWgPeer(pubkey: string, ip: string | null): boolean {
    if (!this.wgUp) return false
    const existing = this.peers.get(pubkey)
    if (existing) existing.allowedIp = ip
    else
      this.peers.set(pubkey, { pubkey, allowedIp: ip, rx: 0, tx: 0, handshake: 0, endpoint: null })
    return true
  }

  removeWgPeer(pubkey: string): boolean {
    if (!this.wgUp) return false
    this.peers.delete(pubkey)
    return true
  }

  /** `wg show wg0 dump` as upstream parses it ({} when wg fails). */
  private wgDump(): Map<string, WgPeer> {
    if (!this.wgUp) return new Map()
    const now = Math.floor(this.nowMs() / 1000)
    for (const p of this.peers.values()) {
      const dev = this.devices.get(p.pubkey)
      if (dev?.online) {
        p.handshake = now
        p.endpoint = dev.endpoint
      }
    }
    return new Map([...this.peers].map(([k, p]) => [k, { ...p }]))
  }

  // ---- users ---------------------------------------------------------------------------------

  private nextIp(): string {
    const used = new Set([...this.users.values()].map((u) => u.client_ip))
    for (let i = 2; i <= 254; i++) {
      const ip = `${this.subnetPrefix}.${i}`
      if (!used.has(ip)) return ip
    }
    throw new PyError('ValueError', 'No available IP addresses')
  }

  /** upstream `create_user`; returns (user_id, client_ip). */
  createUser(pubkey: unknown, f: Record<string, unknown> = {}): { id: number; clientIp: string } {
    if (!validatePubkey(pubkey)) throw new PyError('ValueError', 'Invalid public key format')
    const key = pubkey as string
    const mail = f.mail
    if (pyTruthy(mail)) {
      if (typeof mail !== 'string')
        throw new PyError(
          'TypeError',
          `expected string or bytes-like object, got '${pyTypeName(mail)}'`,
        )
      if (!EMAIL_RE.test(mail)) throw new PyError('ValueError', 'Invalid email format')
    }
    if (this.userByPubkey(key)) throw new PyError('ValueError', 'Public key already exists')
    const clientIp = this.nextIp()
    if (!this.addWgPeer(key, clientIp))
      throw new PyError('RuntimeError', 'Failed to add peer to WireGuard interface')
    const now = this.timestamp()
    const cols: Array<[string, unknown]> = [
      ['nickname', f.nickname ?? null],
      ['mail', mail ?? null],
      ['phone', f.phone ?? null],
      ['bandwidth_limit', f.bandwidth_limit === undefined ? 0 : f.bandwidth_limit],
      ['data_limit', f.data_limit === undefined ? 0 : f.data_limit],
      ['expiry_date', f.expiry_date ?? null],
      ['note', f.note ?? null],
    ]
    try {
      const v = Object.fromEntries(cols.map(([c, x], i) => [c, sqliteValue(c, x, i + 3)]))
      const row: UserRow = {
        id: this.nextUserId,
        peer_pubkey: key,
        client_ip: clientIp,
        nickname: v.nickname,
        mail: v.mail,
        phone: v.phone,
        login_ip: null,
        bandwidth_limit: v.bandwidth_limit ?? 0,
        data_limit: v.data_limit ?? 0,
        expiry_date: v.expiry_date,
        status: 0,
        enabled: 1,
        total_rx: 0,
        total_tx: 0,
        last_login: null,
        note: v.note,
        wg_config: this.clientConfig(clientIp),
        created_at: now,
        updated_at: now,
      }
      checkConstraints(row)
      this.nextUserId++
      this.users.set(row.id, row)
      return { id: row.id, clientIp }
    } catch (e) {
      this.removeWgPeer(key)
      throw new PyError(
        'RuntimeError',
        `Failed to create user in database: ${(e as Error).message}`,
      )
    }
  }

  /** UNVERIFIED: upstream's `generate_wg_config` was not read; a plausible client config. */
  private clientConfig(ip: string): string {
    return (
      `[Interface]\nPrivateKey = <CLIENT_PRIVATE_KEY>\nAddress = ${ip}/32\nDNS = 8.8.8.8\n\n` +
      `[Peer]\nPublicKey = ${this.serverPubkey}\nEndpoint = ${this.serverEndpoint}\n` +
      `AllowedIPs = 0.0.0.0/0\nPersistentKeepalive = 25\n`
    )
  }

  /** upstream `update_user(user_id, **kwargs)`. */
  updateUser(id: number, kwargs: Record<string, unknown>): void {
    const updates = Object.entries(kwargs).filter(([k]) =>
      (ALLOWED_FIELDS as readonly string[]).includes(k),
    )
    if (updates.length === 0) return
    if ('mail' in kwargs && pyTruthy(kwargs.mail)) {
      if (typeof kwargs.mail !== 'string')
        throw new PyError(
          'TypeError',
          `expected string or bytes-like object, got '${pyTypeName(kwargs.mail)}'`,
        )
      if (!EMAIL_RE.test(kwargs.mail)) throw new PyError('ValueError', 'Invalid email format')
    }
    const user = this.users.get(id)
    if ('enabled' in kwargs && pyEqInt(kwargs.enabled, 0)) {
      if (user) this.removeWgPeer(user.peer_pubkey)
    } else if ('enabled' in kwargs && pyEqInt(kwargs.enabled, 1)) {
      if (user && user.client_ip) this.addWgPeer(user.peer_pubkey, user.client_ip)
    }
    const values = updates.map(([k, v], i) => [k, sqliteValue(k, v, i + 1)] as const)
    if (!user) return
    const next = { ...user } as unknown as Record<string, unknown>
    for (const [k, v] of values) next[k] = v
    next.updated_at = this.timestamp()
    checkConstraints(next as unknown as UserRow)
    this.users.set(id, next as unknown as UserRow)
  }

  /** upstream `delete_user`: ValueError('User not found') for a missing id. */
  deleteUser(id: number): void {
    const user = this.users.get(id)
    if (!user) throw new PyError('ValueError', 'User not found')
    for (const e of this.events)
      if (e.user_id === id && e.end_time === null) this.closeSession(e.id, 0, 0)
    for (const [k, s] of this.sessions) {
      if (s.user_id === id) {
        this.sessions.delete(k)
        break
      }
    }
    this.removeWgPeer(user.peer_pubkey)
    this.users.delete(id)
  }

  resetTraffic(id: number): void {
    const u = this.users.get(id)
    if (!u) return
    u.total_rx = 0
    u.total_tx = 0
    u.updated_at = this.timestamp()
  }

  // ---- sessions (session_monitor) ------------------------------------------------------------

  private getOrCreateUser(pubkey: string): [number, string, unknown] | null {
    if (!validatePubkey(pubkey)) return null
    const user = this.userByPubkey(pubkey)
    if (user) {
      const nick = pyTruthy(user.nickname) ? String(user.nickname) : `User_${user.id}`
      if (pyTruthy(user.expiry_date)) {
        const exp = this.parseTimestamp(user.expiry_date)
        if (exp !== null && this.nowMs() > exp) {
          user.enabled = 0
          user.updated_at = this.timestamp()
          return [user.id, nick, 0]
        }
      }
      return [user.id, nick, user.enabled]
    }
    const now = this.timestamp()
    const row: UserRow = {
      id: this.nextUserId++,
      peer_pubkey: pubkey,
      client_ip: null,
      nickname: null,
      mail: null,
      phone: null,
      login_ip: null,
      bandwidth_limit: 0,
      data_limit: 0,
      expiry_date: null,
      status: 0,
      enabled: 1,
      total_rx: 0,
      total_tx: 0,
      last_login: null,
      note: null,
      wg_config: null,
      created_at: now,
      updated_at: now,
    }
    this.users.set(row.id, row)
    return [row.id, `User_${row.id}`, 1]
  }

  private setStatus(userId: number, status: number): void {
    const u = this.users.get(userId)
    if (!u) return
    u.status = status
    u.updated_at = this.timestamp()
  }

  /** upstream `close_session(event_id, final_rx, final_tx)` (`final or session` = Python `or`). */
  closeSession(eventId: number, finalRx: number | null, finalTx: number | null): void {
    const ev = this.events.find((e) => e.id === eventId)
    if (!ev) return
    const start = this.parseTimestamp(ev.start_time)
    const duration = start === null ? 0 : Math.floor((this.nowMs() - start) / 1000)
    const rx = finalRx || ev.session_rx
    const tx = finalTx || ev.session_tx
    const now = this.timestamp()
    const u = this.users.get(ev.user_id)
    if (u) {
      u.total_rx += rx
      u.total_tx += tx
      u.last_login = now
      u.updated_at = now
    }
    const date = this.localDate()
    const key = `${ev.user_id}|${date}`
    const ts = this.trafficStats.get(key) ?? {
      user_id: ev.user_id,
      date,
      daily_rx: 0,
      daily_tx: 0,
      session_count: 0,
    }
    ts.daily_rx += rx
    ts.daily_tx += tx
    ts.session_count += 1
    this.trafficStats.set(key, ts)
    ev.end_time = now
    ev.session_rx = rx
    ev.session_tx = tx
    ev.status = 'OFFLINE'
    ev.duration_seconds = duration
  }

  /** upstream `handle_peer_offline(pubkey, reason)`. */
  peerOffline(pubkey: string): void {
    const s = this.sessions.get(pubkey)
    if (!s) return
    this.closeSession(s.event_id, null, null)
    this.setStatus(s.user_id, 0)
    this.sessions.delete(pubkey)
  }

  private peerOnline(pubkey: string, peer: WgPeer): void {
    const got = this.getOrCreateUser(pubkey)
    if (!got) return
    const [userId, nickname, enabled] = got
    if (pyEqInt(enabled, 0)) {
      this.setStatus(userId, 0)
      return
    }
    const s = this.sessions.get(pubkey)
    if (s) {
      let rx: number
      let tx: number
      if (peer.rx < s.start_rx || peer.tx < s.start_tx) {
        s.start_rx = peer.rx
        s.start_tx = peer.tx
        rx = 0
        tx = 0
      } else {
        rx = peer.rx - s.start_rx
        tx = peer.tx - s.start_tx
      }
      const ev = this.events.find((e) => e.id === s.event_id)
      if (ev) {
        ev.last_update = this.timestamp()
        ev.session_rx = rx
        ev.session_tx = tx
      }
      s.last_handshake = peer.handshake
      return
    }
    const now = this.timestamp()
    const ev: EventRow = {
      id: this.nextEventId++,
      user_id: userId,
      start_time: now,
      end_time: null,
      last_update: now,
      session_rx: 0,
      session_tx: 0,
      login_ip: null,
      endpoint_info: peer.endpoint,
      status: 'ONLINE',
      duration_seconds: 0,
    }
    this.events.push(ev)
    this.sessions.set(pubkey, {
      event_id: ev.id,
      start_rx: peer.rx,
      start_tx: peer.tx,
      last_handshake: peer.handshake,
      user_id: userId,
      nickname,
    })
    this.setStatus(userId, 1)
  }

  /** One `monitor_wireguard()` pass. */
  poll(): void {
    const peers = this.wgDump()
    const now = this.nowMs() / 1000
    for (const [pubkey, p] of peers) {
      const online = p.handshake !== 0 && now - p.handshake <= this.handshakeTimeout
      if (online) this.peerOnline(pubkey, p)
      else if (this.sessions.has(pubkey)) this.peerOffline(pubkey)
    }
    for (const pubkey of [...this.sessions.keys()]) if (!peers.has(pubkey)) this.peerOffline(pubkey)
  }
}
