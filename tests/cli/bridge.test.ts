/**
 * The traffic bridge's promise, end to end (issue 6): a Hysteria 2 emulator with traffic, a Mu API
 * v2 emulator, both added with `nodedeck servers add`, and `nodedeck bridge run` reporting. The
 * bridge process is SIGKILLed while a report is in flight — once before the panel applied it,
 * once after (the answer held back) — and restarted; in the end the panel's per-user totals equal
 * the source's counters exactly (× the node's traffic rate).
 *
 * Runs that are not killed go through `runCli` in-process; the killed ones run the same CLI as
 * its own process (tests/cli/bridge-child.ts, bundled with Vite here), sharing secrets through a
 * file-backed credential store (the in-memory one of the other CLI tests cannot cross processes).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { spawn, type ChildProcess } from 'node:child_process'
import { builtinModules } from 'node:module'
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build } from 'vite'
import { runCli, type CliIo } from '../../src/main/cli/cli'
import type { BridgeStatus } from '../../src/shared/contract'
import type { JournalState } from '../../src/main/core/bridge/journal'
import { startHysteria2Emulator, type Hysteria2Emulator } from '../../emulators/hysteria2/server'
import { startMuApiEmulator, type MuApiEmulator } from '../../emulators/muapi/server'
import { FileCredentialStore } from '../support/file-credential-store'
import { startHoldProxy, type HoldProxy } from '../support/hold-proxy'

const ROOT = resolve(import.meta.dirname, '../..')
const HY_SECRET = 'hy-e2e-secret'
const MU_KEY = 'mu-e2e-key'
const NODE = 5

let buildDir: string
let childJs: string

beforeAll(async () => {
  // The child: the CLI with a file credential store, as one CommonJS file like the real binary.
  buildDir = mkdtempSync(join(tmpdir(), 'nodedeck-bridge-child-'))
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>
  }
  const external = [
    ...builtinModules,
    ...builtinModules.map((m) => `node:${m}`),
    ...Object.keys(pkg.dependencies),
  ]
  await build({
    configFile: false,
    root: ROOT,
    logLevel: 'error',
    build: {
      ssr: true,
      target: 'node22',
      outDir: buildDir,
      emptyOutDir: true,
      minify: false,
      rollupOptions: {
        input: { child: join(ROOT, 'tests/cli/bridge-child.ts') },
        external: (id) => external.some((e) => id === e || id.startsWith(`${e}/`)),
        output: {
          format: 'cjs',
          entryFileNames: '[name].cjs',
          chunkFileNames: '[name]-[hash].cjs',
        },
      },
    },
  })
  childJs = join(buildDir, 'child.cjs')
}, 60_000)
afterAll(() => {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true })
})

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

interface Run {
  code: number
  stdout: string
  stderr: string
}

interface Child {
  process: ChildProcess
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  output(): string
}

async function world(rate: number) {
  const hy: Hysteria2Emulator = await startHysteria2Emulator({ secret: HY_SECRET })
  cleanups.push(() => hy.close())
  const mu: MuApiEmulator = await startMuApiEmulator({
    key: MU_KEY,
    users: [{ id: 1 }, { id: 2 }, { id: 3 }],
    nodes: [{ id: NODE, traffic_rate: rate }],
  })
  cleanups.push(() => mu.close())
  // Between the bridge and the panel: lets a test hold back the panel's answer to a report.
  const proxy: HoldProxy = await startHoldProxy(mu.url)
  cleanups.push(() => proxy.close())
  const dir = mkdtempSync(join(tmpdir(), 'nodedeck-cli-bridge-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'data')
  const secrets = join(dir, 'secrets.json')
  const store = new FileCredentialStore(secrets)

  async function run(argv: string[], stdin = ''): Promise<Run> {
    let stdout = ''
    let stderr = ''
    const io: CliIo = {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      readStdin: async () => stdin,
      env: {},
      credentials: () => store,
      untilStopped: () => new Promise<void>(() => undefined),
    }
    const code = await runCli(['--data-dir', dataDir, ...argv], io)
    return { code, stdout, stderr }
  }

  function spawnCli(argv: string[]): Child {
    const child = spawn(process.execPath, [childJs, '--data-dir', dataDir, ...argv], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODEDECK_TEST_SECRETS: secrets,
        NODE_PATH: join(ROOT, 'node_modules'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((ok) =>
      child.once('exit', (code, signal) => ok({ code, signal })),
    )
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    })
    return { process: child, exited, output: () => out }
  }

  const conns = new Map<string, number>()
  /** Moves client traffic of `user` on the source (tx = upload, rx = download). */
  const move = (user: string, up: number, down: number) => {
    let c = conns.get(user)
    if (c === undefined) {
      c = hy.connect(user)
      conns.set(user, c)
    }
    hy.moveTraffic(c, up, down)
  }
  const bridgeArgs = ['bridge', 'run', '--from', 'hy', '--to', 'panel', '--node-id', String(NODE)]
  const panelTotals = () =>
    Object.fromEntries(mu.control.users().map((u) => [String(u.id), { u: u.u, d: u.d }]))
  /** What the panel must hold: the source's counters × the rate. */
  const expected = () =>
    Object.fromEntries(
      ['1', '2', '3'].map((id) => {
        const c = hy.traffic()[id]
        return [id, { u: Math.round((c?.tx ?? 0) * rate), d: Math.round((c?.rx ?? 0) * rate) }]
      }),
    )
  const nodeReports = () => mu.control.reportedTraffic().filter((r) => r.kind === 'node')
  const journal = (): JournalState => {
    const list = JSON.parse(readFileSync(join(dataDir, 'config.json'), 'utf8')) as {
      bridges: { id: string }[]
    }
    return JSON.parse(
      readFileSync(join(dataDir, 'bridges', `${list.bridges[0]!.id}.json`), 'utf8'),
    ) as JournalState
  }
  return {
    hy,
    mu,
    proxy,
    dataDir,
    run,
    spawnCli,
    move,
    bridgeArgs,
    panelTotals,
    expected,
    nodeReports,
    journal,
  }
}

