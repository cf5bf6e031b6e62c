import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest'
import type { HealthState } from '../../shared/contract'
import { FakeTray, resetFakeElectron } from './testing/fake-electron'
import { createTray, summarize, trayIconPath, type TrayActions, type TrayController } from './tray'

vi.mock('electron', async () => (await import('./testing/fake-electron')).fakeElectron)

const server = (id: string, name: string, state: HealthState) => ({ id, name, status: { state } })

let actions: { [K in keyof TrayActions]: Mock<TrayActions[K]> }
let tray: TrayController
let fake: FakeTray

beforeEach(() => {
  vi.useFakeTimers()
  resetFakeElectron()
  actions = {
    show: vi.fn<TrayActions['show']>(),
    focusServer: vi.fn<TrayActions['focusServer']>(),
    refreshAll: vi.fn<TrayActions['refreshAll']>(),
    quit: vi.fn<TrayActions['quit']>(),
  }
  tray = createTray({ iconsDir: '/res', locale: 'en-US', actions, platform: 'linux' })
  const t = FakeTray.instances[0]
  if (!t) throw new Error('no tray')
  fake = t
})
afterEach(() => {
  tray.dispose()
  vi.useRealTimers()
})

const lastImage = () => (fake.images[fake.images.length - 1] as { path: string }).path
const labels = () =>
  (fake.lastMenu?.items ?? []).map((i) => (i.type === 'separator' ? '---' : i.label))

describe('tray', () => {
  it('starts grey with no servers', () => {
    expect(tray.icon).toBe('unknown')
    expect(lastImage()).toBe('/res/tray-unknown-32.png')
    expect(tray.tooltip).toBe('NodeDeck — no servers yet')
    expect(labels()).toEqual(['Show NodeDeck', 'Refresh all', '---', 'Quit NodeDeck'])
  })

  it('turns red on an offline status and back on recovery', () => {
    tray.setServers([server('a', 'Tokyo-1', 'online'), server('b', 'HK-2', 'online')])
    expect(tray.icon).toBe('normal')
    expect(lastImage()).toBe('/res/tray-normal-32.png')
    expect(tray.tooltip).toBe('NodeDeck — 2 online, 0 down')

    tray.setStatus({ serverId: 'b', state: 'offline' })
    expect(tray.icon).toBe('offline')
    expect(lastImage()).toBe('/res/tray-offline-32.png')
    expect(tray.tooltip).toBe('NodeDeck — 1 online, 1 down')

    tray.setStatus({ serverId: 'b', state: 'online' })
    expect(tray.icon).toBe('normal')
    expect(lastImage()).toBe('/res/tray-normal-32.png')

    tray.setStatus({ serverId: 'a', state: 'auth_failed' })
    expect(tray.icon).toBe('offline')
  })

  it('is grey while no state is known, and ignores unknown server ids', () => {
    tray.setServers([server('a', 'Tokyo-1', 'unknown')])
    expect(tray.icon).toBe('unknown')
    expect(tray.tooltip).toBe('NodeDeck — 0 online, 0 down, 1 checking')
    tray.setStatus({ serverId: 'zzz', state: 'offline' })
    expect(tray.icon).toBe('unknown')
  })

  it('lists servers with their state; clicks reach the shell', () => {
    tray.setServers([server('a', 'Tokyo-1', 'online'), server('b', 'R&D', 'offline')])
    vi.advanceTimersByTime(1000)
    // How many are down, then the down servers first.
    expect(labels()).toEqual([
      '1 server down',
      '---',
      'R&D — offline',
      'Tokyo-1 — online',
      '---',
      'Show NodeDeck',
      'Refresh all',
      '---',
      'Quit NodeDeck',
    ])
    const items = fake.lastMenu?.items ?? []
    ;(items[2]?.click as () => void)()
    expect(actions.focusServer).toHaveBeenCalledWith('b')
    ;(items[5]?.click as () => void)()
    expect(actions.show).toHaveBeenCalled()
    ;(items[6]?.click as () => void)()
    expect(actions.refreshAll).toHaveBeenCalled()
    ;(items[8]?.click as () => void)()
    expect(actions.quit).toHaveBeenCalled()
    fake.emit('click')
    expect(actions.show).toHaveBeenCalledTimes(2)
    ;(items[0]?.click as () => void)()
    expect(actions.show).toHaveBeenCalledTimes(3)
  })

  it('rebuilds the menu at most once a second, keeping the last state', () => {
    tray.setServers([server('a', 'Tokyo-1', 'online')])
    vi.advanceTimersByTime(1000)
    expect(labels()[0]).toBe('Tokyo-1 — online')
    vi.advanceTimersByTime(1000) // a quiet second: the next change rebuilds at once
    tray.setStatus({ serverId: 'a', state: 'offline' })
    expect(labels().slice(0, 3)).toEqual(['1 server down', '---', 'Tokyo-1 — offline'])
    const built = fake.menus.length
    for (let i = 0; i < 50; i++)
      tray.setStatus({ serverId: 'a', state: i % 2 ? 'online' : 'offline' })
    tray.setStatus({ serverId: 'a', state: 'degraded' })
    expect(fake.menus.length).toBe(built)
    // icon and tooltip are not delayed
    expect(tray.tooltip).toBe('NodeDeck — 0 online, 1 degraded, 0 down')
    vi.advanceTimersByTime(1000)
    expect(fake.menus.length).toBe(built + 1)
    expect(labels()[0]).toBe('Tokyo-1 — degraded')
    vi.advanceTimersByTime(5000)
    expect(fake.menus.length).toBe(built + 1)
  })

  it('caps a long list with "… and N more"', () => {
    tray.dispose()
    tray = createTray({
      iconsDir: '/res',
      locale: 'en-US',
      actions,
      platform: 'win32',
      maxMenuServers: 2,
    })
    fake = FakeTray.instances[1] as FakeTray
    tray.setServers([
      server('a', 'A&B', 'online'),
      server('b', 'B', 'online'),
      server('c', 'C', 'online'),
    ])
    vi.advanceTimersByTime(1000)
    expect(labels().slice(0, 3)).toEqual(['A&&B — online', 'B — online', '… and 1 more'])
    expect(lastImage()).toBe('/res/tray-normal-16.png')
  })

  it('speaks Chinese', () => {
    tray.setServers([server('a', '东京', 'offline')])
    tray.setLocale('zh-CN')
    expect(tray.tooltip).toBe('NodeDeck — 0 台在线，1 台不可用')
    vi.advanceTimersByTime(1000)
    expect(labels()).toContain('1 台服务器不可用')
    expect(labels()).toContain('东京 — 离线')
    expect(labels()).toContain('退出 NodeDeck')
  })

  it('destroys the tray on dispose', () => {
    tray.dispose()
    expect(fake.destroyed).toBe(true)
  })
})

