import { onScopeDispose } from 'vue'
import { api } from '../api'
import { useUsersStore } from '../stores/users'
import { showError } from '../utils/discrete'
import { useOnConnected } from './use-subscription'

/**
 * Live users of one server while the calling view is mounted: `live.watch` (the core polls
 * faster and pushes `users.snapshot`), an initial `users.list`, `live.unwatch` at the end.
 * Both are redone after a reconnect (the core forgets watches of a closed connection).
 */
export function useLiveUsers(serverId: string): void {
  const users = useUsersStore()
  let disposed = false

  useOnConnected(() => {
    void (async () => {
      try {
        await api.live.watch(serverId)
      } catch (err) {
        if (!disposed) showError(err, serverId)
      }
      // A failed first reading (server offline) is shown inline by the panel, not as a toast.
      await users.load(serverId).catch(() => undefined)
    })()
  })

  onScopeDispose(() => {
    disposed = true
    api.live.unwatch(serverId).catch(() => undefined)
  })
}
