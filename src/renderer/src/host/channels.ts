import type { MessageChannel } from '../../../shared/rpc/client'
import type { NodedeckBridge } from '../../../shared/rpc/protocol'

/**
 * The Electron channel: the preload's `window.nodedeck` pipe. Messages travel by structured
 * clone, so there is no serializer.
 */
export function bridgeChannel(bridge: NodedeckBridge): MessageChannel {
  return {
    post: (message) => bridge.post(message),
    on: (fn) => {
      bridge.onMessage(fn)
    },
  }
}

/** The smallest WebSocket surface the socket channel needs (a test double implements it). */
/** What a socket event carries, as far as the channel needs it. */
export interface SocketEvent {
  data?: unknown
  code?: number
}

/** The smallest WebSocket surface the socket channel needs (a test double implements it). */
export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  addEventListener(
    type: 'open' | 'close' | 'error' | 'message',
    fn: (ev: SocketEvent) => void,
  ): void
}

/**
 * JSON turns an `undefined` array element into `null`, and methods without input
 * (`servers.list`) take `undefined`, not `null`. Trailing undefined arguments of a birpc
 * message are dropped instead, so the far side sees them as undefined again (what structured
 * clone over IPC does anyway).
 */
export function trimUndefinedArgs(message: unknown): unknown {
  if (typeof message !== 'object' || message === null) return message
  const m = message as { a?: unknown }
  if (!Array.isArray(m.a)) return message
  let end = m.a.length
  while (end > 0 && m.a[end - 1] === undefined) end--
  return end === m.a.length ? message : { ...m, a: m.a.slice(0, end) }
}

/** WebSocket.OPEN; not read from the global so tests need no DOM. */
const OPEN = 1

/**
 * The browser-host channel over an open WebSocket: JSON text frames. A message posted after the
 * socket closed is dropped; the connection closes the client then, which rejects pending calls.
 */
export function socketChannel(ws: SocketLike): MessageChannel {
  return {
    post(message) {
      if (ws.readyState === OPEN) ws.send(message as string)
    },
    on(fn) {
      ws.addEventListener('message', (ev) => {
        if (typeof ev.data === 'string') fn(ev.data)
      })
    },
    serialize: (data) => JSON.stringify(trimUndefinedArgs(data)),
    deserialize: (data) => JSON.parse(data as string) as unknown,
  }
}
