import {
  WgPublicKeySchema,
  type WgMonChartView,
  type WgMonEventView,
  type WgMonManagedUserView,
  type MethodInput,
} from '../../../../../shared/contract'

/**
 * Pure helpers of the WireGuard monitor panel (apis.md §5). Times from the monitor are its LOCAL
 * time as `YYYY-MM-DD HH:MM:SS` with no zone: they are shown as sent, and only differences
 * between two of them are computed (both in the same unknown zone), never "ago" against the
 * browser's clock.
 */

// ---------------------------------------------------------------------------------------------
// Times and durations.

const SERVER_TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/

/**
 * A monitor time as milliseconds of a clock in the server's zone (parsed as if UTC): good for
 * differences between two monitor times only. null for a missing or unreadable time.
 */
export function serverClockMs(text: string | null | undefined): number | null {
  const m = text ? SERVER_TIME.exec(text) : null
  if (!m) return null
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, ...number[]]
  const ms = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!)
  return Number.isNaN(ms) ? null : ms
}

/** Seconds from `start` to `end` (monitor times); null when either is unknown or it is negative. */
export function secondsBetween(
  start: string | null | undefined,
  end: string | null | undefined,
): number | null {
  const a = serverClockMs(start)
  const b = serverClockMs(end)
  if (a === null || b === null || b < a) return null
  return Math.round((b - a) / 1000)
}

/** A duration split for display ("1 h 2 min 3 s"); negative counts as 0. */
export function durationParts(seconds: number): { h: number; m: number; s: number } {
  const total = Math.max(0, Math.floor(seconds))
  return { h: Math.floor(total / 3600), m: Math.floor((total % 3600) / 60), s: total % 60 }
}

/**
 * How long a session lasted (closed: the server's `duration_seconds`) or has lasted so far (open:
 * start → last update, both monitor times). null when unknown.
 */
export function sessionSeconds(e: WgMonEventView): number | null {
  if (e.online === true || e.endTime === null) return secondsBetween(e.startTime, e.lastUpdate)
  return e.durationSeconds ?? secondsBetween(e.startTime, e.endTime)
}

/**
 * Whether an expiry (monitor local time) has passed, compared with the browser's clock: the
 * monitor sends no zone, so within a day of the date this is a hint, not a verdict.
 */
export function expiryState(expiry: string | null, now: number): 'none' | 'expired' | 'ok' {
  if (!expiry) return 'none'
  const m = SERVER_TIME.exec(expiry) ?? /^(\d{4})-(\d{2})-(\d{2})$/.exec(expiry)
  if (!m) return 'ok'
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1).map((v) => Number(v ?? 0))
  const at = new Date(y!, mo! - 1, d!, h, mi, s).getTime()
  return at <= now ? 'expired' : 'ok'
}

// ---------------------------------------------------------------------------------------------
// Keys and limits.

/** True when `key` looks like a WireGuard public key (the contract's check: 44 base64 chars). */
export function isWireGuardKey(key: string): boolean {
  return WgPublicKeySchema.safeParse(key).success
}

/** A public key shortened for a table cell (the full key stays copyable). */
export function shortKey(key: string | null): string | null {
  if (!key) return null
  return key.length > 14 ? `${key.slice(0, 10)}…${key.slice(-4)}` : key
}

/** The monitor's already shortened key (16 chars + "...") as the table shows keys. */
export function shortKeyPrefix(short: string | null): string | null {
  if (!short) return null
  const k = short.replace(/\.{3}$/, '')
  return k.length > 10 ? `${k.slice(0, 10)}…` : k
}

/** A limit: null = not reported, 0 = unlimited (the monitor's meaning), else the number. */
export type Limit = { kind: 'unknown' } | { kind: 'unlimited' } | { kind: 'value'; n: number }

export function limitOf(n: number | null): Limit {
  if (n === null) return { kind: 'unknown' }
  if (n <= 0) return { kind: 'unlimited' }
  return { kind: 'value', n }
}

// ---------------------------------------------------------------------------------------------
// Users: the form and the edit patch.

/** What the create / edit dialog edits. Numbers are null while the field is empty (= 0 / none). */
export interface WgUserForm {
  publicKey: string
  nickname: string
  email: string
  phone: string
  bandwidthLimitKBps: number | null
  dataLimitMb: number | null
  /** `YYYY-MM-DD HH:MM:SS` (monitor local time) or null for none. */
  expiryDate: string | null
  note: string
}

