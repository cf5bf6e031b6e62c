import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  appError,
  type ServerConfig,
  type ServerStatus,
  type UsersSnapshot,
} from '../../../shared/contract'
import { FakeAdapter, networkError } from '../testing/fake-adapter'
import {
  LIVE_INTERVAL_MS,
  MAX_BACKOFF_MS,
  Monitor,
  phaseOf,
  POLL_TICK_MS,
  pollTimeoutMs,
} from './monitor'

function config(id: string, pollIntervalSec = 10, url = 'http://127.0.0.1:9999'): ServerConfig {
  return {
    id,
    kind: 'hysteria2',
    name: id,
    url,
    group: '',
    tags: [],
    pollIntervalSec,
    tls: {},
    options: {},
    createdAt: 0,
  }
}

interface Recorded {
  statuses: Array<{ status: ServerStatus; changed: { from: ServerStatus['state'] } | null }>
  users: UsersSnapshot[]
}

function recorder(): { rec: Recorded; events: ConstructorParameters<typeof Monitor>[0] } {
  const rec: Recorded = { statuses: [], users: [] }
  return {
    rec,
    events: {
      status: (status, changed) => rec.statuses.push({ status, changed }),
      users: (s) => rec.users.push(s),
    },
  }
}

const T0 = 1_700_000_000_000

describe('phaseOf', () => {
  it('is deterministic and inside [0, interval)', () => {
    for (const id of ['a', 'server-1', 'ff0e3c1a-0000-4000-8000-000000000000', '']) {
      const p = phaseOf(id, 10_000)
      expect(p).toBe(phaseOf(id, 10_000))
      expect(p).toBeGreaterThanOrEqual(0)
      expect(p).toBeLessThan(10_000)
      expect(Number.isInteger(p)).toBe(true)
    }
  })

  it('spreads many servers over the interval, on the tick grid', () => {
    const phases = Array.from({ length: 200 }, (_, i) => phaseOf(`server-${i}`, 10_000))
    expect(phases.every((p) => p % POLL_TICK_MS === 0)).toBe(true)
    // 200 servers over the ticks of 10 s: about as many distinct ticks as chance gives.
    const ticks = 10_000 / POLL_TICK_MS
    const byChance = ticks * (1 - (1 - 1 / ticks) ** 200)
    expect(new Set(phases).size).toBeGreaterThan(byChance * 0.85)
    // Every tenth of the interval gets some servers.
    const buckets = new Set(phases.map((p) => Math.floor(p / 1000)))
    expect(buckets.size).toBe(10)
  })

  it('survives a zero interval', () => {
    expect(phaseOf('x', 0)).toBe(0)
  })

  it('is exact below one tick', () => {
    const p = phaseOf('server-1', POLL_TICK_MS - 1)
    expect(p).toBeLessThan(POLL_TICK_MS - 1)
  })
})

