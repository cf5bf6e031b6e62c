// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppErrorException, appError } from '../../../../../shared/contract'
import { useBridgesStore } from '../../../stores/bridges'
import type { FakeClient } from '../../../testing/fake-client'
import { bridgeView, byTestId, clickTestId, mountBridge, setupFake } from '../test-utils'
import RemoveBridgeDialog from './RemoveBridgeDialog.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
})

const text = (id: string) => byTestId(id)?.textContent?.replace(/\s+/g, ' ').trim() ?? ''
const removes = () => client.calls.filter((c) => c.method === 'bridges.remove').map((c) => c.input)

describe('RemoveBridgeDialog', () => {
  it('removes an empty journal’s bridge in one step', async () => {
    useBridgesStore().applyList([
      bridgeView({}, { pending: { users: 0, u: 0, d: 0 }, unmatched: [], inflight: null }),
    ])
    client.handle('bridges.remove', () => ({ ok: true as const }))
    const w = await mountBridge(RemoveBridgeDialog, pinia, { bridgeId: 'b1' })
    expect(text('bridge-remove-dialog')).toContain('Remove Busan-5 → Shanghai-Mu #1?')
    expect(text('bridge-remove-dialog')).not.toContain('still holds')
    await clickTestId('bridge-remove-dialog-ok')
    expect(removes()).toEqual([{ id: 'b1', force: false }])
    expect(w.emitted('close')).toHaveLength(1)
    expect(useBridgesStore().list).toEqual([])
  })

  it('explains the refusal, then forces only after an explicit second confirmation', async () => {
    useBridgesStore().applyList([bridgeView()])
    client.handle('bridges.list', () => [bridgeView()])
    client.handle('bridges.remove', ({ force }) => {
      if (!force) {
        throw new AppErrorException(
          appError(
            'invalid_input',
            'Bridge "Busan-5 → Shanghai-Mu #1" still holds bytes not reported to the panel (2 users pending, 1 unmatched, 0 batch in flight).',
            { params: { pending: 2, unmatched: 1, inflight: 0 } },
          ),
        )
      }
      return { ok: true as const }
    })
    const w = await mountBridge(RemoveBridgeDialog, pinia, { bridgeId: 'b1' })
    // What the journal holds is said before the first click already.
    expect(text('bridge-remove-dialog')).toContain(
      'The journal still holds traffic not reported yet: waiting 300 B, without a panel user 120 B, being reported 0 B.',
    )
    await clickTestId('bridge-remove-dialog-ok')
    expect(removes()).toEqual([{ id: 'b1', force: false }])
    expect(text('bridge-remove-force')).toContain(
      'NodeDeck kept the bridge: its journal still holds traffic never reported to the panel (waiting 300 B, without a panel user 120 B, being reported 0 B).',
    )
    expect(text('bridge-remove-force')).toContain('these bytes are never reported to the panel')
    const ok = () => byTestId<HTMLButtonElement>('bridge-remove-force-ok')
    expect(ok()?.disabled).toBe(true)
    await clickTestId('bridge-remove-force-ack')
    expect(ok()?.disabled).toBe(false)
    await clickTestId('bridge-remove-force-ok')
    expect(removes()).toEqual([
      { id: 'b1', force: false },
      { id: 'b1', force: true },
    ])
    expect(w.emitted('close')).toHaveLength(1)
  })

  it('does not offer force for another kind of refusal (the bridge runs elsewhere)', async () => {
    useBridgesStore().applyList([bridgeView()])
    client.handle('bridges.remove', () => {
      throw new AppErrorException(
        appError('invalid_input', 'Bridge "X" is running in nodedeck bridge run (process 7).'),
      )
    })
    await mountBridge(RemoveBridgeDialog, pinia, { bridgeId: 'b1' })
    await clickTestId('bridge-remove-dialog-ok')
    expect(byTestId('bridge-remove-force')).toBeNull()
    expect(byTestId('bridge-remove-dialog')).not.toBeNull()
  })
})
