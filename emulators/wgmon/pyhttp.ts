/**
 * What a Python stdlib `http.server.HTTPServer` + `BaseHTTPRequestHandler` (protocol HTTP/1.0,
 * Python 3.11/3.12 behaviour) puts on the wire, for the WireGuard monitor emulator (apis.md §5):
 *
 * - ONE request at a time: `HTTPServer` is not a `ThreadingMixIn` server, so the next connection
 *   waits in the listen backlog (here: a FIFO of paused sockets) until the current one is done.
 *   No socket timeout: a client that connects and never sends a request line blocks everybody
 *   until it goes away.
 * - One request per connection: `HTTP/1.0 <code> <message>`, `Server: BaseHTTP/0.6 Python/X`,
 *   `Date` (RFC 1123 GMT), then the handler's headers; the server closes after every response
 *   (shutdown(SHUT_WR) + close) — the close also ends bodies without Content-Length.
 * - `send_error`: reason phrase = the message, `Connection: close`, the HTML error page
 *   (`text/html;charset=utf-8`), no CORS headers. 414 / 400 / 505 / 501 for malformed requests
 *   exactly as `handle_one_request` / `parse_request` send them.
 * - `json.dumps(..., ensure_ascii=False, indent=2)`: raw UTF-8, `", "` → `","` + newline,
 *   `": "` between key and value, `[]` / `{}` for empty containers, floats like `1.0`.
 */
import type { Socket } from 'node:net'

/** A float for {@link pyJsonDumps} (JS numbers that are integers print as Python ints). */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** Python's `repr(float)` for the values the emulator produces (no exponent forms needed below 1e16). */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'NaN'
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity'
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x}.0`
  const s = String(x)
  // JS and Python both print the shortest round-trip digits; only the exponent style differs.
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s)
  if (m) return `${m[1]}e${m[2]}${(m[3] as string).padStart(2, '0')}`
  return s
}

/** Python's `json` string encoding with `ensure_ascii=False`. */
export function pyJsonString(s: string): string {
  let out = '"'
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number
    if (ch === '"') out += '\\"'
    else if (ch === '\\') out += '\\\\'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\b') out += '\\b'
    else if (ch === '\f') out += '\\f'
    else if (cp < 0x20) out += `\\u${cp.toString(16).padStart(4, '0')}`
    else out += ch
  }
  return out + '"'
}

/** `json.dumps(v, ensure_ascii=False, indent=2)` (dict order = insertion order). */
export function pyJsonDumps(v: unknown, level = 0): string {
  if (v === null || v === undefined) return 'null'
  if (v === true) return 'true'
  if (v === false) return 'false'
  if (v instanceof PyFloat) return pyFloatRepr(v.value)
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloatRepr(v)
  if (typeof v === 'bigint') return v.toString()
  if (typeof v === 'string') return pyJsonString(v)
  const ind = '  '.repeat(level + 1)
  const end = '  '.repeat(level)
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]'
    return `[\n${v.map((x) => ind + pyJsonDumps(x, level + 1)).join(',\n')}\n${end}]`
  }
  const entries = Object.entries(v as Record<string, unknown>)
  if (entries.length === 0) return '{}'
  return `{\n${entries.map(([k, x]) => `${ind}${pyJsonString(k)}: ${pyJsonDumps(x, level + 1)}`).join(',\n')}\n${end}}`
}

/** Python's `int(s)` for a str (whitespace, sign, `_` between digits); null = ValueError. */
export function pyInt(s: string): number | null {
  const t = s.trim()
  if (!/^[+-]?\d+(_\d+)*$/.test(t)) return null
  const n = Number(t.replace(/_/g, ''))
  return Number.isFinite(n) ? n : null
}

/** Python floor division `a // b` on ints (b ≠ 0). */
export function pyFloorDiv(a: number, b: number): number {
  return Math.floor(a / b)
}

