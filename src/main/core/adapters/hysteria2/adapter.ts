import { toAppError } from '../../../../shared/contract'
import type { AdapterContext, KindModule, PollResult, ServerAdapter } from '../adapter'
import { createHysteria2Client } from './client'
import { Hysteria2OptionsSchema, type OnlineWire, type TrafficWire } from './schema'

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
          counters: traffic.status === 'fulfilled' ? countersOf(traffic.value.data) : null,
          devices: online.status === 'fulfilled' ? devicesOf(online.value.data) : null,
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

/** `/traffic` as counters; apis.md §1: tx = client upload, rx = client download. */
function countersOf(data: TrafficWire): Map<string, { up: number; down: number }> {
  // A plain loop: this runs every poll of every server (no entries arrays, no pair tuples).
  const out = new Map<string, { up: number; down: number }>()
  for (const name in data) {
    const c = data[name] as TrafficWire[string]
    out.set(name, { up: c.tx, down: c.rx })
  }
  return out
}

/** `/online` as devices per user (a user at 0 is not online). */
function devicesOf(data: OnlineWire): Map<string, number> {
  const out = new Map<string, number>()
  for (const name in data) {
    const n = data[name] as number
    if (n > 0) out.set(name, n)
  }
  return out
}

/** The Hysteria 2 kind for the adapter registry. */
export const hysteria2Kind: KindModule = {
  kind: 'hysteria2',
  secretKey: HYSTERIA2_SECRET_KEY,
  optionsSchema: Hysteria2OptionsSchema,
  create: createHysteria2Adapter,
}
