import {
  AlertSettingsSchema,
  noticePops,
  type AlertSettings,
  type HealthState,
  type Notice,
  type ServerStatus,
} from '../../../shared/contract'
import { silentLogger, type Logger } from '../util/logger'
import { AlertRules, type AlertRulesOptions, type AlertServer } from './alert-rules'
import { AlertStore } from './alert-store'

/** Where notices that pop go: native notifications + tray in Electron. */
export interface NotificationSink {
  notify(notice: Notice): void
}

export interface NotifierOptions {
  dataDir: string
  sinks: NotificationSink[]
  /** Every new notice, popping or not (the core broadcasts it as `notice`). */
  emit(notice: Notice): void
  /** The servers now, with their state. */
  servers(): Iterable<AlertServer>
  /** false: history and settings stay in memory (CLI one-shots). */
  persist?: boolean
  log?: Logger
  now?: () => number
  /** Rule tuning (tests, bench). */
  rules?: Pick<
    AlertRulesOptions,
    'groupWindowMs' | 'groupMin' | 'flapWindowMs' | 'flapMax' | 'listCap' | 'quietCheckMs'
  >
}

/**
 * The alerts of the core: the rules (alert-rules.ts) turn confirmed state changes into notices;
 * each goes to the persisted history, to every UI (`emit`), and — unless muted, held back by the
 * flap limit or raised in quiet hours — to the native sinks. Create with {@link Notifier.open}.
 */
export class Notifier {
  private readonly rules: AlertRules

  private constructor(
    private readonly opts: NotifierOptions,
    private readonly store: AlertStore,
  ) {
    this.rules = new AlertRules({
      ...opts.rules,
      now: opts.now,
      settings: () => this.store.settings,
      servers: opts.servers,
      deliver: (n) => this.deliver(n),
    })
  }

  /** Loads history and settings (damaged files are moved aside) and starts the rules. */
  static async open(opts: NotifierOptions): Promise<Notifier> {
    const store = new AlertStore({
      dataDir: opts.dataDir,
      persist: opts.persist,
      log: opts.log,
      now: opts.now,
    })
    await store.load()
    return new Notifier(opts, store)
  }

  /** The newest notices first (the in-app centre's first load). */
  list(limit = 200): Notice[] {
    return this.store.recent(limit)
  }

  /** The history store (paging, clearing). */
  get history(): AlertStore {
    return this.store
  }

  get settings(): AlertSettings {
    return this.store.settings
  }

  /** Applies a settings patch, saves it and returns the new settings. */
  async updateSettings(patch: Partial<AlertSettings>): Promise<AlertSettings> {
    const next = AlertSettingsSchema.parse({ ...this.store.settings, ...patch })
    next.mutedServerIds = [...new Set(next.mutedServerIds)]
    await this.store.saveSettings(next)
    this.rules.settingsChanged()
    return next
  }

  /** Call on every confirmed state change. */
  onChange(status: ServerStatus, from: HealthState, server: Omit<AlertServer, 'state'>): void {
    this.rules.onChange(status, from, server)
  }

  /** Sends notices still waiting for their group window and writes the history. */
  async close(): Promise<void> {
    this.rules.dispose()
    await this.store.flush()
  }

  private deliver(notice: Notice): void {
    this.store.add(notice)
    try {
      this.opts.emit(notice)
    } catch (err) {
      ;(this.opts.log ?? silentLogger).error('notice delivery failed', { error: String(err) })
    }
    if (!noticePops(notice)) return
    for (const sink of this.opts.sinks) {
      try {
        sink.notify(notice)
      } catch {
        // A sink that fails (no notification daemon) must not stop monitoring.
      }
    }
  }
}
