import type { UserHit, UserMatchField, UsersSnapshot } from '../../../shared/contract'
import type { ServerKind } from '../../../shared/kinds'
import type { UserSearchTerms } from '../adapters/adapter'
import { orNull, usersTableOf, type UsersTable } from '../monitor/traffic-tracker'

/** What the index shows of a server in its hits. */
export interface IndexedServer {
  id: string
  name: string
  kind: ServerKind
  group: string
}

/** A search: `query` any case, a page of `limit` hits from `offset`, optionally some servers. */
export interface UserQuery {
  query: string
  limit: number
  offset?: number
  serverIds?: readonly string[]
}

export interface UserSearchResult {
  total: number
  offset: number
  hits: UserHit[]
}

const FIELDS: readonly UserMatchField[] = ['name', 'key', 'ip']
const FIELD_NAME = 0
const FIELD_IP = 2
/** Separates values in a server's haystack; never in a query (stripped). */
const SEP = '\u0000'

/**
 * One server's users as the search sees them: every searchable value lower-cased into one string
 * (`hay`, values separated by SEP), with where each value starts, whose it is and what it is.
 * Rebuilt only when a poll brings other users or other keys/IPs (else only `users` is swapped).
 */
interface Part {
  server: IndexedServer
  /** The server's users (the tracker's columns: a hit reads the latest figures). */
  users: UsersTable
  stale: boolean
  hay: string
  /** Start of each value in `hay`, ascending. */
  starts: Int32Array
  /**
   * Whose each value is and what it is; null when the users have no keys or IPs (most kinds):
   * then value `v` is the name of row `v`, and nothing more is kept per user.
   */
  extra: Extra | null
  /** What the part was built from (to skip a rebuild when a poll brings the same). */
  names: readonly string[]
  /** The terms of each row; null when no user had any. */
  terms: (UserSearchTerms | undefined)[] | null
}

/** See {@link Part.extra}. */
interface Extra {
  /** Row index of each value. */
  owner: Int32Array
  /** FIELD_* of each value. */
  field: Uint8Array
  /** The values as the server reported them (for the hit). */
  values: string[]
  /** Index of each row's first value, plus one past the end. */
  rowFirst: Int32Array
}

const sameList = (a: readonly string[] | undefined, b: readonly string[] | undefined): boolean => {
  if (a === b) return true
  if (!a || !b || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
const sameTerms = (a: UserSearchTerms | undefined, b: UserSearchTerms | undefined): boolean =>
  a === b || (sameList(a?.keys, b?.keys) && sameList(a?.ips, b?.ips))

/** Builds a part's haystack from its users and their terms. */
function buildPart(
  server: IndexedServer,
  users: UsersTable,
  termsOf: (name: string) => UserSearchTerms | undefined,
  stale: boolean,
): Part {
  const chunks: string[] = []
  const starts: number[] = []
  const owner: number[] = []
  const field: number[] = []
  const values: string[] = []
  const names = users.names
  const rowFirst = new Int32Array(names.length + 1)
  const terms: (UserSearchTerms | undefined)[] = new Array<UserSearchTerms | undefined>(
    names.length,
  )
  let pos = 0
  const add = (row: number, f: number, value: string) => {
    starts.push(pos)
    owner.push(row)
    field.push(f)
    values.push(value)
    const lower = value.toLowerCase().replaceAll(SEP, '')
    chunks.push(lower)
    pos += lower.length + 1
  }
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string
    const t = termsOf(name)
    terms[i] = t
    rowFirst[i] = starts.length
    add(i, FIELD_NAME, name)
    // A key equal to the name (a Mu user named by its email) would only repeat the name's hit.
    for (const k of t?.keys ?? []) if (k !== name && k !== '') add(i, 1, k)
    for (const ip of t?.ips ?? []) if (ip !== '') add(i, FIELD_IP, ip)
  }
  rowFirst[names.length] = starts.length
  const onlyNames = values.length === names.length
  return {
    server,
    users,
    stale,
    hay: chunks.join(SEP),
    starts: Int32Array.from(starts),
    extra: onlyNames
      ? null
      : { owner: Int32Array.from(owner), field: Uint8Array.from(field), values, rowFirst },
    names,
    terms: terms.some((t) => t !== undefined) ? terms : null,
  }
}

/** The last value starting at or before `pos` (binary search over ascending starts). */
function valueAt(starts: Int32Array, pos: number): number {
  let lo = 0
  let hi = starts.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if ((starts[mid] as number) <= pos) lo = mid
    else hi = mid - 1
  }
  return lo
}

/**
 * The fleet's user search (issue 7): every server's latest users reading, indexed when the poll
 * brings it, so a query does not build a string per user. Name and keys match anywhere in the
 * value, IPs by prefix (`10.0.` finds the 10.0.x.x addresses, not `110.0.…`), all case-insensitive.
 * A query is one `indexOf` walk over each server's haystack: at 100,000 users a few ms.
 * A user is one hit (its first matching value: name before key before IP).
 */
