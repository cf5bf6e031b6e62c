import {
  AppErrorException,
  appError,
  type Hy2ScaleUiSettingsPatch,
  type Hy2ScaleUpgradeStatus,
} from '../../../../shared/contract'
import type { Hy2ScaleMaintenanceFacet } from '../adapter'
import type { Hy2ScaleClient } from './client'
import type { UiSettingsInput, UpgradeStatusWire } from './schema'

/** UI settings that only apply after the node restarts (apis.md §2 "UI settings"). */
const RESTART_KEYS: ReadonlyArray<keyof Hy2ScaleUiSettingsPatch> = [
  'listen',
  'basePath',
  'forceHttps',
  'httpsCertId',
]

/** The UpgradeStatus of the wire in the contract's shape. */
export function upgradeStatusOf(s: UpgradeStatusWire): Hy2ScaleUpgradeStatus {
  return {
    state: s.state,
    current: s.current,
    latest: s.latest,
    asset: s.asset,
    progress: Math.max(0, Math.min(100, s.progress)),
    bytesDone: s.bytes_done,
    bytesTotal: s.bytes_total,
    error: s.error ? s.error : null,
  }
}

/**
 * The maintenance facet of one HY2 SCALE node: UI settings, admin login, backup/restore, build
 * info and upgrades. Upgrades through the API only work when the node runs in Docker (the node
 * answers 403 otherwise): that refusal is explained instead of shown as a bare HTTP status.
 */
export function createHy2ScaleMaintenanceFacet(
  client: Hy2ScaleClient,
  serverId: string,
): Hy2ScaleMaintenanceFacet {
  /** Maps the node's 403 on upgrade routes to an explanation. */
  async function upgradeCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (err) {
      if (err instanceof AppErrorException && err.appError.params?.status === 403) {
        throw new AppErrorException(
          appError(
            'unsupported',
            'Upgrades from NodeDeck work only for nodes running in Docker; this node does not run in Docker (the node answered HTTP 403). Upgrade it on its host instead (replace the binary or the package, then restart the service).',
            { serverId, params: { status: 403 } },
          ),
        )
      }
      throw err
    }
  }

  return {
    async getSettings() {
      const s = await client.settings.getUi()
      return {
        listen: s.listen,
        basePath: s.base_path,
        dns: s.dns,
        forceHttps: s.force_https,
        httpsCertId: s.https_cert_id,
        sessionTimeoutH: s.session_timeout_h,
      }
    },
    async saveSettings(patch) {
      const body: UiSettingsInput = {}
      if (patch.listen !== undefined) body.listen = patch.listen
      if (patch.basePath !== undefined) body.base_path = patch.basePath
      if (patch.dns !== undefined) body.dns = patch.dns
      if (patch.forceHttps !== undefined) body.force_https = patch.forceHttps
      if (patch.httpsCertId !== undefined) body.https_cert_id = patch.httpsCertId
      if (patch.sessionTimeoutH !== undefined) body.session_timeout_h = patch.sessionTimeoutH
      if (Object.keys(body).length === 0) {
        throw new AppErrorException(
          appError('invalid_input', 'Nothing to save: no setting was changed.', { serverId }),
        )
      }
      const res = await client.settings.putUi(body)
      return {
        note: res.note,
        restartRequired: RESTART_KEYS.some((k) => patch[k] !== undefined),
      }
    },
    async changePassword(input) {
      const r = await client.settings.changePassword({
        currentPassword: input.currentPassword,
        newPassword: input.newPassword,
        newUsername: input.newUsername,
      })
      return { loggedIn: r.loggedIn }
    },
    async backup() {
      return new Uint8Array(await client.backup())
    },
    async restore(tar) {
      await client.restore(tar)
      // Every token dies when the node restarts: the client already dropped its own; the
      // monitor's next poll logs in again once the node is back.
      client.invalidate()
    },
    async buildInfo() {
      const b = await client.buildInfo()
      return {
        version: b.version,
        license: b.license,
        repository: b.repository,
        goDepsCount: b.go_deps.length,
        natives: b.natives.map((n) => ({
          name: n.name,
          version: n.version,
          license: n.license,
          source: n.source,
        })),
      }
    },
    async arch() {
      const a = await client.arch()
      return {
        os: a.os,
        arch: a.arch,
        version: a.version,
        binary: a.binary,
        inDocker: a.in_docker,
      }
    },
    async upgradeCheck() {
      const c = await client.upgrade.check()
      return {
        current: c.current,
        latest: c.latest,
        asset: c.asset,
        downloadUrl: c.download_url,
        size: c.size,
        updateAvailable: c.update_available,
      }
    },
    upgradeDownload: () =>
      upgradeCall(async () => upgradeStatusOf(await client.upgrade.download())),
    upgradeStatus: async () => upgradeStatusOf(await client.upgrade.status()),
    async upgradeApply() {
      const r = await upgradeCall(() => client.upgrade.apply())
      return { message: r.message || 'The node is installing the new version and restarts.' }
    },
  }
}
