import type { ServerView } from '../../shared/contract'
import { unknownStatus } from '../../shared/contract/plain'
import { ConfigFileSchema, configPath } from '../core/fleet/config-store'
import { readFileIfExists } from '../core/util/atomic-file'

/**
 * The servers preview (`shared/preview.ts`) of a data directory: the config file's servers as
 * the core's `servers.list` gives them before it has read the keychain or probed anything. The
 * file is only read, with the core's own schema: a file the core would refuse, move aside or
 * not read at all (another version) gives no preview (null), and the core says why once it is
 * up. No config file yet: an empty fleet, as the core starts with.
 */
export async function readServersPreview(
  dataDir: string,
  now = Date.now(),
): Promise<ServerView[] | null> {
  let raw: string | null
  try {
    raw = await readFileIfExists(configPath(dataDir))
  } catch {
    return null
  }
  if (raw === null) return []
  let json: unknown
  try {
    json = JSON.parse(raw)
  } catch {
    return null
  }
  const parsed = ConfigFileSchema.safeParse(json)
  if (!parsed.success) return null
  return parsed.data.servers.map((s) => ({
    ...s,
    hasSecret: null,
    certExpiry: null,
    status: unknownStatus(s.id, now),
  }))
}
