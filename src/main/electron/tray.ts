import { join } from 'node:path'
import {
  Menu,
  Tray,
  nativeImage,
  type MenuItemConstructorOptions,
  type NativeImage,
} from 'electron'
import type { HealthState, Locale } from '../../shared/contract'
import { isDown } from '../core/monitor/health'
import { stringsFor, type ShellStrings } from './i18n'

/** The three tray pictures (resources/tray-<state>-<size>.png, drawn by scripts/make-icons.mjs). */
export type TrayIconState = 'normal' | 'offline' | 'unknown'

/** What the tray knows of one server. */
export interface TrayServer {
  id: string
  name: string
  state: HealthState
}

export interface TrayCounts {
  online: number
  degraded: number
  /** Offline, failing authentication or failing TLS. */
  down: number
  unknown: number
}

/**
 * Counts states and picks the icon: red if any server is down (offline, auth or TLS failed),
 * grey while no server has a known state (none configured, or all still unknown), else normal.
 */
export function summarize(servers: Iterable<TrayServer>): {
  counts: TrayCounts
  icon: TrayIconState
} {
  const counts: TrayCounts = { online: 0, degraded: 0, down: 0, unknown: 0 }
  for (const s of servers) {
    if (s.state === 'online') counts.online++
    else if (s.state === 'degraded') counts.degraded++
    else if (isDown(s.state)) counts.down++
    else counts.unknown++
  }
  const known = counts.online + counts.degraded + counts.down
  const icon: TrayIconState = counts.down > 0 ? 'offline' : known === 0 ? 'unknown' : 'normal'
  return { counts, icon }
}

/**
 * The icon file for a state. Windows and macOS trays are 16 pt and pick `@2x` beside the file
 * on HiDPI; Linux panels are larger and do not look for `@2x`, so they get the 32 px one.
 */
export function trayIconPath(dir: string, state: TrayIconState, platform: NodeJS.Platform): string {
  return join(dir, `tray-${state}-${platform === 'linux' ? 32 : 16}.png`)
}

/** What the tray menu can ask the shell to do. */
export interface TrayActions {
  show(): void
  /** Shows the window for one server (today: just shows the window; see the shell's report). */
  focusServer(serverId: string): void
  refreshAll(): void
  quit(): void
}

export interface TrayOptions {
  /** The resources directory holding the tray PNGs. */
  iconsDir: string
  locale: Locale
  actions: TrayActions
  platform?: NodeJS.Platform
  /** The menu is rebuilt at most once per this many ms (default 1000). */
  menuIntervalMs?: number
  /** Servers listed in the menu before "… and N more" (default 25). */
  maxMenuServers?: number
}

export interface TrayController {
  /** Replaces the server list (from `servers.list` / the `servers.changed` event). */
  setServers(
    servers: ReadonlyArray<{ id: string; name: string; status: { state: HealthState } }>,
  ): void
  /** Applies one `server.status` event; unknown ids are ignored until listed. */
  setStatus(status: { serverId: string; state: HealthState }): void
  setLocale(locale: Locale): void
  /** The icon currently shown. */
  readonly icon: TrayIconState
  /** The tooltip currently shown. */
  readonly tooltip: string
  dispose(): void
}

/** Windows reads `&` in menu labels as a mnemonic marker; server names are shown literally. */
function menuLabel(text: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? text.replace(/&/g, '&&') : text
}

/**
 * The tray: an icon whose colour is the fleet's health, a tooltip with the counts, and a menu
 * saying how many servers are down, listing every server (down ones first) with its state, plus
 * Show / Refresh all / Quit. State comes only from core
 * events, so the tray, the notifications and every window agree (design.md §2.4). Icon and
 * tooltip follow each event at once; the menu is rebuilt at most once a second, because a
 * fleet-wide outage produces a burst of status events.
 */
export function createTray(opts: TrayOptions): TrayController {
  const platform = opts.platform ?? process.platform
  const interval = opts.menuIntervalMs ?? 1000
  const maxServers = opts.maxMenuServers ?? 25
  let strings: ShellStrings = stringsFor(opts.locale)
  const servers = new Map<string, TrayServer>()
  const images = new Map<TrayIconState, NativeImage>()
  const image = (state: TrayIconState): NativeImage => {
    let img = images.get(state)
    if (!img) {
      img = nativeImage.createFromPath(trayIconPath(opts.iconsDir, state, platform))
      images.set(state, img)
    }
    return img
  }

  let icon: TrayIconState = 'unknown'
  let tooltip = strings.noServers
  const tray = new Tray(image(icon))
  tray.setToolTip(tooltip)
  tray.on('click', () => opts.actions.show())

  let disposed = false
  let lastMenuAt = Number.NEGATIVE_INFINITY
  let menuTimer: ReturnType<typeof setTimeout> | undefined

  const buildMenu = () => {
    if (disposed) return
    lastMenuAt = Date.now()
    const items: MenuItemConstructorOptions[] = []
    // Down servers first, so a long list never hides them behind "… and N more".
    const all = [...servers.values()]
    const downList = all.filter((s) => isDown(s.state))
    const list = [...downList, ...all.filter((s) => !isDown(s.state))]
    const down = downList.length
    if (down > 0) {
      items.push(
        { label: strings.downCount(down), click: () => opts.actions.show() },
        { type: 'separator' },
      )
    }
    for (const s of list.slice(0, maxServers)) {
      items.push({
        label: menuLabel(`${s.name} — ${strings.state[s.state]}`, platform),
        click: () => opts.actions.focusServer(s.id),
      })
    }
    if (list.length > maxServers) {
      items.push({
        label: strings.more(list.length - maxServers),
        click: () => opts.actions.show(),
      })
    }
    if (list.length > 0) items.push({ type: 'separator' })
    items.push(
      { label: strings.show, click: () => opts.actions.show() },
      {
        label: strings.refreshAll,
        enabled: list.length > 0,
        click: () => opts.actions.refreshAll(),
      },
      { type: 'separator' },
      { label: strings.quit, click: () => opts.actions.quit() },
    )
    tray.setContextMenu(Menu.buildFromTemplate(items))
  }

  const scheduleMenu = () => {
    if (disposed || menuTimer !== undefined) return
    const wait = lastMenuAt + interval - Date.now()
    if (wait <= 0) {
      buildMenu()
      return
    }
    menuTimer = setTimeout(() => {
      menuTimer = undefined
      buildMenu()
    }, wait)
  }

  const refresh = () => {
    if (disposed) return
    const { counts, icon: next } = summarize(servers.values())
    if (next !== icon) {
      icon = next
      tray.setImage(image(icon))
    }
    const text = servers.size === 0 ? strings.noServers : strings.summary(counts)
    if (text !== tooltip) {
      tooltip = text
      tray.setToolTip(tooltip)
    }
    scheduleMenu()
  }

  buildMenu()

  return {
    setServers(list) {
      servers.clear()
      for (const s of list) servers.set(s.id, { id: s.id, name: s.name, state: s.status.state })
      refresh()
    },
    setStatus(status) {
      const s = servers.get(status.serverId)
      if (!s || s.state === status.state) return
      s.state = status.state
      refresh()
    },
    setLocale(locale) {
      strings = stringsFor(locale)
      tooltip = ''
      refresh()
    },
    get icon() {
      return icon
    },
    get tooltip() {
      return tooltip
    },
    dispose() {
      if (disposed) return
      disposed = true
      if (menuTimer !== undefined) clearTimeout(menuTimer)
      tray.destroy()
    },
  }
}
