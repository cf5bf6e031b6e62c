import type { Component } from 'vue'
import { preloadDiscrete } from '../../utils/discrete'

type Loader = () => Promise<{ default: Component }>

/**
 * Everything the first frame (the Fleet tab, bench B5) does not show, each in its own chunk: the
 * other tabs and the dialogs. Loaded on first show, or before that by `prefetchLazyViews`.
 */
export const LAZY_VIEWS = {
  bridges: () => import('../../views/bridges/index.vue'),
  alerts: () => import('../../views/alerts/index.vue'),
  // With echarts: the largest chunk, loaded only when the History tab is first shown.
  history: () => import('../../views/history/index.vue'),
  server: () => import('../../views/server/index.vue'),
  serverDialog: () => import('../dialogs/ServerDialog.vue'),
  removeServerDialog: () => import('../dialogs/RemoveServerDialog.vue'),
} satisfies Record<string, Loader>

/** The lazy parts a click may need soon (all but History and its charts). */
const PREFETCHED: readonly (keyof typeof LAZY_VIEWS)[] = [
  'server',
  'serverDialog',
  'bridges',
  'alerts',
  'removeServerDialog',
]

/**
 * Loads the lazy views (and the message providers) once the page is idle after its first frame,
 * one per idle slice, so a click on a server or "Add server" later does not wait for a chunk. A
 * failed load is left to the click, which tries again (and reports it).
 */
export function prefetchLazyViews(delayMs = 1500): void {
  const idle = (fn: () => void) =>
    typeof requestIdleCallback === 'function'
      ? requestIdleCallback(fn, { timeout: 2000 })
      : setTimeout(fn, 50)
  const queue: (() => Promise<unknown>)[] = [
    preloadDiscrete,
    ...PREFETCHED.map((key) => LAZY_VIEWS[key]),
  ]
  const next = () => {
    const load = queue.shift()
    if (!load) return
    load().then(
      () => idle(next),
      () => idle(next),
    )
  }
  setTimeout(() => idle(next), delayMs)
}
