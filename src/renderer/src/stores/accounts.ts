import { defineStore } from 'pinia'
import type { AccountDraftInput, BulkResult } from '../../../shared/contract'
import { api } from '../api'
import { SetupStoreId } from './ids'
import { usePerServer } from './per-server'

/**
 * Managed user accounts per server (facet `accounts`) and their name conflicts. Actions reload
 * the list afterwards, and throw on failure (the caller shows the error).
 */
export const useAccountsStore = defineStore(SetupStoreId.Accounts, () => {
  const list = usePerServer((serverId) => api.accounts.list(serverId))
  const conflicts = usePerServer((serverId) => api.accounts.conflicts(serverId))

  const reload = (serverId: string) => list.load(serverId)

  /** Creates an account (`password` required by the node). */
  async function create(serverId: string, draft: AccountDraftInput): Promise<void> {
    try {
      await api.accounts.create(serverId, draft)
    } finally {
      await reload(serverId)
    }
  }

  /** Edits an account; `password` undefined keeps the stored one (the core merges). */
  async function update(serverId: string, id: string, draft: AccountDraftInput): Promise<void> {
    try {
      await api.accounts.update(serverId, id, draft)
    } finally {
      await reload(serverId)
    }
  }

  async function bulk(serverId: string, run: () => Promise<BulkResult>): Promise<BulkResult> {
    try {
      return await run()
    } finally {
      await reload(serverId)
    }
  }

  return {
    accounts: list.data,
    loading: list.loading,
    errors: list.errors,
    load: list.load,
    conflicts: conflicts.data,
    loadConflicts: conflicts.load,
    create,
    update,
    setEnabled: (serverId: string, ids: string[], enabled: boolean) =>
      bulk(serverId, () => api.accounts.setEnabled(serverId, ids, enabled)),
    resetTraffic: (serverId: string, ids: string[]) =>
      bulk(serverId, () => api.accounts.resetTraffic(serverId, ids)),
    remove: (serverId: string, ids: string[]) =>
      bulk(serverId, () => api.accounts.remove(serverId, ids)),
  }
})
