import { h, type VNode } from 'vue'
import type { FleetRow, HealthState, ServerStatus } from '../../../../../shared/contract'
import { STATE_TAG_TYPES } from '../../../components/common/state-colors'
import { stateDot } from '../../../components/common/state-dot'
import { cellDim, cellMaybe, cellTag } from '../../../components/common/table-cells'
import { formatCount, formatRate } from '../../../utils/format'

/** The translations and clock the cells need (passed in: cells are plain render functions). */
export interface CellContext {
  t: (key: string, named?: Record<string, unknown>) => string
  ago: (at: number | null) => string
}

/** A health state as a cheap tag (dot + name), the pending check and the reason after it. */
export function stateCell(c: CellContext, status: ServerStatus, withReason = true): VNode {
  const state = status.state
  const reason = status.error?.message ?? ''
  const tone = (STATE_TAG_TYPES as Record<string, (typeof STATE_TAG_TYPES)[HealthState]>)[state]
  return h('span', { class: 'fleet-state', 'data-state': state, title: reason || undefined }, [
    stateDot(state, status.pending !== null),
    cellTag(c.t(`state.${state}`), tone ?? 'default', { round: true }),
    status.pending
      ? cellDim(
          c.t('server.pending', { state: c.t(`state.${status.pending}`) }),
          'fleet-state__pending',
        )
      : null,
    withReason && reason ? cellDim(reason, 'fleet-state__reason') : null,
  ])
}

/** A live figure of a row: unknown as '—'; an old reading dimmed, its age in the tooltip. */
export function liveCell(
  c: CellContext,
  live: FleetRow | null,
  text: string | null,
  testid?: string,
): VNode {
  if (text === null || !live) return cellMaybe(null, c.t('common.unknown'))
  const stale = live.stale
  return h(
    'span',
    {
      class: stale ? 'fleet-live fleet-live--stale' : 'fleet-live',
      title: stale ? c.t('fleet.stale', { t: c.ago(live.usersAt) }) : undefined,
      'data-stale': stale ? 'true' : undefined,
      'data-testid': testid,
    },
    text,
  )
}

/** Online users of a row ('—' when the server does not say). */
export function onlineText(live: FleetRow | null): string | null {
  return live?.onlineUsers == null ? null : formatCount(live.onlineUsers)
}

/** A rate of a row ('—' when unknown). */
export function rateText(v: number | null | undefined): string | null {
  return v == null ? null : formatRate(v)
}
