import {
  AppErrorException,
  appError,
  toAppError,
  type ServerConfig,
  type UsersSnapshot,
} from '../../../shared/contract'
import { KIND_INFO, isServerKind } from '../../../shared/kinds'
import type { ServerAdapter } from '../adapters/adapter'
import type { MuUser } from '../adapters/muapi/client'
import type { BridgePanel, BridgeSource, PanelUsers, SourceReading } from './bridge'
import type { PanelUser } from './mapping'

/**
 * The two ends of a bridge, built from the core's servers: a source (Hysteria 2, HY2 SCALE) and a
 * panel (a Mu API v2 server, through its adapter's `muapi` facet). Resolved at every tick, so a
 * changed server (URL, key, options) is used at once and a removed one fails the tick.
 */

/** What the ends need from the core. */
export interface EndpointContext {
  server(id: string): ServerConfig | undefined
  adapter(id: string): ServerAdapter | null
  /** The monitor's latest users snapshot of a server. */
  users(id: string): UsersSnapshot | null
  /** Polls a server now (or joins the poll in flight) through the monitor. */
  probe(id: string): Promise<void>
  /**
   * A monitor reading younger than this is used as is; an older one is refreshed first (ms).
   * Default {@link FRESH_READING_MS}; 0 when the monitor does not poll by itself (CLI).
   */
  freshMs?: number
  now?: () => number
}

/** The kinds a bridge reads traffic from. */
export const BRIDGE_SOURCE_KINDS = ['hysteria2', 'hy2scale'] as const
/** A monitor reading younger than this is used as is (ms): the monitor polls every 10 s by default. */
export const FRESH_READING_MS = 15_000

function kindLabel(kind: string): string {
  return isServerKind(kind) ? KIND_INFO[kind].label : kind
}

function invalid(message: string, serverId?: string): never {
  throw new AppErrorException(appError('invalid_input', message, serverId ? { serverId } : {}))
}

function requireServer(ctx: EndpointContext, id: string, role: 'source' | 'panel'): ServerConfig {
  const s = ctx.server(id)
  if (!s) {
    throw new AppErrorException(
      appError(
        'not_found',
        `The ${role} server of this bridge (id ${id}) no longer exists: it was removed. Remove the bridge, or re-create it with another ${role}.`,
        { serverId: id },
      ),
    )
  }
  return s
}

function requireAdapter(ctx: EndpointContext, s: ServerConfig): ServerAdapter {
  const a = ctx.adapter(s.id)
  if (!a) {
    throw new AppErrorException(
      appError('not_found', `Server "${s.name}" is not loaded; check its settings.`, {
        serverId: s.id,
      }),
    )
  }
  return a
}

/**
 * Checks that `server` can be a bridge's source: a Hysteria 2 server without clear-on-read, or an
 * HY2 SCALE node. Clear-on-read is refused: the server forgets the bytes when it answers, so a
 * crash between that read and the journal would lose them, and the monitor's own reads would take
 * them away from the bridge.
 */
export function checkSource(server: ServerConfig): void {
  if (!(BRIDGE_SOURCE_KINDS as readonly string[]).includes(server.kind)) {
    invalid(
      `"${server.name}" is a ${kindLabel(server.kind)} server; a traffic bridge reads Hysteria 2 or HY2 SCALE servers.`,
      server.id,
    )
  }
  if (server.options.clearOnRead === true) {
    invalid(
      `"${server.name}" clears its traffic counters on every read (clear-on-read): the bytes would be gone from the server before the bridge journals them (a crash in between loses them) and NodeDeck's monitor would take them from the bridge. Turn clear-on-read off in the server's settings to bridge it.`,
      server.id,
    )
  }
}

/** Checks that `server` can be a bridge's panel (its adapter has the `muapi` facet). */
export function checkPanel(server: ServerConfig, adapter: ServerAdapter | null): void {
  if (!adapter?.muapi) {
    invalid(
      `"${server.name}" is a ${kindLabel(server.kind)} server; a traffic bridge reports to a Mu API v2 panel (ss-panel).`,
      server.id,
    )
  }
}

