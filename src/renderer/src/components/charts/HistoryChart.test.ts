// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  AppErrorException,
  appError,
  type HistorySeries,
  type MethodInput,
} from '../../../../shared/contract'
import type { FakeClient } from '../../testing/fake-client'
import { mountPg, settle, setupFake } from '../../views/kinds/pasarguard/test-utils'
import HistoryChart from './HistoryChart.vue'
import { drawable, historyCsv, type HistoryLine } from './history-chart'

const saved = vi.hoisted(() => ({ files: [] as { text: string; name: string }[] }))
vi.mock('../logs/log-save', () => ({
  downloadText: (text: string, name: string) => saved.files.push({ text, name }),
}))

enableAutoUnmount(afterEach)

const T = Date.UTC(2026, 10, 23, 12)
const series = (over: Partial<HistorySeries> = {}): HistorySeries => ({
  tier: '1m',
  bucketMs: 120_000,
  stepMs: 120_000,
  missing: 'gap',
  unit: 'bytes/s',
  points: { t: [T, T + 120_000], avg: [10, 20], min: [5, 15], max: [50, 25], sum: [1200, 2400] },
  ...over,
})
const lines: HistoryLine[] = (['up', 'down'] as const).map((m) => ({
  key: m,
  label: m,
  query: { scope: 'server', serverId: 's1', metric: m },
}))

let client: FakeClient
let pinia: Pinia
beforeAll(async () => {
  await import('./HistoryCanvas.vue')
}, 30_000)
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  saved.files = []
  client.handle('history.series', () => series())
})

const asked = () =>
  client.calls
    .filter((c) => c.method === 'history.series')
    .map((c) => c.input as MethodInput<'history.series'>)
const mountChart = () =>
  mountPg(HistoryChart, pinia, { lines, title: 'Traffic', fileName: 'Tokyo-1 traffic' })

describe('HistoryChart', () => {
  it('asks each line for the range at most as many points as pixels, and shows the tier', async () => {
    const before = Date.now()
    const w = await mountChart()
    const q = asked()
    expect(q.map((x) => [x.scope, x.serverId, x.metric])).toEqual([
      ['server', 's1', 'up'],
      ['server', 's1', 'down'],
    ])
    // 24 h by default; happy-dom has no layout, so the 800 px fallback width.
    expect(q[0]?.to).toBeGreaterThanOrEqual(before)
    expect((q[0]?.to ?? 0) - (q[0]?.from ?? 0)).toBe(24 * 3_600_000)
    expect(q[0]?.maxPoints).toBe(800)
    expect(w.find('[data-testid="history-chart-hint"]').text()).toContain(
      'Tier: 1 min, one point per 2 min',
    )
    expect(w.find('[data-testid="history-canvas"]').exists()).toBe(true)
  })

  it('re-queries for another range and for a zoomed window (finer tier)', async () => {
    const w = await mountChart()
    await w.find('[data-testid="history-chart-range-7d"] input').setValue(true)
    await settle()
    const week = asked().slice(-2)
    expect(week.map((x) => x.to - x.from)).toEqual([7 * 86_400_000, 7 * 86_400_000])
    client.handle('history.series', () => series({ tier: 'raw', bucketMs: 1000, stepMs: 5000 }))
    const canvas = w.findComponent({ name: 'HistoryCanvas' })
    canvas.vm.$emit('zoom', { from: T, to: T + 600_000 })
    await settle()
    expect(
      asked()
        .slice(-2)
        .map((x) => [x.from, x.to]),
    ).toEqual([
      [T, T + 600_000],
      [T, T + 600_000],
    ])
    expect(w.find('[data-testid="history-chart-hint"]').text()).toContain('Tier: raw polls')
    // Reset zoom: back to the preset.
    await w.find('[data-testid="history-chart-unzoom"]').trigger('click')
    await settle()
    expect(asked().slice(-1)[0]?.to).toBeGreaterThan(T + 600_000)
  })

  it('exports exactly the drawn buckets as CSV', async () => {
    client.handle('history.series', ({ metric }) =>
      metric === 'up'
        ? series()
        : series({ points: { t: [T], avg: [1], min: [0], max: [2], sum: [120] } }),
    )
    const w = await mountChart()
    await w.find('[data-testid="history-chart-csv"]').trigger('click')
    expect(saved.files).toHaveLength(1)
    expect(saved.files[0]?.name).toMatch(/^Tokyo-1_traffic-\d{8}-\d{4}-\d{8}-\d{4}\.csv$/)
    expect(saved.files[0]?.text).toBe(
      [
        't,up_avg,up_min,up_max,down_avg,down_min,down_max',
        '2026-11-23T12:00:00.000Z,10,5,50,1,0,2',
        '2026-11-23T12:02:00.000Z,20,15,25,,,',
        '',
      ].join('\n'),
    )
  })

  it('says when there is nothing yet, and when history is unavailable', async () => {
    client.handle('history.series', () =>
      series({ points: { t: [], avg: [], min: [], max: [], sum: [] } }),
    )
    let w = await mountChart()
    expect(w.find('[data-testid="history-chart-empty"]').text()).toContain(
      'No history for this range yet.',
    )
    expect(w.find('[data-testid="history-chart-csv"]').attributes('disabled')).toBeDefined()
    w.unmount()
    client.handle('history.series', () => {
      throw new AppErrorException(
        appError('storage', 'The disk is full: history cannot be written.'),
      )
    })
    w = await mountChart()
    expect(w.find('[data-testid="history-chart-error"]').text()).toContain(
      'History is unavailable: The disk is full',
    )
  })
})

describe('history chart data', () => {
  it('breaks the line where readings are missing and fills sparse per-user buckets with 0', () => {
    const gap = drawable(
      series({
        points: {
          t: [0, 120_000, 600_000],
          avg: [1, 2, 3],
          min: [1, 2, 3],
          max: [1, 2, 3],
          sum: [null, null, null],
        },
      }),
      { from: 0, to: 720_000 },
    )
    expect(gap.t).toEqual([0, 120_000, 240_000, 600_000])
    expect(gap.avg).toEqual([1, 2, null, 3])
    const zero = drawable(
      series({ missing: 'zero', points: { t: [240_000], avg: [9], min: [9], max: [9], sum: [9] } }),
      { from: 0, to: 480_000 },
    )
    expect(zero.avg).toEqual([0, 0, 9, 0])
  })

  it('writes one CSV column set without prefixes for a single line', () => {
    expect(historyCsv([{ key: 'latency', result: series({ unit: 'ms' }) }])).toBe(
      't,avg,min,max\n2026-11-23T12:00:00.000Z,10,5,50\n2026-11-23T12:02:00.000Z,20,15,25\n',
    )
  })
})
