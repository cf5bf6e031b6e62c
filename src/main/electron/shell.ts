import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { BrowserWindow, Notification, app, ipcMain } from 'electron'
import type { EventPayload, Locale } from '../../shared/contract'
import type { CallContext } from '../../shared/rpc/dispatcher'
import type { Core, CoreDeps } from '../core/create-core'
import type { CredentialStore } from '../core/credentials/credential-store'
import { silentLogger, type Logger } from '../core/util/logger'
import { pickLocale } from './i18n'
import { createIpcBridge, type IpcBridge } from './ipc-bridge'
import { createNotificationSink, type NativeNotificationSink } from './notification-sink'
import { isRendererUrl, resolveRendererTarget } from './renderer-target'
import { createTray, type TrayController } from './tray'
import { createMainWindow } from './window'

/**
 * A running demo fleet (`src/main/demo/demo-fleet.ts`): emulators, its own throw-away data
 * directory and secret store, and the servers to add to the core once it exists.
 */
export interface DemoFleet {
  readonly dataDir: string
  readonly credentials: CredentialStore
  populate(core: Core): Promise<void>
  stop(): Promise<void>
}

/**
 * Starts the demo fleet. Injected by index.ts, which finds the implementation with
 * `import.meta.glob`, so the shell compiles and builds without it.
 */
export type DemoStarter = () => Promise<DemoFleet>

export interface ShellDeps {
  argv: readonly string[]
  paths: {
    /** `out/preload/index.js`. */
    preload: string
    /** `out/renderer/index.html`. */
    rendererIndex: string
    /** `resources/` (icons). */
    resources: string
  }
  /** `ELECTRON_RENDERER_URL` from `electron-vite dev`; ignored in a packaged app. */
  devServerUrl?: string | undefined
  createCore(deps: CoreDeps): Promise<Core>
  /** The OS keychain store (the demo brings its own). */
  createCredentials(): CredentialStore
  /** Present when the build contains the demo fleet. */
  startDemoFleet?: DemoStarter | null
  logger?: Logger
}

/** What startShell hands back (tests, and nothing else). */
export interface Shell {
  core: Core
  window: BrowserWindow
  tray: TrayController | null
  /** Stops everything; idempotent. Runs on `before-quit`. */
  shutdown(): Promise<void>
}

/** How long quitting waits for the core and the demo fleet before giving up. */
const STOP_TIMEOUT_MS = 5000

const SHELL_CONTEXT: CallContext = { connectionId: 'electron-shell' }

/**
 * The Electron shell: wires one core to one window, the tray, native notifications and the IPC
 * bridge, and nothing else (design.md §3.1). Resolves to null when another instance already
 * runs (that instance is asked to show itself and this one quits).
 */
