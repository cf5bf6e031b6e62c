// @vitest-environment happy-dom
import { enableAutoUnmount, flushPromises } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Hy2Ikev2, Hy2L2tp } from '../../../../../../shared/contract'
import type { FakeClient } from '../../../../testing/fake-client'
import { mountWith, setupFake } from '../test-utils'
import NetworkSection from './NetworkSection.vue'
import { portOf } from './ports'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
})

const cap = { capable: false, hostNetwork: false, reason: 'no NET_ADMIN capability' }
const l2tp: Hy2L2tp = {
  listen: '1701',
  enabled: false,
  pool: '192.168.25.1/24',
  hasPsk: true,
  proxyPort: 12345,
  mtu: 1280,
  ...cap,
}
const ikev2: Hy2Ikev2 = {
  enabled: false,
  mode: 'mschapv2',
  pool: '',
  certId: '',
  hasPsk: false,
  localId: 'n1',
  remoteId: '',
  pskUserMode: false,
  defaultExit: '',
  defaultExitMode: '',
  dns: '',
  proxyPort: 12350,
  mtu: 1400,
  ...cap,
}
const click = (sel: string) => document.querySelector<HTMLElement>(sel)?.click()

describe('NetworkSection', () => {
  it('lists peer links and disables one with its switch', async () => {
    client.handle('hy2scale.clients.list', () => [
      {
        name: 'tokyo',
        addrs: ['203.0.113.5:5565'],
        hasPassword: true,
        sni: '',
        insecure: false,
        maxTx: 0,
        maxRx: 0,
        fastOpen: false,
        bbrProfile: '',
        disabled: false,
        connected: true,
      },
    ])
    client.handle('hy2scale.clients.setDisabled', () => ({ ok: true }))
    const w = await mountWith(NetworkSection, pinia, { serverId: 's1' })
    const row = w.find('[data-client="tokyo"]')
    expect(row.text()).toContain('203.0.113.5:5565')
    expect(row.text()).toContain('connected')
    await w.find('[data-testid="hy2net-client-enabled-tokyo"]').trigger('click')
    await flushPromises()
    expect(client.calls.find((c) => c.method === 'hy2scale.clients.setDisabled')?.input).toEqual({
      serverId: 's1',
      name: 'tokyo',
      disabled: true,
    })
  })

  it('checks ports before adding a proxy, shows conflicts and saves only on proceed', async () => {
    client.handle('hy2scale.clients.list', () => [])
    client.handle('hy2scale.proxies.list', () => [])
    client.handle('hy2scale.checkPorts', () => ({
      conflicts: [{ port: 443, proto: 'tcp', desc: 'proxy web' }],
    }))
    client.handle('hy2scale.proxies.save', () => ({ ok: true }))
    const w = await mountWith(NetworkSection, pinia, { serverId: 's1' })
    await w.find('[data-testid="hy2net-tab-proxies"]').trigger('click')
    await flushPromises()
    await w.find('[data-testid="hy2net-proxy-add"]').trigger('click')
    await flushPromises()
    const set = (sel: string, v: string) => {
      const input = document.querySelector<HTMLInputElement>(`${sel} input`)
      if (!input) throw new Error(`no ${sel}`)
      input.value = v
      input.dispatchEvent(new Event('input'))
    }
    set('[data-testid="hy2net-proxy-id"]', 'web')
    set('[data-testid="hy2net-proxy-listen"]', '0.0.0.0:443')
    await flushPromises()
    click('[data-testid="hy2net-proxy-save"]')
    await flushPromises()
    expect(client.calls.find((c) => c.method === 'hy2scale.checkPorts')?.input).toEqual({
      serverId: 's1',
      ports: [{ port: 443, proto: 'tcp', desc: 'proxy web' }],
    })
    expect(document.querySelector('[data-testid="hy2net-port-conflict"]')?.textContent).toContain(
      'TCP 443',
    )
    expect(client.calls.some((c) => c.method === 'hy2scale.proxies.save')).toBe(false)
    click('[data-testid="hy2net-ports-proceed"]')
    await flushPromises()
    expect(client.calls.find((c) => c.method === 'hy2scale.proxies.save')?.input).toMatchObject({
      serverId: 's1',
      draft: { id: 'web', listen: '0.0.0.0:443', protocol: 'socks5' },
    })
  })

  it('shows why L2TP/IKEv2 are unavailable and disables saving them', async () => {
    client.handle('hy2scale.clients.list', () => [])
    client.handle('hy2scale.protocols.get', () => ({
      ss: { listen: '', enabled: false, method: 'aes-256-gcm' },
      l2tp,
      ikev2,
    }))
    const w = await mountWith(NetworkSection, pinia, { serverId: 's1' })
    await w.find('[data-testid="hy2net-tab-protocols"]').trigger('click')
    await flushPromises()
    expect(w.find('[data-testid="hy2net-l2tp-capability"]').text()).toContain(
      'unavailable: no NET_ADMIN capability',
    )
    expect(w.find('[data-testid="hy2net-ikev2-capability"]').text()).toContain('unavailable')
    expect(w.find('[data-testid="hy2net-l2tp-save"]').attributes('disabled')).toBeDefined()
    expect(w.find('[data-testid="hy2net-ikev2-save"]').attributes('disabled')).toBeDefined()
    expect(w.find('[data-testid="hy2net-ss-save"]').attributes('disabled')).toBeUndefined()
  })

  it('reads the port of a listen address', () => {
    expect(portOf('0.0.0.0:1080')).toBe(1080)
    expect(portOf('[::]:8388')).toBe(8388)
    expect(portOf('1701')).toBe(1701)
    expect(portOf('host')).toBeNull()
    expect(portOf(':70000')).toBeNull()
  })
})
