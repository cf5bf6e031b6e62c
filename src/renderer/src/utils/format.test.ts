// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import {
  UNKNOWN,
  compareNullable,
  formatBytes,
  formatCount,
  formatLatency,
  formatRate,
  parseTimestamp,
  spanOf,
  sumKnown,
} from './format'

describe('formatBytes', () => {
  it('shows unknown values as a dash, never 0', () => {
    expect(formatBytes(null)).toBe(UNKNOWN)
    expect(formatBytes(undefined)).toBe(UNKNOWN)
    expect(formatBytes(Number.NaN)).toBe(UNKNOWN)
    expect(formatBytes(0)).toBe('0 B')
  })

  it('uses binary units with one decimal', () => {
    expect(formatBytes(512)).toBe('512 B')
    expect(formatBytes(1023)).toBe('1023 B')
    expect(formatBytes(1024)).toBe('1.0 KiB')
    expect(formatBytes(1536)).toBe('1.5 KiB')
    expect(formatBytes(1_048_576)).toBe('1.0 MiB')
    expect(formatBytes(5_242_880)).toBe('5.0 MiB')
    expect(formatBytes(1_073_741_824)).toBe('1.0 GiB')
    expect(formatBytes(1_099_511_627_776)).toBe('1.0 TiB')
    expect(formatBytes(3.5 * 1024 ** 4)).toBe('3.5 TiB')
  })

  it('never prints 1024.0 of a unit', () => {
    expect(formatBytes(1023.7)).toBe('1.0 KiB')
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.0 MiB')
    expect(formatBytes(1024 ** 3 - 10)).toBe('1.0 GiB')
  })
})

describe('formatRate', () => {
  it('appends /s and keeps unknown as a dash', () => {
    expect(formatRate(null)).toBe(UNKNOWN)
    expect(formatRate(0)).toBe('0 B/s')
    expect(formatRate(2048)).toBe('2.0 KiB/s')
    expect(formatRate(12.4)).toBe('12 B/s')
  })
})

describe('other formatters', () => {
  it('formats latency and counts', () => {
    expect(formatLatency(null)).toBe(UNKNOWN)
    expect(formatLatency(41.6)).toBe('42 ms')
    expect(formatCount(null)).toBe(UNKNOWN)
    expect(formatCount(3)).toBe('3')
  })

  it('splits spans into their display unit', () => {
    expect(spanOf(-5)).toEqual({ unit: 'seconds', n: 0 })
    expect(spanOf(59_999)).toEqual({ unit: 'seconds', n: 59 })
    expect(spanOf(60_000)).toEqual({ unit: 'minutes', n: 1 })
    expect(spanOf(3 * 3600_000)).toEqual({ unit: 'hours', n: 3 })
    expect(spanOf(72 * 3600_000)).toEqual({ unit: 'days', n: 3 })
  })

  it('parses Hysteria timestamps with nanoseconds and offsets', () => {
    expect(parseTimestamp('2026-08-01T12:00:00.123456789+08:00')).toBe(
      Date.UTC(2026, 7, 1, 4, 0, 0, 123),
    )
    expect(parseTimestamp('2026-08-01T04:00:00Z')).toBe(Date.UTC(2026, 7, 1, 4))
    expect(parseTimestamp(null)).toBeNull()
    expect(parseTimestamp('nonsense')).toBeNull()
  })

  it('sums only known values, null when none is known', () => {
    expect(sumKnown([])).toBeNull()
    expect(sumKnown([null, null])).toBeNull()
    expect(sumKnown([1, null, 2])).toBe(3)
    expect(sumKnown([0])).toBe(0)
  })

  it('sorts unknown below known', () => {
    expect([3, null, 1].sort(compareNullable)).toEqual([null, 1, 3])
  })
})
