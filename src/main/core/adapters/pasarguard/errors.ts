import type { AppError, PgTransport } from '../../../../shared/contract'
import { appError } from '../../../../shared/contract'
import { GRPC } from './grpc-status'

/**
 * How a PasarGuard node's refusals become AppErrors (apis.md §3), for both transports. Every
 * message names the node, what failed and what to do; none quotes the API key. The renderer and
 * the CLI branch on these params, which are part of the contract in practice:
 * - `coreState: 'no_backend' | 'stopped'` (code `http_status`, retryable): the node answered but
 *   its core is not running (REST 500 `backend not initialized` / 503 `core is not started yet`,
 *   gRPC UNAVAILABLE with the same words). A state, not an outage.
 * - `hint: 'speaks_grpc' | 'speaks_rest'` (code `unsupported`): the node runs the other transport.
 * - `reason: 'missing_key' | 'key_not_uuid' | 'key_mismatch'` (code `auth`).
 */

/** Where the core of a node is when a call was refused for it. */
export type PgCoreDown = 'no_backend' | 'stopped'

/** Which transport the node speaks instead of the one configured. */
export type PgTransportHint = 'speaks_grpc' | 'speaks_rest'

/** Why the node refused the API key. */
export type PgAuthReason = 'missing_key' | 'key_not_uuid' | 'key_mismatch'

/** gRPC status codes (grpc-js `status`): see grpc-status.ts (loads without grpc-js). */
export { GRPC }

const GRPC_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(GRPC).map(([name, code]) => [code, name]),
)

/** The name of a gRPC status code (`UNAVAILABLE`), or `code N`. */
export function grpcCodeName(code: number): string {
  return GRPC_NAMES[code] ?? `code ${code}`
}

/** What every mapping needs to say which node and which call. */
export interface PgErrorContext {
  serverId: string
  /** `host:port` of the node. */
  host: string
  transport: PgTransport
  /** The call, e.g. `GetStats` (gRPC) or `GET /stats` (REST). */
  op: string
}

/** The node's own words for its two core states (checkBackendMiddleware, apis.md §3). */
const CORE_TEXT: ReadonlyArray<[RegExp, PgCoreDown]> = [
  [/backend not initialized/i, 'no_backend'],
  [/core is not started yet/i, 'stopped'],
]

/** The core state a node's error text reports, or null. */
export function coreDownOfText(text: string): PgCoreDown | null {
  for (const [re, state] of CORE_TEXT) if (re.test(text)) return state
  return null
}

/** The core state an AppError carries (`params.coreState`), or null. */
export function coreDownOf(err: AppError | null | undefined): PgCoreDown | null {
  const v = err?.params?.coreState
  return v === 'no_backend' || v === 'stopped' ? v : null
}

/** The wrong-transport hint an AppError carries (`params.hint`), or null. */
export function transportHintOf(err: AppError | null | undefined): PgTransportHint | null {
  const v = err?.params?.hint
  return v === 'speaks_grpc' || v === 'speaks_rest' ? v : null
}

/** The node answered, but its core is not running: a state, reported as such. */
export function coreDownError(
  ctx: PgErrorContext,
  state: PgCoreDown,
  nodeText: string,
  extra: Record<string, string | number> = {},
): AppError {
  const words =
    nodeText.trim() ||
    (state === 'no_backend' ? 'backend not initialized' : 'core is not started yet')
  const message =
    state === 'no_backend'
      ? `The core of the PasarGuard node at ${ctx.host} is stopped: the node has no backend ("${words}"). It was never started, was stopped, or the node's keep-alive watchdog stopped it after a silence. Start the core from the node's view.`
      : `The core of the PasarGuard node at ${ctx.host} is not running ("${words}"): the backend exists but its core stopped. Start the core again from the node's view; if it keeps stopping, read the node's logs.`
  return appError('http_status', message, {
    serverId: ctx.serverId,
    retryable: true,
    params: { coreState: state, nodeText: words, op: ctx.op, transport: ctx.transport, ...extra },
  })
}

