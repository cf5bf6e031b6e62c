// @vitest-environment happy-dom
import { enableAutoUnmount, flushPromises } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FakeClient } from '../../../../testing/fake-client'
import { cert, mountWith, setupFake } from '../test-utils'
import CertsSection from './CertsSection.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
})

describe('CertsSection', () => {
  it('colours days left: expired at ≤ 0, amber at ≤ 30, "—" when unknown', async () => {
    client.handle('certs.list', () => [
      cert({ id: 'gone', name: 'Gone', daysLeft: -3 }),
      cert({ id: 'today', name: 'Today', daysLeft: 0 }),
      cert({ id: 'month', name: 'Month', daysLeft: 30 }),
      cert({ id: 'fine', name: 'Fine', daysLeft: 31 }),
      cert({ id: 'odd', name: 'Odd', daysLeft: null, notAfter: '' }),
    ])
    const w = await mountWith(CertsSection, pinia, { serverId: 's1' })
    const days = (id: string) => w.find(`[data-cert="${id}"] [data-testid="cert-days"]`)
    expect(days('gone').attributes('data-level')).toBe('expired')
    expect(days('gone').text()).toBe('expired')
    expect(days('gone').find('[data-tone="error"]').exists()).toBe(true)
    expect(days('today').attributes('data-level')).toBe('expired')
    expect(days('month').attributes('data-level')).toBe('soon')
    expect(days('month').text()).toBe('30 d')
    expect(days('month').find('[data-tone="warning"]').exists()).toBe(true)
    expect(days('fine').attributes('data-level')).toBe('ok')
    expect(days('fine').find('.n-tag').exists()).toBe(false)
    expect(days('odd').text()).toBe('—')
    const banner = w.find('[data-testid="hy2-certs-expiring"]')
    expect(banner.text()).toContain('Gone, Today, Month')
    expect(banner.text()).not.toContain('Fine')
  })

  it('shows no banner when nothing expires soon, and the private key only on request', async () => {
    client.handle('certs.list', () => [cert({ id: 'default', daysLeft: 400 })])
    client.handle('certs.pem', ({ includeKey }) => ({
      cert: '-----BEGIN CERTIFICATE-----',
      key: includeKey ? '-----BEGIN PRIVATE KEY-----' : null,
    }))
    const w = await mountWith(CertsSection, pinia, { serverId: 's1' })
    expect(w.find('[data-testid="hy2-certs-expiring"]').exists()).toBe(false)
    await w.find('[data-testid="hy2-cert-view-default"]').trigger('click')
    await flushPromises()
    const pem = client.calls.filter((c) => c.method === 'certs.pem')
    expect(pem.map((c) => (c.input as { includeKey: boolean }).includeKey)).toEqual([false])
    expect(document.querySelector('[data-testid="hy2-cert-key-text"]')).toBeNull()
    document.querySelector<HTMLElement>('[data-testid="hy2-cert-reveal-key"]')?.click()
    await flushPromises()
    expect(client.calls.filter((c) => c.method === 'certs.pem').map((c) => c.input)).toContainEqual(
      { serverId: 's1', id: 'default', includeKey: true },
    )
    expect(document.querySelector('[data-testid="hy2-cert-key-text"]')?.textContent).toContain(
      'PRIVATE KEY',
    )
  })
})
