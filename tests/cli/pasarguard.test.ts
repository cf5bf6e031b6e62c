/**
 * The `nodedeck` CLI against PasarGuard emulators (REST and gRPC), in-process through
 * `runCli(argv, io)`: a temporary `--data-dir`, an in-memory credential store. The `--json` shapes
 * are a public interface (README, "The CLI").
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, type CliIo } from '../../src/main/cli/cli'
import { FakeCredentialStore } from '../../src/main/core/testing/fake-credential-store'
import {
  simXrayConfig,
  startPasarGuardEmulator,
  type PasarGuardEmulator,
} from '../../emulators/pasarguard/server'

const API_KEY = '0e6c9f3a-8b2d-4c1e-9f7a-5d3b2a1c0e9f'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

interface Run {
  code: number
  stdout: string
  stderr: string
}

async function world(protocol: 'rest' | 'grpc') {
  const emu: PasarGuardEmulator = await startPasarGuardEmulator({
    protocol,
    apiKey: API_KEY,
    coreStartMs: 0,
  })
  cleanups.push(() => emu.close())
  const dir = mkdtempSync(join(tmpdir(), 'nodedeck-cli-pg-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const dataDir = join(dir, 'data')
  const store = new FakeCredentialStore()

  async function run(argv: string[], opts: { stdin?: string } = {}): Promise<Run> {
    let stdout = ''
    let stderr = ''
    const io: CliIo = {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      readStdin: async () => opts.stdin ?? '',
      env: {},
      credentials: () => store,
    }
    const code = await runCli(['--data-dir', dataDir, ...argv], io)
    return { code, stdout, stderr }
  }
  async function json<T = unknown>(argv: string[], opts: { stdin?: string } = {}): Promise<T> {
    const r = await run([...argv, '--json'], opts)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    return JSON.parse(r.stdout) as T
  }
  const file = (name: string, text: string) => {
    const p = join(dir, name)
    writeFileSync(p, text)
    return p
  }
  return { emu, run, json, file, store }
}

describe.each(['rest', 'grpc'] as const)('nodedeck CLI, PasarGuard over %s', (protocol) => {
  const transportFlag = protocol === 'grpc' ? ['--grpc'] : []

  it('refuses an untrusted certificate with its fingerprint, then adds the node pinned', async () => {
    const w = await world(protocol)
    const base = ['servers', 'add', '--kind', 'pasarguard', '--name', 'pg', '--url', w.emu.url]
    const refused = await w.run([...base, ...transportFlag, '--secret-stdin', '--json'], {
      stdin: API_KEY,
    })
    expect(refused.code).toBe(1)
    const err = JSON.parse(refused.stdout) as { code: string; params: Record<string, string> }
    expect(err.code).toBe('tls')
    expect(err.params.fingerprintSha256).toBe(w.emu.fingerprintSha256)
    expect(refused.stderr).toContain(`--fingerprint ${w.emu.fingerprintSha256}`)
    // Reading the certificate sent nothing to the node, the key least of all.
    expect(w.emu.requests).toEqual([])
    const added = await w.json<{ id: string }>(
      [...base, ...transportFlag, '--fingerprint', w.emu.fingerprintSha256, '--secret-stdin'],
      { stdin: API_KEY + '\n' },
    )
    expect(added.id).toMatch(/.+/)
    expect(await w.store.get(added.id, 'apiKey')).toBe(API_KEY)
    const list = await w.json<Array<{ kind: string }>>(['servers', 'list'])
    expect(list.map((s) => s.kind)).toEqual(['pasarguard'])
  })

  it('backend start/stop, stats, users --online and logs with the JSON shapes of the README', async () => {
    const w = await world(protocol)
    await w.json(
      [
        'servers',
        'add',
        '--kind',
        'pasarguard',
        '--name',
        'pg',
        '--url',
        w.emu.url,
        ...transportFlag,
        '--fingerprint',
        w.emu.fingerprintSha256,
        '--secret-stdin',
      ],
      { stdin: API_KEY },
    )

    const before = await w.json<Record<string, unknown>>(['stats', 'pg'])
    expect(before).toMatchObject({ kind: 'pasarguard', transport: protocol, started: false })
    expect(before.core).toBe('no_backend')
    expect(before.cpuUsage).toBeNull()

    const users = w.file(
      'users.json',
      JSON.stringify({
        users: [
          {
            email: 'ann@example.com',
            inbounds: ['vless-in'],
            proxies: { vless: { id: '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b' } },
          },
          {
            email: 'bo@example.com',
            inbounds: ['trojan-in'],
            proxies: { trojan: { password: 'tr0jan-pw' } },
          },
        ],
      }),
    )
    const started = await w.json<Record<string, unknown>>([
      'backend',
      'start',
      'pg',
      '--config',
      w.file('xray.json', simXrayConfig()),
      '--users',
      users,
    ])
    expect(started).toMatchObject({ ok: true, started: true, nodeVersion: '0.5.2' })
    expect(String(started.coreVersion)).toMatch(/^\d+\./)
    expect([...(w.emu.control.backend()?.users.keys() ?? [])].sort()).toEqual([
      'ann@example.com',
      'bo@example.com',
    ])

    w.emu.control.addTraffic('user', 'ann@example.com', 1000, 250_000)
    w.emu.control.setOnline('ann@example.com', 2, { '198.51.100.4': Math.floor(Date.now() / 1000) })
    const online = await w.json<Array<Record<string, unknown>>>(['users', 'pg', '--online'])
    expect(online).toEqual([
      { name: 'ann@example.com', online: true, devices: 2, up: 1000, down: 250_000 },
    ])
    const stats = await w.json<Record<string, unknown>>(['stats', 'pg'])
    expect(stats).toMatchObject({ kind: 'pasarguard', started: true, core: 'running' })
    expect(Object.keys(stats)).toEqual([
      'kind',
      'transport',
      'started',
      'core',
      'coreVersion',
      'nodeVersion',
      'cpuUsage',
      'cpuCores',
      'memUsed',
      'memTotal',
      'incomingBps',
      'outgoingBps',
      'uptimeSec',
      'users',
      'online',
      'up',
      'down',
    ])

    w.emu.control.setLogRate(200)
    const logs = await w.json<{ server: string; lines: string[]; dropped: number }>([
      'logs',
      'pg',
      '--seconds',
      '1.5',
    ])
    w.emu.control.setLogRate(0)
    expect(logs.lines.length).toBeGreaterThan(50)
    expect(logs.lines.some((l) => /\[(Info|Warning|Error|Debug)\]| accepted /.test(l))).toBe(true)
    expect(logs.dropped).toBe(0)

    const sync = await w.json<Record<string, unknown>>([
      'sync-users',
      'pg',
      w.file(
        'one.json',
        JSON.stringify([
          {
            email: 'cy@example.com',
            inbounds: ['vmess-in'],
            proxies: { vmess: { id: '1b4e28ba-2fa1-11d2-883f-0016d3cca427' } },
          },
        ]),
      ),
    ])
    expect(sync).toMatchObject({ ok: true, users: 1, chunks: 1, coreRestarted: false })
    // Up to 100 users, a chunked sync is a live update on node v0.5.2: the others stay.
    expect([...(w.emu.control.backend()?.users.keys() ?? [])].sort()).toEqual([
      'ann@example.com',
      'bo@example.com',
      'cy@example.com',
    ])
    const replaced = await w.json<Record<string, unknown>>([
      'sync-users',
      'pg',
      '--mode',
      'replace',
      w.file(
        'two.json',
        JSON.stringify([
          {
            email: 'di@example.com',
            inbounds: ['trojan-in'],
            proxies: { trojan: { password: 'x' } },
          },
        ]),
      ),
    ])
    expect(replaced).toMatchObject({ ok: true, users: 1, coreRestarted: true })
    expect([...(w.emu.control.backend()?.users.keys() ?? [])]).toEqual(['di@example.com'])

    expect(await w.json(['backend', 'stop', 'pg'])).toMatchObject({ ok: true })
    expect(w.emu.control.backend()).toBeNull()
  })

  it('names the other protocol when the node speaks it', async () => {
    const w = await world(protocol)
    const other = protocol === 'grpc' ? [] : ['--grpc']
    await w.json(
      [
        'servers',
        'add',
        '--kind',
        'pasarguard',
        '--name',
        'pg',
        '--url',
        w.emu.url,
        ...other,
        '--fingerprint',
        w.emu.fingerprintSha256,
        '--secret-stdin',
      ],
      { stdin: API_KEY },
    )
    const r = await w.run(['stats', 'pg', '--json'])
    expect(r.code).toBe(1)
    const err = JSON.parse(r.stdout) as { params?: Record<string, string> }
    expect(err.params?.hint).toBe(protocol === 'grpc' ? 'speaks_grpc' : 'speaks_rest')
    expect(r.stderr).toContain(protocol === 'grpc' ? 'gRPC' : 'REST')
  })
})