/** The node refused the API key. */
export function authError(
  ctx: PgErrorContext,
  reason: PgAuthReason,
  evidence: string,
  extra: Record<string, string | number> = {},
): AppError {
  const what =
    reason === 'missing_key'
      ? `received no API key (${evidence}). Enter the node's API key (API_KEY in the node's .env) in this server's settings.`
      : reason === 'key_not_uuid'
        ? `refused the API key: it is not a UUID (${evidence}). Copy API_KEY from the node's .env (a UUID such as 3f2a…-…) into this server's settings.`
        : `refused the API key: API key mismatch (${evidence}). Copy API_KEY from the node's .env into this server's settings.`
  return appError('auth', `The PasarGuard node at ${ctx.host} ${what}`, {
    serverId: ctx.serverId,
    params: { reason, op: ctx.op, transport: ctx.transport, ...extra },
  })
}

/** The node speaks the other transport. */
export function wrongTransportError(
  ctx: PgErrorContext,
  hint: PgTransportHint,
  evidence: string,
): AppError {
  const message =
    hint === 'speaks_grpc'
      ? `The PasarGuard node at ${ctx.host} does not answer REST (${evidence}): this node speaks gRPC (the node's default, SERVICE_PROTOCOL=grpc). Choose gRPC as this server's transport (or set SERVICE_PROTOCOL=rest on the node).`
      : `The PasarGuard node at ${ctx.host} does not answer gRPC (${evidence}): this node speaks REST (SERVICE_PROTOCOL=rest). Choose REST as this server's transport.`
  return appError('unsupported', message, {
    serverId: ctx.serverId,
    params: { hint, op: ctx.op, transport: ctx.transport },
  })
}

/** A short, single-line form of the node's error text. */
export function nodeWords(text: string, max = 200): string {
  const t = text.replace(/\s+/g, ' ').trim()
  return t.length > max ? `${t.slice(0, max)}…` : t
}

/** A REST answer that was not 2xx (the body is `http.Error` text). */
export function restStatusError(
  ctx: PgErrorContext,
  res: { status: number; text: string; contentType: string },
): AppError {
  const { status } = res
  const text = nodeWords(res.text)
  const said = text ? `: ${text}` : ''
  const base = { serverId: ctx.serverId }
  const params = { status, op: ctx.op, transport: ctx.transport }
  // A gRPC server (Go or grpc-js) refuses a non-gRPC request with 415 / an application/grpc
  // answer; Node's http2-only server answers an HTTP/1.1 client with this 403 text.
  if (status === 415 || /^application\/grpc/i.test(res.contentType)) {
    return wrongTransportError(ctx, 'speaks_grpc', `HTTP ${status}${said}`)
  }
  if (/Missing ALPN Protocol|expected `?h2`? to be available/i.test(res.text)) {
    return wrongTransportError(ctx, 'speaks_grpc', 'the server accepts only HTTP/2 (h2)')
  }
  const down = coreDownOfText(res.text)
  if (down && (status === 500 || status === 503)) return coreDownError(ctx, down, text, { status })
  if (status === 401) return authError(ctx, 'missing_key', `HTTP 401${said}`, { status })
  if (status === 422) return authError(ctx, 'key_not_uuid', `HTTP 422${said}`, { status })
  if (status === 403) return authError(ctx, 'key_mismatch', `HTTP 403${said}`, { status })
  if (status === 404 && /^404 page not found$/i.test(text)) {
    return appError(
      'unsupported',
      `The PasarGuard node at ${ctx.host} has no ${ctx.op} (HTTP 404): its version is older or newer than NodeDeck expects (node v0.5.x). Update the node, or skip this feature.`,
      { ...base, params },
    )
  }
  if (status === 405) {
    return appError(
      'unsupported',
      `The PasarGuard node at ${ctx.host} does not take ${ctx.op} (HTTP 405): its version differs from what NodeDeck expects (node v0.5.x).`,
      { ...base, params },
    )
  }
  if (status === 404) {
    return appError('not_found', `The PasarGuard node at ${ctx.host} does not know it${said}.`, {
      ...base,
      params,
    })
  }
  if (status === 499) {
    return appError('timeout', `The PasarGuard node at ${ctx.host} cancelled ${ctx.op}${said}.`, {
      ...base,
      params,
    })
  }
  if (status === 504) {
    return appError(
      'timeout',
      `The core of the PasarGuard node at ${ctx.host} did not answer ${ctx.op} in time (HTTP 504${said}). Try again; if it persists, the core may be overloaded.`,
      { ...base, params },
    )
  }
  if (status === 400) {
    return appError(
      'http_status',
      `The PasarGuard node at ${ctx.host} refused ${ctx.op} as invalid (HTTP 400${said}).`,
      { ...base, params },
    )
  }
  return appError(
    'http_status',
    `The PasarGuard node at ${ctx.host} answered HTTP ${status} to ${ctx.op}${said}.${status === 502 ? ' The core could not measure the outbounds; try again.' : status >= 500 ? " Try again; if it persists, read the node's logs." : ''}`,
    { ...base, retryable: status >= 500, params },
  )
}

