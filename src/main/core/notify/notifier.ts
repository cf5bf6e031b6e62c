import { randomUUID } from 'node:crypto'
import type { HealthState, Notice, ServerStatus } from '../../../shared/contract'

/** Where notices go: native notifications + tray in Electron, the page in browser mode. */
export interface NotificationSink {
  notify(notice: Notice): void
}

/** How many notices are kept for the in-app list. */
const HISTORY = 200

const BAD: ReadonlySet<HealthState> = new Set(['offline', 'auth_failed'])

/**
 * Turns confirmed state changes into notices: one per change, never one per poll.
 * - to offline / auth failed (also from unknown: a server already down at start is news);
 * - back to online or degraded from offline / auth failed: a recovery notice;
 * - online ⇄ degraded and unknown → online are not worth a notification.
 */
export class Notifier {
  private readonly history: Notice[] = []

  constructor(
    private readonly sinks: NotificationSink[],
    private readonly now: () => number = Date.now,
  ) {}

  list(): Notice[] {
    return [...this.history].reverse()
  }

  /** Call on every confirmed state change. Returns the notice raised, if any. */
  onChange(status: ServerStatus, from: HealthState, serverName: string): Notice | null {
    const to = status.state
    let notice: Omit<Notice, 'id' | 'at'> | null = null
    const reason = status.error?.message ?? ''
    if (to === 'offline') {
      notice = {
        level: 'error',
        kind: 'offline',
        serverId: status.serverId,
        serverName,
        title: `${serverName} is offline`,
        body: reason,
      }
    } else if (to === 'auth_failed') {
      notice = {
        level: 'error',
        kind: 'auth_failed',
        serverId: status.serverId,
        serverName,
        title: `${serverName}: authentication failed`,
        body: reason,
      }
    } else if ((to === 'online' || to === 'degraded') && BAD.has(from)) {
      notice = {
        level: 'info',
        kind: 'recovered',
        serverId: status.serverId,
        serverName,
        title: `${serverName} is back online`,
        body: status.latencyMs !== null ? `Answering in ${status.latencyMs} ms.` : '',
      }
    }
    if (!notice) return null
    const full: Notice = { ...notice, id: randomUUID(), at: this.now() }
    this.history.push(full)
    if (this.history.length > HISTORY) this.history.shift()
    for (const sink of this.sinks) {
      try {
        sink.notify(full)
      } catch {
        // A sink that fails (no notification daemon) must not stop monitoring.
      }
    }
    return full
  }
}
