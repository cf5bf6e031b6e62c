import { startEarlyHost } from './early-host'

/**
 * Entry of the `nodedeck` binary. `serve`/`demo` bind the browser host's static side and print
 * its address first (early-host.ts); the CLI itself, with the core, is loaded after that.
 */
async function main(): Promise<void> {
  const argv = process.argv.slice(2)
  const early = await startEarlyHost(argv, process.env, (s) => process.stdout.write(s))
  if (early) {
    // Loading a module blocks the event loop for a long while. A browser that opens the address
    // now first gets the page and its assets (or 150 ms pass without a request: no browser came,
    // or it had them cached), then evaluates them while the core loads. Loaded piece by piece,
    // with a turn in between, later requests are answered meanwhile instead of after all of it.
    await early.host.whenQuiet(150)
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

/** Resolves after pending I/O callbacks (a request that came in meanwhile) have run. */
function nextTurn(): Promise<void> {
  return new Promise((ok) => setImmediate(ok))
}

void main()
