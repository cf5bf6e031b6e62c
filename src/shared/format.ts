/**
 * Figures as people read them, shared by the renderer and the CLI. A value NodeDeck could not
 * read is '—', never 0.
 */
/** What a value NodeDeck does not know looks like: never 0. */
export const UNKNOWN = '—'

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const

/**
 * Bytes in binary units with one decimal (`1.5 MiB`); whole bytes below 1 KiB (`512 B`).
 * null/undefined/NaN → '—'.
 */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return UNKNOWN
  const sign = bytes < 0 ? '-' : ''
  let value = Math.abs(bytes)
  if (Math.round(value) < 1024) return `${sign}${Math.round(value)} B`
  let unit = 0
  while ((unit === 0 || value >= 1024) && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  // 1023.96 KiB would print as "1024.0 KiB": step up once more after rounding.
  if (Number(value.toFixed(1)) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return `${sign}${value.toFixed(1)} ${UNITS[unit]}`
}

/** Bytes per second (`1.5 MiB/s`); null → '—'. */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond === null || bytesPerSecond === undefined || !Number.isFinite(bytesPerSecond)) {
    return UNKNOWN
  }
  return `${formatBytes(bytesPerSecond)}/s`
}
