import type { HealthState, ServerView } from '../../../../shared/contract'

/** One sidebar group: its name ('' = ungrouped) and servers, sorted by name. */
export interface ServerGroup {
  group: string
  servers: ServerView[]
}

/** Case-insensitive match of a filter against name, URL, group and tags. */
export function matchesFilter(server: ServerView, filter: string): boolean {
  const f = filter.trim().toLowerCase()
  if (!f) return true
  return [server.name, server.url, server.group, ...server.tags].some((v) =>
    v.toLowerCase().includes(f),
  )
}

/** Groups servers by `group`: named groups alphabetically, ungrouped last; names sorted inside. */
export function groupServers(servers: readonly ServerView[], filter = ''): ServerGroup[] {
  const map = new Map<string, ServerView[]>()
  for (const s of servers) {
    if (!matchesFilter(s, filter)) continue
    const list = map.get(s.group) ?? []
    list.push(s)
    map.set(s.group, list)
  }
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' })
  return [...map.entries()]
    .sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : collator.compare(a, b)))
    .map(([group, list]) => ({
      group,
      servers: list.sort((x, y) => collator.compare(x.name, y.name)),
    }))
}

/** Display order of states, worst first (the fleet table's default sort). */
export const STATE_SEVERITY: Record<HealthState, number> = {
  auth_failed: 0,
  tls_failed: 1,
  offline: 2,
  degraded: 3,
  unknown: 4,
  online: 5,
}

/** Counts servers per state. */
export function countByState(servers: readonly ServerView[]): Record<HealthState, number> {
  const counts: Record<HealthState, number> = {
    online: 0,
    degraded: 0,
    offline: 0,
    auth_failed: 0,
    tls_failed: 0,
    unknown: 0,
  }
  for (const s of servers) counts[s.status.state]++
  return counts
}
