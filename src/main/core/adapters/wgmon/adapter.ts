import { z } from 'zod'
import { AppErrorException, appError, type SessionRow } from '../../../../shared/contract'
import type { AdapterContext, KindModule, PollResult, ServerAdapter } from '../adapter'
import {
  createWgMonClient,
  type WgMonClient,
  type WgMonCreateRoute,
  type WgMonManagedUser,
} from './client'

/** Options of a WireGuard monitor: the create route tried first (the other one on a 404). */
export const WgMonOptionsSchema = z
  .object({ createRoute: z.enum(['upstream', 'seed']).default('upstream') })
  .strip()

/** The monitor has no auth; the registry still wants a key name (nothing is ever stored under it). */
export const WGMON_SECRET_KEY = 'none'

/** Users per management page read by a poll (the server's maximum). */
export const WGMON_POLL_PAGE = 100
/** The most pages one poll reads (10,000 users); beyond, the poll is partial. */
export const WGMON_POLL_MAX_PAGES = 100

/**
 * The name NodeDeck shows for a monitor user: its nickname, or `User_<id>` as the monitor's own
 * management page shows it. Two users with the same nickname get `#<id>` appended, so every name
 * maps back to exactly one user (kick, CLI).
 */
export function wgUserNames(
  users: readonly { id: number; nickname: string | null }[],
): Map<number, string> {
  const base = new Map<number, string>()
  const count = new Map<string, number>()
  for (const u of users) {
    const n = u.nickname?.trim() || `User_${u.id}`
    base.set(u.id, n)
    count.set(n, (count.get(n) ?? 0) + 1)
  }
  const out = new Map<number, string>()
  for (const [id, n] of base) out.set(id, (count.get(n) ?? 0) > 1 ? `${n}#${id}` : n)
  return out
}

/**
 * The WireGuard monitor adapter (apis.md §5). No auth; ONE request at a time (the client's queue).
 * A poll reads the management view page by page (100 users a page): each row has the closed
 * sessions' totals and the open session's bytes from one query, so a user's counter = total +
 * open session, consistent within the row (reading `/api/users` and `/api/events` separately would
 * race with the monitor thread closing a session between the two reads). Online users count one
 * device (a WireGuard peer is one device).
 */
export function createWgMonAdapter(ctx: AdapterContext): ServerAdapter {
  const { server } = ctx
  const options = WgMonOptionsSchema.parse(server.options)
  let learnedRoute: WgMonCreateRoute = options.createRoute
  const client: WgMonClient = createWgMonClient({
    serverId: server.id,
    baseUrl: server.url,
    http: ctx.http,
    tls: server.tls,
    timeoutMs: Math.min(15_000, Math.max(3_000, server.pollIntervalSec * 800)),
    createRoute: learnedRoute,
    onCreateRouteLearned: (r) => {
      learnedRoute = r
    },
  })
  /** id → name of the last full read, for kick by name and sessions. */
  let names = new Map<number, string>()

  async function allUsers(
    signal?: AbortSignal,
  ): Promise<{ users: WgMonManagedUser[]; complete: boolean }> {
    const users: WgMonManagedUser[] = []
    for (let page = 1; page <= WGMON_POLL_MAX_PAGES; page++) {
      const r = await client.management({ page, perPage: WGMON_POLL_PAGE, status: 'all' }, signal)
      users.push(...r.users)
      if (!r.pagination.hasNext || r.users.length === 0) return { users, complete: true }
    }
    return { users, complete: false }
  }

  async function idsOf(requested: string[], signal?: AbortSignal): Promise<Map<string, number>> {
    const { users } = await allUsers(signal)
    names = wgUserNames(users)
    const byName = new Map<string, number>()
    for (const [id, n] of names) byName.set(n, id)
    const out = new Map<string, number>()
    const missing: string[] = []
    for (const n of requested) {
      const id = byName.get(n) ?? (/^#?\d+$/.test(n) ? Number(n.replace('#', '')) : undefined)
      if (id === undefined || !names.has(id)) missing.push(n)
      else out.set(n, id)
    }
    if (missing.length > 0) {
      throw new AppErrorException(
        appError(
          'not_found',
          `No user named ${missing.map((m) => `"${m}"`).join(', ')} on this WireGuard monitor. Use the name the users list shows (nickname, or User_<id>) or the numeric id.`,
          { serverId: server.id },
        ),
      )
    }
    return out
  }

  return {
    kind: 'wgmon',
    async poll(signal): Promise<PollResult> {
      const started = performance.now()
      const { users, complete } = await allUsers(signal)
      names = wgUserNames(users)
      const counters = new Map<string, { up: number; down: number }>()
      const devices = new Map<string, number>()
      for (const u of users) {
        const name = names.get(u.id) ?? `User_${u.id}`
        if (u.up !== null && u.down !== null) {
          counters.set(name, { up: u.up + (u.sessionUp ?? 0), down: u.down + (u.sessionDown ?? 0) })
        }
        if (u.online === true || u.inSession === true) devices.set(name, 1)
      }
      return {
        latencyMs: performance.now() - started,
        partial: complete
          ? null
          : appError(
              'bad_payload',
              `The monitor has more than ${WGMON_POLL_PAGE * WGMON_POLL_MAX_PAGES} users; NodeDeck reads the first ${WGMON_POLL_PAGE * WGMON_POLL_MAX_PAGES} in each poll.`,
              { serverId: server.id },
            ),
        users: {
          at: Date.now(),
          counters,
          devices,
          countersAreDeltas: false,
          names: [...names.values()],
        },
      }
    },
    users: {
      async kick(requested, signal) {
        const ids = await idsOf(requested, signal)
        for (const id of ids.values()) await client.kickUser(id, signal)
      },
    },
    sessions: {
      async list(signal): Promise<SessionRow[]> {
        const events = await client.events(signal)
        return events
          .filter((e) => e.online === true)
          .map((e) => ({
            id: String(e.id),
            user:
              (e.userId !== null ? names.get(e.userId) : undefined) ??
              (e.nickname || (e.userId !== null ? `User_${e.userId}` : '?')),
            state: 'online',
            connection: e.userId !== null ? String(e.userId) : null,
            stream: null,
            target: '',
            hookedTarget: null,
            remote: e.endpoint,
            up: e.up,
            down: e.down,
            startedAt: e.startTime,
            lastActiveAt: e.lastUpdate,
            protocol: 'wireguard',
            connections: null,
          }))
      },
    },
    wgmon: {
      client: () => client,
    },
  }
}

/** The WireGuard monitor kind for the adapter registry. */
export const wgmonKind: KindModule = {
  kind: 'wgmon',
  secretKey: WGMON_SECRET_KEY,
  optionsSchema: WgMonOptionsSchema,
  create: createWgMonAdapter,
}
