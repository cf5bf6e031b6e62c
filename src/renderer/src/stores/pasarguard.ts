import { defineStore } from 'pinia'
import { markRaw, ref } from 'vue'
import type {
  MethodInput,
  PgBackendType,
  PgStartDraftInput,
  PgUser,
} from '../../../shared/contract'
import { api } from '../api'
import { SetupStoreId } from './ids'
import { usePerServer } from './per-server'

/** Users read from a JSON file: the valid ones, and why the others were refused. */
export interface PgUsersFile {
  /** The file's name, for the form. */
  name: string
  /** Every entry the file held. */
  total: number
  /** The entries that passed `PgUserSchema` (raw: may be 200,000 objects, never made reactive). */
  users: PgUser[]
  /** The first refused entries (1-based position, email if any, why). */
  invalid: { index: number; email: string | null; message: string }[]
  /** How many entries were refused in all (`invalid` holds only the first few). */
  invalidCount: number
}

/**
 * The Start dialog's form. Each backend type keeps its own config text, so switching the type
 * back and forth loses nothing.
 */
export interface PgStartForm {
  type: PgBackendType
  config: Record<PgBackendType, string>
  /** Seconds; 0 or null (a cleared field) = off. */
  keepAliveSec: number | null
  excludeInbounds: string[]
  users: PgUsersFile | null
}

/** A fresh Start form: Xray, no config, keep-alive off. */
export function emptyStartForm(): PgStartForm {
  return {
    type: 'xray',
    config: { xray: '', wireguard: '' },
    keepAliveSec: 0,
    excludeInbounds: [],
    users: null,
  }
}

/**
 * PasarGuard node per server: the overview (core state, system and Go runtime stats, chart
 * samples), inbound/outbound traffic and outbound latency, plus backend control. The Start
 * form's last draft is kept here **in memory only** for the session: it may hold private keys
 * (Xray REALITY, WireGuard), so it is never persisted, and it is gone when the app closes.
 */
export const usePasarGuardStore = defineStore(SetupStoreId.PasarGuard, () => {
  const overview = usePerServer((serverId) => api.pasarguard.overview(serverId))
  const traffic = usePerServer((serverId) => api.pasarguard.traffic(serverId))
  const latency = usePerServer((serverId) => api.pasarguard.latency(serverId))
  const drafts = ref<Record<string, PgStartForm>>({})

  /** The remembered Start form of a server (a copy: editing it does not change the memory). */
  function draftOf(serverId: string): PgStartForm {
    const d = drafts.value[serverId]
    if (!d) return emptyStartForm()
    return {
      ...d,
      config: { ...d.config },
      excludeInbounds: [...d.excludeInbounds],
      users: d.users,
    }
  }

  /** Remembers the Start form of a server for this session (memory only). */
  function rememberDraft(serverId: string, form: PgStartForm): void {
    drafts.value[serverId] = {
      ...form,
      config: { ...form.config },
      excludeInbounds: [...form.excludeInbounds],
      users: form.users ? markRaw(form.users) : null,
    }
  }

  /** Starts (or restarts) the backend, then reloads the overview whether it worked or not. */
  async function start(serverId: string, draft: PgStartDraftInput) {
    try {
      return await api.pasarguard.start(serverId, draft)
    } finally {
      await overview.load(serverId)
    }
  }

  /** Stops the backend (the node forgets it), then reloads the overview. */
  async function stop(serverId: string): Promise<void> {
    try {
      await api.pasarguard.stop(serverId)
    } finally {
      await overview.load(serverId)
    }
  }

  return {
    overviews: overview.data,
    overviewErrors: overview.errors,
    overviewLoading: overview.loading,
    loadOverview: overview.load,
    traffic: traffic.data,
    trafficErrors: traffic.errors,
    trafficLoading: traffic.loading,
    loadTraffic: traffic.load,
    latency: latency.data,
    latencyErrors: latency.errors,
    latencyLoading: latency.loading,
    loadLatency: latency.load,
    draftOf,
    rememberDraft,
    start,
    stop,
    online: (serverId: string, emails: string[]) => api.pasarguard.online(serverId, emails),
    syncUser: (serverId: string, user: MethodInput<'pasarguard.syncUser'>['user']) =>
      api.pasarguard.syncUser(serverId, user),
    syncUsers: (input: MethodInput<'pasarguard.syncUsers'>) => api.pasarguard.syncUsers(input),
  }
})
