import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { extname, join, normalize, resolve, sep } from 'node:path'
import type { Duplex } from 'node:stream'
import { SERVERS_PREVIEW_PATH } from '../../shared/preview'

/**
 * The browser host's HTTP side, which needs no core: the built renderer's files. It imports only
 * `node:*` modules on purpose: `nodedeck serve` binds it and prints the address first, so the
 * browser loads and evaluates the page while the core's modules load (cold start, bench B5);
 * everything that needs the core (the `/rpc` WebSocket, `/metrics`) is attached afterwards.
 */
export interface StaticHostOptions {
  /** Directory of the built renderer (out/web). */
  webRoot: string
  /** 0 = any free port. */
  port?: number
  /** Always loopback unless the user explicitly asks otherwise. */
  host?: string
  /** Fixed token (tests); default: 32 random bytes per launch. */
  token?: string
}

/** What serves the core-backed routes once the core is up. */
export interface HostHooks {
  /** Answers a request it owns and returns true; false leaves it to the static files. */
  request(req: IncomingMessage, res: ServerResponse): boolean
  /** Every `Upgrade` request (the WebSocket). */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
}

/**
 * Answers the servers preview (`shared/preview.ts`): the list as JSON, or null when there is
 * none (204: no console error in the page, unlike a 404).
 */
export type PreviewProvider = () => Promise<unknown>

/** A listening static host; `attach` completes it. */
export interface StaticHost {
  /** http://127.0.0.1:PORT/ */
  readonly url: string
  /** The URL to open: carries the per-launch token in the fragment (never sent to a server). */
  readonly openUrl: string
  readonly port: number
  readonly token: string
  /** The resolved directory served. */
  readonly webRoot: string
  /**
   * Installs the core-backed handlers. Upgrades, and requests for paths that are not files,
   * that arrived before are held until now (then handled as if they had just arrived).
   */
  attach(hooks: HostHooks): void
  /**
   * Installs what answers `GET /servers-preview` (null: there is none, 204). Preview requests
   * that came before are held until then (or until `attach`, when none was set: 204).
   */
  setPreview(provider: PreviewProvider | null): void
  /**
   * Resolves once the page's first burst is over: index.html and every asset it names have been
   * served, or the page's code runs (it asked for the servers preview or opened its WebSocket:
   * it had the assets in its cache), or no request has come in for `ms` (no browser is loading
   * the page) — `pageMs` once index.html was served (a browser on a loaded machine may take a
   * while between the page and its scripts).
   */
  whenQuiet(ms: number, pageMs?: number): Promise<void>
  /**
   * Resolves when the page this host served opens its WebSocket, or after `capMs`; at once if
   * no page was served (no browser is loading it) or one has connected already.
   */
  whenPageConnects(capMs: number): Promise<void>
  /** Stops listening, drops every connection and whatever was held. */
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

const HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
}

