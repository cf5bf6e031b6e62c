import {
  AppErrorException,
  HY2SCALE_RESTORE_MAX_BYTES,
  appError,
  toAppError,
  type MethodName,
} from '../../../shared/contract'
import type { Handlers } from '../../../shared/rpc/dispatcher'
import type { Hy2ScaleMaintenanceFacet } from '../adapters/adapter'
import type { FacetContext } from '../facet-handlers'

/** What the maintenance handlers need beyond the facet context. */
export interface Hy2ScaleMaintenanceContext extends FacetContext {
  /**
   * Stores the node's new admin login for NodeDeck (the keychain secret, and the server's
   * `options.username` when it changed) so the monitor keeps logging in.
   */
  storeLogin(serverId: string, login: { password: string; username?: string }): Promise<void>
}

type MaintenanceMethods = Extract<MethodName, `hy2scale.${string}`> &
  (
    | `hy2scale.settings.${string}`
    | `hy2scale.upgrade.${string}`
    | 'hy2scale.changePassword'
    | 'hy2scale.backup'
    | 'hy2scale.restore'
    | 'hy2scale.buildInfo'
    | 'hy2scale.arch'
  )

/** Strict base64 (what FileReader / btoa produce), so a garbled upload is refused up front. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/

/** `hy2scale-backup-<yyyymmdd-hhmmss>.tar` in UTC. */
function backupName(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0')
  return `hy2scale-backup-${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}-${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}.tar`
}

/**
 * The HY2 SCALE maintenance handlers: UI settings, admin login, backup/restore, build info and
 * upgrades, each routed to the adapter's `hy2scaleMaintenance` facet. Passwords go in and are
 * never returned; the new admin login is stored in the keychain for the monitor.
 */
export function createHy2ScaleMaintenanceHandlers(
  ctx: Hy2ScaleMaintenanceContext,
): Pick<Handlers, MaintenanceMethods> {
  function facet(serverId: string): Hy2ScaleMaintenanceFacet {
    const f = ctx.adapterOf(serverId).hy2scaleMaintenance
    if (!f) {
      throw new AppErrorException(
        appError('unsupported', 'This kind of server has no HY2 SCALE maintenance.', {
          serverId,
        }),
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
    async 'hy2scale.settings.get'({ serverId }) {
      return run(serverId, () => facet(serverId).getSettings())
    },
    async 'hy2scale.settings.save'({ serverId, patch }) {
      const r = await run(serverId, () => facet(serverId).saveSettings(patch))
      ctx.audit('hy2scale.settings.save', {
        serverId,
        keys: Object.keys(patch).filter((k) => patch[k as keyof typeof patch] !== undefined),
        restartRequired: r.restartRequired,
      })
      return r
    },
    async 'hy2scale.changePassword'({ serverId, currentPassword, newPassword, newUsername }) {
      const f = facet(serverId)
      const r = await run(serverId, () =>
        f.changePassword({ currentPassword, newPassword, newUsername }),
      )
      ctx.audit('hy2scale.changePassword', { serverId, usernameChanged: Boolean(newUsername) })
      try {
        await ctx.storeLogin(serverId, { password: newPassword, username: newUsername })
      } catch (err) {
        const e = toAppError(err, serverId)
        throw new AppErrorException(
          appError(
            e.code === 'storage' ? 'storage' : 'keychain',
            `The admin login was changed on the node, but NodeDeck could not store it (${e.message}). Edit this server and enter the new login, or NodeDeck cannot reach the node.`,
            { serverId },
          ),
        )
      }
      ctx.refresh(serverId)
      return { ok: true as const, loggedIn: r.loggedIn }
    },
    async 'hy2scale.backup'({ serverId }) {
      const tar = await run(serverId, () => facet(serverId).backup())
      ctx.audit('hy2scale.backup', { serverId, size: tar.byteLength })
      return {
        filename: backupName(new Date()),
        tarBase64: Buffer.from(tar.buffer, tar.byteOffset, tar.byteLength).toString('base64'),
        size: tar.byteLength,
      }
    },
    async 'hy2scale.restore'({ serverId, tarBase64 }) {
      if (!BASE64.test(tarBase64)) {
        throw new AppErrorException(
          appError('invalid_input', 'The backup file could not be read (it is not base64).', {
            serverId,
          }),
        )
      }
      const tar = Buffer.from(tarBase64, 'base64')
      if (tar.byteLength === 0 || tar.byteLength > HY2SCALE_RESTORE_MAX_BYTES) {
        throw new AppErrorException(
          appError(
            'invalid_input',
            tar.byteLength === 0
              ? 'The backup file is empty.'
              : `The backup is ${Math.ceil(tar.byteLength / 1048576)} MiB; the node accepts at most 50 MB.`,
            { serverId },
          ),
        )
      }
      await run(serverId, () => facet(serverId).restore(new Uint8Array(tar)))
      ctx.audit('hy2scale.restore', { serverId, size: tar.byteLength })
      // The node restarts about 0.5 s from now; the monitor's polls follow it back online.
      return {
        message:
          'The node accepted the backup and is restarting; every admin session ended. NodeDeck logs in again as soon as it is back.',
      }
    },
    async 'hy2scale.buildInfo'({ serverId }) {
      return run(serverId, () => facet(serverId).buildInfo())
    },
    async 'hy2scale.arch'({ serverId }) {
      return run(serverId, () => facet(serverId).arch())
    },
    async 'hy2scale.upgrade.check'({ serverId }) {
      return run(serverId, () => facet(serverId).upgradeCheck())
    },
    async 'hy2scale.upgrade.download'({ serverId }) {
      const s = await run(serverId, () => facet(serverId).upgradeDownload())
      ctx.audit('hy2scale.upgrade.download', { serverId })
      return s
    },
    async 'hy2scale.upgrade.status'({ serverId }) {
      return run(serverId, () => facet(serverId).upgradeStatus())
    },
    async 'hy2scale.upgrade.apply'({ serverId }) {
      const r = await run(serverId, () => facet(serverId).upgradeApply())
      ctx.audit('hy2scale.upgrade.apply', { serverId })
      return r
    },
  }
}
