// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { appError, type MethodInput } from '../../../../../../shared/contract'
import type { FakeClient } from '../../../../testing/fake-client'
import {
  $,
  callsOf,
  KEY,
  mountWg,
  settle,
  setupFake,
  typeInto,
  wgPage,
  wgUser,
} from '../test-utils'
import UsersSection from './UsersSection.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
const alice = wgUser()
const bob = wgUser({
  id: 2,
  nickname: 'bob',
  email: null,
  publicKey: 'Q2Vpbm9rZXlGb3JCb2JCb2JCb2JCb2JCb2JCb2JCb2I=',
  online: false,
  inSession: false,
  sessionStart: null,
  sessionUp: null,
  sessionDown: null,
  enabled: false,
  up: null,
  bandwidthLimitKBps: 2048,
  dataLimitMb: 10240,
  expiryDate: '2020-01-01 00:00:00',
  note: 'laptop',
})

beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('wgmon.users', () => wgPage([alice, bob]))
  client.handle('wgmon.allUsers', () => ({
    users: [
      { ...alice, clientIp: '10.66.0.2' },
      { ...bob, clientIp: '10.66.0.3' },
    ],
  }))
  client.handle('wgmon.action', () => ({ changed: true, message: '操作成功' }))
  client.handle('wgmon.delete', () => ({ changed: true, message: '用户已删除' }))
})

const row = (w: Awaited<ReturnType<typeof mountWg>>, id: number) => w.find(`[data-user-id="${id}"]`)
const usersInputs = () =>
  callsOf(client, 'wgmon.users').map((c) => c.input as MethodInput<'wgmon.users'>)
const actions = () =>
  callsOf(client, 'wgmon.action').map((c) => (c.input as MethodInput<'wgmon.action'>).action)

