import type { AppError } from '../contract/errors'

/** The envelope every call resolves to: never a thrown error across the wire. */
export type RpcResult = { ok: true; data: unknown } | { ok: false; error: AppError }

/** Functions the core side exposes over a transport (one per connection). */
export interface CoreFunctions {
  call(method: string, input: unknown): Promise<RpcResult>
}

/** Functions a UI side exposes: fire-and-forget events from the core. */
export interface UiFunctions {
  event(name: string, payload: unknown): void
}

/** The single Electron IPC channel (design.md 2.5). */
export const IPC_CHANNEL = 'nodedeck:rpc'

/** WebSocket subprotocol of the browser host; the per-launch token rides as a second one. */
export const WS_PROTOCOL = 'nodedeck.v1'
/** Prefix of the subprotocol carrying the per-launch token of the browser host. */
export const WS_TOKEN_PREFIX = 'token.'

/** How long a UI waits for a core answer before giving up (ms). Long enough for slow servers. */
export const RPC_TIMEOUT_MS = 120_000

/**
 * The one object the Electron preload exposes as `window.nodedeck` (design.md 2.5): a raw
 * message pipe on the single IPC channel, and static facts about the platform. Nothing more.
 */
export interface NodedeckBridge {
  /** Sends one birpc message to the main process. */
  post(message: unknown): void
  /** Receives birpc messages from the main process; returns an unsubscribe function. */
  onMessage(fn: (message: unknown) => void): () => void
  readonly platform: { host: 'electron'; os: string }
}
