import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  FakeBrowserWindow,
  defaultSession,
  fakeEvent,
  fakeShell,
  resetFakeElectron,
} from './testing/fake-electron'
import { resolveRendererTarget } from './renderer-target'
import {
  CONTENT_SECURITY_POLICY,
  contentSecurityPolicy,
  createMainWindow,
  secureWebPreferences,
} from './window'

vi.mock('electron', async () => (await import('./testing/fake-electron')).fakeElectron)

const INDEX = '/app/out/renderer/index.html'
const target = resolveRendererTarget({ indexHtml: INDEX, isPackaged: true })

let dir: string
beforeEach(() => {
  resetFakeElectron()
  dir = mkdtempSync(join(tmpdir(), 'nodedeck-window-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

function open() {
  const win = createMainWindow({
    target,
    preload: '/app/out/preload/index.js',
    stateFile: join(dir, 'window-state.json'),
  }) as unknown as FakeBrowserWindow
  return win
}

describe('main window', () => {
  it('is isolated, sandboxed, without Node, with web security', () => {
    const win = open()
    const prefs = win.options.webPreferences as Record<string, unknown>
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    })
    expect(prefs).not.toHaveProperty('enableRemoteModule')
    expect(secureWebPreferences('/p')).toEqual({ ...prefs, preload: '/p' })
  })

  it('loads the built renderer with loadFile and shows when ready', () => {
    const win = open()
    expect(win.loadFile).toHaveBeenCalledWith(INDEX)
    expect(win.loadURL).not.toHaveBeenCalled()
    expect(win.options.show).toBe(false)
    win.emit('ready-to-show')
    expect(win.show).toHaveBeenCalled()
  })

  it('loads the dev server only when unpackaged and on loopback', () => {
    const dev = resolveRendererTarget({
      indexHtml: INDEX,
      devUrl: 'http://localhost:5173/',
      isPackaged: false,
    })
    expect(dev).toEqual({
      kind: 'dev',
      url: 'http://localhost:5173/',
      origin: 'http://localhost:5173',
    })
    expect(
      resolveRendererTarget({
        indexHtml: INDEX,
        devUrl: 'http://localhost:5173/',
        isPackaged: true,
      }).kind,
    ).toBe('file')
    expect(
      resolveRendererTarget({
        indexHtml: INDEX,
        devUrl: 'https://evil.example/',
        isPackaged: false,
      }).kind,
    ).toBe('file')
    const win = createMainWindow({
      target: dev,
      preload: '/p.js',
      stateFile: join(dir, 's.json'),
    }) as unknown as FakeBrowserWindow
    expect(win.loadURL).toHaveBeenCalledWith('http://localhost:5173/')
  })

  it('installs the CSP header on every response, replacing any other', () => {
    open()
    const listener = defaultSession.headersListener
    expect(listener).toBeTypeOf('function')
    let out: Record<string, string[]> | undefined
    listener?.(
      { responseHeaders: { 'content-security-policy': ['default-src *'], 'X-Other': ['1'] } },
      (r) => {
        out = r.responseHeaders
      },
    )
    expect(out).toEqual({ 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] })
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'")
    expect(CONTENT_SECURITY_POLICY).toContain("style-src 'self' 'unsafe-inline'")
    expect(CONTENT_SECURITY_POLICY).toContain("connect-src 'self'")
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval')
    const dev = resolveRendererTarget({
      indexHtml: INDEX,
      devUrl: 'http://localhost:5173/',
      isPackaged: false,
    })
    expect(contentSecurityPolicy(dev)).toContain("connect-src 'self' ws://localhost:5173;")
    expect(contentSecurityPolicy(target)).toBe(CONTENT_SECURITY_POLICY)
  })

  it('denies window.open, passing only http(s) links to the OS browser', () => {
    const win = open()
    const handler = win.webContents.windowOpenHandler
    expect(handler?.({ url: 'https://github.com/nodedeck' })).toEqual({ action: 'deny' })
    expect(fakeShell.openExternal).toHaveBeenCalledWith('https://github.com/nodedeck')
    fakeShell.openExternal.mockClear()
    expect(handler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' })
    expect(handler?.({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' })
    expect(handler?.({ url: 'smb://host/share' })).toEqual({ action: 'deny' })
    expect(fakeShell.openExternal).not.toHaveBeenCalled()
  })

  it('blocks navigation away from the renderer, allows our own document', () => {
    const win = open()
    const away = fakeEvent({ url: 'https://evil.example/' })
    win.webContents.emit('will-navigate', away)
    expect(away.preventDefault).toHaveBeenCalled()
    expect(fakeShell.openExternal).toHaveBeenCalledWith('https://evil.example/')

    const file = fakeEvent({ url: 'file:///etc/passwd' })
    win.webContents.emit('will-navigate', file)
    expect(file.preventDefault).toHaveBeenCalled()

    const other = fakeEvent({ url: 'file:///app/out/renderer/other.html' })
    win.webContents.emit('will-navigate', other)
    expect(other.preventDefault).toHaveBeenCalled()

    const self = fakeEvent({ url: 'file:///app/out/renderer/index.html#/servers' })
    win.webContents.emit('will-navigate', self)
    expect(self.preventDefault).not.toHaveBeenCalled()

    const webview = fakeEvent({})
    win.webContents.emit('will-attach-webview', webview)
    expect(webview.preventDefault).toHaveBeenCalled()
  })

  it('grants only notifications (and clipboard writes), and only to our document', () => {
    open()
    const ask = (permission: string, requestingUrl: string) => {
      let granted: boolean | undefined
      defaultSession.requestHandler?.({}, permission, (ok) => (granted = ok), { requestingUrl })
      return granted
    }
    const us = 'file:///app/out/renderer/index.html'
    expect(ask('notifications', us)).toBe(true)
    expect(ask('clipboard-sanitized-write', us)).toBe(true)
    for (const p of [
      'media',
      'geolocation',
      'openExternal',
      'hid',
      'clipboard-read',
      'fullscreen',
    ]) {
      expect(ask(p, us)).toBe(false)
    }
    expect(ask('notifications', 'https://evil.example/')).toBe(false)
    expect(defaultSession.checkHandler?.({}, 'notifications')).toBe(true)
    expect(defaultSession.checkHandler?.({}, 'media')).toBe(false)
  })

  it('remembers its bounds', () => {
    const win = open()
    win.userClose()
    const saved = JSON.parse(readFileSync(join(dir, 'window-state.json'), 'utf8')) as unknown
    expect(saved).toEqual({ x: 10, y: 20, width: 1000, height: 700, maximized: false })
    const again = open()
    expect(again.options).toMatchObject({ x: 10, y: 20, width: 1000, height: 700 })
  })
})
