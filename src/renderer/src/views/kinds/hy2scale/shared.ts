export { certLevel, type CertLevel } from '../../../utils/format'
import type { Account, AccountDraftInput } from '../../../../../shared/contract'

/** Bytes in one GiB: the account form edits quotas in GiB, the contract carries bytes. */
export const GIB = 1024 ** 3

/** A quota in GiB from the form as bytes; 0, empty or invalid = unlimited (null). */
export function gibToBytes(gib: number | null | undefined): number | null {
  if (gib === null || gib === undefined || !Number.isFinite(gib) || gib <= 0) return null
  return Math.round(gib * GIB)
}

/** A quota in bytes as GiB for the form (two decimals); null = unlimited (empty field). */
export function bytesToGib(bytes: number | null): number | null {
  if (bytes === null || bytes <= 0) return null
  return Math.round((bytes / GIB) * 100) / 100
}

/** Today as `YYYY-MM-DD` in local time (expiry dates are calendar days on the node). */
export function today(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}`
}

/** Whole days from `from` to `to` (both `YYYY-MM-DD`); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
  const a = Date.parse(`${from}T00:00:00Z`)
  const b = Date.parse(`${to}T00:00:00Z`)
  return Math.round((b - a) / 86_400_000)
}

/** How urgent an expiry date is: none, past (expired), within 7 days (soon), or later (ok). */
export type ExpiryLevel = 'none' | 'expired' | 'soon' | 'ok'

/** The expiry level of an account on `todayStr`; expired means the date is before today. */
export function expiryLevel(expiresAt: string | null, todayStr = today()): ExpiryLevel {
  if (!expiresAt) return 'none'
  const d = daysBetween(todayStr, expiresAt)
  if (Number.isNaN(d)) return 'none'
  if (d < 0) return 'expired'
  if (d <= 7) return 'soon'
  return 'ok'
}

/** Quota state of an account: used fraction (null when unknown or unlimited), over quota. */
export interface Quota {
  /** 0–100, capped, or null when the limit is unlimited or usage unknown. */
  percent: number | null
  unlimited: boolean
  over: boolean
}

/** Quota of an account; an unknown usage is never shown as 0 %. */
export function quotaOf(a: Pick<Account, 'trafficLimit' | 'trafficUsed'>): Quota {
  const unlimited = a.trafficLimit === null || a.trafficLimit <= 0
  if (unlimited || a.trafficUsed === null || a.trafficLimit === null) {
    return { percent: null, unlimited, over: false }
  }
  const ratio = a.trafficUsed / a.trafficLimit
  return { percent: Math.min(100, Math.round(ratio * 1000) / 10), unlimited, over: ratio >= 1 }
}

/** The users filter: everything, by switch state, expired, or over quota. */
export type AccountFilter = 'all' | 'enabled' | 'disabled' | 'expired' | 'overQuota'

export const ACCOUNT_FILTERS: readonly AccountFilter[] = [
  'all',
  'enabled',
  'disabled',
  'expired',
  'overQuota',
]

/** Accounts matching the search text (name or exit) and the filter, sorted by name. */
export function filterAccounts(
  accounts: readonly Account[],
  search: string,
  filter: AccountFilter,
  todayStr = today(),
): Account[] {
  const f = search.trim().toLowerCase()
  return accounts
    .filter((a) => !f || a.name.toLowerCase().includes(f) || a.exitVia.toLowerCase().includes(f))
    .filter((a) => {
      switch (filter) {
        case 'enabled':
          return a.enabled
        case 'disabled':
          return !a.enabled
        case 'expired':
          return expiryLevel(a.expiresAt, todayStr) === 'expired'
        case 'overQuota':
          return quotaOf(a).over
        default:
          return true
      }
    })
    .sort((a, b) => a.name.localeCompare(b.name))
}

/** What the account form edits; the GiB field and the date are converted in `draftOf`. */
export interface AccountForm {
  name: string
  password: string
  enabled: boolean
  /** GiB; null or 0 = unlimited. */
  limitGib: number | null
  /** `YYYY-MM-DD` or null = never. */
  expiresAt: string | null
  exitVia: string
}

/** The form for a new account, or for editing `a` (the password field starts empty). */
export function accountForm(a?: Account): AccountForm {
  return {
    name: a?.name ?? '',
    password: '',
    enabled: a?.enabled ?? true,
    limitGib: a ? bytesToGib(a.trafficLimit) : null,
    expiresAt: a?.expiresAt ?? null,
    exitVia: a?.exitVia ?? '',
  }
}

/**
 * The draft sent to the core: the quota in bytes (null = unlimited), and on edit an empty
 * password left out, which keeps the stored one (apis.md §2: the node replaces the whole
 * record, so the core merges the draft with what the node has).
 */
export function draftOf(form: AccountForm, editing: boolean): AccountDraftInput {
  const password = form.password === '' && editing ? undefined : form.password
  return {
    name: form.name.trim(),
    ...(password === undefined ? {} : { password }),
    enabled: form.enabled,
    trafficLimit: gibToBytes(form.limitGib),
    expiresAt: form.expiresAt || null,
    exitVia: form.exitVia.trim(),
  }
}

/** Conflicts as lines: `alice` on `socks5` collides with `bob`. */
export function conflictLines(
  conflicts: Record<string, Record<string, string[]>> | null | undefined,
): { user: string; proxy: string; others: string[] }[] {
  const out: { user: string; proxy: string; others: string[] }[] = []
  for (const [user, byProxy] of Object.entries(conflicts ?? {})) {
    for (const [proxy, others] of Object.entries(byProxy)) out.push({ user, proxy, others })
  }
  return out.sort((a, b) => a.user.localeCompare(b.user) || a.proxy.localeCompare(b.proxy))
}

/** The three ways to add a certificate: import PEM, generate self-signed, sign with a CA. */
export type CertCreateMode = 'import' | 'generate' | 'sign'

const ipToInt = (ip: string): number | null => {
  const parts = ip.split('.')
  if (parts.length !== 4) return null
  let n = 0
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return null
    const v = Number(p)
    if (v > 255) return null
    n = n * 256 + v
  }
  return n
}
const intToIp = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.')

/**
 * The next free `/32` in the WireGuard server's IPv4 subnet (`address` like `10.0.0.1/24`),
 * skipping the server's own address and every address a peer already has; null when the
 * address is not IPv4 or the subnet is full.
 */
export function nextFreePeerIp(address: string, peersAllowedIps: readonly string[]): string | null {
  const m = /^\s*([\d.]+)\/(\d{1,2})\s*$/.exec(address.split(',')[0] ?? '')
  if (!m) return null
  const server = ipToInt(m[1] ?? '')
  const bits = Number(m[2])
  if (server === null || bits < 8 || bits > 30) return null
  const size = 2 ** (32 - bits)
  const network = server - (server % size)
  const used = new Set<number>([server])
  for (const allowed of peersAllowedIps) {
    for (const part of allowed.split(',')) {
      const ip = ipToInt(part.trim().split('/')[0] ?? '')
      if (ip !== null) used.add(ip)
    }
  }
  for (let ip = network + 1; ip < network + size - 1; ip++) {
    if (!used.has(ip)) return `${intToIp(ip)}/32`
  }
  return null
}

/** The host of a server URL (no port, no brackets) for a WireGuard endpoint, or ''. */
export function hostOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '')
  } catch {
    return ''
  }
}

/** Base64 (as the core sends zips) to bytes. */
export function base64ToBytes(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64)
  const out = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i)
  return out
}

/** An SVG document as a `data:` URL (the CSP allows data: images, not blob: or remote ones). */
export function svgDataUrl(svg: string): string {
  // btoa takes Latin-1 only: encode UTF-8 first so a non-ASCII character cannot throw.
  const bytes = new TextEncoder().encode(svg)
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return `data:image/svg+xml;base64,${btoa(bin)}`
}

/** Saves data as a file through a temporary anchor (works in Electron and in browser mode). */
export function downloadBlob(data: BlobPart, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([data], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.rel = 'noopener'
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** Copies text to the clipboard; false if the page may not (no permission, insecure origin). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    return false
  }
}
