// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { appError } from '../../../../../shared/contract'
import { useBridgesStore } from '../../../stores/bridges'
import { useServersStore } from '../../../stores/servers'
import { BRIDGES_TAB, useTabsStore } from '../../../stores/tabs'
import type { FakeClient } from '../../../testing/fake-client'
import { serverView } from '../../../testing/fixtures'
import {
  bridgeStatus,
  bridgeView,
  byTestId,
  clickTestId,
  mountBridge,
  settle,
  setupFake,
} from '../test-utils'
import BridgeBadges from './BridgeBadges.vue'
import BridgeCard from './BridgeCard.vue'
import BridgesTabLabel from './BridgesTabLabel.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  localStorage.clear()
  ;({ client, pinia } = setupFake())
  useServersStore().applyList([
    serverView({ id: 'src', name: 'Busan-5' }),
    serverView({ id: 'mu', kind: 'muapi', name: 'Shanghai-Mu' }),
  ])
})

const text = (id: string) => byTestId(id)?.textContent?.replace(/\s+/g, ' ').trim() ?? ''

describe('BridgeCard', () => {
  it('shows route, state, last report, next run, journal bytes, unmatched names, online and runner', async () => {
    const view = bridgeView()
    useBridgesStore().applyList([view])
    await mountBridge(BridgeCard, pinia, { view })
    expect(text('bridge-route')).toMatch(/^Busan-5 ?→ ?Shanghai-Mu/)
    expect(text('bridge-route')).toContain('node 1')
    expect(text('bridge-route')).toContain('by email')
    expect(text('bridge-route')).toContain('every 10 s')
    expect(byTestId('bridge-state')?.dataset.state).toBe('idle')
    expect(text('bridge-last-report')).toMatch(/1[12] s ago/)
    expect(text('bridge-last-report')).toContain('8 users')
    expect(text('bridge-last-report')).toContain('↑ 1.5 KiB')
    expect(text('bridge-last-report')).toContain('↓ 3.0 MiB')
    expect(text('bridge-next-run')).toMatch(/in [78] s/)
    expect(text('bridge-pending')).toContain('2 users')
    expect(text('bridge-inflight')).toContain('nothing')
    // Exact bytes for an admin comparing with the panel.
    const acked = byTestId('bridge-acked')?.querySelector<HTMLElement>('[data-u]')
    expect(acked?.dataset.u).toBe('10000')
    expect(acked?.dataset.d).toBe('20000')
    expect(acked?.title).toBe('upload 10,000 B, download 20,000 B')
    expect(byTestId('bridge-unmatched')?.dataset.count).toBe('1')
    expect(text('bridge-unmatched-name')).toBe('guest@example.com')
    expect(text('bridge-unmatched')).toContain('reported once a matching user exists')
    expect(text('bridge-online')).toContain('5 online')
    expect(text('bridge-runner')).toMatch(/^Run by ?this app \(pid 4242\)$/)
    expect(byTestId('bridge-error')).toBeNull()
    expect(byTestId('bridge-verifying')).toBeNull()
  })

  it('shows unknown values as —, never 0', async () => {
    const view = bridgeView(
      {},
      {
        lastReport: null,
        lastReportAt: null,
        nextRunAt: null,
        online: { count: null, at: null, error: null },
        runner: null,
      },
    )
    await mountBridge(BridgeCard, pinia, { view })
    expect(text('bridge-last-report')).toContain('never')
    expect(text('bridge-next-run')).toContain('—')
    expect(text('bridge-online')).toContain('—')
    expect(text('bridge-runner')).toContain('—')
  })

  it('names the server at fault and says when it tries again; a lost answer shows its verification', async () => {
    const view = bridgeView(
      {},
      {
        state: 'error',
        error: appError(
          'network',
          'Shanghai-Mu closed the connection before answering; the report may have been applied.',
          { serverId: 'mu' },
        ),
        nextRunAt: Date.now() + 20_000,
        inflight: { id: 9, attempts: 1, outcome: 'unknown', users: 3, u: 10, d: 20 },
        verifyAfter: Date.now() + 45_000,
        online: {
          count: 4,
          at: null,
          error: appError('http_status', 'online_count failed', { serverId: 'mu' }),
        },
      },
    )
    await mountBridge(BridgeCard, pinia, { view })
    expect(text('bridge-error')).toContain('Network error — Shanghai-Mu')
    expect(text('bridge-error')).toContain('closed the connection')
    expect(text('bridge-error')).toMatch(/tries again in (19|20) s/)
    expect(text('bridge-verifying')).toContain('answer to batch #9 was lost')
    expect(text('bridge-verifying')).toMatch(/in (44|45) s/)
    expect(text('bridge-inflight')).toContain('batch #9 · answer lost')
    expect(text('bridge-inflight')).toContain('1 attempt')
    expect(text('bridge-online-error')).toBe('Shanghai-Mu: online_count failed')
  })

  it('says when another process runs it', async () => {
    const view = bridgeView(
      {},
      { state: 'stopped', runner: { pid: 77, owner: 'nodedeck bridge run', self: false } },
    )
    await mountBridge(BridgeCard, pinia, { view })
    expect(text('bridge-runner')).toContain('another process (pid 77, nodedeck bridge run)')
    expect(text('bridge-stopped-hint')).toContain('Another NodeDeck process runs this bridge')
  })

  it('runs now, pauses and resumes, and asks the parent to edit or remove', async () => {
    const view = bridgeView()
    useBridgesStore().applyList([view])
    client.handle('bridges.runNow', () => bridgeStatus({ lastReport: null }))
    client.handle('bridges.setEnabled', ({ enabled }) =>
      bridgeStatus({ state: enabled ? 'idle' : 'paused' }),
    )
    const wrapper = await mountBridge(BridgeCard, pinia, { view })
    await clickTestId('bridge-run')
    expect(client.calls.at(-1)).toEqual({ method: 'bridges.runNow', input: { id: 'b1' } })
    expect(byTestId('bridge-toggle')?.textContent).toContain('Pause')
    await clickTestId('bridge-toggle')
    expect(client.calls.at(-1)).toEqual({
      method: 'bridges.setEnabled',
      input: { id: 'b1', enabled: false },
    })
    await wrapper.setProps({ view: useBridgesStore().get('b1') })
    expect(byTestId('bridge-toggle')?.textContent).toContain('Resume')
    await clickTestId('bridge-edit')
    await clickTestId('bridge-remove')
    expect(wrapper.emitted('edit')).toEqual([['b1']])
    expect(wrapper.emitted('remove')).toEqual([['b1']])
  })

  it('refuses "Run now" while a batch waits for a decision', async () => {
    const view = bridgeView(
      {},
      {
        state: 'needs_attention',
        inflight: { id: 3, attempts: 1, outcome: 'unknown', users: 1, u: 1, d: 2 },
        attention: {
          batchId: 3,
          at: new Date().toISOString(),
          reason: 'The panel’s counters do not tell.',
          items: [{ userId: 1, u: 1, d: 2, before: null, after: null, verdict: 'unclear' }],
        },
        error: appError('bad_payload', 'The panel’s counters do not tell. Nothing more is sent.'),
      },
    )
    await mountBridge(BridgeCard, pinia, { view })
    expect(byTestId<HTMLButtonElement>('bridge-run')?.disabled).toBe(true)
    expect(byTestId('bridge-attention')).not.toBeNull()
    // The error only repeats the attention's reason: not shown twice.
    expect(byTestId('bridge-error')).toBeNull()
    // A lost answer under the admin's decision is not "being verified".
    expect(byTestId('bridge-verifying')).toBeNull()
  })

  it('renders in Chinese', async () => {
    const view = bridgeView()
    await mountBridge(BridgeCard, pinia, { view }, 'zh-CN')
    expect(text('bridge-state')).toContain('运行中')
    expect(text('bridge-pending')).toContain('2 个用户')
    expect(text('bridge-route')).toContain('节点 1')
  })
})

