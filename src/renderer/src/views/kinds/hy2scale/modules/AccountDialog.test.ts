// @vitest-environment happy-dom
import { enableAutoUnmount, flushPromises } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { FakeClient } from '../../../../testing/fake-client'
import { GIB } from '../shared'
import { account, mountWith, setupFake } from '../test-utils'
import AccountDialog from './AccountDialog.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('accounts.list', () => [])
  client.handle('accounts.create', () => ({ ok: true as const }))
  client.handle('accounts.update', () => ({ ok: true as const }))
})

/** The dialog renders in a teleport: query the document. */
const $ = <T extends Element = HTMLInputElement>(sel: string) => {
  const el = document.querySelector<T>(sel)
  if (!el) throw new Error(`missing ${sel}`)
  return el
}
async function type(sel: string, value: string) {
  const input = $(`${sel} input`)
  input.value = value
  input.dispatchEvent(new Event('input'))
  input.dispatchEvent(new Event('blur'))
  await flushPromises()
}

describe('AccountDialog', () => {
  it('on edit sends the limit in bytes and leaves an empty password out (keep)', async () => {
    const a = account({ id: 'u7', name: 'alice', trafficLimit: 5 * GIB, expiresAt: '2027-01-31' })
    await mountWith(AccountDialog, pinia, { serverId: 's1', account: a, show: true })
    expect($('[data-testid="hy2-user-limit"] input').value).toBe('5')
    expect($('[data-testid="hy2-user-password"] input').placeholder).toContain('keep')
    await type('[data-testid="hy2-user-limit"]', '12.5')
    $<HTMLButtonElement>('[data-testid="hy2-user-save"]').click()
    await flushPromises()
    const call = client.calls.find((c) => c.method === 'accounts.update')
    expect(call).toBeDefined()
    const input = call?.input as { id: string; draft: Record<string, unknown> }
    expect(input.id).toBe('u7')
    expect(input.draft.trafficLimit).toBe(12.5 * GIB)
    expect(input.draft.password).toBeUndefined()
    expect('password' in input.draft).toBe(false)
    expect(input.draft).toMatchObject({ name: 'alice', expiresAt: '2027-01-31', exitVia: '' })
  })

  it('on create requires a password, and 0 GiB means unlimited', async () => {
    await mountWith(AccountDialog, pinia, { serverId: 's1', account: null, show: true })
    await type('[data-testid="hy2-user-name"]', 'carol')
    $<HTMLButtonElement>('[data-testid="hy2-user-save"]').click()
    await flushPromises()
    expect(client.calls.some((c) => c.method === 'accounts.create')).toBe(false)
    expect($('[data-testid="hy2-user-dialog"]').textContent).toContain('Required')

    await type('[data-testid="hy2-user-password"]', 's3cret')
    await type('[data-testid="hy2-user-limit"]', '0')
    $<HTMLButtonElement>('[data-testid="hy2-user-save"]').click()
    await flushPromises()
    const call = client.calls.find((c) => c.method === 'accounts.create')
    expect(call?.input).toMatchObject({
      serverId: 's1',
      draft: { name: 'carol', password: 's3cret', trafficLimit: null, enabled: true },
    })
  })
})
