import { randomUUID } from 'node:crypto'
import type {
  AlertSettings,
  HealthState,
  Notice,
  NoticeKind,
  ServerStatus,
} from '../../../shared/contract'
import { isDown } from '../monitor/health'
import { isQuietAt } from './quiet-hours'

/** What the rules need to know of a server. */
export interface AlertServer {
  id: string
  name: string
  group: string
  state: HealthState
}

export interface AlertRulesOptions {
  /** Receives every notice: history, UI, and (when it pops) native sinks. */
  deliver(notice: Notice): void
  settings(): AlertSettings
  /** The servers now (quiet-hours summary, the state of a flapping server). */
  servers(): Iterable<AlertServer>
  now?: () => number
  /** Changes this close together are grouped (ms, default 4000; ≤ 5 s keeps B10's budget). */
  groupWindowMs?: number
  /** A batch of at least this many servers becomes one grouped notice (default 3). */
  groupMin?: number
  /** Flap limit: at most `flapMax` notices per server in any `flapWindowMs` (10 min, 2). */
  flapWindowMs?: number
  flapMax?: number
  /** Server names listed in a grouped notice's body (default 20). */
  listCap?: number
  /** How often the end of quiet hours is checked (ms, default 30 s). */
  quietCheckMs?: number
}

/** One confirmed change that deserves a notice. */
interface Change {
  server: AlertServer
  kind: 'offline' | 'auth_failed' | 'tls_failed' | 'recovered'
  to: HealthState
  reason: string
  latencyMs: number | null
}

/** Per server: when its last notices went out, and what the flap limit held back since. */
interface FlapState {
  sent: number[]
  held: number
  timer: ReturnType<typeof setTimeout> | null
}

const STATE_EN: Record<HealthState, string> = {
  unknown: 'unknown',
  online: 'online',
  degraded: 'degraded',
  offline: 'offline',
  auth_failed: 'failing authentication',
  tls_failed: 'failing TLS',
}

/** "A, B, C … and 4 more". */
function nameList(names: readonly string[], cap: number): string {
  const shown = names.slice(0, cap).join(', ')
  return names.length > cap ? `${shown} … and ${names.length - cap} more` : shown
}

/** The group most of `servers` are in, and how many ('' = ungrouped has most). */
function biggestGroup(servers: readonly AlertServer[]): { group: string; count: number } {
  const counts = new Map<string, number>()
  for (const s of servers) counts.set(s.group, (counts.get(s.group) ?? 0) + 1)
  let best = { group: '', count: 0 }
  for (const [group, count] of counts) if (count > best.count) best = { group, count }
  return best
}

/**
 * The alert rules, from confirmed state changes to notices:
 * - one notice per confirmed change to down (offline, auth failed, TLS failed; also from
 *   unknown: a server down at start is news) and per recovery from down to online/degraded;
 *   online ⇄ degraded, down → another down and unknown → up raise nothing;
 * - muted servers: their changes go to the history marked `muted`, nothing pops;
 * - flap limit: at most `flapMax` notices per server in any `flapWindowMs`; further changes go
 *   to the history marked `suppressed`, and when the window allows again ONE `flapping` summary
 *   says how many changes were held back and the state now;
 * - grouping: changes within `groupWindowMs` of the first one are collected per direction (down,
 *   up); a batch of ≥ `groupMin` servers is ONE `group` notice naming the biggest group, fewer
 *   are single notices (so a single notice waits at most `groupWindowMs`);
 * - quiet hours: notices are marked `quiet` (history and centre only); when they end, one
 *   `quiet_summary` lists what is still down.
 */
export class AlertRules {
  private readonly now: () => number
  private readonly groupWindowMs: number
  private readonly groupMin: number
  private readonly flapWindowMs: number
  private readonly flapMax: number
  private readonly listCap: number
  private readonly quietCheckMs: number
  private readonly flaps = new Map<string, FlapState>()
  private readonly batches: Record<'down' | 'up', Change[]> = { down: [], up: [] }
  private readonly batchTimers: Record<'down' | 'up', ReturnType<typeof setTimeout> | null> = {
    down: null,
    up: null,
  }
  private quietTimer: ReturnType<typeof setInterval> | null = null
  private wasQuiet = false

