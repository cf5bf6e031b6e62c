import {
  appError,
  isDownState,
  type AppError,
  type HealthState,
  type ServerStatus,
} from '../../../shared/contract'

/** The verdict of one probe, before hysteresis. */
export interface ProbeVerdict {
  state: Exclude<HealthState, 'unknown'>
  latencyMs: number | null
  error: AppError | null
}

export interface HealthOptions {
  /** A probe slower than this is `degraded` (ms). */
  slowMs: number
  /** Consecutive agreeing probes needed to leave a known state. */
  confirm: number
}

export const DEFAULT_HEALTH: HealthOptions = { slowMs: 3000, confirm: 2 }

/**
 * Classifies a probe outcome: an error (auth → `auth_failed`, TLS → `tls_failed`, anything else
 * → `offline`), a partial answer, or a full answer (maybe slow). Every verdict but `online`
 * carries its reason: a slow answer gets a `slow` error with the latency and the threshold.
 */
export function verdictOf(
  outcome:
    { ok: true; latencyMs: number; partial: AppError | null } | { ok: false; error: AppError },
  opts: HealthOptions = DEFAULT_HEALTH,
): ProbeVerdict {
  if (!outcome.ok) {
    const e = outcome.error
    if (e.code === 'auth') return { state: 'auth_failed', latencyMs: null, error: e }
    if (e.code === 'tls') return { state: 'tls_failed', latencyMs: null, error: e }
    return { state: 'offline', latencyMs: null, error: e }
  }
  if (outcome.partial)
    return { state: 'degraded', latencyMs: outcome.latencyMs, error: outcome.partial }
  if (outcome.latencyMs > opts.slowMs) {
    return {
      state: 'degraded',
      latencyMs: outcome.latencyMs,
      error: appError(
        'slow',
        `The server answered in ${outcome.latencyMs} ms, slower than the ${opts.slowMs} ms threshold.`,
        { params: { latencyMs: outcome.latencyMs, thresholdMs: opts.slowMs } },
      ),
    }
  }
  return { state: 'online', latencyMs: outcome.latencyMs, error: null }
}

/** The status of a server nobody has probed yet. */
export function initialStatus(serverId: string, now: number): ServerStatus {
  return {
    serverId,
    state: 'unknown',
    since: now,
    lastCheckAt: null,
    lastOkAt: null,
    latencyMs: null,
    error: null,
    pending: null,
  }
}

/**
 * Hysteresis: the first verdict sets the state at once (from `unknown`); afterwards a different
 * verdict must repeat `confirm` times in a row before the state changes, so one lost poll does
 * not flap the server offline. Latency, error and timestamps always follow the latest probe.
 * `streak` counts how many consecutive probes agreed with `pending`.
 */
export function nextStatus(
  prev: ServerStatus,
  streak: number,
  v: ProbeVerdict,
  now: number,
  opts: HealthOptions = DEFAULT_HEALTH,
): { status: ServerStatus; streak: number; changed: boolean } {
  const ok = v.state === 'online' || v.state === 'degraded'
  const common = {
    serverId: prev.serverId,
    lastCheckAt: now,
    lastOkAt: ok ? now : prev.lastOkAt,
    latencyMs: v.latencyMs,
  }
  if (prev.state === 'unknown' || v.state === prev.state) {
    const changed = v.state !== prev.state
    return {
      status: {
        ...common,
        state: v.state,
        since: changed ? now : prev.since,
        error: v.error,
        pending: null,
      },
      streak: 0,
      changed,
    }
  }
  // Offline, auth failed and TLS failed are all "down": a server failing one way then another is
  // still confirmed down (it shows the latest reason), instead of never confirming.
  const agrees =
    prev.pending !== null && (prev.pending === v.state || (isDown(prev.pending) && isDown(v.state)))
  const s = agrees ? streak + 1 : 1
  if (s >= opts.confirm) {
    return {
      status: { ...common, state: v.state, since: now, error: v.error, pending: null },
      streak: 0,
      changed: true,
    }
  }
  // Not confirmed yet: keep the state; show the fresh problem as pending.
  return {
    status: {
      ...common,
      state: prev.state,
      since: prev.since,
      error: v.error ?? prev.error,
      pending: v.state,
    },
    streak: s,
    changed: false,
  }
}

/** True for offline, auth failed and TLS failed (the contract's `isDownState`). */
export const isDown = isDownState
