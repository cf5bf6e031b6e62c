import { UNKNOWN } from '../../../shared/format'

export { UNKNOWN, formatBytes, formatRate } from '../../../shared/format'

/** Milliseconds as `42 ms`; null → '—'. */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return UNKNOWN
  return `${Math.round(ms)} ms`
}

/** A whole count; null → '—'. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return UNKNOWN
  return String(n)
}

/** A span of time in its largest unit: seconds below a minute, then minutes, hours, days. */
export type Span = { unit: 'seconds' | 'minutes' | 'hours' | 'days'; n: number }

/** Splits a duration in ms into its display unit (negative durations count as 0). */
export function spanOf(ms: number): Span {
  const s = Math.max(0, Math.floor(ms / 1000))
  if (s < 60) return { unit: 'seconds', n: s }
  const m = Math.floor(s / 60)
  if (m < 60) return { unit: 'minutes', n: m }
  const h = Math.floor(m / 60)
  if (h < 48) return { unit: 'hours', n: h }
  return { unit: 'days', n: Math.floor(h / 24) }
}

/**
 * Parses an RFC 3339 timestamp as Hysteria writes it (nanoseconds, local offset:
 * `2026-08-01T12:00:00.123456789+08:00`); JavaScript dates take at most milliseconds.
 * Returns ms since epoch, or null.
 */
export function parseTimestamp(text: string | null | undefined): number | null {
  if (!text) return null
  const trimmed = text.replace(/(\.\d{3})\d+/, '$1')
  const ms = Date.parse(trimmed)
  return Number.isNaN(ms) ? null : ms
}

/** Sums the known values; null when none is known (so the UI shows '—', not 0). */
export function sumKnown(values: Iterable<number | null | undefined>): number | null {
  let sum: number | null = null
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue
    sum = (sum ?? 0) + v
  }
  return sum
}

/** Comparator for nullable numbers: unknown values sort below every known one. */
export function compareNullable(a: number | null, b: number | null): number {
  if (a === b) return 0
  if (a === null) return -1
  if (b === null) return 1
  return a - b
}

/** Certificate urgency: expired (≤ 0 days), soon (≤ 30), ok, or unknown (unreadable date). */
export type CertLevel = 'expired' | 'soon' | 'ok' | 'unknown'

export function certLevel(daysLeft: number | null): CertLevel {
  if (daysLeft === null) return 'unknown'
  if (daysLeft <= 0) return 'expired'
  if (daysLeft <= 30) return 'soon'
  return 'ok'
}
