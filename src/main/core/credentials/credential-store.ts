/**
 * Where server secrets live. The only implementation used by the app is the OS keychain
 * (keytar over Secret Service / Keychain / Credential Manager). Nothing here may write a
 * secret anywhere else: not to the config JSON, not to logs, not to errors.
 *
 * Keys are scoped by server id and a short key name (`secret`, `password`, `apiKey`, ...),
 * so `deleteAll(serverId)` removes every secret a server had.
 */
export interface CredentialStore {
  /** Returns the secret or `null` if none is stored. Throws AppError `keychain` when unreachable. */
  get(serverId: string, key: string): Promise<string | null>
  /**
   * Every stored secret in ONE keychain round trip, by server id then key (optional: stores that
   * have it let the core learn the secrets of a 1,000-server fleet at start without 1,000
   * serialized lookups). Throws AppError `keychain` when unreachable.
   */
  getAll?(): Promise<Map<string, Map<string, string>>>
  /** Stores (or replaces) a secret. Throws AppError `keychain` when unreachable. */
  set(serverId: string, key: string, value: string): Promise<void>
  /** Deletes one secret; true if something was deleted. */
  delete(serverId: string, key: string): Promise<boolean>
  /** Deletes every secret of a server; returns how many were deleted. */
  deleteAll(serverId: string): Promise<number>
  /** Cheap reachability check: resolves `{ ok: true }` or `{ ok: false, message }` (never throws). */
  check(): Promise<{ ok: true } | { ok: false; message: string }>
  /** A short human description, e.g. "OS keychain (Secret Service)". */
  readonly description: string
}