/** TLS trouble in a gRPC connection error's details. */
const TLS_DETAILS =
  /(certificate|CERT_|self[- ]signed|unable to verify|altname|ERR_TLS|ERR_SSL|ssl3?_|tlsv1 alert|handshake)/i

/**
 * A gRPC status other than OK. `details` is the node's message (or grpc-js's description of a
 * transport failure). A non-gRPC HTTP answer (`Received HTTP status code 404`, grpc-js) means the
 * port speaks plain HTTP: a REST node.
 */
export function grpcStatusError(
  ctx: PgErrorContext,
  res: { code: number; details: string },
): AppError {
  const { code } = res
  const text = nodeWords(res.details)
  const name = grpcCodeName(code)
  const said = text ? `: ${text}` : ''
  const base = { serverId: ctx.serverId }
  const params = { grpcCode: name, op: ctx.op, transport: ctx.transport }
  const http = /Received HTTP status code (\d+)/i.exec(res.details)
  if (http) {
    return wrongTransportError(ctx, 'speaks_rest', `it answered plain HTTP ${http[1]}, not gRPC`)
  }
  const down = coreDownOfText(res.details)
  if (down && (code === GRPC.UNAVAILABLE || code === GRPC.INTERNAL)) {
    return coreDownError(ctx, down, text, { grpcCode: name })
  }
  switch (code) {
    case GRPC.UNAUTHENTICATED:
      return authError(ctx, 'missing_key', `${name}${said}`, { grpcCode: name })
    case GRPC.INVALID_ARGUMENT:
      if (/api key|uuid/i.test(res.details)) {
        return authError(ctx, 'key_not_uuid', `${name}${said}`, { grpcCode: name })
      }
      return appError(
        'http_status',
        `The PasarGuard node at ${ctx.host} refused ${ctx.op} as invalid (${name}${said}).`,
        { ...base, params },
      )
    case GRPC.PERMISSION_DENIED:
      return authError(ctx, 'key_mismatch', `${name}${said}`, { grpcCode: name })
    case GRPC.NOT_FOUND:
      return appError('not_found', `The PasarGuard node at ${ctx.host} does not know it${said}.`, {
        ...base,
        params,
      })
    case GRPC.DEADLINE_EXCEEDED:
      return appError(
        'timeout',
        `No answer to ${ctx.op} from the PasarGuard node at ${ctx.host} in time (${name}). The node or its core may be overloaded or unreachable.`,
        { ...base, params },
      )
    case GRPC.CANCELLED:
      return appError('timeout', `${ctx.op} to the PasarGuard node at ${ctx.host} was cancelled.`, {
        ...base,
        params,
      })
    case GRPC.UNIMPLEMENTED:
      return appError(
        'unsupported',
        `The PasarGuard node at ${ctx.host} does not have ${ctx.op} (UNIMPLEMENTED): its version differs from what NodeDeck expects (node v0.5.x). Update the node, or skip this feature.`,
        { ...base, params },
      )
    case GRPC.RESOURCE_EXHAUSTED:
      return appError(
        'bad_payload',
        `A message of ${ctx.op} with the PasarGuard node at ${ctx.host} is over the 64 MiB gRPC limit${said}. Sync users in chunks.`,
        { ...base, params },
      )
    case GRPC.UNAVAILABLE:
      return unavailableError(ctx, text)
    case GRPC.INTERNAL:
      if (/parsing error|parse|deserializ/i.test(res.details)) {
        return appError(
          'bad_payload',
          `The PasarGuard node at ${ctx.host} sent an answer to ${ctx.op} that is not the expected protobuf message${said}.`,
          { ...base, params },
        )
      }
      return appError(
        'http_status',
        `The PasarGuard node at ${ctx.host} failed ${ctx.op} (${name}${said}). Read the node's logs.`,
        { ...base, retryable: true, params },
      )
    default:
      return appError(
        'http_status',
        `The PasarGuard node at ${ctx.host} failed ${ctx.op} (${name}${said}).`,
        { ...base, retryable: code !== GRPC.FAILED_PRECONDITION, params },
      )
  }
}

