/**
 * Emulator of the Hysteria 2 Traffic Stats API (apis.md §1; upstream apernet/hysteria
 * `extras/trafficlogger/http.go`), served over plain HTTP/1.1 like the real `trafficStats.listen`.
 *
 * It behaves like the Go server in every point a client can see:
 * - `Authorization` is compared with the secret byte for byte (no scheme) **before** routing;
 *   401 `unauthorized\n` (Go `http.Error`), also for unknown paths.
 * - exact method + exact (percent-decoded, uncleaned) path; anything else 404
 *   `404 page not found\n`, never 405. `OPTIONS *` is answered by Go's server itself (200, no auth).
 * - `/traffic` JSON (Go map order, HTML-safe escaping, no trailing newline); `?clear=` through
 *   `strconv.ParseBool` (parse errors ignored); snapshot + reset in one synchronous step.
 * - `/kick` decoded like `json.NewDecoder(r.Body).Decode(&[]string)` with Go's error texts; the
 *   kick is lazy: the next traffic chunk of the ID closes the connection carrying it and is not
 *   counted (`LogTraffic` returns false).
 * - `/online` counts connections ("devices"); `/dump/streams` JSON (json.Encoder: trailing
 *   newline) or the netstat-like text table when `Accept` contains `text/plain`.
 * - Go's framing: bodies up to 2048 bytes carry Content-Length, longer ones are chunked.
 *
 * Counters are uint64 on the wire and kept as bigint here (wrapping at 2^64 like Go); the
 * numbers in the control API (`traffic()`, `moveTraffic`) are JS numbers, exact below 2^53.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomInt } from 'node:crypto'
import {
  GO_CHUNKING_THRESHOLD,
  GO_ERROR_HEADERS,
  closeServerHard,
  firstHeader,
  goDecodeStringArray,
  goHttpError,
  goJsonString,
  goParseBool,
  goQueryGet,
  goStringCompare,
  headerBytesEqual,
  parseGoRequestURI,
  trackSockets,
  waitDrain,
  writeGoBadRequestAndClose,
  writeGoResponse,
} from '../common/http-util'
import { createPrng, startSimulation, type Simulation } from './sim'

/** Options of {@link startHysteria2Emulator}. */
export interface Hysteria2EmulatorOptions {
  /** Listen address (default 127.0.0.1). */
  host?: string
  /** Listen port; 0 = a free random port (default). */
  port?: number
  /** `trafficStats.secret`; '' = no auth at all (default). */
  secret?: string
  /**
   * 'upstream' (default): `/dump/streams` as the Go code serves it. 'seed': as the user's seed
   * doc describes it, `{"<connId>": {user, remote, target, tx, rx}}` (JSON only).
   */
  variant?: 'upstream' | 'seed'
  /** Run the traffic simulation (see sim.ts); false (default) = only the control API moves data. */
  simulate?: false | { tickMs?: number; users?: number; seed?: number; names?: readonly string[] }
}

/** Failure modes for resilience tests. */
export type Hysteria2Mode = 'normal' | 'silent' | 'garbage' | 'drip' | 'huge' | 'http500'

/** Stream states as upstream `StreamState.String()` names them. */
export type StreamStateName = 'init' | 'hook' | 'connect' | 'estab' | 'closed' | 'unknown'

const STREAM_STATES: readonly StreamStateName[] = [
  'init',
  'hook',
  'connect',
  'estab',
  'closed',
  'unknown',
]

/** One request as received (before any auth or routing). */
export interface RequestLogEntry {
  method: string
  /** The raw request target: path and query as sent (e.g. `/traffic?clear=1`). */
  path: string
  headers: Record<string, string | string[] | undefined>
  /** `Date.now()` at arrival. */
  at: number
}

