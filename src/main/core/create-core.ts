import { randomUUID } from 'node:crypto'
import {
  AppErrorException,
  ServerConfigSchema,
  SettingsSchema,
  appError,
  fail,
  toAppError,
  type AppInfo,
  type EventName,
  type EventPayload,
  type HostCapabilities,
  type ServerConfig,
  type ServerDraft,
  type ServerView,
} from '../../shared/contract'
import { unknownStatus } from '../../shared/contract/plain'
import { createDispatcher, type Handlers } from '../../shared/rpc/dispatcher'
import type { RpcResult } from '../../shared/rpc/protocol'
import type { ServerAdapter } from './adapters/adapter'
import { createHttpClient, type HttpClient } from './adapters/http/http-client'
import { kindModule } from './adapters/registry'
import type { CredentialStore } from './credentials/credential-store'
import { loadConfig, saveConfig, type ConfigFile } from './fleet/config-store'
import { verdictOf } from './monitor/health'
import { Monitor, type MonitorStats } from './monitor/monitor'
import { Notifier, type NotificationSink } from './notify/notifier'
import { createAlertHandlers } from './handlers/alerts'
import { createFacetHandlers } from './facet-handlers'
import { createHy2ScaleNetworkHandlers } from './handlers/hy2scale-network'
import { createHy2ScaleMaintenanceHandlers } from './handlers/hy2scale-maintenance'
import { createPasarGuardHandlers } from './handlers/pasarguard'
import { createMuWgHandlers } from './handlers/mu-wg'
import { createHistoryHandlers } from './handlers/history'
import { createHistory } from './history/history'
import { createBridges, type BridgeHost } from './handlers/bridge'
import { createFleet } from './handlers/fleet'
import { tlsCertInfo } from './adapters/http/tls-probe'
import { createStreamHub } from './streams/stream-hub'
import { createStreamWatches } from './streams/stream-watches'
import { silentLogger, type Logger } from './util/logger'

/** How often certificate expiry is re-read per server (ms). */
const CERT_CHECK_MS = 10 * 60_000
/** A certificate this close to its end is a warning (days). */
const CERT_WARN_DAYS = 30

export interface CoreDeps {
  /** Directory of config.json (the demo uses its own). */
  dataDir: string
  credentials: CredentialStore
  host: AppInfo['host']
  capabilities: HostCapabilities
  sinks?: NotificationSink[]
  demo?: boolean
  logger?: Logger
  http?: HttpClient
  version?: string
  /** Validate every output against the contract (tests, dev). */
  validateOutput?: boolean
  /** No background polling (CLI one-shots). */
  manual?: boolean
}

/** Sends one event to one connection. */
export type EventSender = <E extends EventName>(name: E, payload: EventPayload<E>) => void

/** A connected UI (window, tab, CLI) as the core sees it. */
export interface CoreConnection {
  readonly id: string
  call(method: string, input: unknown): Promise<RpcResult>
  close(): void
}

export interface Core {
  /** Connects a UI; its events arrive through `send`. */
  connect(send: EventSender): CoreConnection
  /** Starts background polling. */
  start(): void
  /** Stops polling and closes connections to servers. */
  stop(): Promise<void>
  readonly handlers: Handlers
  /** Resolves a server by id or unique name (CLI). */
  resolveServer(ref: string): ServerConfig
  /** The traffic bridges beyond the contract (the CLI runs one in the foreground). */
  readonly bridges: BridgeHost
  /** Sends an event to every connected UI (hosts: tray clicks → `ui.focusServer`). */
  broadcast: EventSender
  /** Subscribes to every event (hosts: tray, metrics). */
  onEvent(fn: (name: EventName, payload: unknown) => void): () => void
  /** The poll scheduler's figures (`/metrics`, benches). */
  schedulerStats(): MonitorStats
}

/**
 * The composition root: config, keychain, adapters, monitor, notifier and the contract handlers.
 * Runs under plain Node; the hosts (Electron, browser host, CLI) only wire transports to it.
 */
