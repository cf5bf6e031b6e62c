import {
  PG_MAX_SYNC_USERS,
  PgUserSchema,
  type PgSyncMode,
  type PgUser,
  type PgUserInput,
  type UserRow,
} from '../../../../../shared/contract'
import type { PgUsersFile } from '../../../stores/pasarguard'

// ---------------------------------------------------------------------------------------------
// JSON checking with a position. Engines word JSON.parse errors differently (V8 gives an offset,
// Firefox a line and column, old engines nothing), so the position comes from our own scanner.

/** Why a text is not JSON (each has a localized sentence). */
export type JsonErrorReason =
  | 'empty'
  | 'unexpectedEnd'
  | 'unexpectedChar'
  | 'unterminatedString'
  | 'badEscape'
  | 'controlChar'
  | 'badNumber'
  | 'trailingComma'
  | 'expectedColon'
  | 'expectedKey'
  | 'expectedCommaOrEnd'
  | 'extraData'
  | 'comment'
  | 'tooDeep'
  | 'notObject'
  | 'unknown'

/** Where and why a JSON text is invalid. */
export interface JsonErrorInfo {
  reason: JsonErrorReason
  /** 0-based offset in the text (UTF-16 units). */
  offset: number
  /** 1-based line and column. */
  line: number
  column: number
  /** The line with the error (shortened around the column when long), for a caret display. */
  lineText: string
  /** 0-based position of the caret in `lineText`. */
  caret: number
}

const MAX_DEPTH = 512
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

interface ScanFail {
  scanFail: true
  reason: JsonErrorReason
  offset: number
}
const isScanFail = (e: unknown): e is ScanFail =>
  typeof e === 'object' && e !== null && 'scanFail' in e

/** The first syntax error of a JSON text (RFC 8259), or null when it is valid. */
function scanJson(text: string): { reason: JsonErrorReason; offset: number } | null {
  const n = text.length
  let i = 0
  const fail = (reason: JsonErrorReason, offset = i): never => {
    throw { scanFail: true, reason, offset } satisfies ScanFail
  }
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++
      else break
    }
  }
  const string = () => {
    const start = i
    i++
    for (;;) {
      if (i >= n) fail('unterminatedString', start)
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        i++
        return
      }
      if (c === 0x5c) {
        const e = text[i + 1]
        if (e === undefined) fail('unterminatedString', start)
        else if ('"\\/bfnrt'.includes(e)) i += 2
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6
        else fail('badEscape')
        continue
      }
      // A raw line break inside a string almost always means a missing closing quote.
      if (c === 0x0a || c === 0x0d) fail('unterminatedString', start)
      if (c < 0x20) fail('controlChar')
      i++
    }
  }
  const number = () => {
    NUMBER.lastIndex = i
    const m = NUMBER.exec(text)
    if (!m || m[0] === '' || m[0] === '-') fail('badNumber')
    i += m ? m[0].length : 0
    if (i < n && /[0-9.eE+-]/.test(text[i] ?? '')) fail('badNumber')
  }
  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) fail('tooDeep')
    ws()
    if (i >= n) fail('unexpectedEnd')
    const c = text[i]
    if (c === '{') return object(depth)
    if (c === '[') return array(depth)
    if (c === '"') return string()
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number()
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length
        return
      }
    }
    fail(c === '/' ? 'comment' : 'unexpectedChar')
  }
  const object = (depth: number): void => {
    i++
    ws()
    if (text[i] === '}') {
      i++
      return
    }
    for (;;) {
      ws()
      if (i >= n) fail('unexpectedEnd')
      const c = text[i]
      // The first key was checked above: a '}' here follows a comma.
      if (c !== '"') fail(c === '}' ? 'trailingComma' : c === '/' ? 'comment' : 'expectedKey')
      string()
      ws()
      if (i >= n) fail('unexpectedEnd')
      if (text[i] !== ':') fail('expectedColon')
      i++
      value(depth + 1)
      ws()
      if (i >= n) fail('unexpectedEnd')
      if (text[i] === ',') {
        i++
        continue
      }
      if (text[i] === '}') {
        i++
        return
      }
      fail(text[i] === '/' ? 'comment' : 'expectedCommaOrEnd')
    }
  }
  const array = (depth: number): void => {
    i++
    ws()
    if (text[i] === ']') {
      i++
      return
    }
    for (;;) {
      ws()
      if (text[i] === ']') fail('trailingComma')
      value(depth + 1)
      ws()
      if (i >= n) fail('unexpectedEnd')
      if (text[i] === ',') {
        i++
        continue
      }
      if (text[i] === ']') {
        i++
        return
      }
      fail(text[i] === '/' ? 'comment' : 'expectedCommaOrEnd')
    }
  }
  try {
    ws()
    if (i >= n) return { reason: 'empty', offset: 0 }
    value(0)
    ws()
    if (i < n) fail(text[i] === '/' ? 'comment' : 'extraData')
    return null
  } catch (e) {
    if (isScanFail(e)) return { reason: e.reason, offset: e.offset }
    throw e
  }
}

