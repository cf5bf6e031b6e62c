/**
 * A port of the routing parts of Go 1.22+ `net/http.ServeMux` that a client can observe:
 * method patterns (`GET /api/x/{id}`; GET also serves HEAD), literal-before-wildcard precedence,
 * method-specific patterns before method-less ones, `405` + `Allow` when only the method is wrong,
 * the trailing-slash redirect (`/tree` → `/tree/`), the clean-path redirect (`//a/../b` → `/b`),
 * `http.StripPrefix` and `http.Redirect`. Plain Node, no dependencies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { goUnescape, writeGoResponse } from './http-util'

/** The URL parts the Go mux works with: decoded `Path`, `RawPath` (or "") and `RawQuery`. */
export interface GoUrl {
  path: string
  rawPath: string
  rawQuery: string
}

function shouldEscapePath(c: number): boolean {
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
    return false
  }
  // '-', '_', '.', '~' unreserved; '$', '&', '+', ',', '/', ':', ';', '=', '@' allowed in paths.
  return !'-_.~$&+,/:;=@'.includes(String.fromCharCode(c))
}

/** Go's `url.PathEscape`-like `escape(s, encodePath)` over the bytes of a latin1 string. */
export function goEscapePath(s: string): string {
  let out = ''
  for (const b of Buffer.from(s, 'latin1')) {
    out += shouldEscapePath(b)
      ? `%${b.toString(16).toUpperCase().padStart(2, '0')}`
      : String.fromCharCode(b)
  }
  return out
}

/** Go's `validEncoded(s, encodePath)`. */
export function goValidEncodedPath(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ("!$&'()*+,;=:@[]%".includes(s[i] as string)) continue
    if (shouldEscapePath(c)) return false
  }
  return true
}

/** Builds a {@link GoUrl} from the raw path (as sent) and its decoded form. */
export function goUrlFromRaw(rawPathAsSent: string, decoded: string, rawQuery: string): GoUrl {
  const rawPath =
    goEscapePath(decoded) !== rawPathAsSent && goValidEncodedPath(rawPathAsSent)
      ? rawPathAsSent
      : ''
  return { path: decoded, rawPath, rawQuery }
}

/** Go's `URL.EscapedPath()`. */
export function goEscapedPath(u: GoUrl): string {
  if (u.rawPath !== '' && goValidEncodedPath(u.rawPath)) return u.rawPath
  return goEscapePath(u.path)
}

/** Go's `path.Clean`. */
export function goPathClean(p: string): string {
  if (p === '') return '.'
  const rooted = p.startsWith('/')
  const out: string[] = []
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop()
      else if (!rooted) out.push('..')
      continue
    }
    out.push(seg)
  }
  const joined = out.join('/')
  if (rooted) return `/${joined}`
  return joined === '' ? '.' : joined
}

/** Go's `net/http.cleanPath`. */
export function goCleanPath(p: string): string {
  if (p === '') return '/'
  if (!p.startsWith('/')) p = `/${p}`
  let np = goPathClean(p)
  if (p.endsWith('/') && np !== '/') np += '/'
  return np
}

/** Go's `http.StripPrefix` URL rewrite; null where Go answers 404. */
export function goStripPrefix(u: GoUrl, prefix: string): GoUrl | null {
  const p = u.path.startsWith(prefix) ? u.path.slice(prefix.length) : u.path
  const rp = u.rawPath.startsWith(prefix) ? u.rawPath.slice(prefix.length) : u.rawPath
  if (p.length < u.path.length && (u.rawPath === '' || rp.length < u.rawPath.length)) {
    return { path: p, rawPath: rp, rawQuery: u.rawQuery }
  }
  return null
}

function htmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&#34;')
    .replace(/'/g, '&#39;')
}

const STATUS_TEXT: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Found',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
}

/**
 * Go's `http.Redirect` for an absolute-path target (`/x/y?q`): Location = cleaned path;
 * GET/HEAD get `text/html; charset=utf-8`; only GET gets the `<a href>` body.
 */
export function goRedirect(
  req: IncomingMessage,
  res: ServerResponse,
  url: string,
  code: number,
): void {
  const q = url.indexOf('?')
  const pathPart = q < 0 ? url : url.slice(0, q)
  const query = q < 0 ? '' : url.slice(q)
  let target = goPathClean(pathPart)
  if (pathPart.endsWith('/') && !target.endsWith('/')) target += '/'
  target += query
  const headers: Record<string, string> = { Location: target }
  const method = req.method ?? ''
  if (method === 'GET' || method === 'HEAD') headers['Content-Type'] = 'text/html; charset=utf-8'
  const body =
    method === 'GET' ? `<a href="${htmlEscape(target)}">${STATUS_TEXT[code] ?? ''}</a>.\n\n` : ''
  writeGoResponse(res, code, headers, body)
}

type Segment =
  | { kind: 'lit'; value: string }
  | { kind: 'wild'; name: string }
  | { kind: 'multi'; name: string }
  | { kind: 'end' }

interface Pattern<H> {
  raw: string
  method: string
  segments: Segment[]
  handler: H
}

/** Result of {@link GoServeMux.find}. */
export type GoMuxResult<H> =
  | { kind: 'handler'; handler: H; params: Record<string, string>; pattern: string }
  | { kind: 'redirect'; location: string }
  | { kind: 'notAllowed'; allow: string }
  | { kind: 'notFound' }

