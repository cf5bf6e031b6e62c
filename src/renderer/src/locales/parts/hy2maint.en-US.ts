/** HY2 SCALE maintenance tab (English; the schema of the zh-CN part). */
const hy2maintEnUS = {
  tab: 'Maintenance',
  stream: {
    connecting: 'connecting',
    live: 'live',
    reconnecting: 'reconnecting',
    failed: 'failed',
  },
  settings: {
    title: 'Web UI settings',
    sessionTimeout: 'Session timeout (hours)',
    dns: 'DNS servers',
    dnsHint: 'Comma-separated, e.g. 8.8.8.8,1.1.1.1',
    listen: 'Listen address',
    basePath: 'Base path',
    restartHint:
      'Listen address and base path only apply after the node restarts. If you change them, update this server’s URL in NodeDeck too.',
    saved: 'Settings saved: {note}',
    savedRestart: 'Saved. The node must restart for the listen address or base path to apply.',
  },
  password: {
    title: 'Admin login',
    current: 'Current password',
    next: 'New password',
    confirm: 'Repeat the new password',
    username: 'New user name (optional)',
    mismatch: 'The two new passwords differ.',
    tooShort: 'Use at least 6 characters.',
    submit: 'Change password',
    changed:
      'The admin login was changed and stored in the keychain; every other session on the node ended.',
  },
  backup: {
    title: 'Backup and restore',
    hint: 'The backup holds the node’s whole configuration, including every password and TLS private key. Keep it safe.',
    download: 'Download backup',
    downloaded: 'Saved {name}',
    restore: 'Restore from a file…',
    tooBig: 'The file is larger than 50 MB; the node refuses it.',
    confirmTitle: 'Restore this backup?',
    confirmBody:
      'The node replaces its whole configuration with {name} and restarts right away. Every session ends: all admin logins, and all users connected through the node, are disconnected until it is back.',
    confirmOk: 'Restore and restart',
    restored: 'Backup restored; the node is restarting.',
    reconnecting: 'The node is restarting — reconnecting…',
    back: 'The node is back online.',
  },
  about: {
    title: 'Build',
    version: 'Version',
    license: 'License',
    repository: 'Repository',
    goDeps: 'Go dependencies',
    natives: 'Native components',
    system: 'System',
    docker: 'Docker',
    yes: 'yes',
    no: 'no',
  },
  upgrade: {
    title: 'Upgrade',
    check: 'Check for updates',
    current: 'Current',
    latest: 'Latest',
    available: 'Version {name} is available.',
    upToDate: 'The node runs the latest version.',
    notDocker:
      'Upgrades from NodeDeck work only for nodes running in Docker. Upgrade this node on its host.',
    download: 'Download',
    apply: 'Install and restart',
    confirmTitle: 'Install the update?',
    confirmBody:
      'The node installs version {name} and restarts. Every session ends until it is back.',
    progress: 'Progress',
    state: 'State: {name}',
    stream: 'Live progress',
  },
}

export type Hy2MaintMessages = typeof hy2maintEnUS
export default hy2maintEnUS
