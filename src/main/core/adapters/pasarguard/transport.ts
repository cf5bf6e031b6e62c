import type { PgTransport } from '../../../../shared/contract'
import type { StreamState } from '../sse/stream-reader'
import type { PG_RPCS, PgMessages, PgRpcName } from './proto'

/**
 * One way of calling a PasarGuard node's `NodeService` (apis.md §3): gRPC (the node's default)
 * or REST (`SERVICE_PROTOCOL=rest`). Both carry the same protobuf messages; the node runs exactly
 * one. Only types here: the implementations (`grpc.ts`, `rest.ts`) load protobufjs and grpc-js
 * lazily, so a fleet without PasarGuard nodes never pays for them.
 */

type Rpcs = typeof PG_RPCS

/** RPCs with one request and one answer. */
export type PgUnaryRpc = {
  [K in PgRpcName]: Rpcs[K]['clientStream'] extends false
    ? Rpcs[K]['serverStream'] extends false
      ? K
      : never
    : never
}[PgRpcName]

/** RPCs taking a stream of requests (`SyncUser`, `SyncUsersChunked`). */
export type PgClientStreamRpc = {
  [K in PgRpcName]: Rpcs[K]['clientStream'] extends true ? K : never
}[PgRpcName]

/** The request message of an RPC. */
export type PgRequest<R extends PgRpcName> = PgMessages[Rpcs[R]['request']]
/** The response message of an RPC (decoded; 64-bit integers as decimal strings). */
export type PgResponse<R extends PgRpcName> = PgMessages[Rpcs[R]['response']]

/** Per-call options. */
export interface PgCallOptions {
  signal?: AbortSignal
  /** Total deadline of the call (ms). */
  timeoutMs?: number
  /** Filled with the size of the encoded request (bytes), for reports. */
  sent?: { bytes: number }
}

/** Progress of a client stream: messages and bytes handed to the connection so far. */
export interface PgStreamProgress {
  messages: number
  bytes: number
}

/** The outcome of a client stream. */
export interface PgClientStreamResult<R extends PgClientStreamRpc> {
  response: PgResponse<R>
  messages: number
  /** Protobuf bytes sent (REST: with the varint length prefixes). */
  bytes: number
}

/** What the log upstream reports. */
export interface PgLogSink {
  /** One raw log line (no newline). */
  line(line: string): void
  state(state: StreamState): void
}

/** A transport's view of the node, with every failure already an AppError. */
export interface NodeTransport {
  readonly kind: PgTransport
  /** `host:port` of the node, for messages. */
  readonly host: string
  unary<R extends PgUnaryRpc>(
    rpc: R,
    request: Partial<PgRequest<R>>,
    opts?: PgCallOptions,
  ): Promise<PgResponse<R>>
  /**
   * Sends `messages` as a client stream (REST: `SyncUser` as one PUT per message, chunked sync
   * as one PUT of `uvarint(len)+message` frames) and resolves with the node's answer.
   */
  clientStream<R extends PgClientStreamRpc>(
    rpc: R,
    messages: Iterable<Partial<PgRequest<R>>> | AsyncIterable<Partial<PgRequest<R>>>,
    opts?: PgCallOptions & { onProgress?: (p: PgStreamProgress) => void },
  ): Promise<PgClientStreamResult<R>>
  /**
   * Opens the node's log stream (REST `GET /logs` lines, gRPC `GetLogs`) and keeps it open:
   * reconnects with backoff, reports its state. One per node (the node splits its lines between
   * concurrent readers), which the stream hub guarantees.
   */
  logs(sink: PgLogSink): { stop(): void }
  /** Closes connections (the gRPC channel). Later calls reconnect. Idempotent. */
  close(): void
}

/** How the REST API carries each RPC (apis.md §3 "REST routes"). */
export const PG_REST_ROUTES = {
  Start: { method: 'POST', path: '/start' },
  GetBaseInfo: { method: 'GET', path: '/info' },
  Stop: { method: 'PUT', path: '/stop' },
  GetLogs: { method: 'GET', path: '/logs' },
  GetStats: { method: 'GET', path: '/stats' },
  GetOutboundsLatency: { method: 'GET', path: '/stats/latency' },
  GetUserOnlineStats: { method: 'GET', path: '/stats/user/online' },
  GetUserOnlineIpListStats: { method: 'GET', path: '/stats/user/online_ip' },
  GetBackendStats: { method: 'GET', path: '/stats/backend' },
  GetSystemStats: { method: 'GET', path: '/stats/system' },
  SyncUser: { method: 'PUT', path: '/user/sync' },
  SyncUsers: { method: 'PUT', path: '/users/sync' },
  SyncUsersChunked: { method: 'PUT', path: '/users/sync/chunked' },
} as const satisfies Record<PgRpcName, { method: 'GET' | 'POST' | 'PUT'; path: string }>

/**
 * The node writes no header before the first log line (Go sends headers on the first write; a
 * grpc-go stream likewise), so a quiet core looks like a pending connection: an attempt that
 * raised no error for this long is reported `live`.
 */
export const PG_LOGS_LIVE_AFTER_MS = 1500

/** How long a REST `/logs` request may wait for its first line (headers) before reconnecting. */
export const PG_LOGS_FIRST_LINE_TIMEOUT_MS = 10 * 60_000
