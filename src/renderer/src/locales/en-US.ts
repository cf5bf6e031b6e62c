/**
 * English messages: the schema every other locale must satisfy (`MessageSchema`).
 * vue-i18n syntax: `{name}` is a placeholder, `|` separates plural forms; `@` and `$` are
 * avoided because they have meanings of their own.
 */
const enUS = {
  app: {
    name: 'NodeDeck',
  },
  common: {
    cancel: 'Cancel',
    close: 'Close',
    save: 'Save',
    add: 'Add',
    edit: 'Edit',
    remove: 'Remove',
    refresh: 'Refresh',
    unknown: 'unknown',
    loading: 'Loading…',
  },
  header: {
    language: 'Language',
    theme: 'Theme',
  },
  theme: {
    light: 'Light',
    dark: 'Dark',
    system: 'System',
  },
  banner: {
    demo: 'Demo mode: the servers are local emulators with made-up traffic. Nothing you do here touches a real server.',
    keychainTitle: 'The system keychain is unreachable',
    keychain:
      'NodeDeck cannot read or store server secrets. Servers that need a secret will fail to authenticate. {message}',
    configTitle: 'The configuration file had a problem',
    connectionLost: 'Connection to NodeDeck lost — reconnecting',
    connecting: 'Connecting to NodeDeck…',
    retryIn: 'Next attempt in {n} s.',
    reconnectNow: 'Reconnect now',
    restartHint:
      'If NodeDeck was restarted, open the new address it printed: the access token changes on every start.',
    rejectedTitle: 'NodeDeck refused this page',
    rejected:
      'The access token of this page is not valid (NodeDeck was probably restarted). Open the address NodeDeck printed when it started.',
  },
  noToken: {
    title: 'Open the address NodeDeck printed',
    body: 'This page needs the access token that NodeDeck prints when it starts its browser host: an address that ends in #token= followed by a long code. Copy that whole address into the address bar.',
    hint: 'The token protects your servers from other programs on this computer. It changes every time NodeDeck starts.',
  },
  notices: {
    title: 'Notifications',
    empty: 'No notifications',
    markRead: 'Mark all as read',
    enableDesktop: 'Show desktop notifications',
    desktopDenied: 'The browser blocks desktop notifications for this page.',
    kinds: {
      offline: '{server} is offline',
      recovered: '{server} is back online',
      auth_failed: '{server}: authentication failed',
      degraded: '{server} is degraded',
    },
  },
  state: {
    online: 'online',
    degraded: 'degraded',
    offline: 'offline',
    auth_failed: 'auth failed',
    unknown: 'unknown',
  },
  sidebar: {
    filter: 'Filter servers',
    add: 'Add server',
    ungrouped: 'Ungrouped',
    empty: 'No servers yet.',
    noMatch: 'No server matches the filter.',
  },
  tabs: {
    fleet: 'Fleet',
  },
  fleet: {
    empty: 'No servers yet. Add one to start monitoring it.',
    total: 'Servers',
    columns: {
      name: 'Name',
      kind: 'Kind',
      group: 'Group',
      state: 'State',
      latency: 'Latency',
      lastCheck: 'Last check',
      reason: 'Reason',
    },
  },
  server: {
    kind: 'Kind',
    url: 'URL',
    latency: 'Latency',
    lastCheck: 'Last check',
    stateFor: 'for {t}',
    pending: 'checking…: {state}?',
    refresh: 'Refresh',
    edit: 'Edit',
    remove: 'Remove',
    gone: 'This server no longer exists.',
    noPanel: 'NodeDeck shows only the health of this kind of server.',
  },
  time: {
    justNow: 'just now',
    seconds: '{n} s',
    minutes: '{n} min',
    hours: '{n} h',
    days: '{n} d',
    ago: '{t} ago',
    never: 'never',
  },
  dialog: {
    addTitle: 'Add server',
    editTitle: 'Edit {name}',
    fields: {
      kind: 'Kind',
      name: 'Name',
      url: 'URL',
      group: 'Group',
      tags: 'Tags',
      pollInterval: 'Poll interval (seconds)',
      secret: 'Secret',
    },
    placeholders: {
      name: 'e.g. Tokyo 1',
      group: 'e.g. Asia',
      tags: 'Add a tag',
      secret: 'Secret (optional)',
      secretKeep: 'Leave empty to keep the stored secret',
    },
    secretStored: 'A secret is stored in the system keychain.',
    secretNotStored: 'No secret is stored for this server.',
    secretUnknown: 'Cannot tell whether a secret is stored: the keychain is unreachable.',
    removeSecret: 'Remove the stored secret',
    secretHidden: 'Secrets are kept in the system keychain and are never shown again.',
    clearOnRead: 'Clear counters on read',
    clearOnReadWarning:
      'NodeDeck will read the counters with clear=1, so the server resets them on every read. Only one program may do this: two clearers steal each other’s traffic deltas. Totals then count from when NodeDeck started, not from the server’s start.',
    test: 'Test connection',
    testLatency: '{ms} ms',
    required: 'Required',
    invalidUrl: 'Enter an http:// or https:// address without user name, password, query or #.',
    added: 'Added {name}',
    saved: 'Saved {name}',
    help: 'Help',
  },
  kinds: {
    hysteria2: {
      summary:
        'Hysteria 2 servers are read through their Traffic Stats API: traffic and online devices per user, live TCP streams, and kicking users.',
      url: 'URL: the address of the Traffic Stats API, trafficStats.listen in the server’s config YAML, e.g. http://IP:9999. It speaks plain HTTP (no TLS), so use it over a trusted network or a tunnel.',
      secret:
        'Secret: trafficStats.secret from the same YAML. NodeDeck sends it unchanged as the Authorization header (no “Bearer”). Leave it empty if the server has no secret.',
      disabled:
        'If trafficStats.listen is empty the API is off: add it to the YAML and restart Hysteria.',
    },
  },
  remove: {
    title: 'Remove {name}?',
    body: 'NodeDeck stops monitoring {name} and deletes its secret from the system keychain. The server itself is not changed.',
    confirm: 'Remove server',
    done: 'Removed {name}',
  },
  hy2: {
    tabs: {
      users: 'Users',
      streams: 'Streams',
    },
    totals: {
      onlineUsers: 'Online users',
      devices: 'Devices',
      totalUp: 'Total upload',
      totalDown: 'Total download',
      upRate: 'Upload rate',
      downRate: 'Download rate',
    },
    users: {
      filter: 'Filter users',
      columns: {
        name: 'User',
        online: 'Online (devices)',
        up: 'Upload',
        down: 'Download',
        upRate: 'Up rate',
        downRate: 'Down rate',
        actions: 'Actions',
      },
      offline: 'offline',
      devices: 'no devices | {n} device | {n} devices',
      kick: 'Kick',
      kickSelected: 'Kick selected ({n})',
      reset: 'reset',
      resetTip:
        'The counters went backwards since the last reading: the server restarted or someone cleared them. Rates restart from the next reading.',
      empty: 'No users yet: the server lists a user once they have moved traffic.',
      shown: '{shown} of {total} users',
      waiting: 'Waiting for the first reading…',
    },
    notes: {
      stale: 'Stale — last reading {age}',
      staleNever: 'No reading yet',
      serverReset: 'Counters were reset (server restart or another client cleared them).',
      countingSince:
        'Counting since {time}: counters are cleared on read, so totals are what NodeDeck has seen since then.',
    },
    kick: {
      title: 'Kick {n} user? | Kick {n} user? | Kick {n} users?',
      how: 'How Hysteria kicks',
      lazy: 'Kicking is lazy and per connection: each kick closes ONE device connection of the user, when that device next sends or receives data.',
      idle: 'Idle devices stay connected until they move data. A user with two devices needs two kicks.',
      reconnect:
        'Clients reconnect automatically unless the user is also blocked in the auth backend.',
      confirm: 'Kick',
      done: 'Kick sent for {n} user. | Kick sent for {n} user. | Kick sent for {n} users.',
    },
    streams: {
      filter: 'Filter streams',
      autoRefresh: 'Refreshes every 5 s',
      updated: 'Updated {age}',
      empty: 'No TCP streams right now (UDP is never listed).',
      columns: {
        user: 'User',
        state: 'State',
        connection: 'Connection',
        stream: 'Stream',
        target: 'Target',
        hookedTarget: 'Hooked target',
        up: 'Up',
        down: 'Down',
        started: 'Started',
        lastActive: 'Last active',
      },
    },
  },
  errors: {
    codes: {
      network: 'Network error',
      timeout: 'Timed out',
      tls: 'TLS error',
      auth: 'Authentication failed',
      http_status: 'Unexpected HTTP status',
      bad_payload: 'Unexpected response',
      unsupported: 'Not supported',
      invalid_input: 'Invalid input',
      not_found: 'Not found',
      keychain: 'Keychain error',
      storage: 'Storage error',
      internal: 'Internal error',
    },
  },
}

/** The shape every locale must have. */
export type MessageSchema = typeof enUS

export default enUS
