/**
 * The `nodedeck` CLI run in-process through `runCli(argv, io)`: a temporary `--data-dir`, an
 * in-memory credential store, Hysteria 2 emulators as servers. The `--json` shapes are a public
 * interface (README, "The CLI").
 */
import { afterEach, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { runCli, type CliIo } from '../../src/main/cli/cli'
import { FakeCredentialStore } from '../../src/main/core/testing/fake-credential-store'
import { AppErrorSchema } from '../../src/shared/contract'
import { startHysteria2Emulator, type Hysteria2Emulator } from '../../emulators/hysteria2/server'

const ROOT = resolve(import.meta.dirname, '../..')
const SECRET = 'S3cr3t-only-in-the-keychain'
const SECRET_KEY = 'secret'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** One test's world: a data dir, a credential store, and a `nodedeck` to run in it. */
function world() {
  const dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-cli-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const store = new FakeCredentialStore()
  const outputs: string[] = []

  async function run(
    argv: string[],
    opts: { stdin?: string; env?: Record<string, string>; dataDirFlag?: boolean } = {},
  ): Promise<Run> {
    let stdout = ''
    let stderr = ''
    let stdinReads = 0
    const io: CliIo = {
      stdout: (t) => {
        stdout += t
      },
      stderr: (t) => {
        stderr += t
      },
      readStdin: async () => {
        stdinReads++
        return opts.stdin ?? ''
      },
      env: { ...opts.env },
      credentials: () => store,
    }
    const code = await runCli(
      opts.dataDirFlag === false ? argv : ['--data-dir', dataDir, ...argv],
      io,
    )
    // stdin is read only when asked for (never blocks a script that did not pipe anything).
    if (!argv.includes('--secret-stdin')) expect(stdinReads).toBe(0)
    outputs.push(stdout, stderr)
    return { code, stdout, stderr }
  }

  /** Every byte NodeDeck wrote in the data dir. */
  function dataDirText(): string {
    const walk = (dir: string): string =>
      readdirSync(dir)
        .map((n) => {
          const p = join(dir, n)
          return statSync(p).isDirectory() ? walk(p) : readFileSync(p, 'utf8')
        })
        .join('\n')
    return walk(dataDir)
  }

  /** Asserts a secret appears nowhere but in the store: not on disk, not in any output so far. */
  function expectSecretOnlyInStore(secret: string): void {
    expect(dataDirText()).not.toContain(secret)
    for (const o of outputs) expect(o).not.toContain(secret)
  }

  /** `servers add` of a Hysteria 2 server; returns its id. */
  async function add(name: string, url: string, secret: string | null = SECRET): Promise<string> {
    const r =
      secret === null
        ? await run([
            'servers',
            'add',
            '--kind',
            'hysteria2',
            '--name',
            name,
            '--url',
            url,
            '--json',
          ])
        : await run(
            [
              'servers',
              'add',
              '--kind',
              'hysteria2',
              '--name',
              name,
              '--url',
              url,
              '--secret-env',
              'HY_SECRET',
              '--json',
            ],
            { env: { HY_SECRET: secret } },
          )
    expect(r).toMatchObject({ code: 0, stderr: '' })
    return (JSON.parse(r.stdout) as { id: string }).id
  }

  return { dataDir, store, run, add, dataDirText, expectSecretOnlyInStore }
}

async function emulator(secret = SECRET): Promise<Hysteria2Emulator> {
  const emu = await startHysteria2Emulator({ secret })
  cleanups.push(() => emu.close())
  return emu
}

/** A URL where nothing listens (an emulator's port after it closed). */
async function closedUrl(): Promise<string> {
  const emu = await startHysteria2Emulator()
  await emu.close()
  return emu.url
}

function parseJson(r: Run): unknown {
  expect(r.stdout.trim().length).toBeGreaterThan(0)
  return JSON.parse(r.stdout)
}

/** A failure: exit 1, exactly one line on stderr. */
function expectOneLineFailure(r: Run): string {
  expect(r.code).toBe(1)
  expect(r.stderr.endsWith('\n')).toBe(true)
  const lines = r.stderr.trimEnd().split('\n')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/^nodedeck: /)
  return lines[0] as string
}

