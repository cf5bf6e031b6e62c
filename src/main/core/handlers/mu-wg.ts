import { AppErrorException, appError, toAppError, type MethodName } from '../../../shared/contract'
import type { Handlers } from '../../../shared/rpc/dispatcher'
import type { MuApiFacet, WgMonFacet } from '../adapters/adapter'
import type { FacetContext } from '../facet-handlers'

type MuWgMethods = Extract<MethodName, `muapi.${string}` | `wgmon.${string}`>

/**
 * The `muapi.*` and `wgmon.*` handlers, each routed to its adapter facet. Errors name the server;
 * audit entries carry ids and actions, never personal fields (names, mail, phone, keys).
 */
export function createMuWgHandlers(ctx: FacetContext): Pick<Handlers, MuWgMethods> {
  function facetOf<K extends 'muapi' | 'wgmon'>(
    serverId: string,
    key: K,
  ): K extends 'muapi' ? MuApiFacet : WgMonFacet {
    const f = ctx.adapterOf(serverId)[key]
    if (!f) {
      const what = key === 'muapi' ? 'a Mu API v2 panel' : 'a WireGuard monitor'
      throw new AppErrorException(
        appError('unsupported', `This server is not ${what}.`, { serverId }),
      )
    }
    return f as K extends 'muapi' ? MuApiFacet : WgMonFacet
  }
  const mu = (id: string) => facetOf(id, 'muapi')
  const wg = (id: string) => facetOf(id, 'wgmon').client()

  async function run<T>(serverId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw new AppErrorException(toAppError(err, serverId))
    }
  }

  return {
    'muapi.users': ({ serverId, maxAgeMs }) =>
      run(serverId, async () => {
        const facet = mu(serverId)
        const last = maxAgeMs ? facet.lastUsers() : null
        if (last && maxAgeMs && Date.now() - last.at <= maxAgeMs) {
          return { users: last.users, fetchedAt: last.at }
        }
        return facet.users()
      }),
    'muapi.nodeUsers': ({ serverId, nodeId }) =>
      run(serverId, () => mu(serverId).nodeUsers(nodeId)),

    'wgmon.dashboard': ({ serverId }) => run(serverId, () => wg(serverId).dashboard()),
    'wgmon.status': ({ serverId }) => run(serverId, () => wg(serverId).status()),
    'wgmon.users': ({ serverId, page, perPage, search, status }) =>
      run(serverId, () => wg(serverId).management({ page, perPage, search, status })),
    'wgmon.allUsers': ({ serverId }) =>
      run(serverId, async () => ({ users: await wg(serverId).users() })),
    'wgmon.events': ({ serverId }) =>
      run(serverId, async () => ({
        events: await wg(serverId).events(),
        fetchedAt: Date.now(),
      })),
    'wgmon.eventHistory': ({ serverId, page, perPage, userId, status }) =>
      run(serverId, () => wg(serverId).eventHistory({ page, perPage, userId, status })),
    'wgmon.chart': ({ serverId, days }) => run(serverId, () => wg(serverId).trafficChart(days)),
    async 'wgmon.action'({ serverId, userId, action }) {
      const c = wg(serverId)
      const r = await run(serverId, () =>
        action === 'enable'
          ? c.enableUser(userId)
          : action === 'disable'
            ? c.disableUser(userId)
            : action === 'reset'
              ? c.resetTraffic(userId)
              : c.kickUser(userId),
      )
      ctx.audit('wgmon.action', { serverId, userId, action, changed: r.changed })
      ctx.refresh(serverId)
      return r
    },
    async 'wgmon.create'({ serverId, user }) {
      const r = await run(serverId, () => wg(serverId).createUser(user))
      ctx.audit('wgmon.create', { serverId, userId: r.id, route: r.route })
      ctx.refresh(serverId)
      return r
    },
    async 'wgmon.update'({ serverId, userId, patch }) {
      const r = await run(serverId, () => wg(serverId).updateUser(userId, patch))
      ctx.audit('wgmon.update', { serverId, userId, fields: Object.keys(patch) })
      ctx.refresh(serverId)
      return r
    },
    async 'wgmon.delete'({ serverId, userId }) {
      const r = await run(serverId, () => wg(serverId).deleteUser(userId))
      ctx.audit('wgmon.delete', { serverId, userId })
      ctx.refresh(serverId)
      return r
    },
  }
}
