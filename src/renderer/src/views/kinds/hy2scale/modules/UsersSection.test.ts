// @vitest-environment happy-dom
import { enableAutoUnmount, flushPromises } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FakeClient } from '../../../../testing/fake-client'
import type { Pinia } from 'pinia'
import { GIB, today } from '../shared'
import { account, mountWith, setupFake } from '../test-utils'
import UsersSection from './UsersSection.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('accounts.conflicts', () => ({}))
})

describe('UsersSection', () => {
  it('shows quota as "—" / "unlimited", never 0, and a bar only when both are known', async () => {
    client.handle('accounts.list', () => [
      account({ id: '1', name: 'nolimit-unknown', trafficLimit: null, trafficUsed: null }),
      account({ id: '2', name: 'limit-unknown', trafficLimit: 10 * GIB, trafficUsed: null }),
      account({ id: '3', name: 'nolimit-known', trafficLimit: null, trafficUsed: 3 * GIB }),
      account({ id: '4', name: 'half', trafficLimit: 10 * GIB, trafficUsed: 5 * GIB, devices: 2 }),
    ])
    const w = await mountWith(UsersSection, pinia, { serverId: 's1' })
    const row = (name: string) => w.find(`[data-account="${name}"]`)

    const a = row('nolimit-unknown')
    expect(a.find('[data-testid="hy2-quota"]').text()).toContain('—')
    expect(a.find('[data-testid="hy2-quota-unlimited"]').text()).toBe('unlimited')
    expect(a.find('[data-testid="hy2-quota-bar"]').exists()).toBe(false)
    expect(a.text()).not.toMatch(/\b0 B\b|0%/)

    const b = row('limit-unknown')
    expect(b.find('[data-testid="hy2-quota"]').text()).toMatch(/—\s*\/\s*10\.0 GiB/)
    expect(b.find('[data-testid="hy2-quota-bar"]').exists()).toBe(false)
    expect(b.find('[data-testid="hy2-quota"]').attributes('data-percent')).toBe('')

    const c = row('nolimit-known')
    expect(c.find('[data-testid="hy2-quota"]').text()).toMatch(/3\.0 GiB\s*\/\s*unlimited/)
    expect(c.find('[data-testid="hy2-quota-bar"]').exists()).toBe(false)

    const d = row('half')
    expect(d.find('[data-testid="hy2-quota"]').attributes('data-percent')).toBe('50')
    expect(d.find('[data-testid="hy2-quota-bar"]').exists()).toBe(true)
    expect(d.text()).toContain('2')
  })

  it('highlights past and near expiry dates and lists conflicts', async () => {
    const now = new Date()
    const inDays = (n: number) => today(new Date(now.getTime() + n * 86_400_000))
    client.handle('accounts.list', () => [
      account({ id: '1', name: 'old', expiresAt: inDays(-2) }),
      account({ id: '2', name: 'soon', expiresAt: inDays(3) }),
      account({ id: '3', name: 'later', expiresAt: inDays(60) }),
    ])
    client.handle('accounts.conflicts', () => ({ old: { socks5: ['Old'] } }))
    const w = await mountWith(UsersSection, pinia, { serverId: 's1' })
    expect(w.find('[data-account="old"] [data-expiry]').attributes('data-expiry')).toBe('expired')
    expect(w.find('[data-account="soon"] [data-expiry]').attributes('data-expiry')).toBe('soon')
    expect(w.find('[data-account="later"] [data-expiry]').attributes('data-expiry')).toBe('ok')
    expect(w.find('[data-testid="hy2-user-conflicts"]').text()).toContain(
      'old on socks5 collides with Old',
    )
  })

  it('shows bulk failures as one summary and reloads after the action', async () => {
    client.handle('accounts.list', () => [
      account({ id: '1', name: 'alice' }),
      account({ id: '2', name: 'bob' }),
    ])
    client.handle('accounts.setEnabled', ({ ids }) => ({
      ok: ids.filter((id) => id !== '2'),
      failed: ids.includes('2') ? [{ id: '2', message: 'node said no' }] : [],
    }))
    const w = await mountWith(UsersSection, pinia, { serverId: 's1' })
    const boxes = w.findAll('[data-testid="hy2-users-table"] tbody .n-checkbox')
    expect(boxes.length).toBe(2)
    for (const b of boxes) await b.trigger('click')
    await w.find('[data-testid="hy2-users-disable"]').trigger('click')
    await flushPromises()
    const call = client.calls.find((c) => c.method === 'accounts.setEnabled')
    expect(call?.input).toMatchObject({ serverId: 's1', ids: ['1', '2'], enabled: false })
    const summary = w.find('[data-testid="hy2-bulk-failures"]')
    expect(summary.text()).toContain('1 of 2 failed')
    expect(summary.text()).toContain('bob')
    expect(summary.text()).toContain('node said no')
    expect(client.calls.filter((c) => c.method === 'accounts.list').length).toBeGreaterThan(1)
  })
})