/** Waits for a condition the test cannot await directly (another process's progress). */
async function until(cond: () => boolean, what: string, child?: Child): Promise<void> {
  const deadline = Date.now() + 20_000
  while (!cond()) {
    if (Date.now() > deadline || child?.process.exitCode != null) {
      throw new Error(
        `gave up waiting for ${what}${child ? `; the CLI said:\n${child.output()}` : ''}`,
      )
    }
    await new Promise((r) => setTimeout(r, 10))
  }
}

function statuses(stdout: string): BridgeStatus[] {
  return stdout
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as BridgeStatus)
}

describe.each([1, 2])('nodedeck bridge run, crash and restart (node traffic_rate %d)', (rate) => {
  it('kills mid-report before and after the panel applied it; the totals still match exactly', async () => {
    const w = await world(rate)
    const added = [
      await w.run(
        [
          'servers',
          'add',
          '--kind',
          'hysteria2',
          '--name',
          'hy',
          '--url',
          w.hy.url,
          '--secret-stdin',
        ],
        HY_SECRET,
      ),
      await w.run(
        [
          'servers',
          'add',
          '--kind',
          'muapi',
          '--name',
          'panel',
          '--url',
          `${w.proxy.url}/mu/v2`,
          '--secret-stdin',
        ],
        MU_KEY,
      ),
    ]
    for (const r of added) expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' })
    const once = [...w.bridgeArgs, '--rate', String(rate), '--settle', '0', '--once', '--json']

    // A few normal reports.
    w.move('1', 1000, 50_000)
    w.move('2', 10, 20)
    let r = await w.run(once)
    expect(r.code, r.stderr).toBe(0)
    expect(statuses(r.stdout)).toHaveLength(1)
    expect(statuses(r.stdout)[0]).toMatchObject({ state: 'idle', error: null })
    expect(w.panelTotals()).toEqual(w.expected())
    w.move('1', 1, 2)
    w.move('3', 333, 4444)
    r = await w.run(once)
    expect(r.code, r.stderr).toBe(0)
    expect(w.panelTotals()).toEqual(w.expected())

    // 1. Killed while the panel hangs on the batch, before applying it.
    w.move('1', 7, 7)
    w.move('2', 8, 800)
    const before = w.panelTotals()
    w.mu.control.failNext('hang', { route: 'nodeTraffic' })
    const reportsBefore = w.nodeReports().length
    const c1 = w.spawnCli(once)
    await until(() => w.nodeReports().length > reportsBefore, 'the hung report', c1)
    c1.process.kill('SIGKILL')
    expect((await c1.exited).signal).toBe('SIGKILL')
    expect(w.panelTotals()).toEqual(before)
    const j1 = w.journal()
    expect(j1.inflight).toMatchObject({ outcome: 'sending', before: { attempt: 1 } })
    // Restarted: the panel's counters show the batch was not applied; it goes again, as is.
    r = await w.run(once)
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(w.nodeReports().at(-1)?.body).toBe(w.nodeReports().at(-2)?.body)
    expect(w.panelTotals()).toEqual(w.expected())

    // 2. Killed after the panel applied the batch, its answer held back.
    w.move('3', 1, 1)
    w.move('2', 99, 0)
    const held = w.proxy.next({
      mode: 'applyThenHold',
      match: (m, p) => m === 'POST' && p.endsWith(`/nodes/${NODE}/traffic`),
    })
    const c2 = w.spawnCli(once)
    expect((await held).status).toBe(200)
    c2.process.kill('SIGKILL')
    expect((await c2.exited).signal).toBe('SIGKILL')
    expect(w.panelTotals()).toEqual(w.expected()) // applied, unacknowledged
    expect(w.journal().inflight).toMatchObject({ outcome: 'sending' })
    const reportsApplied = w.nodeReports().length
    // Restarted: the panel's counters rose by the batch × rate: acknowledged, never resent.
    r = await w.run(once)
    expect(r.code, r.stderr + r.stdout).toBe(0)
    expect(w.nodeReports()).toHaveLength(reportsApplied)
    expect(w.panelTotals()).toEqual(w.expected())

    // 3. The answer lost on the wire (connection dropped after applying): exit 1, then settled.
    w.move('1', 5, 5)
    w.mu.control.failNext('dropAfterApply', { route: 'nodeTraffic' })
    r = await w.run(once)
    expect(r.code).toBe(1)
    expect(statuses(r.stdout)[0]).toMatchObject({
      state: 'error',
      inflight: { outcome: 'unknown' },
    })
    expect(r.stderr).toMatch(/^nodedeck: panel: /)
    const reportsDropped = w.nodeReports().length
    r = await w.run(once)
    expect(r.code, r.stderr).toBe(0)
    expect(w.nodeReports()).toHaveLength(reportsDropped) // verified, not resent
    expect(w.panelTotals()).toEqual(w.expected())

    // 4. Headless, until SIGTERM: one NDJSON status per report, then a clean stop.
    w.move('2', 1, 1)
    const c3 = w.spawnCli([...w.bridgeArgs, '--interval', '10', '--json'])
    await until(() => c3.output().includes('"state":"idle"'), 'the first report', c3)
    c3.process.kill('SIGTERM')
    expect(await c3.exited).toEqual({ code: 0, signal: null })
    const lines = statuses(
      c3
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .join('\n'),
    )
    expect(lines.length).toBeGreaterThan(0)
    expect(readdirLocks(w.dataDir)).toEqual([])

    // The source stops; a final report; the panel equals the source exactly.
    r = await w.run(once)
    expect(r.code, r.stderr).toBe(0)
    expect(w.panelTotals()).toEqual(w.expected())
    const j = w.journal()
    expect(j.inflight).toBeNull()
    expect(j.pending).toEqual({})
    expect(j.unmatched).toEqual({})
    for (const [id, c] of Object.entries(w.hy.traffic())) {
      expect(j.acked[id]).toEqual({ u: c.tx, d: c.rx })
    }
    // Every batch the panel applied was applied once: its raw bytes sum to the source's counters.
    const applied = { u: 0, d: 0 }
    for (const b of w.nodeReports()) {
      for (const it of b.items) {
        if (!it.applied) continue
        applied.u += it.u
        applied.d += it.d
      }
    }
    const source = Object.values(w.hy.traffic()).reduce(
      (a, c) => ({ u: a.u + c.tx, d: a.d + c.rx }),
      { u: 0, d: 0 },
    )
    expect(applied).toEqual(source)
  })
})

