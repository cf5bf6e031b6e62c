import {
  AppErrorException,
  isAppError,
  toAppError as sharedToAppError,
} from '../../../shared/contract'
import type { AppError } from '../../../shared/contract'

/** Anything a call rejected with, as an AppError (the renderer never shows raw exceptions). */
export function toAppError(err: unknown, serverId?: string): AppError {
  if (err instanceof AppErrorException) {
    const e = { ...err.appError }
    if (serverId !== undefined && e.serverId === undefined) e.serverId = serverId
    return e
  }
  if (isAppError(err)) return serverId && !err.serverId ? { ...err, serverId } : err
  return sharedToAppError(err, serverId)
}

/**
 * The form field an `invalid_input` error is about: `params.field` (the core's own checks) or
 * the last segment of `params.path` (schema failures, e.g. `draft.url` → `url`).
 */
export function errorField(error: AppError): string | null {
  if (error.code !== 'invalid_input') return null
  const field = error.params?.field
  if (typeof field === 'string' && field) return field
  const path = error.params?.path
  if (typeof path === 'string' && path) {
    const parts = path.split('.').filter((p) => !/^\d+$/.test(p))
    return parts[parts.length - 1] ?? null
  }
  return null
}
