/**
 * The server kinds NodeDeck speaks to, and what each can do. Everything outside
 * `adapters/<kind>/` and `views/kinds/<kind>/` branches on these capabilities, never on the kind.
 */
export const SERVER_KINDS = ['hysteria2', 'hy2scale'] as const
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
  },
}

/** True if `value` names a known server kind. */
export function isServerKind(value: string): value is ServerKind {
  return (SERVER_KINDS as readonly string[]).includes(value)
}