const LINE_WINDOW = 60

/** Line, column and the line's text (shortened around the column) of an offset. */
export function positionOf(
  text: string,
  offset: number,
): Pick<JsonErrorInfo, 'line' | 'column' | 'lineText' | 'caret'> {
  const at = Math.max(0, Math.min(offset, text.length))
  let line = 1
  let lineStart = 0
  for (let k = text.indexOf('\n'); k !== -1 && k < at; k = text.indexOf('\n', k + 1)) {
    line++
    lineStart = k + 1
  }
  let lineEnd = text.indexOf('\n', lineStart)
  if (lineEnd === -1) lineEnd = text.length
  const full = text.slice(lineStart, lineEnd).replace(/\r$/, '')
  const column = at - lineStart + 1
  let caret = column - 1
  let lineText = full
  if (full.length > LINE_WINDOW * 2) {
    const from = Math.max(0, caret - LINE_WINDOW)
    const to = Math.min(full.length, caret + LINE_WINDOW)
    lineText = (from > 0 ? '…' : '') + full.slice(from, to) + (to < full.length ? '…' : '')
    caret = caret - from + (from > 0 ? 1 : 0)
  }
  return { line, column, lineText, caret }
}

function errorAt(text: string, reason: JsonErrorReason, offset: number): JsonErrorInfo {
  return { reason, offset, ...positionOf(text, offset) }
}

/** Parses JSON; on failure says where and why. */
export function parseJson(
  text: string,
): { ok: true; value: unknown } | { ok: false; error: JsonErrorInfo } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    const found = scanJson(text)
    return { ok: false, error: errorAt(text, found?.reason ?? 'unknown', found?.offset ?? 0) }
  }
}

/** Inbound tags of an Xray config (`inbounds[].tag`), unique, in config order. */
export function inboundTags(config: unknown): string[] {
  const inbounds =
    config && typeof config === 'object' ? (config as { inbounds?: unknown }).inbounds : undefined
  if (!Array.isArray(inbounds)) return []
  const tags: string[] = []
  for (const inbound of inbounds) {
    const tag =
      inbound && typeof inbound === 'object' ? (inbound as { tag?: unknown }).tag : undefined
    if (typeof tag === 'string' && tag.trim() !== '' && !tags.includes(tag.trim()))
      tags.push(tag.trim())
  }
  return tags
}

/** An Xray config checked before sending: a JSON object, with its inbound tags. */
export type XrayCheck =
  | { ok: true; value: Record<string, unknown>; inboundTags: string[] }
  | { ok: false; error: JsonErrorInfo }

/** Checks an Xray config text: valid JSON and an object at the top. */
export function checkXrayConfig(text: string): XrayCheck {
  const parsed = parseJson(text)
  if (!parsed.ok) return parsed
  const v = parsed.value
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return { ok: false, error: errorAt(text, 'notObject', text.length - text.trimStart().length) }
  }
  const value = v as Record<string, unknown>
  return { ok: true, value, inboundTags: inboundTags(value) }
}

