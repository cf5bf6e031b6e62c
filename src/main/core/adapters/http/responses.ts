import type { z } from 'zod'
import { AppErrorException, appError } from '../../../../shared/contract'
import { bodySnippet, type HttpResponse } from './http-client'

/** What a response was for: used in every message ("GET /traffic"). */
export interface ResponseContext {
  serverId: string
  /** e.g. `GET /traffic` (no query, no secrets). */
  what: string
  /** What to tell the user when the payload is not what the kind's API returns. */
  hint: string
}

/**
 * Parses a JSON body with a schema. Garbage, a wrong shape or an HTML page becomes
 * `bad_payload` naming the call and what to check; the stored data stays untouched.
 *
 * `accepts` is an optional fast check for hot poll paths: a hand-written guard that returns true
 * only for values the schema accepts AND returns unchanged (no defaults, transforms or stripped
 * keys). Such a value is returned as is; anything else still goes through the schema, which
 * then decides and words the error. So every body is validated, cheaply when it is well-formed.
 */
export function parseJsonBody<S extends z.ZodType>(
  res: HttpResponse,
  schema: S,
  ctx: ResponseContext,
  accepts?: (json: unknown) => json is z.output<S>,
): z.output<S> {
  let json: unknown
  try {
    json = JSON.parse(res.body.toString('utf8'))
  } catch {
    throw new AppErrorException(
      appError(
        'bad_payload',
        `The answer to ${ctx.what} is not JSON ("${bodySnippet(res.body, 80)}"). ${ctx.hint}`,
        { serverId: ctx.serverId },
      ),
    )
  }
  if (accepts?.(json)) return json
  const parsed = schema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : ''
    throw new AppErrorException(
      appError(
        'bad_payload',
        `The answer to ${ctx.what} has an unexpected shape${path}: ${issue?.message ?? 'invalid'}. ${ctx.hint}`,
        { serverId: ctx.serverId },
      ),
    )
  }
  return parsed.data
}

/** A non-success status as an AppError, quoting (a short piece of) the server's text. */
export function statusError(
  res: HttpResponse,
  ctx: ResponseContext,
  advice: string,
): AppErrorException {
  const text = bodySnippet(res.body, 160)
  return new AppErrorException(
    appError(
      'http_status',
      `${ctx.what} failed with HTTP ${res.status}${text ? ` ("${text}")` : ''}. ${advice}`,
      { serverId: ctx.serverId, retryable: res.status >= 500, params: { status: res.status } },
    ),
  )
}
