import { AppErrorException, appError } from '../../../shared/contract'
import type { CredentialStore } from '../credentials/credential-store'

type Op = 'get' | 'set' | 'delete' | 'deleteAll'

/**
 * An in-memory CredentialStore for tests. `unreachable = true` makes every operation fail the
 * way the real keychain does when it cannot be reached (AppError `keychain`); `failOn` fails
 * only the listed operations. `calls` records every operation (never the secret values).
 */
export class FakeCredentialStore implements CredentialStore {
  readonly description = 'Fake keychain (tests)'
  /** `serverId\u0000key` → secret. */
  readonly entries = new Map<string, string>()
  readonly calls: string[] = []
  unreachable = false
  failOn = new Set<Op>()

  private guard(op: Op, serverId: string, key = '*'): void {
    this.calls.push(`${op} ${serverId} ${key}`)
    if (this.unreachable || this.failOn.has(op)) {
      throw new AppErrorException(
        appError('keychain', 'The OS keychain cannot be reached (fake). Unlock it and try again.'),
      )
    }
  }

  private static k(serverId: string, key: string): string {
    return `${serverId}\u0000${key}`
  }

  /** The stored secret, bypassing the switches (for assertions). */
  peek(serverId: string, key: string): string | undefined {
    return this.entries.get(FakeCredentialStore.k(serverId, key))
  }

  /** How many secrets a server has, bypassing the switches. */
  countFor(serverId: string): number {
    return [...this.entries.keys()].filter((k) => k.startsWith(`${serverId}\u0000`)).length
  }

  async get(serverId: string, key: string): Promise<string | null> {
    this.guard('get', serverId, key)
    return this.entries.get(FakeCredentialStore.k(serverId, key)) ?? null
  }

  async set(serverId: string, key: string, value: string): Promise<void> {
    this.guard('set', serverId, key)
    this.entries.set(FakeCredentialStore.k(serverId, key), value)
  }

  async delete(serverId: string, key: string): Promise<boolean> {
    this.guard('delete', serverId, key)
    return this.entries.delete(FakeCredentialStore.k(serverId, key))
  }

  async deleteAll(serverId: string): Promise<number> {
    this.guard('deleteAll', serverId)
    let n = 0
    for (const k of [...this.entries.keys()]) {
      if (k.startsWith(`${serverId}\u0000`)) {
        this.entries.delete(k)
        n++
      }
    }
    return n
  }

  async check(): Promise<{ ok: true } | { ok: false; message: string }> {
    return this.unreachable
      ? { ok: false, message: 'The OS keychain cannot be reached (fake).' }
      : { ok: true }
  }
}
