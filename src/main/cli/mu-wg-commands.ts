import type { Command } from 'commander'
import {
  AppErrorException,
  appError,
  type MuUserView,
  type ServerConfig,
  type WgMonManagedUserView,
} from '../../shared/contract'
import { formatBytes } from '../../shared/format'
import { KIND_INFO, type ServerKind } from '../../shared/kinds'
import { formatShare, muQuota, muTotals } from '../../shared/mu-users'
import { muUserName } from '../core/adapters/muapi/adapter'
import {
  WGMON_POLL_PAGE,
  readManagedPages,
  wgClientCounters,
  wgUserNames,
} from '../core/adapters/wgmon/adapter'
import type { Caller, CliKit } from './kit'

/**
 * CLI commands and per-kind output of Mu API v2 panels (apis.md §4) and WireGuard monitors
 * (apis.md §5): the fields `users` and `stats` add for them, WireGuard's kick with per-user
 * results, and `wgmon enable|disable|reset`. Shapes are public (README, "The CLI").
 */

/** Pages read at most (100,000 users): a guard against a server whose paging never ends. */
const WG_MAX_PAGES = 1000

/** What kick does on a WireGuard monitor, and what to use instead (apis.md §5 gotcha 4). */
export const WG_KICK_NOTE =
  'A WireGuard monitor kick only closes the session record: the peer stays in WireGuard, and one that keeps handshaking shows up again as a new session within about 10 s. To cut a user off, disable it (nodedeck wgmon disable SERVER USER).'

// ---- servers add ------------------------------------------------------------------------------

/** The `servers add` flags of these kinds. */
export interface MuWgAddFlags {
  keyPlacement?: string
  createRoute?: string
}

/**
 * The kind options `servers add` stores for a Mu panel (`--key-placement`) or a WireGuard
 * monitor (`--create-route`); each flag is refused for another kind and checked against the
 * kind's choices (KIND_INFO).
 */
export function muWgAddOptions(kind: string, o: MuWgAddFlags): Record<string, string> {
  const out: Record<string, string> = {}
  const flags: Array<[keyof MuWgAddFlags, string, ServerKind, string]> = [
    ['keyPlacement', '--key-placement', 'muapi', 'keyPlacement'],
    ['createRoute', '--create-route', 'wgmon', 'createRoute'],
  ]
  for (const [prop, flag, forKind, key] of flags) {
    const v = o[prop]
    if (v === undefined) continue
    if (kind !== forKind) {
      throw new AppErrorException(
        appError(
          'invalid_input',
          `${flag} is for ${KIND_INFO[forKind].label}s (--kind ${forKind}).`,
        ),
      )
    }
    const choices = KIND_INFO[forKind].optionFields.find((f) => f.key === key)?.choices ?? []
    if (!choices.includes(v)) {
      throw new AppErrorException(
        appError('invalid_input', `${flag} must be one of ${choices.join(', ')} (got "${v}").`),
      )
    }
    out[key] = v
  }
  return out
}

// ---- users ------------------------------------------------------------------------------------

/** Output of `users` for one of these kinds: the JSON rows and the human table. */
export interface UsersOutput {
  rows: Record<string, unknown>[]
  human: string
}

/**
 * `users --online` needs to know who is online: a kind without online counts (a Mu panel knows
 * only traffic and last use) is refused with an explanation rather than an empty list.
 */
export function checkOnlineFilter(s: ServerConfig): void {
  if (KIND_INFO[s.kind].capabilities.onlineCounts) return
  throw new AppErrorException(
    appError(
      'unsupported',
      `${KIND_INFO[s.kind].label}s do not know who is online: the panel keeps traffic and the last time each user was used, nothing about connections. Drop --online; lastUsedAt says when each user last moved traffic.`,
      { serverId: s.id },
    ),
  )
}

