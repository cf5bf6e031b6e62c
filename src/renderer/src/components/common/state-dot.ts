/// <reference types="vite/client" />
import { h, type FunctionalComponent, type VNode } from 'vue'
import type { HealthState } from '../../../../shared/contract'
import { STATE_COLORS } from './state-colors'
import './state-dot.css'

/** A small coloured dot for a health state; `pending` makes it pulse (a check disagrees). */
export function stateDot(state: HealthState, pending = false): VNode {
  return h('span', {
    class: pending ? 'state-dot state-dot--pending' : 'state-dot',
    style: { backgroundColor: STATE_COLORS[state] },
    'data-state': state,
    'aria-hidden': 'true',
  })
}

/**
 * The dot as a functional component (no instance: the sidebar and the fleet table show one per
 * server, and the first frame of a fleet of hundreds mounts them all at once).
 */
export const StateDot: FunctionalComponent<{ state: HealthState; pending?: boolean }> = (p) =>
  stateDot(p.state, p.pending)
StateDot.props = ['state', 'pending']