/** A transport-level UNAVAILABLE (no connection): TLS, refused, unreachable, or dropped. */
function unavailableError(ctx: PgErrorContext, text: string): AppError {
  const base = { serverId: ctx.serverId }
  const params = { grpcCode: 'UNAVAILABLE', op: ctx.op, transport: ctx.transport }
  if (/NODEDECK_PIN_MISMATCH/.test(text)) {
    return appError(
      'tls',
      `The certificate of ${ctx.host} no longer matches the pinned fingerprint (${text.replace(/^.*NODEDECK_PIN_MISMATCH:?\s*/, '')}). Nothing more was sent. If the node's certificate was replaced on purpose, update the fingerprint in the server's settings.`,
      { ...base, params: { ...params, code: 'ERR_NODEDECK_PIN_MISMATCH' } },
    )
  }
  if (/no_application_protocol|NO_APPLICATION_PROTOCOL/i.test(text)) {
    return wrongTransportError(ctx, 'speaks_rest', 'it refused HTTP/2')
  }
  if (TLS_DETAILS.test(text)) {
    return appError(
      'tls',
      `The TLS certificate of the PasarGuard node at ${ctx.host} was not accepted (${text}). The node's certificate must be trusted: give its certificate as the CA (its SAN must cover the address used) or pin its fingerprint in the server's settings.`,
      { ...base, params },
    )
  }
  if (/ECONNREFUSED/.test(text)) {
    return appError(
      'network',
      `${ctx.host} refused the connection. Check that the PasarGuard node is running and that the port (SERVICE_PORT, default 62050) is right.`,
      { ...base, params: { ...params, code: 'ECONNREFUSED' } },
    )
  }
  if (/ENOTFOUND|EAI_AGAIN|Name resolution failed/i.test(text)) {
    return appError(
      'network',
      `The host name of ${ctx.host} could not be resolved. Check the address.`,
      {
        ...base,
        params,
      },
    )
  }
  if (/EHOSTUNREACH|ENETUNREACH/.test(text)) {
    return appError('network', `${ctx.host} is unreachable from this machine. Check the network.`, {
      ...base,
      params,
    })
  }
  return appError(
    'network',
    `The gRPC connection to the PasarGuard node at ${ctx.host} failed (${text || 'UNAVAILABLE'}). NodeDeck will retry.`,
    { ...base, params },
  )
}
