import { toAppError } from '../../../../shared/contract'
import type { AdapterContext, KindModule, PollResult, ServerAdapter } from '../adapter'
import { createHysteria2Client } from './client'
import { Hysteria2OptionsSchema } from './schema'

/** Keychain key of the Hysteria 2 secret (`trafficStats.secret`). */
export const HYSTERIA2_SECRET_KEY = 'secret'

/** Builds the Hysteria 2 adapter: one poll reads `/traffic` and `/online` in parallel. */
export function createHysteria2Adapter(ctx: AdapterContext): ServerAdapter {
  const { server } = ctx
  const options = Hysteria2OptionsSchema.parse(server.options)
  const client = createHysteria2Client({
    serverId: server.id,
    baseUrl: server.url,
    http: ctx.http,
    getSecret: () => ctx.getSecret(HYSTERIA2_SECRET_KEY),
    timeoutMs: Math.min(10_000, Math.max(2_000, server.pollIntervalSec * 800)),
    tls: server.tls,
  })

  return {
    kind: 'hysteria2',
    async poll(signal, pollOpts): Promise<PollResult> {
      const started = performance.now()
      const clear = options.clearOnRead && !pollOpts?.readOnly
      const [traffic, online] = await Promise.allSettled([
        client.traffic(clear, signal),
        client.online(signal),
      ])
      // Both failed: the server is down (or refuses us); report the traffic error, it is the
      // route every version has.
      if (traffic.status === 'rejected' && online.status === 'rejected') throw traffic.reason
      // An auth failure on either is an auth failure of the server (same secret for all routes).
      for (const r of [traffic, online]) {
        if (r.status === 'rejected' && toAppError(r.reason).code === 'auth') throw r.reason
      }
      const failed =
        traffic.status === 'rejected' ? traffic : online.status === 'rejected' ? online : null
      const at = Date.now()
      return {
        latencyMs: performance.now() - started,
        partial: failed ? toAppError(failed.reason, server.id) : null,
        users: {
          at,
          countersAreDeltas: clear,
          counters:
            traffic.status === 'fulfilled'
              ? new Map(
                  Object.entries(traffic.value.data).map(([name, c]) => [
                    name,
                    // apis.md §1: tx = client upload, rx = client download.
                    { up: c.tx, down: c.rx },
                  ]),
                )
              : null,
          devices:
            online.status === 'fulfilled'
              ? new Map(Object.entries(online.value.data).filter(([, n]) => n > 0))
              : null,
        },
      }
    },
    users: {
      kick: (names, signal) => client.kick(names, signal),
    },
    sessions: {
      list: (signal) => client.streams(signal),
    },
  }
}

/** The Hysteria 2 kind for the adapter registry. */
export const hysteria2Kind: KindModule = {
  kind: 'hysteria2',
  secretKey: HYSTERIA2_SECRET_KEY,
  optionsSchema: Hysteria2OptionsSchema,
  create: createHysteria2Adapter,
}
