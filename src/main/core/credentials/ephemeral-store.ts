import type { CredentialStore } from './credential-store'

/**
 * Demo only: secrets of the demo fleet's emulated servers kept in this process's memory when no
 * OS keychain is reachable, so the demo still runs. Never used for a real configuration, and it
 * reports itself as "not a keychain" so the UI shows a banner. Nothing is ever written to disk.
 */
export function createEphemeralDemoStore(reason: string): CredentialStore {
  const map = new Map<string, string>()
  const k = (serverId: string, key: string) => `${serverId}\u0000${key}`
  return {
    description: 'Demo only: in memory, forgotten on exit (no OS keychain reachable)',
    async get(serverId, key) {
      return map.get(k(serverId, key)) ?? null
    },
    async set(serverId, key, value) {
      map.set(k(serverId, key), value)
    },
    async delete(serverId, key) {
      return map.delete(k(serverId, key))
    },
    async deleteAll(serverId) {
      let n = 0
      for (const key of [...map.keys()]) {
        if (key.startsWith(`${serverId}\u0000`)) {
          map.delete(key)
          n++
        }
      }
      return n
    },
    async check() {
      return { ok: false, message: reason }
    },
  }
}
