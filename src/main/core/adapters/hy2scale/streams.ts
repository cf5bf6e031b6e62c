import type { ServerConfig } from '../../../../shared/contract'
import type { StreamFrame } from '../sse/stream-reader'
import { readerStreamSpec } from '../../streams/reader-stream'
import type { StreamSpec } from '../../streams/stream-hub'
import type { Logger } from '../../util/logger'
import type { HttpClient } from '../http/http-client'
import type { ServerAdapter } from '../adapter'
import type { Hy2ScaleClient, Hy2ScaleStreamPath } from './client'

/** The SSE streams of a node (apis.md §2 "Streams (SSE)"). */
const STREAMS: Record<string, { path: Hy2ScaleStreamPath; idleTimeoutMs: number | null }> = {
  /** Pings every 20 s: silence for ~45 s means the connection is dead. */
  'graph-layout': { path: '/api/graph-layout/stream', idleTimeoutMs: 45_000 },
  /** No pings at all: no idle limit. */
  upgrade: { path: '/api/upgrade/events', idleTimeoutMs: null },
}

/**
 * The streams facet of an HY2 SCALE node. Every frame is a full snapshot (`data: <json>`, first
 * frame on connect), so the hub keeps only the newest one per subscriber. The URL gets a fresh
 * `?token=` at every connect; a 401 logs in again once. Only the redacted URL is ever logged.
 */
export function createHy2ScaleStreams(
  client: Hy2ScaleClient,
  opts: { server: ServerConfig; http: HttpClient; log?: Logger },
): NonNullable<ServerAdapter['streams']> {
  return {
    names: Object.keys(STREAMS),
    spec(name): StreamSpec<unknown> | null {
      const def = Object.prototype.hasOwnProperty.call(STREAMS, name) ? STREAMS[name] : undefined
      if (!def) return null
      return readerStreamSpec(
        {
          serverId: opts.server.id,
          framing: 'sse',
          http: opts.http,
          tls: opts.server.tls,
          log: opts.log,
          idleTimeoutMs: def.idleTimeoutMs,
          getUrl: async () => (await client.streamUrl(def.path)).url,
          onAuthError: async () => {
            await client.login()
            return true
          },
        },
        {
          replay: 1,
          coalesce: true,
          map: (frame: StreamFrame) =>
            frame.kind === 'event' ? (JSON.parse(frame.data) as unknown) : null,
        },
      )
    },
  }
}
