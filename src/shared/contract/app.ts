import { z } from 'zod'
import { LOCALES } from './plain'
import { HealthStateSchema } from './servers'

// Defined without zod (the page's first frame needs them, not the schemas); exported from here too.
export { LOCALES, noticePops } from './plain'

export const LocaleSchema = z.enum(LOCALES)
export type Locale = z.infer<typeof LocaleSchema>

export const ThemeSchema = z.enum(['light', 'dark', 'system'])
export type Theme = z.infer<typeof ThemeSchema>

/** User preferences, stored in the config file (no secrets). */
export const SettingsSchema = z.object({
  /** null = follow the system / browser language. */
  locale: LocaleSchema.nullable().default(null),
  theme: ThemeSchema.default('system'),
})
export type Settings = z.infer<typeof SettingsSchema>

/** What the host can do; the renderer hides what is not there. */
export const HostCapabilitiesSchema = z.object({
  tray: z.boolean(),
  nativeNotifications: z.boolean(),
  saveDialog: z.boolean(),
})
export type HostCapabilities = z.infer<typeof HostCapabilitiesSchema>

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  host: z.enum(['electron', 'browser', 'cli']),
  capabilities: HostCapabilitiesSchema,
  /** Running on the demo fleet with its own data directory. */
  demo: z.boolean(),
  keychain: z.object({ ok: z.boolean(), description: z.string(), message: z.string().nullable() }),
  /** Set when the config file could not be read and was moved aside: the user must know. */
  configProblem: z.string().nullable(),
})
export type AppInfo = z.infer<typeof AppInfoSchema>

/**
 * The kinds of notice. One server: `offline`, `auth_failed`, `tls_failed` (it went down),
 * `recovered` (back up), `degraded`. `group`: several servers changed the same way at once (see
 * `state`, `serverIds`, `group`). `flapping`: the summary of the changes of a server whose
 * notices were rate-limited. `quiet_summary`: what is still down when quiet hours end.
 */
export const NoticeKindSchema = z.enum([
  'offline',
  'recovered',
  'auth_failed',
  'degraded',
  'tls_failed',
  'group',
  'flapping',
  'quiet_summary',
])
export type NoticeKind = z.infer<typeof NoticeKindSchema>

/** A notice raised by the core (offline, recovered, auth failed…) for tray, OS and in-app centre. */
export const NoticeSchema = z.object({
  id: z.string(),
  at: z.number(),
  level: z.enum(['info', 'warning', 'error']),
  kind: NoticeKindSchema,
  /** The server concerned; '' when the notice is about several (`group`, `quiet_summary`). */
  serverId: z.string(),
  serverName: z.string(),
  /** English text; the renderer may localize from kind + params instead. */
  title: z.string(),
  body: z.string(),
  /** The state the notice reports: the new state (single, group) or the state now (flapping). */
  state: HealthStateSchema.optional(),
  /** Every server concerned (group, quiet summary), in the order of their changes. */
  serverIds: z.array(z.string()).optional(),
  /** Their names, same order (capped like the body; `count` has the full number). */
  serverNames: z.array(z.string()).optional(),
  /** group: how many servers; flapping: how many changes were held back. */
  count: z.number().int().optional(),
  /** group: the group with most of the servers ('' = none) and how many of them are in it. */
  group: z.string().optional(),
  groupCount: z.number().int().optional(),
  /** flapping: the rate limit, `limit` notices per `windowMin` minutes. */
  windowMin: z.number().optional(),
  limit: z.number().int().optional(),
  /** The server is muted: kept in the history, no popup. */
  muted: z.boolean().optional(),
  /** Held back by the flap limit: kept in the history, no popup (a summary follows). */
  suppressed: z.boolean().optional(),
  /** Raised during quiet hours: kept in the history and the centre, no popup. */
  quiet: z.boolean().optional(),
})
export type Notice = z.infer<typeof NoticeSchema>