/** The config pretty-printed with 2 spaces, or null when it is not valid JSON. */
export function formatJson(text: string): string | null {
  const parsed = parseJson(text)
  return parsed.ok ? `${JSON.stringify(parsed.value, null, 2)}\n` : null
}

// ---------------------------------------------------------------------------------------------
// Keep-alive (apis.md §3): the node drops its backend when no 2xx came for keep_alive seconds.

/**
 * True when NodeDeck's polls may come too rarely for the node's keep-alive: with keep-alive on
 * and the poll interval at or above it, the node may stop its core between two polls.
 */
export function keepAliveAtRisk(pollIntervalSec: number, keepAliveSec: number): boolean {
  return keepAliveSec > 0 && pollIntervalSec >= keepAliveSec
}

// ---------------------------------------------------------------------------------------------
// Users files: `[...]` or `{users: [...]}`, snake_case (the proto's names) or camelCase keys.

/** How many refused entries a users file keeps to show. */
export const INVALID_SHOWN = 5

/** Why a users file could not be read at all. */
export type UsersFileError =
  | { kind: 'json'; error: JsonErrorInfo }
  | { kind: 'shape' }
  | { kind: 'tooMany'; count: number; max: number }
  | { kind: 'tooBig' }

const camelKey = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())

/** snake_case keys to camelCase, null values dropped (proto JSON writes them for empty fields). */
function camelize(v: unknown, depth = 0): unknown {
  if (depth > 8) return v
  if (Array.isArray(v)) return v.map((x) => camelize(x, depth + 1))
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) {
      if (x === null) continue
      out[camelKey(k)] = camelize(x, depth + 1)
    }
    return out
  }
  return v
}

/**
 * Reads a users file. Each entry is checked against the contract's `PgUserSchema`; an entry
 * that fails, or repeats an email already seen, is refused (the first few are kept with why).
 */
export function parseUsersFile(
  name: string,
  text: string,
): { ok: true; file: PgUsersFile } | { ok: false; error: UsersFileError } {
  const parsed = parseJson(text)
  if (!parsed.ok) return { ok: false, error: { kind: 'json', error: parsed.error } }
  const root = parsed.value
  const list = Array.isArray(root)
    ? root
    : root && typeof root === 'object' && Array.isArray((root as { users?: unknown }).users)
      ? ((root as { users: unknown[] }).users as unknown[])
      : null
  if (!list) return { ok: false, error: { kind: 'shape' } }
  if (list.length > PG_MAX_SYNC_USERS) {
    return { ok: false, error: { kind: 'tooMany', count: list.length, max: PG_MAX_SYNC_USERS } }
  }
  const users: PgUser[] = []
  const invalid: PgUsersFile['invalid'] = []
  let invalidCount = 0
  const seen = new Set<string>()
  const refuse = (index: number, email: string | null, message: string) => {
    invalidCount++
    if (invalid.length < INVALID_SHOWN) invalid.push({ index, email, message })
  }
  list.forEach((entry, k) => {
    const index = k + 1
    const input = camelize(entry)
    const rawEmail =
      input && typeof input === 'object' ? (input as { email?: unknown }).email : undefined
    const email = typeof rawEmail === 'string' && rawEmail.trim() ? rawEmail.trim() : null
    const r = PgUserSchema.safeParse(input)
    if (!r.success) {
      const issue = r.error.issues[0]
      const path = issue?.path.length ? `${issue.path.join('.')}: ` : ''
      refuse(index, email, `${path}${issue?.message ?? 'invalid'}`)
      return
    }
    if (seen.has(r.data.email)) {
      refuse(index, email, 'duplicate')
      return
    }
    seen.add(r.data.email)
    users.push(r.data)
  })
  return { ok: true, file: { name, total: list.length, users, invalid, invalidCount } }
}

// ---------------------------------------------------------------------------------------------
// The single-user form.

