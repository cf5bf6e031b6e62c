import { defineStore } from 'pinia'
import type { MethodInput } from '../../../shared/contract'
import { api } from '../api'
import { SetupStoreId } from './ids'
import { usePerServer } from './per-server'

type ClientDraft = MethodInput<'hy2scale.clients.save'>['draft']
type ProxyDraft = MethodInput<'hy2scale.proxies.save'>['draft']
type RuleDraft = MethodInput<'hy2scale.rules.save'>['draft']

/**
 * HY2 SCALE network area per server: peer links, proxies, routing rules and the SS/L2TP/IKEv2
 * services. Actions reload the list they touched afterwards and throw on failure (the caller
 * shows the error). Passwords and PSKs are only ever sent, never read back.
 */
export const useHy2NetworkStore = defineStore(SetupStoreId.Hy2Network, () => {
  const clients = usePerServer((serverId) => api.hy2net.clients.list(serverId))
  const proxies = usePerServer((serverId) => api.hy2net.proxies.list(serverId))
  const rules = usePerServer((serverId) => api.hy2net.rules.list(serverId))
  const protocols = usePerServer((serverId) => api.hy2net.protocols.get(serverId))

  /** Runs a change, then reloads with `reload` whether it worked or not. */
  async function then(run: () => Promise<unknown>, reload: () => Promise<void>): Promise<void> {
    try {
      await run()
    } finally {
      await reload()
    }
  }

  return {
    clients: clients.data,
    clientsLoading: clients.loading,
    clientsErrors: clients.errors,
    loadClients: clients.load,
    saveClient: (serverId: string, draft: ClientDraft, original?: string) =>
      then(
        () => api.hy2net.clients.save(serverId, draft, original),
        () => clients.load(serverId),
      ),
    setClientDisabled: (serverId: string, name: string, disabled: boolean) =>
      then(
        () => api.hy2net.clients.setDisabled(serverId, name, disabled),
        () => clients.load(serverId),
      ),
    removeClient: (serverId: string, name: string) =>
      then(
        () => api.hy2net.clients.remove(serverId, name),
        () => clients.load(serverId),
      ),

    proxies: proxies.data,
    proxiesLoading: proxies.loading,
    proxiesErrors: proxies.errors,
    loadProxies: proxies.load,
    saveProxy: (serverId: string, draft: ProxyDraft, original?: string) =>
      then(
        () => api.hy2net.proxies.save(serverId, draft, original),
        () => proxies.load(serverId),
      ),
    removeProxy: (serverId: string, id: string) =>
      then(
        () => api.hy2net.proxies.remove(serverId, id),
        () => proxies.load(serverId),
      ),

    rules: rules.data,
    rulesLoading: rules.loading,
    rulesErrors: rules.errors,
    loadRules: rules.load,
    saveRule: (serverId: string, draft: RuleDraft, original?: string) =>
      then(
        () => api.hy2net.rules.save(serverId, draft, original),
        () => rules.load(serverId),
      ),
    toggleRule: (serverId: string, id: string, enabled: boolean) =>
      then(
        () => api.hy2net.rules.toggle(serverId, id, enabled),
        () => rules.load(serverId),
      ),
    removeRule: (serverId: string, id: string) =>
      then(
        () => api.hy2net.rules.remove(serverId, id),
        () => rules.load(serverId),
      ),

    protocols: protocols.data,
    protocolsLoading: protocols.loading,
    protocolsErrors: protocols.errors,
    loadProtocols: protocols.load,
    saveProtocol: (input: MethodInput<'hy2scale.protocols.save'>) =>
      then(
        () => api.hy2net.protocols.save(input),
        () => protocols.load(input.serverId),
      ),
  }
})
