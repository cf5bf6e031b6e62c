import type { AppError } from '../../../shared/contract'
import { AppErrorException, ERROR_CODES, unexpectedError } from '../../../shared/contract/plain'

const isParamValue = (v: unknown) =>
  v === null ||
  typeof v === 'string' ||
  typeof v === 'boolean' ||
  (typeof v === 'number' && Number.isFinite(v))

/**
 * True if `value` is an AppError: the rules of the contract's `AppErrorSchema` (`isAppError`),
 * written out because the page does not load zod for its first frame (bench B5). The page gets
 * AppErrors from the core, which built them, wrapped in AppErrorException; this only sorts out
 * anything else thrown. `errors.test.ts` holds it to the schema's decisions.
 */
export function isAppErrorShape(value: unknown): value is AppError {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const v = value as Record<string, unknown>
  if (!(ERROR_CODES as readonly unknown[]).includes(v.code)) return false
  if (typeof v.message !== 'string' || typeof v.retryable !== 'boolean') return false
  if (v.serverId !== undefined && typeof v.serverId !== 'string') return false
  if (v.params === undefined) return true
  const p = v.params
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return false
  return Object.values(p).every(isParamValue)
}

/** Anything a call rejected with, as an AppError (the renderer never shows raw exceptions). */
export function toAppError(err: unknown, serverId?: string): AppError {
  if (err instanceof AppErrorException) {
    const e = { ...err.appError }
    if (serverId !== undefined && e.serverId === undefined) e.serverId = serverId
    return e
  }
  if (isAppErrorShape(err)) return serverId && !err.serverId ? { ...err, serverId } : err
  return unexpectedError(serverId)
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