/** A running emulator and its control API. */
export interface Hysteria2Emulator {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  readonly url: string
  readonly port: number
  /** Stops the simulation and all timers, destroys every open socket, stops listening. */
  close(): Promise<void>
  /** Opens a device (authenticated QUIC connection); returns its random uint32 connection id. */
  connect(authId: string): number
  /** Ends a connection (and its streams); unknown ids are ignored. */
  disconnect(connectionId: number): void
  /**
   * Opens a TCP proxy stream (client bidi stream ids 4, 8, 12, …: stream 0 carried the HTTP/3
   * auth request). Default state `estab`. In state `init` the request has not been read yet, so
   * `req_addr` stays empty. `hookedReqAddr` equal to `reqAddr` is stored as "" (upstream).
   */
  openStream(
    connectionId: number,
    reqAddr: string,
    opts?: { hookedReqAddr?: string; state?: string },
  ): number
  /** Closes a stream: upstream untraces it at once, so it leaves `/dump/streams`. */
  closeStream(connectionId: number, streamId: number): void
  /**
   * Moves traffic on one connection (on one `estab` stream, or as UDP datagrams without
   * `streamId`). `tx` = client upload, `rx` = client download. Lazy kick: if the user has a
   * pending kick, this chunk closes this connection and is NOT counted; returns false then.
   * A zero chunk (0, 0) is no chunk: it changes nothing and returns true.
   */
  moveTraffic(connectionId: number, tx: number, rx: number, streamId?: number): boolean
  /** Server restart: all counters, connections, streams and pending kicks gone (the listener stays). */
  restart(): void
  setSecret(secret: string): void
  setMode(mode: Hysteria2Mode): void
  readonly requests: ReadonlyArray<RequestLogEntry>
  clearRequestLog(): void
  pendingKicks(): string[]
  online(): Record<string, number>
  traffic(): Record<string, { tx: number; rx: number }>
  // Additions beyond the brief's shape:
  /** Whether a connection id is still open (the simulation uses it to notice drops). */
  isConnected(connectionId: number): boolean
  /** Changes a stream's state (e.g. `connect` → `estab`). */
  setStreamState(connectionId: number, streamId: number, state: string): void
  /** The running simulation, when `simulate` was given. */
  readonly simulation: Simulation | null
}

/** Upstream's banner page for `GET /` (byte-exact). */
export const INDEX_HTML =
  '<!DOCTYPE html><html lang="en"><head> <meta charset="UTF-8"> <meta name="viewport" content="width=device-width, initial-scale=1.0"> <title>Hysteria Traffic Stats API Server</title> <style>body{font-family: Arial, sans-serif; display: flex; justify-content: center; align-items: center; height: 100vh; margin: 0; padding: 0; background-color: #f4f4f4;}.container{padding: 20px; background-color: #fff; box-shadow: 0 4px 6px rgba(0, 0, 0, 0.1); border-radius: 5px;}</style></head><body> <div class="container"> <p>This is a Hysteria Traffic Stats API server.</p><p>Check the documentation for usage.</p></div></body></html>'

const JSON_TYPE = 'application/json; charset=utf-8'
const U64 = 64

// ---------------------------------------------------------------------------------------------
// Go time formatting

const WALL_BASE_NS = BigInt(Date.now()) * 1_000_000n
const HR_BASE_NS = process.hrtime.bigint()

/** Wall-clock time in nanoseconds since the epoch (ms from Date, sub-ms from hrtime). */
export function nowNs(): bigint {
  return WALL_BASE_NS + (process.hrtime.bigint() - HR_BASE_NS)
}

