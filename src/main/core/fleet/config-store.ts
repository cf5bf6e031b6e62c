import { rename } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import {
  BridgeConfigSchema,
  ServerConfigSchema,
  SettingsSchema,
  fail,
} from '../../../shared/contract'
import { readFileIfExists, writeFileAtomic } from '../util/atomic-file'

/** Current version of the config file format. */
export const CONFIG_VERSION = 1

/** The config file: servers (no secrets, ever), preferences and traffic bridges. */
export const ConfigFileSchema = z.object({
  version: z.literal(CONFIG_VERSION),
  servers: z.array(ServerConfigSchema),
  settings: SettingsSchema,
  /** Traffic bridges (issue 6); absent in files written before them. */
  bridges: z.array(BridgeConfigSchema).default([]),
})
export type ConfigFile = z.infer<typeof ConfigFileSchema>

/** The result of loading: the config, and a problem the user must be told about, if any. */
export interface LoadedConfig {
  config: ConfigFile
  /** Set when the file was unreadable and moved aside (path included). */
  problem: string | null
}

/** Where NodeDeck keeps its config inside a data directory. */
export function configPath(dataDir: string): string {
  return join(dataDir, 'config.json')
}

/** An empty config. */
export function emptyConfig(): ConfigFile {
  return { version: CONFIG_VERSION, servers: [], settings: SettingsSchema.parse({}), bridges: [] }
}

/**
 * Loads the config. A file that is not valid JSON or not a valid config is never silently
 * reset: it is renamed to `config.json.corrupt-<time>` and the problem is reported, so the user
 * can recover it; NodeDeck then starts with an empty fleet. A newer version is refused (the file
 * is left alone) so an older NodeDeck never destroys data written by a newer one.
 */
export async function loadConfig(dataDir: string, now = Date.now()): Promise<LoadedConfig> {
  const path = configPath(dataDir)
  let raw: string | null
  try {
    raw = await readFileIfExists(path)
  } catch (err) {
    fail(
      'storage',
      `Cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'}). Check its permissions.`,
    )
  }
  if (raw === null) return { config: emptyConfig(), problem: null }
  let json: unknown
  let reason: string
  try {
    json = JSON.parse(raw)
    const version = (json as { version?: unknown } | null)?.version
    if (typeof version === 'number' && version > CONFIG_VERSION) {
      fail(
        'storage',
        `${path} was written by a newer NodeDeck (format ${version}); this version reads format ${CONFIG_VERSION}. Update NodeDeck.`,
      )
    }
    const parsed = ConfigFileSchema.safeParse(json)
    if (parsed.success) return { config: parsed.data, problem: null }
    const issue = parsed.error.issues[0]
    reason = `invalid content at ${issue?.path.join('.') || 'top level'}: ${issue?.message ?? ''}`
  } catch (err) {
    if (err instanceof SyntaxError) reason = 'not valid JSON'
    else throw err
  }
  const aside = `${path}.corrupt-${new Date(now).toISOString().replace(/[:.]/g, '-')}`
  await rename(path, aside)
  return {
    config: emptyConfig(),
    problem: `The configuration file was unreadable (${reason}). It was moved to ${aside} and NodeDeck started with an empty server list. Secrets are still in the keychain; re-add the servers or repair the file and restart.`,
  }
}

/** Saves atomically (temp file, fsync, rename), mode 0600. */
export async function saveConfig(dataDir: string, config: ConfigFile): Promise<void> {
  const valid = ConfigFileSchema.parse(config)
  await writeFileAtomic(configPath(dataDir), JSON.stringify(valid, null, 2) + '\n')
}
