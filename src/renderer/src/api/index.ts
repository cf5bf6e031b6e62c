import type {
  EventName,
  EventPayload,
  MethodInput,
  MethodName,
  MethodOutput,
} from '../../../shared/contract'
import { AppErrorException, appError } from '../../../shared/contract/plain'
import type { RpcClient } from '../../../shared/rpc/client'
import type { Connection, ConnectionStatus } from '../host/connection'

type Listener<E extends EventName> = (payload: EventPayload<E>) => void

/**
 * The typed API the stores use. It is the only module that touches the transport: it follows
 * the connection across reconnects, re-attaching event listeners to each new client.
 */
export interface Api {
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>
  /** Listens to a core event for as long as the page lives, across reconnects. */
  on<E extends EventName>(event: E, fn: Listener<E>): () => void
  /** Called now if connected, and after every (re)connect: reload and re-watch there. */
  onConnected(fn: () => void): () => void
  onStatus(fn: (status: ConnectionStatus) => void): () => void
  status(): ConnectionStatus
  reconnectNow(): void
  readonly mode: Connection['mode']
}

/** Error of a call made while there is no connection (the banner already says so). */
export function notConnectedError(): AppErrorException {
  return new AppErrorException(
    appError('network', 'Not connected to NodeDeck’s core; reconnecting.', { retryable: true }),
  )
}

/**
 * Longest a call made while the page is still making its first connection waits for it (the
 * browser host's core may still be loading when an admin is already clicking).
 */
export const FIRST_CONNECT_WAIT_MS = 15_000

/** Wraps a connection in the typed API. */
export function createApi(connection: Connection): Api {
  const listeners = new Map<string, Set<(payload: unknown) => void>>()
  /** Events already attached to the current client. */
  let attached = new Set<string>()
  let current: RpcClient | null = null

  const attach = (client: RpcClient, event: string) => {
    if (attached.has(event)) return
    attached.add(event)
    client.on(event as EventName, (payload: unknown) => {
      const set = listeners.get(event)
      if (!set) return
      for (const fn of [...set]) {
        try {
          fn(payload)
        } catch (err) {
          console.error(`listener for ${event} failed`, err)
        }
      }
    })
  }

  /**
   * No client: while the first connection is being made, waits for it (a click during start-up
   * is answered once the core is up, not refused); after a drop, fails at once (the banner says
   * the connection is lost and when the next attempt is).
   */
  const firstClient = (): Promise<RpcClient> => {
    if (connection.status().state !== 'connecting') return Promise.reject(notConnectedError())
    return new Promise((ok, ko) => {
      const timer = setTimeout(() => {
        off()
        offStatus()
        ko(notConnectedError())
      }, FIRST_CONNECT_WAIT_MS)
      const off = connection.onClient((c) => {
        clearTimeout(timer)
        off()
        offStatus()
        ok(c)
      })
      const offStatus = connection.onStatus((st) => {
        if (st.state === 'connecting' || st.state === 'connected') return
        clearTimeout(timer)
        off()
        offStatus()
        ko(notConnectedError())
      })
    })
  }

  const connectedListeners = new Set<() => void>()
  connection.onClient((client) => {
    current = client
    attached = new Set()
    for (const event of listeners.keys()) attach(client, event)
    for (const fn of [...connectedListeners]) fn()
  })

  return {
    mode: connection.mode,
    async call(method, input) {
      const client = connection.client() ?? (await firstClient())
      return client.call(method, input)
    },
    on(event, fn) {
      let set = listeners.get(event)
      if (!set) {
        set = new Set()
        listeners.set(event, set)
      }
      const f = fn as (payload: unknown) => void
      set.add(f)
      if (current && connection.client() === current) attach(current, event)
      return () => {
        set.delete(f)
      }
    },
    onConnected(fn) {
      connectedListeners.add(fn)
      if (connection.client()) fn()
      return () => {
        connectedListeners.delete(fn)
      }
    },
    onStatus: (fn) => connection.onStatus(fn),
    status: () => connection.status(),
    reconnectNow: () => connection.reconnectNow(),
  }
}

let installed: Api | null = null

