// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest'
import { appError, type MethodInput } from '../../../shared/contract'
import type { FakeClient } from '../testing/fake-client'
import { KEY, setupFake, wgPage, wgUser } from '../views/kinds/wgmon/test-utils'
import { useWgMonStore } from './wgmon'

let client: FakeClient
beforeEach(() => {
  ;({ client } = setupFake())
})

const usersCalls = () =>
  client.calls
    .filter((c) => c.method === 'wgmon.users')
    .map((c) => c.input as MethodInput<'wgmon.users'>)

describe('WireGuard monitor store', () => {
  it('never overlaps reads of a section: a change while one runs reads once more, after it', async () => {
    const waiting: (() => void)[] = []
    let inFlight = 0
    let max = 0
    client.handle('wgmon.users', async () => {
      inFlight++
      max = Math.max(max, inFlight)
      await new Promise<void>((r) => waiting.push(r))
      inFlight--
      return wgPage([wgUser()])
    })
    const store = useWgMonStore()
    const first = store.loadUsers('s1')
    void store.loadUsers('s1') // a tick: dropped
    void store.setUsersQuery('s1', { page: 2 })
    void store.setUsersQuery('s1', { page: 3, status: 'online' })
    expect(usersCalls()).toHaveLength(1)
    while (waiting.length === 0 || usersCalls().length < 2) {
      for (const r of waiting.splice(0)) r()
      await new Promise((r) => setTimeout(r, 0))
    }
    for (const r of waiting.splice(0)) r()
    await first
    expect(usersCalls().map((q) => [q.page, q.status])).toEqual([
      [1, 'all'],
      [3, 'online'],
    ])
    expect(max).toBe(1)
    expect(store.users.s1?.value?.query.page).toBe(3)
    expect(store.users.s1?.loading).toBe(false)
  })

  it('reads the raw list after a page, in the same turn, and again after a create', async () => {
    client.handle('wgmon.users', () => wgPage([wgUser()]))
    client.handle('wgmon.allUsers', () => ({ users: [{ ...wgUser(), clientIp: '10.0.0.2' }] }))
    client.handle('wgmon.create', () => ({
      id: 2,
      clientIp: '10.0.0.3',
      message: null,
      route: 'upstream' as const,
    }))
    const store = useWgMonStore()
    await store.loadUsers('s1')
    await store.loadUsers('s1')
    expect(client.calls.map((c) => c.method)).toEqual([
      'wgmon.users',
      'wgmon.allUsers',
      'wgmon.users',
    ])
    await store.create('s1', { publicKey: KEY })
    expect(client.calls.map((c) => c.method).slice(3)).toEqual([
      'wgmon.create',
      'wgmon.users',
      'wgmon.allUsers',
    ])
    expect(store.allUsers.s1?.value?.users[0]?.clientIp).toBe('10.0.0.2')
  })

  it('keeps the last value and its time when a read fails', async () => {
    client.handle('wgmon.users', () => wgPage([wgUser()]))
    const store = useWgMonStore()
    await store.loadUsers('s1')
    const at = store.users.s1?.at
    expect(at).toBeTypeOf('number')
    client.handle('wgmon.users', () => {
      throw appError('network', 'down')
    })
    await store.loadUsers('s1')
    expect(store.users.s1?.value?.users).toHaveLength(1)
    expect(store.users.s1?.at).toBe(at)
    expect(store.users.s1?.error).toMatchObject({ code: 'network', serverId: 's1' })
  })
})