describe('BridgeBadge and the tab label', () => {
  it('shows a compact badge on the source and the panel, and opens the Bridges tab', async () => {
    useBridgesStore().applyList([bridgeView()])
    await mountBridge(BridgeBadges, pinia, { serverId: 'src' })
    const badge = byTestId('bridge-badge')
    expect(badge?.textContent).toMatch(/Bridged to Shanghai-Mu node 1 — last report 1[12] s ago/)
    badge?.click()
    await settle()
    expect(useTabsStore().active).toBe(BRIDGES_TAB)
  })

  it('says "needs your decision" and counts it on the tab', async () => {
    useBridgesStore().applyList([
      bridgeView({}, { state: 'needs_attention' }),
      bridgeView({ id: 'b2' }, { state: 'error' }),
    ])
    await mountBridge(BridgeBadges, pinia, { serverId: 'mu' })
    const badges = document.querySelectorAll<HTMLElement>('[data-testid="bridge-badge"]')
    expect(badges[0]?.textContent).toContain('Bridge from Busan-5 as node 1 — needs your decision')
    expect(badges[0]?.dataset.state).toBe('needs_attention')
    expect(badges[1]?.dataset.state).toBe('error')
    await mountBridge(BridgesTabLabel, pinia, {})
    expect(text('tab-bridges')).toContain('Bridges')
    expect(text('tab-bridges-attention')).toBe('1')
    expect(text('tab-bridges-failing')).toBe('1')
  })

  it('lists every bridge with its route in the fleet’s strip, worst first', async () => {
    useBridgesStore().applyList([
      bridgeView(),
      bridgeView({ id: 'b2' }, { state: 'error' }),
      bridgeView({ id: 'b3' }, { state: 'idle', lastReportAt: null }),
    ])
    await mountBridge(BridgeBadges, pinia, {})
    expect(text('bridge-badges')).toMatch(/^Bridges:/)
    const badges = [...document.querySelectorAll<HTMLElement>('[data-testid="bridge-badge"]')]
    expect(badges.map((b) => b.dataset.state)).toEqual(['error', 'idle', 'idle'])
    expect(badges[0]?.textContent?.trim()).toBe('Busan-5 → Shanghai-Mu node 1 — failing')
    expect(badges[2]?.textContent?.trim()).toBe('Busan-5 → Shanghai-Mu node 1 — no report yet')
  })
})
