import type {
  MethodOutput,
  WgMonChartView,
  WgMonDashboardView,
  WgMonEventView,
  WgMonManagedUserView,
  WgMonStatusView,
} from '../../../../../shared/contract'
import type { FakeClient } from '../../../testing/fake-client'

export { $, mountPg as mountWg, settle, setupFake, typeInto } from '../pasarguard/test-utils'

/** A public key for tests (valid WireGuard form). */
export const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg='

/**
 * A dashboard as the core hands it over, i.e. already in the USERS' view. Built from a monitor
 * whose interface counters are rx = 3 GiB (received from the devices = their upload) and
 * tx = 41 GiB (sent to them = their download): the monitor's own page would call 41 GiB "upload".
 */
export function wgDashboard(over: Partial<WgMonDashboardView> = {}): WgMonDashboardView {
  return {
    shape: 'upstream',
    registeredUsers: 12,
    enabledUsers: 11,
    onlineUsers: 7,
    activeSessions: 6,
    totalUp: 3 * 1024 ** 3,
    totalDown: 41 * 1024 ** 3,
    todayUp: 512 * 1024 ** 2,
    todayDown: 5 * 1024 ** 3,
    todaySessions: 23,
    uptimeHours: 50.5,
    uptimeStart: null,
    ...over,
  }
}

export function wgStatus(over: Partial<WgMonStatusView> = {}): WgMonStatusView {
  return {
    interface: 'wg0',
    running: true,
    maxHandshakeAgeSeconds: 180,
    enabledUsers: 11,
    onlineUsers: 7,
    activeSessions: 6,
    timestamp: '2026-11-23 12:00:00',
    ...over,
  }
}

export function wgUser(over: Partial<WgMonManagedUserView> = {}): WgMonManagedUserView {
  return {
    id: 1,
    publicKey: KEY,
    clientIp: null,
    nickname: 'alice',
    email: 'alice@example.com',
    phone: null,
    loginIp: '198.51.100.7',
    bandwidthLimitKBps: 0,
    dataLimitMb: 0,
    expiryDate: null,
    online: true,
    enabled: true,
    up: 1024 ** 3,
    down: 9 * 1024 ** 3,
    lastLogin: '2026-11-23 11:58:00',
    note: null,
    createdAt: '2026-11-01 09:00:00',
    updatedAt: '2026-11-23 11:58:00',
    inSession: true,
    sessionStart: '2026-11-23 11:58:00',
    sessionUp: 2048,
    sessionDown: 8192,
    ...over,
  }
}

export function wgEvent(over: Partial<WgMonEventView> = {}): WgMonEventView {
  return {
    id: 10,
    userId: 1,
    nickname: 'alice',
    publicKeyShort: 'xTIBA5rboUvnH4ht...',
    startTime: '2026-11-23 11:58:00',
    endTime: null,
    lastUpdate: '2026-11-23 12:00:05',
    up: 2048,
    down: 8192,
    durationSeconds: null,
    endpoint: '198.51.100.7:51820',
    online: true,
    ...over,
  }
}

export function wgChart(over: Partial<WgMonChartView> = {}): WgMonChartView {
  return {
    shape: 'upstream',
    days: 7,
    points: [
      { date: '2026-11-21', up: 1024 ** 2, down: 9 * 1024 ** 2, sessions: 4 },
      { date: '2026-11-22', up: 2 * 1024 ** 2, down: 30 * 1024 ** 2, sessions: 9 },
    ],
    startDate: '2026-11-16',
    endDate: '2026-11-23',
    ...over,
  }
}

/** A users page (server-side paging unless told). */
export function wgPage(
  users: WgMonManagedUserView[],
  over: Partial<MethodOutput<'wgmon.users'>['pagination']> = {},
): MethodOutput<'wgmon.users'> {
  return {
    users,
    pagination: {
      page: 1,
      perPage: 50,
      total: users.length,
      totalPages: 1,
      hasNext: false,
      hasPrev: false,
      serverSide: true,
      ...over,
    },
  }
}

/** Counts the calls of a method. */
export const callsOf = (client: FakeClient, method: string) =>
  client.calls.filter((c) => c.method === method)
