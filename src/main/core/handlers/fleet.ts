import type {
  FleetSummaryDelta,
  MethodName,
  ServerConfig,
  ServerStatus,
  UsersSnapshot,
} from '../../../shared/contract'
import type { Handlers } from '../../../shared/rpc/dispatcher'
import type { ServerAdapter } from '../adapters/adapter'
import { FleetSummary } from '../fleet/fleet-summary'
import { UserIndex } from '../fleet/user-index'

type FleetMethods = Extract<MethodName, `fleet.${string}`>

/** How often the changed rows go out as one `fleet.summary` event (ms). */
export const FLEET_DELTA_MS = 1_000

export interface FleetDeps {
  /** Sends the delta event to every connected UI. */
  broadcast(delta: FleetSummaryDelta): void
  now?: () => number
}

/** The fleet view's core side: summary rows, the user search and their feed. */
export interface Fleet {
  readonly handlers: Pick<Handlers, FleetMethods>
  /** The configured servers changed (added, removed, renamed, moved, re-pointed). */
  setServers(servers: readonly ServerConfig[]): void
  onStatus(status: ServerStatus): void
  onUsers(snapshot: UsersSnapshot): void
  /**
   * Wraps an adapter's poll so the search terms of its readings reach the index (the monitor
   * keeps only the traffic figures). Returns the same adapter.
   */
  tap(serverId: string, adapter: ServerAdapter): ServerAdapter
  /** Starts the ~1 Hz delta events. */
  start(): void
  stop(): void
}

/**
 * Builds the fleet summary and user index and their handlers: `fleet.summary` (every row and the
 * totals) and `fleet.searchUsers`; the `fleet.summary` event carries only the rows that changed
 * since the last one, at most every FLEET_DELTA_MS.
 */
export function createFleet(deps: FleetDeps): Fleet {
  const now = deps.now ?? Date.now
  const summary = new FleetSummary({ now })
  const index = new UserIndex()
  /** Address and kind per server: when one changes, what was read of the old target goes. */
  const targets = new Map<string, string>()
  let timer: NodeJS.Timeout | null = null

  const flush = () => {
    summary.checkStale()
    const delta = summary.takeDelta()
    if (delta) deps.broadcast(delta)
  }

  return {
    handlers: {
      async 'fleet.summary'() {
        return summary.summary()
      },
      async 'fleet.searchUsers'({ query, limit, offset, serverIds }) {
        const t0 = performance.now()
        const r = index.search({ query, limit, offset, serverIds })
        return { query, ...r, tookMs: performance.now() - t0 }
      },
    },
    setServers(servers) {
      for (const s of servers) {
        const target = `${s.kind} ${s.url}`
        const old = targets.get(s.id)
        if (old !== undefined && old !== target) {
          summary.reset(s.id)
          index.forget(s.id)
        }
        targets.set(s.id, target)
      }
      const ids = new Set(servers.map((s) => s.id))
      for (const id of [...targets.keys()]) if (!ids.has(id)) targets.delete(id)
      summary.setServers(servers)
      index.setServers(servers)
    },
    onStatus: (status) => summary.onStatus(status),
    onUsers(snapshot) {
      summary.onUsers(snapshot)
      index.onUsers(snapshot)
    },
    tap(serverId, adapter) {
      const poll = adapter.poll.bind(adapter)
      adapter.poll = async (signal, opts) => {
        const r = await poll(signal, opts)
        // The Test-connection probe's reading is thrown away: so are its terms.
        if (!opts?.readOnly && r.users) index.setTerms(serverId, r.users.terms)
        return r
      }
      return adapter
    },
    start() {
      if (timer) return
      timer = setInterval(flush, FLEET_DELTA_MS)
      timer.unref?.()
    },
    stop() {
      if (timer) clearInterval(timer)
      timer = null
    },
  }
}