/** Go's `t.Format(time.RFC3339Nano)` in the local zone: trailing fraction zeros dropped, `Z` for UTC. */
export function goRfc3339Nano(ns: bigint): string {
  const ms = Number(ns / 1_000_000n)
  const offMin = -new Date(ms).getTimezoneOffset()
  const d = new Date(ms + offMin * 60_000)
  const p = (n: number, w = 2): string => String(n).padStart(w, '0')
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n)
    .toString()
    .padStart(9, '0')
    .replace(/0+$/, '')
  const date = `${p(d.getUTCFullYear(), 4)}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}`
  const time = `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
  const abs = Math.abs(offMin)
  const zone =
    offMin === 0 ? 'Z' : `${offMin < 0 ? '-' : '+'}${p(Math.floor(abs / 60))}:${p(abs % 60)}`
  return `${date}T${time}${frac === '' ? '' : `.${frac}`}${zone}`
}

/** Go's `time.Duration.Round(m)` (halves away from zero). */
export function goDurationRound(d: bigint, m: bigint): bigint {
  if (m <= 0n) return d
  let r = d % m
  if (d < 0n) {
    r = -r
    return r + r < m ? d + r : d - m + r
  }
  return r + r < m ? d - r : d + m - r
}

function fmtFrac(v: bigint, prec: number): [string, bigint] {
  let s = ''
  let print = false
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n
    print ||= digit !== 0n
    if (print) s = digit.toString() + s
    v /= 10n
  }
  return [print ? `.${s}` : '', v]
}

/** Go's `time.Duration.String()`: `1m2.5s`, `350ms`, `1.5µs`, `0s`, `2h0m0s`. */
export function goDuration(d: bigint): string {
  if (d === 0n) return '0s'
  const neg = d < 0n
  const u = neg ? -d : d
  let out: string
  if (u < 1_000_000_000n) {
    const [prec, unit] = u < 1000n ? [0, 'ns'] : u < 1_000_000n ? [3, 'µs'] : [6, 'ms']
    const [frac, rest] = fmtFrac(u, prec)
    out = `${rest}${frac}${unit}`
  } else {
    const [frac, secs] = fmtFrac(u, 9)
    let v = secs
    out = `${v % 60n}${frac}s`
    v /= 60n
    if (v > 0n) {
      out = `${v % 60n}m${out}`
      v /= 60n
      if (v > 0n) out = `${v}h${out}`
    }
  }
  return neg ? `-${out}` : out
}

/** The text-table age of a moment: rounded to ms below 10 minutes, else to seconds (upstream). */
function ageText(sinceNs: bigint, now: bigint): string {
  const d = now - sinceNs
  return goDuration(goDurationRound(d, d < 600_000_000_000n ? 1_000_000n : 1_000_000_000n))
}

/** Go `%-Ns` / `%Ns`: pads by rune count, never truncates. */
function pad(s: string, width: number, left: boolean): string {
  const n = [...s].length
  if (n >= width) return s
  return left ? s + ' '.repeat(width - n) : ' '.repeat(width - n) + s
}

/**
 * Upstream `formatDumpStreamLine`: `"%-8s %-12s %12s %8s %12s %12s %12s %12s %-16s %s"` over
 * state, auth, connection, stream, tx, rx, lifetime, last-active, req-addr, hooked-req-addr.
 */
export function formatDumpStreamLine(
  state: string,
  auth: string,
  connection: string,
  stream: string,
  reqAddr: string,
  hookedReqAddr: string,
  tx: string,
  rx: string,
  lifetime: string,
  lastActive: string,
): string {
  return [
    pad(state, 8, true),
    pad(auth, 12, true),
    pad(connection, 12, false),
    pad(stream, 8, false),
    pad(tx, 12, false),
    pad(rx, 12, false),
    pad(lifetime, 12, false),
    pad(lastActive, 12, false),
    pad(reqAddr, 16, true),
    hookedReqAddr,
  ].join(' ')
}

/** The header line of the text table (upstream passes the titles in parameter order). */
export const DUMP_TABLE_HEADER = formatDumpStreamLine(
  'State',
  'Auth',
  'Connection',
  'Stream',
  'Req-Addr',
  'Hooked-Req-Addr',
  'TX-Bytes',
  'RX-Bytes',
  'Lifetime',
  'Last-Active',
)

// ---------------------------------------------------------------------------------------------
// State

interface StreamRec {
  id: number
  state: StreamStateName
  reqAddr: string
  hookedReqAddr: string
  tx: bigint
  rx: bigint
  initialNs: bigint
  lastActiveNs: bigint
}

interface ConnRec {
  id: number
  authId: string
  /** Client address (seed variant's `remote`). */
  remote: string
  streams: Map<number, StreamRec>
  nextStreamId: number
}

interface Counter {
  tx: bigint
  rx: bigint
}

function checkBytes(name: string, n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${n}`)
  }
}