describe('nodedeck bridge list / preview / resolve', () => {
  it('prints the documented JSON shapes', async () => {
    const w = await world(1)
    await w.run(
      [
        'servers',
        'add',
        '--kind',
        'hysteria2',
        '--name',
        'hy',
        '--url',
        w.hy.url,
        '--secret-stdin',
      ],
      HY_SECRET,
    )
    await w.run(
      [
        'servers',
        'add',
        '--kind',
        'muapi',
        '--name',
        'panel',
        '--url',
        w.mu.apiUrl,
        '--secret-stdin',
      ],
      MU_KEY,
    )
    w.move('1', 1, 1)
    w.move('zed', 1, 1)
    const preview = await w.run([
      ...w.bridgeArgs.slice(0, 1),
      'preview',
      ...w.bridgeArgs.slice(2),
      '--json',
    ])
    expect(preview.code, preview.stderr).toBe(0)
    expect(JSON.parse(preview.stdout)).toMatchObject({
      sourceUsers: 2,
      panelUsers: 3,
      panelList: 'node',
      matched: [{ name: '1', userId: 1 }],
      unmatched: ['zed'],
      duplicates: [],
      ambiguous: [],
    })
    const run = await w.run([...w.bridgeArgs, '--once'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toMatch(/hy → panel #5: idle; reported batch 1 \(1 users/)
    expect(run.stdout).toMatch(/unmatched 1 \(zed\)/)
    const list = await w.run(['bridge', 'list', '--json'])
    const views = JSON.parse(list.stdout) as {
      config: { id: string; name: string }
      status: BridgeStatus
    }[]
    expect(views).toHaveLength(1)
    expect(views[0]).toMatchObject({
      config: { name: 'hy → panel #5', nodeId: NODE, rule: 'id', enabled: false, trafficRate: 1 },
      status: {
        state: 'paused',
        lastReport: { batchId: 1, users: 1 },
        unmatched: [{ name: 'zed' }],
      },
    })
    const resolve = await w.run(['bridge', 'resolve', 'hy → panel #5', 'applied', '--json'])
    expect(resolve.code).toBe(1)
    expect(resolve.stderr).toMatch(/no batch waiting for a decision/)
    // Another node id for the same pair is refused (it would count every byte twice).
    const other = await w.run([
      'bridge',
      'run',
      '--from',
      'hy',
      '--to',
      'panel',
      '--node-id',
      '6',
      '--once',
    ])
    expect(other.code).toBe(1)
    expect(other.stderr).toMatch(/--node-id 5/)
    expect(existsSync(join(w.dataDir, 'bridges'))).toBe(true)
  })
})

function readdirLocks(dataDir: string): string[] {
  const dir = join(dataDir, 'bridges')
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.lock')) : []
}