describe('summarize and icon paths', () => {
  it('counts degraded apart and offline, auth and TLS failures as down', () => {
    const s = summarize([
      { id: '1', name: 'a', state: 'online' },
      { id: '2', name: 'b', state: 'degraded' },
      { id: '3', name: 'c', state: 'auth_failed' },
      { id: '4', name: 'd', state: 'unknown' },
      { id: '5', name: 'e', state: 'tls_failed' },
      { id: '6', name: 'f', state: 'offline' },
    ])
    expect(s).toEqual({
      counts: { online: 1, degraded: 1, down: 3, unknown: 1 },
      icon: 'offline',
    })
  })

  it('lists down servers first so the cap never hides them', () => {
    tray.dispose()
    tray = createTray({ iconsDir: '/res', locale: 'en-US', actions, maxMenuServers: 2 })
    fake = FakeTray.instances[1] as FakeTray
    tray.setServers([
      server('a', 'A', 'online'),
      server('b', 'B', 'online'),
      server('c', 'C', 'tls_failed'),
      server('d', 'D', 'auth_failed'),
      server('e', 'E', 'online'),
    ])
    vi.advanceTimersByTime(1000)
    expect(labels().slice(0, 5)).toEqual([
      '2 servers down',
      '---',
      'C — TLS failed',
      'D — authentication failed',
      '… and 3 more',
    ])
    expect(tray.tooltip).toBe('NodeDeck — 3 online, 2 down')
  })

  it('uses 16 px (+@2x) on Windows/macOS and 32 px on Linux', () => {
    expect(trayIconPath('/r', 'normal', 'darwin')).toBe('/r/tray-normal-16.png')
    expect(trayIconPath('/r', 'offline', 'linux')).toBe('/r/tray-offline-32.png')
  })
})
