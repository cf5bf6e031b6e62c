// @vitest-environment happy-dom
import { enableAutoUnmount, type VueWrapper } from '@vue/test-utils'
import { NInputNumber, NSelect, type SelectOption } from 'naive-ui'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { appError, AppErrorException, type MethodInput } from '../../../../../shared/contract'
import { useBridgesStore } from '../../../stores/bridges'
import { useServersStore } from '../../../stores/servers'
import type { FakeClient } from '../../../testing/fake-client'
import { serverView } from '../../../testing/fixtures'
import {
  bridgePreview,
  bridgeView,
  byTestId,
  clickTestId,
  mountBridge,
  settle,
  setupFake,
} from '../test-utils'
import BridgeDialog from './BridgeDialog.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  useServersStore().applyList([
    serverView({ id: 'src', name: 'Busan-5' }),
    serverView({ id: 'hk', name: 'HongKong-2', options: { clearOnRead: true } }),
    serverView({ id: 'scale', kind: 'hy2scale', name: 'Osaka-Scale' }),
    serverView({ id: 'pg', kind: 'pasarguard', name: 'Istanbul-PG' }),
    serverView({ id: 'mu', kind: 'muapi', name: 'Shanghai-Mu' }),
  ])
  client.handle('bridges.list', () => [])
})

const text = (id: string) => byTestId(id)?.textContent?.replace(/\s+/g, ' ').trim() ?? ''

/** The dialog's selects, in order: source, panel. */
function selects(w: VueWrapper) {
  const [source, panel] = w.findAllComponents(NSelect)
  if (!source || !panel) throw new Error('selects missing')
  return { source, panel }
}

async function choose(w: VueWrapper, which: 'source' | 'panel', value: string) {
  selects(w)[which].vm.$emit('update:value', value)
  await settle()
}

async function setNumber(w: VueWrapper, index: number, value: number | null) {
  const n = w.findAllComponents(NInputNumber)[index]
  if (!n) throw new Error(`no number input ${index}`)
  n.vm.$emit('update:value', value)
  await settle()
}

