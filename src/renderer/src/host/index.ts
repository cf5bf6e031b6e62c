import type { ServerView } from '../../../shared/contract'
import { SERVERS_PREVIEW_PATH } from '../../../shared/preview'
import type { NodedeckBridge } from '../../../shared/rpc/protocol'
import { createBridgeConnection, createSocketConnection, type Connection } from './connection'
import { pageTokenEnv, takeToken } from './token'

export type { Connection, ConnectionState, ConnectionStatus } from './connection'

/** How this page reaches the core; `no-token` = browser mode opened without the printed URL. */
export type HostChoice =
  | { mode: 'ipc'; connection: Connection }
  | {
      mode: 'socket'
      connection: Connection
      /** The host's servers preview (shared/preview.ts); null when it has none. */
      preview: Promise<ServerView[] | null>
      /** Tells that the preview is on screen: the WebSocket opens then. */
      previewDrawn(): void
    }
  | { mode: 'no-token' }

/** Longest the page waits for its preview frame before it connects anyway. */
const PREVIEW_CONNECT_CAP_MS = 2000

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
  const preview = fetchServersPreview(token)
  let previewDrawn: () => void = () => undefined
  const drawn = new Promise<void>((ok) => (previewDrawn = ok))
  // The browser host may hold its core back until the page connects, so that on a small machine
  // the two do not compete for the CPU while the page draws (bench B5). With a preview, the page
  // draws it first and connects then; without one, it connects at once. Never later than
  // PREVIEW_CONNECT_CAP_MS, whatever happens to the drawing.
  const openAfter = preview.then((list) =>
    list === null
      ? undefined
      : Promise.race([drawn, new Promise((ok) => setTimeout(ok, PREVIEW_CONNECT_CAP_MS))]),
  )
  return {
    mode: 'socket',
    connection: createSocketConnection({ url, token, openAfter }),
    preview,
    previewDrawn,
  }
}

/** What `public/servers-preview-early.js` asked before the modules loaded (absent: nothing). */
export interface EarlyPreview {
  token: string
  response: Promise<Response>
}

/**
 * Asks the browser host for its servers preview (the fleet as the config file has it, before the
 * core is up), or takes the answer to the page's early script when that asked with this token.
 * Any failure is no preview: the list then comes from the core, as always.
 */
export async function fetchServersPreview(
  token: string,
  fetchFn: typeof fetch = fetch,
  early: EarlyPreview | undefined = (window as { __nodedeckPreview?: EarlyPreview })
    .__nodedeckPreview,
): Promise<ServerView[] | null> {
  try {
    const res = await (early?.token === token
      ? early.response
      : fetchFn(new URL(SERVERS_PREVIEW_PATH, window.location.origin), {
          headers: { authorization: `Bearer ${token}` },
          cache: 'no-store',
        }))
    // 204: the host has no preview (the demo); anything but 200 is none.
    if (res.status !== 200) return null
    const body: unknown = await res.json()
    return Array.isArray(body) ? (body as ServerView[]) : null
  } catch {
    return null
  }
}
