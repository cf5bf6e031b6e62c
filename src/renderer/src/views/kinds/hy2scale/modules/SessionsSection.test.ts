// @vitest-environment happy-dom
import { enableAutoUnmount, flushPromises } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { SessionRow } from '../../../../../../shared/contract'
import type { FakeClient } from '../../../../testing/fake-client'
import { mountWith, setupFake } from '../test-utils'
import SessionsSection from './SessionsSection.vue'

enableAutoUnmount(afterEach)

const row = (user: string, ip: string, protocol: string): SessionRow => ({
  id: `${user}|${ip}|${protocol}`,
  user,
  state: 'active',
  connection: null,
  stream: null,
  target: '',
  hookedTarget: null,
  remote: ip,
  up: null,
  down: 2048,
  startedAt: new Date(Date.now() - 60_000).toISOString(),
  lastActiveAt: null,
  protocol,
  connections: 3,
})

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('sessions.list', ({ serverId }) => ({
    serverId,
    at: Date.now(),
    sessions: [
      row('alice', '203.0.113.5', 'socks5'),
      row('alice', '203.0.113.9', 'hy2'),
      row('bob', '198.51.100.7', 'http'),
    ],
  }))
  client.handle('sessions.kick', ({ ids }) => ({ ok: ids, failed: [] }))
})

describe('SessionsSection', () => {
  it('kicks all devices of a user after a confirmation that explains the 60 s refusal', async () => {
    const w = await mountWith(SessionsSection, pinia, { serverId: 's1' })
    const alice = w.find('[data-session="alice|203.0.113.5|socks5"]')
    expect(alice.text()).toContain('—')
    expect(alice.text()).toContain('2.0 KiB')
    await alice.find('[data-testid="hy2-session-kick-user-alice"]').trigger('click')
    await flushPromises()
    const dialog = document.querySelector('[data-testid="hy2-sessions-confirm"]')
    expect(dialog?.textContent).toContain('refused for 60 seconds')
    expect(dialog?.textContent).toContain('alice · 203.0.113.9 · hy2')
    expect(client.calls.some((c) => c.method === 'sessions.kick')).toBe(false)
    document.querySelector<HTMLElement>('[data-testid="hy2-sessions-confirm-ok"]')?.click()
    await flushPromises()
    const kick = client.calls.find((c) => c.method === 'sessions.kick')
    expect(kick?.input).toEqual({
      serverId: 's1',
      ids: ['alice|203.0.113.5|socks5', 'alice|203.0.113.9|hy2'],
    })
  })
})