export async function createCore(deps: CoreDeps): Promise<Core> {
  const log = deps.logger ?? silentLogger
  const http = deps.http ?? createHttpClient()
  const loaded = await loadConfig(deps.dataDir)
  if (loaded.problem) log.warn('config problem', { problem: loaded.problem })
  let config: ConfigFile = loaded.config
  const connections = new Map<string, { send: EventSender }>()
  const globalListeners = new Set<(name: EventName, payload: unknown) => void>()
  /** History (SQLite in a worker): every status and users reading, recorded from `start()`. */
  const history = createHistory({ dataDir: deps.dataDir, log })
  globalListeners.add((name, payload) => history.onEvent(name, payload))
  /** Secrets read from the keychain, kept in this process's memory only. */
  const secretCache = new Map<string, string | null>()

  /** A listener or connection that throws must not keep the event from the others. */
  const safely = (fn: () => void) => {
    try {
      fn()
    } catch (err) {
      log.error('event delivery failed', {
        error: err instanceof Error ? err.message : String(err),
      })
    }
  }
  const broadcast = <E extends EventName>(name: E, payload: EventPayload<E>) => {
    for (const c of connections.values()) safely(() => c.send(name, payload))
    for (const fn of globalListeners) safely(() => fn(name, payload))
  }

  /** Alerts: rules, persisted history and settings (alerts-*.json in the data directory). */
  const notifier = await Notifier.open({
    dataDir: deps.dataDir,
    sinks: deps.sinks ?? [],
    emit: (notice) => broadcast('notice', notice),
    servers: () =>
      config.servers.map((s) => ({
        id: s.id,
        name: s.name,
        group: s.group,
        state: monitor.status(s.id)?.state ?? 'unknown',
      })),
    // CLI one-shots probe too: their changes must not land in the app's alert history.
    persist: !deps.manual,
    log,
  })

  /** The fleet view's summary rows and the cross-server user search, fed by the monitor. */
  const fleet = createFleet({ broadcast: (delta) => broadcast('fleet.summary', delta) })
  const monitor = new Monitor(
    {
      status(status, changed) {
        fleet.onStatus(status)
        broadcast('server.status', status)
        if (status.state === 'online' || status.state === 'degraded')
          void checkCerts(status.serverId)
        if (changed) {
          const server = config.servers.find((s) => s.id === status.serverId)
          log.info('state change', {
            serverId: status.serverId,
            from: changed.from,
            to: status.state,
          })
          notifier.onChange(status, changed.from, {
            id: status.serverId,
            name: server?.name ?? status.serverId,
            group: server?.group ?? '',
          })
        }
      },
      users(snapshot) {
        fleet.onUsers(snapshot)
        for (const connId of monitor.watchers(snapshot.serverId)) {
          safely(() => connections.get(connId)?.send('users.snapshot', snapshot))
        }
        for (const fn of globalListeners) safely(() => fn('users.snapshot', snapshot))
      },
    },
    { manual: deps.manual },
  )

  const getSecret = async (serverId: string, key: string): Promise<string | null> => {
    const cacheKey = `${serverId}\u0000${key}`
    if (secretCache.has(cacheKey)) return secretCache.get(cacheKey) ?? null
    const value = await deps.credentials.get(serverId, key)
    secretCache.set(cacheKey, value)
    return value
  }
  const forgetSecrets = (serverId: string) => {
    for (const k of [...secretCache.keys()])
      if (k.startsWith(`${serverId}\u0000`)) secretCache.delete(k)
  }

  const buildAdapter = (server: ServerConfig, secretOverride?: string): ServerAdapter =>
    fleet.tap(
      server.id,
      kindModule(server.kind).create({
        server,
        http,
        getSecret: (key) =>
          secretOverride !== undefined
            ? Promise.resolve(secretOverride || null)
            : getSecret(server.id, key),
      }),
    )

  const normalizeDraft = (draft: ServerDraft): ServerDraft => {
    const mod = kindModule(draft.kind)
    const opts = mod.optionsSchema.safeParse(draft.options)
    if (!opts.success) {
      fail(
        'invalid_input',
        `Invalid options for a ${draft.kind} server: ${opts.error.issues[0]?.message ?? ''}`,
      )
    }
    return { ...draft, url: draft.url.replace(/\/+$/, ''), options: opts.data }
  }

  const hasSecret = new Map<string, boolean | null>()
  /** Certificate expiry per server, read at most every CERT_CHECK_MS (a cert list is not cheap). */
  const certExpiry = new Map<
    string,
    { minDaysLeft: number | null; expiring: number; checkedAt: number }
  >()
  const certChecking = new Set<string>()
  const checkCerts = async (serverId: string, force = false) => {
    const adapter = monitor.adapter(serverId)
    const prev = certExpiry.get(serverId)
    if (!adapter?.certificates || certChecking.has(serverId)) return
    if (!force && prev && Date.now() - prev.checkedAt < CERT_CHECK_MS) return
    certChecking.add(serverId)
    try {
      const certs = await adapter.certificates.list()
      const days = certs.map((c) => c.daysLeft).filter((d): d is number => d !== null)
      const next = {
        minDaysLeft: days.length > 0 ? Math.min(...days) : null,
        expiring: days.filter((d) => d <= CERT_WARN_DAYS).length,
        checkedAt: Date.now(),
      }
      certExpiry.set(serverId, next)
      if (prev?.minDaysLeft !== next.minDaysLeft || prev?.expiring !== next.expiring) {
        announceServers()
      }
    } catch {
      // Unknown stays unknown: the server's own health shows why it cannot be read.
    } finally {
      certChecking.delete(serverId)
    }
  }
  const refreshHasSecret = async (server: ServerConfig) => {
    try {
      hasSecret.set(
        server.id,
        (await getSecret(server.id, kindModule(server.kind).secretKey)) !== null,
      )
    } catch {
      hasSecret.set(server.id, null)
    }
  }

  /**
   * Which servers have a secret, learnt at start in ONE keychain read where the store can (the
   * secrets then sit in this process's cache for the first polls): one serialized lookup per
   * server kept a 50-server fleet's core from answering its page for ~1 s, and would take many
   * seconds at 1,000. Without it (or if it fails) the lookups run per server in the background and
   * the list says "unknown" until they are done.
   */
  const learnSecrets = async () => {
    if (deps.credentials.getAll) {
      try {
        const all = await deps.credentials.getAll()
        for (const s of config.servers) {
          const key = kindModule(s.kind).secretKey
          const keys = all.get(s.id) ?? new Map<string, string>()
          for (const [k, v] of keys) secretCache.set(`${s.id}\u0000${k}`, v)
          if (!keys.has(key)) secretCache.set(`${s.id}\u0000${key}`, null)
          hasSecret.set(s.id, keys.has(key))
        }
        return
      } catch (err) {
        log.warn('keychain: reading all secrets at once failed; reading them one by one', {
          error: toAppError(err).message,
        })
      }
    }
    void Promise.all(config.servers.map(refreshHasSecret)).then(() => {
      if (config.servers.length > 0) announceServers()
    })
  }

  const view = (s: ServerConfig): ServerView => ({
    ...s,
    hasSecret: hasSecret.get(s.id) ?? null,
    certExpiry: certExpiry.get(s.id) ?? null,
    status: monitor.status(s.id) ?? unknownStatus(s.id, Date.now()),
  })

  const persist = async (next: ConfigFile) => {
    try {
      await saveConfig(deps.dataDir, next)
    } catch (err) {
      if (err instanceof AppErrorException) throw err
      fail(
        'storage',
        `Could not save the configuration in ${deps.dataDir} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Nothing was changed; check free disk space and permissions.`,
      )
    }
    config = next
  }

  const findServer = (id: string): ServerConfig => {
    const s = config.servers.find((x) => x.id === id)
    if (!s) fail('not_found', `No server with id ${id}. It may have been removed; reload the list.`)
    return s
  }

  const requireFacet = <T>(serverId: string, facet: T | undefined, what: string): T => {
    if (!facet) fail('unsupported', `This kind of server does not support ${what}.`, { serverId })
    return facet
  }

  const adapterOf = (serverId: string): ServerAdapter => {
    findServer(serverId)
    const a = monitor.adapter(serverId)
    if (!a) fail('not_found', `Server ${serverId} is not loaded.`, { serverId })
    return a
  }

  const withServer = async <T>(serverId: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (err) {
      throw new AppErrorException(toAppError(err, serverId))
    }
  }

  /** Live streams: one upstream per (server, stream), shared by every watching connection. */
  const streamHub = createStreamHub({ log })
  const streams = createStreamWatches({
    hub: streamHub,
    adapterOf,
    send: (connectionId, payload) => {
      const c = connections.get(connectionId)
      if (c) safely(() => c.send('stream.batch', payload))
    },
    log,
  })

  const announceServers = () => {
    fleet.setServers(config.servers)
    broadcast('servers.changed', config.servers.map(view))
  }

  for (const s of config.servers) {
    try {
      monitor.upsert(s, buildAdapter(s))
    } catch (err) {
      log.error('cannot load server', { serverId: s.id, error: toAppError(err).message })
    }
  }
  await learnSecrets()
  fleet.setServers(config.servers)

  /** Traffic bridges (issue 6): started with the core unless manual, stopped with it. */
  const bridges = createBridges({
    dataDir: deps.dataDir,
    owner:
      deps.host === 'cli'
        ? 'nodedeck bridge run'
        : deps.host === 'electron'
          ? 'the NodeDeck app'
          : 'NodeDeck in browser mode',
    configs: () => config.bridges,
    saveConfigs: (next) => persist({ ...config, bridges: next }),
    endpoints: {
      server: (id) => config.servers.find((s) => s.id === id),
      adapter: (id) => monitor.adapter(id),
      users: (id) => monitor.users(id),
      probe: (id) => monitor.probe(id),
      // Without background polling the monitor's last reading may be old: read the source anew.
      freshMs: deps.manual ? 0 : undefined,
    },
    broadcast: (status) => broadcast('bridges.status', status),
    log,
  })

  const handlers: Handlers = {
    async 'app.info'() {
      const kc = await deps.credentials.check()
      return {
        name: 'NodeDeck',
        version: deps.version ?? '0.0.0',
        host: deps.host,
        capabilities: deps.capabilities,
        demo: deps.demo ?? false,
        keychain: {
          ok: kc.ok,
          description: deps.credentials.description,
          message: kc.ok ? null : kc.message,
        },
        configProblem: loaded.problem,
      }
    },
    async 'settings.get'() {
      return config.settings
    },
    async 'settings.set'(patch) {
      // Only the keys given change; an explicit undefined (structured-clone IPC keeps it) too.
      const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
      const settings = SettingsSchema.parse({ ...config.settings, ...given })
      await persist({ ...config, settings })
      broadcast('settings.changed', settings)
      return settings
    },
    async 'servers.list'() {
      return config.servers.map(view)
    },
    async 'servers.add'({ draft, secret }) {
      const d = normalizeDraft(draft)
      if (config.servers.some((s) => s.name.toLowerCase() === d.name.toLowerCase())) {
        fail('invalid_input', `A server named "${d.name}" already exists. Choose another name.`, {
          params: { field: 'name' },
        })
      }
      const server = ServerConfigSchema.parse({ ...d, id: randomUUID(), createdAt: Date.now() })
      const mod = kindModule(server.kind)
      if (secret) await deps.credentials.set(server.id, mod.secretKey, secret)
      try {
        await persist({ ...config, servers: [...config.servers, server] })
      } catch (err) {
        if (secret) await deps.credentials.delete(server.id, mod.secretKey).catch(() => false)
        throw err
      }
      secretCache.delete(`${server.id}\u0000${mod.secretKey}`)
      hasSecret.set(server.id, Boolean(secret))
      monitor.upsert(server, buildAdapter(server))
      announceServers()
      void monitor.probe(server.id)
      return { id: server.id }
    },
    async 'servers.update'({ id, draft, secret }) {
      const old = findServer(id)
      const d = normalizeDraft(draft)
      if (
        config.servers.some((s) => s.id !== id && s.name.toLowerCase() === d.name.toLowerCase())
      ) {
        fail('invalid_input', `A server named "${d.name}" already exists. Choose another name.`, {
          params: { field: 'name' },
        })
      }
      const server = ServerConfigSchema.parse({ ...d, id, createdAt: old.createdAt })
      const mod = kindModule(server.kind)
      if (secret !== undefined) {
        if (secret === '') await deps.credentials.delete(id, mod.secretKey)
        else await deps.credentials.set(id, mod.secretKey, secret)
        forgetSecrets(id)
      }
      await persist({ ...config, servers: config.servers.map((s) => (s.id === id ? server : s)) })
      await refreshHasSecret(server)
      streams.closeServer(id, 'network', 'The server settings changed; open the view again.')
      monitor.upsert(server, buildAdapter(server))
      announceServers()
      void monitor.probe(id)
      return view(server)
    },
    async 'servers.remove'({ id }) {
      findServer(id)
      await deps.credentials.deleteAll(id)
      forgetSecrets(id)
      await persist({ ...config, servers: config.servers.filter((s) => s.id !== id) })
      streams.closeServer(id, 'not_found', 'The server was removed.')
      monitor.remove(id)
      history.forgetServer(id)
      await bridges.host.serverRemoved(id)
      hasSecret.delete(id)
      announceServers()
      return { ok: true as const }
    },
    async 'servers.test'({ draft, secret, id }) {
      const d = normalizeDraft(draft)
      const temp = ServerConfigSchema.parse({
        ...d,
        id: id ?? `test-${randomUUID()}`,
        createdAt: Date.now(),
      })
      const adapter =
        id !== undefined && secret === undefined
          ? buildAdapter(temp)
          : buildAdapter(temp, secret ?? '')
      try {
        const r = await adapter.poll(AbortSignal.timeout(15_000), { readOnly: true })
        const v = verdictOf({ ok: true, latencyMs: Math.round(r.latencyMs), partial: r.partial })
        return { state: v.state, latencyMs: v.latencyMs, error: v.error }
      } catch (err) {
        const v = verdictOf({ ok: false, error: toAppError(err, id) })
        return { state: v.state, latencyMs: null, error: v.error }
      } finally {
        adapter.close?.()
      }
    },
    async 'servers.probeTls'({ url }) {
      return tlsCertInfo(url, { timeoutMs: 10_000 })
    },
    async 'servers.refresh'({ id }) {
      const ids = id ? [findServer(id).id] : config.servers.map((s) => s.id)
      await Promise.all(ids.map((x) => monitor.probe(x)))
      return { ok: true as const }
    },
    async 'users.list'({ serverId }) {
      findServer(serverId)
      let snap = monitor.users(serverId)
      if (!snap || snap.at === null) {
        await monitor.probe(serverId)
        snap = monitor.users(serverId)
      }
      if (!snap) fail('not_found', `Server ${serverId} is not loaded.`, { serverId })
      if (snap.at === null && snap.error) throw new AppErrorException(snap.error)
      return snap
    },
    async 'users.kick'({ serverId, users }) {
      const facet = requireFacet(serverId, adapterOf(serverId).users, 'disconnecting users')
      await withServer(serverId, () => facet.kick(users))
      log.info('kick', { serverId, count: users.length })
      void monitor.probe(serverId)
      return { ok: true as const }
    },
    async 'sessions.list'({ serverId }) {
      const facet = requireFacet(serverId, adapterOf(serverId).sessions, 'listing sessions')
      const sessions = await withServer(serverId, () => facet.list())
      return { serverId, at: Date.now(), sessions }
    },
    async 'live.watch'({ serverId }, ctx) {
      findServer(serverId)
      monitor.watch(serverId, ctx.connectionId)
      const snap = monitor.users(serverId)
      if (snap && snap.at !== null) connections.get(ctx.connectionId)?.send('users.snapshot', snap)
      return { ok: true as const }
    },
    async 'live.unwatch'({ serverId }, ctx) {
      monitor.unwatch(serverId, ctx.connectionId)
      return { ok: true as const }
    },
    async 'notices.list'() {
      return notifier.list()
    },
    ...createAlertHandlers({
      notifier,
      announce: (settings) => broadcast('alerts.settings.changed', settings),
      hasServer: (id) => config.servers.some((s) => s.id === id),
    }),
    ...createFacetHandlers({
      adapterOf,
      refresh: (serverId, opts) => {
        void monitor.probe(serverId)
        if (opts?.certs) void checkCerts(serverId, true)
      },
      audit: (action, fields) => log.info(action, fields),
    }),
    ...createHy2ScaleNetworkHandlers({
      adapterOf,
      refresh: (serverId) => void monitor.probe(serverId),
      audit: (action, fields) => log.info(action, fields),
    }),
    ...streams.handlers,
    ...createPasarGuardHandlers({
      adapterOf,
      refresh: (serverId) => void monitor.probe(serverId),
      audit: (action, fields) => log.info(action, fields),
      sendTo: (connectionId, name, payload) => {
        const c = connections.get(connectionId)
        if (c) safely(() => c.send(name, payload))
      },
    }),
    ...bridges.handlers,
    ...fleet.handlers,
    ...createHistoryHandlers(history),
    ...createMuWgHandlers({
      adapterOf,
      refresh: (serverId) => void monitor.probe(serverId),
      audit: (action, fields) => log.info(action, fields),
    }),
    ...createHy2ScaleMaintenanceHandlers({
      adapterOf,
      refresh: (serverId) => void monitor.probe(serverId),
      audit: (action, fields) => log.info(action, fields),
      async storeLogin(serverId, login) {
        const server = findServer(serverId)
        await deps.credentials.set(serverId, kindModule(server.kind).secretKey, login.password)
        forgetSecrets(serverId)
        hasSecret.set(serverId, true)
        if (login.username && server.options.username !== login.username) {
          const next = ServerConfigSchema.parse({
            ...server,
            options: { ...server.options, username: login.username },
          })
          await persist({
            ...config,
            servers: config.servers.map((s) => (s.id === serverId ? next : s)),
          })
          streams.closeServer(serverId, 'network', 'The login changed; open the view again.')
          monitor.upsert(next, buildAdapter(next))
          announceServers()
        }
      },
    }),
  }

  const dispatch = createDispatcher(handlers, {
    validateOutput: deps.validateOutput,
    onInternalError: (method, err) =>
      log.error('internal error', {
        method,
        error: err instanceof Error ? err.stack : String(err),
      }),
  })

  return {
    handlers,
    connect(send) {
      const id = randomUUID()
      connections.set(id, { send })
      return {
        id,
        call: (method, input) => dispatch(method, input, { connectionId: id }),
        close() {
          connections.delete(id)
          monitor.unwatchAll(id)
          streams.closeConnection(id)
        },
      }
    },
    start() {
      monitor.start()
      fleet.start()
      if (!deps.manual) void bridges.host.startAll()
      // CLI one-shots (manual) record nothing: their single probe is not worth a database.
      if (!deps.manual) history.start()
    },
    async stop() {
      await history.stop()
      fleet.stop()
      await bridges.host.stopAll()
      monitor.stop()
      await notifier.close()
      streamHub.closeAll()
      monitor.closeAdapters()
      await http.close()
    },
    resolveServer(ref) {
      const byId = config.servers.find((s) => s.id === ref)
      if (byId) return byId
      const byName = config.servers.filter((s) => s.name.toLowerCase() === ref.toLowerCase())
      if (byName.length === 1 && byName[0]) return byName[0]
      if (byName.length > 1)
        fail('invalid_input', `More than one server is named "${ref}"; use its id.`)
      throw new AppErrorException(
        appError(
          'not_found',
          `No server with id or name "${ref}". Run "nodedeck servers list" to see them.`,
        ),
      )
    },
    broadcast,
    bridges: bridges.host,
    schedulerStats: () => monitor.stats(),
    onEvent(fn) {
      globalListeners.add(fn)
      return () => globalListeners.delete(fn)
    },
  }
}
