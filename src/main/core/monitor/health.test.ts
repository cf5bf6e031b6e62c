import { describe, it, expect } from 'vitest'
import { appError, type AppError, type ServerStatus } from '../../../shared/contract'
import { DEFAULT_HEALTH, initialStatus, nextStatus, verdictOf, type ProbeVerdict } from './health'

const authErr = appError('auth', 'The server refused the secret (HTTP 401).')
const netErr = appError('network', 'host refused the connection.')
const timeoutErr = appError('timeout', 'No complete answer within 10 s.')
const partialErr = appError('http_status', 'GET /online failed with HTTP 404.')

const ok = (latencyMs = 50, partial: AppError | null = null) => ({
  ok: true as const,
  latencyMs,
  partial,
})
const bad = (error: AppError) => ({ ok: false as const, error })

describe('verdictOf', () => {
  it('classifies an auth failure as auth_failed', () => {
    expect(verdictOf(bad(authErr))).toEqual({
      state: 'auth_failed',
      latencyMs: null,
      error: authErr,
    })
  })

  it('classifies network and timeout failures as offline', () => {
    expect(verdictOf(bad(netErr))).toEqual({ state: 'offline', latencyMs: null, error: netErr })
    expect(verdictOf(bad(timeoutErr))).toEqual({
      state: 'offline',
      latencyMs: null,
      error: timeoutErr,
    })
  })

  it('classifies other failures (bad payload, http status) as offline, keeping the error', () => {
    const e = appError('bad_payload', 'not JSON')
    expect(verdictOf(bad(e)).state).toBe('offline')
    expect(verdictOf(bad(e)).error).toBe(e)
    expect(verdictOf(bad(appError('http_status', 'HTTP 502'))).state).toBe('offline')
  })

  it('classifies TLS failures (verification, pin mismatch) as tls_failed, keeping the error', () => {
    const pin = appError('tls', 'does not match the pinned fingerprint', {
      params: { code: 'ERR_NODEDECK_PIN_MISMATCH' },
    })
    expect(verdictOf(bad(pin))).toEqual({ state: 'tls_failed', latencyMs: null, error: pin })
    const self = appError('tls', 'not accepted', {
      params: { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' },
    })
    expect(verdictOf(bad(self)).state).toBe('tls_failed')
  })

  it('classifies a partial answer as degraded with the partial error and the latency', () => {
    expect(verdictOf(ok(120, partialErr))).toEqual({
      state: 'degraded',
      latencyMs: 120,
      error: partialErr,
    })
  })

  it('classifies a slow full answer as degraded (threshold is exclusive)', () => {
    const slow = verdictOf(ok(DEFAULT_HEALTH.slowMs + 1))
    expect(slow).toMatchObject({ state: 'degraded', latencyMs: DEFAULT_HEALTH.slowMs + 1 })
    // The reason is shown: a `slow` error with the latency and the threshold.
    expect(slow.error).toMatchObject({
      code: 'slow',
      params: { latencyMs: DEFAULT_HEALTH.slowMs + 1, thresholdMs: DEFAULT_HEALTH.slowMs },
    })
    expect(slow.error?.message).toContain(`${DEFAULT_HEALTH.slowMs + 1} ms`)
    expect(verdictOf(ok(DEFAULT_HEALTH.slowMs)).state).toBe('online')
    expect(verdictOf(ok(600), { slowMs: 500, confirm: 2 }).state).toBe('degraded')
  })

  it('classifies a fast full answer as online', () => {
    expect(verdictOf(ok(42))).toEqual({ state: 'online', latencyMs: 42, error: null })
  })
})

describe('initialStatus', () => {
  it('starts unknown with nothing measured (unknown, never zero)', () => {
    expect(initialStatus('s1', 1000)).toEqual({
      serverId: 's1',
      state: 'unknown',
      since: 1000,
      lastCheckAt: null,
      lastOkAt: null,
      latencyMs: null,
      error: null,
      pending: null,
    })
  })
})

/** Runs a sequence of verdicts through the state machine, one per second from t=1000. */
function run(verdicts: ProbeVerdict[], start: ServerStatus = initialStatus('s1', 0)) {
  let status = start
  let streak = 0
  const steps: Array<{ status: ServerStatus; streak: number; changed: boolean }> = []
  verdicts.forEach((v, i) => {
    const r = nextStatus(status, streak, v, 1000 * (i + 1))
    status = r.status
    streak = r.streak
    steps.push(r)
  })
  return steps
}

const online: ProbeVerdict = { state: 'online', latencyMs: 10, error: null }
const offline: ProbeVerdict = { state: 'offline', latencyMs: null, error: netErr }
const authFailed: ProbeVerdict = { state: 'auth_failed', latencyMs: null, error: authErr }
const degraded: ProbeVerdict = { state: 'degraded', latencyMs: 20, error: partialErr }

function step(steps: ReturnType<typeof run>, i: number) {
  const s = steps[i]
  if (!s) throw new Error(`no step ${i}`)
  return s
}

describe('nextStatus (hysteresis)', () => {
  it('leaves unknown at once, whatever the first verdict', () => {
    for (const v of [online, offline, authFailed, degraded]) {
      const [first] = run([v])
      expect(first?.status.state).toBe(v.state)
      expect(first?.changed).toBe(true)
      expect(first?.status.since).toBe(1000)
      expect(first?.status.pending).toBeNull()
    }
  })

  it('does not flip online → offline on one failed poll; shows it as pending', () => {
    const steps = run([online, offline])
    const s = step(steps, 1)
    expect(s.changed).toBe(false)
    expect(s.status.state).toBe('online')
    expect(s.status.pending).toBe('offline')
    expect(s.status.error).toEqual(netErr)
    expect(s.status.since).toBe(1000)
    expect(s.status.lastCheckAt).toBe(2000)
    expect(s.status.lastOkAt).toBe(1000)
    expect(s.status.latencyMs).toBeNull()
  })

  it('flips online → offline on the second consecutive failed poll', () => {
    const steps = run([online, offline, offline])
    const s = step(steps, 2)
    expect(s.changed).toBe(true)
    expect(s.status.state).toBe('offline')
    expect(s.status.since).toBe(3000)
    expect(s.status.pending).toBeNull()
    expect(s.streak).toBe(0)
  })

  it('a success in between resets the streak', () => {
    const steps = run([online, offline, online, offline, online])
    for (let i = 1; i < steps.length; i++) {
      expect(step(steps, i).status.state).toBe('online')
      expect(step(steps, i).changed).toBe(false)
    }
    expect(step(steps, 2).status.pending).toBeNull()
    expect(step(steps, 2).status.error).toBeNull()
    expect(step(steps, 2).streak).toBe(0)
    expect(step(steps, 3).status.pending).toBe('offline')
    expect(step(steps, 3).streak).toBe(1)
  })

  it('since only moves on a confirmed change', () => {
    const steps = run([online, online, offline, online, online, offline, offline, offline])
    expect(steps.map((s) => s.status.since)).toEqual([
      1000, 1000, 1000, 1000, 1000, 1000, 7000, 7000,
    ])
    expect(steps.map((s) => s.changed)).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
      true,
      false,
    ])
  })

  it('needs confirmation to recover as well (offline → online)', () => {
    const steps = run([offline, online, online])
    expect(step(steps, 1).status.state).toBe('offline')
    expect(step(steps, 1).status.pending).toBe('online')
    expect(step(steps, 1).status.lastOkAt).toBe(2000)
    expect(step(steps, 2).status.state).toBe('online')
    expect(step(steps, 2).changed).toBe(true)
    expect(step(steps, 2).status.error).toBeNull()
  })

  it('a different pending verdict restarts the count', () => {
    const steps = run([online, offline, degraded, degraded])
    expect(step(steps, 2).status.state).toBe('online')
    expect(step(steps, 2).status.pending).toBe('degraded')
    expect(step(steps, 2).streak).toBe(1)
    expect(step(steps, 3).status.state).toBe('degraded')
    expect(step(steps, 3).changed).toBe(true)
  })

  it('online → degraded also waits for confirmation; latency follows the latest probe', () => {
    const steps = run([online, degraded, degraded])
    expect(step(steps, 1).status.state).toBe('online')
    expect(step(steps, 1).status.pending).toBe('degraded')
    expect(step(steps, 1).status.latencyMs).toBe(20)
    expect(step(steps, 2).status.state).toBe('degraded')
    expect(step(steps, 2).status.error).toEqual(partialErr)
  })

  it('keeps the previous error while a pending verdict has none', () => {
    const steps = run([offline, online])
    expect(step(steps, 1).status.state).toBe('offline')
    expect(step(steps, 1).status.error).toEqual(netErr)
  })

  it('honours confirm = 1 (no hysteresis) and confirm = 3', () => {
    const once = nextStatus(run([online])[0]!.status, 0, offline, 5, { slowMs: 3000, confirm: 1 })
    expect(once.status.state).toBe('offline')
    expect(once.changed).toBe(true)

    let status = run([online])[0]!.status
    let streak = 0
    const changes: boolean[] = []
    for (let i = 0; i < 3; i++) {
      const r = nextStatus(status, streak, offline, 10 + i, { slowMs: 3000, confirm: 3 })
      status = r.status
      streak = r.streak
      changes.push(r.changed)
    }
    expect(changes).toEqual([false, false, true])
    expect(status.state).toBe('offline')
  })
})

