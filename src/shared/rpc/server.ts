import { createBirpc } from 'birpc'
import type { CoreFunctions, RpcResult, UiFunctions } from './protocol'
import type { MessageChannel } from './client'

/** The core side of one connection as a host sees it. */
export interface CoreConnection {
  call(method: string, input: unknown): Promise<RpcResult>
  close(): void
}

/**
 * Serves one connection (a window, a browser tab): calls go to `connection.call`, events from
 * the core go out through `emit`. Returns the function hosts use to push events.
 */
export function serveConnection(
  channel: MessageChannel,
  connection: CoreConnection,
): { emit(name: string, payload: unknown): void; close(): void } {
  const local: CoreFunctions = {
    call: (method, input) => connection.call(method, input),
  }
  const rpc = createBirpc<UiFunctions, CoreFunctions>(local, {
    post: (data) => channel.post(data),
    on: (fn) => channel.on(fn),
    serialize: channel.serialize,
    deserialize: channel.deserialize,
    eventNames: ['event'],
    // Only our own `call` is callable: a crafted message naming `toString` or `constructor`
    // must not reach a prototype function.
    resolver: (name, resolved) => (name === 'call' ? resolved : undefined),
  })
  return {
    emit(name, payload) {
      if (rpc.$closed) return
      void rpc.event.asEvent(name, payload).catch(() => undefined)
    },
    close() {
      rpc.$close()
      connection.close()
    },
  }
}
