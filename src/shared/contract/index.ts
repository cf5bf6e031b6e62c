import { z } from 'zod'
import { AppInfoSchema, LocaleSchema, NoticeSchema, SettingsSchema, ThemeSchema } from './app'
import {
  ServerDraftSchema,
  ServerStatusSchema,
  ServerViewSchema,
  SessionsSnapshotSchema,
  UsersSnapshotSchema,
  HealthStateSchema,
  BaseUrlSchema,
  TlsCertInfoSchema,
} from './servers'
import { AppErrorSchema } from './errors'
import {
  AccountConflictsSchema,
  AccountDraftSchema,
  AccountSchema,
  BulkResultSchema,
  CertIdSchema,
  CertSchema,
  WireGuardPeerConfigSchema,
  WireGuardPeerDraftSchema,
  WireGuardServerDraftSchema,
  WireGuardStateSchema,
} from './facets'
import {
  Hy2ScaleGraphLayoutSchema,
  Hy2ScaleNodePatchSchema,
  Hy2ScaleOverviewSchema,
} from './kinds/hy2scale'
import { hy2scaleNetworkMethods } from './kinds/hy2scale-network'
import { hy2scaleMaintenanceMethods } from './kinds/hy2scale-maintenance'
import { pasarguardEvents, pasarguardMethods } from './kinds/pasarguard'
import { muapiMethods } from './kinds/muapi'
import { wgmonMethods } from './kinds/wgmon'
import { StreamBatchSchema } from './streams'
import { bridgeEvents, bridgeMethods } from './bridge'
import { historyMethods } from './history'
import { fleetEvents, fleetMethods } from './fleet'
import { alertsEvents, alertsMethods } from './alerts'

export * from './errors'
export * from './servers'
export * from './app'
export * from './facets'
export * from './kinds/hy2scale'
export * from './kinds/hy2scale-network'
export * from './kinds/hy2scale-maintenance'
export * from './kinds/pasarguard'
export * from './kinds/muapi'
export * from './kinds/wgmon'
export * from './streams'
export * from './bridge'
export * from './history'
export * from './fleet'
export * from './alerts'

const Id = z.object({ id: z.string().min(1).max(64) })
const ServerRef = z.object({ serverId: z.string().min(1).max(64) })
const Ok = z.object({ ok: z.literal(true) })
const Ids = z.array(z.string().min(1).max(512)).min(1).max(10000)
/** A host name or IP for a WireGuard endpoint (no scheme, no port: the node adds its port). */
const Endpoint = z
  .string()
  .trim()
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]-]*$/, 'A host name or IP address.')
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
  /**
   * Connects to an https URL, reads the certificate it presents and hangs up: no request byte and
   * no secret is sent. The add dialog shows it for trust on first use.
   */
  'servers.probeTls': method(z.object({ url: BaseUrlSchema }), TlsCertInfoSchema),
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

  /** Disconnects sessions by id (HY2 SCALE: the device key; refused again for 60 s). */
  'sessions.kick': method(ServerRef.extend({ ids: Ids }), BulkResultSchema),

  // Managed accounts (facet `accounts`).
  'accounts.list': method(ServerRef, z.array(AccountSchema)),
  'accounts.create': method(ServerRef.extend({ draft: AccountDraftSchema }), Ok),
  /** Edits one account; the core merges with the stored record (the node replaces it whole). */
  'accounts.update': method(
    ServerRef.extend({ id: z.string().min(1), draft: AccountDraftSchema }),
    Ok,
  ),
  'accounts.setEnabled': method(
    ServerRef.extend({ ids: Ids, enabled: z.boolean() }),
    BulkResultSchema,
  ),
  'accounts.resetTraffic': method(ServerRef.extend({ ids: Ids }), BulkResultSchema),
  'accounts.remove': method(ServerRef.extend({ ids: Ids }), BulkResultSchema),
  'accounts.conflicts': method(ServerRef, AccountConflictsSchema),

  // WireGuard (facet `wireguard`).
  'wireguard.get': method(ServerRef, WireGuardStateSchema),
  'wireguard.update': method(ServerRef.extend({ draft: WireGuardServerDraftSchema }), Ok),
  'wireguard.addPeer': method(ServerRef.extend({ draft: WireGuardPeerDraftSchema }), Ok),
  'wireguard.removePeer': method(ServerRef.extend({ name: z.string().min(1) }), Ok),
  /** Explicit reveal: the peer's wg-quick file (with its private key) and its QR code. */
  'wireguard.peerConfig': method(
    ServerRef.extend({ name: z.string().min(1), endpoint: Endpoint.optional() }),
    WireGuardPeerConfigSchema,
  ),
  /** Every peer's .conf in one zip (peers whose private key the node lacks are skipped). */
  'wireguard.exportAll': method(
    ServerRef.extend({ endpoint: Endpoint.optional() }),
    z.object({
      filename: z.string(),
      zipBase64: z.string(),
      count: z.number(),
      skipped: z.array(z.string()),
    }),
  ),

  // Certificates (facet `certificates`).
  'certs.list': method(ServerRef, z.array(CertSchema)),
  'certs.import': method(
    ServerRef.extend({
      id: CertIdSchema,
      name: z.string().max(100).optional(),
      certPem: z.string().min(1).max(262144),
      keyPem: z.string().max(262144).optional(),
    }),
    Ok,
  ),
  'certs.generate': method(
    ServerRef.extend({
      id: CertIdSchema,
      name: z.string().max(100).optional(),
      domains: z.array(z.string().trim().min(1).max(253)).min(1).max(100),
      days: z.number().int().min(1).max(36500).optional(),
    }),
    Ok,
  ),
  'certs.sign': method(
    ServerRef.extend({
      caId: CertIdSchema,
      id: CertIdSchema,
      name: z.string().max(100).optional(),
      cn: z.string().trim().min(1).max(253),
      days: z.number().int().min(1).max(36500).optional(),
    }),
    Ok,
  ),
  /** The PEM text; the private key only when asked for explicitly (`includeKey`). */
  'certs.pem': method(
    ServerRef.extend({ id: CertIdSchema, includeKey: z.boolean() }),
    z.object({ cert: z.string(), key: z.string().nullable() }),
  ),
  'certs.remove': method(ServerRef.extend({ id: CertIdSchema }), Ok),

  // HY2 SCALE node.
  'hy2scale.overview': method(ServerRef, Hy2ScaleOverviewSchema),
  'hy2scale.updateNode': method(ServerRef.extend({ patch: Hy2ScaleNodePatchSchema }), Ok),
  'hy2scale.graphLayout.get': method(ServerRef, Hy2ScaleGraphLayoutSchema),
  'hy2scale.graphLayout.save': method(ServerRef.extend(Hy2ScaleGraphLayoutSchema.shape), Ok),
  ...hy2scaleNetworkMethods,
  ...hy2scaleMaintenanceMethods,
  ...pasarguardMethods,
  ...muapiMethods,
  ...wgmonMethods,
  ...bridgeMethods,
  ...historyMethods,
  ...alertsMethods,
  ...fleetMethods,
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
  /** Frames and state of a live stream; only to connections that watch it (`streams.watch`). */
  'stream.batch': StreamBatchSchema,
  ...pasarguardEvents,
  ...bridgeEvents,
  ...alertsEvents,
  ...fleetEvents,
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
