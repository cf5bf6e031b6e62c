/**
 * The traffic bridge runner (issue 6): one bridge = a source server (Hysteria 2 or HY2 SCALE), an
 * ss-panel Mu API v2 (`panel`) and a node id. Each tick:
 *
 * 1. reads the source's cumulative per-user counters (a user whose counter is unknown this time
 *    is skipped, never read as 0);
 * 2. reads the panel's users when needed (see below; the node's list, or every user when the panel
 *    lacks that route): they
 *    give the mapping (rule `id`, `email` or `port`) and, for the users of the batch, the counters
 *    journaled right before the send;
 * 3. journals the deltas (`recordReading`, persisted before anything is sent; names without a
 *    panel user wait in `unmatched`);
 * 4. settles a batch whose answer was lost (after `settleSec`, see verify.ts), or waits for an
 *    admin's decision (`needs_attention`);
 * 5. sends one batch (`POST /nodes/{id}/traffic`) and acknowledges it after the panel's success,
 *    or records the failure with whether the panel may have counted it;
 * 6. reports the online count (a failure there is shown, never blocks the traffic).
 *
 * When the panel's user list is read: in every tick that has something to send or verify, or
 * whose reading moved a counter — the counters journaled before a send must be the panel's
 * current ones (verification of a lost answer compares against them), and the Mu API has no
 * per-user read, so a full list right before the send is needed anyway; the same read refreshes
 * the mapping for free. An idle tick skips it unless the last list is older than
 * {@link PANEL_REFRESH_MS} (so new panel users are matched within 5 minutes). Measured against
 * the emulator: the node list of 1,000 users is ~0.7 MB (~0.2 s), of 10,000 users ~7 MB (~0.8 s):
 * once a minute on a busy node, like ss-panel's own nodes poll it, but nothing on an idle one.
 *
 * Failures (source, panel, journal) put the bridge in `error` and the next tick comes after
 * interval × 2^failures, at most 10 minutes (or the interval, if longer); source readings are
 * journaled meanwhile (the panel's last user list serves as the mapping), so nothing waits on the
 * source's memory.
 *
 * Exactly one runner per bridge journal across processes ({@link acquireLock}); one tick in flight
 * at a time; `stop()` cancels the network calls of a tick in flight and waits for its journal
 * writes.
 */
import {
  AppErrorException,
  appError,
  toAppError,
  type AppError,
  type BridgeConfig,
  type BridgeState,
  type BridgeStatus,
} from '../../../shared/contract'
import { muReportApplied } from '../adapters/muapi/client'
import { silentLogger, type Logger } from '../util/logger'
import {
  BridgeJournal,
  type BatchItem,
  type Bytes,
  type DeepReadonly,
  type JournalState,
} from './journal'
import { acquireLock, type HeldLock } from './lock'
import { mapNames, type PanelUser } from './mapping'
import { judgeBatch } from './verify'

export type { PanelUser } from './mapping'

/** Longest wait between ticks of a failing bridge, unless its interval is longer (ms). */
export const MAX_BACKOFF_MS = 10 * 60_000
/** An idle tick re-reads the panel's user list when the last one is older than this (ms). */
export const PANEL_REFRESH_MS = 5 * 60_000

/** One reading of the source. */
export interface SourceReading {
  /** When it was taken (ms). */
  at: number
  /**
   * Cumulative counters per source user name, client view (`up` = client upload → the panel's
   * `u`). Null = unknown this time: skipped, the journal keeps its last counter.
   */
  counters: Map<string, { up: number; down: number } | null>
  /** Source users online now; null when the source does not say. */
  online: number | null
  /**
   * How a counter that went backwards is read (see `ReadingOptions.backwards` in journal.ts):
   * `zero` (default) for counters kept in memory (Hysteria 2), `persisted` for totals the server
   * saves and may reload older after a restart (HY2 SCALE's `traffic_used`).
   */
  backwards?: 'zero' | 'persisted'
}

