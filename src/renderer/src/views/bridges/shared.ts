import type { AppError, ServerView } from '../../../../shared/contract'
import type { BridgeState, BridgeStatus, BridgeView } from '../../../../shared/contract/bridge'
import type { ServerKind } from '../../../../shared/kinds'

/**
 * Pure helpers of the Bridges view (no Vue, no store): which servers may be a bridge's source or
 * panel, state colours, byte totals.
 */

/**
 * The kinds a bridge can read per-user traffic from (the core's bridge reads their cumulative
 * counters). Other kinds with user counters (PasarGuard) are not bridge sources.
 */
export const BRIDGE_SOURCE_KINDS: readonly ServerKind[] = ['hysteria2', 'hy2scale']
/** The kinds a bridge can report to: a Mu API v2 panel (apis.md §4). */
export const BRIDGE_PANEL_KINDS: readonly ServerKind[] = ['muapi']

/** Whether a server can be chosen as a bridge's source, and if not, why (a locale key). */
export type SourceEligibility = { ok: true } | { ok: false; reason: 'clearOnRead' | 'kind' }

/**
 * A Hysteria 2 server read with clear-on-read has its counters reset by NodeDeck's own polling:
 * a second reader (the bridge) would miss every byte the poll cleared (apis.md §1 gotcha 2).
 */
export function sourceEligibility(server: ServerView): SourceEligibility {
  if (!BRIDGE_SOURCE_KINDS.includes(server.kind)) return { ok: false, reason: 'kind' }
  if (server.options.clearOnRead === true) return { ok: false, reason: 'clearOnRead' }
  return { ok: true }
}

/** naive-ui tag type per bridge state. */
export const BRIDGE_STATE_TAG: Record<
  BridgeState,
  'success' | 'info' | 'default' | 'error' | 'warning'
> = {
  idle: 'success',
  running: 'info',
  paused: 'default',
  error: 'error',
  needs_attention: 'warning',
  stopped: 'default',
}

/** The colour of each bridge state (dots in the fleet badge and the tab label). */
export const BRIDGE_STATE_COLORS: Record<BridgeState, string> = {
  idle: '#18a058',
  running: '#2080f0',
  paused: '#909399',
  error: '#d03050',
  needs_attention: '#f0a020',
  stopped: '#909399',
}

/** Worst first: what needs the admin comes first in lists and badges. */
export const BRIDGE_STATE_SEVERITY: Record<BridgeState, number> = {
  needs_attention: 0,
  error: 1,
  stopped: 2,
  paused: 3,
  running: 4,
  idle: 5,
}

/** The bytes of the unmatched names together. */
export function unmatchedTotals(status: BridgeStatus): { names: number; u: number; d: number } {
  let u = 0
  let d = 0
  for (const x of status.unmatched) {
    u += x.u
    d += x.d
  }
  return { names: status.unmatched.length, u, d }
}

/**
 * Bytes the journal still holds (pending, unmatched, in flight): removing the bridge without
 * `force` is refused while this is above 0, and with `force` they are never reported.
 */
export function journalBytes(status: BridgeStatus): number {
  const un = unmatchedTotals(status)
  return (
    status.pending.u +
    status.pending.d +
    un.u +
    un.d +
    (status.inflight ? status.inflight.u + status.inflight.d : 0)
  )
}

/** Bridges reading from (`source`) or reporting to (`panel`) a server, worst state first. */
export function bridgesOfServer(
  bridges: readonly BridgeView[],
  serverId: string,
): { view: BridgeView; role: 'source' | 'panel' }[] {
  const out: { view: BridgeView; role: 'source' | 'panel' }[] = []
  for (const view of bridges) {
    if (view.config.sourceId === serverId) out.push({ view, role: 'source' })
    else if (view.config.panelId === serverId) out.push({ view, role: 'panel' })
  }
  return out.sort(
    (a, b) =>
      BRIDGE_STATE_SEVERITY[a.view.status.state] - BRIDGE_STATE_SEVERITY[b.view.status.state],
  )
}

/**
 * What the panel was expected to add for one attention item: the batch's raw bytes times the
 * node's rate, rounded down (the panel multiplies every report by its `traffic_rate`; the core's
 * verification, `core/bridge/verify.ts`, expects the same).
 */
export function expectedChange(
  item: { u: number; d: number },
  rate: number,
): { u: number; d: number } {
  return { u: Math.floor(item.u * rate), d: Math.floor(item.d * rate) }
}

/** The change of the panel's counters between `before` and `after`; null when either is unknown. */
export function observedChange(
  before: { u: number; d: number } | null,
  after: { u: number; d: number } | null,
): { u: number; d: number } | null {
  if (!before || !after) return null
  return { u: after.u - before.u, d: after.d - before.d }
}

/**
 * "<server name>: <message>" when the error names a server (the core's message says what failed
 * and what to do), else the message.
 */
export function errorLine(error: AppError, nameOf: (id: string) => string): string {
  return error.serverId ? `${nameOf(error.serverId)}: ${error.message}` : error.message
}
