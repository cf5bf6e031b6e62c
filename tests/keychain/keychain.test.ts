/**
 * The keychain store against a REAL Secret Service (gnome-keyring), no fakes. It needs a D-Bus
 * session with an unlocked gnome-keyring, so it only runs under `bash scripts/test-keychain.sh`,
 * which sets KEYCHAIN=1 (and checks that these tests were not skipped).
 *
 * The failure cases run the store in child `node` processes (Node strips the TypeScript types),
 * because libsecret keeps its first D-Bus connection for the life of a process.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AppError } from '../../src/shared/contract/errors'
import { createKeychainStore } from '../../src/main/core/credentials/keychain-store'
import type { CredentialStore } from '../../src/main/core/credentials/credential-store'

const ENABLED = process.env.KEYCHAIN === '1'
const ROOT = resolve(import.meta.dirname, '../..')
const STORE_URL = pathToFileURL(join(ROOT, 'src/main/core/credentials/keychain-store.ts')).href
const KEYTAR_PATH = join(ROOT, 'node_modules/keytar')
/** A service of its own, so a run on a developer's desktop never touches real NodeDeck secrets. */
const SERVICE = `NodeDeckTest-${process.pid}-${Date.now()}`

const NO_SECRET_SERVICE =
  "The OS keychain is not reachable: no Secret Service is running. Start gnome-keyring or KeePassXC's Secret Service, or log in to a desktop session, then try again. NodeDeck stores secrets nowhere else."

/**
 * Runs a store in a child process: ops as [method, ...args]; writes the results as JSON to the
 * file KC_OUT (not stdout: a D-Bus-activated gnome-keyring-daemon prints to the session's stdout).
 */
const CHILD = `
import { writeFileSync } from 'node:fs'
import { registerHooks } from 'node:module'
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context)
    } catch (err) {
      if (specifier.startsWith('.')) return nextResolve(specifier + '.ts', context)
      throw err
    }
  },
})
const { createKeychainStore } = await import(process.env.KC_STORE_URL)
const store = createKeychainStore({ service: process.env.KC_SERVICE })
const out = []
for (const [op, ...args] of JSON.parse(process.env.KC_OPS)) {
  try {
    out.push({ op, ok: true, value: (await store[op](...args)) ?? null })
  } catch (err) {
    out.push({ op, ok: false, error: err?.appError ?? { code: 'not_app_error', message: String(err) } })
  }
}
writeFileSync(process.env.KC_OUT, JSON.stringify(out))
`

/** Reads one account with raw keytar in a separate process (proof it is in the keyring). */
const RAW_READ = `
const kt = require(process.env.KC_KEYTAR)
kt.getPassword(process.env.KC_SERVICE, process.env.KC_ACCOUNT).then(
  (v) => process.stdout.write(JSON.stringify({ value: v })),
  (e) => process.stdout.write(JSON.stringify({ error: e.message })),
)
`

interface OpResult {
  op: string
  ok: boolean
  value?: unknown
  error?: AppError
}

interface Proc {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<Proc> {
  return new Promise((done, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }))
  })
}

/** An environment with no display and no bus of its own; `extra` adds to it. */
function isolatedEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...extra }
  for (const name of ['DISPLAY', 'WAYLAND_DISPLAY', 'XDG_RUNTIME_DIR']) delete env[name]
  if (extra['DBUS_SESSION_BUS_ADDRESS'] === undefined) delete env['DBUS_SESSION_BUS_ADDRESS']
  return env
}

const NODE_ARGS = [
  '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON',
  '--disable-warning=ExperimentalWarning',
  '--input-type=module',
  '-e',
  CHILD,
]

/**
 * Runs `ops` on a store in a child node process. `prefix` wraps the command, e.g.
 * `['dbus-run-session', '--']`.
 */