/** Where the bytes come from. */
export interface BridgeSource {
  readonly serverId: string
  read(signal?: AbortSignal): Promise<SourceReading>
}

/** The panel's users, and which list they come from. */
export interface PanelUsers {
  users: PanelUser[]
  list: 'node' | 'all'
  /** When read (ms). */
  at: number
}

/** Where the bytes go. Failed reports throw with `params.applied` (see `muReportApplied`). */
export interface BridgePanel {
  readonly serverId: string
  /** The node's users (every user when the panel has no node list). */
  users(nodeId: number, signal?: AbortSignal): Promise<PanelUsers>
  /** Every user of the panel. */
  allUsers(signal?: AbortSignal): Promise<PanelUsers>
  report(nodeId: number, items: readonly BatchItem[], signal?: AbortSignal): Promise<void>
  reportOnline(nodeId: number, count: number, signal?: AbortSignal): Promise<void>
}

export interface BridgeRunnerDeps {
  config: BridgeConfig
  /** `<dataDir>/bridges/<id>.json`. */
  journalPath: string
  /** `<dataDir>/bridges/<id>.lock`. */
  lockPath: string
  /** Who runs it, for the lock (`NodeDeck (electron)`, `nodedeck bridge run`). */
  owner: string
  /** The source as configured now; throws (AppErrorException) when it cannot be a source. */
  source(): BridgeSource
  /** The panel as configured now; throws when it cannot be a panel. */
  panel(): BridgePanel
  /** Every status change. */
  onStatus?(status: BridgeStatus): void
  /** After every tick (the CLI prints one line per tick). */
  onTick?(status: BridgeStatus): void
  now?: () => number
  log?: Logger
}

interface Active {
  journal: BridgeJournal
  lock: HeldLock
}

const EMPTY_TOTALS = { users: 0, u: 0, d: 0 }

/** Sums of a journal's state for the status. */
function summarize(s: DeepReadonly<JournalState> | null) {
  if (s === null) {
    return { pending: EMPTY_TOTALS, unmatched: [], inflight: null, acked: { u: 0, d: 0 } }
  }
  const sum = (xs: readonly Readonly<Bytes>[]) =>
    xs.reduce((a, b) => ({ u: a.u + b.u, d: a.d + b.d }), { u: 0, d: 0 })
  const pendingList = Object.values(s.pending).filter((b) => b.u > 0 || b.d > 0)
  const b = s.inflight
  return {
    pending: { users: pendingList.length, ...sum(pendingList) },
    unmatched: Object.entries(s.unmatched)
      .map(([name, v]) => ({ name, u: v.u, d: v.d }))
      .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
    inflight: b
      ? {
          id: b.id,
          attempts: b.attempts,
          outcome: b.outcome,
          users: b.items.length,
          ...sum(b.items),
        }
      : null,
    acked: sum(Object.values(s.acked)),
  }
}

/** A sleep that ends early (resolving) when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const t = setTimeout(done, Math.max(0, ms))
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

/**
 * Runs one bridge. `start()` runs it in the background (app); `runOnce()` runs one tick (CLI
 * `--once`, `bridges.runNow`); both take the bridge's lock while they hold its journal.
 */
export class BridgeRunner {
  private config: BridgeConfig
  private readonly now: () => number
  private readonly log: Logger
  private active: Active | null = null
  /** The journal as last seen (ours, or read from disk while another process runs it). */
  private journalView: DeepReadonly<JournalState> | null = null
  private running = false
  private timer: NodeJS.Timeout | null = null
  private tickPromise: Promise<void> | null = null
  /**
   * Everything that uses the journal (ticks, one-off runs, decisions) runs one at a time, in this
   * chain: two overlapping ticks could both hand out and send the same batch.
   */
  private chain: Promise<void> = Promise.resolve()
  private abort = new AbortController()
  private failures = 0
  private lastPanel: PanelUsers | null = null

