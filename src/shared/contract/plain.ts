import type { AppError, ErrorCode } from './errors'
import type { Notice } from './app'
import type { HealthState, ServerStatus } from './servers'
import type { AlertSettings } from './alerts'

/**
 * The contract's values that need no zod: error codes and the AppError helpers, the locales,
 * the down states, the alert defaults. The page's first frame (bench B5) imports these from here
 * and none of the schemas, whose construction (with zod's own) is a good part of the page's
 * start-up; the schema modules re-export them, so everything else imports them as before.
 */

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

/**
 * What anything thrown that is no AppError becomes: `internal`, with a generic message (the
 * original text may hold anything, paths or URLs with tokens, so it is not passed on).
 */
export function unexpectedError(serverId?: string): AppError {
  return appError('internal', 'An unexpected internal error occurred. See the log for details.', {
    serverId,
  })
}

/** Throws an AppError (as AppErrorException). */
export function fail(
  code: ErrorCode,
  message: string,
  extra?: { serverId?: string; retryable?: boolean; params?: AppError['params'] },
): never {
  throw new AppErrorException(appError(code, message, extra))
}

/** The UI languages. */
export const LOCALES = ['en-US', 'zh-CN'] as const

/** True when a notice should pop up (native notification, page notification). */
export function noticePops(n: Notice): boolean {
  return !n.muted && !n.suppressed && !n.quiet
}

/** The states in which a server does not serve: they confirm together and raise alerts. */
export const DOWN_STATES: ReadonlySet<HealthState> = new Set<HealthState>([
  'offline',
  'auth_failed',
  'tls_failed',
])

/** True for offline, auth failed and TLS failed. */
export function isDownState(state: HealthState): boolean {
  return DOWN_STATES.has(state)
}

/** The status of a server no probe has finished for yet: unknown, since `since`. */
export function unknownStatus(serverId: string, since: number): ServerStatus {
  return {
    serverId,
    state: 'unknown',
    since,
    lastCheckAt: null,
    lastOkAt: null,
    latencyMs: null,
    error: null,
    pending: null,
  }
}

/** Alert settings before any were saved: nothing muted, quiet hours off (22:00 → 07:00). */
export const DEFAULT_ALERT_SETTINGS: AlertSettings = {
  mutedServerIds: [],
  quietHours: { enabled: false, start: '22:00', end: '07:00', days: [] },
}