export async function startShell(deps: ShellDeps): Promise<Shell | null> {
  const log = deps.logger ?? silentLogger
  const demo = deps.argv.includes('--demo')

  // The demo gets its own Electron profile (window state, renderer storage) under
  // userData/demo; as the lock is per profile, a demo can run beside the real app.
  if (demo) app.setPath('userData', join(app.getPath('userData'), 'demo'))
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return null
  }
  // Every renderer sandboxed, including any we did not create ourselves.
  app.enableSandbox()
  // Baseline for every webContents; our window then gets the full set (window.ts), which
  // replaces this open handler with one that passes http(s) links to the OS browser.
  app.on('web-contents-created', (_e, wc) => {
    wc.setWindowOpenHandler(() => ({ action: 'deny' }))
    wc.on('will-attach-webview', (event) => event.preventDefault())
  })

  await app.whenReady()
  if (process.platform === 'win32') app.setAppUserModelId('dev.nodedeck.app')

  let fleet: DemoFleet | null = null
  if (demo) {
    if (deps.startDemoFleet) fleet = await deps.startDemoFleet()
    else log.warn('--demo given, but this build has no demo fleet')
  }
  // The demo's config lives in the fleet's throw-away directory, its secrets in its own store:
  // the user's fleet is never touched.
  const dataDir = fleet ? fleet.dataDir : app.getPath('userData')
  mkdirSync(dataDir, { recursive: true })
  const credentials = fleet ? fleet.credentials : deps.createCredentials()

  let win: BrowserWindow | null = null
  let quitting = false
  const showWindow = () => {
    if (!win || win.isDestroyed()) return
    if (win.isMinimized()) win.restore()
    win.show()
    win.focus()
  }

  let locale: Locale = 'en-US'
  const systemLanguages = () => [...app.getPreferredSystemLanguages(), app.getLocale()]
  const icon = join(deps.paths.resources, 'icon.png')
  // Set once the core exists: tray and notification clicks ask every window to show a server.
  let focusServer = (_serverId: string) => showWindow()
  const sink: NativeNotificationSink = createNotificationSink({
    onClick: (notice) => focusServer(notice.serverId),
    locale: () => locale,
    icon,
  })

  const core = await deps.createCore({
    dataDir,
    credentials,
    host: 'electron',
    capabilities: { tray: true, nativeNotifications: Notification.isSupported(), saveDialog: true },
    sinks: [sink],
    demo,
    logger: log,
    version: app.getVersion(),
    validateOutput: !app.isPackaged,
  })
  focusServer = (serverId: string) => {
    showWindow()
    core.broadcast('ui.focusServer', { serverId })
  }
  if (fleet) await fleet.populate(core)
  const settings = await core.handlers['settings.get'](undefined, SHELL_CONTEXT)
  locale = pickLocale(settings.locale, systemLanguages())

  const target = resolveRendererTarget({
    indexHtml: deps.paths.rendererIndex,
    devUrl: deps.devServerUrl,
    isPackaged: app.isPackaged,
  })
  const bridge: IpcBridge = createIpcBridge({
    core,
    ipcMain,
    isRendererUrl: (url) => isRendererUrl(target, url),
    logger: log,
  })

  const mainWindow = createMainWindow({
    target,
    preload: deps.paths.preload,
    icon,
    stateFile: join(app.getPath('userData'), 'window-state.json'),
    logger: log,
  })
  win = mainWindow
  bridge.attach(mainWindow.webContents)

  let tray: TrayController | null = null
  // Subscribed before the list is read, so no status change can fall between the two.
  const unsubscribe = core.onEvent((name, payload) => {
    if (name === 'server.status') {
      tray?.setStatus(payload as EventPayload<'server.status'>)
    } else if (name === 'servers.changed') {
      tray?.setServers(payload as EventPayload<'servers.changed'>)
    } else if (name === 'settings.changed') {
      locale = pickLocale((payload as EventPayload<'settings.changed'>).locale, systemLanguages())
      tray?.setLocale(locale)
    }
  })

  try {
    tray = createTray({
      iconsDir: deps.paths.resources,
      locale,
      actions: {
        show: showWindow,
        focusServer: (serverId) => focusServer(serverId),
        refreshAll: () => {
          core.handlers['servers.refresh']({}, SHELL_CONTEXT).catch((err: unknown) =>
            log.warn('refresh from tray failed', { error: String(err) }),
          )
        },
        quit: () => app.quit(),
      },
    })
    const servers = await core.handlers['servers.list'](undefined, SHELL_CONTEXT)
    tray.setServers(servers)
  } catch (err) {
    // No tray (a desktop without a status area): closing the window then quits.
    log.warn('tray unavailable', { error: err instanceof Error ? err.message : String(err) })
    tray?.dispose()
    tray = null
  }

  // With a tray, closing the window only hides it: monitoring and notifications go on.
  mainWindow.on('close', (event) => {
    if (quitting || !tray) return
    event.preventDefault()
    mainWindow.hide()
  })
  app.on('second-instance', showWindow)
  app.on('activate', showWindow)
  app.on('window-all-closed', () => {
    if (!tray) app.quit()
  })

  let stopping: Promise<void> | null = null
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      unsubscribe()
      tray?.dispose()
      bridge.dispose()
      sink.dispose()
      let timer: ReturnType<typeof setTimeout> | undefined
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          log.warn('shutdown timed out', { afterMs: STOP_TIMEOUT_MS })
          resolve()
        }, STOP_TIMEOUT_MS)
      })
      const stops = [core.stop(), fleet ? fleet.stop() : Promise.resolve()].map((p) =>
        p.catch((err: unknown) => log.warn('stop failed', { error: String(err) })),
      )
      await Promise.race([Promise.all(stops), timeout])
      clearTimeout(timer)
    })()
    return stopping
  }
  let stopped = false
  app.on('before-quit', (event) => {
    quitting = true
    if (stopped) return
    event.preventDefault()
    void shutdown().finally(() => {
      stopped = true
      app.quit()
    })
  })

  core.start()
  return { core, window: mainWindow, tray, shutdown }
}
