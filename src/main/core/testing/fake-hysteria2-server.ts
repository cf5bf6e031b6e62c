import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * A tiny Hysteria 2 Traffic Stats API (apis.md §1) for core tests: `Authorization: <secret>`
 * checked before routing (401 `unauthorized`), GET /traffic[?clear=1], GET /online, POST /kick;
 * anything else 404. Counters and online counts are set by the test.
 */
export class FakeHysteria2Server {
  /** authID → { tx: client upload, rx: client download }. */
  traffic: Record<string, { tx: number; rx: number }> = {}
  online: Record<string, number> = {}
  /** `''` = no auth (apis.md: empty secret disables auth). */
  secret: string
  readonly kicked: string[][] = []
  /** Every request as `METHOD /path?query`. */
  readonly requests: string[] = []
  /** Every Authorization header received (tests assert the raw-secret form). */
  readonly authHeaders: Array<string | undefined> = []
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  url = ''

  constructor(secret = '') {
    this.secret = secret
    this.server = createServer((req, res) => this.handle(req, res))
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s)
      s.on('close', () => this.sockets.delete(s))
    })
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this.url
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x')
    this.requests.push(`${req.method} ${url.pathname}${url.search}`)
    this.authHeaders.push(req.headers.authorization)
    if (this.secret !== '' && req.headers.authorization !== this.secret) {
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' })
      res.end('unauthorized\n')
      return
    }
    const json = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
      res.end(JSON.stringify(body))
    }
    if (req.method === 'GET' && url.pathname === '/traffic') {
      const body = this.traffic
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(url.searchParams.get('clear') ?? ''))
        this.traffic = {}
      json(body)
      return
    }
    if (req.method === 'GET' && url.pathname === '/online') {
      json(Object.fromEntries(Object.entries(this.online).filter(([, n]) => n > 0)))
      return
    }
    if (req.method === 'POST' && url.pathname === '/kick') {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => {
        try {
          this.kicked.push(JSON.parse(body) as string[])
          res.writeHead(200)
          res.end()
        } catch (err) {
          res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' })
          res.end(`${(err as Error).message}\n`)
        }
      })
      return
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
    res.end('404 page not found\n')
  }
}
