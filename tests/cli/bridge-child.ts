/**
 * The `nodedeck` CLI as its own process for tests/cli/bridge.test.ts (bundled there with Vite,
 * like the real binary's main.ts): the same `runCli`, with a file-backed credential store named
 * by NODEDECK_TEST_SECRETS so that a process the test kills and the ones after it share secrets.
 */
import { runCli } from '../../src/main/cli/cli'
import { FileCredentialStore } from '../support/file-credential-store'

const path = process.env.NODEDECK_TEST_SECRETS
if (!path) {
  process.stderr.write('bridge-child: NODEDECK_TEST_SECRETS is not set\n')
  process.exit(2)
}
const store = new FileCredentialStore(path)

void runCli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  readStdin: async () => '',
  credentials: () => store,
}).then((code) => {
  process.exitCode = code
  setTimeout(() => process.exit(code), 50).unref()
})