async function storeInChild(
  env: NodeJS.ProcessEnv,
  ops: unknown[][],
  prefix: string[] = [],
): Promise<{ proc: Proc; results: OpResult[] }> {
  const outFile = join(scratch, `out-${++outCount}.json`)
  const childEnv = {
    ...env,
    KC_OUT: outFile,
    KC_STORE_URL: STORE_URL,
    KC_SERVICE: SERVICE,
    KC_OPS: JSON.stringify(ops),
  }
  const [cmd, ...args] = [...prefix, process.execPath, ...NODE_ARGS]
  const proc = await run(cmd ?? process.execPath, args, childEnv)
  const context = `exit ${proc.code} signal ${proc.signal}\nstdout: ${proc.stdout}\nstderr: ${proc.stderr}`
  expect(proc.signal, context).toBeNull()
  expect(proc.code, context).toBe(0)
  return { proc, results: JSON.parse(await readFile(outFile, 'utf8')) as OpResult[] }
}

let scratch = ''
let outCount = 0

const CHILD_SECRET = 'child-secret-Zq8w'
const FAILING_OPS = [
  ['get', 'srv1', 'password'],
  ['set', 'srv1', 'password', CHILD_SECRET],
  ['delete', 'srv1', 'password'],
  ['deleteAll', 'srv1'],
  ['check'],
]

/** All a child printed and returned, to look for leaked secrets. */
function everything(proc: Proc, results: OpResult[]): string {
  return `${proc.stdout}\n${proc.stderr}\n${JSON.stringify(results)}`
}

/** Expects every op to fail with AppError keychain of `reason` whose message holds `phrase`. */
function expectAllFail(proc: Proc, results: OpResult[], reason: string, phrase: string): void {
  expect(results.map((r) => r.op)).toEqual(['get', 'set', 'delete', 'deleteAll', 'check'])
  for (const r of results.slice(0, 4)) {
    expect(r.ok, JSON.stringify(r)).toBe(false)
    expect(r.error?.code).toBe('keychain')
    expect(r.error?.serverId).toBe('srv1')
    expect(r.error?.params?.['reason'], JSON.stringify(r.error)).toBe(reason)
    expect(r.error?.message).toContain(phrase)
  }
  const check = results[4]?.value as { ok: boolean; message?: string }
  expect(check.ok).toBe(false)
  expect(check.message).toContain(phrase)
  expect(everything(proc, results)).not.toContain(CHILD_SECRET)
}

