import { useBridgesStore } from '../stores/bridges'
import { useOnConnected, useSubscription } from './use-subscription'

/**
 * Keeps the bridges store in step with the core for the life of the calling scope (the app
 * shell): the list on every (re)connect, each `bridges.status` event as it comes. The contract
 * has no "list changed" event, so a status of an unknown bridge (added by the CLI or another
 * window) and every change of the server list (a removed server may take its bridges along, a
 * renamed one changes their names) reload the list.
 */
export function useBridgesSync(): void {
  const bridges = useBridgesStore()
  let loading: Promise<void> | null = null
  let again = false

  /** One reload at a time; a request while one runs makes one more afterwards. */
  function reload(): void {
    if (loading) {
      again = true
      return
    }
    // A failure is kept in the store (`loadError`) and shown by the Bridges view.
    loading = bridges
      .load()
      .catch(() => undefined)
      .finally(() => {
        loading = null
        if (again) {
          again = false
          reload()
        }
      })
  }

  useOnConnected(reload)
  useSubscription('bridges.status', (status) => {
    if (!bridges.applyStatus(status)) reload()
  })
  useSubscription('servers.changed', reload)
}
