import { z } from 'zod'
import { PgTransportSchema, toAppError } from '../../../../shared/contract'
import type { StreamSpec } from '../../streams/stream-hub'
import type { AdapterContext, KindModule, PasarGuardFacet, ServerAdapter } from '../adapter'
import type { PgNode } from './node'

/** Keychain key of the node's API key (`API_KEY` in the node's .env, a UUID). */
export const PASARGUARD_SECRET_KEY = 'apiKey'

/**
 * Options of a PasarGuard server: the transport the node speaks (`SERVICE_PROTOCOL`, gRPC by
 * default) and whether polls read user counters with `reset=true` (deltas summed by NodeDeck).
 */
export const PasarGuardOptionsSchema = z
  .object({
    transport: PgTransportSchema.default('grpc'),
    clearOnRead: z.boolean().default(false),
  })
  .strip()

/** Frames a new watcher of `logs` gets at once. */
export const PG_LOGS_REPLAY = 1000
/** Queue cap per watcher of `logs`: thousands of lines per second pass between two batches. */
export const PG_LOGS_MAX_QUEUE = 5000

/**
 * The PasarGuard adapter (apis.md §3). The implementation (`node.ts`, with protobufjs, and
 * `grpc.ts`, with grpc-js) is loaded on first use, so a fleet without PasarGuard nodes never
 * loads them. Streams: `logs`, one raw line per frame, one upstream per node (the node splits
 * its lines between concurrent readers, so the hub's sharing is required, not an optimization).
 */
export function createPasarGuardAdapter(ctx: AdapterContext): ServerAdapter {
  const options = PasarGuardOptionsSchema.parse(ctx.server.options)
  const serverId = ctx.server.id
  let node: Promise<PgNode> | null = null
  let closed = false

  const load = (): Promise<PgNode> => {
    if (!node) {
      const p = import('./node')
        .then((m) => m.createPgNode(ctx, options, PASARGUARD_SECRET_KEY))
        .then((n) => {
          // Retired while loading: nothing may stay open.
          if (closed) n.close()
          return n
        })
      node = p
      // A failed load (bad address) is retried by the next call.
      p.catch(() => {
        if (node === p) node = null
      })
    }
    return node
  }

  const facet: PasarGuardFacet = {
    overview: async (signal) => (await load()).facet.overview(signal),
    start: async (draft) => (await load()).facet.start(draft),
    stop: async () => (await load()).facet.stop(),
    traffic: async () => (await load()).facet.traffic(),
    latency: async () => (await load()).facet.latency(),
    online: async (emails) => (await load()).facet.online(emails),
    syncUser: async (user) => (await load()).facet.syncUser(user),
    syncUsers: async (users, opts) => (await load()).facet.syncUsers(users, opts),
  }

  const logsSpec: StreamSpec<string> = {
    replay: PG_LOGS_REPLAY,
    maxQueue: PG_LOGS_MAX_QUEUE,
    open(sink) {
      let inner: { stop(): void } | null = null
      let stopped = false
      sink.state({
        status: 'connecting',
        error: null,
        nextRetryAt: null,
        attempt: 0,
        since: Date.now(),
      })
      load().then(
        (n) => {
          if (stopped) return
          inner = n.logs({ line: (l) => sink.frame(l), state: (s) => sink.state(s) })
        },
        (err: unknown) => {
          if (stopped) return
          sink.state({
            status: 'failed',
            error: toAppError(err, serverId),
            nextRetryAt: null,
            attempt: 1,
            since: Date.now(),
          })
        },
      )
      return {
        stop() {
          stopped = true
          inner?.stop()
        },
      }
    },
  }

  return {
    kind: 'pasarguard',
    poll: async (signal, opts) => (await load()).poll(signal, opts),
    pasarguard: facet,
    streams: {
      names: ['logs'],
      spec: (name) => (name === 'logs' ? (logsSpec as StreamSpec<unknown>) : null),
    },
    close() {
      if (closed) return
      closed = true
      node?.then(
        (n) => n.close(),
        () => undefined,
      )
    },
  }
}

/** The PasarGuard kind for the adapter registry. */
export const pasarguardKind: KindModule = {
  kind: 'pasarguard',
  secretKey: PASARGUARD_SECRET_KEY,
  optionsSchema: PasarGuardOptionsSchema,
  create: createPasarGuardAdapter,
}
