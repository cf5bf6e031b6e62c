import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  AlertSettingsSchema,
  appError,
  type AlertSettings,
  type HealthState,
  type Notice,
  type ServerStatus,
} from '../../../shared/contract'
import { AlertRules, type AlertServer } from './alert-rules'

/** 2024-01-10 is a Wednesday; 12:00 local time. */
const NOON = new Date(2024, 0, 10, 12, 0, 0).getTime()
const MIN = 60_000

function status(serverId: string, state: HealthState): ServerStatus {
  const down = state === 'offline' || state === 'auth_failed' || state === 'tls_failed'
  return {
    serverId,
    state,
    since: Date.now(),
    lastCheckAt: Date.now(),
    lastOkAt: null,
    latencyMs: down ? null : 12,
    error: down ? appError('network', `${serverId} refused the connection.`) : null,
    pending: null,
  }
}

interface Harness {
  rules: AlertRules
  out: Notice[]
  settings: AlertSettings
  servers: Map<string, AlertServer>
  change(id: string, from: HealthState, to: HealthState): void
}

function harness(opts: { groupWindowMs?: number } = {}): Harness {
  const out: Notice[] = []
  const servers = new Map<string, AlertServer>()
  const h: Harness = {
    out,
    settings: AlertSettingsSchema.parse({}),
    servers,
    rules: undefined as unknown as AlertRules,
    change(id, from, to) {
      const s = servers.get(id) ?? { id, name: id, group: '', state: from }
      s.state = to
      servers.set(id, s)
      h.rules.onChange(status(id, to), from, { id, name: s.name, group: s.group })
    },
  }
  h.rules = new AlertRules({
    deliver: (n) => out.push(n),
    settings: () => h.settings,
    servers: () => servers.values(),
    groupWindowMs: opts.groupWindowMs ?? 4_000,
  })
  return h
}

function addServer(h: Harness, id: string, group = '', state: HealthState = 'online'): void {
  h.servers.set(id, { id, name: `Name-${id}`, group, state })
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOON })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('alert rules: single changes', () => {
  it('one notice per confirmed change to down and per recovery, after the group window', () => {
    const h = harness()
    addServer(h, 'a')
    h.change('a', 'online', 'offline')
    expect(h.out).toHaveLength(0)
    vi.advanceTimersByTime(4_000)
    expect(h.out).toHaveLength(1)
    expect(h.out[0]).toMatchObject({
      kind: 'offline',
      level: 'error',
      serverId: 'a',
      serverName: 'Name-a',
      state: 'offline',
      title: 'Name-a is offline',
      body: 'a refused the connection.',
    })
    expect(h.out[0]?.muted).toBeUndefined()
    expect(h.out[0]?.quiet).toBeUndefined()
    h.change('a', 'offline', 'degraded')
    vi.advanceTimersByTime(4_000)
    expect(h.out.map((n) => n.kind)).toEqual(['offline', 'recovered'])
    expect(h.out[1]).toMatchObject({ title: 'Name-a is back online', body: 'Answering in 12 ms.' })
  })

  it('auth and TLS failures have their own kinds; unknown → down is news', () => {
    const h = harness()
    addServer(h, 'a')
    addServer(h, 'b')
    h.change('a', 'unknown', 'auth_failed')
    h.change('b', 'online', 'tls_failed')
    vi.advanceTimersByTime(4_000)
    expect(h.out.map((n) => [n.kind, n.title])).toEqual([
      ['auth_failed', 'Name-a: authentication failed'],
      ['tls_failed', 'Name-b: TLS failed'],
    ])
  })

  it('raises nothing for online ⇄ degraded, unknown → online and down → another down', () => {
    const h = harness()
    addServer(h, 'a')
    h.change('a', 'unknown', 'online')
    h.change('a', 'online', 'degraded')
    h.change('a', 'degraded', 'online')
    vi.advanceTimersByTime(4_000)
    h.change('a', 'online', 'offline')
    h.change('a', 'offline', 'auth_failed')
    vi.advanceTimersByTime(10_000)
    expect(h.out.map((n) => n.kind)).toEqual(['offline'])
  })
})