type UserFields = MethodInput<'wgmon.update'>['patch']
type CreateUser = MethodInput<'wgmon.create'>['user']

/** An empty create form. */
export function emptyUserForm(): WgUserForm {
  return {
    publicKey: '',
    nickname: '',
    email: '',
    phone: '',
    bandwidthLimitKBps: null,
    dataLimitMb: null,
    expiryDate: null,
    note: '',
  }
}

/** The form of an existing user (to edit it). */
export function formFromUser(u: WgMonManagedUserView): WgUserForm {
  return {
    publicKey: u.publicKey ?? '',
    nickname: u.nickname ?? '',
    email: u.email ?? '',
    phone: u.phone ?? '',
    bandwidthLimitKBps: u.bandwidthLimitKBps,
    dataLimitMb: u.dataLimitMb,
    expiryDate: u.expiryDate,
    note: u.note ?? '',
  }
}

export const EXPIRY_FORMAT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/

/** Why the form cannot be sent, or null. */
export type WgFormProblem = 'publicKey' | 'expiry' | 'bandwidth' | 'data' | null

/** Checks the form (`create`: the public key is required and must be a WireGuard key). */
export function checkUserForm(f: WgUserForm, create: boolean): WgFormProblem {
  if (create && !isWireGuardKey(f.publicKey)) return 'publicKey'
  if (f.expiryDate && !EXPIRY_FORMAT.test(f.expiryDate)) return 'expiry'
  const badInt = (n: number | null, max: number) =>
    n !== null && (!Number.isInteger(n) || n < 0 || n > max)
  if (badInt(f.bandwidthLimitKBps, 10_000_000)) return 'bandwidth'
  if (badInt(f.dataLimitMb, 1_000_000_000)) return 'data'
  return null
}

/** The user to create: empty optional fields are left out (the monitor's defaults apply). */
export function createInput(f: WgUserForm): CreateUser {
  const out: CreateUser = { publicKey: f.publicKey.trim() }
  if (f.nickname.trim()) out.nickname = f.nickname.trim()
  if (f.email.trim()) out.email = f.email.trim()
  if (f.phone.trim()) out.phone = f.phone.trim()
  if (f.bandwidthLimitKBps !== null) out.bandwidthLimitKBps = f.bandwidthLimitKBps
  if (f.dataLimitMb !== null) out.dataLimitMb = f.dataLimitMb
  if (f.expiryDate) out.expiryDate = f.expiryDate
  if (f.note.trim()) out.note = f.note.trim()
  return out
}

/**
 * Only the fields that changed against the user as read. A cleared limit means 0 (unlimited); an
 * expiry cannot be cleared (the monitor's update takes a date, not "none"), so a cleared expiry
 * is no change.
 */
export function userPatch(before: WgUserForm, after: WgUserForm): UserFields {
  const out: UserFields = {}
  const text = (k: 'nickname' | 'email' | 'phone' | 'note') => {
    if (after[k].trim() !== before[k].trim()) out[k] = after[k].trim()
  }
  text('nickname')
  text('email')
  text('phone')
  text('note')
  const bw = after.bandwidthLimitKBps ?? 0
  if (bw !== (before.bandwidthLimitKBps ?? 0)) out.bandwidthLimitKBps = bw
  const data = after.dataLimitMb ?? 0
  if (data !== (before.dataLimitMb ?? 0)) out.dataLimitMb = data
  if (after.expiryDate && after.expiryDate !== before.expiryDate) out.expiryDate = after.expiryDate
  return out
}

// ---------------------------------------------------------------------------------------------
// Live events: which sessions began or ended since the last read.

/** A change to highlight briefly: a session that began, or one that ended. */
export type SessionChange = 'began' | 'ended'

/** The key of a user's row in the live list (the latest event per user). */
export function eventKey(e: Pick<WgMonEventView, 'userId' | 'id'>): string {
  return e.userId !== null ? `u${e.userId}` : `e${e.id}`
}

/**
 * Compares two reads of the latest event per user: a user whose latest event is a new online
 * one (a new event id, or online where it was not) began a session; a user whose event went
 * from online to offline ended one. The first read (`prev` null) changes nothing.
 */
