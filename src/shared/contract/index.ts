import { z } from 'zod'
import { AppInfoSchema, LocaleSchema, NoticeSchema, SettingsSchema, ThemeSchema } from './app'
import {
  ServerDraftSchema,
  ServerStatusSchema,
  ServerViewSchema,
  SessionsSnapshotSchema,
  UsersSnapshotSchema,
  HealthStateSchema,
} from './servers'
import { AppErrorSchema } from './errors'

export * from './errors'
export * from './servers'
export * from './app'

const Id = z.object({ id: z.string().min(1).max(64) })
const ServerRef = z.object({ serverId: z.string().min(1).max(64) })
const Ok = z.object({ ok: z.literal(true) })
/**
 * No input. JSON (the browser host's WebSocket) turns an `undefined` argument into `null`, so
 * both are accepted; handlers see `undefined`.
 */
const NoInput = z.union([z.undefined(), z.null()]).transform(() => undefined)
/** A secret typed by the user; travels renderer → core once, is never sent back. */
const Secret = z.string().max(4096)

/** A method: input and output schemas. */
export interface MethodDef<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I
  output: O
}

function method<I extends z.ZodType, O extends z.ZodType>(input: I, output: O): MethodDef<I, O> {
  return { input, output }
}

/**
 * Every call from a UI (renderer over IPC or WebSocket, CLI in-process) to the core.
 * Names are `domain.verb`. Types are inferred from these schemas, never written twice.
 */
export const methods = {
  'app.info': method(NoInput, AppInfoSchema),
  'settings.get': method(NoInput, SettingsSchema),
  /**
   * A patch: only the keys given change. Not `SettingsSchema.partial()`: in zod 4 the defaults
   * of a partial object still apply, so `{ theme }` would also reset `locale` to its default.
   */
  'settings.set': method(
    z.object({ locale: LocaleSchema.nullable().optional(), theme: ThemeSchema.optional() }),
    SettingsSchema,
  ),

  'servers.list': method(NoInput, z.array(ServerViewSchema)),
  'servers.add': method(z.object({ draft: ServerDraftSchema, secret: Secret.optional() }), Id),
  'servers.update': method(
    z.object({
      id: z.string().min(1).max(64),
      draft: ServerDraftSchema,
      /** undefined = keep the stored secret, '' = delete it, other = replace it. */
      secret: Secret.optional(),
    }),
    ServerViewSchema,
  ),
  'servers.remove': method(Id, Ok),
  /** Probes a server once without saving it (the add dialog's "Test connection"). */
  'servers.test': method(
    z.object({
      draft: ServerDraftSchema,
      secret: Secret.optional(),
      /** When editing: use this server's stored secret if `secret` is undefined. */
      id: z.string().min(1).max(64).optional(),
    }),
    z.object({
      state: HealthStateSchema,
      latencyMs: z.number().nullable(),
      error: AppErrorSchema.nullable(),
    }),
  ),
  /** Probes now instead of waiting for the next poll. */
  'servers.refresh': method(z.object({ id: z.string().min(1).max(64).optional() }), Ok),

  'users.list': method(ServerRef, UsersSnapshotSchema),
  'users.kick': method(
    ServerRef.extend({ users: z.array(z.string().min(1).max(512)).min(1).max(1000) }),
    Ok,
  ),
  'sessions.list': method(ServerRef, SessionsSnapshotSchema),

  /** Live data for one view; the core polls the server faster while anyone watches. */
  'live.watch': method(ServerRef, Ok),
  'live.unwatch': method(ServerRef, Ok),

  'notices.list': method(NoInput, z.array(NoticeSchema)),
} as const

/** Events pushed from the core to every connected UI. Names are `domain.noun`. */
export const events = {
  'server.status': ServerStatusSchema,
  'servers.changed': z.array(ServerViewSchema),
  /** Only sent to connections that watch the server (`live.watch`). */
  'users.snapshot': UsersSnapshotSchema,
  notice: NoticeSchema,
  'settings.changed': SettingsSchema,
  /** The host asks the UI to show a server (tray menu click, notification click). */
  'ui.focusServer': z.object({ serverId: z.string() }),
} as const

export type Methods = typeof methods
export type MethodName = keyof Methods
export type MethodInput<M extends MethodName> = z.input<Methods[M]['input']>
export type MethodParsedInput<M extends MethodName> = z.output<Methods[M]['input']>
export type MethodOutput<M extends MethodName> = z.output<Methods[M]['output']>
export type Events = typeof events
export type EventName = keyof Events
export type EventPayload<E extends EventName> = z.output<Events[E]>

/** True if `name` is a method of the contract. */
export function isMethodName(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(methods, name)
}
