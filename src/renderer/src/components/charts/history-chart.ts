import type { HistorySeries, HistorySeriesInput } from '../../../../shared/contract'
import { formatRate } from '../../utils/format'

/** The range picker's presets (plus `custom`). */
export const RANGE_PRESETS = ['1h', '6h', '24h', '7d', '30d', '90d', '1y'] as const
export type RangePreset = (typeof RANGE_PRESETS)[number]

const HOUR = 3_600_000
const DAY = 24 * HOUR
export const PRESET_MS: Record<RangePreset, number> = {
  '1h': HOUR,
  '6h': 6 * HOUR,
  '24h': DAY,
  '7d': 7 * DAY,
  '30d': 30 * DAY,
  '90d': 90 * DAY,
  '1y': 365 * DAY,
}

/** [from, to) in ms since the epoch. */
export interface TimeRange {
  from: number
  to: number
}

/** What one line of a chart asks for (the chart adds the range and its width in pixels). */
export type HistoryLineQuery = Pick<HistorySeriesInput, 'scope' | 'serverId' | 'user' | 'metric'>

/** A line of a chart: its key (CSV column prefix, colour), label and question. */
export interface HistoryLine {
  key: string
  label: string
  query: HistoryLineQuery
}

/** The last `preset` up to `now`. */
export function presetRange(preset: RangePreset, now: number): TimeRange {
  return { from: now - PRESET_MS[preset], to: now }
}

/** The chart's width in pixels as `maxPoints`: never more points than pixels. */
export function pointsFor(widthPx: number): number {
  return Math.min(5000, Math.max(50, Math.round(widthPx || 800)))
}

/** A line ready to draw: nulls where nothing is known, so echarts breaks the line there. */
export interface DrawnLine {
  t: number[]
  avg: (number | null)[]
  min: (number | null)[]
  max: (number | null)[]
}

/**
 * Inserts gaps: a null between two points further apart than two steps (nothing was read in
 * between — never drawn as a straight line). Sparse per-user traffic (`missing: zero`) gets its
 * silent buckets filled with 0 instead, within the range.
 */
export function drawable(r: HistorySeries, range: TimeRange): DrawnLine {
  const out: DrawnLine = { t: [], avg: [], min: [], max: [] }
  const p = r.points
  const push = (t: number, avg: number | null, min: number | null, max: number | null) => {
    out.t.push(t)
    out.avg.push(avg)
    out.min.push(min)
    out.max.push(max)
  }
  if (r.missing === 'zero') {
    const byT = new Map(p.t.map((t, i) => [t, i]))
    const start = range.from - (range.from % r.bucketMs)
    for (let t = start; t < range.to; t += r.bucketMs) {
      const i = byT.get(t)
      if (i === undefined) push(t, 0, 0, 0)
      else push(t, p.avg[i] ?? null, p.min[i] ?? null, p.max[i] ?? null)
    }
    return out
  }
  for (let i = 0; i < p.t.length; i++) {
    const t = p.t[i] as number
    const prev = i > 0 ? (p.t[i - 1] as number) : null
    if (prev !== null && t - prev > 2 * r.stepMs) push(prev + r.stepMs, null, null, null)
    push(t, p.avg[i] ?? null, p.min[i] ?? null, p.max[i] ?? null)
  }
  return out
}

/** A value in the series' unit, for axes and tooltips. */
export function formatValue(unit: HistorySeries['unit'], v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—'
  if (unit === 'bytes/s') return formatRate(v)
  if (unit === 'ms') return `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`
  return v < 10 && !Number.isInteger(v) ? v.toFixed(1) : String(Math.round(v))
}

/** A bucket width as the hint shows it (`2 min`, `1 h`, `3 d`, `5 s`). */
export function formatStep(ms: number): string {
  if (ms % DAY === 0) return `${ms / DAY} d`
  if (ms % HOUR === 0) return `${ms / HOUR} h`
  if (ms % 60_000 === 0) return `${ms / 60_000} min`
  return `${Math.round(ms / 1000)} s`
}

/** Series colours (echarts draws on a canvas: no CSS variables). */
export const LINE_COLORS = ['#2080f0', '#18a058', '#f0a020', '#d03050'] as const

/**
 * The echarts option: per line a min–max band (two stacked invisible lines, the upper one
 * filled) under the average line, so a spike inside a coarse bucket stays visible; a time axis
 * pinned to the range; wheel/drag and box zoom (the host re-queries the finer tier).
 */
