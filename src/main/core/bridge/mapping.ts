import type { BridgePreview, BridgeRule } from '../../../shared/contract'

/** A panel user as the bridge needs it: identity for the rules, counters for verification. */
export interface PanelUser {
  id: number
  email: string | null
  port: number | null
  /** The panel's used bytes (after every node's rate): `u` = client upload. */
  u: number
  d: number
}

/** What a rule makes of a set of source names. */
export interface MappingResult {
  /** Source name → panel user id. */
  mapping: Map<string, number>
  /** Names without a panel user (including the ambiguous ones), sorted. */
  unmatched: string[]
  /** Names the rule finds several panel users for (never guessed). */
  ambiguous: { name: string; userIds: number[] }[]
  /** Panel users several names map to (allowed: their bytes add up). */
  duplicates: { userId: number; names: string[] }[]
}

/** Code-point order (the same on every machine, unlike `localeCompare`). */
const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** A positive decimal without sign, blanks or leading zeros (`7`, not `07` or `+7`). */
const DECIMAL = /^[1-9][0-9]*$/

/**
 * Maps source user names to panel user ids by `rule`:
 * - `id`: the name is the panel user's id, in decimal (`"7"` → user 7, if the panel lists it);
 * - `email`: the name equals a panel user's email, ignoring case (no trimming: auth ids are
 *   exact);
 * - `port`: the name is a panel user's Shadowsocks port, in decimal.
 *
 * Only users in `panelUsers` are mapped (reporting an id the panel does not have makes ss-panel
 * fail midway through a batch). Two panel users with the same email or port make the names that
 * hit them ambiguous: they stay unmatched and are listed, never guessed. Several names on one
 * panel user are allowed (e.g. `Ann@x` and `ann@x` under `email`): their bytes add up, which is
 * what the panel user used; they are listed as duplicates for the preview.
 */
export function mapNames(
  names: Iterable<string>,
  panelUsers: readonly PanelUser[],
  rule: BridgeRule,
): MappingResult {
  const index = new Map<string, number[]>()
  const put = (key: string, id: number) => {
    const cur = index.get(key)
    if (cur) {
      if (!cur.includes(id)) cur.push(id)
    } else index.set(key, [id])
  }
  for (const u of panelUsers) {
    if (rule === 'id') put(String(u.id), u.id)
    else if (rule === 'email') {
      if (u.email) put(u.email.toLowerCase(), u.id)
    } else if (u.port !== null && Number.isSafeInteger(u.port) && u.port > 0) {
      put(String(u.port), u.id)
    }
  }
  const mapping = new Map<string, number>()
  const unmatched: string[] = []
  const ambiguous: { name: string; userIds: number[] }[] = []
  for (const name of new Set(names)) {
    let key: string | null
    if (rule === 'email') key = name.toLowerCase()
    else key = DECIMAL.test(name) ? name : null
    const ids = key === null ? undefined : index.get(key)
    if (!ids) unmatched.push(name)
    else if (ids.length > 1) {
      unmatched.push(name)
      ambiguous.push({ name, userIds: [...ids].sort((a, b) => a - b) })
    } else mapping.set(name, ids[0] as number)
  }
  const byUser = new Map<number, string[]>()
  for (const [name, id] of mapping) byUser.set(id, [...(byUser.get(id) ?? []), name])
  const duplicates = [...byUser]
    .filter(([, ns]) => ns.length > 1)
    .map(([userId, ns]) => ({ userId, names: ns.sort(byCode) }))
    .sort((a, b) => a.userId - b.userId)
  return {
    mapping,
    unmatched: unmatched.sort(byCode),
    ambiguous: ambiguous.sort((a, b) => byCode(a.name, b.name)),
    duplicates,
  }
}

/** The preview of a rule over the current users (see {@link mapNames}). */
export function previewMapping(
  sourceNames: readonly string[],
  panelUsers: readonly PanelUser[],
  panelList: 'node' | 'all',
  rule: BridgeRule,
): BridgePreview {
  const m = mapNames(sourceNames, panelUsers, rule)
  const byId = new Map(panelUsers.map((u) => [u.id, u]))
  return {
    sourceUsers: new Set(sourceNames).size,
    panelUsers: panelUsers.length,
    panelList,
    matched: [...m.mapping]
      .map(([name, userId]) => ({
        name,
        userId,
        email: byId.get(userId)?.email ?? null,
        port: byId.get(userId)?.port ?? null,
      }))
      .sort((a, b) => byCode(a.name, b.name)),
    unmatched: m.unmatched,
    duplicates: m.duplicates,
    ambiguous: m.ambiguous,
  }
}
