import { z } from 'zod'
import { AppErrorException, appError, type SessionRow } from '../../../../shared/contract'
import type {
  AdapterContext,
  KindModule,
  PollResult,
  ServerAdapter,
  UserSearchTerms,
} from '../adapter'
import { createSerialQueue, type SerialQueue } from './queue'
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
 * One queue per monitor address, shared by every adapter of it: the app's adapter and the one a
 * "Test connection" or a CLI probe builds must not send two requests at once to the
 * single-threaded server either.
 */
const QUEUES = new Map<string, SerialQueue>()
function queueFor(serverId: string, url: string): SerialQueue {
  let key: string
  try {
    key = new URL(url).origin
  } catch {
    key = url
  }
  let q = QUEUES.get(key)
  if (!q) {
    q = createSerialQueue({ serverId })
    QUEUES.set(key, q)
  }
  return q
}

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
 * Every user of the management view, page by page (`perPage` = the server's maximum, 100). The
 * monitor orders its pages by online state and last login, which can change between two pages (a
 * user who logs in moves up): a user may then come twice (kept once, the first read) or not at
 * all (`users.length < total`). `ended` is false when `maxPages` ran out before the last page.
 */
export async function readManagedPages<U extends { id: number }>(
  readPage: (
    page: number,
    perPage: number,
  ) => Promise<{ users: U[]; pagination: { total: number; hasNext: boolean } }>,
  maxPages: number,
): Promise<{ users: U[]; total: number; ended: boolean }> {
  const byId = new Map<number, U>()
  let total = 0
  for (let page = 1; page <= maxPages; page++) {
    const r = await readPage(page, WGMON_POLL_PAGE)
    if (page === 1) total = r.pagination.total
    for (const u of r.users) if (!byId.has(u.id)) byId.set(u.id, u)
    if (!r.pagination.hasNext || r.users.length === 0) {
      return { users: [...byId.values()], total, ended: true }
    }
  }
  return { users: [...byId.values()], total, ended: false }
}

/** A monitor user's traffic, client's view: the closed sessions' total + the open session. */
export function wgClientCounters(u: {
  up: number | null
  down: number | null
  sessionUp: number | null
  sessionDown: number | null
}): { up: number | null; down: number | null } {
  return {
    up: u.up === null ? null : u.up + (u.sessionUp ?? 0),
    down: u.down === null ? null : u.down + (u.sessionDown ?? 0),
  }
}

/**
 * What finds a monitor user in the fleet's user search besides its name: its public key and
 * email; its tunnel address and the address it last logged in from.
 */
export function wgSearchTerms(u: {
  publicKey: string | null
  email: string | null
  clientIp: string | null
  loginIp: string | null
}): UserSearchTerms {
  const keys: string[] = []
  if (u.publicKey) keys.push(u.publicKey)
  if (u.email) keys.push(u.email)
  const ips: string[] = []
  if (u.clientIp) ips.push(u.clientIp)
  if (u.loginIp && u.loginIp !== u.clientIp) ips.push(u.loginIp)
  return { keys, ips }
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
    queue: queueFor(server.id, server.url),
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

  /**
   * Every user, read page by page. The monitor orders its pages by online state and last login,
   * which can change between two pages (a user who logs in moves up): a user may then come twice
   * (kept once, by id) or not at all. A read that found fewer users than the server counts is
   * repeated once; if it is still short it is returned as incomplete (the missing users' counters
   * are unknown in that poll, never 0).
   */
  async function allUsers(
    signal?: AbortSignal,
  ): Promise<{ users: WgMonManagedUser[]; complete: boolean }> {
    const read = () =>
      readManagedPages(
        (page, perPage) => client.management({ page, perPage, status: 'all' }, signal),
        WGMON_POLL_MAX_PAGES,
      )
    let r = await read()
    // Short (users moved between pages): once more.
    if (r.ended && r.users.length < r.total) r = await read()
    return { users: r.users, complete: r.ended && r.users.length >= r.total }
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
      const terms = new Map<string, UserSearchTerms>()
      for (const u of users) {
        const name = names.get(u.id) ?? `User_${u.id}`
        const c = wgClientCounters(u)
        if (c.up !== null && c.down !== null) counters.set(name, { up: c.up, down: c.down })
        if (u.online === true || u.inSession === true) devices.set(name, 1)
        terms.set(name, wgSearchTerms(u))
      }
      return {
        latencyMs: performance.now() - started,
        partial: complete
          ? null
          : appError(
              'bad_payload',
              users.length >= WGMON_POLL_PAGE * WGMON_POLL_MAX_PAGES
                ? `The monitor has more than ${WGMON_POLL_PAGE * WGMON_POLL_MAX_PAGES} users; NodeDeck reads the first ${WGMON_POLL_PAGE * WGMON_POLL_MAX_PAGES} in each poll.`
                : 'The monitor’s user list changed while NodeDeck read it page by page (users logging in move between pages); some users are missing from this reading and shown as unknown. The next poll reads them again.',
              { serverId: server.id },
            ),
        users: {
          at: Date.now(),
          counters,
          devices,
          countersAreDeltas: false,
          names: [...names.values()],
          terms,
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