/** Shadowsocks methods Xray takes (the 2022 ones need a base64 key of their length). */
export const SS_METHODS = [
  'aes-128-gcm',
  'aes-256-gcm',
  'chacha20-ietf-poly1305',
  'xchacha20-ietf-poly1305',
  '2022-blake3-aes-128-gcm',
  '2022-blake3-aes-256-gcm',
  '2022-blake3-chacha20-poly1305',
] as const

/** VLESS flows ('' = none). */
export const VLESS_FLOWS = ['', 'xtls-rprx-vision'] as const

/** Protocols a user can have settings for (`Proxy`). */
export const PG_PROTOCOLS = [
  'vmess',
  'vless',
  'trojan',
  'shadowsocks',
  'wireguard',
  'hysteria',
] as const
export type PgProtocol = (typeof PG_PROTOCOLS)[number]

/** What the single-user form edits: each protocol is switched on separately. */
export interface PgUserForm {
  email: string
  inbounds: string[]
  on: Record<PgProtocol, boolean>
  vmessId: string
  vlessId: string
  vlessFlow: string
  trojanPassword: string
  ssPassword: string
  ssMethod: string
  wgPublicKey: string
  wgPeerIps: string[]
  hysteriaAuth: string
}

/** An empty form (VLESS on, the most common protocol with a node). */
export function emptyUserForm(): PgUserForm {
  return {
    email: '',
    inbounds: [],
    on: {
      vmess: false,
      vless: true,
      trojan: false,
      shadowsocks: false,
      wireguard: false,
      hysteria: false,
    },
    vmessId: '',
    vlessId: '',
    vlessFlow: '',
    trojanPassword: '',
    ssPassword: '',
    ssMethod: 'chacha20-ietf-poly1305',
    wgPublicKey: '',
    wgPeerIps: [],
    hysteriaAuth: '',
  }
}

/** The user the form describes (protocols switched off are left out). */
export function userFromForm(f: PgUserForm): PgUserInput {
  const proxies: NonNullable<PgUserInput['proxies']> = {}
  if (f.on.vmess) proxies.vmess = { id: f.vmessId.trim() }
  if (f.on.vless) proxies.vless = { id: f.vlessId.trim(), flow: f.vlessFlow }
  if (f.on.trojan) proxies.trojan = { password: f.trojanPassword }
  if (f.on.shadowsocks) proxies.shadowsocks = { password: f.ssPassword, method: f.ssMethod }
  if (f.on.wireguard) {
    proxies.wireguard = {
      publicKey: f.wgPublicKey.trim(),
      peerIps: f.wgPeerIps.map((ip) => ip.trim()).filter(Boolean),
    }
  }
  if (f.on.hysteria) proxies.hysteria = { auth: f.hysteriaAuth }
  return { email: f.email.trim(), inbounds: [...f.inbounds], proxies }
}

/** Why the form cannot be sent as a user to add, or null when it can. */
export type UserFormProblem =
  | { kind: 'email' }
  | { kind: 'inbounds' }
  | { kind: 'proxy' }
  | { kind: 'empty'; protocol: PgProtocol }
  | { kind: 'schema'; message: string }

/** Checks the form for adding/updating a user (not for removal, which needs only the email). */
export function checkUserForm(f: PgUserForm): UserFormProblem | null {
  if (f.email.trim() === '') return { kind: 'email' }
  if (f.inbounds.length === 0) return { kind: 'inbounds' }
  if (!PG_PROTOCOLS.some((p) => f.on[p])) return { kind: 'proxy' }
  const secrets: Record<PgProtocol, string> = {
    vmess: f.vmessId,
    vless: f.vlessId,
    trojan: f.trojanPassword,
    shadowsocks: f.ssPassword,
    wireguard: f.wgPublicKey,
    hysteria: f.hysteriaAuth,
  }
  for (const p of PG_PROTOCOLS) {
    if (f.on[p] && secrets[p].trim() === '') return { kind: 'empty', protocol: p }
  }
  const r = PgUserSchema.safeParse(userFromForm(f))
  if (!r.success) {
    const issue = r.error.issues[0]
    return {
      kind: 'schema',
      message: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    }
  }
  return null
}

