/**
 * Level detection of raw log lines (Xray error and access logs; anything else is plain).
 *
 * Xray error log: `2024/05/01 12:34:56.123456 [Warning] [1234] app/dispatcher: …`.
 * Xray access log: `2024/05/01 12:34:56.123456 from 1.2.3.4:5678 accepted tcp:host:443
 * [in >> out] email: x` (also `rejected`, `from tcp:…`, or without `from` in older cores).
 * WireGuard and unknown lines are `other`.
 */

export const LOG_LEVELS = ['debug', 'info', 'warning', 'error', 'access', 'other'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Level codes kept in the ring buffer's `Uint8Array`; 0 = not computed yet. */
export const LEVEL_CODE: Readonly<Record<LogLevel, number>> = {
  debug: 1,
  info: 2,
  warning: 3,
  error: 4,
  access: 5,
  other: 6,
}
/** Code → level (index 0 unused). */
export const LEVEL_OF_CODE: readonly LogLevel[] = [
  'other',
  'debug',
  'info',
  'warning',
  'error',
  'access',
  'other',
]

/** An optional leading timestamp: `2024/05/01 12:34:56(.123456)` (also `-` and `T` forms). */
const TS = String.raw`(?:\d{4}[/-]\d\d[/-]\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)? +)?`
const LEVEL_RE = new RegExp(String.raw`^\s*${TS}\[(Debug|Info|Warning|Warn|Error)\]`)
const ACCESS_RE = new RegExp(String.raw`^\s*${TS}(?:from )?\S+ (?:accepted|rejected)(?: |$)`)

const BRACKET_LEVEL: Readonly<Record<string, LogLevel>> = {
  Debug: 'debug',
  Info: 'info',
  Warning: 'warning',
  Warn: 'warning',
  Error: 'error',
}

/** The level of one raw line. */
export function detectLevel(line: string): LogLevel {
  const m = LEVEL_RE.exec(line)
  if (m) return BRACKET_LEVEL[m[1] as string] ?? 'other'
  if (ACCESS_RE.test(line)) return 'access'
  return 'other'
}

/** {@link detectLevel} as a buffer code. */
export function detectLevelCode(line: string): number {
  return LEVEL_CODE[detectLevel(line)]
}