describe('alert rules: flap limit', () => {
  it('at most 2 notices per server in 10 min, then ONE summary with the exact count', () => {
    const h = harness()
    addServer(h, 'a')
    // A change every minute: down, up, down, up… 10 changes from t = 0 to t = 9 min.
    for (let i = 0; i < 10; i++) {
      h.change('a', i % 2 ? 'offline' : 'online', i % 2 ? 'online' : 'offline')
      vi.advanceTimersByTime(MIN)
    }
    const popped = h.out.filter((n) => !n.suppressed)
    expect(popped.map((n) => n.kind)).toEqual(['offline', 'recovered'])
    // The 8 changes held back are in the history, marked suppressed.
    expect(h.out.filter((n) => n.suppressed)).toHaveLength(8)
    // The first notice went out at 4 s; its window ends 10 min later: the summary comes then.
    vi.advanceTimersByTime(4_000 - 1)
    expect(h.out.filter((n) => n.kind === 'flapping')).toHaveLength(0)
    vi.advanceTimersByTime(1)
    const summaries = h.out.filter((n) => n.kind === 'flapping')
    expect(summaries).toHaveLength(1)
    expect(summaries[0]).toMatchObject({
      serverId: 'a',
      count: 8,
      state: 'online',
      windowMin: 10,
      limit: 2,
      title: 'Name-a changed state 8 more times in 10 min; now online',
    })
    expect(summaries[0]?.at).toBe(NOON + 10 * MIN + 4_000)
    expect(summaries[0]?.suppressed).toBeUndefined()
  })

  it('keeps the limit in any 10-minute window, the summary included', () => {
    const h = harness({ groupWindowMs: 1_000 })
    addServer(h, 'a')
    const t0 = Date.now()
    // Flaps every 30 s for an hour.
    for (let i = 0; i < 120; i++) {
      h.change('a', i % 2 ? 'offline' : 'online', i % 2 ? 'online' : 'offline')
      vi.advanceTimersByTime(30_000)
    }
    vi.advanceTimersByTime(30 * MIN)
    const popped = h.out.filter((n) => !n.suppressed)
    for (const n of popped) {
      const inWindow = popped.filter((m) => m.at > n.at - 10 * MIN && m.at <= n.at)
      expect(inWindow.length).toBeLessThanOrEqual(2)
    }
    // Every change is accounted for: popped single notices + changes counted in summaries.
    const singles = popped.filter((n) => n.kind !== 'flapping').length
    const summarized = popped
      .filter((n) => n.kind === 'flapping')
      .reduce((sum, n) => sum + (n.count ?? 0), 0)
    expect(singles + summarized).toBe(120)
    expect(h.out.filter((n) => n.suppressed)).toHaveLength(summarized)
    expect(Date.now() - t0).toBe(90 * MIN)
  })

  it('a server that settles after two notices gets no summary', () => {
    const h = harness()
    addServer(h, 'a')
    h.change('a', 'online', 'offline')
    vi.advanceTimersByTime(MIN)
    h.change('a', 'offline', 'online')
    vi.advanceTimersByTime(60 * MIN)
    expect(h.out.map((n) => n.kind)).toEqual(['offline', 'recovered'])
  })
})

describe('alert rules: grouping', () => {
  it('≥ 3 servers going down together become ONE notice naming the biggest group', () => {
    const h = harness()
    for (let i = 0; i < 37; i++) addServer(h, `t${i}`, i < 35 ? 'Tokyo' : 'Osaka')
    for (let i = 0; i < 37; i++) {
      h.change(`t${i}`, 'online', 'offline')
      vi.advanceTimersByTime(100) // 3.7 s in all, inside the 4 s window
    }
    vi.advanceTimersByTime(4_000)
    expect(h.out).toHaveLength(1)
    const n = h.out[0]
    expect(n).toMatchObject({
      kind: 'group',
      level: 'error',
      serverId: '',
      state: 'offline',
      count: 37,
      group: 'Tokyo',
      groupCount: 35,
      title: '37 servers offline — 35 in group Tokyo',
    })
    expect(n?.serverIds).toHaveLength(37)
    expect(n?.serverNames).toHaveLength(20)
    expect(n?.body).toMatch(/^Name-t0, Name-t1, .* … and 17 more$/)
  })

  it('groups recoveries likewise; a mix of down states says "down"', () => {
    const h = harness()
    for (const id of ['a', 'b', 'c']) addServer(h, id)
    h.change('a', 'online', 'offline')
    h.change('b', 'online', 'auth_failed')
    h.change('c', 'online', 'offline')
    vi.advanceTimersByTime(4_000)
    expect(h.out[0]).toMatchObject({ kind: 'group', count: 3, title: '3 servers down' })
    expect(h.out[0]?.state).toBeUndefined()
    for (const id of ['a', 'b', 'c']) h.change(id, 'offline', 'online')
    vi.advanceTimersByTime(4_000)
    expect(h.out[1]).toMatchObject({
      kind: 'group',
      level: 'info',
      state: 'online',
      title: '3 servers back online',
    })
  })

  it('two servers are two single notices; the window starts at the first change', () => {
    const h = harness()
    for (const id of ['a', 'b', 'c']) addServer(h, id)
    h.change('a', 'online', 'offline')
    vi.advanceTimersByTime(3_000)
    h.change('b', 'online', 'offline')
    vi.advanceTimersByTime(1_000)
    expect(h.out.map((n) => n.serverId)).toEqual(['a', 'b'])
    // c comes after the window: a batch of its own.
    h.change('c', 'online', 'offline')
    vi.advanceTimersByTime(4_000)
    expect(h.out.map((n) => n.kind)).toEqual(['offline', 'offline', 'offline'])
  })
})

