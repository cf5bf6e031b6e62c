import {
  AppErrorException,
  appError,
  toAppError,
  type Hy2Client,
  type Hy2ClientDraft,
  type Hy2Port,
  type Hy2PortConflict,
  type Hy2Protocols,
  type Hy2ProtocolSave,
  type Hy2Proxy,
  type Hy2ProxyDraft,
  type Hy2RuleDraft,
  type Hy2Rules,
} from '../../../../shared/contract'
import type { Hy2ScaleClient } from './client'
import type { ClientEntryWire, ProxyConfigWire, RoutingRuleWire } from './schema'

/** The HY2 SCALE network facet: peer links, proxies, routing rules, protocol services, ports. */
export interface Hy2ScaleNetworkFacet {
  clients: {
    list(): Promise<Hy2Client[]>
    /** `original` absent = create; else update that link (may rename). */
    save(original: string | undefined, draft: Hy2ClientDraft): Promise<void>
    setDisabled(name: string, disabled: boolean): Promise<void>
    remove(name: string): Promise<void>
  }
  proxies: {
    list(): Promise<Hy2Proxy[]>
    save(original: string | undefined, draft: Hy2ProxyDraft): Promise<void>
    remove(id: string): Promise<void>
  }
  rules: {
    list(): Promise<Hy2Rules>
    save(original: string | undefined, draft: Hy2RuleDraft): Promise<void>
    toggle(id: string, enabled: boolean): Promise<void>
    remove(id: string): Promise<void>
  }
  protocols: {
    get(): Promise<Hy2Protocols>
    save(input: Hy2ProtocolSave): Promise<void>
  }
  checkPorts(ports: Hy2Port[]): Promise<Hy2PortConflict[]>
}

const clientAddrs = (c: ClientEntryWire): string[] =>
  c.addrs.length > 0 ? c.addrs : c.addr ? [c.addr] : []

function clientView(c: ClientEntryWire): Hy2Client {
  return {
    name: c.name,
    addrs: clientAddrs(c),
    hasPassword: c.password !== '',
    sni: c.sni,
    insecure: c.insecure,
    maxTx: c.max_tx,
    maxRx: c.max_rx,
    fastOpen: c.fast_open,
    bbrProfile: c.bbr_profile,
    disabled: c.disabled,
    connected: c.connected ?? null,
  }
}

function proxyView(p: ProxyConfigWire): Hy2Proxy {
  return {
    id: p.id,
    protocol: p.protocol,
    listen: p.listen,
    enabled: p.enabled,
    tlsCert: p.tls_cert,
    exitVia: p.exit_paths[0] ?? p.exit_via,
    exitPaths: p.exit_paths,
    exitMode: p.exit_mode,
  }
}

function ruleView(r: RoutingRuleWire) {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    targets: r.targets,
    exitVia: r.exit_paths[0] ?? r.exit_via,
    exitPaths: r.exit_paths,
    exitMode: r.exit_mode,
    enabled: r.enabled,
    priority: r.priority,
    useTun: r.use_tun,
    tunActive: r.tun_active,
  }
}

/**
 * The exit fields of a whole-record PUT: the node prefers `exit_paths[0]` over `exit_via`
 * (as for users), so a changed exit replaces the stored paths or it would be ignored.
 */
function exitFields(
  current: { exit_via: string; exit_paths: string[]; exit_mode: string } | undefined,
  exitVia: string,
) {
  if (current && (current.exit_paths[0] ?? current.exit_via) === exitVia) {
    return {
      exit_via: current.exit_via,
      exit_paths: current.exit_paths,
      exit_mode: current.exit_mode,
    }
  }
  return { exit_via: exitVia, exit_paths: exitVia ? [exitVia] : [], exit_mode: '' }
}

/** A record the node would silently ignore or overwrite: refused with a sentence. */
function duplicate(serverId: string, message: string, field: string): never {
  throw new AppErrorException(appError('invalid_input', message, { serverId, params: { field } }))
}

function notFound(serverId: string, what: string): never {
  throw new AppErrorException(
    appError('not_found', `${what} no longer exists on the node. Reload the list.`, { serverId }),
  )
}

