import type { FleetRow, FleetTotals } from './contract'

/** Totals of no server at all. */
export function emptyFleetTotals(): FleetTotals {
  return {
    servers: 0,
    byState: {},
    onlineUsers: 0,
    onlineUnknown: 0,
    upRate: 0,
    downRate: 0,
    rateUnknown: 0,
    up: 0,
    down: 0,
    trafficUnknown: 0,
  }
}

/**
 * Adds one server to totals: known figures are summed, unknown ones counted apart (never as 0).
 * `live` null = nothing read yet: every figure unknown. One rule for the core's fleet totals and
 * the fleet view's group and filter totals.
 */
export function addToFleetTotals(t: FleetTotals, state: string, live: FleetRow | null): void {
  t.servers++
  t.byState[state] = (t.byState[state] ?? 0) + 1
  if (live?.onlineUsers == null) t.onlineUnknown++
  else t.onlineUsers += live.onlineUsers
  if (live === null || live.upRate === null || live.downRate === null) t.rateUnknown++
  else {
    t.upRate += live.upRate
    t.downRate += live.downRate
  }
  if (live === null || live.up === null || live.down === null) t.trafficUnknown++
  else {
    t.up += live.up
    t.down += live.down
  }
}
