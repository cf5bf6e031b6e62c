// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia'
import { nextTick, watch } from 'vue'
import { beforeEach, describe, expect, it } from 'vitest'
import { AppErrorException, appError, type ServerView } from '../../../shared/contract'
import { createApi, installApi } from '../api'
import { staticConnection } from '../host/connection'
import { createFakeClient, type FakeClient } from '../testing/fake-client'
import { serverView, usersSnapshot } from '../testing/fixtures'
import { useAppStore } from './app'
import { useServersStore } from './servers'
import { groupServers } from './servers/shared'
import { FLEET_TAB, useTabsStore } from './tabs'
import { useUsersStore } from './users'

let client: FakeClient

beforeEach(() => {
  localStorage.clear()
  setActivePinia(createPinia())
  client = createFakeClient()
  installApi(createApi(staticConnection(client)))
})

describe('servers store', () => {
  it('shows the host’s preview until the core’s list, and never over it', async () => {
    const servers = useServersStore()
    servers.applyPreview([serverView({ id: 'a', name: 'From the file' })])
    expect(servers.list.map((s) => s.name)).toEqual(['From the file'])
    expect(servers.loaded).toBe(false)
    client.handle('servers.list', () => [serverView({ id: 'a', name: 'From the core' })])
    await servers.load()
    servers.applyPreview([serverView({ id: 'late', name: 'Late preview' })])
    expect(servers.list.map((s) => s.name)).toEqual(['From the core'])
    expect(servers.loaded).toBe(true)
  })

  it('loads the list and applies live status', async () => {
    client.handle('servers.list', () => [
      serverView({ id: 'a', name: 'Alpha' }),
      serverView({ id: 'b', name: 'Beta' }),
    ])
    const servers = useServersStore()
    await servers.load()
    expect(servers.list.map((s) => s.name)).toEqual(['Alpha', 'Beta'])
    expect(servers.nameOf('b')).toBe('Beta')
    expect(servers.nameOf('zzz')).toBe('zzz')

    const b = servers.get('b')
    if (!b) throw new Error('b missing')
    servers.applyStatus({ ...b.status, state: 'offline', latencyMs: null })
    expect(servers.get('b')?.status.state).toBe('offline')
    // A status for a server the list does not have yet is ignored, not invented.
    servers.applyStatus({ ...b.status, serverId: 'ghost' })
    expect(servers.get('ghost')).toBeUndefined()
  })

  it('adds through the api and reloads; removes locally after the core confirms', async () => {
    const list = [serverView({ id: 'a', name: 'Alpha' })]
    client.handle('servers.list', () => list)
    client.handle('servers.add', ({ draft }) => {
      list.push(serverView({ id: 'n', name: draft.name }))
      return { id: 'n' }
    })
    client.handle('servers.remove', () => ({ ok: true as const }))
    const servers = useServersStore()
    const id = await servers.add({
      draft: { kind: 'hysteria2', name: 'New', url: 'http://192.0.2.1:9999' },
      secret: 's3cret',
    })
    expect(id).toBe('n')
    expect(servers.get('n')?.name).toBe('New')
    const addCall = client.calls.find((c) => c.method === 'servers.add')
    expect(addCall?.input).toMatchObject({ secret: 's3cret' })

    await servers.remove('n')
    expect(servers.get('n')).toBeUndefined()
    expect(servers.order).toEqual(['a'])
  })

  it('passes AppErrors through unchanged', async () => {
    client.handle('servers.update', () => {
      throw new AppErrorException(
        appError('invalid_input', 'A server named "A" already exists.', {
          params: { field: 'name' },
        }),
      )
    })
    const servers = useServersStore()
    await expect(
      servers.update({
        id: 'a',
        draft: { kind: 'hysteria2', name: 'A', url: 'http://192.0.2.1:9999' },
      }),
    ).rejects.toMatchObject({ appError: { code: 'invalid_input', params: { field: 'name' } } })
  })

  it('groups servers with ungrouped last and filters by name, url, group and tag', () => {
    const list = [
      serverView({ id: '1', name: 'b', group: 'Europe' }),
      serverView({ id: '2', name: 'a', group: '' }),
      serverView({ id: '3', name: 'c', group: 'Asia', tags: ['vip'] }),
    ]
    expect(groupServers(list).map((g) => g.group)).toEqual(['Asia', 'Europe', ''])
    expect(groupServers(list, 'VIP').flatMap((g) => g.servers.map((s) => s.id))).toEqual(['3'])
  })
})