describe('Monitor', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('polls each server at its interval, starting at its phase', async () => {
    const { events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter([{ ok: true }])
    m.upsert(config('s1', 10), a)
    m.start()
    const phase = phaseOf('s1', 10_000)
    await vi.advanceTimersByTimeAsync(phase - 1)
    expect(a.calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(a.calls).toEqual([T0 + phase])
    await vi.advanceTimersByTimeAsync(30_000)
    expect(a.calls).toEqual([0, 1, 2, 3].map((i) => T0 + phase + i * 10_000))
    m.stop()
  })

  it('keeps one poll in flight per server: concurrent probes share it', async () => {
    const { rec, events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter()
    a.hold = true
    m.upsert(config('s1'), a)
    let done = 0
    const p1 = m.probe('s1').then(() => done++)
    const p2 = m.probe('s1').then(() => done++)
    const p3 = m.probe('s1').then(() => done++)
    await vi.advanceTimersByTimeAsync(0)
    expect(a.calls).toHaveLength(1)
    expect(done).toBe(0)
    a.held[0]?.resolve({ ok: true })
    await Promise.all([p1, p2, p3])
    expect(done).toBe(3)
    expect(rec.statuses).toHaveLength(1)
    // The next probe is a new poll.
    a.hold = false
    await m.probe('s1')
    expect(a.calls).toHaveLength(2)
  })

  it('a timer firing while a probe is in flight joins it instead of polling again', async () => {
    const { events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter()
    a.hold = true
    m.upsert(config('s1', 10), a)
    m.start()
    const probe = m.probe('s1')
    await vi.advanceTimersByTimeAsync(phaseOf('s1', 10_000) + 1)
    expect(a.calls).toHaveLength(1)
    a.held[0]?.resolve({ ok: true })
    await probe
    m.stop()
  })

  it('polls a watched server every LIVE_INTERVAL_MS, and goes back to its interval when unwatched', async () => {
    const { events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter([{ ok: true }])
    m.upsert(config('s1', 60), a)
    m.start()
    m.watch('s1', 'conn-1')
    await vi.advanceTimersByTimeAsync(0)
    expect(a.calls).toEqual([T0]) // at once
    await vi.advanceTimersByTimeAsync(3 * LIVE_INTERVAL_MS)
    expect(a.calls).toEqual([0, 1, 2, 3].map((i) => T0 + i * LIVE_INTERVAL_MS))
    expect([...m.watchers('s1')]).toEqual(['conn-1'])

    // A second watcher does not add a poll.
    m.watch('s1', 'conn-2')
    await vi.advanceTimersByTimeAsync(0)
    expect(a.calls).toHaveLength(4)

    m.unwatch('s1', 'conn-1')
    m.unwatchAll('conn-2')
    expect(m.watchers('s1').size).toBe(0)
    // The timer already set (live) fires once more, then the base interval applies.
    await vi.advanceTimersByTimeAsync(LIVE_INTERVAL_MS)
    expect(a.calls).toHaveLength(5)
    await vi.advanceTimersByTimeAsync(59_999)
    expect(a.calls).toHaveLength(5)
    await vi.advanceTimersByTimeAsync(1)
    expect(a.calls).toHaveLength(6)
    m.stop()
  })

  it('does not poll faster than the server interval when that is already below LIVE_INTERVAL_MS', async () => {
    const { events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter([{ ok: true }])
    m.upsert(config('s1', 2), a)
    m.start()
    m.watch('s1', 'c')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(a.calls.length).toBe(6)
    m.stop()
  })

  it('backs off while failing (×2 up to MAX_BACKOFF_MS)', async () => {
    const { rec, events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter([{ ok: false, error: networkError() }])
    m.upsert(config('s1', 10), a)
    m.start()
    await vi.advanceTimersByTimeAsync(phaseOf('s1', 10_000))
    expect(a.calls).toHaveLength(1)
    expect(m.status('s1')?.state).toBe('offline') // from unknown: at once
    await vi.advanceTimersByTimeAsync(400_000)
    const gaps = a.calls.slice(1).map((t, i) => t - (a.calls[i] ?? 0))
    expect(gaps.slice(0, 5)).toEqual([10_000, 20_000, 40_000, MAX_BACKOFF_MS, MAX_BACKOFF_MS])
    expect(gaps.every((g) => g <= MAX_BACKOFF_MS)).toBe(true)
    expect(rec.statuses.filter((s) => s.changed)).toHaveLength(1)
    m.stop()
  })

  it('confirms quickly after a first failure, then backs off; recovers to the base interval', async () => {
    const { rec, events } = recorder()
    const m = new Monitor(events)
    const err = networkError()
    const a = new FakeAdapter([
      { ok: true },
      { ok: false, error: err },
      { ok: false, error: err },
      { ok: false, error: err },
      { ok: true },
      { ok: true },
      { ok: true },
    ])
    m.upsert(config('s1', 30), a)
    m.start()
    const phase = phaseOf('s1', 30_000)
    await vi.advanceTimersByTimeAsync(phase)
    expect(m.status('s1')?.state).toBe('online')
    // 2nd poll (base interval) fails: pending offline, re-check in 5 s instead of 30 s.
    await vi.advanceTimersByTimeAsync(30_000)
    expect(a.calls).toHaveLength(2)
    expect(m.status('s1')).toMatchObject({ state: 'online', pending: 'offline' })
    await vi.advanceTimersByTimeAsync(5_000)
    expect(a.calls).toHaveLength(3)
    expect(m.status('s1')).toMatchObject({ state: 'offline', pending: null })
    // Confirmed offline after 2 failures: back off (30 s × 2).
    await vi.advanceTimersByTimeAsync(59_999)
    expect(a.calls).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(1)
    expect(a.calls).toHaveLength(4)
    // 4th: fails (failures = 3 → 120 s capped to 60 s).
    await vi.advanceTimersByTimeAsync(MAX_BACKOFF_MS)
    expect(a.calls).toHaveLength(5)
    // 5th succeeded: pending online, failures reset → base interval.
    expect(m.status('s1')).toMatchObject({ state: 'offline', pending: 'online' })
    await vi.advanceTimersByTimeAsync(30_000)
    expect(a.calls).toHaveLength(6)
    expect(m.status('s1')?.state).toBe('online')
    const changes = rec.statuses
      .filter((s) => s.changed)
      .map((s) => [s.changed?.from, s.status.state])
    expect(changes).toEqual([
      ['unknown', 'online'],
      ['online', 'offline'],
      ['offline', 'online'],
    ])
    m.stop()
  })

  it('emits a status event per poll, with `changed` only on confirmed changes', async () => {
    const { rec, events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter([
      { ok: true },
      { ok: false, error: networkError() },
      { ok: true },
      { ok: false, error: appError('auth', 'refused') },
      { ok: false, error: appError('auth', 'refused') },
    ])
    m.upsert(config('s1'), a)
    for (let i = 0; i < 5; i++) await m.probe('s1')
    expect(rec.statuses.map((s) => s.status.state)).toEqual([
      'online',
      'online',
      'online',
      'online',
      'auth_failed',
    ])
    expect(rec.statuses.map((s) => s.changed)).toEqual([
      { from: 'unknown' },
      null,
      null,
      null,
      { from: 'online' },
    ])
    expect(rec.statuses[1]?.status.pending).toBe('offline')
  })

  it('feeds user readings to the tracker and emits users snapshots; failures mark them stale', async () => {
    const { rec, events } = recorder()
    const m = new Monitor(events)
    const at = T0
    const a = new FakeAdapter([
      {
        ok: true,
        result: {
          users: {
            at,
            counters: new Map([['alice', { up: 1, down: 2 }]]),
            devices: null,
            countersAreDeltas: false,
          },
        },
      },
      { ok: false, error: networkError() },
    ])
    m.upsert(config('s1'), a)
    await m.probe('s1')
    expect(rec.users).toHaveLength(1)
    expect(rec.users[0]?.users[0]).toMatchObject({ name: 'alice', up: 1, down: 2, upRate: null })
    await m.probe('s1')
    expect(rec.users).toHaveLength(2)
    expect(rec.users[1]).toMatchObject({ stale: true, at })
    expect(rec.users[1]?.error?.code).toBe('network')
    expect(m.users('s1')).toBe(rec.users[1])
    expect(m.users('nope')).toBeNull()
    expect(m.status('nope')).toBeNull()
  })

  it('turns a thrown non-AppError into an internal error without leaking its text', async () => {
    const { rec, events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter()
    a.poll = () => Promise.reject(new Error('ECONNREFUSED http://x/?token=supersecret'))
    m.upsert(config('s1'), a)
    await m.probe('s1')
    expect(rec.statuses[0]?.status.state).toBe('offline')
    expect(rec.statuses[0]?.status.error?.code).toBe('internal')
    expect(JSON.stringify(rec.statuses)).not.toContain('supersecret')
  })

  it('remove stops polling and drops a poll in flight without events', async () => {
    const { rec, events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter()
    m.upsert(config('s1', 10), a)
    m.start()
    await vi.advanceTimersByTimeAsync(phaseOf('s1', 10_000))
    expect(a.calls).toHaveLength(1)
    a.hold = true
    await vi.advanceTimersByTimeAsync(10_000)
    expect(a.calls).toHaveLength(2)
    const before = rec.statuses.length
    m.remove('s1')
    a.held[0]?.resolve({ ok: true })
    await vi.advanceTimersByTimeAsync(120_000)
    expect(a.calls).toHaveLength(2)
    expect(rec.statuses).toHaveLength(before)
    expect(m.status('s1')).toBeNull()
    expect(m.adapter('s1')).toBeNull()
    await m.probe('s1') // unknown id: a no-op
    m.remove('s1') // twice: a no-op
    m.stop()
  })

  it('stop halts polling and start resumes it', async () => {
    const { events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter()
    m.upsert(config('s1', 10), a)
    m.start()
    await vi.advanceTimersByTimeAsync(20_000)
    const n = a.calls.length
    m.stop()
    await vi.advanceTimersByTimeAsync(100_000)
    expect(a.calls).toHaveLength(n)
    m.start()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(a.calls).toHaveLength(n + 1)
    m.stop()
  })

  it('manual mode never polls by itself', async () => {
    const { events } = recorder()
    const m = new Monitor(events, { manual: true })
    const a = new FakeAdapter()
    m.upsert(config('s1', 2), a)
    m.start()
    m.watch('s1', 'c')
    await vi.advanceTimersByTimeAsync(60_000)
    expect(a.calls).toHaveLength(0)
    await m.probe('s1')
    expect(a.calls).toHaveLength(1)
  })

  it('upsert with the same target keeps the status; a new target starts unknown', async () => {
    const { events } = recorder()
    const m = new Monitor(events)
    m.upsert(config('s1'), new FakeAdapter())
    await m.probe('s1')
    expect(m.status('s1')?.state).toBe('online')
    const renamed = { ...config('s1'), name: 'renamed' }
    m.upsert(renamed, new FakeAdapter())
    expect(m.status('s1')?.state).toBe('online')
    m.upsert(config('s1', 10, 'http://127.0.0.2:9999'), new FakeAdapter())
    expect(m.status('s1')?.state).toBe('unknown')
  })

  it('upsert replaces the old poller: the old adapter is never polled again, its result is dropped', async () => {
    const { rec, events } = recorder()
    const m = new Monitor(events)
    const oldA = new FakeAdapter([{ ok: false, error: networkError() }])
    m.upsert(config('s1', 10), oldA)
    m.start()
    // The old adapter's poll is in flight (its timer already fired) when the config changes.
    oldA.hold = true
    await vi.advanceTimersByTimeAsync(phaseOf('s1', 10_000))
    expect(oldA.calls).toHaveLength(1)
    const newA = new FakeAdapter([{ ok: true }])
    m.upsert(config('s1', 10, 'http://127.0.0.2:9999'), newA)
    oldA.hold = false
    oldA.held[0]?.resolve({ ok: false, error: networkError() })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(oldA.calls).toHaveLength(1)
    expect(newA.calls.length).toBe(6)
    // No offline verdict of the old target reached the UI.
    expect(rec.statuses.every((s) => s.status.state === 'online')).toBe(true)
    m.stop()
  })
})

describe('pollTimeoutMs', () => {
  it('stays strictly below the poll interval: 80 %, at most 15 s, at least 1 s', () => {
    expect(pollTimeoutMs(2)).toBe(1_600)
    expect(pollTimeoutMs(5)).toBe(4_000)
    expect(pollTimeoutMs(10)).toBe(8_000)
    expect(pollTimeoutMs(60)).toBe(15_000)
    for (const sec of [2, 3, 5, 7, 10, 19, 20, 30, 3600]) {
      expect(pollTimeoutMs(sec)).toBeLessThan(sec * 1000)
      expect(pollTimeoutMs(sec)).toBeGreaterThanOrEqual(1_000)
    }
  })
})

describe('Monitor scheduler: cap, queue, timeout, stats', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('never runs more than maxConcurrent polls; the rest wait in FIFO order', async () => {
    const { events } = recorder()
    const m = new Monitor(events, { maxConcurrent: 2 })
    const adapters = ['a', 'b', 'c', 'd', 'e'].map((id) => {
      const a = new FakeAdapter()
      a.hold = true
      m.upsert(config(id, 10), a)
      return a
    })
    const done: string[] = []
    const probes = ['a', 'b', 'c', 'd', 'e'].map((id) => m.probe(id).then(() => done.push(id)))
    await vi.advanceTimersByTimeAsync(0)
    expect(adapters.map((a) => a.calls.length)).toEqual([1, 1, 0, 0, 0])
    expect(m.stats()).toMatchObject({ inFlight: 2, queued: 3, capWaits: 3, maxQueued: 3, cap: 2 })
    // A probe of a queued server joins its queued poll: it is not queued twice.
    void m.probe('c')
    expect(m.stats().queued).toBe(3)
    adapters[1]?.held[0]?.resolve({ ok: true })
    await vi.advanceTimersByTimeAsync(0)
    expect(adapters.map((a) => a.calls.length)).toEqual([1, 1, 1, 0, 0])
    adapters[0]?.held[0]?.resolve({ ok: true })
    await vi.advanceTimersByTimeAsync(0)
    expect(adapters.map((a) => a.calls.length)).toEqual([1, 1, 1, 1, 0])
    for (const a of adapters) a.hold = false
    adapters[2]?.held[0]?.resolve({ ok: true })
    adapters[3]?.held[0]?.resolve({ ok: true })
    await vi.advanceTimersByTimeAsync(0)
    adapters[4]?.held[0]?.resolve({ ok: true })
    await Promise.all(probes)
    expect(done).toEqual(['b', 'a', 'c', 'd', 'e'])
    expect(m.stats()).toMatchObject({ inFlight: 0, queued: 0, polls: 5 })
  })

  it('starts the timeout of a queued poll when it is sent, not when it was due', async () => {
    const { events } = recorder()
    const m = new Monitor(events, { maxConcurrent: 1 })
    const slow = new FakeAdapter()
    slow.hold = true
    const waiting = new FakeAdapter()
    m.upsert(config('slow', 10), slow)
    m.upsert(config('waiting', 10), waiting)
    const p1 = m.probe('slow')
    const p2 = m.probe('waiting')
    // `slow` never answers: it ends by its timeout (8 s for a 10 s interval).
    waiting.hold = true
    await vi.advanceTimersByTimeAsync(pollTimeoutMs(10) - 1)
    expect(waiting.calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    await p1
    expect(m.status('slow')?.error?.code).toBe('timeout')
    expect(m.status('slow')?.error?.params?.timeoutMs).toBe(8_000)
    expect(waiting.calls).toEqual([T0 + 8_000])
    // Its own timeout runs from now: 8 s later, not 0 s.
    await vi.advanceTimersByTimeAsync(7_999)
    expect(m.status('waiting')?.state).toBe('unknown')
    await vi.advanceTimersByTimeAsync(1)
    await p2
    expect(m.status('waiting')?.state).toBe('offline')
    expect(m.stats()).toMatchObject({ timeouts: 2, failures: 2, capWaits: 1 })
    expect(m.stats().maxStartDelayMs).toBe(8_000)
  })

  it('a poll that times out aborts the adapter and frees the slot at the timeout', async () => {
    const { events } = recorder()
    const m = new Monitor(events)
    let signal: AbortSignal | undefined
    const a = new FakeAdapter()
    a.poll = (s?: AbortSignal) => {
      signal = s
      return new Promise(() => undefined)
    }
    m.upsert(config('s1', 2), a)
    const p = m.probe('s1')
    await vi.advanceTimersByTimeAsync(1_600)
    await p
    expect(signal?.aborted).toBe(true)
    expect(m.stats().inFlight).toBe(0)
    expect(m.status('s1')?.state).toBe('offline')
  })

  it('keeps its cadence when polls take time, and counts polls on time', async () => {
    const { events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter()
    a.hold = true
    m.upsert(config('s1', 5), a)
    m.start()
    const phase = phaseOf('s1', 5_000)
    for (let i = 0; i < 4; i++) {
      await vi.advanceTimersByTimeAsync(i === 0 ? phase : 5_000 - 3_000)
      // Every poll takes 3 s; the next is still due 5 s after the previous one was due.
      await vi.advanceTimersByTimeAsync(3_000)
      a.held[i]?.resolve({ ok: true })
    }
    await vi.advanceTimersByTimeAsync(0)
    expect(a.calls).toEqual([0, 1, 2, 3].map((i) => T0 + phase + i * 5_000))
    expect(m.stats()).toMatchObject({ polls: 4, onTime: 4, late: 0 })
    m.stop()
  })

  it('counts a poll that finishes after its next due time as late', async () => {
    const { events } = recorder()
    // Cap 1: the second server's poll waits for the first one (held 4 s, below its timeout).
    const m = new Monitor(events, { maxConcurrent: 1 })
    const a = new FakeAdapter()
    a.hold = true
    const b = new FakeAdapter()
    b.hold = true
    m.upsert(config('a', 5), a)
    m.upsert(config('b', 2), b)
    const pa = m.probe('a')
    const pb = m.probe('b')
    await vi.advanceTimersByTimeAsync(1_000)
    a.held[0]?.resolve({ ok: true })
    await pa
    await vi.advanceTimersByTimeAsync(1_500) // b: sent at +1 s, answers at +2.5 s > due + 2 s
    b.held[0]?.resolve({ ok: true })
    await pb
    expect(m.stats()).toMatchObject({ polls: 2, onTime: 1, late: 1 })
    m.resetStats()
    expect(m.stats()).toMatchObject({ polls: 0, onTime: 0, late: 0, maxStartDelayMs: 0 })
  })

  it('starts the servers due at the same tick on one timer, keeping each cadence', async () => {
    const { events } = recorder()
    const m = new Monitor(events)
    const adapters: FakeAdapter[] = []
    for (let i = 0; i < 200; i++) {
      const a = new FakeAdapter([{ ok: true }])
      adapters.push(a)
      m.upsert(config(`srv-${i}`, 5), a)
    }
    m.start()
    const ticks = new Set(adapters.map((_, i) => phaseOf(`srv-${i}`, 5_000)))
    // One timer per distinct tick (at most 5 s / POLL_TICK_MS of them), not one per server.
    expect(vi.getTimerCount()).toBe(ticks.size)
    await vi.advanceTimersByTimeAsync(9_999)
    expect(vi.getTimerCount()).toBe(ticks.size)
    adapters.forEach((a, i) => {
      const phase = phaseOf(`srv-${i}`, 5_000)
      expect(a.calls).toEqual([T0 + phase, T0 + phase + 5_000])
    })
    m.stop()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('rounds a due time off the grid up to the next tick (never early)', async () => {
    vi.setSystemTime(T0 + 30)
    const { events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter([{ ok: true }])
    m.upsert(config('s1', 60), a)
    m.start()
    m.watch('s1', 'c')
    await vi.advanceTimersByTimeAsync(POLL_TICK_MS - 30 - 1)
    expect(a.calls).toHaveLength(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(a.calls).toEqual([T0 + POLL_TICK_MS])
    m.stop()
  })

  it('spreads 1,000 servers polled every 5 s: never over the cap, all polls on time', async () => {
    const { events } = recorder()
    const m = new Monitor(events, { maxConcurrent: 64 })
    const adapters: FakeAdapter[] = []
    for (let i = 0; i < 1000; i++) {
      const a = new FakeAdapter([{ ok: true, latencyMs: 40 }])
      // Each answer takes 40 ms of (fake) time.
      const poll = a.poll.bind(a)
      a.poll = () => new Promise((r) => setTimeout(() => r(poll()), 40))
      adapters.push(a)
      m.upsert(config(`srv-${i}`, 5), a)
    }
    m.start()
    let maxInFlight = 0
    for (let t = 0; t < 30_000; t += 20) {
      await vi.advanceTimersByTimeAsync(20)
      maxInFlight = Math.max(maxInFlight, m.stats().inFlight)
    }
    m.stop()
    const st = m.stats()
    expect(maxInFlight).toBeLessThanOrEqual(64)
    expect(st.polls).toBeGreaterThanOrEqual(5_900)
    expect(st.late).toBe(0)
    // Every server polled 6 times in 30 s (±1 at the edges).
    const counts = adapters.map((a) => a.calls.length)
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(5)
    expect(Math.max(...counts)).toBeLessThanOrEqual(7)
  })

  it('a down server answering again re-checks the other down servers within one interval', async () => {
    const { events } = recorder()
    const m = new Monitor(events)
    const adapters = ['a', 'b', 'c'].map((id) => {
      const a = new FakeAdapter([{ ok: false, error: networkError(id) }])
      m.upsert(config(id, 2), a)
      return a
    })
    m.start()
    // Down for a while: backed off to long gaps.
    await vi.advanceTimersByTimeAsync(60_000)
    expect(['a', 'b', 'c'].map((id) => m.status(id)?.state)).toEqual([
      'offline',
      'offline',
      'offline',
    ])
    const lastB = adapters[1]?.calls.at(-1) ?? 0
    for (const a of adapters) a.setOutcomes([{ ok: true }])
    // The network is back; `a` is probed (a user clicked Refresh): b and c follow within 2 s.
    const t = Date.now()
    await m.probe('a')
    await vi.advanceTimersByTimeAsync(2_000)
    for (const a of adapters.slice(1)) {
      const after = a.calls.filter((c) => c >= t)
      expect(after.length).toBeGreaterThanOrEqual(1)
      expect((after[0] ?? 0) - t).toBeLessThan(2_000)
    }
    expect(lastB).toBeLessThan(t)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(['a', 'b', 'c'].map((id) => m.status(id)?.state)).toEqual(['online', 'online', 'online'])
    m.stop()
  })

  it('a down server whose poll was in flight when another recovered re-checks soon too', async () => {
    const { events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter([{ ok: false, error: networkError('a') }])
    const b = new FakeAdapter([{ ok: false, error: networkError('b') }])
    m.upsert(config('a', 2), a)
    m.upsert(config('b', 2), b)
    m.start()
    await vi.advanceTimersByTimeAsync(60_000)
    // b's poll hangs (sent while the outage lasted); a answers meanwhile.
    b.hold = true
    const pb = m.probe('b')
    a.setOutcomes([{ ok: true }])
    await m.probe('a')
    b.held[0]?.resolve({ ok: false, error: networkError('b') })
    await pb
    b.hold = false
    b.setOutcomes([{ ok: true }])
    const t = Date.now()
    await vi.advanceTimersByTimeAsync(2_000)
    expect(b.calls.filter((c) => c > t).length).toBeGreaterThanOrEqual(1)
    m.stop()
  })

  it('stop drops the polls waiting for a slot and releases their probes', async () => {
    const { events } = recorder()
    const m = new Monitor(events, { maxConcurrent: 1 })
    const a = new FakeAdapter()
    a.hold = true
    const b = new FakeAdapter()
    m.upsert(config('a'), a)
    m.upsert(config('b'), b)
    const pa = m.probe('a')
    const pb = m.probe('b')
    m.stop()
    await pb
    expect(m.stats().queued).toBe(0)
    a.held[0]?.resolve({ ok: true })
    await pa
    await vi.advanceTimersByTimeAsync(0)
    expect(b.calls).toHaveLength(0)
  })

  it('a removed server waiting in the queue is dropped, its probe released', async () => {
    const { rec, events } = recorder()
    const m = new Monitor(events, { maxConcurrent: 1 })
    const a = new FakeAdapter()
    a.hold = true
    const b = new FakeAdapter()
    m.upsert(config('a'), a)
    m.upsert(config('b'), b)
    const pa = m.probe('a')
    const pb = m.probe('b')
    m.remove('b')
    await pb
    a.held[0]?.resolve({ ok: true })
    await pa
    await vi.advanceTimersByTimeAsync(0)
    expect(b.calls).toHaveLength(0)
    expect(rec.statuses.map((s) => s.status.serverId)).toEqual(['a'])
    expect(m.stats().queued).toBe(0)
  })

  it('re-checks soon after a first failure of a 5 s server: down confirmed within 10 s', async () => {
    const { rec, events } = recorder()
    const m = new Monitor(events)
    const a = new FakeAdapter([{ ok: true }])
    m.upsert(config('s1', 5), a)
    m.start()
    const phase = phaseOf('s1', 5_000)
    await vi.advanceTimersByTimeAsync(phase)
    expect(m.status('s1')?.state).toBe('online')
    a.setOutcomes([{ ok: false, error: networkError() }])
    await vi.advanceTimersByTimeAsync(5_000)
    expect(m.status('s1')?.pending).toBe('offline')
    await vi.advanceTimersByTimeAsync(2_500)
    expect(m.status('s1')?.state).toBe('offline')
    expect(a.calls.slice(-2)).toEqual([T0 + phase + 5_000, T0 + phase + 7_500])
    expect(rec.statuses.filter((s) => s.changed).map((s) => s.status.state)).toEqual([
      'online',
      'offline',
    ])
    m.stop()
  })
})