function checkState(state: string): StreamStateName {
  const found = STREAM_STATES.find((s) => s === state)
  if (found === undefined) {
    throw new TypeError(`unknown stream state "${state}" (one of ${STREAM_STATES.join(', ')})`)
  }
  return found
}

const GARBAGE_BODY =
  '<html><head><title>Wi-Fi login</title></head><body><p>Please sign in to continue.</p></body></html>\n'

const HUGE_BYTES = 64 * 1024 * 1024 + 4096

/** Starts an emulator; resolves once it listens. */
export async function startHysteria2Emulator(
  opts: Hysteria2EmulatorOptions = {},
): Promise<Hysteria2Emulator> {
  const host = opts.host ?? '127.0.0.1'
  const variant = opts.variant ?? 'upstream'
  let secret = opts.secret ?? ''
  let mode: Hysteria2Mode = 'normal'
  const idRand = createPrng(
    opts.simulate ? (opts.simulate.seed ?? 1) ^ 0x5eed : randomInt(0, 0xffffffff),
  )

  let stats = new Map<string, Counter>()
  const kicks = new Set<string>()
  const conns = new Map<number, ConnRec>()
  const requests: RequestLogEntry[] = []
  const timers = new Set<ReturnType<typeof setTimeout>>()
  let closed = false

  // -- control API ------------------------------------------------------------------------------

  function getConn(connectionId: number): ConnRec {
    const c = conns.get(connectionId)
    if (c === undefined) throw new Error(`no open connection ${connectionId}`)
    return c
  }

  function getStream(c: ConnRec, streamId: number): StreamRec {
    const s = c.streams.get(streamId)
    if (s === undefined) throw new Error(`no open stream ${streamId} on connection ${c.id}`)
    return s
  }

  function connect(authId: string): number {
    if (typeof authId !== 'string') throw new TypeError('authId must be a string')
    let id = Math.floor(idRand() * 0x1_0000_0000)
    while (conns.has(id)) id = (id + 1) >>> 0
    const ip = `${idRand() < 0.5 ? '198.51.100' : '203.0.113'}.${1 + Math.floor(idRand() * 254)}`
    const port = 1024 + Math.floor(idRand() * 64511)
    conns.set(id, { id, authId, remote: `${ip}:${port}`, streams: new Map(), nextStreamId: 4 })
    return id
  }

  function disconnect(connectionId: number): void {
    conns.delete(connectionId)
  }

  function openStream(
    connectionId: number,
    reqAddr: string,
    o: { hookedReqAddr?: string; state?: string } = {},
  ): number {
    const c = getConn(connectionId)
    const state = checkState(o.state ?? 'estab')
    const id = c.nextStreamId
    c.nextStreamId += 4
    const req = state === 'init' ? '' : reqAddr
    const hooked = o.hookedReqAddr ?? ''
    const now = nowNs()
    c.streams.set(id, {
      id,
      state,
      reqAddr: req,
      hookedReqAddr: hooked === req ? '' : hooked,
      tx: 0n,
      rx: 0n,
      initialNs: now,
      lastActiveNs: now,
    })
    return id
  }

  function closeStream(connectionId: number, streamId: number): void {
    conns.get(connectionId)?.streams.delete(streamId)
  }

  function setStreamState(connectionId: number, streamId: number, state: string): void {
    getStream(getConn(connectionId), streamId).state = checkState(state)
  }

  function moveTraffic(connectionId: number, tx: number, rx: number, streamId?: number): boolean {
    const c = getConn(connectionId)
    checkBytes('tx', tx)
    checkBytes('rx', rx)
    const s = streamId === undefined ? undefined : getStream(c, streamId)
    if (s !== undefined && s.state !== 'estab') {
      throw new Error(`stream ${streamId} is "${s.state}": only established streams carry data`)
    }
    // copyBufferLog only logs reads with n > 0.
    if (tx === 0 && rx === 0) return true
    if (s !== undefined) {
      // copy.go: per-stream stats move before LogTraffic is asked.
      s.lastActiveNs = nowNs()
      s.tx = BigInt.asUintN(U64, s.tx + BigInt(tx))
      s.rx = BigInt.asUintN(U64, s.rx + BigInt(rx))
    }
    // LogTraffic: a pending kick is consumed by this chunk, which is not counted, and the
    // connection carrying it is closed (closeErrCodeTrafficLimitReached).
    if (kicks.has(c.authId)) {
      kicks.delete(c.authId)
      conns.delete(c.id)
      return false
    }
    let e = stats.get(c.authId)
    if (e === undefined) {
      e = { tx: 0n, rx: 0n }
      stats.set(c.authId, e)
    }
    e.tx = BigInt.asUintN(U64, e.tx + BigInt(tx))
    e.rx = BigInt.asUintN(U64, e.rx + BigInt(rx))
    return true
  }

  function onlineMap(): Map<string, number> {
    const m = new Map<string, number>()
    for (const c of conns.values()) m.set(c.authId, (m.get(c.authId) ?? 0) + 1)
    return m
  }

  function restart(): void {
    stats = new Map()
    kicks.clear()
    conns.clear()
  }

  // -- wire encodings -----------------------------------------------------------------------------

  function sortedKeys<V>(m: Map<string, V>): string[] {
    return [...m.keys()].sort(goStringCompare)
  }

  function marshalTraffic(m: Map<string, Counter>): string {
    const parts = sortedKeys(m).map((k) => {
      const e = m.get(k) as Counter
      return `${goJsonString(k)}:{"tx":${e.tx},"rx":${e.rx}}`
    })
    return `{${parts.join(',')}}`
  }

  function marshalOnline(): string {
    const m = onlineMap()
    return `{${sortedKeys(m)
      .map((k) => `${goJsonString(k)}:${m.get(k) ?? 0}`)
      .join(',')}}`
  }

  interface DumpEntry {
    conn: ConnRec
    stream: StreamRec
  }

  function dumpEntries(): DumpEntry[] {
    const out: DumpEntry[] = []
    for (const conn of conns.values()) {
      for (const stream of conn.streams.values()) out.push({ conn, stream })
    }
    return out.sort(
      (a, b) =>
        goStringCompare(a.conn.authId, b.conn.authId) ||
        a.conn.id - b.conn.id ||
        a.stream.id - b.stream.id,
    )
  }

  function connHex(id: number): string {
    return id.toString(16).toUpperCase().padStart(8, '0')
  }

  function dumpJson(): string {
    const items = dumpEntries().map(
      ({ conn, stream: s }) =>
        `{"state":${goJsonString(s.state)},"auth":${goJsonString(conn.authId)},` +
        `"connection":${conn.id},"stream":${s.id},` +
        `"req_addr":${goJsonString(s.reqAddr)},"hooked_req_addr":${goJsonString(s.hookedReqAddr)},` +
        `"tx":${s.tx},"rx":${s.rx},` +
        `"initial_at":${goJsonString(goRfc3339Nano(s.initialNs))},` +
        `"last_active_at":${goJsonString(goRfc3339Nano(s.lastActiveNs))}}`,
    )
    return `{"streams":[${items.join(',')}]}\n`
  }

  function dumpText(): string {
    let out = `${DUMP_TABLE_HEADER}\n`
    for (const { conn, stream: s } of dumpEntries()) {
      const now = nowNs()
      out += `${formatDumpStreamLine(
        s.state.toUpperCase(),
        conn.authId,
        connHex(conn.id),
        String(s.id),
        s.reqAddr === '' ? '-' : s.reqAddr,
        s.hookedReqAddr === '' ? '-' : s.hookedReqAddr,
        s.tx.toString(),
        s.rx.toString(),
        ageText(s.initialNs, now),
        ageText(s.lastActiveNs, now),
      )}\n`
    }
    return out
  }

  /** The seed doc's shape: `{"<connId>": {user, remote, target, tx, rx}}`, one key per stream. */
  function dumpSeed(): string {
    const m = new Map<string, string>()
    for (const { conn, stream: s } of dumpEntries()) {
      m.set(
        `${connHex(conn.id)}:${s.id}`,
        `{"user":${goJsonString(conn.authId)},"remote":${goJsonString(conn.remote)},` +
          `"target":${goJsonString(s.reqAddr)},"tx":${s.tx},"rx":${s.rx}}`,
      )
    }
    return `{${sortedKeys(m)
      .map((k) => `${goJsonString(k)}:${m.get(k) ?? 'null'}`)
      .join(',')}}`
  }

  // -- HTTP ---------------------------------------------------------------------------------------

  function later(fn: () => void, ms: number): void {
    const t = setTimeout(() => {
      timers.delete(t)
      fn()
    }, ms)
    t.unref()
    timers.add(t)
  }

  /** Writes a response; in 'drip' mode the body goes out one byte per second. */
  function send(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    headers: Readonly<Record<string, string>>,
    body: string,
  ): void {
    const buf = Buffer.from(body, 'utf8')
    if (mode !== 'drip' || buf.length === 0 || req.method === 'HEAD') {
      writeGoResponse(res, status, headers, buf)
      return
    }
    res.statusCode = status
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
    if (buf.length <= GO_CHUNKING_THRESHOLD) res.setHeader('Content-Length', String(buf.length))
    res.flushHeaders()
    let i = 0
    const next = (): void => {
      if (closed || res.destroyed || res.writableEnded) return
      res.write(buf.subarray(i, i + 1))
      i++
      if (i >= buf.length) res.end()
      else later(next, 1000)
    }
    later(next, 1000)
  }

  function sendError(req: IncomingMessage, res: ServerResponse, status: number, msg: string): void {
    send(req, res, status, GO_ERROR_HEADERS, `${msg}\n`)
  }

  /** 'huge' mode: a valid JSON document of more than 64 MiB, streamed with backpressure. */
  async function sendHuge(
    res: ServerResponse,
    route: 'traffic' | 'online' | 'streams',
  ): Promise<void> {
    res.statusCode = 200
    res.setHeader('Content-Type', JSON_TYPE)
    const [open, close] = route === 'streams' ? ['{"streams":[', ']}\n'] : ['{', '}']
    const entry = (i: number): string => {
      const name = `huge-user-${String(i).padStart(9, '0')}`
      if (route === 'traffic') return `"${name}":{"tx":${i * 7919},"rx":${i * 104729}}`
      if (route === 'online') return `"${name}":1`
      return `{"state":"estab","auth":"${name}","connection":${i},"stream":4,"req_addr":"www.google.com:443","hooked_req_addr":"","tx":${i},"rx":${i},"initial_at":"2025-01-01T00:00:00Z","last_active_at":"2025-01-01T00:00:00Z"}`
    }
    let sent = 0
    let i = 0
    let first = true
    let chunk = open
    while (sent < HUGE_BYTES) {
      while (chunk.length < 64 * 1024) {
        chunk += (first ? '' : ',') + entry(i++)
        first = false
      }
      sent += chunk.length
      const ok = res.write(chunk)
      chunk = ''
      if (closed || res.destroyed) return
      if (!ok && !(await waitDrain(res))) return
    }
    if (!closed && !res.destroyed) res.end(close)
  }

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

  function handle(req: IncomingMessage, res: ServerResponse): void {
    requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      headers: { ...req.headers },
      at: Date.now(),
    })
    if (mode === 'silent') return // accept, read nothing, never answer
    if (mode === 'http500') {
      sendError(req, res, 500, 'Internal Server Error')
      return
    }
    const target = parseGoRequestURI(req.url ?? '')
    if (target === null) {
      writeGoBadRequestAndClose(req.socket)
      return
    }
    if (req.method === 'OPTIONS' && req.url === '*') {
      // Go's serverHandler answers `OPTIONS *` itself (globalOptionsHandler): no auth, no routing.
      writeGoResponse(res, 200, {}, '')
      return
    }
    // Auth before routing; the raw header value is the secret (no scheme).
    if (secret !== '' && !headerBytesEqual(firstHeader(req, 'authorization'), secret)) {
      sendError(req, res, 401, 'unauthorized')
      return
    }
    const { path, rawQuery } = target
    const method = req.method ?? ''
    if (method === 'GET' && path === '/') {
      send(req, res, 200, { 'Content-Type': 'text/html; charset=utf-8' }, INDEX_HTML)
      return
    }
    if (
      method === 'GET' &&
      (path === '/traffic' || path === '/online' || path === '/dump/streams')
    ) {
      if (mode === 'garbage') {
        send(req, res, 200, { 'Content-Type': JSON_TYPE }, GARBAGE_BODY)
        return
      }
      if (mode === 'huge') {
        void sendHuge(
          res,
          path === '/traffic' ? 'traffic' : path === '/online' ? 'online' : 'streams',
        )
        return
      }
    }
    if (method === 'GET' && path === '/traffic') {
      // strconv.ParseBool errors are ignored: "yes", "" → no clear.
      const clear = goParseBool(goQueryGet(rawQuery, 'clear')) === true
      const body = marshalTraffic(stats)
      if (clear) stats = new Map() // same synchronous step as the snapshot: nothing is lost
      send(req, res, 200, { 'Content-Type': JSON_TYPE }, body)
      return
    }
    if (method === 'POST' && path === '/kick') {
      void readBody(req).then((body) => {
        if (body === null || closed) return
        const decoded = goDecodeStringArray(body)
        if ('error' in decoded) {
          sendError(req, res, 400, decoded.error)
          return
        }
        for (const id of decoded.ids) kicks.add(id)
        writeGoResponse(res, 200, {}, '')
      })
      return
    }
    if (method === 'GET' && path === '/online') {
      send(req, res, 200, { 'Content-Type': JSON_TYPE }, marshalOnline())
      return
    }
    if (method === 'GET' && path === '/dump/streams') {
      if (variant === 'seed') {
        send(req, res, 200, { 'Content-Type': JSON_TYPE }, dumpSeed())
        return
      }
      const accept = firstHeader(req, 'accept') ?? ''
      if (accept.includes('text/plain')) {
        send(req, res, 200, { 'Content-Type': 'text/plain; charset=utf-8' }, dumpText())
      } else {
        send(req, res, 200, { 'Content-Type': JSON_TYPE }, dumpJson())
      }
      return
    }
    sendError(req, res, 404, '404 page not found')
  }

  const server = createServer(
    {
      // Go's http.Serve has no keep-alive, header or request timeouts and a 1 MiB header limit.
      keepAliveTimeout: 0,
      requestTimeout: 0,
      headersTimeout: 0,
      maxHeaderSize: (1 << 20) + 4096,
    },
    (req, res) => {
      try {
        handle(req, res)
      } catch {
        if (!res.headersSent) goHttpError(res, 'Internal Server Error', 500)
      }
    },
  )
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

  const control = {
    connect,
    disconnect,
    openStream,
    closeStream,
    moveTraffic,
    isConnected: (id: number) => conns.has(id),
  }
  const simulation = opts.simulate ? startSimulation(control, opts.simulate) : null

  return {
    url: `http://${urlHost}:${port}`,
    port,
    async close() {
      if (closed) return
      closed = true
      simulation?.stop()
      for (const t of timers) clearTimeout(t)
      timers.clear()
      await closeServerHard(server, sockets)
    },
    ...control,
    restart,
    setSecret(s: string) {
      secret = s
    },
    setMode(m: Hysteria2Mode) {
      mode = m
    },
    requests,
    clearRequestLog() {
      requests.length = 0
    },
    pendingKicks() {
      return [...kicks].sort(goStringCompare)
    },
    online() {
      const m = onlineMap()
      return Object.fromEntries(sortedKeys(m).map((k) => [k, m.get(k) ?? 0]))
    },
    traffic() {
      return Object.fromEntries(
        sortedKeys(stats).map((k) => {
          const e = stats.get(k) as Counter
          return [k, { tx: Number(e.tx), rx: Number(e.rx) }]
        }),
      )
    },
    setStreamState,
    simulation,
  }
}
