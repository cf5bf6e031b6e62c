import type { FleetRow, FleetTotals, ServerView } from '../../../../shared/contract'
import { addToFleetTotals, emptyFleetTotals } from '../../../../shared/fleet-totals'
import type { ServerKind } from '../../../../shared/kinds'
import { STATE_SEVERITY, matchesFilter } from '../../stores/servers/shared'

/** A server as the fleet view shows it: config and health, and its live figures (if any yet). */
export interface FleetItem {
  server: ServerView
  live: FleetRow | null
}

/** Columns the fleet table sorts by. */
export const FLEET_SORT_KEYS = [
  'name',
  'kind',
  'group',
  'state',
  'latency',
  'online',
  'upRate',
  'downRate',
  'traffic',
  'certs',
  'lastCheck',
] as const
export type FleetSortKey = (typeof FLEET_SORT_KEYS)[number]
export type SortOrder = 'asc' | 'desc'

/** What narrows the fleet: text (name, URL, group, tags) and chosen states, kinds, groups, tags. */
export interface FleetFilter {
  text: string
  states: readonly string[]
  kinds: readonly ServerKind[]
  groups: readonly string[]
  tags: readonly string[]
}

export const EMPTY_FILTER: FleetFilter = { text: '', states: [], kinds: [], groups: [], tags: [] }

/** True when the filter narrows anything. */
export function isFiltering(f: FleetFilter): boolean {
  return (
    f.text.trim() !== '' ||
    f.states.length > 0 ||
    f.kinds.length > 0 ||
    f.groups.length > 0 ||
    f.tags.length > 0
  )
}

/** A state's rank, worst first; a state this build does not know sorts after the known ones. */
export function severityOf(state: string): number {
  return (STATE_SEVERITY as Record<string, number | undefined>)[state] ?? 99
}

/** The items that pass the filter (one pass; empty lists = no restriction). */
export function filterItems(items: readonly FleetItem[], f: FleetFilter): FleetItem[] {
  if (!isFiltering(f)) return items as FleetItem[]
  const states = new Set(f.states)
  const kinds = new Set<string>(f.kinds)
  const groups = new Set(f.groups)
  return items.filter(({ server: s }) => {
    if (states.size > 0 && !states.has(s.status.state)) return false
    if (kinds.size > 0 && !kinds.has(s.kind)) return false
    if (groups.size > 0 && !groups.has(s.group)) return false
    if (f.tags.length > 0 && !f.tags.some((t) => s.tags.includes(t))) return false
    return matchesFilter(s, f.text)
  })
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })

type Key = number | string | null

/** The value an item sorts by (null = unknown: always last, whatever the order). */
function keyOf(item: FleetItem, key: FleetSortKey): Key {
  const { server: s, live } = item
  switch (key) {
    case 'name':
      return s.name
    case 'kind':
      return s.kind
    case 'group':
      return s.group || null
    case 'state':
      return severityOf(s.status.state)
    case 'latency':
      return s.status.latencyMs
    case 'online':
      return live?.onlineUsers ?? null
    case 'upRate':
      return live?.upRate ?? null
    case 'downRate':
      return live?.downRate ?? null
    case 'traffic':
      return live && live.up !== null && live.down !== null ? live.up + live.down : null
    case 'certs':
      return s.certExpiry?.minDaysLeft ?? null
    case 'lastCheck':
      return s.status.lastCheckAt
  }
}

/**
 * Sorted copy: by the key (unknown values last in both orders), then by name. Keys are read once
 * per item (decorate-sort-undecorate): 1,000 servers sort in well under a millisecond.
 */
export function sortItems(
  items: readonly FleetItem[],
  key: FleetSortKey,
  order: SortOrder,
): FleetItem[] {
  const dir = order === 'asc' ? 1 : -1
  const decorated = items.map((item) => ({ item, k: keyOf(item, key) }))
  decorated.sort((a, b) => {
    if (a.k !== b.k) {
      if (a.k === null) return 1
      if (b.k === null) return -1
      const c =
        typeof a.k === 'number' && typeof b.k === 'number'
          ? a.k - b.k
          : collator.compare(String(a.k), String(b.k))
      if (c !== 0) return c * dir
    }
    return collator.compare(a.item.server.name, b.item.server.name)
  })
  return decorated.map((d) => d.item)
}

/** Totals of some servers (a group, the filtered fleet): unknown figures counted apart. */
export type ItemTotals = FleetTotals

/** Sums the live figures of some servers (the state as the fleet's status events give it). */
export function totalsOf(items: readonly FleetItem[]): ItemTotals {
  const t = emptyFleetTotals()
  for (const { server, live } of items) addToFleetTotals(t, server.status.state, live)
  return t
}

/** A line of the grouped table: a group header or a server. */
export type FleetLine =
  | { type: 'group'; group: string; collapsed: boolean; totals: ItemTotals }
  | { type: 'server'; item: FleetItem }

/**
 * The sorted items under group headers (named groups alphabetically, ungrouped last), each
 * header with its group's totals; a collapsed group shows only its header.
 */
export function groupLines(
  items: readonly FleetItem[],
  collapsed: ReadonlySet<string>,
): FleetLine[] {
  const byGroup = new Map<string, FleetItem[]>()
  for (const item of items) {
    const g = item.server.group
    let list = byGroup.get(g)
    if (!list) byGroup.set(g, (list = []))
    list.push(item)
  }
  const names = [...byGroup.keys()].sort((a, b) =>
    a === '' ? 1 : b === '' ? -1 : collator.compare(a, b),
  )
  const lines: FleetLine[] = []
  for (const group of names) {
    const list = byGroup.get(group) ?? []
    const isCollapsed = collapsed.has(group)
    lines.push({ type: 'group', group, collapsed: isCollapsed, totals: totalsOf(list) })
    if (!isCollapsed) for (const item of list) lines.push({ type: 'server', item })
  }
  return lines
}

/** Splits items into rows of `perRow` (the card grid's virtual rows). */
export function chunk<T>(items: readonly T[], perRow: number): T[][] {
  const n = Math.max(1, Math.floor(perRow))
  const out: T[][] = []
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n))
  return out
}
