// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { appError } from '../../../../../shared/contract'
import { MU_NODE_IDS_KEY } from '../../../stores/muapi'
import { useServersStore } from '../../../stores/servers'
import { serverView } from '../../../testing/fixtures'
import type { FakeClient } from '../../../testing/fake-client'
import { KIND_PANELS } from '../index'
import MuApiPanel from './index.vue'
import { $, mountMu, muNodeUser, muUser, settle, setupFake, sixUsers, typeInto } from './test-utils'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  localStorage.clear()
  ;({ client, pinia } = setupFake())
})

const usersCalls = () => client.calls.filter((c) => c.method === 'muapi.users').length
const row = (id: number) => document.querySelector<HTMLElement>(`[data-user-id="${id}"]`)
const shownIds = () =>
  [...document.querySelectorAll<HTMLElement>('[data-testid="mu-users"] [data-user-id]')].map((r) =>
    Number(r.dataset.userId),
  )

async function click(sel: string) {
  $(sel).click()
  await settle()
}

describe('Mu API panel', () => {
  it('is the panel of its kind', () => {
    expect(KIND_PANELS.muapi).toBeTruthy()
  })

  it('shows every user with quota bars graded at 80 % and 100 %, "no quota" for 0, and totals', async () => {
    client.handle('muapi.users', () => ({ users: sixUsers(), fetchedAt: Date.now() }))
    const w = await mountMu(MuApiPanel, pinia, { serverId: 's1' })
    expect(usersCalls()).toBe(1)
    expect(shownIds()).toEqual([1, 2, 3, 4, 5, 6])
    expect($('[data-testid="mu-users-count"]').textContent).toContain('6 of 6 users')

    const ann = row(1) as HTMLElement
    expect(ann.textContent).toContain('ann@example.com')
    expect(ann.textContent).toContain('256.0 MiB') // upload = the panel's u
    expect(ann.textContent).toContain('768.0 MiB')
    expect(ann.textContent).toContain('1.0 GiB/10.0 GiB')
    expect(ann.querySelector('[data-testid="mu-quota"]')?.getAttribute('data-level')).toBe('ok')
    expect(ann.textContent).toContain('1 h ago')
    expect(row(2)?.querySelector('[data-testid="mu-quota"]')?.getAttribute('data-level')).toBe(
      'near',
    )
    expect(row(2)?.textContent).toContain('85 %')
    const over = row(3)?.querySelector('[data-testid="mu-quota"]')
    expect(over?.getAttribute('data-level')).toBe('over')
    expect(over?.textContent).toContain('120 %')
    expect((over?.querySelector('.mu-quota__fill') as HTMLElement).style.width).toBe('100%')

    // quota 0: "no quota", no bar, no 0 % and no ∞
    const none = row(4) as HTMLElement
    expect(none.querySelector('[data-testid="mu-no-quota"]')?.textContent).toBe('no quota')
    expect(none.querySelector('.mu-quota__rail')).toBeNull()
    expect(none.textContent).not.toMatch(/0 %|∞/)
    expect(none.textContent).toContain('dee')
    // neither email nor user name: #id; never used
    expect(row(5)?.textContent).toContain('#5')
    expect(row(5)?.textContent).toContain('never')
    expect(row(6)?.textContent).toContain('disabled')
    expect(row(6)?.textContent).toContain('3 d ago')

    expect($('[data-testid="mu-total-users"]').textContent).toContain('6')
    expect($('[data-testid="mu-total-enabled"]').textContent).toContain('5')
    expect($('[data-testid="mu-total-enabled"]').textContent).toContain('1 disabled')
    expect($('[data-testid="mu-total-over"]').textContent).toContain('1')
    expect($('[data-testid="mu-total-used"]').textContent).toContain('22.5 GiB')
    expect(w.find('[data-testid="mu-users-updated"]').text()).toMatch(
      /Updated (just now|\d+ s ago)/,
    )
  })

  it('searches and filters in one pass, with the count shown', async () => {
    client.handle('muapi.users', () => ({ users: sixUsers(), fetchedAt: Date.now() }))
    await mountMu(MuApiPanel, pinia, { serverId: 's1' })
    await typeInto('[data-testid="mu-users-search"]', 'example.com')
    expect(shownIds()).toEqual([1, 2, 3, 6])
    expect($('[data-testid="mu-users-count"]').textContent).toContain('4 of 6 users')
    await click('[data-testid="mu-users-state-disabled"] input')
    expect(shownIds()).toEqual([6])
    await click('[data-testid="mu-users-state-all"] input')
    await click('[data-testid="mu-users-usage-over"] input')
    expect(shownIds()).toEqual([3])
    await typeInto('[data-testid="mu-users-search"]', '')
    await click('[data-testid="mu-users-usage-never"] input')
    expect(shownIds()).toEqual([5])
    await typeInto('[data-testid="mu-users-search"]', 'nobody')
    expect(shownIds()).toEqual([])
    expect($('[data-testid="mu-users-empty"]').textContent).toContain('No user matches')
    // a quota card sets the usage filter
    await typeInto('[data-testid="mu-users-search"]', '')
    await click('[data-testid="mu-total-near"]')
    expect(shownIds()).toEqual([2])
  })

  it('keeps the last users on a failed read, marked stale with its age, the server and the error', async () => {
    let fail = false
    client.handle('muapi.users', () => {
      if (fail) {
        throw appError(
          'auth',
          'The panel at panel.example refused the mu key (HTTP 401). Enter the panel’s exact mu key.',
          { serverId: 's1' },
        )
      }
      return { users: sixUsers(), fetchedAt: Date.now() - 150_000 }
    })
    await mountMu(MuApiPanel, pinia, { serverId: 's1' })
    fail = true
    await click('[data-testid="mu-users-refresh"]')
    expect(usersCalls()).toBe(2)
    expect(shownIds()).toEqual([1, 2, 3, 4, 5, 6])
    const stale = $('[data-testid="mu-users-stale"]').textContent ?? ''
    expect(stale).toContain('Showing data read 2 min ago')
    expect(stale).toContain('Could not read the panel’s users')
    expect(stale).toContain('s1: The panel at panel.example refused the mu key')
    expect(stale).toContain('Authentication failed')
    expect($('[data-testid="mu-total-users"]').textContent).toContain('6')

    fail = false
    await click('[data-testid="mu-users-refresh"]')
    expect(document.querySelector('[data-testid="mu-users-stale"]')).toBeNull()
  })

  it('never shows 0 for what it could not read: a first read that fails leaves "—" and the error', async () => {
    client.handle('muapi.users', () => {
      throw appError('network', 'The panel did not answer; check that it runs.', { serverId: 's1' })
    })
    await mountMu(MuApiPanel, pinia, { serverId: 's1' })
    expect($('[data-testid="mu-users-error"]').textContent).toContain(
      's1: The panel did not answer',
    )
    for (const id of ['users', 'enabled', 'used', 'over']) {
      const card = $(`[data-testid="mu-total-${id}"]`)
      expect(card.querySelector('[data-unknown="true"]')).not.toBeNull()
      expect(card.textContent).not.toMatch(/\b0\b/)
    }
    expect($('[data-testid="mu-users-empty"]').textContent).toContain('not been read yet')
  })

  it('shows a node’s users with V2Ray uuid and level, and remembers the node id per server', async () => {
    client.handle('muapi.users', () => ({ users: sixUsers(), fetchedAt: Date.now() }))
    client.handle('muapi.nodeUsers', ({ nodeId }) => ({
      nodeId,
      users: [muNodeUser({ id: 1 }), muNodeUser({ id: 2, v2ray: null })],
      fetchedAt: Date.now(),
    }))
    let w = await mountMu(MuApiPanel, pinia, { serverId: 's1' })
    await w.find('[data-testid="mu-tab-node"]').trigger('click')
    await settle()
    expect($('[data-testid="mu-node-empty"]').textContent).toContain('Enter a node id')
    await typeInto('[data-testid="mu-node-id"]', 'x')
    expect($('[data-testid="mu-node-help"]').textContent).toContain('whole number')
    await typeInto('[data-testid="mu-node-id"]', '3')
    await click('[data-testid="mu-node-show"]')
    const call = client.calls.find((c) => c.method === 'muapi.nodeUsers')
    expect(call?.input).toEqual({ serverId: 's1', nodeId: 3 })
    expect($('[data-testid="mu-node-note"]').textContent).toContain('GET /nodes/3/users')
    expect($('[data-testid="mu-node-note"]').textContent).toContain('its own rules')
    const r1 = $('[data-testid="mu-node-users"] [data-user-id="1"]')
    expect(r1.textContent).toContain('6f1c2b3a-4d5e-4f60-8a7b-000000000001')
    expect(r1.textContent).toContain('user1@example.com') // same columns as the users table
    const r2 = $('[data-testid="mu-node-users"] [data-user-id="2"]')
    expect(r2.querySelectorAll('[data-unknown="true"]').length).toBe(2) // uuid, level
    expect(JSON.parse(localStorage.getItem(MU_NODE_IDS_KEY) ?? '{}')).toEqual({ s1: 3 })

    // reopened: the remembered node is read at once
    w.unmount()
    ;({ client, pinia } = setupFake())
    client.handle('muapi.users', () => ({ users: [muUser()], fetchedAt: Date.now() }))
    client.handle('muapi.nodeUsers', ({ nodeId }) => ({ nodeId, users: [], fetchedAt: Date.now() }))
    w = await mountMu(MuApiPanel, pinia, { serverId: 's1' })
    await w.find('[data-testid="mu-tab-node"]').trigger('click')
    await settle()
    expect(client.calls.find((c) => c.method === 'muapi.nodeUsers')?.input).toEqual({
      serverId: 's1',
      nodeId: 3,
    })
    expect($('[data-testid="mu-node-users-empty"]').textContent).toContain('no users')
  })

  it('stays light with 20,000 users: few rows in the page, filters over all of them', async () => {
    const many = Array.from({ length: 20_000 }, (_, i) =>
      muUser({ id: i + 1, quota: i % 10 === 0 ? 1024 : 10 * 1024 ** 3 }),
    )
    client.handle('muapi.users', () => ({ users: many, fetchedAt: Date.now() }))
    await mountMu(MuApiPanel, pinia, { serverId: 's1' })
    expect($('[data-testid="mu-users-count"]').textContent).toContain('20,000 of 20,000 users')
    expect(document.querySelectorAll('[data-user-id]').length).toBeLessThan(200)
    const started = performance.now()
    await click('[data-testid="mu-users-usage-over"] input')
    expect($('[data-testid="mu-users-count"]').textContent).toContain('2,000 of 20,000 users')
    expect(performance.now() - started).toBeLessThan(2000)
  })

  it('reads again each poll interval of the server while the page is visible, not while hidden', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] })
    const visibility = (v: 'visible' | 'hidden') =>
      Object.defineProperty(document, 'visibilityState', { value: v, configurable: true })
    try {
      useServersStore().applyList([serverView({ id: 's1', kind: 'muapi', pollIntervalSec: 5 })])
      client.handle('muapi.users', () => ({ users: sixUsers(), fetchedAt: Date.now() }))
      const w = await mountMu(MuApiPanel, pinia, { serverId: 's1' })
      expect(usersCalls()).toBe(1)
      expect(w.find('[data-testid="mu-users-updated"]').text()).toContain('every 5 s')
      vi.advanceTimersByTime(3000)
      await settle()
      expect(usersCalls()).toBe(1)
      vi.advanceTimersByTime(3000)
      await settle()
      expect(usersCalls()).toBe(2)
      visibility('hidden')
      vi.advanceTimersByTime(30_000)
      await settle()
      expect(usersCalls()).toBe(2)
      visibility('visible')
      document.dispatchEvent(new Event('visibilitychange'))
      await settle()
      expect(usersCalls()).toBe(3)
      // timer reads take a read up to one interval old (the health poll's); the button reads now
      await click('[data-testid="mu-users-refresh"]')
      const inputs = client.calls.filter((c) => c.method === 'muapi.users').map((c) => c.input)
      expect(inputs).toEqual([
        { serverId: 's1', maxAgeMs: 5000 },
        { serverId: 's1', maxAgeMs: 5000 },
        { serverId: 's1', maxAgeMs: 5000 },
        { serverId: 's1' },
      ])
    } finally {
      visibility('visible')
      vi.useRealTimers()
    }
  })
})
