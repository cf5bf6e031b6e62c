import { z } from 'zod'
import { AppErrorException, ERROR_CODES, unexpectedError } from './plain'

// Defined without zod (the page's first frame needs them, not the schemas); exported from here too.
export { AppErrorException, ERROR_CODES, appError, fail, unexpectedError } from './plain'

/** The AppError codes (see ERROR_CODES). */
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
  return unexpectedError(serverId)
}