describe('BridgeDialog (add)', () => {
  it('offers Hysteria 2 and HY2 SCALE sources, clear-on-read ones disabled with the reason, and Mu API panels', async () => {
    const w = await mountBridge(BridgeDialog, pinia, { show: true, bridgeId: null })
    const sources = selects(w).source.props('options') as SelectOption[]
    expect(sources.map((o) => [o.value, Boolean(o.disabled)])).toEqual([
      ['src', false],
      ['hk', true],
      ['scale', false],
    ])
    expect(sources[1]?.label).toBe('HongKong-2 (Hysteria 2) — clear-on-read is on')
    expect(text('bridge-source-refused')).toContain(
      'HongKong-2 cannot be a source: NodeDeck reads it with clear-on-read',
    )
    // A source already bridged to the chosen panel cannot get a second bridge of the pair.
    useBridgesStore().applyList([bridgeView({ sourceId: 'scale', panelId: 'mu' })])
    await settle()
    const again = selects(w).source.props('options') as SelectOption[]
    expect(again[2]).toMatchObject({
      value: 'scale',
      disabled: true,
      label: 'Osaka-Scale (HY2 SCALE) — already bridged to this panel',
    })
    const panels = selects(w).panel.props('options') as SelectOption[]
    expect(panels.map((o) => o.value)).toEqual(['mu'])
    // The only panel is chosen already.
    expect(selects(w).panel.props('value')).toBe('mu')
  })

  it('previews the mapping before saving: matched, unmatched, duplicates, ambiguous', async () => {
    client.handle('bridges.preview', () => bridgePreview())
    const w = await mountBridge(BridgeDialog, pinia, { show: true, bridgeId: null })
    expect(byTestId<HTMLButtonElement>('bridge-preview-btn')?.disabled).toBe(true)
    await choose(w, 'source', 'src')
    await setNumber(w, 0, 1)
    await clickTestId('bridge-rule-email')
    expect(text('bridge-rule-help')).toContain('email address')
    await clickTestId('bridge-preview-btn')
    expect(client.calls.at(-1)).toEqual({
      method: 'bridges.preview',
      input: { sourceId: 'src', panelId: 'mu', nodeId: 1, rule: 'email' },
    })
    expect(text('bridge-preview-summary')).toContain('2 of 4 source users match a panel user.')
    expect(text('bridge-preview-summary')).toContain(
      '14 panel users, read from the node’s user list.',
    )
    const rows = document.querySelectorAll<HTMLElement>('[data-testid="bridge-preview-match"]')
    expect([...rows].map((r) => [r.dataset.name, r.dataset.user])).toEqual([
      ['alice@example.com', '1'],
      ['bob@example.com', '2'],
    ])
    // An unknown port is —, never 0.
    expect(rows[1]?.textContent).toContain('—')
    expect(text('bridge-preview-unmatched-name')).toBe('guest@example.com')
    expect(text('bridge-preview-unmatched')).toContain('waits in the journal')
    expect(text('bridge-preview-ambiguous')).toContain('carol@example.com: users 3, 9')
    expect(text('bridge-preview-duplicates')).toContain('user 2: bob@example.com, BOB@example.com')

    // Another rule makes the preview stale: it is gone until asked again.
    await clickTestId('bridge-rule-port')
    expect(byTestId('bridge-preview')).toBeNull()
  })

  it('shows a preview failure naming the server', async () => {
    client.handle('bridges.preview', () => {
      throw new AppErrorException(
        appError('auth', 'The panel refused the Mu key. Check the key in its settings.', {
          serverId: 'mu',
        }),
      )
    })
    const w = await mountBridge(BridgeDialog, pinia, { show: true, bridgeId: null })
    await choose(w, 'source', 'src')
    await setNumber(w, 0, 3)
    await clickTestId('bridge-preview-btn')
    expect(text('bridge-preview-error')).toContain('Authentication failed')
    expect(text('bridge-preview-error')).toContain('Shanghai-Mu: The panel refused the Mu key.')
  })

  it('checks the fields, then saves the draft', async () => {
    let added: MethodInput<'bridges.add'> | null = null
    client.handle('bridges.add', (input) => {
      added = input
      return { id: 'new' }
    })
    const w = await mountBridge(BridgeDialog, pinia, { show: true, bridgeId: null })
    await clickTestId('bridge-save')
    expect(added).toBeNull()
    expect(text('bridge-dialog')).toContain('Choose the source server.')
    expect(text('bridge-dialog')).toContain('Enter the node id')

    await choose(w, 'source', 'scale')
    await setNumber(w, 0, 2)
    await setNumber(w, 1, 10)
    await setNumber(w, 2, 1.5)
    await clickTestId('bridge-rule-port')
    expect(text('bridge-start-from-help')).toContain('its traffic so far was never reported')
    await clickTestId('bridge-start-from-now')
    expect(text('bridge-start-from-help')).toContain(
      'Only traffic after the bridge’s first reading',
    )
    await clickTestId('bridge-save')
    expect(added).toEqual({
      draft: {
        sourceId: 'scale',
        panelId: 'mu',
        nodeId: 2,
        rule: 'port',
        intervalSec: 10,
        trafficRate: 1.5,
        settleSec: 60,
        reportOnline: true,
        enabled: true,
        startFrom: 'now',
        name: '',
      },
    })
    expect(w.emitted('saved')).toEqual([['new']])
    expect(w.emitted('update:show')).toEqual([[false]])
  })

  it('shows the core’s refusal (a bridge for the same pair exists)', async () => {
    client.handle('bridges.add', () => {
      throw new AppErrorException(
        appError('invalid_input', 'Bridge "X" already reports this source to this panel.'),
      )
    })
    const w = await mountBridge(BridgeDialog, pinia, { show: true, bridgeId: null })
    await choose(w, 'source', 'src')
    await setNumber(w, 0, 1)
    await clickTestId('bridge-save')
    expect(text('bridge-dialog-error')).toContain('already reports this source to this panel')
    expect(w.emitted('update:show')).toBeUndefined()
  })
})

describe('BridgeDialog (edit)', () => {
  it('keeps source, panel and node fixed and sends only what changed', async () => {
    useBridgesStore().applyList([bridgeView()])
    let patch: MethodInput<'bridges.update'> | null = null
    client.handle('bridges.update', (input) => {
      patch = input
      return bridgeView({ intervalSec: 30, reportOnline: false })
    })
    const w = await mountBridge(BridgeDialog, pinia, { show: true, bridgeId: 'b1' })
    expect(selects(w).source.props('disabled')).toBe(true)
    expect(selects(w).panel.props('disabled')).toBe(true)
    expect(w.findAllComponents(NInputNumber)[0]?.props('disabled')).toBe(true)
    expect(selects(w).source.props('value')).toBe('src')
    await setNumber(w, 1, 30)
    await clickTestId('bridge-online-switch')
    await clickTestId('bridge-save')
    expect(patch).toEqual({ id: 'b1', patch: { intervalSec: 30, reportOnline: false } })
    expect(w.emitted('update:show')).toEqual([[false]])
  })
})
