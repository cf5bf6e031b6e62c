import type { HealthState, Locale, Notice } from '../../shared/contract'

/**
 * The few strings the shell itself shows (tray, its menu, native notifications). The renderer
 * has its own, complete locale files; these stay deliberately small.
 */
export interface ShellStrings {
  appName: string
  /** Tooltip: "NodeDeck — 3 online, 1 offline". */
  summary(counts: { online: number; degraded: number; offline: number; unknown: number }): string
  noServers: string
  state: Record<HealthState, string>
  /** "… and 4 more" at the end of a long server list. */
  more(count: number): string
  show: string
  refreshAll: string
  quit: string
  notice: Record<Notice['kind'], (serverName: string) => string>
}

const EN: ShellStrings = {
  appName: 'NodeDeck',
  summary({ online, degraded, offline, unknown }) {
    const parts = [`${online} online`]
    if (degraded > 0) parts.push(`${degraded} degraded`)
    parts.push(`${offline} offline`)
    if (unknown > 0) parts.push(`${unknown} checking`)
    return `NodeDeck — ${parts.join(', ')}`
  },
  noServers: 'NodeDeck — no servers yet',
  state: {
    unknown: 'checking…',
    online: 'online',
    degraded: 'degraded',
    offline: 'offline',
    auth_failed: 'authentication failed',
  },
  more: (count) => `… and ${count} more`,
  show: 'Show NodeDeck',
  refreshAll: 'Refresh all',
  quit: 'Quit NodeDeck',
  notice: {
    offline: (name) => `${name} is offline`,
    recovered: (name) => `${name} is back online`,
    auth_failed: (name) => `${name}: authentication failed`,
    degraded: (name) => `${name} is degraded`,
  },
}

const ZH_CN: ShellStrings = {
  appName: 'NodeDeck',
  summary({ online, degraded, offline, unknown }) {
    const parts = [`${online} 台在线`]
    if (degraded > 0) parts.push(`${degraded} 台降级`)
    parts.push(`${offline} 台离线`)
    if (unknown > 0) parts.push(`${unknown} 台检测中`)
    return `NodeDeck — ${parts.join('，')}`
  },
  noServers: 'NodeDeck — 尚未添加服务器',
  state: {
    unknown: '检测中…',
    online: '在线',
    degraded: '降级',
    offline: '离线',
    auth_failed: '认证失败',
  },
  more: (count) => `… 还有 ${count} 台`,
  show: '显示 NodeDeck',
  refreshAll: '全部刷新',
  quit: '退出 NodeDeck',
  notice: {
    offline: (name) => `${name} 已离线`,
    recovered: (name) => `${name} 已恢复在线`,
    auth_failed: (name) => `${name}：认证失败`,
    degraded: (name) => `${name} 服务降级`,
  },
}

const TABLE: Record<Locale, ShellStrings> = { 'en-US': EN, 'zh-CN': ZH_CN }

/**
 * The locale of the shell: the user's setting when set, else the first system language
 * NodeDeck has (any `zh*` counts as zh-CN), else English.
 */
export function pickLocale(setting: Locale | null, systemLanguages: readonly string[]): Locale {
  if (setting) return setting
  for (const lang of systemLanguages) {
    const l = lang.toLowerCase()
    if (l.startsWith('zh')) return 'zh-CN'
    if (l.startsWith('en')) return 'en-US'
  }
  return 'en-US'
}

/** The strings of a locale. */
export function stringsFor(locale: Locale): ShellStrings {
  return TABLE[locale]
}
