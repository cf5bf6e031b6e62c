import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** A test HTTP server on 127.0.0.1:0 that records what it saw (tests only). */
export interface TestStreamServer {
  server: Server
  /** `http://127.0.0.1:<port>` */
  origin: string
  /** TCP connections accepted. */
  connections: number
  /** TCP connections closed (by either side). */
  closedConnections: number
  /** Request URLs (path + query), in order. */
  urls: string[]
  /** Request headers, in order. */
  headers: IncomingMessage['headers'][]
  /** Responses still open. */
  open: Set<ServerResponse>
  close(): Promise<void>
}

/** Starts a server whose every request goes to `handler` (with its 0-based request number). */
export async function startTestServer(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<TestStreamServer> {
  const sockets = new Set<Socket>()
  const server = createServer()
  const h: TestStreamServer = {
    server,
    origin: '',
    connections: 0,
    closedConnections: 0,
    urls: [],
    headers: [],
    open: new Set(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
  server.on('connection', (s: Socket) => {
    h.connections++
    sockets.add(s)
    s.on('close', () => {
      sockets.delete(s)
      h.closedConnections++
    })
  })
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const n = h.urls.length
    h.urls.push(req.url ?? '')
    h.headers.push(req.headers)
    h.open.add(res)
    res.on('close', () => h.open.delete(res))
    handler(req, res, n)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  h.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return h
}

/** Writes SSE response headers as HY2 SCALE does (apis.md §2 "Streams (SSE)"). */
export function sseHeaders(res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  })
  res.flushHeaders()
}

/** Polls `cond` every 10 ms until true or `timeoutMs` passes (then throws). */
export async function waitFor(
  cond: () => boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
