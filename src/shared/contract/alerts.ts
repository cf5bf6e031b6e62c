import { z } from 'zod'
import { NoticeKindSchema, NoticeSchema } from './app'

/** A local time of day, `HH:MM` (24 h). */
export const TimeOfDaySchema = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'A time of day as HH:MM (00:00–23:59).')

/**
 * Quiet hours: notices still go to the history and the in-app centre but raise no popup. The
 * period starts at `start` on each of `days` (0 = Sunday … 6 = Saturday; empty = every day) and
 * ends at the next `end` — past midnight when `end` ≤ `start` (22:00 → 07:00). Local time of the
 * machine running the core.
 */
export const QuietHoursSchema = z.object({
  enabled: z.boolean().default(false),
  start: TimeOfDaySchema.default('22:00'),
  end: TimeOfDaySchema.default('07:00'),
  days: z.array(z.number().int().min(0).max(6)).max(7).default([]),
})
export type QuietHours = z.infer<typeof QuietHoursSchema>

/** Alert preferences, stored in `alerts-settings.json` in the data directory (no secrets). */
export const AlertSettingsSchema = z.object({
  /** Servers whose changes go to the history only, marked muted. */
  mutedServerIds: z.array(z.string().min(1).max(64)).max(10000).default([]),
  quietHours: QuietHoursSchema.default(QuietHoursSchema.parse({})),
})
export type AlertSettings = z.infer<typeof AlertSettingsSchema>

/** One page of the alert history, newest first. */
export const AlertHistoryPageSchema = z.object({
  items: z.array(NoticeSchema),
  /** How many entries match the filter (all pages). */
  total: z.number().int(),
})
export type AlertHistoryPage = z.infer<typeof AlertHistoryPageSchema>

const Ok = z.object({ ok: z.literal(true) })
const NoInput = z.union([z.undefined(), z.null()]).transform(() => undefined)

/** The alert methods (spread into `methods` in index.ts). */
export const alertsMethods = {
  /**
   * The persisted alert history, newest first. `serverId` also matches grouped notices that
   * include the server; `kinds` keeps only those kinds.
   */
  'alerts.history': {
    input: z.object({
      offset: z.number().int().min(0).default(0),
      limit: z.number().int().min(1).max(500).default(50),
      serverId: z.string().min(1).max(64).optional(),
      kinds: z.array(NoticeKindSchema).max(20).optional(),
    }),
    output: AlertHistoryPageSchema,
  },
  /** Empties the alert history. */
  'alerts.clear': { input: NoInput, output: Ok },
  'alerts.settings.get': { input: NoInput, output: AlertSettingsSchema },
  /** A patch: only the keys given change. */
  'alerts.settings.set': {
    input: z.object({
      mutedServerIds: z.array(z.string().min(1).max(64)).max(10000).optional(),
      quietHours: QuietHoursSchema.optional(),
    }),
    output: AlertSettingsSchema,
  },
  /** Mutes or unmutes one server. */
  'alerts.mute': {
    input: z.object({ serverId: z.string().min(1).max(64), muted: z.boolean() }),
    output: AlertSettingsSchema,
  },
} as const

/** The alert events (spread into `events` in index.ts). New alerts arrive as `notice`. */
export const alertsEvents = {
  'alerts.settings.changed': AlertSettingsSchema,
} as const
