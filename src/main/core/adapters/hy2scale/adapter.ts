import { z } from 'zod'
import { AppErrorException, appError, toAppError } from '../../../../shared/contract'
import type { AdapterContext, KindModule, PollResult, ServerAdapter } from '../adapter'
import { createHy2ScaleClient } from './client'
import { createHy2ScaleNetworkFacet } from './network'
import { createHy2ScaleMaintenanceFacet } from './maintenance'
import { createHy2ScaleStreams } from './streams'
import {
  certToCert,
  deviceToSession,
  devicesPerUser,
  ipsPerUser,
  mapTopology,
  peerToWireGuardPeer,
  userToAccount,
} from './map'

/** Keychain key of the HY2 SCALE admin password. */
export const HY2SCALE_SECRET_KEY = 'password'

/** Options of an HY2 SCALE server: the admin user name (the password is in the keychain). */
export const Hy2ScaleOptionsSchema = z
  .object({ username: z.string().trim().min(1).max(128).default('admin') })
  .strip()

/**
 * The HY2 SCALE adapter (apis.md §2): one poll reads stats, users and sessions in parallel;
 * facets for accounts, sessions, WireGuard, certificates and the node view. Passwords and
 * private keys go to the node and come back only through explicit reveals.
 */
export function createHy2ScaleAdapter(ctx: AdapterContext): ServerAdapter {
  const { server } = ctx
  const options = Hy2ScaleOptionsSchema.parse(server.options)
  const client = createHy2ScaleClient({
    serverId: server.id,
    baseUrl: server.url,
    http: ctx.http,
    tls: server.tls,
    timeoutMs: Math.min(15_000, Math.max(3_000, server.pollIntervalSec * 800)),
    getCredentials: async () => {
      const password = await ctx.getSecret(HY2SCALE_SECRET_KEY)
      return password === null ? null : { username: options.username, password }
    },
  })

  const notFound = (what: string): never => {
    throw new AppErrorException(
      appError('not_found', `${what} no longer exists on the node. Reload the list.`, {
        serverId: server.id,
      }),
    )
  }

  return {
    kind: 'hy2scale',
    async poll(signal): Promise<PollResult> {
      const started = performance.now()
      const [stats, users, sessions] = await Promise.allSettled([
        client.stats(signal),
        client.users.list(signal),
        client.sessions.list(signal),
      ])
      // Stats is the node's heartbeat: if it fails (down, refused login) the node is down.
      if (stats.status === 'rejected') throw stats.reason
      const failed = [users, sessions].find((r) => r.status === 'rejected')
      return {
        latencyMs: performance.now() - started,
        partial: failed ? toAppError((failed as PromiseRejectedResult).reason, server.id) : null,
        users: {
          at: Date.now(),
          counters: null,
          // HY2 SCALE keeps one traffic total per user (accounts facet), no up/down split.
          noCounters: true,
          countersAreDeltas: false,
          names: users.status === 'fulfilled' ? users.value.map((u) => u.username) : [],
          devices: sessions.status === 'fulfilled' ? devicesPerUser(sessions.value.devices) : null,
          terms: sessions.status === 'fulfilled' ? ipsPerUser(sessions.value.devices) : undefined,
        },
      }
    },
    users: {
      /** Kicks every device of these users (each device is refused for 60 s, apis.md §2). */
      async kick(names) {
        const { devices } = await client.sessions.list()
        const wanted = new Set(names)
        for (const d of devices) {
          if (!wanted.has(d.username)) continue
          try {
            await client.sessions.kick(d.key)
          } catch (err) {
            // Gone meanwhile (the device disconnected): nothing left to kick.
            if (toAppError(err).code !== 'not_found') throw err
          }
        }
      },
    },
    sessions: {
      async list(signal) {
        const { devices } = await client.sessions.list(signal)
        return devices.map(deviceToSession).sort((a, b) => a.user.localeCompare(b.user))
      },
      kick: (id) => client.sessions.kick(id),
    },
    accounts: {
      async list() {
        const [users, sessions] = await Promise.all([
          client.users.list(),
          client.sessions.list().catch(() => null),
        ])
        const devices = sessions ? devicesPerUser(sessions.devices) : null
        return users.map((u) => userToAccount(u, devices ? (devices.get(u.username) ?? 0) : null))
      },
      async create(d) {
        // A duplicate username is a silent no-op on the node (200 ok, apis.md §2): refuse it
        // here instead of reporting a creation that did not happen.
        const users = await client.users.list()
        if (users.some((u) => u.username === d.name)) {
          throw new AppErrorException(
            appError(
              'invalid_input',
              `A user named "${d.name}" already exists on the node. Choose another name or edit that user.`,
              { serverId: server.id, params: { field: 'name' } },
            ),
          )
        }
        await client.users.create({
          username: d.name,
          password: d.password ?? '',
          enabled: d.enabled,
          traffic_limit: d.trafficLimit ?? 0,
          expiry_date: d.expiresAt ?? '',
          exit_via: d.exitVia,
        })
      },
      async update(id, d) {
        // PUT replaces the whole record (apis.md §2 gotcha 5): start from the stored one so
        // the password and fields NodeDeck does not edit are kept.
        const users = await client.users.list()
        const current = users.find((u) => u.id === id) ?? notFound(`The user ${id}`)
        // The node does not check a rename against the other users: two accounts with one
        // name would make logins ambiguous.
        if (users.some((u) => u.id !== id && u.username === d.name)) {
          throw new AppErrorException(
            appError('invalid_input', `Another user is already named "${d.name}".`, {
              serverId: server.id,
              params: { field: 'name' },
            }),
          )
        }
        await client.users.update({
          ...current,
          username: d.name,
          password: d.password ? d.password : current.password,
          enabled: d.enabled,
          traffic_limit: d.trafficLimit ?? 0,
          expiry_date: d.expiresAt ?? '',
          exit_via: d.exitVia,
          // The node takes `exit_paths[0]` over `exit_via` when paths are set (upstream
          // updateUserAPI): a changed exit must replace the stored paths, or it is ignored.
          ...(d.exitVia !== current.exit_via
            ? { exit_paths: d.exitVia ? [d.exitVia] : [], exit_mode: '' }
            : {}),
        })
      },
      setEnabled: (id, enabled) => client.users.toggle(id, enabled),
      resetTraffic: (id) => client.users.resetTraffic(id),
      remove: (id) => client.users.delete(id),
      conflicts: () => client.users.conflicts(),
    },
    wireguard: {
      async get() {
        const wg = await client.wireguard.get()
        return {
          server: {
            enabled: wg.enabled,
            listenPort: wg.listen_port,
            address: wg.address,
            dns: wg.dns,
            mtu: wg.mtu > 0 ? wg.mtu : null,
            running: wg.running,
            connected: wg.connected,
            publicKey: wg.public_key,
          },
          peers: wg.peers.map(peerToWireGuardPeer),
        }
      },
      async update(s) {
        // The PUT takes the whole config; empty `peers` keeps the existing ones, and the
        // server's private key must be sent back as it is.
        const wg = await client.wireguard.get()
        await client.wireguard.put({
          enabled: s.enabled,
          listen_port: s.listenPort,
          private_key: wg.private_key,
          address: s.address,
          dns: s.dns,
          mtu: s.mtu ?? 0,
          peers: [],
        })
      },
      async addPeer(p) {
        await client.wireguard.addPeer({
          name: p.name,
          public_key: p.publicKey,
          private_key: p.privateKey,
          allowed_ips: p.allowedIps,
          keepalive: p.keepalive,
          exit_via: p.exitVia,
        })
      },
      async generateKeyPair() {
        const k = await client.wireguard.generateKey()
        return { privateKey: k.private_key, publicKey: k.public_key }
      },
      removePeer: (name) => client.wireguard.deletePeer(name),
      peerConfigText: (name, endpoint) => client.wireguard.peerConfigText(name, endpoint),
    },
    certificates: {
      async list() {
        const now = Date.now()
        return (await client.tls.list()).map((c) => certToCert(c, now))
      },
      import: (c) => client.tls.import({ id: c.id, name: c.name, cert: c.certPem, key: c.keyPem }),
      generate: (c) =>
        client.tls.generate({ id: c.id, name: c.name, domains: c.domains, days: c.days }),
      sign: (c) =>
        client.tls.sign({ ca_id: c.caId, id: c.id, name: c.name, cn: c.cn, days: c.days }),
      async pem(id) {
        const pem = await client.tls.pem(id)
        // The node answers 200 with two empty strings for an unknown id (apis.md §2).
        if (pem.cert === '' && pem.key === '') notFound(`The certificate ${id}`)
        return pem
      },
      remove: (id) => client.tls.delete(id),
    },
    hy2scaleNetwork: createHy2ScaleNetworkFacet(client, server.id),
    streams: createHy2ScaleStreams(client, { server, http: ctx.http }),
    hy2scaleMaintenance: createHy2ScaleMaintenanceFacet(client, server.id),
    hy2scale: {
      async overview() {
        const [node, stats, topology] = await Promise.all([
          client.node.get(),
          client.stats(),
          client.topology(),
        ])
        return {
          node: {
            nodeId: node.node_id,
            name: node.name,
            version: node.version,
            exitNode: node.exit_node,
            limited: node.limited,
            hy2UserAuth: node.hy2_user_auth,
            listen: node.server?.listen || null,
          },
          stats: {
            txBytes: stats.tx_bytes,
            rxBytes: stats.rx_bytes,
            txRate: stats.tx_rate,
            rxRate: stats.rx_rate,
            conns: stats.conns,
            exitClients: stats.exit_clients,
          },
          topology: mapTopology(topology),
          defaultPassword: client.forcePasswordChange === true,
        }
      },
      async updateNode(patch) {
        await client.node.update({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.exitNode !== undefined ? { exit_node: patch.exitNode } : {}),
        })
      },
      async getGraphLayout() {
        const wire = await client.graphLayout.get()
        const positions: Record<string, { x: number; y: number }> = {}
        for (const [key, p] of Object.entries(wire.positions)) positions[key] = { x: p.x, y: p.y }
        return { positions }
      },
      saveGraphLayout: (positions) => client.graphLayout.put(positions),
    },
  }
}

/** The HY2 SCALE kind for the adapter registry. */
export const hy2scaleKind: KindModule = {
  kind: 'hy2scale',
  secretKey: HY2SCALE_SECRET_KEY,
  optionsSchema: Hy2ScaleOptionsSchema,
  create: createHy2ScaleAdapter,
}
