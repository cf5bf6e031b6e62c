import type { ServerView, UserRow, UsersSnapshot } from '../../../shared/contract'

/** A Hysteria 2 server view for tests. */
export function serverView(over: Partial<ServerView> = {}): ServerView {
  const id = over.id ?? 's1'
  return {
    id,
    kind: 'hysteria2',
    name: 'Tokyo 1',
    url: 'http://203.0.113.10:9999',
    group: 'Asia',
    tags: [],
    pollIntervalSec: 10,
    tls: {},
    options: {},
    createdAt: 1_700_000_000_000,
    hasSecret: true,
    certExpiry: null,
    status: {
      serverId: id,
      state: 'online',
      since: 1_700_000_000_000,
      lastCheckAt: 1_700_000_000_000,
      lastOkAt: 1_700_000_000_000,
      latencyMs: 42,
      error: null,
      pending: null,
    },
    ...over,
  }
}

/** A user row for tests. */
export function userRow(over: Partial<UserRow> = {}): UserRow {
  return {
    name: 'alice',
    online: true,
    devices: 1,
    up: 1024,
    down: 2048,
    upRate: 10,
    downRate: 20,
    reset: false,
    ...over,
  }
}

/** A users snapshot for tests. */
export function usersSnapshot(over: Partial<UsersSnapshot> = {}): UsersSnapshot {
  return {
    serverId: 's1',
    at: Date.now(),
    stale: false,
    error: null,
    users: [userRow()],
    clearOnRead: false,
    countingSince: null,
    serverReset: false,
    ...over,
  }
}
