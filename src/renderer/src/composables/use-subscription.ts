import { onScopeDispose, shallowRef, type Ref } from 'vue'
import type { EventName, EventPayload } from '../../../shared/contract'
import { useApi } from '../api'
import type { ConnectionStatus } from '../host/connection'

/**
 * Listens to a core event for the life of the calling scope (component, effect scope). The only
 * place components and composables subscribe; survives reconnects (the api re-attaches).
 */
export function useSubscription<E extends EventName>(
  event: E,
  fn: (payload: EventPayload<E>) => void,
): void {
  const off = useApi().on(event, fn)
  onScopeDispose(off)
}

/**
 * Runs `fn` now if connected and after every reconnect, for the life of the scope: initial
 * loads and live watches go here, so they are restored after a dropped connection.
 */
export function useOnConnected(fn: () => void): void {
  const off = useApi().onConnected(fn)
  onScopeDispose(off)
}

/** The connection's status as a ref (for banners). */
export function useConnectionStatus(): Readonly<Ref<ConnectionStatus>> {
  const api = useApi()
  const status = shallowRef<ConnectionStatus>(api.status())
  const off = api.onStatus((s) => {
    status.value = s
  })
  onScopeDispose(off)
  return status
}
