// @vitest-environment happy-dom
import { enableAutoUnmount, flushPromises } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { useServersStore } from '../../../../stores/servers'
import type { FakeClient } from '../../../../testing/fake-client'
import { serverView } from '../../../../testing/fixtures'
import { mountWith, setupFake } from '../test-utils'
import WgConfigDialog from './WgConfigDialog.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  useServersStore().applyList([
    serverView({ id: 's1', kind: 'hy2scale', url: 'http://198.51.100.20:5565/scale' }),
  ])
  client.handle('wireguard.peerConfig', ({ name, endpoint }) => ({
    name,
    filename: `${name}.conf`,
    text: `[Interface]\nPrivateKey = SECRET\n[Peer]\nEndpoint = ${endpoint ?? ''}:51820\n`,
    qrSvg:
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><path d="M0 0h1v1H0z"/></svg>',
  }))
})

const q = (sel: string) => document.querySelector<HTMLElement>(sel)

describe('WgConfigDialog', () => {
  it('requests nothing before the explicit reveal click', async () => {
    await mountWith(WgConfigDialog, pinia, { serverId: 's1', peerName: 'phone', show: true })
    await flushPromises()
    expect(client.calls.filter((c) => c.method === 'wireguard.peerConfig')).toHaveLength(0)
    expect(q('[data-testid="hy2-wg-reveal-note"]')?.textContent).toContain('private key')
    expect(q('[data-testid="hy2-wg-config-text"]')).toBeNull()
    expect(q('[data-testid="hy2-wg-qr"]')).toBeNull()
    // The endpoint is pre-filled with the host of the server URL.
    expect((q('[data-testid="hy2-wg-endpoint"] input') as HTMLInputElement).value).toBe(
      '198.51.100.20',
    )

    q('[data-testid="hy2-wg-reveal"]')?.click()
    await flushPromises()
    const calls = client.calls.filter((c) => c.method === 'wireguard.peerConfig')
    expect(calls).toHaveLength(1)
    expect(calls[0]?.input).toEqual({ serverId: 's1', name: 'phone', endpoint: '198.51.100.20' })
    expect(q('[data-testid="hy2-wg-config-text"]')?.textContent).toContain(
      'Endpoint = 198.51.100.20',
    )
    expect(q('[data-testid="hy2-wg-qr"]')?.getAttribute('src')).toMatch(
      /^data:image\/svg\+xml;base64,/,
    )
  })
})
