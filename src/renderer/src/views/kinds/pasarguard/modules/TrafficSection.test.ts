// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { appError } from '../../../../../../shared/contract'
import type { FakeClient } from '../../../../testing/fake-client'
import { userRow, usersSnapshot } from '../../../../testing/fixtures'
import { $, mountPg, pgTraffic, settle, setupFake, trafficRow, trafficTable } from '../test-utils'
import TrafficSection from './TrafficSection.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('live.watch', () => ({ ok: true as const }))
  client.handle('live.unwatch', () => ({ ok: true as const }))
  client.handle('pasarguard.latency', () => [])
})

describe('TrafficSection', () => {
  it('renders unknown counters as "—" in the users, inbound and outbound tables', async () => {
    client.handle('users.list', () =>
      usersSnapshot({
        users: [
          userRow({ name: 'known@x', devices: 2, up: 0, down: 3 * 1024 ** 2, upRate: 0 }),
          userRow({
            name: 'unknown@x',
            online: false,
            devices: null,
            up: null,
            down: null,
            upRate: null,
            downRate: null,
            reset: true,
          }),
        ],
      }),
    )
    client.handle('pasarguard.traffic', () =>
      pgTraffic({
        inbounds: trafficTable({
          rows: [
            trafficRow({ name: 'vless-in', up: null, down: null, upRate: null, downRate: null }),
          ],
        }),
        outbounds: trafficTable({ rows: [trafficRow({ name: 'direct', up: 0, upRate: null })] }),
      }),
    )
    const w = await mountPg(TrafficSection, pinia, { serverId: 's1' })
    expect(client.calls.some((c) => c.method === 'live.watch')).toBe(true)

    const known = w.find('[data-user="known@x"]')
    expect(known.text()).toContain('2 online')
    expect(known.text()).toContain('0 B')
    expect(known.text()).toContain('3.0 MiB')
    expect(known.find('[data-unknown="true"]').exists()).toBe(false)
    const unknown = w.find('[data-user="unknown@x"]')
    // devices, up, down, up rate, down rate: five unknowns, no zeros.
    expect(unknown.findAll('[data-unknown="true"]').length).toBe(5)
    expect(unknown.text()).not.toMatch(/\b0 B\b/)
    expect(unknown.find('[data-testid="pg-reset-unknown@x"]').exists()).toBe(true)

    const inbound = w.find('[data-testid="pg-inbounds"] [data-row="vless-in"]')
    expect(inbound.findAll('[data-unknown="true"]').length).toBe(4)
    expect(inbound.text()).not.toContain('0 B')
    const outbound = w.find('[data-testid="pg-outbounds"] [data-row="direct"]')
    expect(outbound.text()).toContain('0 B')
    expect(outbound.findAll('[data-unknown="true"]').length).toBe(1)
  })

  it('shows a table’s own error with its last rows, and the clear-on-read note', async () => {
    client.handle('users.list', () => usersSnapshot({ users: [] }))
    client.handle('pasarguard.traffic', () =>
      pgTraffic({
        clearOnRead: true,
        countingSince: Date.UTC(2026, 0, 2, 3, 4, 5),
        inbounds: trafficTable({
          error: appError('http_status', 'Inbound stats are not supported by WireGuard.'),
          at: Date.now() - 150_000,
        }),
      }),
    )
    const w = await mountPg(TrafficSection, pinia, { serverId: 's1' })
    const err = w.find('[data-testid="pg-inbounds-error"]')
    expect(err.text()).toContain('Could not read the inbound counters')
    expect(err.text()).toContain('not supported by WireGuard')
    expect(err.text()).toContain('Showing the rows read 2 min ago')
    expect(w.find('[data-testid="pg-outbounds-error"]').exists()).toBe(false)
    expect(w.find('[data-testid="pg-clear-on-read"]').text()).toContain('2026')
  })

  it('lists outbound latency with unknown delay as "—" and relative times', async () => {
    client.handle('users.list', () => usersSnapshot({ users: [] }))
    client.handle('pasarguard.traffic', () => pgTraffic())
    client.handle('pasarguard.latency', () => [
      {
        name: 'proxy-a',
        alive: true,
        delayMs: 83,
        link: 'http://cp.cloudflare.com',
        lastSeenAt: Date.now() - 5000,
        lastTryAt: Date.now() - 5000,
        source: 'observatory',
      },
      {
        name: 'proxy-b',
        alive: false,
        delayMs: null,
        link: '',
        lastSeenAt: null,
        lastTryAt: Date.now() - 150_000,
        source: 'observatory',
      },
    ])
    const w = await mountPg(TrafficSection, pinia, { serverId: 's1' })
    const a = w.find('[data-outbound="proxy-a"]')
    expect(a.text()).toContain('83 ms')
    expect(a.text()).toContain('alive')
    expect(a.text()).toMatch(/[3-6] s ago/)
    const b = w.find('[data-outbound="proxy-b"]')
    expect(b.text()).toContain('down')
    expect(b.text()).toContain('2 min ago')
    expect(b.findAll('[data-unknown="true"]').length).toBe(2)
    expect(b.text()).not.toContain('0 ms')
  })

  it('opens a user’s online IPs, newest first, and refreshes them', async () => {
    client.handle('users.list', () => usersSnapshot({ users: [userRow({ name: 'alice@x' })] }))
    client.handle('pasarguard.traffic', () => pgTraffic())
    let reads = 0
    client.handle('pasarguard.online', ({ emails }) => {
      reads++
      return emails.map((email) => ({
        email,
        online: 2,
        ips: [
          { ip: '198.51.100.7', lastSeenAt: Date.now() - 600_000 },
          { ip: '203.0.113.9', lastSeenAt: Date.now() - 3000 },
        ],
        error: null,
      }))
    })
    const w = await mountPg(TrafficSection, pinia, { serverId: 's1' })
    await w.find('[data-testid="pg-online-alice@x"]').trigger('click')
    await settle()
    const dialog = $('[data-testid="pg-online-dialog"]')
    expect(dialog.textContent).toContain('Online IPs of alice@x')
    expect($('[data-testid="pg-online-count"]').textContent).toContain('2')
    const ips = [...document.querySelectorAll('[data-testid="pg-online-ips"] tbody tr')].map(
      (r) => (r as HTMLElement).dataset.ip,
    )
    expect(ips).toEqual(['203.0.113.9', '198.51.100.7'])
    expect(client.calls.find((c) => c.method === 'pasarguard.online')?.input).toEqual({
      serverId: 's1',
      emails: ['alice@x'],
    })
    $('[data-testid="pg-online-refresh"]').click()
    await settle()
    expect(reads).toBe(2)
  })

  it('says when the node does not know the user, and shows a failed read with the server', async () => {
    client.handle('users.list', () => usersSnapshot({ users: [userRow({ name: 'ghost' })] }))
    client.handle('pasarguard.traffic', () => pgTraffic())
    client.handle('pasarguard.online', ({ emails }) =>
      emails.map((email) => ({ email, online: null, ips: [], error: null })),
    )
    const w = await mountPg(TrafficSection, pinia, { serverId: 's1' })
    await w.find('[data-testid="pg-online-ghost"]').trigger('click')
    await settle()
    expect($('[data-testid="pg-online-count"]').textContent).toContain('—')
    expect($('[data-testid="pg-online-dialog"]').textContent).toContain('does not know this user')

    client.handle('pasarguard.online', () => {
      throw appError('network', 'The node did not answer; check that it runs.')
    })
    $('[data-testid="pg-online-refresh"]').click()
    await settle()
    const err = $('[data-testid="pg-online-dialog"] [data-testid="hy2-load-error"]')
    expect(err.textContent).toContain('Could not read the online IPs')
    expect(err.textContent).toContain('s1: The node did not answer')
  })
})
