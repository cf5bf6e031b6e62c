import {
  BrowserWindow,
  screen,
  shell,
  type Session,
  type WebContents,
  type WebPreferences,
} from 'electron'
import type { Logger } from '../core/util/logger'
import { isExternalWebUrl, isRendererUrl, type RendererTarget } from './renderer-target'
import { loadWindowState, saveWindowState, type WindowState } from './window-state'

/**
 * The Content-Security-Policy of every document the session loads. The built renderer carries
 * the same policy in a `<meta>` tag, because `webRequest` does not see `file:` loads.
 * Scripts only from our bundle; inline styles are allowed (naive-ui injects them); images may be
 * data URLs (QR codes); the page talks to nothing but itself (all network I/O is in the core).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
].join('; ')

/** The policy for a target: the dev server additionally needs its HMR WebSocket. */
export function contentSecurityPolicy(target: RendererTarget): string {
  if (target.kind !== 'dev') return CONTENT_SECURITY_POLICY
  const ws = target.origin.replace(/^http/, 'ws')
  return CONTENT_SECURITY_POLICY.replace("connect-src 'self'", `connect-src 'self' ${ws}`)
}

/**
 * Web permissions the renderer may get. Everything else (camera, geolocation, HID, …) is refused.
 * `clipboard-sanitized-write` lets "Copy" buttons use `navigator.clipboard.writeText`; it only
 * writes sanitized data and never reads.
 */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set([
  'notifications',
  'clipboard-sanitized-write',
])

/**
 * The renderer's web preferences: isolated, sandboxed, no Node, web security on
 * (design.md §3.2, Electron's security checklist). Asserted by window.test.ts.
 */
export function secureWebPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
  }
}

/** Replaces any CSP header of a response with ours. */
function withCsp(
  headers: Record<string, string[]> | undefined,
  policy: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (k.toLowerCase() !== 'content-security-policy') out[k] = v
  }
  out['Content-Security-Policy'] = [policy]
  return out
}

/**
 * Session-wide guards: our CSP on every response, and a permission policy that grants only
 * {@link ALLOWED_PERMISSIONS}, and only to our own renderer document.
 */
export function installSessionSecurity(session: Session, target: RendererTarget): void {
  const policy = contentSecurityPolicy(target)
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: withCsp(details.responseHeaders, policy) })
  })
  session.setPermissionRequestHandler((_wc, permission, callback, details) => {
    const fromUs = isRendererUrl(target, details.requestingUrl)
    callback(fromUs && ALLOWED_PERMISSIONS.has(permission))
  })
  session.setPermissionCheckHandler((_wc, permission) => ALLOWED_PERMISSIONS.has(permission))
}

/**
 * Per-webContents guards: no new windows (http(s) links go to the OS browser instead), no
 * navigation away from the renderer, no `<webview>`.
 */
export function hardenWebContents(
  wc: WebContents,
  target: RendererTarget,
  openExternal: (url: string) => void,
  logger?: Logger,
): void {
  wc.setWindowOpenHandler(({ url }) => {
    if (isExternalWebUrl(url)) openExternal(url)
    else logger?.warn('window.open refused', { url })
    return { action: 'deny' }
  })
  wc.on('will-navigate', (event) => {
    const url = event.url
    if (isRendererUrl(target, url)) return
    event.preventDefault()
    if (isExternalWebUrl(url)) openExternal(url)
    else logger?.warn('navigation refused', { url })
  })
  wc.on('will-attach-webview', (event) => {
    event.preventDefault()
  })
}

/** Opens a URL in the OS browser, only if it is http(s). */
export function openExternalSafely(url: string, logger?: Logger): void {
  if (!isExternalWebUrl(url)) return
  shell.openExternal(url).catch((err: unknown) => {
    logger?.warn('openExternal failed', { error: err instanceof Error ? err.message : String(err) })
  })
}

export interface MainWindowOptions {
  target: RendererTarget
  /** Absolute path of `out/preload/index.js`. */
  preload: string
  /** Window icon (Linux, Windows); macOS takes the bundle's. */
  icon?: string
  /** Where the window geometry is remembered (`window-state.json` in userData). */
  stateFile: string
  logger?: Logger
  /** Defaults to {@link openExternalSafely}. */
  openExternal?: (url: string) => void
}

/**
 * Creates the main window: hardened, shown when ready, at the remembered place and size, and
 * loading the built renderer (or the dev server in development).
 */
export function createMainWindow(opts: MainWindowOptions): BrowserWindow {
  const areas = screen.getAllDisplays().map((d) => d.workArea)
  const state = loadWindowState(opts.stateFile, areas)
  const win = new BrowserWindow({
    x: state.x,
    y: state.y,
    width: state.width,
    height: state.height,
    minWidth: 720,
    minHeight: 480,
    show: false,
    title: 'NodeDeck',
    icon: opts.icon,
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(opts.preload),
  })
  if (state.maximized) win.maximize()

  const openExternal = opts.openExternal ?? ((url: string) => openExternalSafely(url, opts.logger))
  installSessionSecurity(win.webContents.session, opts.target)
  hardenWebContents(win.webContents, opts.target, openExternal, opts.logger)
  trackWindowState(win, opts.stateFile)

  win.once('ready-to-show', () => win.show())
  const loading =
    opts.target.kind === 'dev' ? win.loadURL(opts.target.url) : win.loadFile(opts.target.indexHtml)
  loading.catch((err: unknown) => {
    opts.logger?.error('renderer failed to load', {
      error: err instanceof Error ? err.message : String(err),
    })
  })
  return win
}

/** Saves the geometry shortly after each move/resize and when the window closes. */
function trackWindowState(win: BrowserWindow, file: string): void {
  let timer: ReturnType<typeof setTimeout> | undefined
  const snapshot = (): WindowState => {
    const b = win.getNormalBounds()
    return { x: b.x, y: b.y, width: b.width, height: b.height, maximized: win.isMaximized() }
  }
  const saveSoon = () => {
    if (timer) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = undefined
      if (!win.isDestroyed()) saveWindowState(file, snapshot())
    }, 500)
  }
  win.on('resize', saveSoon)
  win.on('move', saveSoon)
  win.on('maximize', saveSoon)
  win.on('unmaximize', saveSoon)
  win.on('close', () => {
    if (timer) clearTimeout(timer)
    timer = undefined
    saveWindowState(file, snapshot())
  })
}
