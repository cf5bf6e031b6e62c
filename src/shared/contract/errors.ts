import { z } from 'zod'

/**
 * Every failure that crosses a boundary (IPC, WebSocket, CLI `--json`) is an AppError: a plain,
 * JSON-safe object, never a thrown `Error` (Electron mangles `invoke` errors, JSON drops Error
 * fields). The renderer localizes by `code`; `message` is an English sentence a person can act on
 * (which server, what failed, what to do) and never contains a secret.
 */
export const ERROR_CODES = [
  'network',
  'timeout',
  'tls',
  'auth',
  'http_status',
  'bad_payload',
  'unsupported',
  'invalid_input',
  'not_found',
  'keychain',
  'storage',
  'internal',
  /** Not a failure: the server answered, but slower than the health threshold (degraded). */
  'slow',
] as const

export const ErrorCodeSchema = z.enum(ERROR_CODES)
export type ErrorCode = z.infer<typeof ErrorCodeSchema>

export const AppErrorSchema = z.object({
  code: ErrorCodeSchema,
  message: z.string(),
  serverId: z.string().optional(),
  /** True when trying again later may succeed (network blips, timeouts, 5xx). */
  retryable: z.boolean(),
  /** Extra facts for localized messages: status code, method, path, limits. Never secrets. */
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
})
export type AppError = z.infer<typeof AppErrorSchema>

/** A thrown wrapper so core code can `throw` an AppError and keep a stack for logs. */
export class AppErrorException extends Error {
  readonly appError: AppError
  constructor(appError: AppError) {
    super(appError.message)
    this.name = 'AppErrorException'
    this.appError = appError
  }
}

const RETRYABLE: Record<ErrorCode, boolean> = {
  network: true,
  timeout: true,
  tls: false,
  auth: false,
  http_status: false,
  bad_payload: false,
  unsupported: false,
  invalid_input: false,
  not_found: false,
  keychain: false,
  storage: false,
  internal: false,
  slow: true,
}

/** Builds an AppError with the default `retryable` for its code. */
export function appError(
  code: ErrorCode,
  message: string,
  extra: { serverId?: string; retryable?: boolean; params?: AppError['params'] } = {},
): AppError {
  const err: AppError = { code, message, retryable: extra.retryable ?? RETRYABLE[code] }
  if (extra.serverId !== undefined) err.serverId = extra.serverId
  if (extra.params !== undefined) err.params = extra.params
  return err
}

/** Throws an AppError (as AppErrorException). */
export function fail(
  code: ErrorCode,
  message: string,
  extra?: { serverId?: string; retryable?: boolean; params?: AppError['params'] },
): never {
  throw new AppErrorException(appError(code, message, extra))
}

/** True if `value` already is a valid AppError object. */
export function isAppError(value: unknown): value is AppError {
  return AppErrorSchema.safeParse(value).success
}

/**
 * Turns anything thrown into an AppError. Unknown errors become `internal` with a generic
 * message: their text may hold anything (paths, URLs with tokens), so it is not passed on.
 */
export function toAppError(err: unknown, serverId?: string): AppError {
  if (err instanceof AppErrorException) {
    const e = { ...err.appError }
    if (serverId !== undefined && e.serverId === undefined) e.serverId = serverId
    return e
  }
  if (isAppError(err)) return err
  return appError('internal', 'An unexpected internal error occurred. See the log for details.', {
    serverId,
  })
}
