// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { appError, type MethodInput } from '../../../../../../shared/contract'
import type { FakeClient } from '../../../../testing/fake-client'
import { useWgMonStore } from '../../../../stores/wgmon'
import { callsOf, mountWg, settle, setupFake, typeInto, wgChart, wgStatus } from '../test-utils'
import ChartSection from './ChartSection.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeAll(async () => {
  await import('./TrafficChart.vue')
}, 30_000)
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('wgmon.chart', ({ days }) => wgChart({ days: days ?? 7 }))
})

const daysAsked = () =>
  callsOf(client, 'wgmon.chart').map((c) => (c.input as MethodInput<'wgmon.chart'>).days)

describe('WireGuard monitor traffic chart', () => {
  it('draws the period the monitor reports, 7 days first', async () => {
    const w = await mountWg(ChartSection, pinia, { serverId: 's1' })
    expect(daysAsked()).toEqual([7])
    expect(w.find('[data-testid="wg-chart-period"]').text()).toBe(
      'Last 7 days: 2026-11-16 – 2026-11-22',
    )
    expect(w.find('[data-testid="wg-chart"]').exists()).toBe(true)
    expect(w.find('[data-testid="wg-chart-empty"]').exists()).toBe(false)
  })

  it('runs the axis up to the monitor’s own today when its status is known', async () => {
    const store = useWgMonStore()
    store.status.s1 = {
      value: wgStatus({ timestamp: '2026-11-24 08:00:00' }),
      at: Date.now(),
      error: null,
      loading: false,
    }
    const w = await mountWg(ChartSection, pinia, { serverId: 's1' })
    expect(w.find('[data-testid="wg-chart-period"]').text()).toBe(
      'Last 7 days: 2026-11-18 – 2026-11-24',
    )
  })

  it('says "no traffic in this period" instead of drawing empty axes', async () => {
    client.handle('wgmon.chart', () => wgChart({ points: [] }))
    const w = await mountWg(ChartSection, pinia, { serverId: 's1' })
    expect(w.find('[data-testid="wg-chart-empty"]').text()).toContain('No traffic in this period')
    expect(w.find('[data-testid="wg-chart"]').exists()).toBe(false)
  })

  it('changes the range: a preset, or any 1–365 days', async () => {
    const w = await mountWg(ChartSection, pinia, { serverId: 's1' })
    await w.find('[data-testid="wg-chart-days-30"] input').setValue(true)
    await settle()
    expect(daysAsked()).toEqual([7, 30])
    expect(w.find('[data-testid="wg-chart-period"]').attributes('data-days')).toBe('30')

    await w.find('[data-testid="wg-chart-days-custom"] input').setValue(true)
    await settle()
    await typeInto('[data-testid="wg-chart-custom-days"]', '45')
    await w.find('[data-testid="wg-chart-custom-apply"]').trigger('click')
    await settle()
    expect(daysAsked()).toEqual([7, 30, 45])
  })

  it('keeps the last chart with its age when a read fails', async () => {
    const w = await mountWg(ChartSection, pinia, { serverId: 's1' })
    client.handle('wgmon.chart', () => {
      throw appError('http_status', 'GET /api/traffic/chart failed with HTTP 500.', {
        serverId: 's1',
      })
    })
    await w.find('[data-testid="wg-chart-days-90"] input').setValue(true)
    await settle()
    expect(w.find('[data-testid="wg-chart-error"]').text()).toContain('HTTP 500')
    expect(w.find('[data-testid="wg-chart"]').exists()).toBe(true)
    expect(w.find('[data-testid="wg-chart-period"]').attributes('data-days')).toBe('7')
  })

  it('says when the monitor reports no sessions per day (seed doc)', async () => {
    client.handle('wgmon.chart', () =>
      wgChart({
        shape: 'seed',
        points: [{ date: '2026-11-22', up: 1, down: 2, sessions: null }],
      }),
    )
    const w = await mountWg(ChartSection, pinia, { serverId: 's1' })
    expect(w.find('[data-testid="wg-chart-no-sessions"]').exists()).toBe(true)
  })
})
