import { z } from 'zod'
import { MuKeyPlacementSchema } from '../../../../shared/contract'
import type {
  AdapterContext,
  KindModule,
  PollResult,
  ServerAdapter,
  UserSearchTerms,
} from '../adapter'
import { createMuApiClient, type MuApiClient, type MuUser } from './client'

/** Keychain key of the panel's mu key (`muKey` in v3's `.env`, `MuKey` in master's config). */
export const MUAPI_SECRET_KEY = 'muKey'

/** Options of a Mu API panel: where the key goes (Token header by default). */
export const MuApiOptionsSchema = z
  .object({ keyPlacement: MuKeyPlacementSchema.default('token') })
  .strip()

/**
 * The name NodeDeck shows for a panel user (and the CLI prints): the email, else the user name,
 * else `#<id>`. Emails are unique in ss-panel's `user` table.
 */
export function muUserName(u: Pick<MuUser, 'id' | 'email' | 'userName'>): string {
  return u.email || u.userName || `#${u.id}`
}

/**
 * What finds a panel user in the fleet's user search besides its name: email, user name, `#id`
 * and Shadowsocks port (the keys the bridge's rules match on too).
 */
export function muUserKeys(u: Pick<MuUser, 'id' | 'email' | 'userName' | 'port'>): string[] {
  const keys = [`#${u.id}`]
  if (u.email) keys.push(u.email)
  if (u.userName) keys.push(u.userName)
  if (u.port !== null) keys.push(String(u.port))
  return keys
}

/**
 * The Mu API v2 adapter (apis.md §4). A poll reads `GET /users` (every user with its used bytes):
 * health and the per-user counters, which grow in steps when nodes report. The panel knows nothing
 * of online devices (null). `muapi.client()` is the same client for the panel view and the bridge.
 */
export function createMuApiAdapter(ctx: AdapterContext): ServerAdapter {
  const { server } = ctx
  const options = MuApiOptionsSchema.parse(server.options)
  const client: MuApiClient = createMuApiClient({
    serverId: server.id,
    baseUrl: server.url,
    http: ctx.http,
    getKey: () => ctx.getSecret(MUAPI_SECRET_KEY),
    keyIn: options.keyPlacement === 'query' ? 'query' : 'header',
    keyHeader: options.keyPlacement === 'key' ? 'Key' : 'Token',
    timeoutMs: Math.min(30_000, Math.max(5_000, server.pollIntervalSec * 800)),
    tls: server.tls,
  })
  let lastUsers: { users: MuUser[]; at: number } | null = null

  return {
    kind: 'muapi',
    async poll(signal): Promise<PollResult> {
      const started = performance.now()
      const users = await client.listUsers(signal)
      const at = Date.now()
      lastUsers = { users, at }
      const counters = new Map<string, { up: number; down: number }>()
      const terms = new Map<string, UserSearchTerms>()
      for (const u of users) {
        const name = muUserName(u)
        counters.set(name, { up: u.up, down: u.down })
        terms.set(name, { keys: muUserKeys(u) })
      }
      return {
        latencyMs: performance.now() - started,
        partial: null,
        users: {
          at,
          counters,
          devices: null,
          countersAreDeltas: false,
          names: [...counters.keys()],
          terms,
        },
      }
    },
    muapi: {
      client: () => client,
      async users(signal) {
        const users = await client.listUsers(signal)
        lastUsers = { users, at: Date.now() }
        return { users, fetchedAt: lastUsers.at }
      },
      async nodeUsers(nodeId, signal) {
        const users = await client.nodeUsers(nodeId, signal)
        return { nodeId, users, fetchedAt: Date.now() }
      },
      lastUsers: () => lastUsers,
    },
  }
}

/** The Mu API kind for the adapter registry. */
export const muapiKind: KindModule = {
  kind: 'muapi',
  secretKey: MUAPI_SECRET_KEY,
  optionsSchema: MuApiOptionsSchema,
  create: createMuApiAdapter,
}
