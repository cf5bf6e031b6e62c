import { z } from 'zod'
import { StreamRefSchema } from '../streams'

/**
 * HY2 SCALE maintenance (apis.md §2: settings/ui, password, backup/restore, build info, arch,
 * upgrade) and the live-stream methods. Methods are plain `{input, output}` objects: importing
 * `method()` from `../index` would make an import cycle.
 */

const ServerRef = z.object({ serverId: z.string().min(1).max(64) })
const Ok = z.object({ ok: z.literal(true) })
/** A secret typed by the user; travels renderer → core once, is never sent back. */
const Secret = z.string().max(4096)

/** The node refuses a restore above 50 MB (apis.md §2). */
export const HY2SCALE_RESTORE_MAX_BYTES = 50 * 1024 * 1024

/** The node's web UI settings NodeDeck edits (`GET /api/settings/ui`). */
export const Hy2ScaleUiSettingsSchema = z.object({
  /** Web UI listen address, e.g. `0.0.0.0:5565` (applies after a restart). */
  listen: z.string(),
  /** Web UI base path, e.g. `/scale` (applies after a restart). */
  basePath: z.string(),
  /** Upstream DNS servers, comma-separated. */
  dns: z.string(),
  forceHttps: z.boolean(),
  httpsCertId: z.string(),
  /** Admin session lifetime (hours). */
  sessionTimeoutH: z.number(),
})
export type Hy2ScaleUiSettings = z.infer<typeof Hy2ScaleUiSettingsSchema>

/** A patch of {@link Hy2ScaleUiSettingsSchema}: only the keys given change. */
export const Hy2ScaleUiSettingsPatchSchema = z.object({
  listen: z.string().trim().max(512).optional(),
  basePath: z.string().trim().max(256).optional(),
  dns: z.string().trim().max(1024).optional(),
  forceHttps: z.boolean().optional(),
  httpsCertId: z.string().trim().max(128).optional(),
  sessionTimeoutH: z.number().int().min(1).max(8760).optional(),
})
export type Hy2ScaleUiSettingsPatch = z.infer<typeof Hy2ScaleUiSettingsPatchSchema>

export const Hy2ScaleBuildInfoSchema = z.object({
  version: z.string(),
  license: z.string(),
  repository: z.string(),
  goDepsCount: z.number().int().min(0),
  natives: z.array(
    z.object({ name: z.string(), version: z.string(), license: z.string(), source: z.string() }),
  ),
})
export type Hy2ScaleBuildInfo = z.infer<typeof Hy2ScaleBuildInfoSchema>

export const Hy2ScaleArchSchema = z.object({
  os: z.string(),
  arch: z.string(),
  version: z.string(),
  binary: z.string(),
  inDocker: z.boolean(),
})
export type Hy2ScaleArch = z.infer<typeof Hy2ScaleArchSchema>

export const Hy2ScaleUpgradeCheckSchema = z.object({
  current: z.string(),
  latest: z.string(),
  asset: z.string(),
  downloadUrl: z.string(),
  size: z.number(),
  updateAvailable: z.boolean(),
})
export type Hy2ScaleUpgradeCheck = z.infer<typeof Hy2ScaleUpgradeCheckSchema>

/** The node's upgrade progress (`GET /api/upgrade/status`; the `upgrade` stream's frames). */
export const Hy2ScaleUpgradeStatusSchema = z.object({
  /** idle | checking | downloading | ready | applying | error (kept a string for newer nodes). */
  state: z.string(),
  current: z.string(),
  latest: z.string(),
  asset: z.string(),
  /** 0–100 */
  progress: z.number(),
  bytesDone: z.number(),
  bytesTotal: z.number(),
  error: z.string().nullable(),
})
export type Hy2ScaleUpgradeStatus = z.infer<typeof Hy2ScaleUpgradeStatusSchema>

/** The wire form of an `upgrade` stream frame (snake_case, as the node sends it). */
export const Hy2ScaleUpgradeFrameSchema = z
  .object({
    state: z.string(),
    current: z.string().optional(),
    latest: z.string().optional(),
    asset: z.string().optional(),
    progress: z.number().optional(),
    bytes_done: z.number().optional(),
    bytes_total: z.number().optional(),
    error: z.string().optional(),
  })
  .loose()

/** The methods of this area, spread into the contract's `methods`. */
export const hy2scaleMaintenanceMethods = {
  /** Subscribes this connection to a live stream of a server (`stream.batch` events). */
  'streams.watch': { input: StreamRefSchema, output: Ok },
  'streams.unwatch': { input: StreamRefSchema, output: Ok },

  'hy2scale.settings.get': { input: ServerRef, output: Hy2ScaleUiSettingsSchema },
  /** `note` is the node's answer (listen / base path / TLS changes need a restart). */
  'hy2scale.settings.save': {
    input: ServerRef.extend({ patch: Hy2ScaleUiSettingsPatchSchema }),
    output: z.object({ note: z.string(), restartRequired: z.boolean() }),
  },
  /**
   * Changes the admin login on the node and stores the new one in the keychain, so NodeDeck keeps
   * monitoring the node. The password goes in; nothing secret comes back.
   */
  'hy2scale.changePassword': {
    input: ServerRef.extend({
      currentPassword: Secret.min(1),
      newPassword: Secret.min(1),
      newUsername: z.string().trim().min(1).max(128).optional(),
    }),
    output: z.object({ ok: z.literal(true), loggedIn: z.boolean() }),
  },
  /** The node's data dir as a tar (it holds every password and TLS key of the node). */
  'hy2scale.backup': {
    input: ServerRef,
    output: z.object({ filename: z.string(), tarBase64: z.string(), size: z.number() }),
  },
  /** Restores a backup tar (≤ 50 MB); the node restarts right after and every session ends. */
  'hy2scale.restore': {
    input: ServerRef.extend({
      tarBase64: z
        .string()
        .min(1)
        .max(Math.ceil(HY2SCALE_RESTORE_MAX_BYTES / 3) * 4 + 4),
    }),
    output: z.object({ message: z.string() }),
  },
  'hy2scale.buildInfo': { input: ServerRef, output: Hy2ScaleBuildInfoSchema },
  'hy2scale.arch': { input: ServerRef, output: Hy2ScaleArchSchema },
  'hy2scale.upgrade.check': { input: ServerRef, output: Hy2ScaleUpgradeCheckSchema },
  'hy2scale.upgrade.download': { input: ServerRef, output: Hy2ScaleUpgradeStatusSchema },
  'hy2scale.upgrade.status': { input: ServerRef, output: Hy2ScaleUpgradeStatusSchema },
  /** The node installs the downloaded version and restarts. */
  'hy2scale.upgrade.apply': { input: ServerRef, output: z.object({ message: z.string() }) },
} as const
