import {
  appError,
  isMethodName,
  methods,
  toAppError,
  type MethodName,
  type MethodOutput,
  type MethodParsedInput,
} from '../contract'
import type { RpcResult } from './protocol'

/** Per-connection context handed to every handler (subscriptions belong to a connection). */
export interface CallContext {
  /** Stable id of the connection (window, tab, CLI) making the call. */
  connectionId: string
}

/** One handler per method; a missing or mistyped handler does not compile. */
export type Handlers = {
  [M in MethodName]: (input: MethodParsedInput<M>, ctx: CallContext) => Promise<MethodOutput<M>>
}

export interface DispatcherOptions {
  /** Also validate outputs (tests and dev builds): the core cannot drift from the contract. */
  validateOutput?: boolean
  /** Called with unexpected (non-AppError) failures, for the log. */
  onInternalError?: (method: string, err: unknown) => void
}

/**
 * Validates input, runs the handler and wraps the outcome in an RpcResult. An invalid input
 * never reaches the handler (`invalid_input`).
 */
export function createDispatcher(handlers: Handlers, opts: DispatcherOptions = {}) {
  return async function dispatch(
    method: string,
    input: unknown,
    ctx: CallContext,
  ): Promise<RpcResult> {
    if (typeof method !== 'string' || !isMethodName(method)) {
      return {
        ok: false,
        error: appError('unsupported', `Unknown method "${String(method).slice(0, 80)}".`),
      }
    }
    const def = methods[method]
    const parsed = def.input.safeParse(input)
    if (!parsed.success) {
      const first = parsed.error.issues[0]
      const where = first && first.path.length > 0 ? ` (${first.path.join('.')})` : ''
      return {
        ok: false,
        error: appError(
          'invalid_input',
          `Invalid input for ${method}${where}: ${first?.message ?? 'invalid value'}`,
          { params: { method, path: first ? first.path.join('.') : '' } },
        ),
      }
    }
    try {
      const handler = handlers[method] as (i: unknown, c: CallContext) => Promise<unknown>
      const data = await handler(parsed.data, ctx)
      if (opts.validateOutput) {
        const out = def.output.safeParse(data)
        if (!out.success) {
          opts.onInternalError?.(method, out.error)
          return {
            ok: false,
            error: appError('internal', `The core returned an invalid result for ${method}.`),
          }
        }
        return { ok: true, data: out.data }
      }
      return { ok: true, data }
    } catch (err) {
      const e = toAppError(err)
      if (e.code === 'internal') opts.onInternalError?.(method, err)
      return { ok: false, error: e }
    }
  }
}

export type Dispatch = ReturnType<typeof createDispatcher>
