import { watch } from 'vue'
import type { Notice } from '../../../shared/contract'
import { noticePops } from '../../../shared/contract/plain'
import { useAppStore } from '../stores/app'
import { useNoticesStore } from '../stores/notices'
import { useServersStore } from '../stores/servers'
import { ALERTS_TAB, useTabsStore } from '../stores/tabs'
import { useUsersStore } from '../stores/users'
import { showBrowserNotification } from '../utils/browser-notify'
import { useNoticeText } from '../views/alerts/notice-text'
import { showError } from '../utils/discrete'
import { useBridgesSync } from './use-bridges-sync'
import { useConnectionStatus, useOnConnected, useSubscription } from './use-subscription'

/**
 * Keeps the stores in step with the core for the life of the app: loads everything on each
 * (re)connect and applies the core's events. Called once, by App.vue.
 */
export function useAppSync(): void {
  const app = useAppStore()
  const servers = useServersStore()
  const tabs = useTabsStore()
  const notices = useNoticesStore()
  const users = useUsersStore()
  const noticeText = useNoticeText()

  const status = useConnectionStatus()
  watch(status, (s) => app.setConnection(s), { immediate: true })

  useOnConnected(() => {
    app.setConnection(status.value)
    void (async () => {
      try {
        await Promise.all([
          app.load(),
          servers.load().then(() => tabs.prune(servers.order)),
          notices.load(),
        ])
      } catch (err) {
        showError(err)
      }
    })()
  })

  useSubscription('servers.changed', (list) => {
    servers.applyList(list)
    tabs.prune(servers.order)
  })
  useSubscription('server.status', (s) => servers.queueStatus(s))
  // Traffic bridges: their list and live status (the Bridges tab, the fleet's badges).
  useBridgesSync()
  useSubscription('users.snapshot', (snap) => users.apply(snap))
  useSubscription('settings.changed', (s) => app.applySettings(s))
  // The host (tray menu, notification click) asks to show a server; '' = a notice about
  // several servers: the Alerts tab.
  useSubscription('ui.focusServer', ({ serverId }) => {
    if (serverId === '') tabs.activate(ALERTS_TAB)
    else if (servers.get(serverId)) tabs.openServer(serverId)
  })
  useSubscription('alerts.settings.changed', (s) => notices.applySettings(s))
  useSubscription('notice', (notice: Notice) => {
    if (!notices.push(notice)) return
    // Electron shows native notifications from the main process; the browser host cannot.
    // Muted, quiet-hours and held-back notices only go to the centre and the history.
    if (app.info && !app.info.capabilities.nativeNotifications && noticePops(notice)) {
      showBrowserNotification(noticeText.title(notice), noticeText.body(notice), notice.id)
    }
  })
}
