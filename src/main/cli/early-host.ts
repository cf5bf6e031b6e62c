import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { listenStaticHost, type StaticHost } from '../browser-host/static-host'

/**
 * Cold start of `nodedeck serve` / `demo` (bench B5). Loading the CLI and the core (commander,
 * zod and every contract schema, undici, the adapters) takes a few hundred ms, the page needs
 * about as long to load and evaluate its bundle, and it needs the core only once it opens its
 * WebSocket. So the entry binds the static host and prints the address before it loads anything
 * else; the command then attaches the core to that host (`CliIo.listening`), and the page's
 * WebSocket, if it came first, is answered then. This file must import `node:*` modules only.
 */

declare const __dirname: string | undefined

/** The command line, as far as the early start understands it. */
export interface EarlyServeArgs {
  command: 'serve' | 'demo'
  port: number
  json: boolean
  /** `--data-dir`, when given. */
  dataDir?: string
}

/** Options (with their value) `serve` and `demo` take; the early start reads only some. */
const VALUE_OPTIONS: Record<EarlyServeArgs['command'], readonly string[]> = {
  serve: ['--port', '--data-dir', '--metrics-token-file'],
  demo: ['--port', '--data-dir'],
}

/**
 * `serve`/`demo` command lines the early start handles. Anything else (another command, help,
 * an unknown or malformed option) returns null and takes the ordinary path, where commander
 * parses it and reports errors as usual.
 */
export function earlyServeArgs(argv: readonly string[]): EarlyServeArgs | null {
  const command = argv.find((a) => a === 'serve' || a === 'demo')
  if (command !== 'serve' && command !== 'demo') return null
  let port = 0
  let json = false
  let dataDir: string | undefined
  let commands = 0
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? ''
    if (arg === command) {
      commands++
      continue
    }
    if (arg === '--json') {
      json = true
      continue
    }
    const eq = arg.indexOf('=')
    const name = eq > 0 ? arg.slice(0, eq) : arg
    if (!VALUE_OPTIONS[command].includes(name)) return null
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i]
    if (value === undefined || value === '') return null
    if (name === '--port') {
      port = Number(value)
      if (!Number.isInteger(port) || port < 0 || port > 65535) return null
    }
    if (name === '--data-dir') dataDir = value
  }
  if (commands !== 1) return null
  return dataDir === undefined ? { command, port, json } : { command, port, json, dataDir }
}

/** Where the built renderer is: NODEDECK_WEB_ROOT, next to the built CLI (`out/web`), or cwd's. */
export function findWebRoot(env: NodeJS.ProcessEnv): string | undefined {
  const candidates = [
    env.NODEDECK_WEB_ROOT,
    typeof __dirname === 'string' ? join(__dirname, '..', 'web') : undefined,
    join(process.cwd(), 'out', 'web'),
  ].filter((p): p is string => typeof p === 'string')
  for (const c of candidates) if (existsSync(join(c, 'index.html'))) return resolve(c)
  return undefined
}

/** What `serve`/`demo` print once listening: one JSON line, or the address for people. */
export function announcement(
  info: { url: string; openUrl: string },
  demo: boolean,
  json: boolean,
): string {
  if (json) return JSON.stringify({ url: info.url, openUrl: info.openUrl, demo }) + '\n'
  return `NodeDeck ${demo ? 'demo fleet ' : ''}is running in browser mode.\nOpen this address in your browser (it carries this launch's access token):\n\n  ${info.openUrl}\n\nPress Ctrl+C to stop.\n`
}

/** A static host bound and announced before the CLI loaded. */
export interface EarlyHost {
  host: StaticHost
  args: EarlyServeArgs
}

/**
 * Binds the browser host's static side and prints its address, for a `serve`/`demo` command
 * line; null (nothing printed) for any other, or when the renderer is not built or the port
 * cannot be bound (the ordinary path then reports that).
 */
export async function startEarlyHost(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  write: (text: string) => void,
): Promise<EarlyHost | null> {
  const args = earlyServeArgs(argv)
  const webRoot = args ? findWebRoot(env) : undefined
  if (!args || webRoot === undefined) return null
  let host: StaticHost
  try {
    host = await listenStaticHost({ webRoot, port: args.port })
  } catch {
    return null
  }
  write(announcement(host, args.command === 'demo', args.json))
  return { host, args }
}
