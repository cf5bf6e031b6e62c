import type { z } from 'zod'
import type { AppError, ServerConfig, SessionRow } from '../../../shared/contract'
import type { ServerKind } from '../../../shared/kinds'
import type { HttpClient } from './http/http-client'

/** What an adapter gets from the core: its server's config, the HTTP layer and its secrets. */
export interface AdapterContext {
  server: ServerConfig
  http: HttpClient
  /** Reads a secret of this server from the keychain at call time (never cached by adapters). */
  getSecret(key: string): Promise<string | null>
}

/** Per-user counters read from a server, in the client's point of view. */
export interface UsersReading {
  /** When the reading was taken (ms). */
  at: number
  /** Bytes per user; null when the server's traffic endpoint could not be read. */
  counters: Map<string, { up: number; down: number }> | null
  /** Devices per user (only online users listed); null when not readable. */
  devices: Map<string, number> | null
  /** The counters are deltas since the previous reading (the server cleared them on read). */
  countersAreDeltas: boolean
}

/** The outcome of one poll of a server: health facts and, where the kind has them, users. */
export interface PollResult {
  latencyMs: number
  /** Some part failed while the server answered: the reason it is degraded. */
  partial: AppError | null
  users?: UsersReading
}

export interface PollOptions {
  /**
   * Change nothing on the server (no clear-on-read): for the "Test connection" probe, whose
   * reading is thrown away — a clearing read there would lose that slice of the counts.
   */
  readOnly?: boolean
}

/**
 * One server kind behind one interface. Optional facets are present only where the kind has the
 * capability; a missing facet answers the contract error `unsupported`.
 * Adapters never retry and never log secrets: the monitor schedules, the HTTP layer times out.
 */
export interface ServerAdapter {
  readonly kind: ServerKind
  /** One health poll; throws AppErrorException (auth, network, timeout, bad_payload...). */
  poll(signal?: AbortSignal, opts?: PollOptions): Promise<PollResult>
  users?: {
    /** Disconnects users; resolves when the server accepted the request. */
    kick(names: string[], signal?: AbortSignal): Promise<void>
  }
  sessions?: {
    list(signal?: AbortSignal): Promise<SessionRow[]>
  }
}

/** What the registry knows about a kind: how to build its adapter and check its options. */
export interface KindModule {
  kind: ServerKind
  /** Key under which the kind's secret is stored in the keychain. */
  secretKey: string
  /** Validates `ServerConfig.options` for this kind (fills defaults). */
  optionsSchema: z.ZodType<Record<string, string | number | boolean>>
  create(ctx: AdapterContext): ServerAdapter
}
