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
import UserDialog from './UserDialog.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('wgmon.users', () => wgPage([]))
  client.handle('wgmon.allUsers', () => ({ users: [] }))
  client.handle('wgmon.create', () => ({
    id: 13,
    clientIp: '10.66.0.14',
    message: '用户创建成功',
    route: 'upstream' as const,
  }))
  client.handle('wgmon.update', () => ({ changed: true, message: '用户信息已更新' }))
})

const submit = () => $<HTMLButtonElement>('[data-testid="wg-user-submit"]')

describe('WireGuard monitor user dialog', () => {
  it('creates a user from a valid WireGuard key and shows the id and tunnel IP', async () => {
    await mountWg(UserDialog, pinia, { show: true, serverId: 's1', user: null })
    expect(submit().disabled).toBe(true)
    await typeInto('[data-testid="wg-form-key"]', 'not-a-key')
    expect(submit().disabled).toBe(true)
    expect($('[data-testid="wg-user-dialog"]').textContent).toContain(
      'This is not a WireGuard public key',
    )
    await typeInto('[data-testid="wg-form-key"]', KEY)
    await typeInto('[data-testid="wg-form-nickname"]', 'carol')
    await typeInto('[data-testid="wg-form-email"]', 'carol@example.com')
    await typeInto('[data-testid="wg-form-note"]', 'phone')
    expect(submit().disabled).toBe(false)
    submit().click()
    await settle()
    expect(callsOf(client, 'wgmon.create').map((c) => c.input)).toEqual([
      {
        serverId: 's1',
        user: { publicKey: KEY, nickname: 'carol', email: 'carol@example.com', note: 'phone' },
      },
    ])
    expect($('[data-testid="wg-created-id"]').textContent).toBe('13')
    expect($('[data-testid="wg-created-ip"]').textContent).toBe('10.66.0.14')
    // the list is read again (the new user and its address)
    expect(callsOf(client, 'wgmon.users')).toHaveLength(1)
    expect(callsOf(client, 'wgmon.allUsers')).toHaveLength(1)
  })

  it('shows an empty reply as an error in the dialog, never as a success', async () => {
    client.handle('wgmon.create', () => {
      throw appError(
        'bad_payload',
        'Creating a user with POST /api/users got an empty reply, which is not a success.',
        { serverId: 's1' },
      )
    })
    await mountWg(UserDialog, pinia, { show: true, serverId: 's1', user: null })
    await typeInto('[data-testid="wg-form-key"]', KEY)
    submit().click()
    await settle()
    expect($('[data-testid="wg-user-dialog-error"]').textContent).toContain(
      's1: Creating a user with POST /api/users got an empty reply',
    )
    expect(document.querySelector('[data-testid="wg-user-created"]')).toBeNull()
  })

  it('edits: the key is fixed and only the changed fields are sent', async () => {
    const user = wgUser({ bandwidthLimitKBps: 1000, note: null })
    await mountWg(UserDialog, pinia, { show: true, serverId: 's1', user })
    expect($('[data-testid="wg-user-dialog"]').textContent).toContain('Edit alice')
    expect($<HTMLInputElement>('[data-testid="wg-form-key"] input').readOnly).toBe(true)
    await typeInto('[data-testid="wg-form-nickname"]', 'alice-phone')
    await typeInto('[data-testid="wg-form-bandwidth"]', '')
    submit().click()
    await settle()
    const patches = callsOf(client, 'wgmon.update').map(
      (c) => (c.input as MethodInput<'wgmon.update'>).patch,
    )
    expect(patches).toEqual([{ nickname: 'alice-phone', bandwidthLimitKBps: 0 }])
  })
})
