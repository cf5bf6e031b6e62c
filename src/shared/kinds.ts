/**
 * The server kinds NodeDeck speaks to, and what each can do. Everything outside
 * `adapters/<kind>/` and `views/kinds/<kind>/` branches on these capabilities, never on the kind.
 */
export const SERVER_KINDS = ['hysteria2', 'hy2scale', 'pasarguard', 'muapi', 'wgmon'] as const
export type ServerKind = (typeof SERVER_KINDS)[number]

/** What a server kind can do; the UI shows a feature only where its capability is true. */
export interface KindCapabilities {
  /** Per-user traffic counters. */
  users: boolean
  /** Online device counts per user. */
  onlineCounts: boolean
  /** Live sessions / streams list. */
  sessions: boolean
  /** Disconnect users. */
  kick: boolean
  /** Reading the counters can also reset them on the server. */
  clearOnRead: boolean
  /** Managed user accounts (create, edit, quota, expiry). */
  accounts: boolean
  /** A WireGuard server with peers (config export, QR). */
  wireguard: boolean
  /** TLS certificates stored on the server. */
  certificates: boolean
}

/**
 * An extra per-kind choice in the add dialog, stored in `ServerConfig.options[key]`. Labels come
 * from the locale: `kinds.<kind>.options.<key>.label`, `.help` and `.choices.<value>`.
 */
export interface KindOptionField {
  key: string
  choices: readonly string[]
  defaultValue: string
}

/** Static facts about a kind that the renderer needs for its forms and help texts. */
export interface KindInfo {
  kind: ServerKind
  /** Product name, not localized. */
  label: string
  capabilities: KindCapabilities
  /** The secret this kind needs: `none`, `optional` (server may run without auth) or `required`. */
  secret: 'none' | 'optional' | 'required'
  /** A user name to log in with (kept in the config, `options.username`), or null. */
  username: { defaultValue: string } | null
  /** Default port shown as a hint in the add dialog. */
  defaultPort: number
  /** Example base URL for the add dialog. */
  exampleUrl: string
  /** The server always speaks TLS (an http:// URL is refused; a CA or pinned certificate is usual). */
  httpsOnly: boolean
  /** The secret must be a UUID (PasarGuard's API key). */
  secretIsUuid: boolean
  /** Extra choices of the add dialog (e.g. PasarGuard's transport). */
  optionFields: readonly KindOptionField[]
}

export const KIND_INFO: Record<ServerKind, KindInfo> = {
  hysteria2: {
    kind: 'hysteria2',
    label: 'Hysteria 2',
    capabilities: {
      users: true,
      onlineCounts: true,
      sessions: true,
      kick: true,
      clearOnRead: true,
      accounts: false,
      wireguard: false,
      certificates: false,
    },
    secret: 'optional',
    username: null,
    defaultPort: 9999,
    exampleUrl: 'http://203.0.113.10:9999',
    httpsOnly: false,
    secretIsUuid: false,
    optionFields: [],
  },
  hy2scale: {
    kind: 'hy2scale',
    label: 'HY2 SCALE',
    capabilities: {
      users: true,
      onlineCounts: true,
      sessions: true,
      kick: true,
      clearOnRead: false,
      accounts: true,
      wireguard: true,
      certificates: true,
    },
    secret: 'required',
    username: { defaultValue: 'admin' },
    defaultPort: 5565,
    exampleUrl: 'http://203.0.113.10:5565/scale',
    httpsOnly: false,
    secretIsUuid: false,
    optionFields: [],
  },
  pasarguard: {
    kind: 'pasarguard',
    label: 'PasarGuard node',
    capabilities: {
      users: true,
      onlineCounts: true,
      sessions: false,
      kick: false,
      clearOnRead: true,
      accounts: false,
      wireguard: false,
      certificates: false,
    },
    secret: 'required',
    username: null,
    defaultPort: 62050,
    exampleUrl: 'https://203.0.113.10:62050',
    httpsOnly: true,
    secretIsUuid: true,
    optionFields: [{ key: 'transport', choices: ['grpc', 'rest'], defaultValue: 'grpc' }],
  },
  muapi: {
    kind: 'muapi',
    label: 'Mu API v2 panel',
    capabilities: {
      users: true,
      onlineCounts: false,
      sessions: false,
      kick: false,
      clearOnRead: false,
      accounts: false,
      wireguard: false,
      certificates: false,
    },
    secret: 'required',
    username: null,
    defaultPort: 443,
    exampleUrl: 'https://panel.example.com/mu/v2',
    httpsOnly: false,
    secretIsUuid: false,
    // Where the mu key goes (apis.md §4): the Token header (the wiki's and v3's), the Key header
    // (master also reads it) or `?key=` (only when the admin chooses it: it lands in access logs).
    optionFields: [
      { key: 'keyPlacement', choices: ['token', 'key', 'query'], defaultValue: 'token' },
    ],
  },
  wgmon: {
    kind: 'wgmon',
    label: 'WireGuard monitor',
    capabilities: {
      users: true,
      onlineCounts: true,
      sessions: true,
      kick: true,
      clearOnRead: false,
      accounts: false,
      wireguard: false,
      certificates: false,
    },
    secret: 'none',
    username: null,
    defaultPort: 8000,
    exampleUrl: 'http://203.0.113.10:8000',
    httpsOnly: false,
    secretIsUuid: false,
    // The create route: upstream `POST /api/users` or the seed doc's `POST /api/users/create`; the
    // other one is tried when the chosen one answers 404.
    optionFields: [{ key: 'createRoute', choices: ['upstream', 'seed'], defaultValue: 'upstream' }],
  },
}

/** True if `value` names a known server kind. */
export function isServerKind(value: string): value is ServerKind {
  return (SERVER_KINDS as readonly string[]).includes(value)
}

/** Go's uuid.Parse forms: hyphenated, 32 hex digits, `{…}`, `urn:uuid:…` (case-insensitive). */
export function isUuidLike(value: string): boolean {
  const v = value.trim()
  return (
    /^(urn:uuid:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ||
    /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/i.test(v) ||
    /^[0-9a-f]{32}$/i.test(v)
  )
}