describe('WireGuard monitor users', () => {
  it('shows each user: key, tunnel IP, state, session, totals from the users’ side, limits', async () => {
    const w = await mountWg(UsersSection, pinia, { serverId: 's1' })
    const a = row(w, 1)
    expect(a.text()).toContain('alice')
    expect(a.text()).toContain('alice@example.com')
    expect(a.find('[data-testid="wg-user-copy-1"]').text()).toBe('xTIBA5rboU…8Dg=')
    expect(a.find('[data-testid="wg-user-ip-1"]').text()).toBe('10.66.0.2')
    expect(a.find('[data-testid="wg-user-online-1"]').text()).toBe('online')
    expect(a.text()).toContain('since 2026-11-23 11:58:00')
    // up = what the device sent (the monitor's total_rx)
    expect(a.find('[data-testid="wg-user-up-1"]').text()).toBe('↑ 1.0 GiB')
    expect(a.find('[data-testid="wg-user-up-1"]').attributes('title')).toBe('Upload')
    expect(a.find('[data-testid="wg-user-down-1"]').text()).toBe('↓ 9.0 GiB')
    expect(a.find('[data-testid="wg-user-down-1"]').attributes('title')).toBe('Download')
    expect(a.text()).toContain('unlimited')
    const b = row(w, 2)
    expect(b.find('[data-testid="wg-user-enabled-2"]').text()).toBe('disabled')
    expect(b.find('[data-testid="wg-user-online-2"]').text()).toBe('offline')
    expect(b.find('[data-testid="wg-user-up-2"] [data-unknown="true"]').exists()).toBe(true)
    expect(b.text()).toContain('2048 KB/s')
    expect(b.text()).toContain('10240 MB')
    expect(b.find('[data-expiry="expired"]').text()).toContain('expired')
    expect(b.text()).toContain('laptop')
    expect(b.find('[data-testid="wg-user-enable-2"]').exists()).toBe(true)
    expect(w.find('[data-testid="wg-users-local-paging"]').exists()).toBe(false)
  })

  it('asks the monitor for the page, search and filter (server-side)', async () => {
    const w = await mountWg(UsersSection, pinia, { serverId: 's1' })
    expect(usersInputs()[0]).toMatchObject({ page: 1, perPage: 50, search: '', status: 'all' })
    await w.find('[data-testid="wg-users-filter-online"] input').setValue(true)
    await settle()
    expect(usersInputs().at(-1)).toMatchObject({ page: 1, status: 'online' })
    await typeInto('[data-testid="wg-users-search"]', 'ali')
    await new Promise((r) => setTimeout(r, 400))
    await settle()
    expect(usersInputs().at(-1)).toMatchObject({ page: 1, search: 'ali', status: 'online' })
  })

  it('says so, quietly, when the monitor sends its whole list (seed doc)', async () => {
    client.handle('wgmon.users', () => wgPage([alice], { serverSide: false }))
    const w = await mountWg(UsersSection, pinia, { serverId: 's1' })
    expect(w.find('[data-testid="wg-users-local-paging"]').text()).toContain('NodeDeck pages it')
  })

  it('kicks only after a confirmation that says what a kick does, and reports "not online"', async () => {
    client.handle('wgmon.action', () => ({ changed: false, message: '用户当前不在线' }))
    const w = await mountWg(UsersSection, pinia, { serverId: 's1' })
    await row(w, 1).find('[data-testid="wg-user-kick-1"]').trigger('click')
    await settle()
    const dialog = $('[data-testid="wg-confirm"]')
    expect(dialog.textContent).toContain('Kick alice?')
    expect(dialog.textContent).toContain('within about 10 seconds')
    expect($('[data-testid="wg-confirm-hint"]').textContent).toContain('disable the user instead')
    $('[data-testid="wg-confirm-cancel"]').click()
    await settle()
    expect(actions()).toEqual([])

    await row(w, 1).find('[data-testid="wg-user-kick-1"]').trigger('click')
    await settle()
    $('[data-testid="wg-confirm-ok"]').click()
    await settle()
    expect(actions()).toEqual(['kick'])
    expect(document.body.textContent).toContain('alice was not online')
    // the page is read again after the action
    expect(usersInputs().length).toBeGreaterThanOrEqual(2)
  })

  it('offers "Disable instead" from the kick dialog', async () => {
    const w = await mountWg(UsersSection, pinia, { serverId: 's1' })
    await row(w, 1).find('[data-testid="wg-user-kick-1"]').trigger('click')
    await settle()
    $('[data-testid="wg-confirm-alt"]').click()
    await settle()
    expect($('[data-testid="wg-confirm"]').textContent).toContain('removes the peer from WireGuard')
    $('[data-testid="wg-confirm-ok"]').click()
    await settle()
    expect(actions()).toEqual(['disable'])
    expect(document.body.textContent).toContain('alice disabled')
  })

  it('resets and deletes from the menu, each confirmed as irreversible', async () => {
    const w = await mountWg(UsersSection, pinia, { serverId: 's1' })
    await row(w, 2).find('[data-testid="wg-user-more-2"]').trigger('click')
    await settle()
    $('[data-testid="wg-user-reset-2"]').click()
    await settle()
    expect($('[data-testid="wg-confirm"]').textContent).toContain('cannot be undone')
    $('[data-testid="wg-confirm-ok"]').click()
    await settle()
    expect(actions()).toEqual(['reset'])

    await row(w, 2).find('[data-testid="wg-user-more-2"]').trigger('click')
    await settle()
    $('[data-testid="wg-user-remove-2"]').click()
    await settle()
    expect($('[data-testid="wg-confirm"]').textContent).toContain('Delete bob?')
    $('[data-testid="wg-confirm-ok"]').click()
    await settle()
    expect(callsOf(client, 'wgmon.delete').map((c) => c.input)).toEqual([
      { serverId: 's1', userId: 2 },
    ])
  })

  it('keeps the dialog open and shows the error with the server when an action fails', async () => {
    client.handle('wgmon.action', () => {
      throw appError('http_status', 'GET /api/users/1/disable failed with HTTP 500.', {
        serverId: 's1',
      })
    })
    const w = await mountWg(UsersSection, pinia, { serverId: 's1' })
    await row(w, 1).find('[data-testid="wg-user-disable-1"]').trigger('click')
    await settle()
    $('[data-testid="wg-confirm-ok"]').click()
    await settle()
    expect(document.body.textContent).toContain(
      's1: GET /api/users/1/disable failed with HTTP 500.',
    )
    expect(document.querySelector('[data-testid="wg-confirm"]')).not.toBeNull()
  })

  it('keeps the last page with its age when a read fails', async () => {
    const w = await mountWg(UsersSection, pinia, { serverId: 's1' })
    client.handle('wgmon.users', () => {
      throw appError('network', 'The monitor did not answer.', { serverId: 's1' })
    })
    await w.find('[data-testid="wg-users-refresh"]').trigger('click')
    await settle()
    expect(w.find('[data-testid="wg-users-error"]').text()).toContain('did not answer')
    expect(w.find('[data-testid="wg-users-error"]').text()).toContain('Showing what was read')
    expect(row(w, 1).exists()).toBe(true)
  })

  it('opens the add dialog', async () => {
    const w = await mountWg(UsersSection, pinia, { serverId: 's1' })
    await w.find('[data-testid="wg-users-add"]').trigger('click')
    await settle()
    expect($('[data-testid="wg-user-dialog"]').textContent).toContain('Add a user')
    await typeInto('[data-testid="wg-form-key"]', KEY)
    expect($<HTMLButtonElement>('[data-testid="wg-user-submit"]').disabled).toBe(false)
  })
})