/** `readable_bytes(n)` of upstream: 1024-based, `f"{n:.1f}{unit}"`, `"0B"` for null/negative. */
export function readableBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || n < 0) return '0B'
  let x = n
  for (const unit of ['B', 'K', 'M', 'G', 'T']) {
    if (x < 1024) return `${pyFixed1(x)}${unit}`
    x /= 1024
  }
  return `${pyFixed1(x)}P`
}

/** Python `f"{x:.1f}"`: correctly rounded, exact binary ties to even (JS toFixed rounds them up). */
export function pyFixed1(x: number): string {
  const t = x * 10
  if (
    Number.isFinite(t) &&
    Math.abs(t) < 2 ** 52 &&
    !Number.isInteger(t) &&
    Number.isInteger(t * 2)
  ) {
    // exact tie (x is dyadic, so t is exact here): round half to even
    const f = Math.floor(t)
    const r = f % 2 === 0 ? f : f + 1
    return (r / 10).toFixed(1)
  }
  return x.toFixed(1)
}

/** Python `repr(str)` (enough for the error texts that quote request parts). */
export function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'"
  let out = q
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number
    if (ch === q || ch === '\\') out += `\\${ch}`
    else if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`
    else if (cp >= 0x80 && cp <= 0xa0) out += `\\x${cp.toString(16).padStart(2, '0')}`
    else if (cp === 0xad) out += '\\xad'
    else out += ch
  }
  return out + q
}

/** `html.escape(s, quote=False)`. */
function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** `BaseHTTPRequestHandler.responses` (the codes this server can send). */
export const PY_RESPONSES: Record<number, [string, string]> = {
  200: ['OK', 'Request fulfilled, document follows'],
  400: ['Bad Request', 'Bad request syntax or unsupported method'],
  404: ['Not Found', 'Nothing matches the given URI'],
  414: ['Request-URI Too Long', 'URI is too long'],
  431: [
    'Request Header Fields Too Large',
    'The server is unwilling to process the request because its header fields are too large',
  ],
  500: ['Internal Server Error', 'Server got itself in trouble'],
  501: ['Not Implemented', 'Server does not support this operation'],
  505: ['HTTP Version Not Supported', 'Cannot fulfill request'],
}

/** `http.server.DEFAULT_ERROR_MESSAGE` (Python 3.11+). */
export function pyErrorPage(code: number, message: string, explain: string): string {
  return (
    '<!DOCTYPE HTML>\n<html lang="en">\n    <head>\n        <meta charset="utf-8">\n' +
    '        <title>Error response</title>\n    </head>\n    <body>\n' +
    '        <h1>Error response</h1>\n' +
    `        <p>Error code: ${code}</p>\n` +
    `        <p>Message: ${htmlEscape(message)}.</p>\n` +
    `        <p>Error code explanation: ${code} - ${htmlEscape(explain)}.</p>\n` +
    '    </body>\n</html>\n'
  )
}

/** `email.utils.formatdate(usegmt=True)`. */
export function pyHttpDate(ms: number): string {
  return new Date(ms).toUTCString()
}

// ---------------------------------------------------------------------------------------------
// A buffered reader over a socket (Python's `rfile`): readline(limit) and read(n), both blocking
// until data, EOF or the socket's end.

export class SocketReader {
  private buf: Buffer = Buffer.alloc(0)
  private ended = false
  private wake: (() => void) | null = null

  constructor(socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d])
      this.notify()
    })
    const end = (): void => {
      this.ended = true
      this.notify()
    }
    socket.on('end', end)
    socket.on('close', end)
    socket.on('error', end)
    socket.resume()
  }

  private notify(): void {
    const w = this.wake
    this.wake = null
    w?.()
  }

  private waitMore(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve
    })
  }

  get isEnded(): boolean {
    return this.ended
  }

  /** `rfile.readline(limit)`: up to and including `\n`, at most `limit` bytes; '' at EOF. */
  async readline(limit: number): Promise<Buffer> {
    for (;;) {
      const nl = this.buf.indexOf(0x0a)
      if (nl >= 0 && nl < limit) return this.take(nl + 1)
      if (this.buf.length >= limit) return this.take(limit)
      if (this.ended) return this.take(this.buf.length)
      await this.waitMore()
    }
  }

  /** `rfile.read(n)`: n bytes, or fewer at EOF. */
  async read(n: number): Promise<Buffer> {
    while (this.buf.length < n && !this.ended) await this.waitMore()
    return this.take(Math.min(n, this.buf.length))
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(0, n)
    this.buf = this.buf.subarray(n)
    return out
  }
}

// ---------------------------------------------------------------------------------------------
// The request handler's view of one request.

export interface PyRequest {
  command: string
  /** `self.path` (raw, not percent-decoded; a leading `//…` reduced to `/`). */
  path: string
  requestVersion: string
  /** Header (name, value) pairs in order, latin-1 decoded. */
  headers: Array<[string, string]>
  reader: SocketReader
}