describe('users store', () => {
  it('keeps the newest reading per server', async () => {
    const users = useUsersStore()
    const newer = usersSnapshot({ at: 2000 })
    client.handle('users.list', () => usersSnapshot({ at: 1000 }))
    users.apply(newer)
    await users.load('s1')
    expect(users.snapshot('s1')?.at).toBe(2000)
  })

  it('records a failed first load and clears it with the next snapshot', async () => {
    client.handle('users.list', () => {
      throw new AppErrorException(appError('network', 'Connection refused', { serverId: 's1' }))
    })
    const users = useUsersStore()
    await expect(users.load('s1')).rejects.toBeInstanceOf(AppErrorException)
    expect(users.loadErrors.s1?.code).toBe('network')
    users.apply(usersSnapshot())
    expect(users.loadErrors.s1).toBeNull()
  })

  it('kicks through the api', async () => {
    client.handle('users.kick', () => ({ ok: true as const }))
    await useUsersStore().kick('s1', ['alice', 'bob'])
    expect(client.calls.at(-1)).toEqual({
      method: 'users.kick',
      input: { serverId: 's1', users: ['alice', 'bob'] },
    })
  })
})

describe('app store', () => {
  it('follows the browser language until a locale is chosen, and rolls back a failed change', async () => {
    client.handle('settings.set', () => {
      throw new AppErrorException(appError('storage', 'disk full'))
    })
    const app = useAppStore()
    app.applySettings({ locale: null, theme: 'system' })
    expect(['en-US', 'zh-CN']).toContain(app.locale)
    await expect(app.setLocale('zh-CN')).rejects.toBeInstanceOf(AppErrorException)
    expect(app.settings.locale).toBeNull()

    client.handle('settings.set', (patch) => ({ locale: null, theme: 'system', ...patch }))
    await app.setLocale('zh-CN')
    expect(app.locale).toBe('zh-CN')
  })

  it('resolves the system theme', () => {
    const app = useAppStore()
    app.applySettings({ locale: 'en-US', theme: 'system' })
    app.setSystemDark(true)
    expect(app.isDark).toBe(true)
    app.applySettings({ locale: 'en-US', theme: 'light' })
    expect(app.isDark).toBe(false)
  })
})

describe('tabs store', () => {
  it('opens, closes, prunes and remembers ids only', () => {
    const tabs = useTabsStore()
    tabs.openServer('a')
    tabs.openServer('b')
    tabs.openServer('a')
    expect(tabs.open).toEqual(['a', 'b'])
    expect(tabs.active).toBe('a')
    tabs.close('a')
    expect(tabs.active).toBe('b')
    tabs.prune(['x'])
    expect(tabs.open).toEqual([])
    expect(tabs.active).toBe(FLEET_TAB)
  })
})

describe('servers store: status bursts', () => {
  it('applies a burst of statuses together, the latest per server winning', async () => {
    setActivePinia(createPinia())
    const servers = useServersStore()
    servers.applyList([serverView({ id: 'a', name: 'A' }), serverView({ id: 'b', name: 'B' })])
    const renders: number[] = []
    const stop = watch(
      () => servers.byId,
      () => renders.push(1),
    )
    servers.queueStatus({ ...(servers.get('a') as ServerView).status, state: 'offline' })
    servers.queueStatus({ ...(servers.get('b') as ServerView).status, state: 'offline' })
    servers.queueStatus({
      ...(servers.get('a') as ServerView).status,
      state: 'degraded',
      latencyMs: 7,
    })
    expect(servers.get('a')?.status.state).not.toBe('degraded')
    await new Promise((r) => setTimeout(r, 150))
    await nextTick()
    expect(servers.get('a')?.status).toMatchObject({ state: 'degraded', latencyMs: 7 })
    expect(servers.get('b')?.status.state).toBe('offline')
    expect(renders).toHaveLength(1)
    stop()
  })
})
