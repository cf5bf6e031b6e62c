import {
  AppErrorException,
  appError,
  toAppError,
  type EventName,
  type EventPayload,
  type MethodName,
  type PgSyncProgress,
} from '../../../shared/contract'
import type { Handlers } from '../../../shared/rpc/dispatcher'
import type { PasarGuardFacet, PgSyncProgressUpdate } from '../adapters/adapter'
import type { FacetContext } from '../facet-handlers'

/** What the PasarGuard handlers need beyond the facet context. */
export interface PasarGuardHandlersContext extends FacetContext {
  /** Sends an event to one connection (no-op when it is gone). */
  sendTo<E extends EventName>(connectionId: string, name: E, payload: EventPayload<E>): void
}

type PasarGuardMethods = Extract<MethodName, `pasarguard.${string}`>

/** Least time between two `pasarguard.syncProgress` events of one job (ms): ≤ 10 per second. */
export const SYNC_PROGRESS_INTERVAL_MS = 100

/**
 * The `pasarguard.*` handlers, each routed to the adapter's `pasarguard` facet. Audit entries
 * carry counts and settings, never a config (Xray configs hold private keys) nor a secret.
 */
export function createPasarGuardHandlers(
  ctx: PasarGuardHandlersContext,
): Pick<Handlers, PasarGuardMethods> {
  function facet(serverId: string): PasarGuardFacet {
    const f = ctx.adapterOf(serverId).pasarguard
    if (!f) {
      throw new AppErrorException(
        appError('unsupported', 'This server is not a PasarGuard node.', { serverId }),
      )
    }
    return f
  }

  async function run<T>(serverId: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      throw new AppErrorException(toAppError(err, serverId))
    }
  }

  return {
    async 'pasarguard.overview'({ serverId }) {
      return run(serverId, () => facet(serverId).overview())
    },
    async 'pasarguard.start'({ serverId, draft }) {
      const info = await run(serverId, () => facet(serverId).start(draft))
      ctx.audit('pasarguard.start', {
        serverId,
        type: draft.type,
        keepAliveSec: draft.keepAliveSec,
        users: draft.users.length,
        excludeInbounds: draft.excludeInbounds.length,
      })
      ctx.refresh(serverId)
      return info
    },
    async 'pasarguard.stop'({ serverId }) {
      await run(serverId, () => facet(serverId).stop())
      ctx.audit('pasarguard.stop', { serverId })
      ctx.refresh(serverId)
      return { ok: true as const }
    },
    async 'pasarguard.traffic'({ serverId }) {
      return run(serverId, () => facet(serverId).traffic())
    },
    async 'pasarguard.latency'({ serverId }) {
      return run(serverId, () => facet(serverId).latency())
    },
    async 'pasarguard.online'({ serverId, emails }) {
      return run(serverId, () => facet(serverId).online(emails))
    },
    async 'pasarguard.syncUser'({ serverId, user }) {
      await run(serverId, () => facet(serverId).syncUser(user))
      ctx.audit('pasarguard.syncUser', { serverId, inbounds: user.inbounds.length })
      return { ok: true as const }
    },
    async 'pasarguard.syncUsers'({ serverId, users, mode, chunkSize, jobId }, call) {
      const f = facet(serverId)
      let last: PgSyncProgressUpdate = {
        sentUsers: 0,
        totalUsers: users.length,
        sentChunks: 0,
        totalChunks: mode === 'replace' ? 1 : Math.max(1, Math.ceil(users.length / chunkSize)),
      }
      let lastSentAt = 0
      const emit = (p: PgSyncProgressUpdate, done: boolean, error: PgSyncProgress['error']) => {
        ctx.sendTo(call.connectionId, 'pasarguard.syncProgress', {
          serverId,
          jobId,
          ...p,
          done,
          error,
        })
      }
      const onProgress = (p: PgSyncProgressUpdate) => {
        last = p
        const now = Date.now()
        if (now - lastSentAt < SYNC_PROGRESS_INTERVAL_MS) return
        lastSentAt = now
        emit(p, false, null)
      }
      try {
        const result = await run(serverId, () =>
          f.syncUsers(users, { mode, chunkSize, onProgress }),
        )
        emit(
          {
            sentUsers: users.length,
            totalUsers: users.length,
            sentChunks: result.chunks,
            totalChunks: result.chunks,
          },
          true,
          null,
        )
        ctx.audit('pasarguard.syncUsers', {
          serverId,
          mode,
          users: users.length,
          chunks: result.chunks,
          bytes: result.bytes,
          coreRestarted: result.coreRestarted,
        })
        return result
      } catch (err) {
        const e = toAppError(err, serverId)
        emit(last, true, e)
        ctx.audit('pasarguard.syncUsers.failed', { serverId, mode, code: e.code })
        throw new AppErrorException(e)
      }
    },
  }
}