/** Installs the API the app uses (main.ts; tests install one over a fake client). */
export function installApi(next: Api): void {
  installed = next
}

/** The installed API; throws if main.ts has not installed one. */
export function useApi(): Api {
  if (!installed) throw new Error('NodeDeck API used before installApi()')
  return installed
}

const call = <M extends MethodName>(method: M, input: MethodInput<M>) =>
  useApi().call(method, input)

/** Typed, named calls: `api.servers.list()`. */
export const api = {
  app: {
    info: () => call('app.info', undefined),
  },
  settings: {
    get: () => call('settings.get', undefined),
    set: (patch: MethodInput<'settings.set'>) => call('settings.set', patch),
  },
  servers: {
    list: () => call('servers.list', undefined),
    add: (input: MethodInput<'servers.add'>) => call('servers.add', input),
    update: (input: MethodInput<'servers.update'>) => call('servers.update', input),
    remove: (id: string) => call('servers.remove', { id }),
    test: (input: MethodInput<'servers.test'>) => call('servers.test', input),
    refresh: (id?: string) => call('servers.refresh', id === undefined ? {} : { id }),
  },
  users: {
    list: (serverId: string) => call('users.list', { serverId }),
    kick: (serverId: string, users: string[]) => call('users.kick', { serverId, users }),
  },
  sessions: {
    list: (serverId: string) => call('sessions.list', { serverId }),
    /** HY2 SCALE: ids are device keys (`user|ip|protocol`); refused again for 60 s. */
    kick: (serverId: string, ids: string[]) => call('sessions.kick', { serverId, ids }),
  },
  accounts: {
    list: (serverId: string) => call('accounts.list', { serverId }),
    create: (serverId: string, draft: MethodInput<'accounts.create'>['draft']) =>
      call('accounts.create', { serverId, draft }),
    update: (serverId: string, id: string, draft: MethodInput<'accounts.update'>['draft']) =>
      call('accounts.update', { serverId, id, draft }),
    setEnabled: (serverId: string, ids: string[], enabled: boolean) =>
      call('accounts.setEnabled', { serverId, ids, enabled }),
    resetTraffic: (serverId: string, ids: string[]) =>
      call('accounts.resetTraffic', { serverId, ids }),
    remove: (serverId: string, ids: string[]) => call('accounts.remove', { serverId, ids }),
    conflicts: (serverId: string) => call('accounts.conflicts', { serverId }),
  },
  wireguard: {
    get: (serverId: string) => call('wireguard.get', { serverId }),
    update: (serverId: string, draft: MethodInput<'wireguard.update'>['draft']) =>
      call('wireguard.update', { serverId, draft }),
    addPeer: (serverId: string, draft: MethodInput<'wireguard.addPeer'>['draft']) =>
      call('wireguard.addPeer', { serverId, draft }),
    removePeer: (serverId: string, name: string) =>
      call('wireguard.removePeer', { serverId, name }),
    /** Explicit reveal: the peer's config holds its private key. */
    peerConfig: (serverId: string, name: string, endpoint?: string) =>
      call(
        'wireguard.peerConfig',
        endpoint === undefined ? { serverId, name } : { serverId, name, endpoint },
      ),
    exportAll: (serverId: string, endpoint?: string) =>
      call('wireguard.exportAll', endpoint === undefined ? { serverId } : { serverId, endpoint }),
  },
  certs: {
    list: (serverId: string) => call('certs.list', { serverId }),
    import: (input: MethodInput<'certs.import'>) => call('certs.import', input),
    generate: (input: MethodInput<'certs.generate'>) => call('certs.generate', input),
    sign: (input: MethodInput<'certs.sign'>) => call('certs.sign', input),
    /** The private key only when `includeKey` (an explicit reveal). */
    pem: (serverId: string, id: string, includeKey: boolean) =>
      call('certs.pem', { serverId, id, includeKey }),
    remove: (serverId: string, id: string) => call('certs.remove', { serverId, id }),
  },
  /** HY2 SCALE network area: peer links, proxies, routing rules, protocol services, ports. */
  hy2net: {
    clients: {
      list: (serverId: string) => call('hy2scale.clients.list', { serverId }),
      /** `original` absent = create; else update that link (may rename). */
      save: (
        serverId: string,
        draft: MethodInput<'hy2scale.clients.save'>['draft'],
        original?: string,
      ) =>
        call(
          'hy2scale.clients.save',
          original === undefined ? { serverId, draft } : { serverId, original, draft },
        ),
      setDisabled: (serverId: string, name: string, disabled: boolean) =>
        call('hy2scale.clients.setDisabled', { serverId, name, disabled }),
      remove: (serverId: string, name: string) =>
        call('hy2scale.clients.remove', { serverId, name }),
    },
    proxies: {
      list: (serverId: string) => call('hy2scale.proxies.list', { serverId }),
      save: (
        serverId: string,
        draft: MethodInput<'hy2scale.proxies.save'>['draft'],
        original?: string,
      ) =>
        call(
          'hy2scale.proxies.save',
          original === undefined ? { serverId, draft } : { serverId, original, draft },
        ),
      remove: (serverId: string, id: string) => call('hy2scale.proxies.remove', { serverId, id }),
    },
    rules: {
      list: (serverId: string) => call('hy2scale.rules.list', { serverId }),
      save: (
        serverId: string,
        draft: MethodInput<'hy2scale.rules.save'>['draft'],
        original?: string,
      ) =>
        call(
          'hy2scale.rules.save',
          original === undefined ? { serverId, draft } : { serverId, original, draft },
        ),
      toggle: (serverId: string, id: string, enabled: boolean) =>
        call('hy2scale.rules.toggle', { serverId, id, enabled }),
      remove: (serverId: string, id: string) => call('hy2scale.rules.remove', { serverId, id }),
    },
    protocols: {
      get: (serverId: string) => call('hy2scale.protocols.get', { serverId }),
      save: (input: MethodInput<'hy2scale.protocols.save'>) =>
        call('hy2scale.protocols.save', input),
    },
    /** Which ports are taken on the node (the core sends the node a bare array). */
    checkPorts: (serverId: string, ports: MethodInput<'hy2scale.checkPorts'>['ports']) =>
      call('hy2scale.checkPorts', { serverId, ports }),
  },
  streams: {
    watch: (serverId: string, stream: string) => call('streams.watch', { serverId, stream }),
    unwatch: (serverId: string, stream: string) => call('streams.unwatch', { serverId, stream }),
  },
  hy2maint: {
    settings: (serverId: string) => call('hy2scale.settings.get', { serverId }),
    saveSettings: (serverId: string, patch: MethodInput<'hy2scale.settings.save'>['patch']) =>
      call('hy2scale.settings.save', { serverId, patch }),
    /** The passwords go to the core once; nothing secret comes back. */
    changePassword: (input: MethodInput<'hy2scale.changePassword'>) =>
      call('hy2scale.changePassword', input),
    backup: (serverId: string) => call('hy2scale.backup', { serverId }),
    restore: (serverId: string, tarBase64: string) =>
      call('hy2scale.restore', { serverId, tarBase64 }),
    buildInfo: (serverId: string) => call('hy2scale.buildInfo', { serverId }),
    arch: (serverId: string) => call('hy2scale.arch', { serverId }),
    upgradeCheck: (serverId: string) => call('hy2scale.upgrade.check', { serverId }),
    upgradeDownload: (serverId: string) => call('hy2scale.upgrade.download', { serverId }),
    upgradeStatus: (serverId: string) => call('hy2scale.upgrade.status', { serverId }),
    upgradeApply: (serverId: string) => call('hy2scale.upgrade.apply', { serverId }),
  },
  hy2scale: {
    overview: (serverId: string) => call('hy2scale.overview', { serverId }),
    updateNode: (serverId: string, patch: MethodInput<'hy2scale.updateNode'>['patch']) =>
      call('hy2scale.updateNode', { serverId, patch }),
    graphLayout: {
      get: (serverId: string) => call('hy2scale.graphLayout.get', { serverId }),
      /** A full snapshot: the node replaces its whole layout. */
      save: (serverId: string, positions: MethodInput<'hy2scale.graphLayout.save'>['positions']) =>
        call('hy2scale.graphLayout.save', { serverId, positions }),
    },
  },
  /** PasarGuard node (apis.md §3): backend control, stats, user sync. */
  pasarguard: {
    overview: (serverId: string) => call('pasarguard.overview', { serverId }),
    /** Starts the backend; a running one is stopped first by the node. The draft may hold keys. */
    start: (serverId: string, draft: MethodInput<'pasarguard.start'>['draft']) =>
      call('pasarguard.start', { serverId, draft }),
    stop: (serverId: string) => call('pasarguard.stop', { serverId }),
    traffic: (serverId: string) => call('pasarguard.traffic', { serverId }),
    latency: (serverId: string) => call('pasarguard.latency', { serverId }),
    online: (serverId: string, emails: string[]) => call('pasarguard.online', { serverId, emails }),
    /** Adds or updates one user live; no inbounds removes it. */
    syncUser: (serverId: string, user: MethodInput<'pasarguard.syncUser'>['user']) =>
      call('pasarguard.syncUser', { serverId, user }),
    /** Replaces the whole user set; progress comes as `pasarguard.syncProgress` events. */
    syncUsers: (input: MethodInput<'pasarguard.syncUsers'>) => call('pasarguard.syncUsers', input),
  },
  /** WireGuard monitor (apis.md §5): one request at a time per server (the core queues them). */
  wgmon: {
    dashboard: (serverId: string) => call('wgmon.dashboard', { serverId }),
    status: (serverId: string) => call('wgmon.status', { serverId }),
    users: (input: MethodInput<'wgmon.users'>) => call('wgmon.users', input),
    allUsers: (serverId: string) => call('wgmon.allUsers', { serverId }),
    events: (serverId: string) => call('wgmon.events', { serverId }),
    eventHistory: (input: MethodInput<'wgmon.eventHistory'>) => call('wgmon.eventHistory', input),
    chart: (serverId: string, days: number) => call('wgmon.chart', { serverId, days }),
    action: (input: MethodInput<'wgmon.action'>) => call('wgmon.action', input),
    create: (input: MethodInput<'wgmon.create'>) => call('wgmon.create', input),
    update: (input: MethodInput<'wgmon.update'>) => call('wgmon.update', input),
    remove: (serverId: string, userId: number) => call('wgmon.delete', { serverId, userId }),
  },
  /** Mu API v2 panel (apis.md §4): its users with quotas, and the users of one node. */
  muapi: {
    /** `maxAgeMs`: a read that recent (e.g. the health poll's) will do; absent = read now. */
    users: (serverId: string, maxAgeMs?: number) =>
      call('muapi.users', maxAgeMs === undefined ? { serverId } : { serverId, maxAgeMs }),
    nodeUsers: (serverId: string, nodeId: number) => call('muapi.nodeUsers', { serverId, nodeId }),
  },
  /** Traffic bridges (issue 6): a source server's per-user traffic reported to a Mu API node. */
  bridges: {
    list: () => call('bridges.list', undefined),
    add: (draft: MethodInput<'bridges.add'>['draft']) => call('bridges.add', { draft }),
    update: (id: string, patch: MethodInput<'bridges.update'>['patch']) =>
      call('bridges.update', { id, patch }),
    /** `force` discards bytes the journal still holds: they are never reported. */
    remove: (id: string, force: boolean) => call('bridges.remove', { id, force }),
    preview: (input: MethodInput<'bridges.preview'>) => call('bridges.preview', input),
    runNow: (id: string) => call('bridges.runNow', { id }),
    setEnabled: (id: string, enabled: boolean) => call('bridges.setEnabled', { id, enabled }),
    resolve: (id: string, decision: MethodInput<'bridges.resolve'>['decision']) =>
      call('bridges.resolve', { id, decision }),
  },
  live: {
    watch: (serverId: string) => call('live.watch', { serverId }),
    unwatch: (serverId: string) => call('live.unwatch', { serverId }),
  },
  notices: {
    list: () => call('notices.list', undefined),
  },
} as const
