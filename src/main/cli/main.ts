import { existsSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { startEarlyHost, type EarlyHost } from './early-host'

/** Longest the core waits for the page that draws the servers preview to connect. */
const PAGE_FIRST_CAP_MS = 3000

/**
 * Entry of the `nodedeck` binary. `serve`/`demo` bind the browser host's static side and print
 * its address first (early-host.ts); the CLI itself, with the core, is loaded after that.
 */
async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const early = await startEarlyHost(argv, process.env, (s) => process.stdout.write(s))
  if (early) {
    // The preview is read in a worker thread from now on, while this thread serves the page.
    const preview = await startPreview(early)
    // Loading a module blocks the event loop for a long while. A browser that opens the address
    // now first gets the page and its assets (or 150 ms pass without a request: no browser came;
    // once it has the page, up to 1.5 s for its scripts), then evaluates them while the core
    // loads. Loaded piece by piece, with a turn in between, later requests are answered
    // meanwhile instead of after all of it.
    await early.host.whenQuiet(150, 1500)
    if (preview === 'here') {
      await import('../../shared/contract')
      await previewHere(early)
    }
    // On a machine with one or two cores, the page and the core compete for them: a page with
    // the preview draws it first (it needs no core for that) and then connects, and the core
    // loads then (bench B5); this thread meanwhile answers the page's requests (the preview)
    // at once. Never longer than PAGE_FIRST_CAP_MS; with more cores, both at once.
    if (preview && availableParallelism() <= 2) {
      await early.host.whenPageConnects(PAGE_FIRST_CAP_MS)
    }
    await nextTurn()
    await import('../../shared/contract')
    await nextTurn()
    await import('../core/create-core')
    await nextTurn()
  }
  const { runCli } = await import('./cli')
  const code = await runCli(argv, {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env: process.env,
    readStdin: async () => {
      if (process.stdin.isTTY) {
        process.stderr.write('Secret (input is read until end of file, Ctrl+D): ')
      }
      const chunks: Buffer[] = []
      for await (const c of process.stdin) chunks.push(c as Buffer)
      return Buffer.concat(chunks).toString('utf8')
    },
    ...(early ? { listening: early.host } : {}),
  })
  process.exitCode = code
  // Long-running commands have returned by now; let open handles not keep the CLI alive.
  if (code !== 0 || !['serve', 'demo', 'emulate'].some((c) => process.argv.includes(c))) {
    setTimeout(() => process.exit(code), 50).unref()
  }
}

/**
 * `serve`: the page may draw the fleet from the config file while the core loads (the servers
 * preview, shared/preview.ts); `demo` has none (its fleet is made by the core). The preview is
 * checked by the core's own schema, whose module takes a while to load: it is read in a worker
 * thread (`preview-worker.js` beside this bundle), started now, so it is ready about when the
 * page asks. Without that script (run from the sources), it is read here once the contract is
 * loaded ('here'). False: no preview.
 */
async function startPreview(early: EarlyHost): Promise<boolean | 'here'> {
  if (early.args.command !== 'serve') {
    early.host.setPreview(null)
    return false
  }
  const { defaultDataDir } = await import('../core/util/paths')
  const dataDir = early.args.dataDir ?? defaultDataDir(process.env)
  const script = typeof __dirname === 'string' ? join(__dirname, 'preview-worker.js') : null
  if (!script || !existsSync(script)) return 'here'
  const list = new Promise<unknown>((ok) => {
    const worker = new Worker(script, { workerData: { dataDir } })
    worker.once('message', ok)
    worker.once('error', () => ok(null))
    worker.once('exit', () => ok(null))
  })
  early.host.setPreview(() => list)
  return true
}

/** The preview read on this thread (no worker script): once the contract is loaded. */
async function previewHere(early: EarlyHost): Promise<void> {
  const [{ readServersPreview }, { defaultDataDir }] = await Promise.all([
    import('../browser-host/preview'),
    import('../core/util/paths'),
  ])
  const dataDir = early.args.dataDir ?? defaultDataDir(process.env)
  early.host.setPreview(() => readServersPreview(dataDir))
}

/** Resolves after pending I/O callbacks (a request that came in meanwhile) have run. */
function nextTurn(): Promise<void> {
  return new Promise((ok) => setImmediate(ok))
}

void main()