  constructor(private readonly opts: AlertRulesOptions) {
    this.now = opts.now ?? Date.now
    this.groupWindowMs = opts.groupWindowMs ?? 4_000
    this.groupMin = opts.groupMin ?? 3
    this.flapWindowMs = opts.flapWindowMs ?? 10 * 60_000
    this.flapMax = opts.flapMax ?? 2
    this.listCap = opts.listCap ?? 20
    this.quietCheckMs = opts.quietCheckMs ?? 30_000
    this.settingsChanged()
  }

  /** Call on every confirmed state change. */
  onChange(status: ServerStatus, from: HealthState, server: Omit<AlertServer, 'state'>): void {
    const to = status.state
    let kind: Change['kind'] | null = null
    if (isDown(to) && !isDown(from)) kind = to as Change['kind']
    else if ((to === 'online' || to === 'degraded') && isDown(from)) kind = 'recovered'
    if (!kind) return
    const change: Change = {
      server: { ...server, state: to },
      kind,
      to,
      reason: status.error?.message ?? '',
      latencyMs: status.latencyMs,
    }
    if (this.opts.settings().mutedServerIds.includes(server.id)) {
      this.deliver(this.single(change), { muted: true })
      return
    }
    if (!this.admit(server.id)) {
      this.deliver(this.single(change), { suppressed: true })
      return
    }
    const dir = kind === 'recovered' ? 'up' : 'down'
    this.batches[dir].push(change)
    if (!this.batchTimers[dir]) {
      const timer = setTimeout(() => this.flush(dir), this.groupWindowMs)
      timer.unref?.()
      this.batchTimers[dir] = timer
    }
  }

  /** Settings changed (or first start): follow the quiet hours from now on. */
  settingsChanged(): void {
    const q = this.opts.settings().quietHours
    if (q.enabled && !this.quietTimer) {
      this.wasQuiet = this.isQuiet()
      this.quietTimer = setInterval(() => this.checkQuiet(), this.quietCheckMs)
      this.quietTimer.unref?.()
    } else if (!q.enabled && this.quietTimer) {
      clearInterval(this.quietTimer)
      this.quietTimer = null
      this.checkQuiet()
    }
  }

  /** Sends what is waiting in a batch now and stops every timer (the core is stopping). */
  dispose(): void {
    this.flush('down')
    this.flush('up')
    for (const f of this.flaps.values()) if (f.timer) clearTimeout(f.timer)
    this.flaps.clear()
    if (this.quietTimer) clearInterval(this.quietTimer)
    this.quietTimer = null
  }

  private isQuiet(): boolean {
    return isQuietAt(new Date(this.now()), this.opts.settings().quietHours)
  }

  private checkQuiet(): void {
    const quiet = this.isQuiet()
    if (this.wasQuiet && !quiet) this.quietEnded()
    this.wasQuiet = quiet
  }

  /** Quiet hours are over: one summary of what is still down (muted servers left out). */
  private quietEnded(): void {
    const muted = new Set(this.opts.settings().mutedServerIds)
    const down = [...this.opts.servers()].filter((s) => isDown(s.state) && !muted.has(s.id))
    if (down.length === 0) return
    const names = down.map((s) => s.name)
    const { group, count } = biggestGroup(down)
    this.deliver({
      ...this.base('quiet_summary', 'warning'),
      serverId: down.length === 1 ? (down[0]?.id ?? '') : '',
      serverName: down.length === 1 ? (names[0] ?? '') : '',
      title: `Quiet hours ended: ${down.length} ${down.length === 1 ? 'server is' : 'servers are'} still down`,
      body: nameList(names, this.listCap),
      serverIds: down.map((s) => s.id),
      serverNames: names.slice(0, this.listCap),
      count: down.length,
      group,
      groupCount: count,
    })
  }

