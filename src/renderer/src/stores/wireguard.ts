import { defineStore } from 'pinia'
import type { MethodInput } from '../../../shared/contract'
import { api } from '../api'
import { SetupStoreId } from './ids'
import { usePerServer } from './per-server'

/**
 * The WireGuard server and peers per server (facet `wireguard`). Peer configs (private keys) are
 * never kept here: the config dialog asks for them on an explicit reveal and drops them on close.
 */
export const useWireGuardStore = defineStore(SetupStoreId.WireGuard, () => {
  const state = usePerServer((serverId) => api.wireguard.get(serverId))

  async function then<T>(serverId: string, run: Promise<T>): Promise<T> {
    try {
      return await run
    } finally {
      await state.load(serverId)
    }
  }

  return {
    states: state.data,
    loading: state.loading,
    errors: state.errors,
    load: state.load,
    update: (serverId: string, draft: MethodInput<'wireguard.update'>['draft']) =>
      then(serverId, api.wireguard.update(serverId, draft)),
    addPeer: (serverId: string, draft: MethodInput<'wireguard.addPeer'>['draft']) =>
      then(serverId, api.wireguard.addPeer(serverId, draft)),
    removePeer: (serverId: string, name: string) =>
      then(serverId, api.wireguard.removePeer(serverId, name)),
    peerConfig: (serverId: string, name: string, endpoint?: string) =>
      api.wireguard.peerConfig(serverId, name, endpoint),
    exportAll: (serverId: string, endpoint?: string) => api.wireguard.exportAll(serverId, endpoint),
  }
})
