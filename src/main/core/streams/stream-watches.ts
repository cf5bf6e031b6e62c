import {
  AppErrorException,
  appError,
  type EventPayload,
  type StreamState as ContractStreamState,
} from '../../../shared/contract'
import type { Handlers } from '../../../shared/rpc/dispatcher'
import type { ServerAdapter } from '../adapters/adapter'
import type { StreamState } from '../adapters/sse/stream-reader'
import { silentLogger, type Logger } from '../util/logger'
import type { StreamHub, StreamSubscription } from './stream-hub'

/** What the stream watches need from the core. */
export interface StreamWatchesContext {
  hub: StreamHub
  /** The adapter of a known server (`not_found` otherwise). */
  adapterOf(serverId: string): ServerAdapter
  /** Sends a `stream.batch` to one connection (no-op when it is gone). */
  send(connectionId: string, payload: EventPayload<'stream.batch'>): void
  log?: Logger
}

/** A watch of one connection on one stream; `count` watchers within that connection share it. */
interface Watch {
  serverId: string
  stream: string
  sub: StreamSubscription
  count: number
}

/** The state of a reader as the contract shows it (no attempt counter; URLs already redacted). */
export function contractStreamState(s: StreamState): ContractStreamState {
  return { status: s.status, error: s.error, nextRetryAt: s.nextRetryAt, since: s.since }
}

/**
 * `streams.watch` / `streams.unwatch` (design.md §2.4): subscriptions belong to a connection and
 * end with it; the hub keeps one upstream per (server, stream) for every connection together.
 */
export function createStreamWatches(ctx: StreamWatchesContext) {
  const log = ctx.log ?? silentLogger
  /** connection id → `serverId\0stream` → watch */
  const watches = new Map<string, Map<string, Watch>>()
  const keyOf = (serverId: string, stream: string) => `${serverId}\u0000${stream}`

  const ok = { ok: true as const }

  const handlers: Pick<Handlers, 'streams.watch' | 'streams.unwatch'> = {
    async 'streams.watch'({ serverId, stream }, call) {
      const adapter = ctx.adapterOf(serverId)
      const spec = adapter.streams?.spec(stream) ?? null
      if (!spec) {
        throw new AppErrorException(
          appError(
            'unsupported',
            adapter.streams
              ? `This server has no live stream named "${stream}" (it has: ${adapter.streams.names.join(', ')}).`
              : 'This kind of server has no live streams.',
            { serverId },
          ),
        )
      }
      const connId = call.connectionId
      let mine = watches.get(connId)
      if (!mine) {
        mine = new Map()
        watches.set(connId, mine)
      }
      const key = keyOf(serverId, stream)
      const old = mine.get(key)
      // Watching again (a second view, or after a reload) subscribes anew so this caller gets the
      // current snapshot and state; the upstream is kept (the hub's grace period).
      const sub = ctx.hub.subscribe({ serverId, stream }, spec, (batch) => {
        const payload: EventPayload<'stream.batch'> = {
          serverId,
          stream,
          frames: batch.frames,
          dropped: batch.dropped,
        }
        if (batch.state) payload.state = contractStreamState(batch.state)
        ctx.send(connId, payload)
      })
      old?.sub.dispose()
      mine.set(key, { serverId, stream, sub, count: (old?.count ?? 0) + 1 })
      log.debug('stream watched', { serverId, stream })
      return ok
    },
    async 'streams.unwatch'({ serverId, stream }, call) {
      const mine = watches.get(call.connectionId)
      const key = keyOf(serverId, stream)
      const w = mine?.get(key)
      if (!mine || !w) return ok
      w.count--
      if (w.count <= 0) {
        w.sub.dispose()
        mine.delete(key)
        if (mine.size === 0) watches.delete(call.connectionId)
      }
      return ok
    },
  }

  return {
    handlers,
    /** Ends every watch of a connection (it closed). */
    closeConnection(connectionId: string): void {
      const mine = watches.get(connectionId)
      if (!mine) return
      watches.delete(connectionId)
      for (const w of mine.values()) w.sub.dispose()
    },
    /**
     * Ends every watch on a server (removed, or its settings changed: the upstream was built
     * from the old ones). Watchers get a last `failed` state saying why.
     */
    closeServer(serverId: string, code: 'not_found' | 'network', reason: string): void {
      for (const [connId, mine] of watches) {
        for (const [key, w] of mine) {
          if (w.serverId !== serverId) continue
          w.sub.dispose()
          mine.delete(key)
          ctx.send(connId, {
            serverId,
            stream: w.stream,
            frames: [],
            dropped: 0,
            state: {
              status: 'failed',
              error: appError(code, reason, { serverId }),
              nextRetryAt: null,
              since: Date.now(),
            },
          })
        }
        if (mine.size === 0) watches.delete(connId)
      }
    },
  }
}