/** A 403 of `PUT /api/l2tp|ikev2` or a node that says it is not capable: `unsupported`. */
function unavailable(serverId: string, service: string, reason: string): never {
  throw new AppErrorException(
    appError(
      'unsupported',
      `${service} is unavailable on this node: ${reason || 'the node refused it'}. It needs the NET_ADMIN capability (e.g. a container run with --cap-add NET_ADMIN or host networking).`,
      { serverId },
    ),
  )
}

/**
 * Runs a PUT of a capability-gated service: its 403 (`L2TP unavailable: …`) becomes
 * `unsupported` with the node's reason. The PUT is always sent: the node decides, not a stale GET.
 */
async function gated(serverId: string, service: string, reason: string, put: () => Promise<void>) {
  try {
    await put()
  } catch (err) {
    const e = toAppError(err, serverId)
    if (e.params?.status === 403) {
      const said = /unavailable:\s*([^"]*)/i.exec(e.message)?.[1]?.trim()
      unavailable(serverId, service, said || reason)
    }
    throw err
  }
}

/** Builds the network facet of one HY2 SCALE node. */
export function createHy2ScaleNetworkFacet(
  client: Hy2ScaleClient,
  serverId: string,
): Hy2ScaleNetworkFacet {
  return {
    clients: {
      async list() {
        return (await client.clients.list()).map(clientView)
      },
      async save(original, d) {
        const all = await client.clients.list()
        const current =
          original === undefined
            ? undefined
            : (all.find((c) => c.name === original) ??
              notFound(serverId, `The peer link ${original}`))
        const others = all.filter((c) => c !== current)
        // The node ignores a second link to a known address and does not check names (200 ok,
        // apis.md §2): refuse both here instead of reporting a save that did not happen.
        if (others.some((c) => c.name === d.name)) {
          duplicate(serverId, `A peer link named "${d.name}" already exists on the node.`, 'name')
        }
        const taken = others.find((c) => clientAddrs(c).some((a) => d.addrs.includes(a)))
        if (taken) {
          duplicate(
            serverId,
            `The peer link "${taken.name}" already uses this address; the node would ignore a second link to it.`,
            'addrs',
          )
        }
        const password = d.password ? d.password : (current?.password ?? '')
        if (!password) {
          throw new AppErrorException(
            appError('invalid_input', 'A new peer link needs the peer’s hy2 password.', {
              serverId,
              params: { field: 'password' },
            }),
          )
        }
        const base: Record<string, unknown> = current ? { ...current } : {}
        delete base.connected
        const entry = {
          ...base,
          name: d.name,
          addr: d.addrs[0] ?? '',
          addrs: d.addrs,
          password,
          sni: d.sni,
          insecure: d.insecure,
          max_tx: d.maxTx,
          max_rx: d.maxRx,
          fast_open: d.fastOpen,
          bbr_profile: d.bbrProfile,
          disabled: current?.disabled ?? false,
        }
        if (current) await client.clients.update(current.name, entry)
        else await client.clients.create(entry)
      },
      setDisabled: (name, disabled) => client.clients.disable(name, disabled),
      remove: (name) => client.clients.delete(name),
    },
    proxies: {
      async list() {
        return (await client.proxies.list()).map(proxyView)
      },
      async save(original, d) {
        const all = await client.proxies.list()
        if (original === undefined) {
          // A duplicate id is a silent no-op on the node (apis.md §2).
          if (all.some((p) => p.id === d.id)) {
            duplicate(serverId, `A proxy with the id "${d.id}" already exists on the node.`, 'id')
          }
          await client.proxies.create({
            id: d.id,
            protocol: d.protocol,
            listen: d.listen,
            enabled: d.enabled,
            tls_cert: d.tlsCert,
            ...exitFields(undefined, d.exitVia),
          })
          return
        }
        const current =
          all.find((p) => p.id === original) ?? notFound(serverId, `The proxy ${original}`)
        if (d.id !== original) {
          duplicate(serverId, 'A proxy’s id cannot be changed; add a new proxy instead.', 'id')
        }
        await client.proxies.update(original, {
          ...current,
          protocol: d.protocol,
          listen: d.listen,
          enabled: d.enabled,
          tls_cert: d.tlsCert,
          ...exitFields(current, d.exitVia),
        })
      },
      remove: (id) => client.proxies.delete(id),
    },
    rules: {
      async list() {
        const env = await client.rules.list()
        return { available: env.available, rules: env.rules.map(ruleView) }
      },
      async save(original, d) {
        const { rules } = await client.rules.list()
        const fields = {
          name: d.name,
          type: d.type,
          targets: d.targets,
          enabled: d.enabled,
          priority: d.priority,
          use_tun: d.useTun,
        }
        if (original === undefined) {
          // The node does not check rule ids: a second rule with one id could not be edited
          // or deleted on its own.
          if (rules.some((r) => r.id === d.id)) {
            duplicate(serverId, `A rule with the id "${d.id}" already exists on the node.`, 'id')
          }
          await client.rules.create({ id: d.id, ...fields, ...exitFields(undefined, d.exitVia) })
          return
        }
        const current =
          rules.find((r) => r.id === original) ?? notFound(serverId, `The rule ${original}`)
        if (d.id !== original) {
          duplicate(serverId, 'A rule’s id cannot be changed; add a new rule instead.', 'id')
        }
        const rest: Record<string, unknown> = { ...current }
        delete rest.tun_active
        await client.rules.update(original, {
          ...rest,
          id: original,
          ...fields,
          ...exitFields(current, d.exitVia),
        })
      },
      toggle: (id, enabled) => client.rules.toggle(id, enabled),
      remove: (id) => client.rules.delete(id),
    },
    protocols: {
      async get() {
        const [ss, l2tp, ikev2] = await Promise.all([
          client.ss.get(),
          client.l2tp.get(),
          client.ikev2.get(),
        ])
        return {
          ss: { listen: ss.listen, enabled: ss.enabled, method: ss.method },
          l2tp: {
            listen: l2tp.listen,
            enabled: l2tp.enabled,
            pool: l2tp.pool,
            hasPsk: l2tp.psk !== '',
            proxyPort: l2tp.proxy_port,
            mtu: l2tp.mtu,
            capable: l2tp.capable,
            hostNetwork: l2tp.host_network,
            reason: l2tp.reason,
          },
          ikev2: {
            enabled: ikev2.enabled,
            mode: ikev2.mode,
            pool: ikev2.pool,
            certId: ikev2.cert_id,
            hasPsk: ikev2.psk !== '',
            localId: ikev2.local_id,
            remoteId: ikev2.remote_id,
            pskUserMode: ikev2.psk_user_mode,
            defaultExit: ikev2.default_exit,
            defaultExitMode: ikev2.default_exit_mode,
            dns: ikev2.dns,
            proxyPort: ikev2.proxy_port,
            mtu: ikev2.mtu,
            capable: ikev2.capable,
            hostNetwork: ikev2.host_network,
            reason: ikev2.reason,
          },
        }
      },
      async save(input) {
        if ('ss' in input) {
          const cur = await client.ss.get()
          await client.ss.put({ ...cur, ...input.ss })
          return
        }
        if ('l2tp' in input) {
          const d = input.l2tp
          const cur = await client.l2tp.get()
          const { capable: _c, host_network: _h, reason: _r, ...stored } = cur
          await gated(serverId, 'L2TP', cur.reason, () =>
            client.l2tp.put({
              ...stored,
              listen: d.listen,
              enabled: d.enabled,
              pool: d.pool,
              psk: d.psk ? d.psk : stored.psk,
              proxy_port: d.proxyPort,
              mtu: d.mtu,
            }),
          )
          return
        }
        const d = input.ikev2
        const cur = await client.ikev2.get()
        const { capable: _c, host_network: _h, reason: _r, ...stored } = cur
        await gated(serverId, 'IKEv2', cur.reason, () =>
          client.ikev2.put({
            ...stored,
            enabled: d.enabled,
            mode: d.mode,
            pool: d.pool,
            cert_id: d.certId,
            psk: d.psk ? d.psk : stored.psk,
            local_id: d.localId,
            remote_id: d.remoteId,
            psk_user_mode: d.pskUserMode,
            default_exit: d.defaultExit,
            default_exit_mode: d.defaultExitMode,
            dns: d.dns,
            proxy_port: d.proxyPort,
            mtu: d.mtu,
          }),
        )
      },
    },
    async checkPorts(ports) {
      const conflicts = await client.checkPorts(ports)
      return conflicts.map((c) => ({ port: c.port, proto: c.proto, desc: c.desc }))
    },
  }
}