  private st: {
    state: BridgeState
    since: number
    lastReadAt: number | null
    nextRunAt: number | null
    error: AppError | null
    online: BridgeStatus['online']
    verifyAfter: number | null
    runner: BridgeStatus['runner']
  }

  constructor(private readonly deps: BridgeRunnerDeps) {
    this.config = deps.config
    this.now = deps.now ?? Date.now
    this.log = deps.log ?? silentLogger
    this.st = {
      state: deps.config.enabled ? 'stopped' : 'paused',
      since: this.now(),
      lastReadAt: null,
      nextRunAt: null,
      error: null,
      online: { count: null, at: null, error: null },
      verifyAfter: null,
      runner: null,
    }
  }

  get id(): string {
    return this.config.id
  }

  get settings(): BridgeConfig {
    return this.config
  }

  /** Whether it runs in the background in this process. */
  get isRunning(): boolean {
    return this.running
  }

  /** The current status. */
  status(): BridgeStatus {
    const j = summarize(this.journalView)
    const att = this.journalView?.inflight?.attention ?? null
    const la = this.journalView?.lastAck ?? null
    const lastReport = la
      ? { batchId: la.batchId, users: la.users, u: la.u, d: la.d, at: Date.parse(la.at) }
      : null
    return {
      bridgeId: this.config.id,
      state: this.st.state,
      since: this.st.since,
      lastReadAt: this.st.lastReadAt,
      lastReportAt: lastReport?.at ?? null,
      lastReport,
      nextRunAt: this.st.nextRunAt,
      error: this.st.error,
      ...j,
      online: { ...this.st.online },
      attention:
        att && this.journalView?.inflight
          ? {
              batchId: this.journalView.inflight.id,
              at: att.at,
              reason: att.reason,
              // A copy: the status leaves the runner (events, JSON), the journal's state must not.
              items: att.items.map((i) => ({
                ...i,
                before: i.before ? { ...i.before } : null,
                after: i.after ? { ...i.after } : null,
              })),
            }
          : null,
      verifyAfter: this.st.verifyAfter,
      runner: this.st.runner,
    }
  }

  /** New settings (same source and panel); a running bridge keeps running with them. */
  updateConfig(config: BridgeConfig): void {
    const intervalChanged = config.intervalSec !== this.config.intervalSec
    this.config = config
    if (!this.running) {
      if (this.st.state === 'paused' || this.st.state === 'stopped') {
        this.setState(config.enabled ? 'stopped' : 'paused')
      }
      return
    }
    if (intervalChanged && this.timer && this.failures === 0) this.schedule(this.intervalMs())
  }

  /**
   * Shows a journal and lock holder read from disk while the bridge is not running here (another
   * process may run it).
   */
  showFromDisk(journal: JournalState | null, holder: { pid: number; owner: string } | null): void {
    if (this.active) return
    this.journalView = journal
    this.st.runner = holder ? { ...holder, self: false } : null
    // `paused` means disabled and run nowhere; run by another process it is `stopped` here.
    if (holder && this.st.state === 'paused') this.st.state = 'stopped'
    else if (!holder && this.st.state === 'stopped' && !this.config.enabled) {
      this.st.state = 'paused'
    }
    this.emit()
  }

  /**
   * Runs in the background until `stop()`: a tick now, then every interval. `lockNow`: take the
   * lock and open the journal first, throwing when another process runs the bridge (the CLI);
   * otherwise a held lock is an `error` state retried with backoff (the app takes over once the
   * other process stops).
   */
  async start(opts: { lockNow?: boolean } = {}): Promise<void> {
    if (this.running) return
    if (opts.lockNow) await this.open()
    this.running = true
    this.abort = new AbortController()
    this.failures = 0
    this.setState('idle', null)
    this.schedule(0)
  }

