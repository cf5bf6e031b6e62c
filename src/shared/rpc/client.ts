import { createBirpc } from 'birpc'
import type { EventName, EventPayload, MethodInput, MethodName, MethodOutput } from '../contract'
// Not the schemas: the page loads this client for its first frame, where zod is not needed.
import { AppErrorException, appError } from '../contract/plain'
import { RPC_TIMEOUT_MS, type CoreFunctions, type RpcResult, type UiFunctions } from './protocol'

/** A raw message channel: Electron IPC through the preload, or a WebSocket. */
export interface MessageChannel {
  post(data: unknown): void
  on(fn: (data: unknown) => void): void
  /** JSON for sockets; identity for structured-clone channels. */
  serialize?: (data: unknown) => unknown
  deserialize?: (data: unknown) => unknown
}

type Listener<E extends EventName> = (payload: EventPayload<E>) => void

/** The typed client every UI uses: `call('servers.list', undefined)`, `on('server.status', fn)`. */
export interface RpcClient {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>
  on<E extends EventName>(event: E, fn: Listener<E>): () => void
  close(): void
}

/** Builds a typed client over any message channel. Errors reject as AppErrorException. */
export function createRpcClient(channel: MessageChannel): RpcClient {
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  const local: UiFunctions = {
    event(name, payload) {
      const set = listeners.get(name)
      if (!set) return
      for (const fn of set) {
        try {
          fn(payload)
        } catch (err) {
          console.error(`listener for ${name} failed`, err)
        }
      }
    },
  }
  const rpc = createBirpc<CoreFunctions, UiFunctions>(local, {
    post: (data) => channel.post(data),
    on: (fn) => channel.on(fn),
    serialize: channel.serialize,
    deserialize: channel.deserialize,
    timeout: RPC_TIMEOUT_MS,
    eventNames: [],
    resolver: (name, resolved) => (name === 'event' ? resolved : undefined),
    onTimeoutError(functionName) {
      throw new AppErrorException(
        appError('timeout', `NodeDeck's core did not answer ${functionName} in time.`),
      )
    },
  })
  return {
    async call(method, input) {
      let result: RpcResult
      try {
        result = await rpc.call(method, input)
      } catch (err) {
        if (err instanceof AppErrorException) throw err
        throw new AppErrorException(
          appError('network', 'The connection to NodeDeck’s core was lost. Reload to reconnect.'),
        )
      }
      if (!result.ok) throw new AppErrorException(result.error)
      return result.data as MethodOutput<typeof method>
    },
    on(event, fn) {
      let set = listeners.get(event)
      if (!set) {
        set = new Set()
        listeners.set(event, set)
      }
      const f = fn as (p: unknown) => void
      set.add(f)
      return () => set.delete(f)
    },
    close() {
      rpc.$close()
    },
  }
}
