import { homedir } from 'node:os'
import { join } from 'node:path'

/**
 * NodeDeck's data directory, the same one Electron's `app.getPath('userData')` gives for the
 * product name "NodeDeck", so the CLI, the browser host and the desktop app share one fleet.
 * `NODEDECK_DATA_DIR` overrides it.
 */
export function defaultDataDir(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform,
): string {
  if (env.NODEDECK_DATA_DIR) return env.NODEDECK_DATA_DIR
  if (platform === 'win32')
    return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'NodeDeck')
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'NodeDeck')
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'NodeDeck')
}
