import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { EventName, Notice, ServerView } from '../../shared/contract'
import { IPC_CHANNEL } from '../../shared/rpc/protocol'
import type { Core, CoreDeps } from '../core/create-core'
import type { CredentialStore } from '../core/credentials/credential-store'
import {
  FakeBrowserWindow,
  FakeNotification,
  FakeTray,
  fakeApp,
  fakeIpcMain,
  resetFakeElectron,
} from './testing/fake-electron'
import { startShell, type DemoFleet, type ShellDeps } from './shell'

vi.mock('electron', async () => (await import('./testing/fake-electron')).fakeElectron)

const view = (id: string, name: string, state: ServerView['status']['state']) =>
  ({ id, name, status: { serverId: id, state } }) as unknown as ServerView

/** A core double: the handlers the shell calls, event fan-out, start/stop spies. */
function fakeCore(servers: ServerView[] = []) {
  const listeners = new Set<(name: EventName, payload: unknown) => void>()
  let deps: CoreDeps | undefined
  const core = {
    connect: vi.fn(() => ({ id: 'c', call: vi.fn(), close: vi.fn() })),
    start: vi.fn(),
    stop: vi.fn(async () => undefined),
    broadcast: vi.fn(),
    handlers: {
      'settings.get': vi.fn(async () => ({ locale: null, theme: 'system' })),
      'servers.list': vi.fn(async () => servers),
      'servers.refresh': vi.fn(async () => ({ ok: true })),
    },
    onEvent(fn: (name: EventName, payload: unknown) => void) {
      listeners.add(fn)
      return () => listeners.delete(fn)
    },
  }
  return {
    core: core as unknown as Core,
    spies: core,
    emit: (name: EventName, payload: unknown) => listeners.forEach((fn) => fn(name, payload)),
    listenerCount: () => listeners.size,
    get deps() {
      return deps
    },
    createCore: vi.fn(async (d: CoreDeps) => {
      deps = d
      return core as unknown as Core
    }),
  }
}

const keychain = { description: 'test keychain' } as unknown as CredentialStore

let userData: string
beforeEach(() => {
  resetFakeElectron()
  userData = mkdtempSync(join(tmpdir(), 'nodedeck-shell-'))
  fakeApp.paths.set('userData', userData)
})
afterEach(() => rmSync(userData, { recursive: true, force: true }))

function deps(fc: ReturnType<typeof fakeCore>, over: Partial<ShellDeps> = {}): ShellDeps {
  return {
    argv: ['electron', '.'],
    paths: {
      preload: '/app/out/preload/index.js',
      rendererIndex: '/app/out/renderer/index.html',
      resources: '/app/resources',
    },
    createCore: fc.createCore,
    createCredentials: vi.fn(() => keychain),
    ...over,
  }
}

const flush = () => new Promise((r) => setTimeout(r, 0))

