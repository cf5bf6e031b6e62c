import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { MethodInput } from '../../../shared/contract'
import { api } from '../api'
import { SetupStoreId } from './ids'
import { usePerServer } from './per-server'

/**
 * HY2 SCALE maintenance per server: UI settings, build info, arch, upgrade check, and the
 * restart that follows a restore or an upgrade (`restartingSince`, cleared by the view once the
 * server is online again).
 */
export const useHy2MaintenanceStore = defineStore(SetupStoreId.Hy2Maintenance, () => {
  const settings = usePerServer((serverId) => api.hy2maint.settings(serverId))
  const about = usePerServer(async (serverId) => {
    const [build, arch] = await Promise.all([
      api.hy2maint.buildInfo(serverId),
      api.hy2maint.arch(serverId),
    ])
    return { build, arch }
  })
  const upgrade = usePerServer((serverId) => api.hy2maint.upgradeCheck(serverId))
  /** When the node was told to restart (restore, upgrade), per server; absent = not restarting. */
  const restartingSince = ref<Record<string, number>>({})

  async function saveSettings(
    serverId: string,
    patch: MethodInput<'hy2scale.settings.save'>['patch'],
  ) {
    const r = await api.hy2maint.saveSettings(serverId, patch)
    await settings.load(serverId)
    return r
  }

  async function restore(serverId: string, tarBase64: string) {
    const r = await api.hy2maint.restore(serverId, tarBase64)
    restartingSince.value[serverId] = Date.now()
    return r
  }

  async function applyUpgrade(serverId: string) {
    const r = await api.hy2maint.upgradeApply(serverId)
    restartingSince.value[serverId] = Date.now()
    return r
  }

  function restarted(serverId: string) {
    delete restartingSince.value[serverId]
  }

  return {
    settings: settings.data,
    settingsErrors: settings.errors,
    loadSettings: settings.load,
    about: about.data,
    aboutErrors: about.errors,
    loadAbout: about.load,
    upgradeCheck: upgrade.data,
    upgradeErrors: upgrade.errors,
    upgradeLoading: upgrade.loading,
    checkUpgrade: upgrade.load,
    restartingSince,
    saveSettings,
    changePassword: (input: MethodInput<'hy2scale.changePassword'>) =>
      api.hy2maint.changePassword(input),
    backup: (serverId: string) => api.hy2maint.backup(serverId),
    restore,
    downloadUpgrade: (serverId: string) => api.hy2maint.upgradeDownload(serverId),
    applyUpgrade,
    restarted,
  }
})
