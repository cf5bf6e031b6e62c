import { createRpcClient, type RpcClient } from '../../../shared/rpc/client'
import { WS_PROTOCOL, WS_TOKEN_PREFIX, type NodedeckBridge } from '../../../shared/rpc/protocol'
import { bridgeChannel, socketChannel, type SocketLike } from './channels'

/**
 * - `connecting`: the first connection attempt has not succeeded yet;
 * - `connected`: calls and events flow;
 * - `lost`: it was connected and is now retrying;
 * - `rejected`: the host refused our token (close code 4401/4403); retrying cannot help.
 */
export type ConnectionState = 'connecting' | 'connected' | 'lost' | 'rejected'

/** A snapshot of the connection, for banners. */
export interface ConnectionStatus {
  state: ConnectionState
  /** Failed attempts since the last success. */
  attempts: number
  /** When the next attempt starts (ms since epoch), while waiting to retry. */
  nextRetryAt: number | null
}

/**
 * The link to NodeDeck's core. The RpcClient is replaced on each reconnect: whoever needs
 * events or live watches registers with `onClient` and is called again with every new client.
 */
export interface Connection {
  readonly mode: 'ipc' | 'socket'
  status(): ConnectionStatus
  /** The current client; null while not connected. */
  client(): RpcClient | null
  /** Called with the current client (at once, if connected) and with every new one. */
  onClient(fn: (client: RpcClient) => void): () => void
  onStatus(fn: (status: ConnectionStatus) => void): () => void
  /** Skips the backoff wait. */
  reconnectNow(): void
  close(): void
}

/** Close codes the browser host uses to refuse a token (see the report: agreed with the host). */
export const REJECTED_CLOSE_CODES: readonly number[] = [4401, 4403]

/** Backoff between reconnect attempts: 1 s, 2 s, 4 s … capped at 15 s, with ±20 % jitter. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(15_000, 1000 * 2 ** Math.max(0, attempt - 1))
  return Math.round(base * (0.8 + 0.4 * random()))
}

/** A connection that never drops (Electron IPC, tests): one client for the page's lifetime. */
export function staticConnection(client: RpcClient, mode: 'ipc' | 'socket' = 'ipc'): Connection {
  const status: ConnectionStatus = { state: 'connected', attempts: 0, nextRetryAt: null }
  return {
    mode,
    status: () => status,
    client: () => client,
    onClient(fn) {
      fn(client)
      return () => undefined
    },
    onStatus: () => () => undefined,
    reconnectNow: () => undefined,
    close: () => client.close(),
  }
}

/** Electron: the preload's bridge. */
export function createBridgeConnection(bridge: NodedeckBridge): Connection {
  return staticConnection(createRpcClient(bridgeChannel(bridge)), 'ipc')
}

/** Options of the socket connection; the factories are injectable for tests. */
export interface SocketConnectionOptions {
  url: string
  token: string
  createSocket?: (url: string, protocols: string[]) => SocketLike
  now?: () => number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
  /** The first attempt waits for this (settled either way); default: at once. */
  openAfter?: Promise<unknown>
}

/**
 * Browser mode: a WebSocket to the host that served the page, token in the subprotocol list
 * (`[WS_PROTOCOL, WS_TOKEN_PREFIX + token]`: browsers cannot set headers on a WebSocket, and a
 * query string would land in logs). Reconnects with backoff after a drop.
 */
export function createSocketConnection(opts: SocketConnectionOptions): Connection {
  const createSocket =
    opts.createSocket ??
    ((url: string, protocols: string[]) => new WebSocket(url, protocols) as unknown as SocketLike)
  const now = opts.now ?? Date.now
  const setTimer = opts.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms))
  const clearTimer =
    opts.clearTimer ?? ((h: unknown) => clearTimeout(h as ReturnType<typeof setTimeout>))

  const clientListeners = new Set<(client: RpcClient) => void>()
  const statusListeners = new Set<(status: ConnectionStatus) => void>()
  let status: ConnectionStatus = { state: 'connecting', attempts: 0, nextRetryAt: null }
  let everConnected = false
  let client: RpcClient | null = null
  let socket: SocketLike | null = null
  let timer: unknown = null
  let closed = false

  const setStatus = (next: ConnectionStatus) => {
    status = next
    for (const fn of statusListeners) fn(status)
  }

  const scheduleRetry = () => {
    if (closed) return
    const attempts = status.attempts + 1
    const delay = backoffMs(attempts)
    setStatus({
      state: everConnected ? 'lost' : 'connecting',
      attempts,
      nextRetryAt: now() + delay,
    })
    timer = setTimer(() => {
      timer = null
      open()
    }, delay)
  }

  /** Whether an attempt was made yet (a deferred first one may have been overtaken). */
  let started = false
  const open = () => {
    if (closed) return
    started = true
    let ws: SocketLike
    try {
      ws = createSocket(opts.url, [WS_PROTOCOL, WS_TOKEN_PREFIX + opts.token])
    } catch {
      scheduleRetry()
      return
    }
    socket = ws
    setStatus({ ...status, nextRetryAt: null })
    ws.addEventListener('open', () => {
      if (socket !== ws) return
      everConnected = true
      client = createRpcClient(socketChannel(ws))
      setStatus({ state: 'connected', attempts: 0, nextRetryAt: null })
      const c = client
      for (const fn of clientListeners) fn(c)
    })
    ws.addEventListener('close', (ev) => {
      if (socket !== ws) return
      socket = null
      if (client) {
        // Rejects the calls still waiting for an answer that will never come.
        client.close()
        client = null
      }
      if (ev.code !== undefined && REJECTED_CLOSE_CODES.includes(ev.code)) {
        setStatus({ state: 'rejected', attempts: status.attempts + 1, nextRetryAt: null })
        return
      }
      scheduleRetry()
    })
  }

  if (opts.openAfter) {
    const first = () => {
      if (!started) open()
    }
    void opts.openAfter.then(first, first)
  } else {
    open()
  }

  return {
    mode: 'socket',
    status: () => status,
    client: () => client,
    onClient(fn) {
      clientListeners.add(fn)
      if (client) fn(client)
      return () => clientListeners.delete(fn)
    },
    onStatus(fn) {
      statusListeners.add(fn)
      return () => statusListeners.delete(fn)
    },
    reconnectNow() {
      if (closed || socket || status.state === 'connected') return
      if (timer !== null) clearTimer(timer)
      timer = null
      open()
    },
    close() {
      closed = true
      if (timer !== null) clearTimer(timer)
      client?.close()
      client = null
      socket?.close()
      socket = null
    },
  }
}