export function historyOption(
  lines: { label: string; unit: HistorySeries['unit']; data: DrawnLine }[],
  range: TimeRange,
) {
  const unit = lines[0]?.unit ?? 'users'
  const series = lines.flatMap((l, i) => {
    const color = LINE_COLORS[i % LINE_COLORS.length] as string
    const stack = `band-${i}`
    const lo = l.data.t.map((t, k) => [t, l.data.min[k] ?? null])
    const span = l.data.t.map((t, k) => {
      const a = l.data.min[k]
      const b = l.data.max[k]
      return [t, a === null || a === undefined || b === null || b === undefined ? null : b - a]
    })
    const band = { type: 'line' as const, stack, symbol: 'none', silent: true, connectNulls: false }
    return [
      { ...band, id: `lo-${i}`, data: lo, lineStyle: { opacity: 0 } },
      {
        ...band,
        id: `band-${i}`,
        data: span,
        lineStyle: { opacity: 0 },
        areaStyle: { color, opacity: 0.18 },
      },
      {
        id: `avg-${i}`,
        name: l.label,
        type: 'line' as const,
        data: l.data.t.map((t, k) => [t, l.data.avg[k] ?? null]),
        showSymbol: l.data.t.length < 60,
        symbolSize: 4,
        connectNulls: false,
        lineStyle: { width: 1.5, color },
        itemStyle: { color },
      },
    ]
  })
  return {
    backgroundColor: 'transparent',
    animation: false,
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    legend: { top: 0, left: 0, itemWidth: 12, itemHeight: 8, data: lines.map((l) => l.label) },
    tooltip: {
      trigger: 'axis' as const,
      confine: true,
      formatter: (params: unknown) => tooltipText(params, lines, unit),
    },
    toolbox: { right: 0, top: -4, feature: { dataZoom: { yAxisIndex: 'none' as const } } },
    dataZoom: [{ type: 'inside' as const, filterMode: 'none' as const, start: 0, end: 100 }],
    xAxis: {
      type: 'time' as const,
      min: range.from,
      max: range.to,
      axisLabel: { hideOverlap: true, fontSize: 10 },
    },
    yAxis: {
      type: 'value' as const,
      min: 0,
      axisLabel: { fontSize: 10, formatter: (v: number) => formatValue(unit, v) },
    },
    series,
  }
}

/** Tooltip: the time, then per line `avg (min – max)`. */
function tooltipText(
  params: unknown,
  lines: { label: string; data: DrawnLine }[],
  unit: HistorySeries['unit'],
): string {
  const list = (Array.isArray(params) ? params : [params]) as {
    seriesId?: string
    dataIndex: number
    axisValue?: number
  }[]
  const first = list[0]
  if (!first) return ''
  const rows: string[] = [escapeHtml(new Date(Number(first.axisValue)).toLocaleString())]
  for (const p of list) {
    const m = /^avg-(\d+)$/.exec(p.seriesId ?? '')
    if (!m) continue
    const l = lines[Number(m[1])]
    if (!l) continue
    const k = p.dataIndex
    const avg = formatValue(unit, l.data.avg[k])
    const range = `${formatValue(unit, l.data.min[k])} – ${formatValue(unit, l.data.max[k])}`
    rows.push(`${escapeHtml(l.label)}: <b>${avg}</b> (${range})`)
  }
  return rows.join('<br>')
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/**
 * The CSV of exactly what the chart shows: one row per bucket time (ISO 8601, UTC), then avg,
 * min and max of each line (columns prefixed with the line's key when there are several); an
 * empty cell where a line has no bucket. Numbers as the core gave them (bytes/s, ms, users).
 */
export function historyCsv(lines: { key: string; result: HistorySeries }[]): string {
  const times = [...new Set(lines.flatMap((l) => l.result.points.t))].sort((a, b) => a - b)
  const prefix = (k: string) => (lines.length > 1 ? `${k}_` : '')
  const header = ['t', ...lines.flatMap((l) => ['avg', 'min', 'max'].map((c) => prefix(l.key) + c))]
  const index = lines.map((l) => new Map(l.result.points.t.map((t, i) => [t, i])))
  const cell = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v))
  const rows = times.map((t) => {
    const cols = lines.flatMap((l, li) => {
      const i = index[li]?.get(t)
      if (i === undefined) return ['', '', '']
      const p = l.result.points
      return [cell(p.avg[i]), cell(p.min[i]), cell(p.max[i])]
    })
    return [new Date(t).toISOString(), ...cols].join(',')
  })
  return `${[header.join(','), ...rows].join('\n')}\n`
}

/** `<base>-<from>-<to>.csv` with compact UTC stamps; unsafe characters become `_`. */
export function csvFileName(base: string, range: TimeRange): string {
  const stamp = (t: number) =>
    new Date(t).toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-')
  // eslint-disable-next-line no-control-regex
  const safe = base.replace(/[\\/:*?"<>|\u0000-\u001f\s]+/g, '_').slice(0, 80) || 'history'
  return `${safe}-${stamp(range.from)}-${stamp(range.to)}.csv`
}
