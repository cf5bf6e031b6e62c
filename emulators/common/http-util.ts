/**
 * Small helpers for emulators of servers written in Go (`net/http` + `encoding/json`): the
 * emulators must answer byte-for-byte like the real servers, so the Go behaviours that clients
 * can observe live here once (framing, `http.Error`, request-URI and query parsing,
 * `strconv.ParseBool`, JSON string escaping and the error texts of `json.Decoder`).
 * Plain Node, no dependencies.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * Go's `net/http` buffers this many body bytes before it commits to `Transfer-Encoding: chunked`;
 * a handler that writes at most this much in total gets a `Content-Length` header instead.
 */
export const GO_CHUNKING_THRESHOLD = 2048

/** Headers Go's `http.Error` sets (besides the status). */
export const GO_ERROR_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/plain; charset=utf-8',
  'X-Content-Type-Options': 'nosniff',
}

/**
 * First value of a request header, like Go's `Header.Get` (Node joins duplicates of some
 * headers such as `Accept` with ", "; Go returns only the first). The value is Node's latin1
 * view of the raw bytes; see {@link headerBytesEqual}.
 */
export function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const raw = req.rawHeaders
  const lower = name.toLowerCase()
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === lower) return raw[i + 1]
  }
  return undefined
}

/** Compares a header value (latin1 view of its bytes, as Node gives it) with a UTF-8 string, byte by byte, as Go does. */
export function headerBytesEqual(headerValue: string | undefined, expected: string): boolean {
  const got = Buffer.from(headerValue ?? '', 'latin1')
  return got.equals(Buffer.from(expected, 'utf8'))
}

/**
 * Writes a complete response the way Go's `net/http` frames it: bodies up to
 * {@link GO_CHUNKING_THRESHOLD} bytes get `Content-Length`, longer ones are chunked.
 * Header names are given in Go's canonical form.
 */
export function writeGoResponse(
  res: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: Buffer | string,
): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body
  res.statusCode = status
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v)
  if (buf.length <= GO_CHUNKING_THRESHOLD) {
    res.setHeader('Content-Length', String(buf.length))
    res.end(buf)
  } else {
    res.write(buf)
    res.end()
  }
}

/** Go's `http.Error(w, msg, code)`: text/plain, nosniff, body `msg + "\n"`. */
export function goHttpError(res: ServerResponse, message: string, status: number): void {
  writeGoResponse(res, status, GO_ERROR_HEADERS, `${message}\n`)
}

/**
 * What Go's server writes (raw, then closes) when the request line cannot be parsed, e.g. a
 * bad `%` escape in the path: no Date, no Content-Length, `Connection: close`.
 */
export function writeGoBadRequestAndClose(socket: Socket): void {
  socket.end(
    'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n400 Bad Request',
  )
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

/**
 * Go's `url.unescape`: `%XX` decoded; a `%` not followed by two hex digits is an error (null);
 * `+` becomes a space only in query components. Returns the decoded bytes as a latin1 string
 * (byte-exact; compare with ASCII literals or re-decode as UTF-8).
 */
export function goUnescape(s: string, mode: 'path' | 'query'): string | null {
  const bytes = Buffer.from(s, 'latin1')
  const out: number[] = []
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number
    if (c === 0x25) {
      const h1 = bytes[i + 1]
      const h2 = bytes[i + 2]
      if (h1 === undefined || h2 === undefined || !isHex(h1) || !isHex(h2)) return null
      out.push(parseInt(String.fromCharCode(h1, h2), 16))
      i += 2
    } else if (c === 0x2b && mode === 'query') {
      out.push(0x20)
    } else {
      out.push(c)
    }
  }
  return Buffer.from(out).toString('latin1')
}

/** The parts of Go's `url.ParseRequestURI` a handler sees: decoded `URL.Path` and `URL.RawQuery`. */
export interface GoRequestTarget {
  path: string
  rawQuery: string
}

/**
 * Go's `url.ParseRequestURI(r.RequestURI)` (server side). Returns null where Go answers
 * `400 Bad Request` before any handler runs: control bytes, a bad `%` escape in the path, a
 * target that is neither `*`, an absolute path nor an absolute URL. Absolute-form targets
 * (`http://host/traffic`) route on their path, as in Go. No path cleaning (no ServeMux).
 */
