import { defineStore } from 'pinia'
import type { MethodInput } from '../../../shared/contract'
import { api } from '../api'
import { SetupStoreId } from './ids'
import { usePerServer } from './per-server'

/** TLS certificates per server (facet `certificates`); PEM text is fetched on demand only. */
export const useCertsStore = defineStore(SetupStoreId.Certs, () => {
  const list = usePerServer((serverId) => api.certs.list(serverId))

  async function then<T>(serverId: string, run: Promise<T>): Promise<T> {
    try {
      return await run
    } finally {
      await list.load(serverId)
    }
  }

  return {
    certs: list.data,
    loading: list.loading,
    errors: list.errors,
    load: list.load,
    importPem: (input: MethodInput<'certs.import'>) =>
      then(input.serverId, api.certs.import(input)),
    generate: (input: MethodInput<'certs.generate'>) =>
      then(input.serverId, api.certs.generate(input)),
    sign: (input: MethodInput<'certs.sign'>) => then(input.serverId, api.certs.sign(input)),
    remove: (serverId: string, id: string) => then(serverId, api.certs.remove(serverId, id)),
    pem: (serverId: string, id: string, includeKey: boolean) =>
      api.certs.pem(serverId, id, includeKey),
  }
})
