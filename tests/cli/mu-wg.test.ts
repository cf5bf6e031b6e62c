/**
 * The `nodedeck` CLI against Mu API v2 panels and WireGuard monitors (both emulator variants,
 * 'upstream' and 'seed'), in-process through `runCli(argv, io)`: a temporary `--data-dir`, an
 * in-memory credential store. The `--json` shapes are a public interface (README, "The CLI").
 */
import { afterEach, describe, expect, it } from 'vitest'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, type CliIo } from '../../src/main/cli/cli'
import { FakeCredentialStore } from '../../src/main/core/testing/fake-credential-store'
import { startMuApiEmulator, type MuApiVariant } from '../../emulators/muapi/server'
import { fakePubkey, startWgMonEmulator, type WgMonVariant } from '../../emulators/wgmon/server'

const MU_KEY = 'mu-K3y-only-in-the-keychain'
const GiB = 1024 ** 3

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** A data dir, a credential store and a `nodedeck` to run in them. */
function cli() {
  const dir = mkdtempSync(join(tmpdir(), 'nodedeck-cli-muwg-'))
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
  const store = new FakeCredentialStore()
  const outputs: string[] = []
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
    const code = await runCli(['--data-dir', dir, ...argv], io)
    outputs.push(stdout, stderr)
    return { code, stdout, stderr }
  }
  async function json<T = unknown>(argv: string[], opts: { stdin?: string } = {}): Promise<T> {
    const r = await run([...argv, '--json'], opts)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    return JSON.parse(r.stdout) as T
  }
  async function failure(argv: string[]) {
    const r = await run([...argv, '--json'])
    expect(r.code).toBe(1)
    return { ...r, error: JSON.parse(r.stdout) as { code: string; message: string } }
  }
  /** Every byte written to the data dir and every output so far. */
  function everything(): string {
    const walk = (d: string): string =>
      readdirSync(d)
        .map((n) => {
          const p = join(d, n)
          return statSync(p).isDirectory() ? walk(p) : readFileSync(p, 'utf8')
        })
        .join('\n')
    return walk(dir) + outputs.join('\n')
  }
  return { run, json, failure, store, everything }
}

// ---- Mu API v2 -----------------------------------------------------------------------------------

interface MuRow {
  name: string
  online: null
  devices: null
  up: number
  down: number
  id: number
  email: string | null
  userName: string | null
  enabled: boolean
  port: number | null
  method: string | null
  quota: number
  lastUsedAt: string | null
}

async function muWorld(variant: MuApiVariant) {
  const now = Math.floor(Date.now() / 1000)
  const emu = await startMuApiEmulator({
    variant,
    key: MU_KEY,
    users: [
      // 25 % used
      { user_name: 'ann', email: 'ann@example.com', u: 1 * GiB, d: 1.5 * GiB, t: now - 60 },
      // 85 % used
      { user_name: 'bo', email: 'bo@example.com', u: 2 * GiB, d: 6.5 * GiB, t: now - 3600 },
      // over quota, disabled
      { user_name: 'cy', email: 'cy@example.com', u: 4 * GiB, d: 8 * GiB, enable: 0, t: now },
      // no quota, never used
      { user_name: 'dee', email: 'dee@example.com', transfer_enable: 0, t: 0 },
    ],
  })
  cleanups.push(() => emu.close())
  const c = cli()
  const add = (extra: string[] = []) =>
    c.json<{ id: string }>(
      [
        'servers',
        'add',
        '--kind',
        'muapi',
        '--name',
        'mu',
        '--url',
        emu.apiUrl,
        '--secret-stdin',
        ...extra,
      ],
      { stdin: MU_KEY + '\n' },
    )
  return { emu, ...c, add }
}

