/** The page Notification API, where the host has no native notifications (browser mode). */
export function browserNotificationsSupported(): boolean {
  return typeof window !== 'undefined' && 'Notification' in window
}

/** 'granted' | 'denied' | 'default', or 'unsupported'. */
export function browserNotificationPermission(): NotificationPermission | 'unsupported' {
  return browserNotificationsSupported() ? Notification.permission : 'unsupported'
}

/** Asks for permission (must run in a click handler). */
export async function requestBrowserNotifications(): Promise<
  NotificationPermission | 'unsupported'
> {
  if (!browserNotificationsSupported()) return 'unsupported'
  return Notification.requestPermission()
}

/** Shows a desktop notification if permitted; silently does nothing otherwise. */
export function showBrowserNotification(title: string, body: string, tag: string): void {
  if (browserNotificationPermission() !== 'granted') return
  try {
    new Notification(title, { body, tag })
  } catch {
    // Some browsers only allow notifications from a service worker; the bell still has it.
  }
}
