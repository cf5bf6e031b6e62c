const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']

/**
 * Bytes in binary units with one decimal ("1.5 MiB"). null/undefined/NaN → "—": a value NodeDeck
 * could not read is shown as unknown, never as 0.
 */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n) || n < 0) return '—'
  if (n < 1024) return `${Math.round(n)} B`
  let v = n
  let i = 0
  while (v >= 1024 && i < UNITS.length - 1) {
    v /= 1024
    i++
  }
  return `${v.toFixed(1)} ${UNITS[i]}`
}

/** A rate in bytes per second ("1.5 MiB/s"); unknown → "—". */
export function formatRate(n: number | null | undefined): string {
  const b = formatBytes(n)
  return b === '—' ? b : `${b}/s`
}
