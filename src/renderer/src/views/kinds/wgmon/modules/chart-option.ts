import { byteAxis, type ChartSeries } from '../shared'

/** Series colours: the only fixed colours of the panel (echarts draws on a canvas). */
export const CHART_COLORS = { up: '#2080f0', down: '#18a058', sessions: '#f0a020' } as const

/** The names shown in the legend and tooltip. */
export interface ChartLabels {
  up: string
  down: string
  sessions: string
}

/**
 * The daily chart: upload and download bars (the USERS' side: `up` = what their devices sent)
 * on the left axis in bytes, sessions per day as a line on the right axis. The option keeps one
 * shape, so vue-echarts merges a refresh into the same instance without rebuilding it.
 */
export function trafficChartOption(
  s: ChartSeries,
  labels: ChartLabels,
  bytes: (v: number) => string,
) {
  const count = (v: number) => String(Math.round(v))
  const top = Math.max(0, ...[...s.up, ...s.down].map((v) => v ?? 0))
  const axis = byteAxis(top)
  const tip = (f: (v: number) => string) => ({
    valueFormatter: (v: unknown) => (typeof v === 'number' ? f(v) : '—'),
  })
  return {
    backgroundColor: 'transparent',
    animation: false,
    grid: { left: 8, right: 8, top: 36, bottom: 4 },
    tooltip: { trigger: 'axis' as const, confine: true, axisPointer: { type: 'shadow' as const } },
    legend: { top: 0, left: 0, itemWidth: 12, itemHeight: 8 },
    xAxis: {
      type: 'category' as const,
      data: s.dates,
      axisLabel: { hideOverlap: true, fontSize: 10 },
      axisTick: { alignWithLabel: true },
    },
    yAxis: [
      {
        type: 'value' as const,
        min: 0,
        max: axis?.max,
        interval: axis?.interval,
        axisLabel: { fontSize: 10, formatter: (v: number) => bytes(v).replace('.0 ', ' ') },
      },
      {
        type: 'value' as const,
        min: 0,
        minInterval: 1,
        splitLine: { show: false },
        show: s.sessions !== null,
        axisLabel: { fontSize: 10, formatter: (v: number) => count(v) },
      },
    ],
    series: [
      {
        id: 'up',
        type: 'bar' as const,
        name: labels.up,
        data: s.up,
        yAxisIndex: 0,
        itemStyle: { color: CHART_COLORS.up },
        barMaxWidth: 18,
        tooltip: tip(bytes),
      },
      {
        id: 'down',
        type: 'bar' as const,
        name: labels.down,
        data: s.down,
        yAxisIndex: 0,
        itemStyle: { color: CHART_COLORS.down },
        barMaxWidth: 18,
        tooltip: tip(bytes),
      },
      ...(s.sessions !== null
        ? [
            {
              id: 'sessions',
              type: 'line' as const,
              name: labels.sessions,
              data: s.sessions,
              yAxisIndex: 1,
              showSymbol: s.dates.length <= 31,
              symbolSize: 5,
              connectNulls: false,
              lineStyle: { width: 2, color: CHART_COLORS.sessions },
              itemStyle: { color: CHART_COLORS.sessions },
              tooltip: tip(count),
            },
          ]
        : []),
    ],
  }
}
