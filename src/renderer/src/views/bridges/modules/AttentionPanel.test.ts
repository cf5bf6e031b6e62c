// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { BridgeView } from '../../../../../shared/contract'
import { useBridgesStore } from '../../../stores/bridges'
import type { FakeClient } from '../../../testing/fake-client'
import {
  bridgeStatus,
  bridgeView,
  byTestId,
  clickTestId,
  mountBridge,
  setupFake,
} from '../test-utils'
import AttentionPanel from './AttentionPanel.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
})

const text = (id: string) => byTestId(id)?.textContent?.replace(/\s+/g, ' ').trim() ?? ''
const MiB = 1024 ** 2

function attentionView(): BridgeView {
  return bridgeView(
    { trafficRate: 2 },
    {
      state: 'needs_attention',
      inflight: { id: 12, attempts: 1, outcome: 'unknown', users: 2, u: 3 * MiB, d: 5 * MiB },
      attention: {
        batchId: 12,
        at: '2026-11-23T12:00:00.000Z',
        reason: 'The panel’s counters do not tell whether the batch was applied: for user 2.',
        items: [
          {
            userId: 1,
            u: MiB,
            d: 2 * MiB,
            before: { u: 0, d: 0 },
            after: { u: 2 * MiB, d: 4 * MiB },
            verdict: 'applied',
          },
          {
            userId: 2,
            u: 2 * MiB,
            d: 3 * MiB,
            before: { u: 10 * MiB, d: 10 * MiB },
            after: { u: 0, d: 0 },
            verdict: 'unclear',
          },
        ],
      },
    },
  )
}

describe('AttentionPanel', () => {
  it('shows the batch, the reason and each item: sent, expected × rate, before, now, change, verdict', async () => {
    await mountBridge(AttentionPanel, pinia, { view: attentionView() })
    expect(text('bridge-attention')).toContain('Batch #12 needs your decision')
    expect(text('bridge-attention-reason')).toContain('do not tell whether the batch was applied')
    const rows = document.querySelectorAll<HTMLElement>('[data-testid="bridge-attention-item"]')
    expect([...rows].map((r) => [r.dataset.user, r.dataset.verdict])).toEqual([
      ['1', 'applied'],
      ['2', 'unclear'],
    ])
    const cells = [...(rows[0]?.querySelectorAll('td') ?? [])].map((td) => td.textContent?.trim())
    expect(cells).toEqual([
      '1',
      expect.stringMatching(/↑ 1\.0 MiB\s*↓ 2\.0 MiB/),
      '↑ 2.0 MiB ↓ 4.0 MiB',
      '↑ 0 B ↓ 0 B',
      '↑ 2.0 MiB ↓ 4.0 MiB',
      '↑ 2.0 MiB ↓ 4.0 MiB',
      'counted',
    ])
    expect(rows[1]?.textContent).toContain('↑ -10.0 MiB ↓ -10.0 MiB')
    expect(rows[1]?.textContent).toContain('unclear')
    expect(text('bridge-attention-suggestion')).toContain('do not show it clearly')
  })

  it('shows unknown counters as —', async () => {
    const view = attentionView()
    const att = view.status.attention
    if (!att?.items[0]) throw new Error('fixture')
    att.items[0].before = null
    await mountBridge(AttentionPanel, pinia, { view })
    const row = document.querySelector<HTMLElement>('[data-testid="bridge-attention-item"]')
    const cells = [...(row?.querySelectorAll('td') ?? [])].map((td) => td.textContent?.trim())
    expect(cells[3]).toBe('—')
    expect(cells[5]).toBe('—')
  })

  it('"The panel counted it" warns that bytes are lost if wrong, then resolves as applied', async () => {
    const view = attentionView()
    useBridgesStore().applyList([view])
    client.handle('bridges.resolve', () => bridgeStatus({ state: 'idle' }))
    await mountBridge(AttentionPanel, pinia, { view })
    await clickTestId('bridge-resolve-applied')
    expect(text('bridge-resolve-confirm')).toContain('Mark batch #12 as counted?')
    expect(text('bridge-resolve-confirm')).toContain(
      'If the panel did not in fact count it, the traffic of these 2 users (8.0 MiB) is never reported',
    )
    expect(client.calls.some((c) => c.method === 'bridges.resolve')).toBe(false)
    await clickTestId('bridge-resolve-confirm-ok')
    expect(client.calls.at(-1)).toEqual({
      method: 'bridges.resolve',
      input: { id: 'b1', decision: 'applied' },
    })
  })

  it('"Send it again" warns about double counting, and cancel sends nothing', async () => {
    const view = attentionView()
    useBridgesStore().applyList([view])
    client.handle('bridges.resolve', () => bridgeStatus({ state: 'idle' }))
    await mountBridge(AttentionPanel, pinia, { view })
    await clickTestId('bridge-resolve-resend')
    expect(text('bridge-resolve-confirm')).toContain('Send batch #12 again?')
    expect(text('bridge-resolve-confirm')).toContain(
      'these 2 users are charged twice: 8.0 MiB more, times the node’s rate ×2',
    )
    await clickTestId('bridge-resolve-confirm-cancel')
    expect(client.calls.some((c) => c.method === 'bridges.resolve')).toBe(false)
    await clickTestId('bridge-resolve-resend')
    await clickTestId('bridge-resolve-confirm-ok')
    expect(client.calls.at(-1)).toEqual({
      method: 'bridges.resolve',
      input: { id: 'b1', decision: 'resend' },
    })
  })
})