describe.skipIf(!ENABLED)('keychain store against a real gnome-keyring', () => {
  let store: CredentialStore

  beforeAll(async () => {
    store = createKeychainStore({ service: SERVICE })
    scratch = await mkdtemp(join(tmpdir(), 'nodedeck-keychain-'))
  })

  afterAll(async () => {
    if (!store) return
    for (const id of ['a', 'ab', 'b', 'uni']) await store.deleteAll(id).catch(() => 0)
    await rm(scratch, { recursive: true, force: true })
  })

  it('runs inside the keychain session set up by scripts/test-keychain.sh', async () => {
    expect(process.env.KEYCHAIN).toBe('1')
    expect(process.env.DBUS_SESSION_BUS_ADDRESS).toBeTruthy()
    // The child-process cases load TypeScript with Node's type stripping and registerHooks.
    const major = Number(process.versions.node.split('.')[0])
    expect(major, 'run through node_modules/.bin (Node 24)').toBeGreaterThanOrEqual(23)
    // The Secret Service on this bus really is gnome-keyring-daemon.
    const owner = await run(
      'dbus-send',
      [
        '--session',
        '--print-reply',
        '--dest=org.freedesktop.DBus',
        '/org/freedesktop/DBus',
        'org.freedesktop.DBus.GetConnectionUnixProcessID',
        'string:org.freedesktop.secrets',
      ],
      process.env,
    )
    expect(owner.code, owner.stderr).toBe(0)
    const pid = /uint32 (\d+)/.exec(owner.stdout)?.[1]
    expect(pid).toBeDefined()
    const comm = await readFile(`/proc/${pid}/comm`, 'utf8')
    expect(comm.trim()).toBe('gnome-keyring-d')
  })

  it('reports itself and checks ok', async () => {
    expect(store.description).toBe('OS keychain (Secret Service)')
    expect(await store.check()).toEqual({ ok: true })
  })

  it('sets, gets, replaces and deletes secrets of two servers', async () => {
    expect(await store.get('a', 'password')).toBeNull()
    await store.set('a', 'password', 'pw-a-1')
    await store.set('a', 'apiKey', 'key-a')
    await store.set('b', 'password', 'pw-b')
    expect(await store.get('a', 'password')).toBe('pw-a-1')
    await store.set('a', 'password', 'pw-a-2')
    expect(await store.get('a', 'password')).toBe('pw-a-2')
    expect(await store.get('a', 'apiKey')).toBe('key-a')
    expect(await store.get('b', 'password')).toBe('pw-b')

    expect(await store.delete('a', 'apiKey')).toBe(true)
    expect(await store.delete('a', 'apiKey')).toBe(false)
    expect(await store.get('a', 'apiKey')).toBeNull()
    expect(await store.get('a', 'password')).toBe('pw-a-2')
  })

  it('keeps the secret in the keyring, where another process can read it', async () => {
    await store.set('b', 'password', 'pw-b-visible')
    const raw = await run(process.execPath, ['-e', RAW_READ], {
      ...process.env,
      KC_KEYTAR: KEYTAR_PATH,
      KC_SERVICE: SERVICE,
      KC_ACCOUNT: 'b:password',
    })
    expect(raw.code, raw.stderr).toBe(0)
    expect(JSON.parse(raw.stdout)).toEqual({ value: 'pw-b-visible' })
  })

  it('deleteAll removes every secret of one server and nothing of the others', async () => {
    await store.set('a', 'password', 'pw-a')
    await store.set('a', 'apiKey', 'key-a')
    await store.set('a', 'token', 'tok-a')
    await store.set('ab', 'password', 'pw-ab')
    await store.set('b', 'password', 'pw-b')
    expect(await store.deleteAll('a')).toBe(3)
    expect(await store.get('a', 'password')).toBeNull()
    expect(await store.get('a', 'apiKey')).toBeNull()
    expect(await store.get('ab', 'password')).toBe('pw-ab')
    expect(await store.get('b', 'password')).toBe('pw-b')
    expect(await store.deleteAll('a')).toBe(0)
    expect(await store.deleteAll('ab')).toBe(1)
    expect(await store.deleteAll('b')).toBe(1)
    expect(await store.get('b', 'password')).toBeNull()
    expect(await store.check()).toEqual({ ok: true })
  })

  it('getAll reads every secret in one call, by server id and key (the probe entry left out)', async () => {
    await store.set('a', 'password', 'pw-a')
    await store.set('a', 'apiKey', 'key-a')
    await store
      .set('b:c', 'password', 'pw-bc') // refused: ids may not hold the separator
      .catch(() => undefined)
    await store.set('b', 'password', 'pw-b')
    expect(await store.check()).toEqual({ ok: true }) // reads the probe account
    const all = await store.getAll!()
    expect(
      Object.fromEntries([...all].map(([id, keys]) => [id, Object.fromEntries(keys)])),
    ).toEqual({
      a: { password: 'pw-a', apiKey: 'key-a' },
      b: { password: 'pw-b' },
    })
    expect(await store.deleteAll('a')).toBe(2)
    expect(await store.deleteAll('b')).toBe(1)
    expect((await store.getAll!()).size).toBe(0)
  })

  it('round-trips unicode and 4 KiB secrets', async () => {
    const unicode = 'pä$$wörd 🔑 密码 пароль \'"\\ tab\tnew\nline'
    await store.set('uni', 'password', unicode)
    expect(await store.get('uni', 'password')).toBe(unicode)

    const long = randomBytes(3072).toString('base64')
    expect(long).toHaveLength(4096)
    await store.set('uni', 'long', long)
    expect(await store.get('uni', 'long')).toBe(long)

    const longUnicode = '密'.repeat(1366) // 4098 bytes of UTF-8
    await store.set('uni', 'longUnicode', longUnicode)
    expect(await store.get('uni', 'longUnicode')).toBe(longUnicode)
    expect(await store.deleteAll('uni')).toBe(3)
  })

  it('serializes concurrent writes to one account', async () => {
    await Promise.all(['v1', 'v2', 'v3', 'v4'].map((v) => store.set('a', 'password', v)))
    expect(await store.get('a', 'password')).toBe('v4')
    expect(await store.delete('a', 'password')).toBe(true)
  })

  describe('when the keychain cannot be used', () => {
    it('DBUS_SESSION_BUS_ADDRESS points to a socket that does not exist', async () => {
      const env = isolatedEnv(scratch, {
        DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(scratch, 'no-such-bus')}`,
      })
      const { proc, results } = await storeInChild(env, FAILING_OPS)
      expectAllFail(proc, results, 'no_bus', 'The OS keychain is not reachable')
      expect(results[0]?.error?.params?.['detail']).toBe(
        'Could not connect: No such file or directory',
      )
      expect(results[0]?.error?.message).toContain('NodeDeck stores secrets nowhere else.')
    })

    it('DBUS_SESSION_BUS_ADDRESS is unset and there is no display', async () => {
      const { proc, results } = await storeInChild(isolatedEnv(scratch), FAILING_OPS)
      expectAllFail(proc, results, 'no_bus', 'The OS keychain is not reachable')
      expect(results[0]?.error?.params?.['detail']).toBe(
        'Cannot autolaunch D-Bus without X11 $DISPLAY',
      )
    })

    it('a session bus runs but no Secret Service is installed on it', async () => {
      const conf = join(scratch, 'bus-without-services.conf')
      await writeFile(
        conf,
        `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=${tmpdir()}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
      )
      const { proc, results } = await storeInChild(isolatedEnv(scratch), FAILING_OPS, [
        'dbus-run-session',
        `--config-file=${conf}`,
        '--',
      ])
      expectAllFail(proc, results, 'no_provider', NO_SECRET_SERVICE)
      expect(results[1]?.error?.message).toBe(
        `Could not save the secret "password" of server "srv1". ${NO_SECRET_SERVICE}`,
      )
    })

    it('gnome-keyring runs but has no default keyring and cannot prompt for one', async () => {
      const home = await mkdtemp(join(scratch, 'fresh-'))
      const { proc, results } = await storeInChild(
        isolatedEnv(home),
        [['set', 'srv1', 'password', CHILD_SECRET]],
        ['dbus-run-session', '--'],
      )
      expect(results[0]?.error?.code).toBe('keychain')
      expect(results[0]?.error?.params?.['reason']).toBe('no_collection')
      expect(results[0]?.error?.message).toContain('no default keyring')
      expect(everything(proc, results)).not.toContain(CHILD_SECRET)
    })

    it('the keyring is locked and cannot be unlocked; deleteAll does not crash', async () => {
      const home = await mkdtemp(join(scratch, 'locked-'))
      // Session 1: create the login keyring (password "pw") holding one secret.
      const unlocked = await storeInChild(
        isolatedEnv(home),
        [['set', 'srv1', 'password', CHILD_SECRET]],
        [
          'dbus-run-session',
          '--',
          'sh',
          '-c',
          'echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$@"',
          'sh',
        ],
      )
      expect(unlocked.results).toEqual([{ op: 'set', ok: true, value: null }])
      // Session 2: gnome-keyring starts on demand with that keyring locked, and its unlock
      // prompt cannot be shown. keytar's findCredentials would SIGSEGV on the locked item.
      const { proc, results } = await storeInChild(
        isolatedEnv(home),
        [
          ['set', 'srv1', 'password', 'new-secret-Xy7'],
          ['deleteAll', 'srv1'],
        ],
        ['dbus-run-session', '--'],
      )
      for (const r of results) {
        expect(r.ok, JSON.stringify(r)).toBe(false)
        expect(r.error?.code).toBe('keychain')
        expect(r.error?.params?.['reason']).toBe('locked')
        expect(r.error?.message).toContain('The OS keychain is locked')
      }
      expect(everything(proc, results)).not.toContain('new-secret-Xy7')
      expect(everything(proc, results)).not.toContain(CHILD_SECRET)
    })
  })
})