/** The form for a user already in the list (to edit it again). */
export function formFromUser(u: PgUser): PgUserForm {
  const f = emptyUserForm()
  const p = u.proxies
  f.email = u.email
  f.inbounds = [...u.inbounds]
  f.on = {
    vmess: !!p.vmess,
    vless: !!p.vless,
    trojan: !!p.trojan,
    shadowsocks: !!p.shadowsocks,
    wireguard: !!p.wireguard,
    hysteria: !!p.hysteria,
  }
  f.vmessId = p.vmess?.id ?? ''
  f.vlessId = p.vless?.id ?? ''
  f.vlessFlow = p.vless?.flow ?? ''
  f.trojanPassword = p.trojan?.password ?? ''
  f.ssPassword = p.shadowsocks?.password ?? ''
  f.ssMethod = p.shadowsocks?.method || f.ssMethod
  f.wgPublicKey = p.wireguard?.publicKey ?? ''
  f.wgPeerIps = [...(p.wireguard?.peerIps ?? [])]
  f.hysteriaAuth = p.hysteria?.auth ?? ''
  return f
}

/** A looks-like-a-WireGuard-key check: 32 bytes in base64 (44 characters ending in '='). */
export function isWireGuardKey(key: string): boolean {
  return /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/.test(key.trim())
}

// ---------------------------------------------------------------------------------------------
// Secrets, from the platform's CSPRNG (crypto.randomUUID / getRandomValues).

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n)
  crypto.getRandomValues(out)
  return out
}

function toBase64(bytes: Uint8Array): string {
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin)
}

/** A random UUID (VMess / VLESS ids). */
export function randomUuid(): string {
  return crypto.randomUUID()
}

/** A random password: `bytes` random bytes as URL-safe base64 without padding (24 chars). */
export function randomPassword(bytes = 18): string {
  return toBase64(randomBytes(bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/**
 * A Shadowsocks password for a method: the 2022 methods take a base64 key of exactly the
 * cipher's key length (16 bytes for AES-128, else 32); older methods any password.
 */
export function shadowsocksPassword(method: string): string {
  if (method === '2022-blake3-aes-128-gcm') return toBase64(randomBytes(16))
  if (method.startsWith('2022-')) return toBase64(randomBytes(32))
  return randomPassword()
}

// ---------------------------------------------------------------------------------------------
// Full-set sync.

/** A chunked sync of more users than this makes the node restart its core (apis.md §3). */
export const LIVE_CHUNKED_MAX = 100

/** True when syncing `users` users this way restarts the node's core. */
export function syncRestartsCore(mode: PgSyncMode, users: number): boolean {
  return mode === 'replace' || users > LIVE_CHUNKED_MAX
}

/** How many chunks a chunked sync sends (at least one: the last chunk says "done"). */
export function chunkCount(users: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(users / Math.max(1, chunkSize)))
}

/** Percent 0–100 of a progress, rounded down; 0 when the total is 0 and nothing is done. */
export function progressPercent(sent: number, total: number, done: boolean): number {
  if (done) return 100
  if (total <= 0) return 0
  return Math.min(100, Math.floor((sent / total) * 100))
}

// ---------------------------------------------------------------------------------------------
// Charts and tables.

/** One line of a chart: `[epoch ms, value]` points; a null value is a gap, never 0. */
export interface MetricSeries {
  name: string
  color: string
  data: [number, number | null][]
}

/** Users whose email contains the search text (case-insensitive). */
export function filterRows<T extends Pick<UserRow, 'name'>>(
  rows: readonly T[],
  search: string,
): T[] {
  const q = search.trim().toLowerCase()
  return q ? rows.filter((r) => r.name.toLowerCase().includes(q)) : [...rows]
}

/** Online IPs, the most recently seen first (unknown times last), then by address. */
export function sortIps<T extends { ip: string; lastSeenAt: number | null }>(
  ips: readonly T[],
): T[] {
  return [...ips].sort(
    (a, b) => (b.lastSeenAt ?? -Infinity) - (a.lastSeenAt ?? -Infinity) || a.ip.localeCompare(b.ip),
  )
}