/** Binds the static host on 127.0.0.1 (by default) and returns once it listens. */
export async function listenStaticHost(opts: StaticHostOptions): Promise<StaticHost> {
  const token = opts.token ?? randomBytes(32).toString('hex')
  const root = resolve(opts.webRoot)
  const files = new FileCache(root)
  let hooks: HostHooks | null = null
  let closed = false
  /** Work that waits for `attach` (or is dropped by `close`). */
  const held: Held[] = []
  /** Preview requests that wait for `setPreview` (or `attach`). */
  const heldPreviews: Held[] = []
  let lastRequestAt = performance.now()
  /** Assets the last index.html served names and that have not been asked for since. */
  const entryAssets = new Set<string>()
  const quietWaiters = new Set<() => void>()
  let pageServed = false
  let upgraded = false
  const upgradeWaiters = new Set<() => void>()
  const served = (file: string, body: Buffer) => {
    if (file === files.index) {
      pageServed = true
      entryAssets.clear()
      for (const m of body.toString('utf8').matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)) {
        entryAssets.add(join(files.root, m[1] ?? ''))
      }
    } else if (entryAssets.delete(file) && entryAssets.size === 0) {
      burstOver()
    }
  }
  const burstOver = () => {
    for (const ok of quietWaiters) ok()
  }

  /** undefined = not decided yet (requests wait), null = no preview. */
  let preview: PreviewProvider | null | undefined
  const onPreview = (req: IncomingMessage, res: ServerResponse): void => {
    burstOver()
    if (!bearerMatches(req, [token])) {
      res.writeHead(401, { ...HEADERS, 'www-authenticate': 'Bearer' }).end()
      return
    }
    if (preview === undefined && !hooks) {
      heldPreviews.push({
        run: () => onPreview(req, res),
        drop: () => res.writeHead(503, HEADERS).end(),
      })
      return
    }
    servePreview(preview ?? null, req, res)
  }

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    lastRequestAt = performance.now()
    if (pathOf(req) === SERVERS_PREVIEW_PATH) return onPreview(req, res)
    if (hooks?.request(req, res)) return
    serveStatic(files, req, res, served, () => {
      if (hooks) return false
      // Not a file (e.g. /metrics) before the core is up: answered once it is.
      held.push({ run: () => onRequest(req, res), drop: () => res.writeHead(503, HEADERS).end() })
      return true
    })
  }
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    upgraded = true
    burstOver()
    for (const ok of upgradeWaiters) ok()
    if (hooks) return hooks.upgrade(req, socket, head)
    // The page's WebSocket before the core is up: its handshake completes once it is.
    held.push({ run: () => onUpgrade(req, socket, head), drop: () => socket.destroy() })
  }
  const server: Server = createServer(onRequest)
  server.on('upgrade', onUpgrade)

  await new Promise<void>((ok, ko) => {
    server.once('error', ko)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', ko)
      ok()
    })
  })
  const addr = server.address()
  const port = typeof addr === 'object' && addr ? addr.port : 0
  const url = `http://127.0.0.1:${port}/`
  return {
    url,
    openUrl: `${url}#token=${token}`,
    port,
    token,
    webRoot: root,
    attach(h) {
      if (closed) return
      hooks = h
      for (const w of [...heldPreviews.splice(0), ...held.splice(0)]) w.run()
    },
    setPreview(provider) {
      if (closed) return
      preview = provider
      for (const w of heldPreviews.splice(0)) w.run()
    },
    whenQuiet(ms, pageMs = ms) {
      lastRequestAt = Math.max(lastRequestAt, performance.now())
      return new Promise((resolve) => {
        let timer: NodeJS.Timeout | undefined
        const ok = () => {
          clearTimeout(timer)
          quietWaiters.delete(ok)
          resolve()
        }
        const check = () => {
          const quietFor = performance.now() - lastRequestAt
          const wait = pageServed ? pageMs : ms
          if (closed || quietFor >= wait) ok()
          else timer = setTimeout(check, wait - quietFor).unref()
        }
        quietWaiters.add(ok)
        timer = setTimeout(check, ms).unref()
      })
    },
    whenPageConnects(capMs) {
      if (!pageServed || upgraded || closed) return Promise.resolve()
      return new Promise((resolve) => {
        const ok = () => {
          clearTimeout(timer)
          upgradeWaiters.delete(ok)
          resolve()
        }
        const timer = setTimeout(ok, capMs).unref()
        upgradeWaiters.add(ok)
      })
    },
    async close() {
      closed = true
      for (const ok of upgradeWaiters) ok()
      for (const w of [...heldPreviews.splice(0), ...held.splice(0)]) w.drop()
      server.closeAllConnections()
      await new Promise<void>((ok) => server.close(() => ok()))
    },
  }
}

/** Work that waits for `attach` or `setPreview` (or is dropped by `close`). */
interface Held {
  run(): void
  drop(): void
}