/** `self.headers.get(name, default)`: the first header of that name (case-insensitive). */
export function pyHeader(req: PyRequest, name: string): string | undefined {
  const n = name.toLowerCase()
  return req.headers.find(([k]) => k.toLowerCase() === n)?.[1]
}

/** Builds what `send_response` + `send_header`s + `end_headers` + `wfile.write` put on the wire. */
export class PyResponseWriter {
  private written = false
  constructor(
    private readonly socket: Socket,
    private readonly requestVersion: string,
    private readonly serverVersion: string,
    private readonly now: () => number,
  ) {}

  get hasWritten(): boolean {
    return this.written
  }

  /** `send_response(code, message)` + headers + `end_headers()` + body. */
  send(
    code: number,
    message: string | null,
    headers: Array<[string, string]>,
    body?: Buffer,
  ): void {
    this.written = true
    const parts: Buffer[] = []
    if (this.requestVersion !== 'HTTP/0.9') {
      const msg = message ?? PY_RESPONSES[code]?.[0] ?? ''
      let head = `HTTP/1.0 ${code} ${msg}\r\n`
      head += `Server: ${this.serverVersion}\r\nDate: ${pyHttpDate(this.now())}\r\n`
      for (const [k, v] of headers) head += `${k}: ${v}\r\n`
      head += '\r\n'
      parts.push(Buffer.from(head, 'latin1'))
    }
    if (body) parts.push(body)
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(parts))
  }

  /** `send_error(code, message, explain)`. */
  sendError(code: number, message?: string, explain?: string, command?: string): void {
    const [short, long] = PY_RESPONSES[code] ?? ['???', '???']
    const msg = message ?? short
    const body = Buffer.from(pyErrorPage(code, msg, explain ?? long), 'utf8')
    this.send(
      code,
      msg,
      [
        ['Connection', 'close'],
        ['Content-Type', 'text/html;charset=utf-8'],
        ['Content-Length', String(body.length)],
      ],
      command === 'HEAD' ? undefined : body,
    )
  }

  /** Raw bytes (failure modes). */
  raw(bytes: Buffer): void {
    this.written = true
    if (!this.socket.destroyed) this.socket.write(bytes)
  }
}

/**
 * `handle_one_request` up to the `do_<COMMAND>` dispatch. Returns null when the request ended
 * there (nothing to dispatch: EOF, or an error page was already sent).
 */
