import { runCli } from './cli'

/** Entry of the `nodedeck` binary. */
async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2), {
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
  })
  process.exitCode = code
  // Long-running commands have returned by now; let open handles not keep the CLI alive.
  if (code !== 0 || !['serve', 'demo', 'emulate'].some((c) => process.argv.includes(c))) {
    setTimeout(() => process.exit(code), 50).unref()
  }
}

void main()