/** The request's path, without the query. */
function pathOf(req: IncomingMessage): string {
  return (req.url ?? '').split('?')[0] ?? ''
}

/** Compares in constant time (for tokens). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * True when the request's `Authorization: Bearer <token>` is one of `tokens`. Every token is
 * compared (no early exit), so timing does not tell which one was close.
 */
export function bearerMatches(req: IncomingMessage, tokens: readonly string[]): boolean {
  const auth = /^Bearer +(\S+) *$/i.exec(String(req.headers.authorization ?? ''))?.[1]
  const matches = tokens.map((t) => auth !== undefined && safeEqual(auth, t))
  return matches.includes(true)
}

/** `GET /servers-preview`: the provider's JSON, 204 (no content) when there is none, never cached. */
function servePreview(
  provider: PreviewProvider | null,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  const headers = { ...HEADERS, 'cache-control': 'no-store' }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, allow: 'GET, HEAD' }).end()
    return
  }
  if (!provider) {
    res.writeHead(204, headers).end()
    return
  }
  provider().then(
    (list) => {
      if (list === null) {
        res.writeHead(204, headers).end()
        return
      }
      const body = JSON.stringify(list)
      res.writeHead(200, {
        ...headers,
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
      })
      res.end(req.method === 'HEAD' ? undefined : body)
    },
    () => res.writeHead(500, headers).end(),
  )
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { ...HEADERS, 'content-type': 'text/plain; charset=utf-8' }).end('Not found\n')
}

/**
 * The renderer's files, read synchronously and kept in memory. While `serve` starts, the main
 * thread is busy loading the core in long synchronous slices; a file served with async reads
 * needs several event-loop turns (stat, open, read, close), each waiting for a slice, while a
 * read from memory answers in the turn the request arrives. Assets are immutable (their names
 * carry a content hash) and cached; index.html, which names them, is read anew each time.
 */
class FileCache {
  private readonly assets = new Map<string, Buffer>()
  readonly index: string

  constructor(readonly root: string) {
    this.index = join(root, 'index.html')
  }

  /** The file's bytes, or null if `file` is not a readable file. */
  read(file: string): Buffer | null {
    const cached = this.assets.get(file)
    if (cached) return cached
    let body: Buffer
    try {
      if (!statSync(file).isFile()) return null
      body = readFileSync(file)
    } catch {
      return null
    }
    if (extname(file) !== '.html') this.assets.set(file, body)
    return body
  }
}

/**
 * Serves a file of the cache's root and tells `served`. What is no file here (another method, a
 * missing path) goes to `miss` first, which may keep the request (true: held for the core-backed
 * routes) or not (405, 404).
 */
function serveStatic(
  files: FileCache,
  req: IncomingMessage,
  res: ServerResponse,
  served: (file: string, body: Buffer) => void,
  miss: () => boolean,
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    if (miss()) return
    res.writeHead(405, { ...HEADERS, allow: 'GET, HEAD' }).end()
    return
  }
  let pathname: string
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)
  } catch {
    res.writeHead(400, HEADERS).end()
    return
  }
  if (pathname.includes('\0')) {
    res.writeHead(400, HEADERS).end()
    return
  }
  const rel = normalize(pathname === '/' ? '/index.html' : pathname)
  const file = join(files.root, rel)
  if (file !== files.root && !file.startsWith(files.root + sep)) {
    res.writeHead(403, HEADERS).end()
    return
  }
  const body = files.read(file)
  if (body === null) {
    if (!miss()) notFound(res)
    return
  }
  const isHtml = extname(file) === '.html'
  res.writeHead(200, {
    ...HEADERS,
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    // Asset names carry a content hash; index.html (which names them) is always fetched anew.
    'cache-control': isHtml ? 'no-store' : 'public, max-age=31536000, immutable',
    'content-length': body.length,
  })
  res.end(req.method === 'HEAD' ? undefined : body)
  served(file, body)
}