describe('hysteresis across down states', () => {
  it('confirms a server that fails as offline, then as auth failed (latest reason wins)', () => {
    const now = 1000
    let st = initialStatus('s', 0)
    let streak = 0
    const step = (v: ProbeVerdict) => {
      const r = nextStatus(st, streak, v, now)
      st = r.status
      streak = r.streak
      return r
    }
    step({ state: 'online', latencyMs: 5, error: null })
    const net = appError('network', 'refused')
    const auth = appError('auth', 'bad secret')
    expect(step({ state: 'offline', latencyMs: null, error: net }).changed).toBe(false)
    const r = step({ state: 'auth_failed', latencyMs: null, error: auth })
    expect(r.changed).toBe(true)
    expect(st.state).toBe('auth_failed')
    expect(st.error?.code).toBe('auth')
  })

  it('confirms offline then TLS failed as down (tls_failed, latest reason), not before', () => {
    let st = initialStatus('s', 0)
    let streak = 0
    const step = (v: ProbeVerdict, now: number) => {
      const r = nextStatus(st, streak, v, now)
      st = r.status
      streak = r.streak
      return r
    }
    step({ state: 'online', latencyMs: 5, error: null }, 1)
    const tls = appError('tls', 'pin mismatch')
    const r1 = step({ state: 'tls_failed', latencyMs: null, error: tls }, 2)
    expect(r1.changed).toBe(false)
    expect(st).toMatchObject({ state: 'online', pending: 'tls_failed', error: tls })
    const r2 = step({ state: 'offline', latencyMs: null, error: appError('network', 'x') }, 3)
    expect(r2.changed).toBe(true)
    expect(st).toMatchObject({ state: 'offline', since: 3, pending: null })
    // From down to another down state: confirmed the same way; a recovery needs two successes.
    expect(step({ state: 'tls_failed', latencyMs: null, error: tls }, 4).changed).toBe(false)
    expect(step({ state: 'tls_failed', latencyMs: null, error: tls }, 5).changed).toBe(true)
    expect(st.state).toBe('tls_failed')
    expect(step({ state: 'online', latencyMs: 3, error: null }, 6).changed).toBe(false)
    expect(step({ state: 'online', latencyMs: 3, error: null }, 7).changed).toBe(true)
    expect(st).toMatchObject({ state: 'online', error: null })
  })

  it('every non-online confirmed state carries a reason', () => {
    const verdicts = [
      verdictOf(bad(netErr)),
      verdictOf(bad(authErr)),
      verdictOf(bad(appError('tls', 'x'))),
      verdictOf(ok(DEFAULT_HEALTH.slowMs + 500)),
      verdictOf(ok(10, partialErr)),
    ]
    for (const v of verdicts) {
      const r = nextStatus(initialStatus('s', 0), 0, v, 1)
      expect(r.status.state).not.toBe('online')
      expect(r.status.error).not.toBeNull()
    }
  })
})
