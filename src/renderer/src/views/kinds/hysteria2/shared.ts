import type { SessionRow, UserRow, UsersSnapshot } from '../../../../../shared/contract'
import { sumKnown } from '../../../utils/format'

/** The totals cards of a reading; a total nobody knows is null ('—'), never 0. */
export interface UsersTotals {
  onlineUsers: number | null
  devices: number | null
  up: number | null
  down: number | null
  upRate: number | null
  downRate: number | null
}

/** Totals over a reading; everything null when there is no reading at all. */
export function usersTotals(snapshot: UsersSnapshot | null): UsersTotals {
  if (!snapshot || snapshot.at === null) {
    return { onlineUsers: null, devices: null, up: null, down: null, upRate: null, downRate: null }
  }
  const users = snapshot.users
  const online = users.filter((u) => u.online)
  return {
    onlineUsers: online.length,
    devices: online.length === 0 ? 0 : sumKnown(online.map((u) => u.devices)),
    up: users.length === 0 ? 0 : sumKnown(users.map((u) => u.up)),
    down: users.length === 0 ? 0 : sumKnown(users.map((u) => u.down)),
    upRate: users.length === 0 ? 0 : sumKnown(users.map((u) => u.upRate)),
    downRate: users.length === 0 ? 0 : sumKnown(users.map((u) => u.downRate)),
  }
}

/** Users whose name contains the filter (case-insensitive); online first, then by name. */
export function filterUsers(users: readonly UserRow[], filter: string): UserRow[] {
  const f = filter.trim().toLowerCase()
  const list = f ? users.filter((u) => u.name.toLowerCase().includes(f)) : [...users]
  return list.sort((a, b) => Number(b.online) - Number(a.online) || a.name.localeCompare(b.name))
}

/** Streams matching the filter in user, target, hooked target, connection or state. */
export function filterSessions(sessions: readonly SessionRow[], filter: string): SessionRow[] {
  const f = filter.trim().toLowerCase()
  if (!f) return [...sessions]
  return sessions.filter((s) =>
    [s.user, s.target, s.hookedTarget ?? '', s.connection ?? '', s.state, s.remote ?? ''].some(
      (v) => v.toLowerCase().includes(f),
    ),
  )
}
