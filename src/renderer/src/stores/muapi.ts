import { defineStore } from 'pinia'
import { markRaw, ref } from 'vue'
import type { AppError, MuNodeUserView, MuUserView } from '../../../shared/contract'
import { api } from '../api'
import { toAppError } from '../utils/errors'
import { readLocal, writeLocal } from '../utils/storage'
import { SetupStoreId } from './ids'

/** One read of a panel's users. Never made reactive: a big panel has 20,000 of them. */
export interface MuUsersRead {
  users: readonly MuUserView[]
  fetchedAt: number
}

/** One read of a node's users. */
export interface MuNodeUsersRead {
  nodeId: number
  users: readonly MuNodeUserView[]
  fetchedAt: number
}

/**
 * A value read from the panel again and again: the last good read (kept when a later read fails,
 * shown as stale with its age), the last failure, whether a read is running and when the last one
 * started (the panel's refresh timer counts from it).
 */
export interface MuReadState<T> {
  data: T | null
  error: AppError | null
  loading: boolean
  /** When the last read started (ms), or null before the first. */
  startedAt: number | null
}

/** localStorage key of the node id entered per server (ids only, nothing secret). */
export const MU_NODE_IDS_KEY = 'nodedeck.muapi.nodeIds'

function parseNodeIds(v: unknown): Record<string, number> | null {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null
  const out: Record<string, number> = {}
  for (const [k, n] of Object.entries(v as Record<string, unknown>)) {
    if (typeof n === 'number' && Number.isSafeInteger(n) && n > 0) out[k] = n
  }
  return out
}

/** The key of one node's read. */
const nodeKey = (serverId: string, nodeId: number) => `${serverId}#${nodeId}`

/**
 * Mu API v2 panels per server: every user (`muapi.users`) and the users of one node
 * (`muapi.nodeUsers`), each with its read state, and the node id the admin entered per server
 * (remembered in localStorage). The user lists are stored raw (`markRaw`): the table reads them
 * as they are, and 20,000 reactive proxies would cost more than the table itself.
 */
export const useMuApiStore = defineStore(SetupStoreId.MuApi, () => {
  const users = ref<Record<string, MuReadState<MuUsersRead>>>({})
  const nodeUsers = ref<Record<string, MuReadState<MuNodeUsersRead>>>({})
  const nodeIds = ref<Record<string, number>>(readLocal(MU_NODE_IDS_KEY, parseNodeIds) ?? {})

  function stateOf<T>(map: Record<string, MuReadState<T>>, key: string): MuReadState<T> {
    // Read back through the map: it is reactive, the literal assigned to it is not.
    if (!map[key]) map[key] = { data: null, error: null, loading: false, startedAt: null }
    return map[key]
  }

  /** Runs one read into `key` of `map`; a read already running for the key is not doubled. */
  async function read<T extends object>(
    map: Record<string, MuReadState<T>>,
    key: string,
    serverId: string,
    fetch: () => Promise<T>,
  ): Promise<void> {
    const s = stateOf(map, key)
    if (s.loading) return
    s.loading = true
    s.startedAt = Date.now()
    try {
      const value = await fetch()
      s.data = markRaw(value) as never
      s.error = null
    } catch (err) {
      // The last good read stays: the view shows it as stale, with its age and this error.
      s.error = toAppError(err, serverId)
    } finally {
      s.loading = false
    }
  }

  /**
   * Reads every user of the panel. `maxAgeMs`: a read that recent will do (the core answers with
   * its health poll's read of the same list); absent = read now (the refresh button).
   */
  function loadUsers(serverId: string, maxAgeMs?: number): Promise<void> {
    return read(users.value, serverId, serverId, async () => {
      const r = await api.muapi.users(serverId, maxAgeMs)
      return { users: r.users, fetchedAt: r.fetchedAt }
    })
  }

  /** Reads the users the panel hands to one node. */
  function loadNodeUsers(serverId: string, nodeId: number): Promise<void> {
    return read(nodeUsers.value, nodeKey(serverId, nodeId), serverId, async () => {
      const r = await api.muapi.nodeUsers(serverId, nodeId)
      return { nodeId: r.nodeId, users: r.users, fetchedAt: r.fetchedAt }
    })
  }

  /** The read state of the panel's users (an empty state before the first read). */
  function usersOf(serverId: string): MuReadState<MuUsersRead> {
    return users.value[serverId] ?? { data: null, error: null, loading: false, startedAt: null }
  }

  /** The read state of one node's users. */
  function nodeUsersOf(serverId: string, nodeId: number): MuReadState<MuNodeUsersRead> {
    return (
      nodeUsers.value[nodeKey(serverId, nodeId)] ?? {
        data: null,
        error: null,
        loading: false,
        startedAt: null,
      }
    )
  }

  /** The node id last entered for a server, or null. */
  function nodeIdOf(serverId: string): number | null {
    return nodeIds.value[serverId] ?? null
  }

  /** Remembers the node id entered for a server (localStorage: it survives a restart). */
  function rememberNodeId(serverId: string, nodeId: number): void {
    nodeIds.value = { ...nodeIds.value, [serverId]: nodeId }
    writeLocal(MU_NODE_IDS_KEY, nodeIds.value)
  }

  return {
    users,
    nodeUsers,
    nodeIds,
    loadUsers,
    loadNodeUsers,
    usersOf,
    nodeUsersOf,
    nodeIdOf,
    rememberNodeId,
  }
})
