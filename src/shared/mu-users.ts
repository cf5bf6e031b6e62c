/**
 * Quota arithmetic of Mu API v2 panel users (apis.md §4), shared by the panel view and the CLI so
 * both call the same users "over quota". ss-panel serves a user while `u + d < transfer_enable`:
 * a quota of 0 grants nothing (it is not "unlimited"), and a user who used exactly the quota is
 * over it.
 */

/** Share of the quota from which a user is "near" it. */
export const MU_NEAR_QUOTA = 0.8

/** `none` = no quota granted (0), `ok` < 80 %, `near` 80–99 %, `over` ≥ 100 %. */
export type MuQuotaLevel = 'none' | 'ok' | 'near' | 'over'

/** The fields of a panel user the quota depends on (bytes). */
export interface MuQuotaInput {
  up: number
  down: number
  quota: number
}

/** Used bytes against the quota. */
export interface MuQuota {
  /** up + down, bytes. */
  used: number
  /** transfer_enable, bytes (0 = none granted). */
  quota: number
  /** used / quota (may exceed 1); null when there is no quota. */
  fraction: number | null
  level: MuQuotaLevel
}

/** The quota state of a user. */
export function muQuota(u: MuQuotaInput): MuQuota {
  const used = u.up + u.down
  if (!(u.quota > 0)) return { used, quota: 0, fraction: null, level: 'none' }
  const fraction = used / u.quota
  const level: MuQuotaLevel = used >= u.quota ? 'over' : fraction >= MU_NEAR_QUOTA ? 'near' : 'ok'
  return { used, quota: u.quota, fraction, level }
}

/** A share of the quota as people read it: `42 %`, `3.5 %` below 10 %, never rounded up to 100. */
export function formatShare(fraction: number): string {
  const pct = fraction * 100
  if (pct > 0 && pct < 10) return `${Math.floor(pct * 10) / 10} %`
  return `${Math.floor(pct)} %`
}

/** A panel user as far as the totals need it. */
export interface MuTotalsInput extends MuQuotaInput {
  enabled: boolean
  lastUsedAt: number | null
}

/** Totals over a panel's users (every field is known once the users were read). */
export interface MuTotals {
  users: number
  enabled: number
  up: number
  down: number
  /** Sum of the granted quotas, bytes. */
  quota: number
  overQuota: number
  nearQuota: number
  /** Users whose last use (`t`) is 0. */
  neverUsed: number
}

/** Totals over the users of one read. */
export function muTotals(users: readonly MuTotalsInput[]): MuTotals {
  const t: MuTotals = {
    users: users.length,
    enabled: 0,
    up: 0,
    down: 0,
    quota: 0,
    overQuota: 0,
    nearQuota: 0,
    neverUsed: 0,
  }
  for (const u of users) {
    if (u.enabled) t.enabled++
    t.up += u.up
    t.down += u.down
    if (u.quota > 0) t.quota += u.quota
    const level = muQuota(u).level
    if (level === 'over') t.overQuota++
    else if (level === 'near') t.nearQuota++
    if (u.lastUsedAt === null) t.neverUsed++
  }
  return t
}