describe('electron shell', () => {
  it('quits at once when another instance holds the lock', async () => {
    fakeApp.lockGranted = false
    const fc = fakeCore()
    await expect(startShell(deps(fc))).resolves.toBeNull()
    expect(fakeApp.quit).toHaveBeenCalled()
    expect(fc.createCore).not.toHaveBeenCalled()
    expect(FakeBrowserWindow.instances).toHaveLength(0)
  })

  it('wires one core to the window, the IPC bridge, the tray and notifications', async () => {
    const fc = fakeCore([view('a', 'Tokyo-1', 'online')])
    const shell = await startShell(deps(fc))
    expect(shell).not.toBeNull()
    expect(fakeApp.enableSandbox).toHaveBeenCalled()
    expect(fc.deps).toMatchObject({
      dataDir: userData,
      credentials: keychain,
      host: 'electron',
      capabilities: { tray: true, nativeNotifications: true, saveDialog: true },
      demo: false,
    })
    expect(fc.deps?.sinks).toHaveLength(1)
    const win = FakeBrowserWindow.instances[0]
    expect(win?.loadFile).toHaveBeenCalledWith('/app/out/renderer/index.html')
    expect(fakeIpcMain.listenerCount(IPC_CHANNEL)).toBe(1)
    expect(fc.spies.connect).toHaveBeenCalledTimes(1) // the window's connection
    expect(fc.spies.start).toHaveBeenCalled()
    expect(shell?.tray?.icon).toBe('normal')

    fc.emit('server.status', { serverId: 'a', state: 'offline' })
    expect(shell?.tray?.icon).toBe('offline')
    fc.emit('servers.changed', [view('a', 'Tokyo-1', 'online'), view('b', 'HK', 'unknown')])
    expect(shell?.tray?.tooltip).toBe('NodeDeck — 1 online, 0 down, 1 checking')
    fc.emit('settings.changed', { locale: 'zh-CN', theme: 'system' })
    expect(shell?.tray?.tooltip).toBe('NodeDeck — 1 台在线，0 台不可用，1 台检测中')
  })

  it('raises native notifications through the core sink; a click shows the window', async () => {
    const fc = fakeCore()
    await startShell(deps(fc))
    const win = FakeBrowserWindow.instances[0] as FakeBrowserWindow
    win.hide()
    const notice: Notice = {
      id: '1',
      at: 1,
      level: 'error',
      kind: 'offline',
      serverId: 'a',
      serverName: 'Tokyo-1',
      title: 't',
      body: 'b',
    }
    fc.deps?.sinks?.[0]?.notify(notice)
    expect(FakeNotification.instances).toHaveLength(1)
    FakeNotification.instances[0]?.emit('click')
    expect(win.visible).toBe(true)
    // The UI is asked to show the server the notice is about.
    expect(fc.spies.broadcast).toHaveBeenCalledWith('ui.focusServer', { serverId: 'a' })
  })

  it('hides on close, shows on second instance, stops the core on quit', async () => {
    const fc = fakeCore()
    const shell = await startShell(deps(fc))
    const win = FakeBrowserWindow.instances[0] as FakeBrowserWindow
    win.show()
    expect(win.userClose()).toBe(false)
    expect(win.visible).toBe(false)
    fakeApp.emit('second-instance')
    expect(win.visible).toBe(true)

    fakeApp.quit()
    await shell?.shutdown()
    await flush()
    expect(fc.spies.stop).toHaveBeenCalledTimes(1)
    expect(FakeTray.instances[0]?.destroyed).toBe(true)
    expect(fakeIpcMain.listenerCount(IPC_CHANNEL)).toBe(0)
    expect(fc.listenerCount()).toBe(0)
    expect(fakeApp.quit).toHaveBeenCalledTimes(2) // once by the user, once after cleanup
    expect(win.userClose()).toBe(true) // quitting: the window really closes
  })

  it('--demo: own profile, the fleet’s data dir and secrets, populated, stopped on quit', async () => {
    const fc = fakeCore()
    const demoCredentials = { description: 'demo memory' } as unknown as CredentialStore
    const fleet: DemoFleet = {
      dataDir: join(userData, 'fleet-tmp'),
      credentials: demoCredentials,
      populate: vi.fn(async () => undefined),
      stop: vi.fn(async () => undefined),
    }
    const d = deps(fc, {
      argv: ['electron', '.', '--demo'],
      startDemoFleet: vi.fn(async () => fleet),
    })
    const shell = await startShell(d)
    expect(fakeApp.getPath('userData')).toBe(join(userData, 'demo'))
    expect(fc.deps).toMatchObject({
      dataDir: fleet.dataDir,
      credentials: demoCredentials,
      demo: true,
    })
    expect(d.createCredentials).not.toHaveBeenCalled()
    expect(fleet.populate).toHaveBeenCalledWith(fc.core)
    await shell?.shutdown()
    expect(fleet.stop).toHaveBeenCalled()
  })

  it('refreshes all servers from the tray', async () => {
    const fc = fakeCore([view('a', 'Tokyo-1', 'online')])
    await startShell(deps(fc))
    const tray = FakeTray.instances[0] as FakeTray
    const item = tray.lastMenu?.items.find((i) => i.label === 'Refresh all')
    ;(item?.click as () => void)()
    expect(fc.spies.handlers['servers.refresh']).toHaveBeenCalledWith({}, expect.anything())
  })
})