function parsePattern(pattern: string): { method: string; segments: Segment[] } {
  const sp = pattern.indexOf(' ')
  const method = sp >= 0 ? pattern.slice(0, sp) : ''
  const path = sp >= 0 ? pattern.slice(sp + 1).trim() : pattern
  if (!path.startsWith('/')) throw new Error(`bad pattern ${pattern}`)
  const parts = path.slice(1).split('/')
  const segments: Segment[] = []
  parts.forEach((p, i) => {
    const last = i === parts.length - 1
    if (last && p === '') segments.push({ kind: 'multi', name: '' })
    else if (p === '{$}') segments.push({ kind: 'end' })
    else if (p.startsWith('{') && p.endsWith('...}'))
      segments.push({ kind: 'multi', name: p.slice(1, -4) })
    else if (p.startsWith('{') && p.endsWith('}'))
      segments.push({ kind: 'wild', name: p.slice(1, -1) })
    else segments.push({ kind: 'lit', value: p })
  })
  return { method, segments }
}

/** Path segments, each percent-decoded (as UTF-8) like Go's `firstSegment`. */
function splitSegments(path: string): string[] {
  return path
    .slice(1)
    .split('/')
    .map((s) => {
      const d = goUnescape(s, 'path')
      return d === null ? s : Buffer.from(d, 'latin1').toString('utf8')
    })
}

/** Segment rank for precedence: literal beats single wildcard beats multi. */
function rank(s: Segment | undefined): number {
  if (s === undefined) return -1
  return s.kind === 'lit' || s.kind === 'end' ? 2 : s.kind === 'wild' ? 1 : 0
}

/**
 * Go 1.22 `ServeMux` routing over escaped paths. `find` returns what Go would do; the caller
 * writes the response (see {@link goRedirect}, and `http.Error` for 404/405).
 */
export class GoServeMux<H> {
  private readonly patterns: Pattern<H>[] = []

  /** Registers `[METHOD ]/path` (`{name}`, `{name...}`, `{$}`, trailing `/` = subtree). */
  handle(pattern: string, handler: H): void {
    const { method, segments } = parsePattern(pattern)
    this.patterns.push({ raw: pattern, method, segments, handler })
  }

  private matchPath(p: Pattern<H>, segs: string[]): Record<string, string> | null {
    const params: Record<string, string> = {}
    for (let i = 0; i < p.segments.length; i++) {
      const s = p.segments[i] as Segment
      const seg = segs[i]
      if (s.kind === 'multi') {
        if (seg === undefined) return null
        if (s.name !== '') params[s.name] = segs.slice(i).join('/')
        return params
      }
      if (s.kind === 'end') return seg === '' && segs.length === i + 1 ? params : null
      if (seg === undefined) return null
      if (s.kind === 'lit') {
        if (seg !== s.value) return null
      } else {
        if (seg === '') return null
        params[s.name] = seg
      }
    }
    return segs.length === p.segments.length ? params : null
  }

  private better(a: Pattern<H>, b: Pattern<H>): boolean {
    const n = Math.max(a.segments.length, b.segments.length)
    for (let i = 0; i < n; i++) {
      const ra = rank(a.segments[i])
      const rb = rank(b.segments[i])
      if (ra !== rb) return ra > rb
    }
    return false
  }

  private matchMethod(
    method: string | null,
    segs: string[],
  ): { p: Pattern<H>; params: Record<string, string> } | null {
    let best: { p: Pattern<H>; params: Record<string, string> } | null = null
    for (const p of this.patterns) {
      if (method !== null && p.method !== method) continue
      const params = this.matchPath(p, segs)
      if (params === null) continue
      if (best === null || this.better(p, best.p)) best = { p, params }
    }
    return best
  }

  private match(
    method: string,
    path: string,
  ): { p: Pattern<H>; params: Record<string, string> } | null {
    const segs = splitSegments(path)
    return (
      this.matchMethod(method, segs) ??
      (method === 'HEAD' ? this.matchMethod('GET', segs) : null) ??
      this.matchMethod('', segs)
    )
  }

  private exactMatch(p: Pattern<H> | undefined, path: string): boolean {
    if (p === undefined) return false
    const last = p.segments[p.segments.length - 1]
    if (last?.kind !== 'multi') return true
    if (path.length > 0 && !path.endsWith('/')) return false
    return p.segments.length === path.split('/').length - 1
  }

  /** Routes a request like Go's `ServeMux.findHandler` (method, URL as after any StripPrefix). */
  find(method: string, u: GoUrl): GoMuxResult<H> {
    const escaped = goEscapedPath(u)
    const path = goCleanPath(escaped)
    const m = this.match(method, path)
    if (!this.exactMatch(m?.p, path) && !path.endsWith('/')) {
      const m2 = this.match(method, `${path}/`)
      if (this.exactMatch(m2?.p, `${path}/`)) {
        const loc = goEscapePath(`${goCleanPath(u.path)}/`)
        return { kind: 'redirect', location: loc + (u.rawQuery !== '' ? `?${u.rawQuery}` : '') }
      }
    }
    if (path !== escaped) {
      const loc = path.replace(/%/g, '%25')
      return { kind: 'redirect', location: loc + (u.rawQuery !== '' ? `?${u.rawQuery}` : '') }
    }
    if (m === null) {
      const allowed = new Set<string>()
      const collect = (p: string): void => {
        for (const pat of this.patterns) {
          if (pat.method === '') continue
          if (this.matchPath(pat, splitSegments(p)) === null) continue
          allowed.add(pat.method)
          if (pat.method === 'GET') allowed.add('HEAD')
        }
      }
      collect(path)
      if (!path.endsWith('/')) collect(`${path}/`)
      if (allowed.size > 0) return { kind: 'notAllowed', allow: [...allowed].sort().join(', ') }
      return { kind: 'notFound' }
    }
    return { kind: 'handler', handler: m.p.handler, params: m.params, pattern: m.p.raw }
  }
}