export class UserIndex {
  private readonly parts = new Map<string, Part>()
  private servers: IndexedServer[] = []
  private readonly serverById = new Map<string, IndexedServer>()
  /** Last known search terms per server (from the poll), kept when a reading has none. */
  private readonly terms = new Map<string, Map<string, UserSearchTerms>>()

  /** The configured servers, in order; users of servers no longer listed are dropped. */
  setServers(servers: readonly IndexedServer[]): void {
    this.servers = [...servers]
    this.serverById.clear()
    for (const s of servers) this.serverById.set(s.id, s)
    const keep = new Set(servers.map((s) => s.id))
    for (const id of [...this.parts.keys()]) {
      if (!keep.has(id)) {
        this.parts.delete(id)
        this.terms.delete(id)
      }
    }
    for (const s of servers) {
      const p = this.parts.get(s.id)
      if (p) p.server = s
    }
  }

  /** Drops what is known of a server's users (its address or kind changed). */
  forget(serverId: string): void {
    this.parts.delete(serverId)
    this.terms.delete(serverId)
  }

  /** The keys and IPs a poll read (before its snapshot arrives); none = keep the last ones. */
  setTerms(serverId: string, terms: Map<string, UserSearchTerms> | undefined): void {
    if (terms) this.terms.set(serverId, terms)
  }

  /** A server's new users reading. */
  onUsers(snap: UsersSnapshot): void {
    const server = this.serverById.get(snap.serverId)
    if (!server) return
    const terms = this.terms.get(snap.serverId)
    const termsOf = (name: string) => terms?.get(name)
    const users = usersTableOf(snap)
    const old = this.parts.get(snap.serverId)
    if (old && this.sameUsers(old, users.names, termsOf)) {
      old.users = users
      old.stale = snap.stale
      return
    }
    this.parts.set(snap.serverId, buildPart(server, users, termsOf, snap.stale))
  }

  /** Users indexed, over every server. */
  size(): number {
    let n = 0
    for (const p of this.parts.values()) n += p.users.names.length
    return n
  }

  /** Searches every server's latest reading (config order, then the server's user order). */
  search(q: UserQuery): UserSearchResult {
    const needle = q.query.trim().toLowerCase().replaceAll(SEP, '')
    const offset = q.offset ?? 0
    const hits: UserHit[] = []
    let total = 0
    if (needle === '') return { total, offset, hits }
    const only = q.serverIds ? new Set(q.serverIds) : null
    for (const server of this.servers) {
      if (only && !only.has(server.id)) continue
      const p = this.parts.get(server.id)
      if (!p) continue
      let from = 0
      for (;;) {
        const pos = p.hay.indexOf(needle, from)
        if (pos < 0) break
        const v = valueAt(p.starts, pos)
        const x = p.extra
        // An IP matches only from its start; look further in the same value and on.
        if (x && x.field[v] === FIELD_IP && pos !== p.starts[v]) {
          from = pos + 1
          continue
        }
        const row = x ? (x.owner[v] as number) : v
        if (total >= offset && hits.length < q.limit) hits.push(this.hit(p, row, v))
        total++
        // One hit per user: go on with the next user's first value.
        const next = x ? (x.rowFirst[row + 1] as number) : row + 1
        if (next >= p.starts.length) break
        from = p.starts[next] as number
      }
    }
    return { total, offset, hits }
  }

  private hit(p: Part, row: number, v: number): UserHit {
    const u = p.users
    const x = p.extra
    let key: string | null = null
    if (x) {
      const end = x.rowFirst[row + 1] as number
      for (let i = x.rowFirst[row] as number; i < end; i++) {
        if (x.field[i] === 1) {
          key = x.values[i] as string
          break
        }
      }
    }
    return {
      serverId: p.server.id,
      serverName: p.server.name,
      kind: p.server.kind,
      group: p.server.group,
      user: u.names[row] as string,
      field: FIELDS[x ? (x.field[v] as number) : FIELD_NAME] as UserMatchField,
      value: (x ? x.values[v] : p.names[v]) as string,
      key,
      online: u.online[row] === 1,
      devices: orNull(u.devices[row] as number),
      upRate: orNull(u.upRate[row] as number),
      downRate: orNull(u.downRate[row] as number),
      stale: p.stale,
    }
  }

  private sameUsers(
    p: Part,
    names: readonly string[],
    termsOf: (name: string) => UserSearchTerms | undefined,
  ): boolean {
    if (names.length !== p.names.length) return false
    const same = names === p.names
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string
      if (!same && name !== p.names[i]) return false
      if (!sameTerms(termsOf(name), p.terms?.[i])) return false
    }
    return true
  }
}
