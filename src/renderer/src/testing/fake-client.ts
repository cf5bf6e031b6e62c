import {
  AppErrorException,
  appError,
  type EventName,
  type EventPayload,
  type MethodInput,
  type MethodName,
  type MethodOutput,
} from '../../../shared/contract'
import type { RpcClient } from '../../../shared/rpc/client'

type Handler<M extends MethodName> = (
  input: MethodInput<M>,
) => MethodOutput<M> | Promise<MethodOutput<M>>

/** An in-memory RpcClient for store and component tests: canned handlers, emitted events. */
export interface FakeClient extends RpcClient {
  handle<M extends MethodName>(method: M, fn: Handler<M>): void
  emit<E extends EventName>(event: E, payload: EventPayload<E>): void
  /** Every call made, in order. */
  readonly calls: { method: MethodName; input: unknown }[]
  closed: boolean
}

/** Creates a fake client; an unhandled method rejects with `unsupported`. */
export function createFakeClient(): FakeClient {
  const handlers = new Map<string, (input: unknown) => unknown>()
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  const calls: { method: MethodName; input: unknown }[] = []
  const fake: FakeClient = {
    calls,
    closed: false,
    handle(method, fn) {
      handlers.set(method, fn as (input: unknown) => unknown)
    },
    emit(event, payload) {
      for (const fn of listeners.get(event) ?? []) fn(payload)
    },
    async call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
      calls.push({ method, input })
      const h = handlers.get(method)
      if (!h) throw new AppErrorException(appError('unsupported', `fake: no handler for ${method}`))
      return (await h(input)) as MethodOutput<M>
    },
    on(event, fn) {
      let set = listeners.get(event)
      if (!set) {
        set = new Set()
        listeners.set(event, set)
      }
      const f = fn as (payload: unknown) => void
      set.add(f)
      return () => set.delete(f)
    },
    close() {
      fake.closed = true
    },
  }
  return fake
}
