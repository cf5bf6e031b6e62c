/**
 * Users for a PasarGuard sync, read from JSON text: `[...]` or `{ "users": [...] }`, snake_case
 * (the proto's names: `public_key`, `peer_ips`) or camelCase keys. Shared by the renderer (the
 * users file picker shows what was refused) and the CLI (it refuses the whole file). Pure
 * TypeScript: no DOM, no Node APIs.
 */
import { PG_MAX_SYNC_USERS, PgUserSchema, type PgUser } from './contract'
import { parseJson, type JsonErrorInfo } from './xray-config'

/** How many refused entries are kept to show. */
export const INVALID_SHOWN = 5

/** Why a users text could not be read at all. */
export type UsersTextError =
  | { kind: 'json'; error: JsonErrorInfo }
  | { kind: 'shape' }
  | { kind: 'tooMany'; count: number; max: number }

/** A refused entry: 1-based position, email if any, why (`duplicate` for a repeated email). */
export interface RefusedUser {
  index: number
  email: string | null
  message: string
}

/** What a users text held. */
export interface ParsedUsers {
  /** Every entry the text held. */
  total: number
  /** The entries that passed `PgUserSchema`, the first of each email only. */
  users: PgUser[]
  /** The first refused entries (at most `INVALID_SHOWN`). */
  invalid: RefusedUser[]
  /** How many entries were refused in all (duplicates included). */
  invalidCount: number
  /** Emails that came more than once (each once, in order of the first repeat). */
  duplicates: string[]
}

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
 * Reads users from JSON text. Each entry is checked against the contract's `PgUserSchema`; an
 * entry that fails, or repeats an email already seen, is refused (the first few are kept with
 * why). More than `PG_MAX_SYNC_USERS` entries refuse the whole text.
 */
export function parseUsers(
  text: string,
): { ok: true; users: ParsedUsers } | { ok: false; error: UsersTextError } {
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
  const invalid: RefusedUser[] = []
  let invalidCount = 0
  const seen = new Set<string>()
  const duplicates = new Set<string>()
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
      duplicates.add(r.data.email)
      refuse(index, email, 'duplicate')
      return
    }
    seen.add(r.data.email)
    users.push(r.data)
  })
  return {
    ok: true,
    users: { total: list.length, users, invalid, invalidCount, duplicates: [...duplicates] },
  }
}
