/**
 * A small stand-in for the `electron` module, for unit tests of the shell under plain Node
 * (the Electron binary is never needed; design.md §3.11). Use it as
 *
 *   vi.mock('electron', async () => (await import('./testing/fake-electron')).fakeElectron)
 *
 * and call `resetFakeElectron()` in `beforeEach`. Only what the shell uses is implemented; the
 * fakes record calls so tests can assert on them.
 */
import { EventEmitter } from 'node:events'
import { vi } from 'vitest'

/** A fake `Event` as Electron passes to listeners: `preventDefault` is a spy. */
export function fakeEvent<T extends object>(
  fields: T,
): T & { preventDefault: ReturnType<typeof vi.fn>; defaultPrevented: boolean } {
  const ev = {
    ...fields,
    defaultPrevented: false,
    preventDefault: vi.fn(() => {
      ev.defaultPrevented = true
    }),
  }
  return ev
}

let nextId = 1

export class FakeFrame {
  detached = false
  constructor(
    public url: string,
    public parent: FakeFrame | null = null,
    public processId = 1,
    public routingId = nextId++,
  ) {}
}

export class FakeSession {
  headersListener:
    | ((
        details: { responseHeaders?: Record<string, string[]> },
        cb: (r: { responseHeaders?: Record<string, string[]> }) => void,
      ) => void)
    | null = null
  requestHandler:
    | ((
        wc: unknown,
        permission: string,
        cb: (ok: boolean) => void,
        details: { requestingUrl?: string },
      ) => void)
    | null = null
  checkHandler: ((wc: unknown, permission: string) => boolean) | null = null
  webRequest = {
    onHeadersReceived: (fn: FakeSession['headersListener']) => {
      this.headersListener = fn
    },
  }
  setPermissionRequestHandler(fn: FakeSession['requestHandler']) {
    this.requestHandler = fn
  }
  setPermissionCheckHandler(fn: FakeSession['checkHandler']) {
    this.checkHandler = fn
  }
}

export const defaultSession = new FakeSession()

