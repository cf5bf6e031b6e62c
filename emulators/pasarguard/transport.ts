/** What the REST and gRPC transports share with the emulator shell (server.ts). */

/** One request that reached the application. */
export interface PgRequestRecord {
  /** `Date.now()` at arrival. */
  at: number
  transport: 'rest' | 'grpc'
  /** HTTP method (gRPC: always `POST`). */
  method: string
  /** REST: the raw request target (path and query as sent); gRPC: `/service.NodeService/<Rpc>`. */
  path: string
  /** The first `x-api-key` header / metadata value as sent, or null. */
  apiKey: string | null
  /**
   * REST: the HTTP status once the response head went out (0 = none yet, e.g. a `/logs` stream
   * before its first line, or a hanging failure mode). gRPC: the status code name (`OK`,
   * `UNAUTHENTICATED`, …) once the call ended, `PENDING` before.
   */
  status: number | string
}

/** Failure modes for resilience tests (applied to the next request(s), before auth). */
export type FailMode = 'garbage' | 'hang' | 'huge' | 'http500' | 'reset'

export interface TransportContext {
  host: string
  port: number
  certPem: string
  keyPem: string
  /** Appends a request record (status 0 / PENDING) and returns it for later updates. */
  record(r: Omit<PgRequestRecord, 'at' | 'status'>): PgRequestRecord
  /** A completed TLS handshake. */
  onHandshake(): void
  /** The failure mode to apply to this request, if one is queued. */
  takeFailure(): FailMode | null
}