describe.each(['upstream', 'seed'] as const)('nodedeck CLI, Mu API v2 panel (%s)', (variant) => {
  it('lists users with the documented fields plus the panel’s own; up = the panel’s u', async () => {
    const w = await muWorld(variant)
    const { id } = await w.add()
    expect(await w.store.get(id, 'muKey')).toBe(MU_KEY)
    const rows = await w.json<MuRow[]>(['users', 'mu'])
    const panel = w.emu.control.users()
    expect(rows.map((r) => r.id)).toEqual(panel.map((u) => u.id))
    // The seed variant sends the wiki's 10 fields: no email or user name, so the name is #id.
    const named = variant === 'upstream'
    for (const r of rows) {
      const u = panel.find((p) => p.id === r.id)
      if (!u) throw new Error(`no panel user ${r.id}`)
      expect(r).toEqual({
        name: named ? u.email : `#${u.id}`,
        online: null,
        devices: null,
        up: u.u,
        down: u.d,
        id: u.id,
        email: named ? u.email : null,
        userName: named ? u.user_name : null,
        enabled: u.enable === 1,
        port: u.port,
        method: u.method,
        quota: u.transfer_enable,
        lastUsedAt: u.t > 0 ? new Date(u.t * 1000).toISOString() : null,
      })
    }
    // The human table says what a quota of 0 is, and marks the over-quota user.
    const human = await w.run(['users', 'mu'])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('no quota')
    expect(human.stdout).toMatch(/\(120 %\) OVER/)
    expect(w.everything()).not.toContain(MU_KEY)
  })

  it('prints stats: users, enabled, traffic, summed quotas, over and near quota, never used', async () => {
    const w = await muWorld(variant)
    await w.add()
    const stats = await w.json<Record<string, unknown>>(['stats', 'mu'])
    expect(stats).toEqual({
      kind: 'muapi',
      users: 4,
      enabled: 3,
      up: 7 * GiB,
      down: 16 * GiB,
      quota: 30 * GiB,
      overQuota: 1,
      nearQuota: 1,
      neverUsed: 1,
    })
  })

  it('refuses users --online: the panel does not know who is online', async () => {
    const w = await muWorld(variant)
    await w.add()
    const f = await w.failure(['users', 'mu', '--online'])
    expect(f.error.code).toBe('unsupported')
    expect(f.stderr).toMatch(/^nodedeck: mu: .*do not know who is online/)
    expect(f.stderr).toContain('lastUsedAt')
  })
})

describe('nodedeck CLI, Mu API v2 key placement', () => {
  it('sends the key in the Key header when asked; a seed (v3) panel reads only Token and says so', async () => {
    const w = await muWorld('seed')
    await w.add(['--key-placement', 'key'])
    const f = await w.failure(['users', 'mu'])
    expect(f.error.code).toBe('auth')
    expect(f.error.message).toContain('reads it only from the Token header')
    expect(w.emu.requests.at(-1)?.headers.key).toBe('REDACTED')
    const bad = await w.run(
      [
        'servers',
        'add',
        '--kind',
        'muapi',
        '--name',
        'x',
        '--url',
        w.emu.apiUrl,
        '--key-placement',
        'cookie',
        '--secret-stdin',
        '--json',
      ],
      { stdin: MU_KEY },
    )
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain('--key-placement must be one of token, key, query')
    expect(w.everything()).not.toContain(MU_KEY)
  })
})

// ---- WireGuard monitor --------------------------------------------------------------------------

interface WgRow {
  name: string
  online: boolean | null
  devices: number | null
  up: number | null
  down: number | null
  id: number
  enabled: boolean | null
  clientIp: string | null
  publicKey: string | null
  lastLogin: string | null
  sessionUp: number | null
  sessionDown: number | null
}

async function wgWorld(variant: WgMonVariant) {
  const emu = await startWgMonEmulator({ variant })
  cleanups.push(() => emu.close())
  const c = cli()
  const add = () =>
    c.json<{ id: string }>(['servers', 'add', '--kind', 'wgmon', '--name', 'wg', '--url', emu.url])
  const user = (nickname: string) =>
    emu.control.createUser({ peer_pubkey: fakePubkey(Math.random), nickname })
  return { emu, ...c, add, user }
}