  /** The flap limit: may this server raise a notice now? Records it if so. */
  private admit(serverId: string): boolean {
    const now = this.now()
    let f = this.flaps.get(serverId)
    if (!f) {
      f = { sent: [], held: 0, timer: null }
      this.flaps.set(serverId, f)
    }
    while (f.sent.length > 0 && (f.sent[0] as number) <= now - this.flapWindowMs) f.sent.shift()
    if (f.sent.length < this.flapMax && f.held === 0) {
      // Sent at the end of the group window at the latest: counting it from then keeps any
      // 10-minute span of delivered notices within the limit.
      f.sent.push(now + this.groupWindowMs)
      return true
    }
    f.held++
    if (!f.timer) {
      // The window has room again when its oldest notice leaves it.
      const wait = Math.max(0, (f.sent[0] ?? now) + this.flapWindowMs - now)
      const state = f
      f.timer = setTimeout(() => this.flapSummary(serverId, state), wait)
      f.timer.unref?.()
    }
    return false
  }

  /** The window ended: one summary of what the flap limit held back. */
  private flapSummary(serverId: string, f: FlapState): void {
    f.timer = null
    const held = f.held
    f.held = 0
    const now = this.now()
    while (f.sent.length > 0 && (f.sent[0] as number) <= now - this.flapWindowMs) f.sent.shift()
    const server = [...this.opts.servers()].find((s) => s.id === serverId)
    if (!server || held === 0) return
    f.sent.push(now)
    const minutes = Math.round(this.flapWindowMs / 60_000)
    const muted = this.opts.settings().mutedServerIds.includes(serverId)
    this.deliver(
      {
        ...this.base('flapping', isDown(server.state) ? 'error' : 'warning'),
        serverId,
        serverName: server.name,
        title: `${server.name} changed state ${held} more ${held === 1 ? 'time' : 'times'} in ${minutes} min; now ${STATE_EN[server.state]}`,
        body: `Notifications for this server were held back to at most ${this.flapMax} per ${minutes} minutes.`,
        state: server.state,
        count: held,
        windowMin: minutes,
        limit: this.flapMax,
      },
      muted ? { muted: true } : {},
    )
  }

  /** The batch window of a direction ended: one grouped notice, or single ones. */
  private flush(dir: 'down' | 'up'): void {
    const timer = this.batchTimers[dir]
    if (timer) clearTimeout(timer)
    this.batchTimers[dir] = null
    const batch = this.batches[dir]
    if (batch.length === 0) return
    this.batches[dir] = []
    if (batch.length < this.groupMin) {
      for (const c of batch) this.deliver(this.single(c))
      return
    }
    const servers = batch.map((c) => c.server)
    const names = servers.map((s) => s.name)
    const { group, count: groupCount } = biggestGroup(servers)
    const states = new Set(batch.map((c) => c.to))
    // A mix of down states has no single state: the notice then says "down".
    const state = states.size === 1 ? batch[0]?.to : dir === 'up' ? 'online' : undefined
    const what = dir === 'up' ? 'back online' : state ? STATE_EN[state] : 'down'
    const where = group ? ` — ${groupCount} in group ${group}` : ''
    this.deliver({
      ...this.base('group', dir === 'up' ? 'info' : 'error'),
      serverId: '',
      serverName: '',
      title: `${batch.length} servers ${what}${where}`,
      body: nameList(names, this.listCap),
      state,
      serverIds: servers.map((s) => s.id),
      serverNames: names.slice(0, this.listCap),
      count: batch.length,
      group,
      groupCount,
    })
  }

  private base(kind: NoticeKind, level: Notice['level']) {
    return { id: randomUUID(), at: this.now(), kind, level }
  }

  /** The notice of one server's change. */
  private single(c: Change): Notice {
    const name = c.server.name
    const common = { serverId: c.server.id, serverName: name, state: c.to }
    if (c.kind === 'recovered') {
      return {
        ...this.base('recovered', 'info'),
        ...common,
        title: `${name} is back online`,
        body: c.latencyMs !== null ? `Answering in ${c.latencyMs} ms.` : '',
      }
    }
    const title =
      c.kind === 'offline'
        ? `${name} is offline`
        : c.kind === 'auth_failed'
          ? `${name}: authentication failed`
          : `${name}: TLS failed`
    return { ...this.base(c.kind, 'error'), ...common, title, body: c.reason }
  }

  /** Marks quiet hours and hands the notice on. */
  private deliver(n: Notice, flags: { muted?: true; suppressed?: true } = {}): void {
    const notice: Notice = { ...n, ...flags }
    if (this.isQuiet()) notice.quiet = true
    this.opts.deliver(notice)
  }
}
