import type { HealthState, Locale, Notice, NoticeKind } from '../../shared/contract'

/**
 * The few strings the shell itself shows (tray, its menu, native notifications). The renderer
 * has its own, complete locale files; these stay deliberately small.
 */
export interface ShellStrings {
  appName: string
  /** Tooltip: "NodeDeck — 3 online, 1 down" (down = offline, auth failed or TLS failed). */
  summary(counts: { online: number; degraded: number; down: number; unknown: number }): string
  noServers: string
  state: Record<HealthState, string>
  /** The tray menu's first line while servers are down: "2 servers down". */
  downCount(count: number): string
  /** "… and 4 more" at the end of a long server list. */
  more(count: number): string
  show: string
  refreshAll: string
  quit: string
  /** The title of a native notification, per kind. */
  notice: Record<NoticeKind, (n: Notice) => string>
  /** The body of a flapping summary (the core's text is English). */
  flapBody(max: number, minutes: number): string
}

const EN_GROUP_STATE: Partial<Record<HealthState, string>> = {
  offline: 'offline',
  auth_failed: 'failing authentication',
  tls_failed: 'failing TLS',
}

const EN: ShellStrings = {
  appName: 'NodeDeck',
  summary({ online, degraded, down, unknown }) {
    const parts = [`${online} online`]
    if (degraded > 0) parts.push(`${degraded} degraded`)
    parts.push(`${down} down`)
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
    tls_failed: 'TLS failed',
  },
  downCount: (count) => (count === 1 ? '1 server down' : `${count} servers down`),
  more: (count) => `… and ${count} more`,
  show: 'Show NodeDeck',
  refreshAll: 'Refresh all',
  quit: 'Quit NodeDeck',
  notice: {
    offline: (n) => `${n.serverName} is offline`,
    recovered: (n) => `${n.serverName} is back online`,
    auth_failed: (n) => `${n.serverName}: authentication failed`,
    degraded: (n) => `${n.serverName} is degraded`,
    tls_failed: (n) => `${n.serverName}: TLS failed`,
    group: (n) => {
      const what =
        n.state === 'online' || n.state === 'degraded'
          ? 'back online'
          : n.state
            ? EN_GROUP_STATE[n.state]
            : 'down'
      const where = n.group ? ` — ${n.groupCount ?? 0} in group ${n.group}` : ''
      return `${n.count ?? 0} servers ${what}${where}`
    },
    flapping: (n) =>
      `${n.serverName} changed state ${n.count ?? 0} more times in ${n.windowMin ?? 10} min; now ${n.state ? EN.state[n.state] : 'unknown'}`,
    quiet_summary: (n) =>
      `Quiet hours ended: ${n.count ?? 0} ${n.count === 1 ? 'server is' : 'servers are'} still down`,
  },
  flapBody: (max, minutes) =>
    `Notifications for this server are limited to ${max} per ${minutes} minutes.`,
}

const ZH_GROUP_STATE: Partial<Record<HealthState, string>> = {
  offline: '离线',
  auth_failed: '认证失败',
  tls_failed: 'TLS 失败',
}

const ZH_CN: ShellStrings = {
  appName: 'NodeDeck',
  summary({ online, degraded, down, unknown }) {
    const parts = [`${online} 台在线`]
    if (degraded > 0) parts.push(`${degraded} 台降级`)
    parts.push(`${down} 台不可用`)
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
    tls_failed: 'TLS 失败',
  },
  downCount: (count) => `${count} 台服务器不可用`,
  more: (count) => `… 还有 ${count} 台`,
  show: '显示 NodeDeck',
  refreshAll: '全部刷新',
  quit: '退出 NodeDeck',
  notice: {
    offline: (n) => `${n.serverName} 已离线`,
    recovered: (n) => `${n.serverName} 已恢复在线`,
    auth_failed: (n) => `${n.serverName}：认证失败`,
    degraded: (n) => `${n.serverName} 服务降级`,
    tls_failed: (n) => `${n.serverName}：TLS 失败`,
    group: (n) => {
      const what =
        n.state === 'online' || n.state === 'degraded'
          ? '已恢复在线'
          : n.state
            ? ZH_GROUP_STATE[n.state]
            : '不可用'
      const where = n.group ? `（其中 ${n.groupCount ?? 0} 台在分组 ${n.group}）` : ''
      return `${n.count ?? 0} 台服务器${what}${where}`
    },
    flapping: (n) =>
      `${n.serverName} 在 ${n.windowMin ?? 10} 分钟内又变化了 ${n.count ?? 0} 次；当前：${n.state ? ZH_CN.state[n.state] : '未知'}`,
    quiet_summary: (n) => `免打扰时段结束：仍有 ${n.count ?? 0} 台服务器不可用`,
  },
  flapBody: (max, minutes) => `此服务器的通知限制为每 ${minutes} 分钟最多 ${max} 条。`,
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