export function sessionChanges(
  prev: readonly WgMonEventView[] | null,
  next: readonly WgMonEventView[],
): Map<string, SessionChange> {
  const out = new Map<string, SessionChange>()
  if (!prev) return out
  const before = new Map(prev.map((e) => [eventKey(e), e]))
  for (const e of next) {
    const k = eventKey(e)
    const old = before.get(k)
    if (e.online === true && (!old || old.id !== e.id || old.online !== true)) out.set(k, 'began')
    else if (e.online === false && old?.online === true) out.set(k, 'ended')
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// The traffic chart.

/** Ranges offered for the chart (days); any 1–365 can be typed. */
export const CHART_DAYS = [7, 30, 90, 365] as const

/** True when the period holds no traffic and no session at all (an empty chart, not zeros). */
export function chartIsEmpty(c: WgMonChartView | null): boolean {
  if (!c) return true
  return c.points.every((p) => !p.up && !p.down && !p.sessions)
}

/** The chart's series in the CLIENT's view (`up` = what users sent = the server's rx). */
export interface ChartSeries {
  /** Every day of the period, oldest first (days without a row included). */
  dates: string[]
  up: (number | null)[]
  down: (number | null)[]
  /** null when the monitor does not report sessions (seed doc shape). */
  sessions: (number | null)[] | null
}

const DAY_MS = 86_400_000
const dayMs = (date: string): number | null => {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date)
  return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null
}
const dayText = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/**
 * The chart's days: the monitor sends a row only for days on which a session closed, so the days
 * between (and up to `today`, the monitor's own date when known) are filled in as 0 — nothing
 * was counted that day — and the axis never skips a day. The period reaches back `days` days
 * from its end, or further when the monitor sent older rows (apis.md §5 gotcha 7: its range
 * compares UTC and local dates).
 */
export function chartSeries(c: WgMonChartView, today: string | null = null): ChartSeries {
  const points = [...c.points].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0))
  const hasSessions = points.some((p) => p.sessions !== null)
  const known = points.map((p) => dayMs(p.date)).filter((v): v is number => v !== null)
  const todayMs = today ? dayMs(today) : null
  const ends = [...known, ...(todayMs !== null ? [todayMs] : [])]
  if (ends.length === 0) return { dates: [], up: [], down: [], sessions: hasSessions ? [] : null }
  const end = Math.max(...ends)
  const start = Math.min(...known, end - (Math.max(1, c.days) - 1) * DAY_MS)
  const byDate = new Map(points.map((p) => [p.date, p]))
  const out: ChartSeries = { dates: [], up: [], down: [], sessions: hasSessions ? [] : null }
  // at most a year and a bit: a bad date never makes an endless axis
  for (let t = start, n = 0; t <= end && n < 400; t += DAY_MS, n++) {
    const date = dayText(t)
    const p = byDate.get(date)
    out.dates.push(date)
    out.up.push(p ? p.up : 0)
    out.down.push(p ? p.down : 0)
    out.sessions?.push(p ? p.sessions : 0)
  }
  return out
}

/**
 * A step for a bytes axis in binary units (1, 2, 5, 10, 20, 50… of B, KiB, MiB, GiB), so the
 * labels read "20 GiB", "40 GiB" instead of "18.6 GiB", "37.3 GiB". Returns the step and the
 * axis top; null for an axis without a positive value.
 */
export function byteAxis(max: number, ticks = 4): { interval: number; max: number } | null {
  if (!(max > 0) || !Number.isFinite(max)) return null
  const raw = max / ticks
  let unit = 1
  while (raw >= unit * 1024 && unit < 1024 ** 5) unit *= 1024
  const n = raw / unit
  const step = ([1, 2, 5, 10, 20, 50, 100, 200, 500, 1024].find((x) => x >= n) ?? 1024) * unit
  return { interval: step, max: Math.ceil(max / step) * step }
}

/** A monitor time shown after another: only its time of day when it is the same date. */
export function timeAfter(start: string | null, t: string | null): string | null {
  if (!t) return null
  if (start && start.slice(0, 10) === t.slice(0, 10) && t.length >= 19) return t.slice(11, 19)
  return t
}

// ---------------------------------------------------------------------------------------------
// Refresh ticks.

/**
 * A periodic refresh that never overlaps itself: a tick while the previous read is still running
 * is skipped (the monitor serves one request at a time; a second one would only wait in line).
 */
export function serialTick(read: () => Promise<unknown>): () => void {
  let running = false
  return () => {
    if (running) return
    running = true
    void read().finally(() => {
      running = false
    })
  }
}