export class FakeWebContents extends EventEmitter {
  readonly id = nextId++
  session = defaultSession
  mainFrame: FakeFrame
  destroyed = false
  sent: Array<{ channel: string; message: unknown }> = []
  windowOpenHandler: ((d: { url: string }) => { action: 'allow' | 'deny' }) | null = null
  constructor(url = 'about:blank') {
    super()
    this.mainFrame = new FakeFrame(url, null, 1)
  }
  setWindowOpenHandler(fn: FakeWebContents['windowOpenHandler']) {
    this.windowOpenHandler = fn
  }
  send(channel: string, message: unknown) {
    this.sent.push({ channel, message })
  }
  isDestroyed() {
    return this.destroyed
  }
  destroy() {
    this.destroyed = true
    this.emit('destroyed')
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = []
  webContents = new FakeWebContents()
  visible = false
  minimized = false
  maximized = false
  destroyed = false
  loaded: { file?: string; url?: string } = {}
  constructor(public options: Record<string, unknown>) {
    super()
    FakeBrowserWindow.instances.push(this)
    fakeApp.emit('web-contents-created', fakeEvent({}), this.webContents)
  }
  loadFile = vi.fn(async (file: string) => {
    this.loaded = { file }
    this.webContents.mainFrame.url = `file://${file}`
  })
  loadURL = vi.fn(async (url: string) => {
    this.loaded = { url }
    this.webContents.mainFrame.url = url
  })
  show = vi.fn(() => {
    this.visible = true
  })
  hide = vi.fn(() => {
    this.visible = false
  })
  focus = vi.fn()
  restore = vi.fn(() => {
    this.minimized = false
  })
  maximize = vi.fn(() => {
    this.maximized = true
  })
  isMinimized() {
    return this.minimized
  }
  isMaximized() {
    return this.maximized
  }
  isDestroyed() {
    return this.destroyed
  }
  getNormalBounds() {
    return { x: 10, y: 20, width: 1000, height: 700 }
  }
  /** Simulates the user closing the window: returns true if it was really closed. */
  userClose(): boolean {
    const ev = fakeEvent({})
    this.emit('close', ev)
    if (ev.defaultPrevented) return false
    this.destroyed = true
    this.emit('closed')
    return true
  }
}

export class FakeTray extends EventEmitter {
  static instances: FakeTray[] = []
  images: unknown[] = []
  tooltips: string[] = []
  menus: Array<{ items: Array<Record<string, unknown>> }> = []
  destroyed = false
  constructor(image: unknown) {
    super()
    this.images.push(image)
    FakeTray.instances.push(this)
  }
  setImage(image: unknown) {
    this.images.push(image)
  }
  setToolTip(text: string) {
    this.tooltips.push(text)
  }
  setContextMenu(menu: { items: Array<Record<string, unknown>> }) {
    this.menus.push(menu)
  }
  destroy() {
    this.destroyed = true
  }
  get lastMenu() {
    return this.menus[this.menus.length - 1]
  }
}

export class FakeNotification extends EventEmitter {
  static instances: FakeNotification[] = []
  static supported = true
  static isSupported() {
    return FakeNotification.supported
  }
  shown = 0
  closed = false
  constructor(public options: { title?: string; body?: string; icon?: string }) {
    super()
    FakeNotification.instances.push(this)
  }
  show() {
    this.shown++
  }
  close() {
    this.closed = true
    this.emit('close')
  }
}

class FakeIpcMain extends EventEmitter {
  /** Delivers a message as if `frame` in `sender` had called `ipcRenderer.send`. */
  deliver(channel: string, sender: FakeWebContents, frame: FakeFrame | null, message: unknown) {
    this.emit(channel, { sender, senderFrame: frame }, message)
  }
}

class FakeApp extends EventEmitter {
  isPackaged = false
  paths = new Map<string, string>([['userData', '/tmp/nodedeck-fake-userdata']])
  lockGranted = true
  requestSingleInstanceLock = vi.fn(() => this.lockGranted)
  enableSandbox = vi.fn()
  whenReady = vi.fn(async () => undefined)
  setAppUserModelId = vi.fn()
  quit = vi.fn(() => {
    const ev = fakeEvent({})
    this.emit('before-quit', ev)
  })
  exit = vi.fn()
  getPath(name: string) {
    const p = this.paths.get(name)
    if (!p) throw new Error(`no path ${name}`)
    return p
  }
  setPath(name: string, value: string) {
    this.paths.set(name, value)
  }
  getVersion() {
    return '0.1.0-test'
  }
  getLocale() {
    return 'en-US'
  }
  systemLanguages: string[] = ['en-US']
  getPreferredSystemLanguages() {
    return this.systemLanguages
  }
}

export const fakeApp = new FakeApp()
export const fakeIpcMain = new FakeIpcMain()
export const fakeShell = { openExternal: vi.fn(async (_url: string) => undefined) }
export const fakeContextBridge = { exposeInMainWorld: vi.fn() }
export const fakeIpcRenderer = Object.assign(new EventEmitter(), { send: vi.fn() })

/** The module object `vi.mock('electron', …)` should return. */
export const fakeElectron = {
  app: fakeApp,
  BrowserWindow: FakeBrowserWindow,
  Tray: FakeTray,
  Notification: FakeNotification,
  Menu: { buildFromTemplate: (items: Array<Record<string, unknown>>) => ({ items }) },
  nativeImage: { createFromPath: (path: string) => ({ path }) },
  ipcMain: fakeIpcMain,
  ipcRenderer: fakeIpcRenderer,
  contextBridge: fakeContextBridge,
  shell: fakeShell,
  screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
  session: { defaultSession },
}

/** Forgets every instance, listener and recorded call. */
export function resetFakeElectron(): void {
  FakeBrowserWindow.instances = []
  FakeTray.instances = []
  FakeNotification.instances = []
  FakeNotification.supported = true
  fakeApp.removeAllListeners()
  fakeApp.isPackaged = false
  fakeApp.lockGranted = true
  fakeApp.paths = new Map([['userData', '/tmp/nodedeck-fake-userdata']])
  fakeApp.systemLanguages = ['en-US']
  fakeIpcMain.removeAllListeners()
  fakeIpcRenderer.removeAllListeners()
  defaultSession.headersListener = null
  defaultSession.requestHandler = null
  defaultSession.checkHandler = null
  vi.clearAllMocks()
}
