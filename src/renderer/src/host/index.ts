import type { NodedeckBridge } from '../../../shared/rpc/protocol'
import { createBridgeConnection, createSocketConnection, type Connection } from './connection'
import { pageTokenEnv, takeToken } from './token'

export type { Connection, ConnectionState, ConnectionStatus } from './connection'

/** How this page reaches the core; `no-token` = browser mode opened without the printed URL. */
export type HostChoice =
  | { mode: 'ipc'; connection: Connection }
  | { mode: 'socket'; connection: Connection }
  | { mode: 'no-token' }

/**
 * Picks the transport at run time, so one bundle serves both hosts: the Electron preload's
 * `window.nodedeck` if present, else a WebSocket to the origin that served the page.
 */
export function chooseHost(): HostChoice {
  const bridge = (globalThis as { nodedeck?: NodedeckBridge }).nodedeck
  if (bridge && typeof bridge.post === 'function' && typeof bridge.onMessage === 'function') {
    return { mode: 'ipc', connection: createBridgeConnection(bridge) }
  }
  const token = takeToken(pageTokenEnv())
  if (!token) return { mode: 'no-token' }
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  const url = `${scheme}//${window.location.host}/rpc`
  return { mode: 'socket', connection: createSocketConnection({ url, token }) }
}
