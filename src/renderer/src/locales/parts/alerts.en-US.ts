/** Alerts: the notices centre, the Alerts tab (history, mute, quiet hours). The zh-CN schema. */
const alertsEnUS = {
  tab: 'Alerts',
  kinds: {
    offline: '{server} is offline',
    recovered: '{server} is back online',
    auth_failed: '{server}: authentication failed',
    tls_failed: '{server}: TLS failed',
    degraded: '{server} is degraded',
    flapping: '{server} changed state {n} more times in {min} min; now {state}',
    quiet_summary:
      'Quiet hours ended: {n} server is still down | Quiet hours ended: {n} server is still down | Quiet hours ended: {n} servers are still down',
  },
  group: {
    offline: '{n} servers offline',
    auth_failed: '{n} servers failing authentication',
    tls_failed: '{n} servers failing TLS',
    down: '{n} servers down',
    up: '{n} servers back online',
    inGroup: '{title} — {count} in group {group}',
  },
  flapBody: 'Notifications for this server are limited to {limit} per {min} minutes.',
  more: '… and {n} more',
  kindNames: {
    offline: 'Offline',
    recovered: 'Recovered',
    auth_failed: 'Authentication failed',
    tls_failed: 'TLS failed',
    degraded: 'Degraded',
    group: 'Grouped',
    flapping: 'Flapping summary',
    quiet_summary: 'Quiet hours summary',
  },
  flags: {
    muted: 'muted',
    quiet: 'quiet hours',
    suppressed: 'held back',
  },
  centre: {
    showServers: 'Show the servers',
    hideServers: 'Hide the servers',
    viewAll: 'All alerts',
  },
  history: {
    title: 'Alert history',
    intro:
      'Every alert NodeDeck raised, newest first, kept across restarts (the last 1,000). Muted servers, quiet hours and the flap limit keep popups away, never entries from this list.',
    filterServer: 'All servers',
    filterKind: 'All kinds',
    empty: 'No alerts yet.',
    clear: 'Clear history',
    clearConfirm: 'Delete every alert in the history? This cannot be undone.',
    columns: {
      time: 'Time',
      alert: 'Alert',
      details: 'Details',
    },
    loadError: 'NodeDeck could not read the alert history: {message}',
  },
  settings: {
    title: 'Alert settings',
    desktop: 'Desktop notifications',
    desktopNative: 'NodeDeck shows system notifications for new alerts.',
    desktopGranted: 'This browser shows desktop notifications for new alerts.',
    desktopAsk: 'Allow desktop notifications',
    desktopDenied:
      'The browser blocks notifications for this page; allow them in the site settings.',
    desktopUnsupported: 'This browser cannot show desktop notifications.',
    quiet: 'Quiet hours',
    quietHelp:
      'During quiet hours alerts go to the list only, with no popup. When they end, one notice says which servers are still down.',
    from: 'From',
    to: 'to',
    days: 'On',
    everyDay: 'every day',
    dayNames: {
      d0: 'Sun',
      d1: 'Mon',
      d2: 'Tue',
      d3: 'Wed',
      d4: 'Thu',
      d5: 'Fri',
      d6: 'Sat',
    },
    quietNow: 'Quiet hours are on now.',
    muted: 'Muted servers',
    mutedHelp:
      'A muted server’s changes are recorded here, marked muted, without a popup or an unread mark.',
    mutedNone: 'No server is muted.',
    addMuted: 'Mute a server…',
    unmute: 'Unmute',
    saved: 'Alert settings saved',
  },
  mute: 'Mute alerts',
  unmuteServer: 'Unmute alerts',
  mutedTag: 'Alerts muted',
}

export default alertsEnUS