/** `users` of a Mu panel or a WireGuard monitor; null for other kinds. */
export async function muWgUsers(
  call: Caller,
  s: ServerConfig,
  o: { online: boolean },
  table: (head: string[], rows: string[][]) => string,
): Promise<UsersOutput | null> {
  if (s.kind === 'muapi') return muUsers(call, s, table)
  if (s.kind === 'wgmon') return wgUsers(call, s, o.online, table)
  return null
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

async function muUsers(
  call: Caller,
  s: ServerConfig,
  table: (head: string[], rows: string[][]) => string,
): Promise<UsersOutput> {
  const { users } = await call('muapi.users', { serverId: s.id })
  const rows = users.map((u) => ({
    name: muUserName(u),
    online: null,
    devices: null,
    up: u.up,
    down: u.down,
    id: u.id,
    email: u.email,
    userName: u.userName,
    enabled: u.enabled,
    port: u.port,
    method: u.method,
    quota: u.quota,
    lastUsedAt: iso(u.lastUsedAt),
  }))
  const human = table(
    ['USER', 'ID', 'ENABLED', 'PORT', 'UPLOAD', 'DOWNLOAD', 'USED / QUOTA', 'LAST USED'],
    users.map((u) => [
      muUserName(u),
      String(u.id),
      u.enabled ? 'yes' : 'no',
      u.port === null ? '—' : String(u.port),
      formatBytes(u.up),
      formatBytes(u.down),
      quotaText(u),
      u.lastUsedAt === null ? 'never' : (iso(u.lastUsedAt) ?? ''),
    ]),
  )
  return { rows, human }
}

function quotaText(u: MuUserView): string {
  const q = muQuota(u)
  if (q.fraction === null) return `${formatBytes(q.used)} / no quota`
  return `${formatBytes(q.used)} / ${formatBytes(q.quota)} (${formatShare(q.fraction)})${q.level === 'over' ? ' OVER' : ''}`
}

/** Every user of the monitor's management view, page by page (one request at a time). */
async function wgAllManaged(call: Caller, s: ServerConfig): Promise<WgMonManagedUserView[]> {
  const r = await readManagedPages(
    (page, perPage) =>
      call('wgmon.users', { serverId: s.id, page, perPage, search: '', status: 'all' }),
    WG_MAX_PAGES,
  )
  if (!r.ended) {
    throw new AppErrorException(
      appError(
        'bad_payload',
        `The WireGuard monitor still had more users after ${WG_MAX_PAGES} pages of ${WGMON_POLL_PAGE}; its paging looks broken. Check the monitor.`,
        { serverId: s.id },
      ),
    )
  }
  return r.users.sort((a, b) => a.id - b.id)
}

async function wgUsers(
  call: Caller,
  s: ServerConfig,
  onlineOnly: boolean,
  table: (head: string[], rows: string[][]) => string,
): Promise<UsersOutput> {
  const managed = await wgAllManaged(call, s)
  // The tunnel address is only in the raw list (the management view leaves it out).
  const raw = await call('wgmon.allUsers', { serverId: s.id })
  const ipOf = new Map(raw.users.map((u) => [u.id, u.clientIp]))
  const names = wgUserNames(managed)
  let list = managed
  if (onlineOnly) list = list.filter((u) => u.online === true)
  const rows = list.map((u) => {
    const c = wgClientCounters(u)
    const device = u.online === true || u.inSession === true
    return {
      name: names.get(u.id) ?? `User_${u.id}`,
      online: u.online,
      devices: device ? 1 : u.online === null && u.inSession === null ? null : 0,
      up: c.up,
      down: c.down,
      id: u.id,
      enabled: u.enabled,
      clientIp: ipOf.get(u.id) ?? u.clientIp ?? null,
      publicKey: u.publicKey,
      lastLogin: u.lastLogin,
      sessionUp: u.sessionUp,
      sessionDown: u.sessionDown,
    }
  })
  const yn = (v: boolean | null) => (v === null ? '—' : v ? 'yes' : 'no')
  const human = table(
    [
      'USER',
      'ID',
      'ONLINE',
      'ENABLED',
      'CLIENT IP',
      'UPLOAD',
      'DOWNLOAD',
      'SESSION ↑/↓',
      'LAST LOGIN',
    ],
    rows.map((r) => [
      r.name,
      String(r.id),
      yn(r.online),
      yn(r.enabled),
      r.clientIp ?? '—',
      formatBytes(r.up),
      formatBytes(r.down),
      r.sessionUp === null && r.sessionDown === null
        ? '—'
        : `${formatBytes(r.sessionUp)} / ${formatBytes(r.sessionDown)}`,
      r.lastLogin ?? '—',
    ]),
  )
  return { rows, human }
}

// ---- stats ------------------------------------------------------------------------------------

/** `stats` of a Mu panel or a WireGuard monitor; null for other kinds. */
export async function muWgStats(
  call: Caller,
  s: ServerConfig,
): Promise<Record<string, unknown> | null> {
  if (s.kind === 'muapi') {
    const { users } = await call('muapi.users', { serverId: s.id })
    const t = muTotals(users)
    return {
      kind: s.kind,
      users: t.users,
      enabled: t.enabled,
      up: t.up,
      down: t.down,
      quota: t.quota,
      overQuota: t.overQuota,
      nearQuota: t.nearQuota,
      neverUsed: t.neverUsed,
    }
  }
  if (s.kind === 'wgmon') {
    const d = await call('wgmon.dashboard', { serverId: s.id })
    const st = await call('wgmon.status', { serverId: s.id })
    return {
      kind: s.kind,
      interface: st.interface,
      running: st.running,
      registeredUsers: d.registeredUsers,
      enabledUsers: d.enabledUsers ?? st.enabledUsers,
      onlineUsers: d.onlineUsers ?? st.onlineUsers,
      activeSessions: d.activeSessions ?? st.activeSessions,
      // client's view: up = what the clients sent (the monitor's rx, which it labels "download")
      totalUp: d.totalUp,
      totalDown: d.totalDown,
      todayUp: d.todayUp,
      todayDown: d.todayDown,
      todaySessions: d.todaySessions,
      uptimeHours: d.uptimeHours,
    }
  }
  return null
}

// ---- WireGuard monitor: resolve users, kick, enable / disable / reset ---------------------------

/** A user named on the command line, found on the monitor. */
interface WgTarget {
  /** As given. */
  ref: string
  id: number
  /** The name `users` shows. */
  name: string
  user: WgMonManagedUserView
}

/**
 * Finds users by the name `nodedeck users` shows (nickname, `User_<id>`, `name#id` for duplicate
 * nicknames), a numeric id (`42`, `#42`) or the full public key. Every name is checked before
 * anything is sent: one unknown name fails the whole command.
 */
async function resolveWg(call: Caller, s: ServerConfig, refs: string[]): Promise<WgTarget[]> {
  const users = await wgAllManaged(call, s)
  const names = wgUserNames(users)
  const byId = new Map(users.map((u) => [u.id, u]))
  const byName = new Map([...names].map(([id, n]) => [n, id]))
  const byKey = new Map(users.filter((u) => u.publicKey).map((u) => [u.publicKey as string, u.id]))
  const out: WgTarget[] = []
  const missing: string[] = []
  for (const ref of refs) {
    const r = ref.trim()
    const m = /^(?:#|User_)?(\d+)$/.exec(r)
    const id = byName.get(r) ?? byKey.get(r) ?? (m ? Number(m[1]) : undefined)
    const user = id === undefined ? undefined : byId.get(id)
    if (id === undefined || !user) missing.push(ref)
    else out.push({ ref, id, name: names.get(id) ?? `User_${id}`, user })
  }
  if (missing.length > 0) {
    throw new AppErrorException(
      appError(
        'not_found',
        `No user ${missing.map((x) => `"${x}"`).join(', ')} on this WireGuard monitor. Use the name nodedeck users shows (nickname, User_<id>, or name#id for a repeated nickname), the numeric id or the full public key. Nothing was changed.`,
        { serverId: s.id, params: { missing: missing.join(', ') } },
      ),
    )
  }
  return out
}

/** The result of one kick. */
export interface WgKickResult {
  user: string
  id: number
  name: string
  /** True when an open session was closed; false when the user was not online. */
  changed: boolean
  message: string | null
}

/**
 * `kick` on a WireGuard monitor: each user's open session is closed (`GET /api/users/{id}/kick`);
 * says per user whether there was one, and what kick does not do ({@link WG_KICK_NOTE}).
 */
export async function wgmonKick(
  call: Caller,
  s: ServerConfig,
  refs: string[],
): Promise<{ json: Record<string, unknown>; human: string }> {
  const targets = await resolveWg(call, s, refs)
  const results: WgKickResult[] = []
  for (const t of targets) {
    const r = await call('wgmon.action', { serverId: s.id, userId: t.id, action: 'kick' })
    results.push({ user: t.ref, id: t.id, name: t.name, changed: r.changed, message: r.message })
  }
  const lines = results.map((r) =>
    r.changed
      ? `${r.name} (#${r.id}): session closed`
      : `${r.name} (#${r.id}): not online, nothing to close`,
  )
  return {
    json: { ok: true, server: s.id, users: refs, results, note: WG_KICK_NOTE },
    human: `kick on ${s.name}:\n${lines.map((l) => `  ${l}\n`).join('')}${WG_KICK_NOTE}\n`,
  }
}

type WgUserAction = 'enable' | 'disable' | 'reset'

/** What each action did, for the human text. */
const DONE: Record<WgUserAction, (who: string, changed: boolean) => string> = {
  enable: (who, changed) =>
    changed
      ? `${who} enabled: the peer is back in WireGuard and can connect again.`
      : `${who} was already enabled.`,
  disable: (who, changed) =>
    changed
      ? `${who} disabled: the peer is removed from WireGuard and cannot connect until enabled.`
      : `${who} was already disabled.`,
  reset: (who) => `${who}: traffic totals reset to 0 on the monitor.`,
}

/** Registers `nodedeck wgmon enable|disable|reset SERVER USER`. */
export function registerMuWgCommands(program: Command, kit: CliKit): void {
  const wgmon = program
    .command('wgmon')
    .description('WireGuard monitor users: enable, disable, reset traffic (kick: nodedeck kick)')
  const actions: Array<[WgUserAction, string]> = [
    ['enable', 'enable a user (its peer is added back to WireGuard)'],
    ['disable', 'disable a user (its peer is removed from WireGuard: this cuts it off)'],
    ['reset', 'reset a user’s traffic totals to 0'],
  ]
  for (const [action, description] of actions) {
    wgmon
      .command(action)
      .argument('<server>', 'id or unique name')
      .argument('<user>', 'name as `nodedeck users` shows it, numeric id or public key')
      .description(description)
      .action(async (ref: string, userRef: string) => {
        const out = await kit.withCore(async (core, call) => {
          const s = core.resolveServer(ref)
          return kit.withName(s.name, async () => {
            if (s.kind !== 'wgmon') {
              throw new AppErrorException(
                appError(
                  'unsupported',
                  `${s.name} is a ${KIND_INFO[s.kind].label}, not a WireGuard monitor: nodedeck wgmon works only with --kind wgmon servers.`,
                  { serverId: s.id },
                ),
              )
            }
            const [t] = await resolveWg(call, s, [userRef])
            if (!t) throw new Error('unreachable: resolveWg returns one target per name')
            const r = await call('wgmon.action', { serverId: s.id, userId: t.id, action })
            // The monitor answers "success" even when nothing changes: say so from the state read.
            const before = t.user.enabled
            const changed =
              action === 'enable'
                ? r.changed && before !== true
                : action === 'disable'
                  ? r.changed && before !== false
                  : r.changed
            return { s, t, changed, message: r.message }
          })
        })
        kit.print(
          {
            ok: true,
            server: out.s.id,
            user: out.t.ref,
            id: out.t.id,
            name: out.t.name,
            changed: out.changed,
            message: out.message,
          },
          () => `${out.s.name}: ${DONE[action](`${out.t.name} (#${out.t.id})`, out.changed)}\n`,
        )
      })
  }
}