export function parseGoRequestURI(raw: string): GoRequestTarget | null {
  if (raw === '') return null
  if (raw === '*') return { path: '*', rawQuery: '' }
  // stringContainsCTLByte
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return null
  }
  let rest = raw
  let scheme = ''
  // getScheme
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i)
    const letter = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)
    const other = (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e
    if (letter) continue
    if (other) {
      if (i === 0) break
      continue
    }
    if (c === 0x3a) {
      if (i === 0) return null // "missing protocol scheme"
      scheme = rest.slice(0, i)
      rest = rest.slice(i + 1)
    }
    break
  }
  let rawQuery = ''
  const firstQ = rest.indexOf('?')
  if (rest.endsWith('?') && firstQ === rest.length - 1) {
    rest = rest.slice(0, -1) // ForceQuery
  } else if (firstQ >= 0) {
    rawQuery = rest.slice(firstQ + 1)
    rest = rest.slice(0, firstQ)
  }
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { path: '', rawQuery } // opaque URL: no path
    return null // "invalid URI for request"
  }
  if (scheme !== '' && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2)
    rest = slash < 0 ? '' : rest.slice(slash)
  }
  const path = goUnescape(rest, 'path')
  if (path === null) return null
  return { path, rawQuery }
}

/**
 * `url.ParseQuery(rawQuery).Get(key)`: pairs split on `&`, pairs containing `;` or a bad
 * escape are skipped, `+` is a space, the first value wins, absent → "".
 */
export function goQueryGet(rawQuery: string, key: string): string {
  for (const pair of rawQuery.split('&')) {
    if (pair === '' || pair.includes(';')) continue
    const eq = pair.indexOf('=')
    const k = goUnescape(eq < 0 ? pair : pair.slice(0, eq), 'query')
    if (k === null) continue
    const v = goUnescape(eq < 0 ? '' : pair.slice(eq + 1), 'query')
    if (v === null) continue
    if (k === key) return v
  }
  return ''
}

/** Go's `strconv.ParseBool`; anything else (incl. "yes", "") is a syntax error → null. */
export function goParseBool(s: string): boolean | null {
  switch (s) {
    case '1':
    case 't':
    case 'T':
    case 'TRUE':
    case 'true':
    case 'True':
      return true
    case '0':
    case 'f':
    case 'F':
    case 'FALSE':
    case 'false':
    case 'False':
      return false
    default:
      return null
  }
}

/**
 * A JSON string as Go's `encoding/json` writes it (HTML-safe by default): `<`, `>`, `&`,
 * U+2028 and U+2029 escaped as `\u…`, `\b \f \n \r \t` short forms, other controls `\u00xx`,
 * invalid UTF-16 (lone surrogates; invalid UTF-8 in Go) as `\ufffd`.
 */
export function goJsonString(s: string): string {
  let out = '"'
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number
    switch (cp) {
      case 0x22:
        out += '\\"'
        continue
      case 0x5c:
        out += '\\\\'
        continue
      case 0x08:
        out += '\\b'
        continue
      case 0x0c:
        out += '\\f'
        continue
      case 0x0a:
        out += '\\n'
        continue
      case 0x0d:
        out += '\\r'
        continue
      case 0x09:
        out += '\\t'
        continue
      case 0x3c:
      case 0x3e:
      case 0x26:
      case 0x2028:
      case 0x2029:
        out += `\\u${cp.toString(16).padStart(4, '0')}`
        continue
      default:
        if (cp < 0x20) out += `\\u${cp.toString(16).padStart(4, '0')}`
        else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd'
        else out += ch
    }
  }
  return out + '"'
}

/** Go's map-key order (`strings.Compare`: bytes of the UTF-8 encoding). */
export function goStringCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'))
}

