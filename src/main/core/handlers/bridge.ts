import { createHash } from 'node:crypto'
import { rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { AppErrorException, appError, toAppError, type MethodName } from '../../../shared/contract'
import {
  BridgeConfigSchema,
  type BridgeConfig,
  type BridgeStatus,
  type BridgeView,
} from '../../../shared/contract/bridge'
import type { Handlers } from '../../../shared/rpc/dispatcher'
import { BridgeRunner } from '../bridge/bridge'
import {
  bridgeSource,
  checkPanel,
  checkSource,
  createPanelFactory,
  type EndpointContext,
} from '../bridge/endpoints'
import { BridgeJournal } from '../bridge/journal'
import { lockHolder } from '../bridge/lock'
import { previewMapping } from '../bridge/mapping'
import type { Logger } from '../util/logger'

type BridgeMethods = Extract<MethodName, `bridges.${string}`>

/** What the bridges need from the core. */
export interface BridgesContext {
  dataDir: string
  /** Who runs bridges in this process (lock owner, messages), e.g. `the NodeDeck app`. */
  owner: string
  /** The persisted bridge configs. */
  configs(): BridgeConfig[]
  /** Persists the bridge configs (config.json). */
  saveConfigs(next: BridgeConfig[]): Promise<void>
  endpoints: EndpointContext
  /** Broadcasts `bridges.status`. */
  broadcast(status: BridgeStatus): void
  log: Logger
  now?: () => number
}

/** What hosts (core lifecycle, CLI) do with bridges beyond the contract. */
export interface BridgeHost {
  /** Starts every enabled bridge in the background (the app; never in manual cores). */
  startAll(): Promise<void>
  /** Stops every bridge running here (tick in flight finished, locks released). */
  stopAll(): Promise<void>
  /** A server was removed: its bridges stop, in `error`, naming it. */
  serverRemoved(serverId: string): Promise<void>
  /**
   * Runs one bridge in the foreground (CLI `bridge run`) until `signal` aborts; `onTick` gets the
   * status after every tick. Resolves once stopped cleanly.
   */
  run(
    id: string,
    opts: { signal: AbortSignal; onTick(status: BridgeStatus): void },
  ): Promise<BridgeStatus>
  /** One tick of one bridge, settling a lost answer first (CLI `bridge run --once`). */
  runOnce(
    id: string,
    opts?: { signal?: AbortSignal; onTick?(status: BridgeStatus): void },
  ): Promise<BridgeStatus>
}

/**
 * A bridge's id, derived from its source and panel (there is one bridge per pair). If config.json
 * loses a bridge (another NodeDeck process rewrote the file from its own copy), adding it again
 * finds its journal and resumes it, instead of starting from zero and reporting the source's
 * counters a second time. A removed bridge's journal is moved aside, so re-adding one starts anew.
 */
export function bridgeIdFor(sourceId: string, panelId: string): string {
  const h = createHash('sha256').update(`${sourceId}\u0000${panelId}`).digest('hex')
  return `br-${h.slice(0, 24)}`
}

/** Where a bridge keeps its journal and lock. */
export function bridgePaths(dataDir: string, id: string): { journal: string; lock: string } {
  const base = join(dataDir, 'bridges', id)
  return { journal: `${base}.json`, lock: `${base}.lock` }
}

/**
 * The bridges of a core: their runners (one per bridge, started with the core when enabled), the
 * `bridges.*` handlers and the host hooks.
 */
export function createBridges(ctx: BridgesContext): {
  handlers: Pick<Handlers, BridgeMethods>
  host: BridgeHost
} {
  const runners = new Map<string, BridgeRunner>()
  const tickListeners = new Map<string, Set<(s: BridgeStatus) => void>>()
  const panelOf = createPanelFactory(ctx.endpoints)
  /** True once the core runs in the background: enabled bridges run then. */
  let started = false

  const find = (id: string): BridgeConfig => {
    const c = ctx.configs().find((b) => b.id === id)
    if (!c) {
      throw new AppErrorException(
        appError(
          'not_found',
          `No bridge with id ${id}. It may have been removed; reload the list.`,
        ),
      )
    }
    return c
  }

  const runnerOf = (config: BridgeConfig): BridgeRunner => {
    let r = runners.get(config.id)
    if (!r) {
      const paths = bridgePaths(ctx.dataDir, config.id)
      const id = config.id
      r = new BridgeRunner({
        config,
        journalPath: paths.journal,
        lockPath: paths.lock,
        owner: ctx.owner,
        source: () => bridgeSource(ctx.endpoints, runners.get(id)!.settings.sourceId),
        panel: () => panelOf(runners.get(id)!.settings.panelId),
        onStatus: (s) => ctx.broadcast(s),
        onTick: (s) => {
          for (const fn of tickListeners.get(id) ?? []) fn(s)
        },
        now: ctx.now,
        log: ctx.log,
      })
      runners.set(config.id, r)
    }
    return r
  }

  /** Shows what another process (or nobody) does with a bridge not running here. */
  const refreshFromDisk = async (r: BridgeRunner): Promise<void> => {
    if (r.isRunning) return
    const paths = bridgePaths(ctx.dataDir, r.id)
    try {
      const [journal, holder] = await Promise.all([
        BridgeJournal.peek(paths.journal),
        lockHolder(paths.lock),
      ])
      r.showFromDisk(journal, holder ? { pid: holder.pid, owner: holder.owner } : null)
    } catch (err) {
      ctx.log.warn('bridge journal unreadable', {
        bridgeId: r.id,
        error: toAppError(err).message,
      })
    }
  }

  const view = (c: BridgeConfig): BridgeView => ({ config: c, status: runnerOf(c).status() })

  const save = async (next: BridgeConfig[]) => {
    await ctx.saveConfigs(next.map((b) => BridgeConfigSchema.parse(b)))
  }

  const defaultName = (sourceId: string, panelId: string, nodeId: number): string => {
    const s = ctx.endpoints.server(sourceId)?.name ?? sourceId
    const p = ctx.endpoints.server(panelId)?.name ?? panelId
    return `${s} → ${p} #${nodeId}`
  }

  /** Refuses a source or panel that cannot be one (named in the error). */
  const checkEnds = (sourceId: string, panelId: string): void => {
    const source = ctx.endpoints.server(sourceId)
    const panel = ctx.endpoints.server(panelId)
    if (!source) {
      throw new AppErrorException(
        appError('not_found', `No server with id ${sourceId} (the source). Reload the list.`),
      )
    }
    if (!panel) {
      throw new AppErrorException(
        appError('not_found', `No server with id ${panelId} (the panel). Reload the list.`),
      )
    }
    checkSource(source)
    checkPanel(panel, ctx.endpoints.adapter(panelId))
  }

  const startIfDue = async (r: BridgeRunner) => {
    if (started && r.settings.enabled && !r.isRunning) await r.start()
  }

  const handlers: Pick<Handlers, BridgeMethods> = {
    async 'bridges.list'() {
      const configs = ctx.configs()
      await Promise.all(configs.map((c) => refreshFromDisk(runnerOf(c))))
      return configs.map(view)
    },

    async 'bridges.add'({ draft }) {
      checkEnds(draft.sourceId, draft.panelId)
      const same = ctx
        .configs()
        .find((b) => b.sourceId === draft.sourceId && b.panelId === draft.panelId)
      if (same) {
        throw new AppErrorException(
          appError(
            'invalid_input',
            `Bridge "${same.name}" already reports this source to this panel (node ${same.nodeId}); a second one would count every byte twice. Change that bridge instead.`,
            { params: { bridgeId: same.id } },
          ),
        )
      }
      const config = BridgeConfigSchema.parse({
        ...draft,
        name: draft.name || defaultName(draft.sourceId, draft.panelId, draft.nodeId),
        id: bridgeIdFor(draft.sourceId, draft.panelId),
        createdAt: (ctx.now ?? Date.now)(),
      })
      await save([...ctx.configs(), config])
      ctx.log.info('bridge add', {
        bridgeId: config.id,
        sourceId: config.sourceId,
        panelId: config.panelId,
        nodeId: config.nodeId,
      })
      await startIfDue(runnerOf(config))
      return { id: config.id }
    },

    async 'bridges.update'({ id, patch }) {
      const old = find(id)
      const given = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined))
      const merged = { ...old, ...given }
      if (!merged.name) merged.name = defaultName(merged.sourceId, merged.panelId, merged.nodeId)
      const next = BridgeConfigSchema.parse(merged)
      await save(ctx.configs().map((b) => (b.id === id ? next : b)))
      const r = runnerOf(next)
      r.updateConfig(next)
      if (!next.enabled && r.isRunning) await r.stop({ state: 'paused' })
      else await startIfDue(r)
      ctx.log.info('bridge update', { bridgeId: id, fields: Object.keys(given) })
      return view(next)
    },

    async 'bridges.remove'({ id, force }) {
      const config = find(id)
      const r = runnerOf(config)
      const paths = bridgePaths(ctx.dataDir, id)
      const wasRunning = r.isRunning
      if (wasRunning) await r.stop()
      const refuse = async (e: AppErrorException): Promise<never> => {
        if (wasRunning) await r.start()
        throw e
      }
      const holder = await lockHolder(paths.lock)
      if (holder) {
        await refuse(
          new AppErrorException(
            appError(
              'invalid_input',
              `Bridge "${config.name}" is running in ${holder.owner} (process ${holder.pid}); stop it there first.`,
            ),
          ),
        )
      }
      const journal = await BridgeJournal.peek(paths.journal)
      const held = journal
        ? {
            pending: Object.values(journal.pending).filter((b) => b.u > 0 || b.d > 0).length,
            unmatched: Object.keys(journal.unmatched).length,
            inflight: journal.inflight ? 1 : 0,
          }
        : { pending: 0, unmatched: 0, inflight: 0 }
      if (!force && (held.pending > 0 || held.unmatched > 0 || held.inflight > 0)) {
        await refuse(
          new AppErrorException(
            appError(
              'invalid_input',
              `Bridge "${config.name}" still holds bytes not reported to the panel (${held.pending} users pending, ${held.unmatched} unmatched, ${held.inflight} batch in flight). Let it report them (map the unmatched users), or remove it with force, knowing those bytes are then never reported.`,
              { params: held },
            ),
          ),
        )
      }
      // Config first: a bridge without its journal would report the source's counters again.
      await save(ctx.configs().filter((b) => b.id !== id))
      runners.delete(id)
      tickListeners.delete(id)
      if (journal) {
        // Kept aside, not deleted: it is the record of what was reported.
        const aside = `${paths.journal}.removed-${new Date().toISOString().replace(/[:.]/g, '-')}`
        await rename(paths.journal, aside).catch(() => unlink(paths.journal).catch(() => undefined))
      }
      ctx.log.info('bridge remove', { bridgeId: id, force, ...held })
      return { ok: true as const }
    },

    async 'bridges.preview'({ sourceId, panelId, nodeId, rule }) {
      checkEnds(sourceId, panelId)
      const [reading, panelUsers] = await Promise.all([
        bridgeSource(ctx.endpoints, sourceId).read(),
        panelOf(panelId).users(nodeId),
      ])
      return previewMapping([...reading.counters.keys()], panelUsers.users, panelUsers.list, rule)
    },

    async 'bridges.runNow'({ id }) {
      const r = runnerOf(find(id))
      return r.runOnce({ waitToVerify: false })
    },

    async 'bridges.setEnabled'({ id, enabled }) {
      const old = find(id)
      const next = { ...old, enabled }
      await save(ctx.configs().map((b) => (b.id === id ? next : b)))
      const r = runnerOf(next)
      r.updateConfig(next)
      if (!enabled && r.isRunning) await r.stop({ state: 'paused' })
      else await startIfDue(r)
      ctx.log.info('bridge setEnabled', { bridgeId: id, enabled })
      return r.status()
    },

    async 'bridges.resolve'({ id, decision }) {
      return runnerOf(find(id)).resolve(decision)
    },
  }

  const host: BridgeHost = {
    async startAll() {
      started = true
      for (const c of ctx.configs()) {
        const r = runnerOf(c)
        await refreshFromDisk(r)
        await startIfDue(r)
      }
    },
    async stopAll() {
      started = false
      await Promise.all([...runners.values()].filter((r) => r.isRunning).map((r) => r.stop()))
    },
    async serverRemoved(serverId) {
      for (const c of ctx.configs()) {
        if (c.sourceId !== serverId && c.panelId !== serverId) continue
        const role = c.sourceId === serverId ? 'source' : 'panel'
        await runnerOf(c).stop({
          state: 'error',
          error: appError(
            'not_found',
            `The ${role} server of bridge "${c.name}" was removed, so the bridge stopped. Remove the bridge, or add a bridge with another ${role}.`,
            { serverId },
          ),
        })
      }
    },
    async run(id, opts) {
      const r = runnerOf(find(id))
      const listeners = tickListeners.get(id) ?? new Set()
      tickListeners.set(id, listeners)
      listeners.add(opts.onTick)
      // The runner's timers do not hold the process open (an app quits without waiting for
      // them); a foreground run must, until it is told to stop.
      const keepAlive = setInterval(() => undefined, 60_000)
      try {
        await r.start({ lockNow: true })
        await new Promise<void>((resolve) => {
          if (opts.signal.aborted) return resolve()
          opts.signal.addEventListener('abort', () => resolve(), { once: true })
        })
        await r.stop()
        return r.status()
      } finally {
        clearInterval(keepAlive)
        listeners.delete(opts.onTick)
      }
    },
    async runOnce(id, opts = {}) {
      const r = runnerOf(find(id))
      const listeners = tickListeners.get(id) ?? new Set()
      tickListeners.set(id, listeners)
      const fn = opts.onTick
      if (fn) listeners.add(fn)
      try {
        return await r.runOnce({ waitToVerify: true, signal: opts.signal })
      } finally {
        if (fn) listeners.delete(fn)
      }
    },
  }

  return { handlers, host }
}
