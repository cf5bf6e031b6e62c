import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Core } from '../core/create-core'
import { serveConnection } from '../../shared/rpc/server'
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../shared/rpc/protocol'

export interface BrowserHostOptions {
  core: Core
  /** Directory of the built renderer (out/web). */
  webRoot: string
  /** 0 = any free port. */
  port?: number
  /** Always loopback unless the user explicitly asks otherwise. */
  host?: string
  /** Fixed token (tests); default: 32 random bytes per launch. */
  token?: string
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

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
}

/** Same policy as the Electron window: only our own scripts; websocket back to this host. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws://127.0.0.1:* ws://localhost:*; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

/**
 * Largest message a page may send. Calls are small, except an HY2 SCALE restore, whose backup
 * (≤ 50 MB on the node) travels base64-encoded (× 4/3). Only an authenticated page (token,
 * Origin) ever gets a socket.
 */
const MAX_WS_PAYLOAD = 72 * 1024 * 1024

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * The second host (design.md 2.6): serves the same renderer bundle and a WebSocket at `/rpc`
 * that speaks the same birpc framing to the same core. Bound to 127.0.0.1; a socket is accepted
 * only with our Origin and the per-launch token (as a WebSocket subprotocol, so it never appears
 * in a URL or a log).
 */
export async function startBrowserHost(opts: BrowserHostOptions): Promise<BrowserHost> {
  const token = opts.token ?? randomBytes(32).toString('hex')
  const host = opts.host ?? '127.0.0.1'
  const root = resolve(opts.webRoot)
  let port = 0
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`])

  const server = createServer((req, res) => {
    void serveStatic(root, req, res)
  })
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WS_PAYLOAD,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  })
  const sockets = new Set<WebSocket>()

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (code: number, text: string) => {
      socket.end(`HTTP/1.1 ${code} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    }
    const path = (req.url ?? '').split('?')[0]
    if (path !== '/rpc') return refuse(404, 'Not Found')
    const origin = req.headers.origin
    if (!origin || !allowedOrigins().has(origin)) return refuse(403, 'Forbidden')
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
  })

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

  await new Promise<void>((ok, ko) => {
    server.once('error', ko)
    server.listen(opts.port ?? 0, host, () => ok())
  })
  const addr = server.address()
  port = typeof addr === 'object' && addr ? addr.port : 0
  const url = `http://127.0.0.1:${port}/`
  return {
    url,
    openUrl: `${url}#token=${token}`,
    port,
    token,
    async close() {
      for (const ws of sockets) ws.terminate()
      wss.close()
      server.closeAllConnections()
      await new Promise<void>((ok) => server.close(() => ok()))
    },
  }
}

async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers = {
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end()
    return
  }
  let pathname: string
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  } catch {
    res.writeHead(400, headers).end()
    return
  }
  if (pathname.includes('\0')) {
    res.writeHead(400, headers).end()
    return
  }
  const rel = normalize(pathname === '/' ? '/index.html' : pathname)
  const file = join(root, rel)
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403, headers).end()
    return
  }
  try {
    const st = await stat(file)
    if (!st.isFile()) throw new Error('not a file')
    const body = await readFile(file)
    const isHtml = extname(file) === '.html'
    res.writeHead(200, {
      ...headers,
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': isHtml ? 'no-store' : 'public, max-age=31536000, immutable',
      'content-length': body.length,
    })
    res.end(req.method === 'HEAD' ? undefined : body)
  } catch {
    res
      .writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' })
      .end('Not found\n')
  }
}