/** Go's `utf8` decoding of bytes into a string: every byte of an invalid sequence becomes U+FFFD. */
export function goDecodeUtf8(buf: Uint8Array): string {
  let out = ''
  let i = 0
  while (i < buf.length) {
    const b0 = buf[i] as number
    if (b0 < 0x80) {
      out += String.fromCharCode(b0)
      i++
      continue
    }
    let need = 0
    let cp = 0
    let lo = 0x80
    let hi = 0xbf
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1
      cp = b0 & 0x1f
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2
      cp = b0 & 0x0f
      if (b0 === 0xe0) lo = 0xa0
      if (b0 === 0xed) hi = 0x9f
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3
      cp = b0 & 0x07
      if (b0 === 0xf0) lo = 0x90
      if (b0 === 0xf4) hi = 0x8f
    }
    let ok = need > 0
    for (let k = 1; ok && k <= need; k++) {
      const b = buf[i + k]
      const min = k === 1 ? lo : 0x80
      const max = k === 1 ? hi : 0xbf
      if (b === undefined || b < min || b > max) ok = false
      else cp = (cp << 6) | (b & 0x3f)
    }
    if (!ok) {
      out += '\ufffd'
      i++
      continue
    }
    out += String.fromCodePoint(cp)
    i += need + 1
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// encoding/json Decoder: a port of Go's scanner state machine, so syntax errors carry Go's text.

const SCAN_CONTINUE = 0
const SCAN_BEGIN_LITERAL = 1
const SCAN_BEGIN_OBJECT = 2
const SCAN_OBJECT_KEY = 3
const SCAN_OBJECT_VALUE = 4
const SCAN_END_OBJECT = 5
const SCAN_BEGIN_ARRAY = 6
const SCAN_ARRAY_VALUE = 7
const SCAN_END_ARRAY = 8
const SCAN_SKIP_SPACE = 9
const SCAN_END = 10
const SCAN_ERROR = 11

const PARSE_OBJECT_KEY = 0
const PARSE_OBJECT_VALUE = 1
const PARSE_ARRAY_VALUE = 2

const MAX_NESTING_DEPTH = 10000

type Step = (s: GoScanner, c: number) => number

interface GoScanner {
  step: Step
  parseState: number[]
  err: string | null
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39
}

/** Go's `strconv.IsPrint` for runes U+0000..U+00FF (what a byte becomes in `quoteChar`). */
function isPrintLatin1(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || (c >= 0xa1 && c <= 0xff && c !== 0xad)
}

/** Go's `encoding/json.quoteChar`. */
export function goQuoteChar(c: number): string {
  if (c === 0x27) return "'\\''"
  if (c === 0x22) return `'"'`
  if (c === 0x5c) return "'\\\\'"
  const named: Record<number, string> = {
    0x07: '\\a',
    0x08: '\\b',
    0x0c: '\\f',
    0x0a: '\\n',
    0x0d: '\\r',
    0x09: '\\t',
    0x0b: '\\v',
  }
  const n = named[c]
  if (n !== undefined) return `'${n}'`
  if (isPrintLatin1(c)) return `'${String.fromCharCode(c)}'`
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`
  return `'\\u${c.toString(16).padStart(4, '0')}'`
}

function scanError(s: GoScanner, c: number, context: string): number {
  s.step = stateError
  s.err = `invalid character ${goQuoteChar(c)} ${context}`
  return SCAN_ERROR
}

function pushParseState(s: GoScanner, c: number, ps: number, success: number): number {
  s.parseState.push(ps)
  if (s.parseState.length <= MAX_NESTING_DEPTH) return success
  return scanError(s, c, 'exceeded max depth')
}

function popParseState(s: GoScanner): void {
  s.parseState.pop()
  s.step = s.parseState.length === 0 ? stateEndTop : stateEndValue
}

function stateBeginValueOrEmpty(s: GoScanner, c: number): number {
  if (isSpace(c)) return SCAN_SKIP_SPACE
  if (c === 0x5d) return stateEndValue(s, c)
  return stateBeginValue(s, c)
}

function stateBeginValue(s: GoScanner, c: number): number {
  if (isSpace(c)) return SCAN_SKIP_SPACE
  switch (c) {
    case 0x7b: // {
      s.step = stateBeginStringOrEmpty
      return pushParseState(s, c, PARSE_OBJECT_KEY, SCAN_BEGIN_OBJECT)
    case 0x5b: // [
      s.step = stateBeginValueOrEmpty
      return pushParseState(s, c, PARSE_ARRAY_VALUE, SCAN_BEGIN_ARRAY)
    case 0x22:
      s.step = stateInString
      return SCAN_BEGIN_LITERAL
    case 0x2d:
      s.step = stateNeg
      return SCAN_BEGIN_LITERAL
    case 0x30:
      s.step = state0
      return SCAN_BEGIN_LITERAL
    case 0x74:
      s.step = lit('r', 'true', lit('u', 'true', lit('e', 'true', stateEndValue)))
      return SCAN_BEGIN_LITERAL
    case 0x66:
      s.step = lit(
        'a',
        'false',
        lit('l', 'false', lit('s', 'false', lit('e', 'false', stateEndValue))),
      )
      return SCAN_BEGIN_LITERAL
    case 0x6e:
      s.step = lit('u', 'null', lit('l', 'null', lit('l', 'null', stateEndValue)))
      return SCAN_BEGIN_LITERAL
  }
  if (c >= 0x31 && c <= 0x39) {
    s.step = state1
    return SCAN_BEGIN_LITERAL
  }
  return scanError(s, c, 'looking for beginning of value')
}

function lit(expect: string, word: string, next: Step): Step {
  const code = expect.charCodeAt(0)
  return (s, c) => {
    if (c === code) {
      s.step = next
      return SCAN_CONTINUE
    }
    return scanError(s, c, `in literal ${word} (expecting '${expect}')`)
  }
}

function stateBeginStringOrEmpty(s: GoScanner, c: number): number {
  if (isSpace(c)) return SCAN_SKIP_SPACE
  if (c === 0x7d) {
    s.parseState[s.parseState.length - 1] = PARSE_OBJECT_VALUE
    return stateEndValue(s, c)
  }
  return stateBeginString(s, c)
}

function stateBeginString(s: GoScanner, c: number): number {
  if (isSpace(c)) return SCAN_SKIP_SPACE
  if (c === 0x22) {
    s.step = stateInString
    return SCAN_BEGIN_LITERAL
  }
  return scanError(s, c, 'looking for beginning of object key string')
}

function stateEndValue(s: GoScanner, c: number): number {
  const n = s.parseState.length
  if (n === 0) {
    s.step = stateEndTop
    return stateEndTop(s, c)
  }
  if (isSpace(c)) {
    s.step = stateEndValue
    return SCAN_SKIP_SPACE
  }
  switch (s.parseState[n - 1]) {
    case PARSE_OBJECT_KEY:
      if (c === 0x3a) {
        s.parseState[n - 1] = PARSE_OBJECT_VALUE
        s.step = stateBeginValue
        return SCAN_OBJECT_KEY
      }
      return scanError(s, c, 'after object key')
    case PARSE_OBJECT_VALUE:
      if (c === 0x2c) {
        s.parseState[n - 1] = PARSE_OBJECT_KEY
        s.step = stateBeginString
        return SCAN_OBJECT_VALUE
      }
      if (c === 0x7d) {
        popParseState(s)
        return SCAN_END_OBJECT
      }
      return scanError(s, c, 'after object key:value pair')
    case PARSE_ARRAY_VALUE:
      if (c === 0x2c) {
        s.step = stateBeginValue
        return SCAN_ARRAY_VALUE
      }
      if (c === 0x5d) {
        popParseState(s)
        return SCAN_END_ARRAY
      }
      return scanError(s, c, 'after array element')
  }
  return scanError(s, c, '')
}

function stateEndTop(s: GoScanner, c: number): number {
  if (!isSpace(c)) scanError(s, c, 'after top-level value') // Decoder ignores it: value ended
  return SCAN_END
}

function stateInString(s: GoScanner, c: number): number {
  if (c === 0x22) {
    s.step = stateEndValue
    return SCAN_CONTINUE
  }
  if (c === 0x5c) {
    s.step = stateInStringEsc
    return SCAN_CONTINUE
  }
  if (c < 0x20) return scanError(s, c, 'in string literal')
  return SCAN_CONTINUE
}

function stateInStringEsc(s: GoScanner, c: number): number {
  switch (c) {
    case 0x62:
    case 0x66:
    case 0x6e:
    case 0x72:
    case 0x74:
    case 0x5c:
    case 0x2f:
    case 0x22:
      s.step = stateInString
      return SCAN_CONTINUE
    case 0x75:
      s.step = hexStep(hexStep(hexStep(hexStep(stateInString))))
      return SCAN_CONTINUE
  }
  return scanError(s, c, 'in string escape code')
}

function hexStep(next: Step): Step {
  return (s, c) => {
    if (isHex(c)) {
      s.step = next
      return SCAN_CONTINUE
    }
    return scanError(s, c, 'in \\u hexadecimal character escape')
  }
}

function stateNeg(s: GoScanner, c: number): number {
  if (c === 0x30) {
    s.step = state0
    return SCAN_CONTINUE
  }
  if (c >= 0x31 && c <= 0x39) {
    s.step = state1
    return SCAN_CONTINUE
  }
  return scanError(s, c, 'in numeric literal')
}

function state1(s: GoScanner, c: number): number {
  if (isDigit(c)) {
    s.step = state1
    return SCAN_CONTINUE
  }
  return state0(s, c)
}

function state0(s: GoScanner, c: number): number {
  if (c === 0x2e) {
    s.step = stateDot
    return SCAN_CONTINUE
  }
  if (c === 0x65 || c === 0x45) {
    s.step = stateE
    return SCAN_CONTINUE
  }
  return stateEndValue(s, c)
}

function stateDot(s: GoScanner, c: number): number {
  if (isDigit(c)) {
    s.step = stateDot0
    return SCAN_CONTINUE
  }
  return scanError(s, c, 'after decimal point in numeric literal')
}

function stateDot0(s: GoScanner, c: number): number {
  if (isDigit(c)) return SCAN_CONTINUE
  if (c === 0x65 || c === 0x45) {
    s.step = stateE
    return SCAN_CONTINUE
  }
  return stateEndValue(s, c)
}

function stateE(s: GoScanner, c: number): number {
  if (c === 0x2b || c === 0x2d) {
    s.step = stateESign
    return SCAN_CONTINUE
  }
  return stateESign(s, c)
}

function stateESign(s: GoScanner, c: number): number {
  if (isDigit(c)) {
    s.step = stateE0
    return SCAN_CONTINUE
  }
  return scanError(s, c, 'in exponent of numeric literal')
}

function stateE0(s: GoScanner, c: number): number {
  if (isDigit(c)) return SCAN_CONTINUE
  return stateEndValue(s, c)
}

function stateError(): number {
  return SCAN_ERROR
}

/**
 * `json.NewDecoder(body).Decode(&v)`'s first phase: finds the first JSON value in `buf`.
 * Returns its bytes, or Go's error text: a syntax error, `EOF` (nothing but space) or
 * `unexpected EOF` (a truncated value). Bytes after the first value are ignored, as in Go.
 */
export function goReadJsonValue(buf: Uint8Array): { value: Uint8Array } | { error: string } {
  const s: GoScanner = { step: stateBeginValue, parseState: [], err: null }
  for (let i = 0; i < buf.length; i++) {
    const v = s.step(s, buf[i] as number)
    if (v === SCAN_END) return { value: buf.subarray(0, i) }
    if (v === SCAN_END_OBJECT || v === SCAN_END_ARRAY) {
      if (stateEndValue(s, 0x20) === SCAN_END) return { value: buf.subarray(0, i + 1) }
    }
    if (v === SCAN_ERROR) return { error: s.err ?? 'invalid JSON' }
  }
  if (s.step(s, 0x20) === SCAN_END) return { value: buf }
  return { error: buf.some((c) => !isSpace(c)) ? 'unexpected EOF' : 'EOF' }
}

/** Lone surrogates (from `\ud800` escapes) → U+FFFD, as Go's unquote does. */
function toWellFormed(s: string): string {
  return s.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  )
}

function goJsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string'
  if (typeof v === 'number') return 'number'
  if (typeof v === 'boolean') return 'bool'
  if (Array.isArray(v)) return 'array'
  return 'object'
}

/**
 * `json.NewDecoder(body).Decode(&ids)` with `ids []string`, to the error text: syntax errors as
 * above, type errors `json: cannot unmarshal number into Go value of type string` (the first
 * one; decoding goes on). `null` → no ids; a `null` element → "".
 */
export function goDecodeStringArray(buf: Uint8Array): { ids: string[] } | { error: string } {
  const read = goReadJsonValue(buf)
  if ('error' in read) return read
  const parsed: unknown = JSON.parse(goDecodeUtf8(read.value))
  if (parsed === null) return { ids: [] }
  if (!Array.isArray(parsed)) {
    return { error: `json: cannot unmarshal ${goJsonKind(parsed)} into Go value of type []string` }
  }
  const ids: string[] = []
  let firstError: string | null = null
  for (const el of parsed as unknown[]) {
    if (typeof el === 'string') ids.push(toWellFormed(el))
    else if (el === null) ids.push('')
    else {
      firstError ??= `json: cannot unmarshal ${goJsonKind(el)} into Go value of type string`
      ids.push('')
    }
  }
  return firstError === null ? { ids } : { error: firstError }
}

// ---------------------------------------------------------------------------------------------
// Server lifecycle

/** Remembers the sockets of a server so `close()` can destroy them (silent/drip modes hang). */
export function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>()
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  return sockets
}

/** Closes a server now: stops listening and destroys every open socket. */
export function closeServerHard(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    for (const s of sockets) s.destroy()
    sockets.clear()
    server.closeAllConnections()
  })
}

/** Resolves when `res` can take more data or has closed; true if it is still writable. */
export function waitDrain(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done)
      res.off('close', done)
      resolve(!res.destroyed && !res.writableEnded && res.socket !== null)
    }
    res.once('drain', done)
    res.once('close', done)
  })
}
