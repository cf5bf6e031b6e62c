import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import {
  AlertSettingsSchema,
  NoticeSchema,
  type AlertHistoryPage,
  type AlertSettings,
  type Notice,
  type NoticeKind,
} from '../../../shared/contract'
import { readFileIfExists, writeFileAtomic } from '../util/atomic-file'
import { silentLogger, type Logger } from '../util/logger'

/** Alert history entries kept (oldest dropped first). */
export const HISTORY_CAP = 1000
/** The history file is written at most this often (ms): a burst of notices is one write. */
const WRITE_DELAY_MS = 250

const HistoryFileSchema = z.object({ version: z.literal(1), notices: z.array(NoticeSchema) })

/** The files of the alert store inside a data directory. */
export function alertFiles(dataDir: string): { history: string; settings: string } {
  return {
    history: join(dataDir, 'alerts-history.json'),
    settings: join(dataDir, 'alerts-settings.json'),
  }
}

export interface AlertStoreOptions {
  dataDir: string
  /** false: keep everything in memory (CLI one-shots must not write the app's history). */
  persist?: boolean
  cap?: number
  log?: Logger
  now?: () => number
}

/**
 * Reads a JSON file with a schema. A missing file is `null`; a file that is not valid JSON or
 * not valid content is moved aside (`<file>.corrupt-<time>`, kept for the user) and also `null`:
 * a damaged alert file must never stop NodeDeck from starting.
 */
async function readJson<T>(
  path: string,
  schema: z.ZodType<T>,
  log: Logger,
  now: number,
): Promise<T | null> {
  let raw: string | null
  try {
    raw = await readFileIfExists(path)
  } catch (err) {
    log.warn('cannot read alert file', { path, code: (err as NodeJS.ErrnoException).code })
    return null
  }
  if (raw === null) return null
  try {
    const parsed = schema.safeParse(JSON.parse(raw))
    if (parsed.success) return parsed.data
  } catch {
    // Not JSON: handled below like invalid content.
  }
  const aside = `${path}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`
  try {
    await rename(path, aside)
    log.warn('alert file was unreadable; moved aside', { path, aside })
  } catch (err) {
    log.warn('alert file unreadable and cannot be moved', {
      path,
      code: (err as NodeJS.ErrnoException).code,
    })
  }
  return null
}

/**
 * The persisted alert history (newest `cap` notices) and alert settings. Writes are atomic
 * (temp file + rename), coalesced, and one at a time; a failed write is logged and retried with
 * the next change, never thrown at the monitor.
 */
export class AlertStore {
  private notices: Notice[] = []
  private settingsValue: AlertSettings = AlertSettingsSchema.parse({})
  private readonly files: { history: string; settings: string }
  private readonly persist: boolean
  private readonly cap: number
  private readonly log: Logger
  private readonly now: () => number
  private writeTimer: ReturnType<typeof setTimeout> | null = null
  private writing: Promise<void> = Promise.resolve()

  constructor(opts: AlertStoreOptions) {
    this.files = alertFiles(opts.dataDir)
    this.persist = opts.persist ?? true
    this.cap = opts.cap ?? HISTORY_CAP
    this.log = opts.log ?? silentLogger
    this.now = opts.now ?? Date.now
  }

  /** Reads both files (missing or corrupt ones start empty). */
  async load(): Promise<void> {
    const now = this.now()
    const history = await readJson(this.files.history, HistoryFileSchema, this.log, now)
    this.notices = history ? history.notices.slice(-this.cap) : []
    const settings = await readJson(this.files.settings, AlertSettingsSchema, this.log, now)
    this.settingsValue = settings ?? AlertSettingsSchema.parse({})
  }

  get settings(): AlertSettings {
    return this.settingsValue
  }

  /** Replaces the settings and saves them (throws if they cannot be saved). */
  async saveSettings(next: AlertSettings): Promise<void> {
    const valid = AlertSettingsSchema.parse(next)
    if (this.persist) {
      await writeFileAtomic(this.files.settings, JSON.stringify(valid, null, 2) + '\n')
    }
    this.settingsValue = valid
  }

  /** Appends a notice (the oldest goes beyond the cap) and schedules a write. */
  add(notice: Notice): void {
    this.notices.push(notice)
    if (this.notices.length > this.cap) this.notices.splice(0, this.notices.length - this.cap)
    this.scheduleWrite()
  }

  /** The newest notices first (at most `limit`). */
  recent(limit: number): Notice[] {
    return this.notices.slice(-limit).reverse()
  }

  /** One page of the history, newest first, filtered by server (incl. groups) and kinds. */
  page(q: { offset: number; limit: number; serverId?: string; kinds?: NoticeKind[] }) {
    const kinds = q.kinds && q.kinds.length > 0 ? new Set(q.kinds) : null
    const matches = (n: Notice) =>
      (!kinds || kinds.has(n.kind)) &&
      (!q.serverId || n.serverId === q.serverId || (n.serverIds?.includes(q.serverId) ?? false))
    const all: Notice[] = []
    for (let i = this.notices.length - 1; i >= 0; i--) {
      const n = this.notices[i] as Notice
      if (matches(n)) all.push(n)
    }
    const page: AlertHistoryPage = {
      items: all.slice(q.offset, q.offset + q.limit),
      total: all.length,
    }
    return page
  }

  /** Empties the history. */
  clear(): void {
    this.notices = []
    this.scheduleWrite()
  }

  /** Writes what is pending now (the core is stopping). */
  async flush(): Promise<void> {
    if (this.writeTimer) {
      clearTimeout(this.writeTimer)
      this.writeTimer = null
      this.enqueueWrite()
    }
    await this.writing
  }

  private scheduleWrite(): void {
    if (!this.persist || this.writeTimer) return
    this.writeTimer = setTimeout(() => {
      this.writeTimer = null
      this.enqueueWrite()
    }, WRITE_DELAY_MS)
    this.writeTimer.unref?.()
  }

  private enqueueWrite(): void {
    this.writing = this.writing.then(async () => {
      const data = JSON.stringify({ version: 1, notices: this.notices })
      try {
        await writeFileAtomic(this.files.history, data + '\n')
      } catch (err) {
        this.log.warn('cannot save the alert history', {
          code: (err as NodeJS.ErrnoException).code,
        })
      }
    })
  }
}