describe('alert rules: mute and quiet hours', () => {
  it('muted servers go to the history marked muted, at once, outside groups', () => {
    const h = harness()
    for (const id of ['a', 'b', 'c', 'd']) addServer(h, id)
    h.settings = { ...h.settings, mutedServerIds: ['d'] }
    for (const id of ['a', 'b', 'd']) h.change(id, 'online', 'offline')
    expect(h.out).toHaveLength(1)
    expect(h.out[0]).toMatchObject({ serverId: 'd', muted: true, kind: 'offline' })
    vi.advanceTimersByTime(4_000)
    // a and b: two singles (d did not count toward the group).
    expect(h.out.slice(1).map((n) => [n.serverId, n.muted])).toEqual([
      ['a', undefined],
      ['b', undefined],
    ])
  })

  it('marks notices quiet inside quiet hours crossing midnight; summary of what is down after', () => {
    vi.setSystemTime(new Date(2024, 0, 10, 21, 59, 0))
    const h = harness()
    h.settings = {
      ...h.settings,
      quietHours: { enabled: true, start: '22:00', end: '07:00', days: [] },
    }
    h.rules.settingsChanged()
    for (const id of ['a', 'b']) addServer(h, id, 'Tokyo')
    h.change('a', 'online', 'offline')
    vi.advanceTimersByTime(4_000)
    expect(h.out[0]?.quiet).toBeUndefined() // 21:59: not yet quiet
    vi.setSystemTime(new Date(2024, 0, 11, 3, 0, 0))
    h.change('b', 'online', 'offline')
    h.change('a', 'offline', 'online')
    vi.advanceTimersByTime(4_000)
    expect(h.out.slice(1).map((n) => [n.kind, n.quiet])).toEqual([
      ['offline', true],
      ['recovered', true],
    ])
    vi.setSystemTime(new Date(2024, 0, 11, 6, 59, 0))
    vi.advanceTimersByTime(30_000)
    expect(h.out).toHaveLength(3)
    // 07:00: quiet hours end; b is still down.
    vi.advanceTimersByTime(60_000)
    expect(h.out).toHaveLength(4)
    expect(h.out[3]).toMatchObject({
      kind: 'quiet_summary',
      serverId: 'b',
      serverIds: ['b'],
      count: 1,
      title: 'Quiet hours ended: 1 server is still down',
      body: 'Name-b',
    })
    expect(h.out[3]?.quiet).toBeUndefined()
  })

  it('quiet hours limited to some days; no summary when nothing is down', () => {
    // Wednesday 23:00, quiet hours only on Saturdays and Sundays.
    vi.setSystemTime(new Date(2024, 0, 10, 23, 0, 0))
    const h = harness()
    h.settings = {
      ...h.settings,
      quietHours: { enabled: true, start: '22:00', end: '07:00', days: [0, 6] },
    }
    h.rules.settingsChanged()
    addServer(h, 'a')
    h.change('a', 'online', 'offline')
    vi.advanceTimersByTime(4_000)
    expect(h.out[0]?.quiet).toBeUndefined()
    // Saturday 23:00: quiet.
    vi.setSystemTime(new Date(2024, 0, 13, 23, 0, 0))
    h.change('a', 'offline', 'online')
    vi.advanceTimersByTime(4_000)
    expect(h.out[1]?.quiet).toBe(true)
    // Sunday 07:00: over; nothing down, so no summary.
    vi.setSystemTime(new Date(2024, 0, 14, 7, 0, 0))
    vi.advanceTimersByTime(30_000)
    expect(h.out).toHaveLength(2)
  })
})
