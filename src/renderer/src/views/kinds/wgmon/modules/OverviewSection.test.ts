// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { appError } from '../../../../../../shared/contract'
import type { FakeClient } from '../../../../testing/fake-client'
import { callsOf, mountWg, settle, setupFake, wgChart, wgDashboard, wgStatus } from '../test-utils'
import OverviewSection from './OverviewSection.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeAll(async () => {
  await import('./TrafficChart.vue')
}, 30_000)
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('wgmon.dashboard', () => wgDashboard())
  client.handle('wgmon.status', () => wgStatus())
  client.handle('wgmon.chart', () => wgChart())
})

const card = (w: Awaited<ReturnType<typeof mountWg>>, id: string) =>
  w.find(`[data-testid="wg-card-${id}"]`)

describe('WireGuard monitor overview', () => {
  it('names traffic from the users’ side: the monitor’s rx is the upload', async () => {
    // The monitor's interface received 3 GiB from the devices (rx) and sent them 41 GiB (tx);
    // its own page calls the 41 GiB "upload". The core hands over up = rx, down = tx.
    const w = await mountWg(OverviewSection, pinia, { serverId: 's1' })
    expect(card(w, 'totalUp').text()).toContain('Upload, total')
    expect(card(w, 'totalUp').text()).toContain('3.0 GiB')
    expect(card(w, 'totalUp').attributes('data-dir')).toBe('up')
    expect(card(w, 'totalDown').text()).toContain('Download, total')
    expect(card(w, 'totalDown').text()).toContain('41.0 GiB')
    expect(card(w, 'todayUp').text()).toContain('512.0 MiB')
    expect(card(w, 'todayDown').text()).toContain('5.0 GiB')
    const help = w.find('[data-testid="wg-direction-help"]')
    expect(help.attributes('aria-label')).toContain('its “upload” is what the server sent')
  })

  it('shows the counts, uptime and the WireGuard state', async () => {
    const w = await mountWg(OverviewSection, pinia, { serverId: 's1' })
    expect(card(w, 'registered').text()).toContain('12')
    expect(card(w, 'enabled').text()).toContain('11')
    expect(card(w, 'online').text()).toContain('7')
    expect(card(w, 'sessions').text()).toContain('6')
    expect(card(w, 'todaySessions').text()).toContain('23')
    expect(card(w, 'uptime').text()).toContain('2 d 2 h')
    expect(w.find('[data-testid="wg-interface"]').text()).toBe('wg0')
    expect(w.find('[data-testid="wg-running"]').attributes('data-running')).toBe('true')
    expect(w.find('[data-testid="wg-status"]').text()).toContain('180 s')
    expect(w.find('[data-testid="wg-wg-failing"]').exists()).toBe(false)
    expect(w.find('[data-testid="wg-seed-shape"]').exists()).toBe(false)
  })

  it('shows what the seed-doc dashboard does not report as "—", never 0', async () => {
    client.handle('wgmon.dashboard', () =>
      wgDashboard({
        shape: 'seed',
        enabledUsers: null,
        todaySessions: null,
        uptimeHours: null,
        uptimeStart: '2026-09-01 00:00:00',
        todayUp: 0,
      }),
    )
    client.handle('wgmon.status', () =>
      wgStatus({ interface: null, running: null, maxHandshakeAgeSeconds: null }),
    )
    const w = await mountWg(OverviewSection, pinia, { serverId: 's1' })
    expect(card(w, 'enabled').find('[data-unknown="true"]').exists()).toBe(true)
    expect(card(w, 'todaySessions').find('[data-unknown="true"]').exists()).toBe(true)
    expect(card(w, 'todaySessions').text()).not.toMatch(/\b0\b/)
    // a known 0 stays 0
    expect(card(w, 'todayUp').text()).toContain('0 B')
    // from the first session to the monitor's own clock (status: 2026-11-23 12:00:00)
    expect(card(w, 'uptime').text()).toContain('83 d 12 h')
    expect(card(w, 'uptime').text()).toContain('since 2026-09-01 00:00:00')
    expect(w.find('[data-testid="wg-seed-shape"]').exists()).toBe(true)
    expect(w.find('[data-testid="wg-interface"] [data-unknown="true"]').exists()).toBe(true)
  })

  it('warns when WireGuard fails on the server', async () => {
    client.handle('wgmon.status', () => wgStatus({ running: false }))
    const w = await mountWg(OverviewSection, pinia, { serverId: 's1' })
    expect(w.find('[data-testid="wg-running"]').text()).toBe('error')
    expect(w.find('[data-testid="wg-wg-failing"]').text()).toContain('wg show')
  })

  it('keeps the last figures with their age when a read fails, and names the server', async () => {
    const w = await mountWg(OverviewSection, pinia, { serverId: 's1' })
    expect(card(w, 'totalDown').text()).toContain('41.0 GiB')
    client.handle('wgmon.dashboard', () => {
      throw appError('timeout', 'GET /api/dashboard timed out after 3 s.', { serverId: 's1' })
    })
    await w.find('[data-testid="wg-overview-refresh"]').trigger('click')
    await settle()
    const err = w.find('[data-testid="wg-dashboard-error"]')
    expect(err.text()).toContain('Could not read the dashboard')
    expect(err.text()).toContain('s1: GET /api/dashboard timed out')
    expect(err.find('[data-testid="wg-stale-age"]').text()).toMatch(/Showing what was read/)
    expect(card(w, 'totalDown').text()).toContain('41.0 GiB')
  })

  it('reads the dashboard, then the status: never two requests at once', async () => {
    const waiting: (() => void)[] = []
    let overviewInFlight = 0
    let maxOverview = 0
    const slow =
      <T>(value: () => T, overview: boolean) =>
      async () => {
        if (overview) overviewInFlight++
        maxOverview = Math.max(maxOverview, overviewInFlight)
        await new Promise<void>((r) => waiting.push(r))
        if (overview) overviewInFlight--
        return value()
      }
    const releaseAll = async () => {
      for (const r of waiting.splice(0)) r()
      await settle()
    }
    client.handle(
      'wgmon.dashboard',
      slow(() => wgDashboard(), true),
    )
    client.handle(
      'wgmon.status',
      slow(() => wgStatus(), true),
    )
    client.handle(
      'wgmon.chart',
      slow(() => wgChart(), false),
    )
    const w = await mountWg(OverviewSection, pinia, { serverId: 's1' })
    expect(callsOf(client, 'wgmon.dashboard')).toHaveLength(1)
    expect(callsOf(client, 'wgmon.status')).toHaveLength(0)
    // Refreshes while a read runs are dropped, not stacked.
    await w.find('[data-testid="wg-overview-refresh"]').trigger('click')
    await w.find('[data-testid="wg-overview-refresh"]').trigger('click')
    expect(callsOf(client, 'wgmon.dashboard')).toHaveLength(1)
    await releaseAll()
    expect(callsOf(client, 'wgmon.status')).toHaveLength(1)
    await releaseAll()
    await releaseAll()
    expect(callsOf(client, 'wgmon.dashboard')).toHaveLength(1)
    expect(callsOf(client, 'wgmon.status')).toHaveLength(1)
    expect(callsOf(client, 'wgmon.chart')).toHaveLength(1)
    expect(maxOverview).toBe(1)
    expect(card(w, 'registered').text()).toContain('12')
  })
})
