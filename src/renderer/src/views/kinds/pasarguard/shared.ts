import {
  PgUserSchema,
  type PgSyncMode,
  type PgUser,
  type PgUserInput,
  type UserRow,
} from '../../../../../shared/contract'
import { parseUsers, type UsersTextError } from '../../../../../shared/pasarguard-users'
import type { PgUsersFile } from '../../../stores/pasarguard'

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

/** Why a users file could not be used: its text (see `parseUsers`), or its size. */
export type UsersFileError = UsersTextError | { kind: 'tooBig' }

/**
 * Reads a users file. Each entry is checked against the contract's `PgUserSchema`; an entry
 * that fails, or repeats an email already seen, is refused (the first few are kept with why).
 */
export function parseUsersFile(
  name: string,
  text: string,
): { ok: true; file: PgUsersFile } | { ok: false; error: UsersFileError } {
  const r = parseUsers(text)
  if (!r.ok) return r
  const { total, users, invalid, invalidCount } = r.users
  return { ok: true, file: { name, total, users, invalid, invalidCount } }
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