  /**
   * Stops: no new tick, the network calls of a tick in flight are cancelled and its journal
   * writes awaited, the lock released. `as` is the state shown afterwards.
   */
  async stop(as?: {
    state: 'stopped' | 'paused' | 'error'
    error?: AppError | null
  }): Promise<void> {
    this.running = false
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.abort.abort()
    await this.exclusive(() => this.close())
    this.st.nextRunAt = null
    const state = as?.state ?? (this.config.enabled ? 'stopped' : 'paused')
    this.setState(
      state,
      as?.error !== undefined ? as.error : state === 'error' ? this.st.error : null,
    )
  }

  /**
   * One tick now and its status. Running here: after the tick in flight, if any. Not running:
   * takes the lock, runs one tick and releases it. `waitToVerify`: when a batch whose answer was
   * lost is due for verification later (`settleSec`), wait for that first, so the tick settles it.
   */
  async runOnce(
    opts: { waitToVerify?: boolean; signal?: AbortSignal } = {},
  ): Promise<BridgeStatus> {
    if (this.running) {
      if (this.timer) clearTimeout(this.timer)
      this.timer = null
      await this.runTick()
      if (this.running && !this.timer) this.schedule(this.nextDelay())
      return this.status()
    }
    return this.exclusive(async () => {
      if (this.running) {
        // Started while this waited: the background ticks take over.
        return this.status()
      }
      this.abort = new AbortController()
      const abort = this.abort
      const outer = opts.signal
      if (outer?.aborted) abort.abort()
      const onAbort = () => abort.abort()
      outer?.addEventListener('abort', onAbort, { once: true })
      try {
        await this.open()
        if (opts.waitToVerify) {
          const b = this.active?.journal.inflight()
          if (
            b &&
            b.outcome === 'unknown' &&
            !b.attention &&
            b.before &&
            b.before.attempt === b.attempts
          ) {
            const due = Date.parse(b.before.at) + this.config.settleSec * 1000
            if (due > this.now()) {
              this.st.verifyAfter = due
              this.setState('idle')
              await sleep(due - this.now() + 20, abort.signal)
            }
          }
        }
        if (!abort.signal.aborted) await this.tick(abort.signal)
        return this.status()
      } catch (err) {
        this.fail(toAppError(err))
        return this.status()
      } finally {
        outer?.removeEventListener('abort', onAbort)
        if (!this.running) {
          await this.close()
          if (this.st.state === 'running' || this.st.state === 'idle') {
            this.setState(this.config.enabled ? 'stopped' : 'paused')
          }
        }
      }
    })
  }

  /**
   * The admin's decision on a batch whose outcome is unknown: `applied` acknowledges it, `resend`
   * sends it again as is. Refused when no batch waits for a decision.
   */
  resolve(decision: 'applied' | 'resend'): Promise<BridgeStatus> {
    return this.exclusive(() => this.resolveNow(decision))
  }