/** The source of a bridge (see {@link checkSource}). */
export function bridgeSource(ctx: EndpointContext, serverId: string): BridgeSource {
  const now = ctx.now ?? Date.now
  const freshMs = ctx.freshMs ?? FRESH_READING_MS
  const server = requireServer(ctx, serverId, 'source')
  checkSource(server)
  const adapter = requireAdapter(ctx, server)

  /** The monitor's reading of this server, refreshed when older than FRESH_READING_MS. */
  async function snapshot(): Promise<UsersSnapshot> {
    const fresh = (s: UsersSnapshot | null): s is UsersSnapshot =>
      s !== null && s.at !== null && !s.stale && now() - s.at < freshMs
    let snap = ctx.users(serverId)
    if (!fresh(snap)) {
      await ctx.probe(serverId)
      snap = ctx.users(serverId)
    }
    if (!snap || snap.at === null || snap.stale) {
      throw new AppErrorException(
        snap?.error ??
          appError(
            'network',
            `The traffic of "${server.name}" could not be read; NodeDeck tries again.`,
            {
              serverId,
              retryable: true,
            },
          ),
      )
    }
    if (snap.clearOnRead)
      checkSource({ ...server, options: { ...server.options, clearOnRead: true } })
    return snap
  }

  /** Users online now: users with at least one device; null when the server does not say. */
  function onlineOf(snap: UsersSnapshot | null): number | null {
    if (!snap || snap.at === null || snap.stale) return null
    if (snap.users.some((u) => u.devices === null)) return null
    return snap.users.filter((u) => u.online).length
  }

  // Kinds with managed accounts (HY2 SCALE) have no per-user up/down counters (the monitor's
  // reading has none): their accounts' totals are the counters.
  if (adapter.accounts) {
    const accounts = adapter.accounts
    return {
      serverId,
      /**
       * HY2 SCALE keeps one traffic total per account (`traffic_used`), no upload/download split:
       * the total is reported as download (`d`) with `u` = 0, so the panel's `u + d` is exact.
       */
      async read(): Promise<SourceReading> {
        let list
        try {
          list = await accounts.list()
        } catch (err) {
          throw new AppErrorException(toAppError(err, serverId))
        }
        const at = now()
        const counters = new Map<string, { up: number; down: number } | null>()
        for (const a of list) {
          counters.set(a.name, a.trafficUsed === null ? null : { up: 0, down: a.trafficUsed })
        }
        let online: number | null = null
        try {
          online = onlineOf(await snapshot())
        } catch {
          // The online count is best effort: the traffic was read.
        }
        // `traffic_used` is flushed to the node's config every 30 s: after a node restart it can
        // come back a little older than the last reading. That is not a reset to zero.
        return { at, counters, online, backwards: 'persisted' }
      },
    }
  }
  return {
    serverId,
    async read(): Promise<SourceReading> {
      const snap = await snapshot()
      const counters = new Map<string, { up: number; down: number } | null>()
      for (const u of snap.users) {
        counters.set(u.name, u.up === null || u.down === null ? null : { up: u.up, down: u.down })
      }
      return { at: snap.at ?? now(), counters, online: onlineOf(snap) }
    },
  }
}

function toPanelUser(u: MuUser): PanelUser {
  return { id: u.id, email: u.email, port: u.port, u: u.up, d: u.down }
}

/**
 * The panel of a bridge. Users come from the node's list (`GET /nodes/{id}/users`); a panel
 * without that route (the wiki documents only `/users` and the two traffic routes) answers 404 or
 * 405, and then every user (`GET /users`) is used instead, remembered per panel.
 */
export function createPanelFactory(ctx: EndpointContext) {
  const now = ctx.now ?? Date.now
  /** Panels (id + URL) known to lack the node list. */
  const noNodeList = new Set<string>()
  return function bridgePanel(serverId: string): BridgePanel {
    const server = requireServer(ctx, serverId, 'panel')
    const adapter = ctx.adapter(server.id)
    checkPanel(server, adapter)
    const client = adapter!.muapi!.client()
    const key = `${server.id}\u0000${server.url}`
    const all = async (signal?: AbortSignal): Promise<PanelUsers> => {
      const users = await client.listUsers(signal)
      return { users: users.map(toPanelUser), list: 'all', at: now() }
    }
    return {
      serverId,
      async users(nodeId, signal) {
        if (!noNodeList.has(key)) {
          try {
            const users = await client.nodeUsers(nodeId, signal)
            return { users: users.map(toPanelUser), list: 'node', at: now() }
          } catch (err) {
            const code = toAppError(err).code
            if (code !== 'not_found' && code !== 'unsupported') throw err
            noNodeList.add(key)
          }
        }
        return all(signal)
      },
      allUsers: all,
      report: (nodeId, items, signal) => client.reportNodeTraffic(nodeId, items, signal),
      reportOnline: (nodeId, count, signal) => client.reportOnline(nodeId, count, signal),
    }
  }
}
