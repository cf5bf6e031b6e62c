import { defineStore } from 'pinia'
import { ref, watch } from 'vue'
import { readLocal, writeLocal } from '../utils/storage'
import { SetupStoreId } from './ids'

/** The name of the always-present first tab. */
export const FLEET_TAB = 'fleet'
/** The always-present Bridges tab (traffic bridges), after the fleet. */
export const BRIDGES_TAB = 'bridges'
/** The always-present Alerts tab (alert history and settings). */
export const ALERTS_TAB = 'alerts'
/** The always-present History tab (fleet traffic, users online, top users over time). */
export const HISTORY_TAB = 'history'

/** localStorage key of the open tabs: server ids only, never anything secret. */
const TABS_KEY = 'nodedeck.tabs'

interface SavedTabs {
  open: string[]
  active: string
}

function parseTabs(value: unknown): SavedTabs | null {
  if (typeof value !== 'object' || value === null) return null
  const v = value as Record<string, unknown>
  const open = Array.isArray(v.open)
    ? v.open.filter((x): x is string => typeof x === 'string' && x.length <= 64).slice(0, 50)
    : []
  const active = typeof v.active === 'string' ? v.active : FLEET_TAB
  return { open, active }
}

/** Which servers are open as tabs and which tab is in front; remembered across restarts. */
export const useTabsStore = defineStore(SetupStoreId.Tabs, () => {
  const saved = readLocal(TABS_KEY, parseTabs)
  const open = ref<string[]>(saved?.open ?? [])
  const active = ref<string>(saved?.active ?? FLEET_TAB)

  watch([open, active], () => writeLocal(TABS_KEY, { open: open.value, active: active.value }), {
    deep: true,
  })

  /** Opens (or brings to front) a server's tab. */
  function openServer(id: string): void {
    if (!open.value.includes(id)) open.value = [...open.value, id]
    active.value = id
  }

  /** Closes a tab; the neighbour to its left (or the fleet) comes to front. */
  function close(id: string): void {
    const i = open.value.indexOf(id)
    if (i < 0) return
    open.value = open.value.filter((x) => x !== id)
    if (active.value === id) active.value = open.value[i - 1] ?? open.value[i] ?? FLEET_TAB
  }

  function activate(name: string): void {
    active.value = name
  }

  /** Drops tabs of servers that no longer exist (after the list loads). */
  function prune(existing: readonly string[]): void {
    const keep = new Set(existing)
    for (const id of open.value) if (!keep.has(id)) close(id)
    const fixed =
      active.value === FLEET_TAB ||
      active.value === BRIDGES_TAB ||
      active.value === ALERTS_TAB ||
      active.value === HISTORY_TAB
    if (!fixed && !open.value.includes(active.value)) active.value = FLEET_TAB
  }

  return { open, active, openServer, close, activate, prune }
})
