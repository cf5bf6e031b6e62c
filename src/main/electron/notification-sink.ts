import { Notification } from 'electron'
import type { Locale, Notice } from '../../shared/contract'
import type { NotificationSink } from '../core/notify/notifier'
import { stringsFor } from './i18n'

export interface NativeNotificationSinkOptions {
  /** Called when the user clicks a notification (the shell shows the window). */
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
 * Native OS notifications for the core's notices: exactly one notification per `notify` call
 * (the core's Notifier already raises one notice per confirmed state change). Does nothing
 * where the OS has no notification service. Live notifications are kept referenced until they
 * are clicked or closed, or Electron may garbage-collect them and drop the click.
 */
export function createNotificationSink(
  opts: NativeNotificationSinkOptions,
): NativeNotificationSink {
  const live = new Set<Notification>()
  return {
    notify(notice) {
      if (!Notification.isSupported()) return
      const title = stringsFor(opts.locale()).notice[notice.kind](notice.serverName)
      const n = new Notification({
        title,
        body: notice.body,
        icon: opts.icon,
      })
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
