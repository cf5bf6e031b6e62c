import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Core } from '../core/create-core'
import { serveConnection } from '../../shared/rpc/server'
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../shared/rpc/protocol'
import { createFleetMetrics, type FleetMetrics } from './metrics'
import {
  bearerMatches,
  listenStaticHost,
  safeEqual,
  type StaticHost,
  type StaticHostOptions,
} from './static-host'

export interface BrowserHostOptions extends StaticHostOptions {
  core: Core
  /**
   * A static host already listening (`nodedeck serve` binds it before the core loads, B5): it is
   * completed instead of binding a new one; its port, token and web root win over the above.
   */
  listening?: StaticHost
  /**
   * A fixed bearer token for `GET /metrics` (Prometheus needs one that survives restarts;
   * `nodedeck serve --metrics-token-file`). The per-launch token is accepted there too.
   */
  metricsToken?: string
}

export interface BrowserHost {
  /** http://127.0.0.1:PORT/ */
  readonly url: string
  /** The URL to open: carries the per-launch token in the fragment (never sent to a server). */
  readonly openUrl: string
  readonly port: number
  readonly token: string
  close(): Promise<void>
}

/**
 * Largest message a page may send. Calls are small, except an HY2 SCALE restore, whose backup
 * (≤ 50 MB on the node) travels base64-encoded (× 4/3). Only an authenticated page (token,
 * Origin) ever gets a socket.
 */
const MAX_WS_PAYLOAD = 72 * 1024 * 1024

/**
 * The second host (design.md 2.6): serves the same renderer bundle and a WebSocket at `/rpc`
 * that speaks the same birpc framing to the same core. Bound to 127.0.0.1; a socket is accepted
 * only with our Origin and the per-launch token (as a WebSocket subprotocol, so it never appears
 * in a URL or a log).
 */
export async function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const base = opts.listening ?? (await listenStaticHost(opts))
  const { token, port } = base
  const allowedOrigins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`])

  const metrics = createFleetMetrics({ core: opts.core })
  const metricsTokens = [token, ...(opts.metricsToken ? [opts.metricsToken] : [])]
  const onRequest = (req: IncomingMessage, res: ServerResponse): boolean => {
    if ((req.url ?? '').split('?')[0] !== '/metrics') return false
    void serveMetrics(metrics, metricsTokens, req, res)
    return true
  }
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_PAYLOAD,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  })
  const sockets = new Set<WebSocket>()

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const refuse = (code: number, text: string) => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    }
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/rpc') return refuse(404, 'Not Found')
    const origin = req.headers.origin
    if (!origin || !allowedOrigins.has(origin)) return refuse(403, 'Forbidden')
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
    const offered = protocols.find((p) => p.startsWith(WS_TOKEN_PREFIX))
    if (!protocols.includes(WS_PROTOCOL)) return refuse(400, 'Bad Request')
    if (!offered || !safeEqual(offered.slice(WS_TOKEN_PREFIX.length), token)) {
      // Our own page with a stale token (NodeDeck was restarted): complete the handshake only to
      // close at once with 4401, so the page can say "open the new address" instead of
      // reconnecting forever. No message is ever read from this socket.
      wss.handleUpgrade(req, socket, head, (ws) => ws.close(4401, 'token rejected'))
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws))
  }

  function attach(ws: WebSocket): void {
    sockets.add(ws)
    const listeners = new Set<(data: unknown) => void>()
    // eslint-disable-next-line prefer-const
    let served: ReturnType<typeof serveConnection>
    const conn = opts.core.connect((name, payload) => served.emit(name, payload))
    served = serveConnection(
      {
        post: (data) => {
          if (ws.readyState === ws.OPEN) ws.send(data as string)
        },
        on: (fn) => {
          listeners.add(fn)
        },
        serialize: (d) => JSON.stringify(d),
        deserialize: (d) => JSON.parse(String(d)) as unknown,
      },
      conn,
    )
    ws.on('message', (data, isBinary) => {
      if (isBinary) return
      const text = data.toString()
      for (const fn of listeners) {
        try {
          fn(text)
        } catch {
          // A malformed message is dropped; the page gets no answer and times out.
        }
      }
    })
    ws.on('close', () => {
      sockets.delete(ws)
      served.close()
    })
    ws.on('error', () => ws.terminate())
  }

  base.attach({ request: onRequest, upgrade: onUpgrade })
  return {
    url: base.url,
    openUrl: base.openUrl,
    port,
    token,
    async close() {
      for (const ws of sockets) ws.terminate()
      wss.close()
      metrics.close()
      await base.close()
    },
  }
}

/**
 * `GET /metrics` (Prometheus text format) for `Authorization: Bearer <token>` with the metrics
 * token or the per-launch one; 401 otherwise. The token is compared in constant time and never
 * echoed or logged.
 */
async function serveMetrics(
  metrics: FleetMetrics,
  tokens: readonly string[],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const headers = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end()
    return
  }
  if (!bearerMatches(req, tokens)) {
    res
      .writeHead(401, {
        ...headers,
        'www-authenticate': 'Bearer realm="nodedeck-metrics"',
        'content-type': 'text/plain; charset=utf-8',
      })
      .end('Unauthorized: send Authorization: Bearer <metrics token>\n')
    return
  }
  try {
    const body = await metrics.render()
    res.writeHead(200, {
      ...headers,
      'content-type': metrics.contentType,
      'content-length': Buffer.byteLength(body),
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  } catch {
    res.writeHead(500, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end()
  }
}