// ---------------------------------------------------------------------------------------------

describe('nodedeck servers add', () => {
  it('--secret-stdin: the secret goes to the store only (not config.json, not the output)', async () => {
    const w = world()
    const r = await w.run(
      [
        'servers',
        'add',
        '--kind',
        'hysteria2',
        '--name',
        'tokyo-1',
        '--url',
        'http://127.0.0.1:9',
        '--secret-stdin',
      ],
      { stdin: `${SECRET}\n` },
    )
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const id = r.stdout.trim()
    expect(id).toMatch(/^\S+$/)
    expect(w.store.peek(id, SECRET_KEY)).toBe(SECRET) // the trailing newline is not part of it
    const config = readFileSync(join(w.dataDir, 'config.json'), 'utf8')
    expect(config).toContain('tokyo-1')
    w.expectSecretOnlyInStore(SECRET)
  })

  it('--secret-env: the secret goes to the store only; --json prints {"id"}', async () => {
    const w = world()
    const r = await w.run(
      [
        'servers',
        'add',
        '--kind',
        'hysteria2',
        '--name',
        'osaka',
        '--url',
        'http://127.0.0.1:9/',
        '--secret-env',
        'MY_HY_SECRET',
        '--json',
      ],
      { env: { MY_HY_SECRET: SECRET } },
    )
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const out = parseJson(r) as Record<string, unknown>
    expect(Object.keys(out)).toEqual(['id'])
    expect(w.store.peek(out.id as string, SECRET_KEY)).toBe(SECRET)
    w.expectSecretOnlyInStore(SECRET)
  })

  it('--secret-env naming an unset variable fails and adds nothing', async () => {
    const w = world()
    const r = await w.run([
      'servers',
      'add',
      '--kind',
      'hysteria2',
      '--name',
      'x',
      '--url',
      'http://127.0.0.1:9',
      '--secret-env',
      'NOPE_NOT_SET',
    ])
    expect(expectOneLineFailure(r)).toContain('NOPE_NOT_SET')
    expect(JSON.parse((await w.run(['servers', 'list', '--json'])).stdout)).toEqual([])
  })

  it('refuses --secret-stdin and --secret-env at once (nothing stored, AppError with --json)', async () => {
    const w = world()
    const argv = [
      'servers',
      'add',
      '--kind',
      'hysteria2',
      '--name',
      'both',
      '--url',
      'http://127.0.0.1:9',
      '--secret-stdin',
      '--secret-env',
      'HY_SECRET',
    ]
    const r = await w.run(argv, { stdin: SECRET, env: { HY_SECRET: SECRET } })
    expect(expectOneLineFailure(r)).toMatch(/either --secret-stdin or --secret-env/)
    expect(r.stdout).toBe('')
    const j = await w.run([...argv, '--json'], { stdin: SECRET, env: { HY_SECRET: SECRET } })
    expectOneLineFailure(j)
    const err = AppErrorSchema.parse(parseJson(j))
    expect(err.code).toBe('invalid_input')
    expect(w.store.entries.size).toBe(0)
    expect(JSON.parse((await w.run(['servers', 'list', '--json'])).stdout)).toEqual([])
    w.expectSecretOnlyInStore(SECRET)
  })
})

