import { z } from 'zod'

export const LOCALES = ['en-US', 'zh-CN'] as const
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

/** A notice raised by the core (offline, recovered, auth failed) for tray, OS and in-app centre. */
export const NoticeSchema = z.object({
  id: z.string(),
  at: z.number(),
  level: z.enum(['info', 'warning', 'error']),
  kind: z.enum(['offline', 'recovered', 'auth_failed', 'degraded']),
  serverId: z.string(),
  serverName: z.string(),
  /** English text; the renderer may localize from kind + params instead. */
  title: z.string(),
  body: z.string(),
})
export type Notice = z.infer<typeof NoticeSchema>
