import { AppErrorException, appError, toAppError, type MethodName } from '../../../shared/contract'
import type { Handlers } from '../../../shared/rpc/dispatcher'
import type { Hy2ScaleNetworkFacet } from '../adapters/hy2scale/network'
import type { FacetContext } from '../facet-handlers'

type NetworkMethods =
  | `hy2scale.clients.${string}`
  | `hy2scale.proxies.${string}`
  | `hy2scale.rules.${string}`
  | `hy2scale.protocols.${string}`
  | 'hy2scale.checkPorts'
type NetworkHandlers = Pick<Handlers, Extract<MethodName, NetworkMethods>>

/**
 * The contract handlers of the HY2 SCALE network area (peer links, proxies, routing rules,
 * SS/L2TP/IKEv2, port check), routed to the adapter's `hy2scaleNetwork` facet; other kinds
 * answer `unsupported`. Mutations are audited (facts only, never passwords) and refresh the server.
 */
export function createHy2ScaleNetworkHandlers(ctx: FacetContext): NetworkHandlers {
  function facet(serverId: string): Hy2ScaleNetworkFacet {
    const f = ctx.adapterOf(serverId).hy2scaleNetwork
    if (!f) {
      throw new AppErrorException(
        appError('unsupported', 'This kind of server has no HY2 SCALE network settings.', {
          serverId,
        }),
      )
    }
    return f
  }

  async function run<T>(serverId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw new AppErrorException(toAppError(err, serverId))
    }
  }

  const ok = { ok: true as const }

  /** A mutation: run, audit, refresh. */
  async function change(
    serverId: string,
    action: string,
    fields: Record<string, unknown>,
    fn: (f: Hy2ScaleNetworkFacet) => Promise<void>,
  ) {
    await run(serverId, () => fn(facet(serverId)))
    ctx.audit(action, { serverId, ...fields })
    ctx.refresh(serverId)
    return ok
  }

  return {
    async 'hy2scale.clients.list'({ serverId }) {
      return run(serverId, () => facet(serverId).clients.list())
    },
    async 'hy2scale.clients.save'({ serverId, original, draft }) {
      return change(
        serverId,
        'hy2scale.clients.save',
        { name: draft.name, created: original === undefined },
        (f) => f.clients.save(original, draft),
      )
    },
    async 'hy2scale.clients.setDisabled'({ serverId, name, disabled }) {
      return change(serverId, 'hy2scale.clients.setDisabled', { name, disabled }, (f) =>
        f.clients.setDisabled(name, disabled),
      )
    },
    async 'hy2scale.clients.remove'({ serverId, name }) {
      return change(serverId, 'hy2scale.clients.remove', { name }, (f) => f.clients.remove(name))
    },

    async 'hy2scale.proxies.list'({ serverId }) {
      return run(serverId, () => facet(serverId).proxies.list())
    },
    async 'hy2scale.proxies.save'({ serverId, original, draft }) {
      return change(
        serverId,
        'hy2scale.proxies.save',
        { id: draft.id, created: original === undefined },
        (f) => f.proxies.save(original, draft),
      )
    },
    async 'hy2scale.proxies.remove'({ serverId, id }) {
      return change(serverId, 'hy2scale.proxies.remove', { id }, (f) => f.proxies.remove(id))
    },

    async 'hy2scale.rules.list'({ serverId }) {
      return run(serverId, () => facet(serverId).rules.list())
    },
    async 'hy2scale.rules.save'({ serverId, original, draft }) {
      return change(
        serverId,
        'hy2scale.rules.save',
        { id: draft.id, created: original === undefined },
        (f) => f.rules.save(original, draft),
      )
    },
    async 'hy2scale.rules.toggle'({ serverId, id, enabled }) {
      return change(serverId, 'hy2scale.rules.toggle', { id, enabled }, (f) =>
        f.rules.toggle(id, enabled),
      )
    },
    async 'hy2scale.rules.remove'({ serverId, id }) {
      return change(serverId, 'hy2scale.rules.remove', { id }, (f) => f.rules.remove(id))
    },

    async 'hy2scale.protocols.get'({ serverId }) {
      return run(serverId, () => facet(serverId).protocols.get())
    },
    async 'hy2scale.protocols.save'(input) {
      const service = 'ss' in input ? 'ss' : 'l2tp' in input ? 'l2tp' : 'ikev2'
      return change(input.serverId, 'hy2scale.protocols.save', { service }, (f) =>
        f.protocols.save(input),
      )
    },

    async 'hy2scale.checkPorts'({ serverId, ports }) {
      const conflicts = await run(serverId, () => facet(serverId).checkPorts(ports))
      return { conflicts }
    },
  }
}
