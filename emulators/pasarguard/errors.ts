/**
 * Errors as the PasarGuard node (Go) produces them, and the API key check (`uuid.Parse`).
 *
 * Upstream returns two kinds of Go errors: plain ones (`errors.New`, `fmt.Errorf`) and gRPC
 * status errors (`status.Errorf`, or what Xray's own gRPC API returned). Both transports see
 * them differently:
 * - gRPC: a status error keeps its code; a plain error becomes `UNKNOWN` with its text.
 * - REST: the handler writes `err.Error()`, which for a status error is
 *   `rpc error: code = <Name> desc = <message>`; the HTTP code comes from `GrpcCodeToHTTP`
 *   (stats routes) or is fixed per route.
 */
import { GRPC } from '../../src/main/core/adapters/pasarguard/grpc-status'
import { goQuoteChar, goReadJsonValue, goDecodeUtf8 } from '../common/http-util'

/** gRPC status codes (shared with the adapter). */
export { GRPC }

/** grpc-go `codes.Code.String()`. */
export const GO_CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
] as const

/** The canonical (grpc-js / wire) names, for `requests[].status` on the gRPC transport. */
export const GRPC_CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const

/** A Go error inside the node: plain (`isStatus` false, gRPC code UNKNOWN) or a gRPC status. */
export class NodeError extends Error {
  constructor(
    message: string,
    readonly code: number = GRPC.UNKNOWN,
    readonly isStatus = false,
  ) {
    super(message)
  }

  /** Go's `err.Error()`. */
  get goText(): string {
    return this.isStatus
      ? `rpc error: code = ${GO_CODE_NAMES[this.code] ?? `Code(${this.code})`} desc = ${this.message}`
      : this.message
  }
}

/** `errors.New(msg)`. */
export const plainError = (msg: string): NodeError => new NodeError(msg)
/** `status.Error(code, msg)`. */
export const statusError = (code: number, msg: string): NodeError => new NodeError(msg, code, true)

/** `common.InterceptNotFound`: errors whose text ends with `not found.` become NotFound. */
export function interceptNotFound(e: NodeError): NodeError {
  const text = e.goText
  return text.endsWith('not found.') ? statusError(GRPC.NOT_FOUND, text) : e
}

/** `common.GrpcCodeToHTTP` (a plain error is `Unknown` → 500). */
export function grpcCodeToHttp(code: number): number {
  switch (code) {
    case GRPC.OK:
      return 200
    case GRPC.CANCELLED:
      return 499
    case GRPC.INVALID_ARGUMENT:
    case GRPC.OUT_OF_RANGE:
      return 400
    case GRPC.UNAUTHENTICATED:
      return 401
    case GRPC.PERMISSION_DENIED:
      return 403
    case GRPC.NOT_FOUND:
      return 404
    case GRPC.ALREADY_EXISTS:
    case GRPC.ABORTED:
      return 409
    case GRPC.RESOURCE_EXHAUSTED:
      return 429
    case GRPC.FAILED_PRECONDITION:
      return 412
    case GRPC.UNIMPLEMENTED:
      return 501
    case GRPC.UNAVAILABLE:
      return 503
    case GRPC.DEADLINE_EXCEEDED:
      return 504
    default:
      return 500
  }
}

/** gRPC status and message of a node error as grpc-go sends it. */
export function grpcStatusOf(e: NodeError): { code: number; details: string } {
  return e.isStatus
    ? { code: e.code, details: e.message }
    : { code: GRPC.UNKNOWN, details: e.message }
}

// ---------------------------------------------------------------------------------------------
// uuid.Parse (google/uuid v1.6.0)

const HEX = /^[0-9a-fA-F]$/

function hexRun(s: string, from: number, n: number): string | null {
  let out = ''
  for (let i = from; i < from + n; i++) {
    const c = s[i]
    if (c === undefined || !HEX.test(c)) return null
    out += c
  }
  return out.toLowerCase()
}

/**
 * google/uuid `Parse`: `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, `urn:uuid:` + that (prefix
 * case-insensitive), `{…}` around it, or 32 hex digits; hex case-insensitive. Returns the 32
 * lower-case hex digits, or null where Go returns an error. (No version/variant check.)
 */
export function parseGoUuid(input: string): string | null {
  let s = input
  switch (s.length) {
    case 36:
      break
    case 36 + 9:
      if (s.slice(0, 9).toLowerCase() !== 'urn:uuid:') return null
      s = s.slice(9)
      break
    case 36 + 2:
      if (s[0] !== '{' || s[37] !== '}') return null
      s = s.slice(1, 37)
      break
    case 32:
      return hexRun(s, 0, 32)
    default:
      return null
  }
  if (s[8] !== '-' || s[13] !== '-' || s[18] !== '-' || s[23] !== '-') return null
  let out = ''
  for (const [from, n] of [
    [0, 8],
    [9, 4],
    [14, 4],
    [19, 4],
    [24, 12],
  ] as const) {
    const h = hexRun(s, from, n)
    if (h === null) return null
    out += h
  }
  return out
}

/** The nil UUID's hex. */
export const NIL_UUID = '0'.repeat(32)

// ---------------------------------------------------------------------------------------------
// json.Unmarshal

/** Kind word in Go's `json: cannot unmarshal <kind> into …`. */
export function goJsonKind(v: unknown): string {
  if (typeof v === 'string') return 'string'
  if (typeof v === 'number') return 'number'
  if (typeof v === 'boolean') return 'bool'
  if (Array.isArray(v)) return 'array'
  return 'object'
}

/**
 * `json.Unmarshal(text, &v)`'s syntax phase: the whole input must be one JSON value (error texts
 * as Go's: `unexpected end of JSON input`, `invalid character … looking for beginning of value`,
 * `invalid character … after top-level value`). Returns the parsed value.
 */
export function goUnmarshal(text: string): { value: unknown } | { error: string } {
  const buf = Buffer.from(text, 'utf8')
  const read = goReadJsonValue(buf)
  if ('error' in read) {
    if (read.error === 'EOF' || read.error === 'unexpected EOF') {
      return { error: 'unexpected end of JSON input' }
    }
    return { error: read.error }
  }
  for (let i = read.value.length; i < buf.length; i++) {
    const c = buf[i] as number
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue
    return { error: `invalid character ${goQuoteChar(c)} after top-level value` }
  }
  return { value: JSON.parse(goDecodeUtf8(read.value)) as unknown }
}

/** Go's case-insensitive JSON field lookup (the last matching key wins). */
export function goField(obj: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase()
  let v: unknown = undefined
  for (const k of Object.keys(obj)) if (k.toLowerCase() === lower) v = obj[k]
  return v
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
