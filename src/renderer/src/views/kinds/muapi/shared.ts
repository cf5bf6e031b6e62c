import type { MuNodeUserView, MuUserView } from '../../../../../shared/contract'
import { muQuota } from '../../../../../shared/mu-users'

/** Enabled state filter of the users table. */
export const MU_STATE_FILTERS = ['all', 'enabled', 'disabled'] as const
export type MuStateFilter = (typeof MU_STATE_FILTERS)[number]

/**
 * Usage filter: `over` ≥ 100 % of the quota, `near` 80–99 %, `never` never used (`t` = 0),
 * `recent` used in the last 24 hours.
 */
export const MU_USAGE_FILTERS = ['any', 'over', 'near', 'never', 'recent'] as const
export type MuUsageFilter = (typeof MU_USAGE_FILTERS)[number]

/** "Used recently" = within this many ms. */
export const MU_RECENT_MS = 24 * 60 * 60 * 1000

/** A user with the text a search looks in (lower-cased once per read, not once per keystroke). */
export interface MuIndexed<T extends MuUserView> {
  user: T
  /** email, user name and (node users) the V2Ray uuid and email, lower-cased. */
  text: string
}

/** Builds the search index of one read. */
export function muSearchIndex<T extends MuUserView>(users: readonly T[]): MuIndexed<T>[] {
  return users.map((user) => {
    const parts = [user.email ?? '', user.userName ?? '']
    const v2ray = (user as Partial<MuNodeUserView>).v2ray
    if (v2ray) parts.push(v2ray.uuid ?? '', v2ray.email ?? '')
    return { user, text: parts.join('\n').toLowerCase() }
  })
}

/** What the users table is filtered by. */
export interface MuFilter {
  /** Search text: part of the email / user name (/ V2Ray uuid), or an exact id (`42`, `#42`) or port. */
  query: string
  state: MuStateFilter
  usage: MuUsageFilter
  /** The time "used in the last 24 h" counts back from (ms). */
  now: number
}

/** The users matching a filter, in the read's order (one pass over the list). */
export function filterMuUsers<T extends MuUserView>(
  index: readonly MuIndexed<T>[],
  f: MuFilter,
): T[] {
  const q = f.query.trim().toLowerCase()
  const idOnly = /^#\d+$/.test(q) ? Number(q.slice(1)) : null
  const num = /^\d+$/.test(q) ? Number(q) : null
  const since = f.now - MU_RECENT_MS
  const out: T[] = []
  for (const { user: u, text } of index) {
    if (f.state === 'enabled' && !u.enabled) continue
    if (f.state === 'disabled' && u.enabled) continue
    if (f.usage !== 'any') {
      if (f.usage === 'never') {
        if (u.lastUsedAt !== null) continue
      } else if (f.usage === 'recent') {
        if (u.lastUsedAt === null || u.lastUsedAt < since) continue
      } else if (muQuota(u).level !== f.usage) continue
    }
    if (q) {
      if (idOnly !== null) {
        if (u.id !== idOnly) continue
      } else if (!(num !== null && (u.id === num || u.port === num)) && !text.includes(q)) {
        continue
      }
    }
    out.push(u)
  }
  return out
}

/** A node id typed by the admin: a whole number 1–2147483647, else null. */
export function parseNodeId(text: string): number | null {
  const t = text.trim().replace(/^#/, '')
  if (!/^\d{1,10}$/.test(t)) return null
  const n = Number(t)
  return n >= 1 && n <= 2_147_483_647 ? n : null
}

export { formatShare } from '../../../../../shared/mu-users'