export async function readPyRequest(
  reader: SocketReader,
  w: (version: string) => PyResponseWriter,
): Promise<{ req: PyRequest; writer: PyResponseWriter } | null> {
  const raw = await reader.readline(65537)
  if (raw.length > 65536) {
    w('').sendError(414)
    return null
  }
  if (raw.length === 0) return null
  const line = raw.toString('latin1').replace(/[\r\n]+$/, '')
  const words = line.split(/[ \t\n\r\f\v]+/).filter((x) => x !== '')
  if (words.length === 0) return null
  let version = 'HTTP/0.9'
  if (words.length >= 3) {
    const v = words[words.length - 1] as string
    const bad = (): null => {
      // request_version is still the default 'HTTP/0.9' here: Python sends the page without a
      // status line or headers
      w('HTTP/0.9').sendError(400, `Bad request version (${pyRepr(v)})`)
      return null
    }
    if (!v.startsWith('HTTP/')) return bad()
    const nums = v.slice(5).split('.')
    if (nums.length !== 2 || nums.some((c) => !/^\d+$/.test(c) || c.length > 10)) return bad()
    if (Number(nums[0]) >= 2) {
      w('HTTP/0.9').sendError(505, `Invalid HTTP version (${v.slice(5)})`)
      return null
    }
    version = v
  }
  if (words.length < 2 || words.length > 3) {
    w(version).sendError(400, `Bad request syntax (${pyRepr(line)})`)
    return null
  }
  const command = words[0] as string
  let path = words[1] as string
  if (words.length === 2 && command !== 'GET') {
    w(version).sendError(400, `Bad HTTP/0.9 request type (${pyRepr(command)})`)
    return null
  }
  if (path.startsWith('//')) path = '/' + path.replace(/^\/+/, '')
  const headers: Array<[string, string]> = []
  for (;;) {
    const h = await reader.readline(65537)
    if (h.length > 65536) {
      w(version).sendError(431, 'Line too long', 'header line')
      return null
    }
    if (h.length === 0) break
    const s = h.toString('latin1')
    if (s === '\r\n' || s === '\n') break
    if (headers.length >= 100) {
      w(version).sendError(431, 'Too many headers', 'got more than 100 headers')
      return null
    }
    const m = /^([^:]*):[ \t]*(.*?)[\r\n]*$/s.exec(s)
    if (m) headers.push([m[1] as string, m[2] as string])
  }
  return { req: { command, path, requestVersion: version, headers, reader }, writer: w(version) }
}

// ---------------------------------------------------------------------------------------------
// urllib.parse

/** `urlparse(path)` → (path, query), without percent-decoding; `;params` of the last segment dropped. */
export function pyUrlParse(target: string): { path: string; query: string } {
  let url = target
  const abs = /^[A-Za-z][A-Za-z0-9+.-]*:/.exec(url)
  if (abs) url = url.slice(abs[0].length)
  if (url.startsWith('//')) {
    const rest = url.slice(2)
    const i = rest.search(/[/?#]/)
    url = i < 0 ? '' : rest.slice(i)
  }
  const hash = url.indexOf('#')
  if (hash >= 0) url = url.slice(0, hash)
  let query = ''
  const q = url.indexOf('?')
  if (q >= 0) {
    query = url.slice(q + 1)
    url = url.slice(0, q)
  }
  const semi = url.indexOf(';', url.lastIndexOf('/'))
  if (semi >= 0) url = url.slice(0, semi)
  return { path: url, query }
}

function pyUnquotePlus(s: string): string {
  const bytes: number[] = []
  const str = s.replace(/\+/g, ' ')
  for (let i = 0; i < str.length; i++) {
    const c = str[i] as string
    if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(str.slice(i + 1, i + 3))) {
      bytes.push(parseInt(str.slice(i + 1, i + 3), 16))
      i += 2
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b)
    }
  }
  return new TextDecoder('utf-8', { fatal: false }).decode(Uint8Array.from(bytes))
}

/** `parse_qs(qs)`: `&`-separated, blank values and pairs without `=` dropped. */
export function pyParseQs(qs: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const part of qs.split('&')) {
    if (part === '') continue
    const eq = part.indexOf('=')
    if (eq < 0) continue
    const name = pyUnquotePlus(part.slice(0, eq))
    const value = pyUnquotePlus(part.slice(eq + 1))
    if (value === '') continue
    const list = out.get(name) ?? []
    list.push(value)
    out.set(name, list)
  }
  return out
}
