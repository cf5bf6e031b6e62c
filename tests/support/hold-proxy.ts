/**
 * An HTTP proxy for tests that must catch a request in the act: it forwards everything to
 * `target`, except that the next request matching a rule can be
 * - `applyThenHold`: forwarded (the server applies it) but its answer never returned (the client
 *   waits: a lost acknowledgement, frozen in time until the test kills the client);
 * - `beforeForward`: forwarded after a hook ran (to change the server just before it applies it).
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface HoldRule {
  match(method: string, path: string): boolean
  mode: 'applyThenHold' | 'beforeForward'
  hook?: () => void
}

export interface HoldProxy {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string
  /**
   * Arms a rule for the next matching request; resolves once that request was forwarded and the
   * server answered (the answer is then held or passed on).
   */
  next(rule: HoldRule): Promise<{ status: number; body: string }>
  close(): Promise<void>
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.once('end', () => resolve(Buffer.concat(chunks)))
    req.once('error', reject)
  })
}

/** Starts a proxy to `target` (an origin, e.g. `http://127.0.0.1:4000`). */
export async function startHoldProxy(target: string): Promise<HoldProxy> {
  const t = new URL(target)
  const sockets = new Set<Socket>()
  const rules: { rule: HoldRule; done(r: { status: number; body: string }): void }[] = []

  const forward = (
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> =>
    new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: t.host }
      const up = httpRequest(
        { hostname: t.hostname, port: t.port, method: req.method, path: req.url, headers },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.once('end', () =>
            resolve({
              status: res.statusCode ?? 502,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          )
          res.once('error', reject)
        },
      )
      up.once('error', reject)
      up.end(body)
    })

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readAll(req)
      const i = rules.findIndex((r) => r.rule.match(req.method ?? '', req.url ?? ''))
      const armed = i >= 0 ? rules.splice(i, 1)[0] : undefined
      armed?.rule.hook?.()
      let answer
      try {
        answer = await forward(req, body)
      } catch {
        res.destroy()
        return
      }
      armed?.done({ status: answer.status, body: answer.body.toString('utf8') })
      if (armed?.rule.mode === 'applyThenHold') return // never answered
      res.writeHead(answer.status, answer.headers)
      res.end(answer.body)
    })()
  })
  server.on('connection', (s: Socket) => {
    sockets.add(s)
    s.once('close', () => sockets.delete(s))
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    next(rule) {
      return new Promise((done) => rules.push({ rule, done }))
    },
    async close() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((ok) => server.close(() => ok()))
    },
  }
}
