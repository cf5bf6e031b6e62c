// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { appError } from '../../../../../../shared/contract'
import type { FakeClient } from '../../../../testing/fake-client'
import { $, mountPg, pgOverview, settle, setupFake } from '../test-utils'
import OverviewSection from './OverviewSection.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
// The charts are an async component (their own chunk): load it once, up front.
beforeAll(async () => {
  await import('./SystemCharts.vue')
}, 30_000)
beforeEach(() => {
  ;({ client, pinia } = setupFake())
})

describe('OverviewSection', () => {
  it('shows "Core stopped" with the node’s words and a Start button that opens the dialog', async () => {
    client.handle('pasarguard.overview', () =>
      pgOverview({
        core: 'stopped',
        coreMessage: 'core is not started yet',
        info: { started: false, coreVersion: '', nodeVersion: '0.5.2' },
        system: null,
        backend: null,
      }),
    )
    const w = await mountPg(OverviewSection, pinia, { serverId: 's1' })
    const banner = w.find('[data-testid="pg-core-stopped"]')
    expect(banner.text()).toContain('Core stopped')
    expect(banner.find('[data-testid="pg-core-message"]').text()).toContain(
      'core is not started yet',
    )
    expect(document.querySelector('[data-testid="pg-start-dialog"]')).toBeNull()
    await banner.find('[data-testid="pg-core-start"]').trigger('click')
    await settle()
    expect($('[data-testid="pg-start-dialog"]').textContent).toContain('Start the backend')
  })

  it('shows no banner while running, and unknown stats as "—", never 0', async () => {
    client.handle('pasarguard.overview', () =>
      pgOverview({
        system: {
          memTotal: null,
          memUsed: null,
          cpuCores: null,
          cpuUsage: 3,
          incomingBps: null,
          outgoingBps: 0,
          uptimeSec: null,
        },
        backend: null,
      }),
    )
    const w = await mountPg(OverviewSection, pinia, { serverId: 's1' })
    expect(w.find('[data-testid="pg-core-stopped"]').exists()).toBe(false)
    expect(w.find('[data-testid="pg-core-state"]').attributes('data-core')).toBe('running')
    expect(w.find('[data-testid="pg-core-version"]').text()).toBe('25.8.3')
    const stat = (id: string) => w.find(`[data-testid="pg-stat-${id}"]`)
    expect(stat('cpu').text()).toContain('3.0 %')
    expect(stat('memory').find('[data-unknown="true"]').exists()).toBe(true)
    expect(stat('memory').text()).not.toMatch(/\b0 B\b/)
    expect(stat('incoming').find('[data-unknown="true"]').exists()).toBe(true)
    // A known 0 stays 0.
    expect(stat('outgoing').text()).toContain('0 B/s')
    expect(stat('uptime').find('[data-unknown="true"]').exists()).toBe(true)
    // No runtime stats: every item is unknown.
    const runtime = w.find('[data-testid="pg-runtime"]')
    expect(runtime.findAll('[data-unknown="true"]').length).toBe(10)
    expect(w.find('[data-testid="pg-runtime-goroutines"]').text()).toBe('—')
  })

  it('warns when the poll interval is at or above the keep-alive it started with', async () => {
    const started = { at: Date.now(), type: 'xray' as const, excludeInbounds: [] }
    client.handle('pasarguard.overview', () =>
      pgOverview({ started: { ...started, keepAliveSec: 30 }, pollIntervalSec: 30 }),
    )
    const w = await mountPg(OverviewSection, pinia, { serverId: 's1' })
    const warning = w.find('[data-testid="pg-keepalive-risk"]')
    expect(warning.text()).toContain('NodeDeck polls every 30 s')
    expect(warning.text()).toContain('after 30 s without a request')

    client.handle('pasarguard.overview', () =>
      pgOverview({ started: { ...started, keepAliveSec: 60 }, pollIntervalSec: 10 }),
    )
    const w2 = await mountPg(OverviewSection, pinia, { serverId: 's1' })
    expect(w2.find('[data-testid="pg-keepalive-risk"]').exists()).toBe(false)
  })

  it('lists partial errors with their messages, and a failed read with the server', async () => {
    client.handle('pasarguard.overview', () =>
      pgOverview({
        backend: null,
        errors: [appError('http_status', 'backend stats: 503 core is not started yet')],
      }),
    )
    const w = await mountPg(OverviewSection, pinia, { serverId: 's1' })
    expect(w.find('[data-testid="pg-overview-partial"]').text()).toContain(
      'backend stats: 503 core is not started yet',
    )

    const { client: c2, pinia: p2 } = setupFake()
    c2.handle('pasarguard.overview', () => {
      throw appError('auth', 'The node refused the API key (403 api key mismatch).')
    })
    const w2 = await mountPg(OverviewSection, p2, { serverId: 's1' })
    const err = w2.find('[data-testid="hy2-load-error"]')
    expect(err.text()).toContain('Could not read the node overview')
    expect(err.text()).toContain('api key mismatch')
    expect(err.text()).toContain('s1')
  })

  it('stops the backend only after confirming, then reloads', async () => {
    let stops = 0
    client.handle('pasarguard.overview', () =>
      pgOverview(stops ? { core: 'no_backend', system: null, backend: null } : {}),
    )
    client.handle('pasarguard.stop', () => {
      stops++
      return { ok: true as const }
    })
    const w = await mountPg(OverviewSection, pinia, { serverId: 's1' })
    await w.find('[data-testid="pg-stop"]').trigger('click')
    await settle()
    expect($('[data-testid="pg-stop-confirm"]').textContent).toContain('disconnected')
    expect(stops).toBe(0)
    $('[data-testid="pg-stop-confirm-cancel"]').click()
    await settle()
    expect(stops).toBe(0)

    await w.find('[data-testid="pg-stop"]').trigger('click')
    await settle()
    $('[data-testid="pg-stop-confirm-ok"]').click()
    await settle()
    expect(stops).toBe(1)
    expect(w.find('[data-testid="pg-core-stopped"]').exists()).toBe(true)
    expect(w.find('[data-testid="pg-stop"]').attributes('disabled')).toBeDefined()
  })

  it('draws the charts from the history once samples exist', async () => {
    client.handle('pasarguard.overview', () =>
      pgOverview({
        history: [
          { at: 1, cpuUsage: 5, memUsed: 1, incomingBps: 1, outgoingBps: null },
          { at: 2, cpuUsage: 6, memUsed: 2, incomingBps: 2, outgoingBps: 3 },
        ],
      }),
    )
    const w = await mountPg(OverviewSection, pinia, { serverId: 's1' })
    expect(w.find('[data-testid="pg-charts-empty"]').exists()).toBe(false)
    expect(w.find('[data-testid="pg-chart-cpu"]').exists()).toBe(true)
    expect(w.find('[data-testid="pg-chart-bandwidth"]').exists()).toBe(true)
  })

  it('waits for a second sample before drawing (one point is no line)', async () => {
    client.handle('pasarguard.overview', () =>
      pgOverview({
        history: [{ at: 1, cpuUsage: 5, memUsed: 1, incomingBps: 1, outgoingBps: 1 }],
      }),
    )
    const w = await mountPg(OverviewSection, pinia, { serverId: 's1' })
    expect(w.find('[data-testid="pg-charts-empty"]').exists()).toBe(true)
    expect(w.find('[data-testid="pg-chart-cpu"]').exists()).toBe(false)
  })
})
