import { defineStore } from 'pinia'
import type { MethodInput } from '../../../shared/contract'
import { api } from '../api'
import { SetupStoreId } from './ids'
import { usePerServer } from './per-server'

/** HY2 SCALE node overview (node, traffic, topology) per server. */
export const useHy2ScaleStore = defineStore(SetupStoreId.Hy2Scale, () => {
  const overview = usePerServer((serverId) => api.hy2scale.overview(serverId))

  /** Renames the node or flips its exit-node flag, then reloads the overview. */
  async function updateNode(
    serverId: string,
    patch: MethodInput<'hy2scale.updateNode'>['patch'],
  ): Promise<void> {
    try {
      await api.hy2scale.updateNode(serverId, patch)
    } finally {
      await overview.load(serverId)
    }
  }

  return {
    overviews: overview.data,
    loading: overview.loading,
    errors: overview.errors,
    load: overview.load,
    updateNode,
  }
})
