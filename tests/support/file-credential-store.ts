import { readFileSync, writeFileSync } from 'node:fs'
import type { CredentialStore } from '../../src/main/core/credentials/credential-store'

/**
 * A CredentialStore in a JSON file, for tests whose NodeDeck runs in several processes (a CLI
 * killed and restarted): the in-memory FakeCredentialStore cannot be shared across processes,
 * and the real keychain needs a D-Bus session. Test-only: secrets in plain text.
 */
export class FileCredentialStore implements CredentialStore {
  readonly description = 'File keychain (tests)'

  constructor(private readonly path: string) {}

  private read(): Record<string, string> {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string>
    } catch {
      return {}
    }
  }

  private write(v: Record<string, string>): void {
    writeFileSync(this.path, JSON.stringify(v), { mode: 0o600 })
  }

  async get(serverId: string, key: string): Promise<string | null> {
    return this.read()[`${serverId}\u0000${key}`] ?? null
  }

  async set(serverId: string, key: string, value: string): Promise<void> {
    this.write({ ...this.read(), [`${serverId}\u0000${key}`]: value })
  }

  async delete(serverId: string, key: string): Promise<boolean> {
    const v = this.read()
    const k = `${serverId}\u0000${key}`
    const had = k in v
    delete v[k]
    this.write(v)
    return had
  }

  async deleteAll(serverId: string): Promise<number> {
    const v = this.read()
    const keys = Object.keys(v).filter((k) => k.startsWith(`${serverId}\u0000`))
    for (const k of keys) delete v[k]
    this.write(v)
    return keys.length
  }

  async check(): Promise<{ ok: true }> {
    return { ok: true }
  }
}