describe('nodedeck servers list / remove', () => {
  it('servers list --json: exactly [{"id","name","kind","url"}]', async () => {
    const w = world()
    const a = await w.add('alpha', 'http://127.0.0.1:9/')
    const b = await w.add('beta', 'http://127.0.0.2:9999', null)
    const r = await w.run(['servers', 'list', '--json'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(parseJson(r)).toEqual([
      { id: a, name: 'alpha', kind: 'hysteria2', url: 'http://127.0.0.1:9' },
      { id: b, name: 'beta', kind: 'hysteria2', url: 'http://127.0.0.2:9999' },
    ])
    // Global options work before the command too.
    const r2 = await w.run(['--json', 'servers', 'list'])
    expect(r2.stdout).toBe(r.stdout)
    w.expectSecretOnlyInStore(SECRET)
  })

  it('servers list (human): a table with headers', async () => {
    const w = world()
    const id = await w.add('alpha', 'http://127.0.0.1:9')
    const r = await w.run(['servers', 'list'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^ID\s+NAME\s+KIND\s+URL$/)
    expect(lines[1]).toMatch(
      new RegExp(`^${id}\\s+alpha\\s+hysteria2\\s+http://127\\.0\\.0\\.1:9$`),
    )
    expect(() => JSON.parse(r.stdout)).toThrow()
  })

  it('servers remove deletes the server and its secrets in the store', async () => {
    const w = world()
    const keep = await w.add('keep', 'http://127.0.0.1:9')
    const gone = await w.add('gone', 'http://127.0.0.1:10')
    expect(w.store.countFor(gone)).toBe(1)
    const r = await w.run(['servers', 'remove', 'gone', '--json'])
    expect(r.code).toBe(0)
    expect(parseJson(r)).toEqual({ ok: true, id: gone })
    expect(w.store.countFor(gone)).toBe(0)
    expect(w.store.countFor(keep)).toBe(1)
    const list = parseJson(await w.run(['servers', 'list', '--json'])) as Array<{ id: string }>
    expect(list.map((s) => s.id)).toEqual([keep])
    const human = await w.run(['servers', 'remove', keep])
    expect(human.stdout).toBe(`removed keep (${keep})\n`)
    expect(w.store.entries.size).toBe(0)
  })
})

describe('nodedeck status', () => {
  it('status --json: shape and states (online, offline, auth_failed), exit 0', async () => {
    const w = world()
    const emu = await emulator()
    const live = await w.add('live', emu.url)
    const down = await w.add('down', await closedUrl())
    const wrong = await w.add('wrong', emu.url, 'not-the-secret')
    const r = await w.run(['status', '--json'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    const rows = parseJson(r) as Array<Record<string, unknown>>
    expect(rows).toHaveLength(3)
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(
        ['error', 'errorCode', 'id', 'kind', 'latencyMs', 'name', 'state'].sort(),
      )
    }
    const byId = new Map(rows.map((x) => [x.id, x]))
    expect(byId.get(live)).toEqual({
      id: live,
      name: 'live',
      kind: 'hysteria2',
      state: 'online',
      latencyMs: expect.any(Number),
      error: null,
      errorCode: null,
    })
    expect(byId.get(down)).toMatchObject({
      state: 'offline',
      latencyMs: null,
      errorCode: 'network',
      error: expect.stringMatching(/refused/),
    })
    expect(byId.get(wrong)).toMatchObject({
      state: 'auth_failed',
      latencyMs: null,
      errorCode: 'auth',
      error: expect.any(String),
    })
    // The live emulator saw the raw secret; the wrong one never leaked anywhere.
    expect(emu.requests.some((x) => x.headers.authorization === SECRET)).toBe(true)
    w.expectSecretOnlyInStore(SECRET)
    w.expectSecretOnlyInStore('not-the-secret')
  })

  it('status (human): a table with headers and one row per server', async () => {
    const w = world()
    const emu = await emulator()
    await w.add('live', emu.url)
    await w.add('down', await closedUrl())
    const r = await w.run(['status'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^NAME\s+KIND\s+STATE\s+LATENCY\s+ERROR$/)
    expect(lines).toHaveLength(3)
    expect(r.stdout).toMatch(/live\s+hysteria2\s+online\s+\d+(\.\d+)? ms/)
    expect(r.stdout).toMatch(/down\s+hysteria2\s+offline\s+—\s+\S/)
  })

  it('status with no servers: [] and exit 0', async () => {
    const w = world()
    const r = await w.run(['status', '--json'])
    expect(r.code).toBe(0)
    expect(parseJson(r)).toEqual([])
  })
})

describe('nodedeck users / sessions / kick', () => {
  it('users SERVER --json: [{"name","online","devices","up","down"}], up = client upload (tx)', async () => {
    const w = world()
    const emu = await emulator()
    const a1 = emu.connect('alice')
    emu.connect('alice')
    emu.moveTraffic(a1, 1000, 5000) // tx = client upload, rx = client download
    const b = emu.connect('bob')
    emu.moveTraffic(b, 7, 9)
    emu.disconnect(b)
    emu.connect('idle')
    await w.add('tokyo-1', emu.url)
    const r = await w.run(['users', 'tokyo-1', '--json'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    expect(parseJson(r)).toEqual([
      { name: 'alice', online: true, devices: 2, up: 1000, down: 5000 },
      { name: 'bob', online: false, devices: 0, up: 7, down: 9 },
      { name: 'idle', online: true, devices: 1, up: null, down: null },
    ])
    w.expectSecretOnlyInStore(SECRET)
  })

  it('users SERVER (human): a table with headers and readable byte counts', async () => {
    const w = world()
    const emu = await emulator()
    emu.moveTraffic(emu.connect('alice'), 1536, 5 * 1024 * 1024)
    await w.add('tokyo-1', emu.url)
    const r = await w.run(['users', 'tokyo-1'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^USER\s+ONLINE\s+DEVICES\s+UPLOAD\s+DOWNLOAD$/)
    expect(lines[1]).toMatch(/^alice\s+yes\s+1\s+1\.5 KiB\s+5\.0 MiB$/)
  })

  it('sessions SERVER --json: the stream dump in the README shape', async () => {
    const w = world()
    const emu = await emulator()
    const conn = emu.connect('alice')
    const s = emu.openStream(conn, '142.250.72.14:443', { hookedReqAddr: 'www.google.com:443' })
    emu.moveTraffic(conn, 300, 7000, s)
    const id = await w.add('tokyo-1', emu.url)
    const r = await w.run(['sessions', id, '--json'])
    expect(r.code).toBe(0)
    const rows = parseJson(r) as Array<Record<string, unknown>>
    const hex = conn.toString(16).toUpperCase().padStart(8, '0')
    expect(rows).toEqual([
      {
        id: `${hex}:4`,
        user: 'alice',
        state: 'estab',
        connection: hex,
        stream: '4',
        target: '142.250.72.14:443',
        hookedTarget: 'www.google.com:443',
        remote: null,
        up: 300,
        down: 7000,
        startedAt: expect.any(String),
        lastActiveAt: expect.any(String),
        protocol: 'tcp',
        connections: null,
      },
    ])
    const human = await w.run(['sessions', id])
    expect(human.stdout.split('\n')[0]).toMatch(
      /^USER\s+STATE\s+CONNECTION\s+STREAM\s+TARGET\s+UPLOAD\s+DOWNLOAD$/,
    )
    expect(human.stdout).toContain(hex)
  })

  it('kick SERVER u1 u2: the server gets one pending kick per user', async () => {
    const w = world()
    const emu = await emulator()
    const id = await w.add('tokyo-1', emu.url)
    const r = await w.run(['kick', 'tokyo-1', 'u1', 'u2', '--json'])
    expect(r.code).toBe(0)
    expect(parseJson(r)).toEqual({ ok: true, server: id, users: ['u1', 'u2'] })
    expect(emu.pendingKicks()).toEqual(['u1', 'u2'])
    const human = await w.run(['kick', id, 'u3'])
    expect(human.code).toBe(0)
    expect(human.stdout).toBe('kick requested on tokyo-1 for u3\n')
    expect(emu.pendingKicks()).toEqual(['u1', 'u2', 'u3'])
  })

  it('SERVER is resolved by id and by unique name (any case)', async () => {
    const w = world()
    const emu = await emulator()
    emu.moveTraffic(emu.connect('alice'), 1, 2)
    const id = await w.add('Tokyo-1', emu.url)
    await w.add('osaka', await closedUrl())
    const byId = await w.run(['users', id, '--json'])
    const byName = await w.run(['users', 'Tokyo-1', '--json'])
    const byLower = await w.run(['users', 'tokyo-1', '--json'])
    expect(byId.code).toBe(0)
    expect(byName.stdout).toBe(byId.stdout)
    expect(byLower.stdout).toBe(byId.stdout)
    expect(parseJson(byId)).toEqual([{ name: 'alice', online: true, devices: 1, up: 1, down: 2 }])
  })

  it('an unknown server: exit 1, one stderr line naming it, the AppError on stdout with --json', async () => {
    const w = world()
    await w.add('tokyo-1', 'http://127.0.0.1:9')
    for (const argv of [
      ['users', 'nope'],
      ['sessions', 'nope'],
      ['kick', 'nope', 'u1'],
      ['servers', 'remove', 'nope'],
    ]) {
      const r = await w.run(argv)
      expect(expectOneLineFailure(r)).toContain('"nope"')
      expect(r.stdout).toBe('')
      const j = await w.run([...argv, '--json'])
      expectOneLineFailure(j)
      const err = AppErrorSchema.parse(parseJson(j))
      expect(err.code).toBe('not_found')
      expect(err.message).toContain('"nope"')
    }
  })

  it('a server that fails: exit 1, one stderr line naming the server and what failed', async () => {
    const w = world()
    const id = await w.add('down', await closedUrl())
    const r = await w.run(['users', 'down'])
    expect(expectOneLineFailure(r)).toMatch(/^nodedeck: down: .*refused the connection/)
    const j = await w.run(['sessions', 'down', '--json'])
    expect(expectOneLineFailure(j)).toMatch(/^nodedeck: down: /)
    const err = AppErrorSchema.parse(parseJson(j))
    expect(err).toMatchObject({ code: 'network', serverId: id, retryable: true })
    // A wrong secret: auth, and no secret in the output.
    const emu = await emulator()
    await w.add('wrong', emu.url, 'not-the-secret')
    const a = await w.run(['kick', 'wrong', 'u1', '--json'])
    expectOneLineFailure(a)
    expect(AppErrorSchema.parse(parseJson(a)).code).toBe('auth')
    expect(emu.pendingKicks()).toEqual([])
    w.expectSecretOnlyInStore('not-the-secret')
  })
})

describe('nodedeck usage', () => {
  it('usage errors exit 2 with a message on stderr', async () => {
    const w = world()
    for (const argv of [
      ['frobnicate'],
      ['users'],
      ['kick', 'server-only'],
      ['servers', 'add', '--name', 'x', '--url', 'http://127.0.0.1:9'],
      ['servers', 'list', '--no-such-option'],
      [],
    ]) {
      const r = await w.run(argv)
      expect(r.code, argv.join(' ')).toBe(2)
      expect(r.stderr.length, argv.join(' ')).toBeGreaterThan(0)
    }
    expect(w.store.entries.size).toBe(0)
  })

  it('NODEDECK_DATA_DIR is the data dir when --data-dir is not given', async () => {
    const w = world()
    const id = await w.add('alpha', 'http://127.0.0.1:9')
    const r = await w.run(['servers', 'list', '--json'], {
      dataDirFlag: false,
      env: { NODEDECK_DATA_DIR: w.dataDir },
    })
    expect(r.code).toBe(0)
    expect(parseJson(r)).toEqual([
      { id, name: 'alpha', kind: 'hysteria2', url: 'http://127.0.0.1:9' },
    ])
  })

  it('--help and --version exit 0', async () => {
    const w = world()
    const help = await w.run(['--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toMatch(/Usage: nodedeck/)
    for (const cmd of ['servers', 'status', 'users', 'sessions', 'kick']) {
      expect(help.stdout).toContain(cmd)
    }
    const version = await w.run(['--version'])
    expect(version.code).toBe(0)
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })

  const built = join(ROOT, 'out', 'cli', 'nodedeck.js')
  it.skipIf(!existsSync(built))(
    'the built binary: node bin/nodedeck.cjs --help exits 0 (skipped when out/cli/nodedeck.js is not built)',
    () => {
      const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'nodedeck.cjs'), '--help'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 15_000,
      })
      expect(r.status, r.stderr).toBe(0)
      expect(r.stdout).toMatch(/Usage: nodedeck/)
    },
  )
})
