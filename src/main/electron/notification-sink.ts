import { Notification } from 'electron'
import type { Locale, Notice } from '../../shared/contract'
import type { NotificationSink } from '../core/notify/notifier'
import { stringsFor } from './i18n'

export interface NativeNotificationSinkOptions {
  /**
   * Called when the user clicks a notification: the shell shows the window and focuses
   * `notice.serverId` (empty for a notice about several servers: the window only).
   */
  onClick(notice: Notice): void
  /** The current shell locale (read at each notice, so a settings change applies at once). */
  locale(): Locale
  /** App icon for Linux/Windows notifications. */
  icon?: string
}

export interface NativeNotificationSink extends NotificationSink {
  /** Closes the notifications still on screen. */
  dispose(): void
}

/**
 * The localized title and body of a notice. A grouped or quiet-hours notice lists its servers
 * (capped, "… and N more"); a flapping summary explains the limit; a single server's notice
 * keeps the core's reason (an English sentence from the server's error).
 */
export function noticeText(notice: Notice, locale: Locale): { title: string; body: string } {
  const strings = stringsFor(locale)
  const title = strings.notice[notice.kind](notice)
  if (notice.kind === 'group' || notice.kind === 'quiet_summary') {
    const names = notice.serverNames ?? []
    const rest = (notice.count ?? names.length) - names.length
    const list = names.join(', ')
    return { title, body: rest > 0 ? `${list} ${strings.more(rest)}` : list }
  }
  if (notice.kind === 'flapping') {
    return { title, body: strings.flapBody(notice.limit ?? 2, notice.windowMin ?? 10) }
  }
  return { title, body: notice.body }
}

/**
 * Native OS notifications for the core's notices: exactly one notification per `notify` call
 * (the core's Notifier raises one notice per confirmed change, per group of changes or per
 * summary, and calls the sinks only for those that pop). Does nothing where the OS has no
 * notification service. Live notifications are kept referenced until they are clicked or
 * closed, or Electron may garbage-collect them and drop the click.
 */
export function createNotificationSink(
  opts: NativeNotificationSinkOptions,
): NativeNotificationSink {
  const live = new Set<Notification>()
  return {
    notify(notice) {
      if (!Notification.isSupported()) return
      const { title, body } = noticeText(notice, opts.locale())
      const n = new Notification({ title, body, icon: opts.icon })
      live.add(n)
      const forget = () => live.delete(n)
      n.on('click', () => {
        forget()
        opts.onClick(notice)
      })
      n.on('close', forget)
      n.on('failed', forget)
      n.show()
    },
    dispose() {
      for (const n of live) n.close()
      live.clear()
    },
  }
}