  private async resolveNow(decision: 'applied' | 'resend'): Promise<BridgeStatus> {
    const temporary = this.active === null
    if (temporary) await this.open()
    try {
      const j = this.active!.journal
      const b = j.inflight()
      if (!b || b.outcome !== 'unknown') {
        throw new AppErrorException(
          appError(
            'invalid_input',
            `Bridge "${this.config.name}" has no batch waiting for a decision${b ? ` (batch ${b.id} is being sent normally)` : ''}.`,
          ),
        )
      }
      await j.reconcile(b.id, decision === 'applied')
      this.log.info('bridge resolve', { bridgeId: this.config.id, batchId: b.id, decision })
      this.st.verifyAfter = null
      this.st.error = null
      this.refreshView()
      if (this.running) {
        this.setState('idle', null)
        this.schedule(0)
      } else this.setState(this.config.enabled ? 'stopped' : 'paused', null)
      return this.status()
    } finally {
      if (temporary) await this.close()
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  private intervalMs(): number {
    return this.config.intervalSec * 1000
  }

  private backoffMs(): number {
    const base = this.intervalMs()
    return Math.min(Math.max(base, MAX_BACKOFF_MS), base * 2 ** Math.min(this.failures, 10))
  }

  private emit(): void {
    try {
      this.deps.onStatus?.(this.status())
    } catch (err) {
      this.log.error('bridge status listener failed', { error: String(err) })
    }
  }

  private setState(state: BridgeState, error?: AppError | null): void {
    if (state !== this.st.state) this.st.since = this.now()
    this.st.state = state
    if (error !== undefined) this.st.error = error
    this.emit()
  }

  private fail(error: AppError): void {
    this.setState('error', error)
  }

  private refreshView(): void {
    if (this.active) this.journalView = this.active.journal.view()
  }

  private async open(): Promise<void> {
    if (this.active) return
    const lock = await acquireLock(
      this.deps.lockPath,
      `Bridge "${this.config.name}"`,
      this.deps.owner,
    )
    try {
      const journal = await BridgeJournal.open(this.deps.journalPath, {
        now: () => new Date(this.now()),
      })
      this.active = { journal, lock }
      this.st.runner = { pid: lock.info.pid, owner: lock.info.owner, self: true }
      this.refreshView()
    } catch (err) {
      await lock.release()
      throw err
    }
  }

  private async close(): Promise<void> {
    const a = this.active
    if (!a) return
    this.active = null
    this.st.runner = null
    await a.lock.release()
  }

  private schedule(delay: number): void {
    if (this.timer) clearTimeout(this.timer)
    if (!this.running) return
    this.st.nextRunAt = this.now() + delay
    this.timer = setTimeout(() => {
      this.timer = null
      void this.runTick().finally(() => {
        if (this.running && !this.timer) this.schedule(this.nextDelay())
      })
    }, delay)
    this.timer.unref?.()
    this.emit()
  }

  private nextDelay(): number {
    let delay = this.failures > 0 ? this.backoffMs() : this.intervalMs()
    const v = this.st.verifyAfter
    if (v !== null && this.st.state !== 'needs_attention') {
      delay = Math.min(delay, Math.max(0, v - this.now() + 20))
    }
    return delay
  }

  /** One tick in the background: takes the lock if needed (retried while another process has it). */
  private runTick(): Promise<void> {
    if (this.tickPromise) return this.tickPromise
    const p = this.exclusive(async () => {
      if (!this.running) return
      try {
        await this.open()
      } catch (err) {
        this.failures++
        this.fail(toAppError(err))
        return
      }
      await this.tick(this.abort.signal)
    }).finally(() => {
      this.tickPromise = null
    })
    this.tickPromise = p
    return p
  }

  /** Runs `fn` after everything queued before it (see {@link chain}). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn, fn)
    this.chain = p.then(
      () => undefined,
      () => undefined,
    )
    return p
  }

  /** One tick with the journal open. Never throws: failures end up in the status. */
  private async tick(signal: AbortSignal): Promise<void> {
    const journal = this.active?.journal
    if (!journal) return
    const cfg = this.config
    this.st.nextRunAt = null
    this.setState('running')
    let failure: AppError | null = null
    const failed = (err: unknown, serverId?: string): void => {
      failure ??= toAppError(err, serverId)
    }
    let source: BridgeSource | null = null
    let panel: BridgePanel | null = null
    try {
      source = this.deps.source()
    } catch (err) {
      failed(err)
    }
    try {
      panel = this.deps.panel()
    } catch (err) {
      failed(err)
    }
    try {
      // 1. The source.
      let reading: SourceReading | null = null
      if (source) {
        try {
          reading = await source.read(signal)
        } catch (err) {
          failed(err, source.serverId)
        }
      }
      // 2. The panel's users: mapping, and the counters journaled before a send. Skipped on an
      //    idle tick (nothing moved, nothing to send or verify) while the last list is recent.
      const counters = new Map<string, { up: number; down: number }>()
      for (const [name, c] of reading?.counters ?? []) if (c) counters.set(name, c)
      let panelUsers: PanelUsers | null = null
      if (panel && !signal.aborted && this.needsPanel(journal, counters)) {
        try {
          panelUsers = await panel.users(cfg.nodeId, signal)
          this.lastPanel = panelUsers
        } catch (err) {
          failed(err, panel.serverId)
        }
      }
      // 3. Journal the reading (the last known panel users map it while the panel is down).
      if (reading) {
        const users = panelUsers ?? this.lastPanel
        const mapping = users ? mapNames(counters.keys(), users.users, cfg.rule).mapping : new Map()
        // A bridge that starts "from now" takes its first reading as the baseline (nothing of it
        // is reported); every later reading counts from there.
        if (cfg.startFrom === 'now' && journal.isFresh()) await journal.recordBaseline(counters)
        else await journal.recordReading(counters, mapping, { backwards: reading.backwards })
        this.st.lastReadAt = reading.at
        this.refreshView()
        this.emit()
      }
      // 4. A batch whose answer was lost: verify it, wait, or wait for the admin.
      let maySend = panelUsers !== null && panel !== null && !signal.aborted
      if (journal.needsReconcile()) {
        maySend = maySend && (await this.verify(journal, panel, panelUsers, signal, failed))
      } else this.st.verifyAfter = null
      // 5. Send one batch.
      if (maySend && panel && panelUsers) {
        await this.send(journal, panel, panelUsers, signal, failed)
      }
      // 6. The online count: shown when it fails, never blocks the traffic.
      if (cfg.reportOnline && panel && reading && !signal.aborted) {
        await this.reportOnline(panel, reading, source?.serverId)
      }
    } catch (err) {
      // Journal writes (storage) and anything unexpected.
      failed(err)
      this.log.error('bridge tick failed', { bridgeId: cfg.id, error: toAppError(err).message })
    }
    this.refreshView()
    const attention = journal.inflight()?.attention ?? null
    if (attention) {
      this.failures = 0
      const ps = panel?.serverId
      this.setState(
        'needs_attention',
        failure ??
          appError(
            'bad_payload',
            `${attention.reason} Nothing more is sent until you decide: "applied" if the panel counted batch ${journal.inflight()?.id}, "resend" if it did not (nodedeck bridge resolve, or the bridge's panel in the app).`,
            ps ? { serverId: ps } : {},
          ),
      )
    } else if (failure) {
      this.failures++
      this.fail(failure)
    } else {
      this.failures = 0
      this.setState('idle', null)
    }
    try {
      this.deps.onTick?.(this.status())
    } catch (err) {
      this.log.error('bridge tick listener failed', { error: String(err) })
    }
  }

  /**
   * Whether this tick must read the panel's users: something to send or verify, a counter that
   * moved, or a user list older than {@link PANEL_REFRESH_MS} (new panel users get matched).
   */
  private needsPanel(
    journal: BridgeJournal,
    counters: ReadonlyMap<string, { up: number; down: number }>,
  ): boolean {
    const cached = this.lastPanel
    if (!cached || this.now() - cached.at >= PANEL_REFRESH_MS) return true
    const s = journal.snapshot()
    if (s.inflight) return true
    const known = new Set(cached.users.map((u) => u.id))
    if (Object.keys(s.pending).some((id) => known.has(Number(id)))) return true
    for (const [name, c] of counters) {
      const prev = s.last[name]
      if (prev ? c.up !== prev.up || c.down !== prev.down : c.up > 0 || c.down > 0) return true
    }
    return false
  }

  /** Step 4; returns whether sending may go on in this tick. */
  private async verify(
    journal: BridgeJournal,
    panel: BridgePanel | null,
    panelUsers: PanelUsers | null,
    signal: AbortSignal,
    failed: (err: unknown, serverId?: string) => void,
  ): Promise<boolean> {
    const b = journal.inflight()
    if (!b) return true
    if (b.attention) return false
    if (!b.before || b.before.attempt !== b.attempts) {
      // The current attempt was never sent (its counters were not journaled yet): send it again.
      await journal.reconcile(b.id, false)
      this.st.verifyAfter = null
      this.refreshView()
      return true
    }
    const due = Date.parse(b.before.at) + this.config.settleSec * 1000
    this.st.verifyAfter = due
    if (!panel || !panelUsers) return false
    if (panelUsers.at < due) return false
    // The panel's counters of the batch's users now (users gone from the node's list: all users).
    const after = new Map<number, Bytes>(panelUsers.users.map((u) => [u.id, { u: u.u, d: u.d }]))
    if (b.items.some((it) => !after.has(it.userId)) && panelUsers.list === 'node') {
      try {
        const all = await panel.allUsers(signal)
        for (const u of all.users) if (!after.has(u.id)) after.set(u.id, { u: u.u, d: u.d })
      } catch (err) {
        failed(err, panel.serverId)
        return false
      }
    }
    const verdict = judgeBatch(b.items, b.before.users, after, this.config.trafficRate)
    this.log.info('bridge verify', {
      bridgeId: this.config.id,
      batchId: b.id,
      verdict: verdict.kind,
    })
    this.st.verifyAfter = null
    switch (verdict.kind) {
      case 'applied':
        await journal.reconcile(b.id, true)
        break
      case 'not_applied':
        await journal.reconcile(b.id, false)
        break
      case 'partial':
        await journal.settle(b.id, verdict.applied)
        break
      case 'attention':
        await journal.markAttention(b.id, { reason: verdict.reason, items: verdict.items })
        this.refreshView()
        return false
    }
    this.refreshView()
    return true
  }

  /** Step 5. */
  private async send(
    journal: BridgeJournal,
    panel: BridgePanel,
    panelUsers: PanelUsers,
    signal: AbortSignal,
    failed: (err: unknown, serverId?: string) => void,
  ): Promise<void> {
    const byId = new Map(panelUsers.users.map((u) => [u.id, u]))
    const include = (id: number) => byId.has(id)
    let batch = await journal.nextBatch({ include })
    if (batch && batch.items.some((it) => !byId.has(it.userId))) {
      // A batch known not to be applied holds a user the panel no longer lists: sending it would
      // stop ss-panel midway. Its bytes go back to pending and a batch without that user is made.
      await journal.settle(batch.id, [])
      batch = await journal.nextBatch({ include })
    }
    this.refreshView()
    if (!batch) return
    const before = new Map<number, Bytes>()
    for (const it of batch.items) {
      const u = byId.get(it.userId) as PanelUser
      before.set(it.userId, { u: u.u, d: u.d })
    }
    await journal.armSend(batch.id, before)
    this.refreshView()
    this.emit()
    try {
      await panel.report(this.config.nodeId, batch.items, signal)
    } catch (err) {
      const applied = muReportApplied(err) ?? 'unknown'
      await journal.fail(batch.id, applied)
      this.refreshView()
      if (applied === 'unknown') {
        this.st.verifyAfter = this.now() + this.config.settleSec * 1000
      }
      this.log.warn('bridge report failed', {
        bridgeId: this.config.id,
        batchId: batch.id,
        applied,
        error: toAppError(err).message,
      })
      failed(err, panel.serverId)
      return
    }
    await journal.ack(batch.id)
    this.refreshView()
  }

  /** Step 6. */
  private async reportOnline(
    panel: BridgePanel,
    reading: SourceReading,
    sourceId: string | undefined,
  ): Promise<void> {
    if (reading.online === null) {
      this.st.online = {
        count: null,
        at: this.st.online.at,
        error: appError(
          'unsupported',
          'The source does not say which users are online right now, so no online count was reported. It is reported again once the source answers its online list.',
          sourceId ? { serverId: sourceId } : {},
        ),
      }
      return
    }
    try {
      await panel.reportOnline(this.config.nodeId, reading.online, this.abort.signal)
      this.st.online = { count: reading.online, at: this.now(), error: null }
    } catch (err) {
      this.st.online = {
        count: reading.online,
        at: this.st.online.at,
        error: toAppError(err, panel.serverId),
      }
    }
  }
}
