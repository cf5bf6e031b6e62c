import type { z } from 'zod'
import { AppErrorException, appError } from '../../../../shared/contract'
import type { HttpClient, HttpResponse } from '../http/http-client'
import { parseJsonBody, statusError, type ResponseContext } from '../http/responses'
import {
  isOnlineWire,
  isTrafficWire,
  OnlineSchema,
  SeedStreamDumpSchema,
  StreamDumpSchema,
  TrafficSchema,
  type OnlineWire,
  type TrafficWire,
} from './schema'
import type { SessionRow } from '../../../../shared/contract'
import { parseStreamTable, seedEntryToSession, streamToSession } from './map'

const HINT =
  'Check that the URL points at the Hysteria 2 traffic stats API (trafficStats.listen in the server config), not at the proxy port or a panel.'

/** Where the API of a route appeared (apis.md §1 "Availability"), for 404 advice. */
const SINCE: Record<string, string> = {
  '/online': 'v2.4.4',
  '/dump/streams': 'v2.6.0',
}

export interface Hysteria2ClientOptions {
  serverId: string
  baseUrl: string
  http: HttpClient
  /** The secret exactly as configured in `trafficStats.secret`; empty/null = no auth. */
  getSecret(): Promise<string | null>
  timeoutMs?: number
  tls?: { caPem?: string; fingerprintSha256?: string }
}

/**
 * A client of the Hysteria 2 Traffic Stats API, to the letter of apis.md §1:
 * `Authorization: <secret>` with no scheme; 401 (checked before routing) is an auth failure;
 * a wrong method or unknown path is 404, never 405.
 */
export function createHysteria2Client(opts: Hysteria2ClientOptions) {
  const base = opts.baseUrl.replace(/\/+$/, '')
  const urls = new Map<string, URL>()

  async function send(
    method: 'GET' | 'POST',
    path: string,
    init: { query?: string; body?: string; accept?: string; signal?: AbortSignal } = {},
  ): Promise<{ res: HttpResponse; ctx: ResponseContext }> {
    const secret = await opts.getSecret()
    const headers: Record<string, string> = { accept: init.accept ?? 'application/json' }
    // apis.md §1 Auth: the raw secret is the whole header value, no "Bearer".
    if (secret) headers.authorization = secret
    if (init.body !== undefined) headers['content-type'] = 'application/json'
    const href = base + path + (init.query ? `?${init.query}` : '')
    // The same two URLs every poll: parsed once (undici only reads them).
    let url = urls.get(href)
    if (!url) {
      url = new URL(href)
      urls.set(href, url)
    }
    const ctx: ResponseContext = { serverId: opts.serverId, what: `${method} ${path}`, hint: HINT }
    const res = await opts.http.request({
      serverId: opts.serverId,
      method,
      url,
      headers,
      body: init.body,
      timeoutMs: opts.timeoutMs,
      signal: init.signal,
      tls: opts.tls,
    })
    if (res.status === 401) {
      throw new AppErrorException(
        appError(
          'auth',
          secret
            ? 'The server refused the secret (HTTP 401). Enter the exact value of trafficStats.secret from the server config (no "Bearer").'
            : 'The server requires a secret (HTTP 401). Enter the value of trafficStats.secret from the server config.',
          { serverId: opts.serverId, params: { status: 401 } },
        ),
      )
    }
    if (res.status === 404) {
      const since = SINCE[path]
      throw statusError(
        res,
        ctx,
        since
          ? `This route exists since Hysteria ${since}: upgrade the server, or check the URL. ${HINT}`
          : HINT,
      )
    }
    if (res.status < 200 || res.status >= 300) {
      throw statusError(res, ctx, 'The server could not complete the request; try again later.')
    }
    return { res, ctx }
  }

  async function getJson<S extends z.ZodType>(
    path: string,
    schema: S,
    accepts: (json: unknown) => json is z.output<S>,
    query?: string,
    signal?: AbortSignal,
  ): Promise<{ data: z.output<S>; elapsedMs: number }> {
    const { res, ctx } = await send('GET', path, { query, signal })
    return { data: parseJsonBody(res, schema, ctx, accepts), elapsedMs: res.elapsedMs }
  }

  return {
    /** `GET /traffic[?clear=1]`: totals (or, with clear, the counts since the last clear). */
    traffic(
      clear: boolean,
      signal?: AbortSignal,
    ): Promise<{ data: TrafficWire; elapsedMs: number }> {
      return getJson(
        '/traffic',
        TrafficSchema,
        isTrafficWire,
        clear ? 'clear=1' : undefined,
        signal,
      )
    },
    /** `GET /online`: devices per online user. */
    online(signal?: AbortSignal): Promise<{ data: OnlineWire; elapsedMs: number }> {
      return getJson('/online', OnlineSchema, isOnlineWire, undefined, signal)
    },
    /** `POST /kick` with a JSON array of auth ids; 200 with an empty body on success. */
    async kick(ids: string[], signal?: AbortSignal): Promise<void> {
      await send('POST', '/kick', { body: JSON.stringify(ids), signal })
    },
    /**
     * `GET /dump/streams`. Accepts the upstream JSON, the seed doc's keyed variant and the
     * text table (for servers or proxies that answer text/plain).
     */
    async streams(signal?: AbortSignal): Promise<SessionRow[]> {
      const { res, ctx } = await send('GET', '/dump/streams', { signal })
      const type = String(res.headers['content-type'] ?? '')
      const text = res.body.toString('utf8')
      if (type.includes('text/plain') || /^\s*State\s/.test(text)) {
        const rows = parseStreamTable(text)
        if (rows) return rows
        throw new AppErrorException(
          appError('bad_payload', `The text answer to ${ctx.what} is not a stream table. ${HINT}`, {
            serverId: opts.serverId,
          }),
        )
      }
      let json: unknown
      try {
        json = JSON.parse(text)
      } catch {
        json = undefined
      }
      const upstream = StreamDumpSchema.safeParse(json)
      if (upstream.success && json !== null && typeof json === 'object' && 'streams' in json) {
        return (upstream.data.streams ?? []).map(streamToSession)
      }
      const seed = SeedStreamDumpSchema.safeParse(json)
      if (seed.success) {
        return Object.entries(seed.data).map(([id, e]) => seedEntryToSession(id, e))
      }
      // Report the upstream shape's problem: it is the one real servers send.
      parseJsonBody(res, StreamDumpSchema, ctx)
      return []
    },
  }
}

export type Hysteria2Client = ReturnType<typeof createHysteria2Client>