describe.each(['upstream', 'seed'] as const)('nodedeck CLI, WireGuard monitor (%s)', (variant) => {
  it('lists users in the client’s direction: bytes the server received (rx) are the user’s upload', async () => {
    const w = await wgWorld(variant)
    await w.add()
    const alice = w.user('alice')
    const bob = w.user('bob')
    // server view: rx = received from alice = alice's upload
    w.emu.control.addTraffic('alice', 5_000_000, 700_000)
    w.emu.control.poll()

    const open = await w.json<WgRow[]>(['users', 'wg'])
    const a = open.find((r) => r.name === 'alice')
    const b = open.find((r) => r.name === 'bob')
    expect(a).toMatchObject({ id: alice, online: true, devices: 1, enabled: true })
    expect(b).toMatchObject({ id: bob, online: false, devices: 0, up: 0, down: 0 })
    const rowA = w.emu.control.users().find((u) => u.id === alice)
    expect(a?.publicKey).toBe(rowA?.peer_pubkey)
    if (variant === 'upstream') {
      // the open session counts: total + session, client's direction
      expect(a).toMatchObject({
        up: 5_000_000,
        down: 700_000,
        sessionUp: 5_000_000,
        sessionDown: 700_000,
      })
      expect(a?.clientIp).toBe(rowA?.client_ip)
      expect(a?.clientIp).toMatch(/^10\./)
    } else {
      // the seed doc's management view has no session bytes and its user list no client_ip
      expect(a).toMatchObject({ sessionUp: null, sessionDown: null, clientIp: null })
    }

    // closed, the session moves into the totals: still upload = rx
    w.emu.control.setOnline('alice', false)
    w.emu.control.poll()
    const closed = await w.json<WgRow[]>(['users', 'wg'])
    expect(closed.find((r) => r.name === 'alice')).toMatchObject({
      online: false,
      devices: 0,
      up: 5_000_000,
      down: 700_000,
    })
    // the monitor's local time, as sent (it records the login when the session closes)
    expect(closed.find((r) => r.name === 'alice')?.lastLogin).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/,
    )
    const online = await w.json<WgRow[]>(['users', 'wg', '--online'])
    expect(online).toEqual([])
  })

  it('prints stats from the dashboard and the status, client-side; unknown is null', async () => {
    const w = await wgWorld(variant)
    await w.add()
    w.user('alice')
    w.user('bob')
    w.emu.control.addTraffic('alice', 3_000_000, 200_000)
    w.emu.control.poll()
    w.emu.control.setOnline('alice', false)
    w.emu.control.poll()
    w.emu.control.addTraffic('bob', 1000, 2000)
    w.emu.control.poll()
    const stats = await w.json<Record<string, unknown>>(['stats', 'wg'])
    expect(Object.keys(stats)).toEqual([
      'kind',
      'interface',
      'running',
      'registeredUsers',
      'enabledUsers',
      'onlineUsers',
      'activeSessions',
      'totalUp',
      'totalDown',
      'todayUp',
      'todayDown',
      'todaySessions',
      'uptimeHours',
    ])
    expect(stats).toMatchObject({
      kind: 'wgmon',
      interface: 'wg0',
      running: true,
      registeredUsers: 2,
      enabledUsers: 2,
      onlineUsers: 1,
      activeSessions: 1,
      // closed sessions only (the monitor adds a session when it closes); client's direction
      totalUp: 3_000_000,
      totalDown: 200_000,
    })
    if (variant === 'upstream') {
      expect(stats).toMatchObject({ todayUp: 3_000_000, todayDown: 200_000, todaySessions: 1 })
      expect(typeof stats.uptimeHours).toBe('number')
    } else {
      // the seed doc's dashboard has no session count or uptime hours: unknown, never 0
      expect(stats).toMatchObject({ todaySessions: null, uptimeHours: null })
    }
  })

  it('kicks by name, says who had a session, and that kick is not disable', async () => {
    const w = await wgWorld(variant)
    await w.add()
    const alice = w.user('alice')
    const bob = w.user('bob')
    w.emu.control.addTraffic('alice', 1000, 1000)
    w.emu.control.poll()
    const r = await w.json<Record<string, unknown>>(['kick', 'wg', 'alice', `User_${bob}`])
    expect(r).toMatchObject({
      ok: true,
      users: ['alice', `User_${bob}`],
      results: [
        { user: 'alice', id: alice, name: 'alice', changed: true },
        { user: `User_${bob}`, id: bob, name: 'bob', changed: false },
      ],
    })
    expect(String(r.note)).toContain('disable')
    expect(w.emu.control.events().filter((e) => e.end_time === null)).toEqual([])

    const human = await w.run(['kick', 'wg', String(alice)])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('alice (#')
    expect(human.stdout).toContain('within about 10 s')
    expect(human.stdout).toContain('nodedeck wgmon disable')

    const unknown = await w.failure(['kick', 'wg', 'alice', 'nobody'])
    expect(unknown.error.code).toBe('not_found')
    expect(unknown.stderr).toContain('"nobody"')
    expect(unknown.stderr).toContain('Nothing was changed')
  })

  it('disables, enables and resets a user, saying when nothing changed', async () => {
    const w = await wgWorld(variant)
    await w.add()
    const alice = w.user('alice')
    w.emu.control.addTraffic('alice', 4000, 5000)
    w.emu.control.poll()
    w.emu.control.setOnline('alice', false)
    w.emu.control.poll()
    const enabledOf = () => w.emu.control.users().find((u) => u.id === alice)?.enabled

    const off = await w.json(['wgmon', 'disable', 'wg', 'alice'])
    expect(off).toMatchObject({ ok: true, user: 'alice', id: alice, name: 'alice', changed: true })
    expect(Object.keys(off as object)).toEqual([
      'ok',
      'server',
      'user',
      'id',
      'name',
      'changed',
      'message',
    ])
    expect(enabledOf()).toBe(0)
    expect(await w.json(['wgmon', 'disable', 'wg', 'alice'])).toMatchObject({ changed: false })
    const human = await w.run(['wgmon', 'enable', 'wg', `#${alice}`])
    expect(human.stdout).toContain('enabled: the peer is back in WireGuard')
    expect(enabledOf()).toBe(1)

    expect(w.emu.control.users().find((u) => u.id === alice)?.total_rx).toBe(4000)
    expect(await w.json(['wgmon', 'reset', 'wg', 'alice'])).toMatchObject({ changed: true })
    expect(w.emu.control.users().find((u) => u.id === alice)?.total_rx).toBe(0)

    const notWg = await w.failure(['wgmon', 'enable', 'nowhere', 'alice'])
    expect(notWg.error.code).toBe('not_found')
  })
})

describe('nodedeck CLI, WireGuard monitor names', () => {
  it('gives repeated nicknames #id and pages through more than 100 users', async () => {
    const w = await wgWorld('upstream')
    await w.add()
    const ids = Array.from({ length: 130 }, (_, i) => w.user(i < 2 ? 'twin' : `u${i}`))
    const rows = await w.json<WgRow[]>(['users', 'wg'])
    expect(rows.map((r) => r.id)).toEqual(ids)
    expect(rows.slice(0, 2).map((r) => r.name)).toEqual([`twin#${ids[0]}`, `twin#${ids[1]}`])
    const r = await w.json<{ results: { id: number }[] }>(['kick', 'wg', `twin#${ids[1]}`])
    expect(r.results.map((x) => x.id)).toEqual([ids[1]])
  })
})
