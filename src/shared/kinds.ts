/**
 * The server kinds NodeDeck speaks to, and what each can do. Everything outside
 * `adapters/<kind>/` and `views/kinds/<kind>/` branches on these capabilities, never on the kind.
 */
export const SERVER_KINDS = ['hysteria2'] as const
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
}

/** Static facts about a kind that the renderer needs for its forms and help texts. */
export interface KindInfo {
  kind: ServerKind
  /** Product name, not localized. */
  label: string
  capabilities: KindCapabilities
  /** The secret this kind needs: `none`, `optional` (server may run without auth) or `required`. */
  secret: 'none' | 'optional' | 'required'
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
    },
    secret: 'optional',
    defaultPort: 9999,
    exampleUrl: 'http://203.0.113.10:9999',
  },
}

/** True if `value` names a known server kind. */
export function isServerKind(value: string): value is ServerKind {
  return (SERVER_KINDS as readonly string[]).includes(value)
}
