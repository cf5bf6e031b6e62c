/**
 * The `nodedeck` CLI against an HY2 SCALE emulator, in-process through `runCli(argv, io)`: a
 * temporary `--data-dir`, an in-memory credential store. The `--json` shapes are a public
 * interface (README, "The CLI").
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCli, type CliIo } from '../../src/main/cli/cli'
import { FakeCredentialStore } from '../../src/main/core/testing/fake-credential-store'
import { generateWireGuardKeyPair } from '../../src/main/core/facet-handlers'
import { startHy2ScaleEmulator, type Hy2ScaleEmulator } from '../../emulators/hy2scale/server'

const PASSWORD = 'Scale-Admin-Plaintext-7q'
/** Keychain key of the HY2 SCALE admin password. */
const SECRET_KEY = 'password'
const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** One test's world: an emulator, a data dir, a credential store, a `nodedeck` to run. */
async function world() {
  const emu: Hy2ScaleEmulator = await startHy2ScaleEmulator({ password: PASSWORD })
  cleanups.push(() => emu.close())
  const dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-cli-hy2scale-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  const store = new FakeCredentialStore()
  const outputs: string[] = []

  async function run(argv: string[], opts: { stdin?: string } = {}): Promise<Run> {
    let stdout = ''
    let stderr = ''
    const io: CliIo = {
      stdout: (t) => {
        stdout += t
      },
      stderr: (t) => {
        stderr += t
      },
      readStdin: async () => opts.stdin ?? '',
      env: {},
      credentials: () => store,
    }
    const code = await runCli(['--data-dir', dataDir, ...argv], io)
    outputs.push(stdout, stderr)
    return { code, stdout, stderr }
  }

  /** `run` that must succeed with nothing on stderr; parses --json output. */
  async function json<T = unknown>(argv: string[]): Promise<T> {
    const r = await run([...argv, '--json'])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    return JSON.parse(r.stdout) as T
  }

  let token = ''
  /** A direct call to the node (test setup), with its own login. */
  async function node<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    if (!emu.tokens().includes(token)) {
      const r = await fetch(`${emu.url}/api/login`, {
        method: 'POST',
        body: JSON.stringify({ username: 'admin', password: sha256Hex(PASSWORD) }),
      })
      token = ((await r.json()) as { token: string }).token
    }
    const r = await fetch(`${emu.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await r.text()
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
    return JSON.parse(text) as T
  }

  /** `servers add --kind hy2scale ... --secret-stdin`; returns the id. */
  async function add(name = 'scale-1'): Promise<string> {
    const r = await run(
      [
        'servers',
        'add',
        '--kind',
        'hy2scale',
        '--name',
        name,
        '--url',
        emu.url,
        '--username',
        'admin',
        '--secret-stdin',
        '--json',
      ],
      { stdin: `${PASSWORD}\n` },
    )
    expect(r).toMatchObject({ code: 0, stderr: '' })
    return (JSON.parse(r.stdout) as { id: string }).id
  }

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

  return { emu, dataDir, store, outputs, run, json, node, add, dataDirText }
}

// ---------------------------------------------------------------------------------------------

describe('nodedeck with an HY2 SCALE node', () => {
  it('servers add --kind hy2scale: the password in the store only, the user name in config.json', async () => {
    const w = await world()
    const id = await w.add()
    expect(w.store.peek(id, SECRET_KEY)).toBe(PASSWORD)
    const cfg = JSON.parse(readFileSync(join(w.dataDir, 'config.json'), 'utf8')) as {
      servers: Array<{ id: string; kind: string; url: string; options: unknown }>
    }
    expect(cfg.servers).toEqual([
      expect.objectContaining({
        id,
        kind: 'hy2scale',
        url: w.emu.url,
        options: { username: 'admin' },
      }),
    ])
    // Default user name when --username is left out.
    const r = await w.run(
      [
        'servers',
        'add',
        '--kind',
        'hy2scale',
        '--name',
        'two',
        '--url',
        w.emu.url,
        '--secret-stdin',
      ],
      { stdin: PASSWORD },
    )
    expect(r.code).toBe(0)
    const cfg2 = JSON.parse(readFileSync(join(w.dataDir, 'config.json'), 'utf8')) as typeof cfg
    expect(cfg2.servers[1]?.options).toEqual({ username: 'admin' })

    const status = await w.json<Array<{ id: string; state: string }>>(['status'])
    expect(status.map((s) => s.state)).toEqual(['online', 'online'])
    expect(w.dataDirText()).not.toContain(PASSWORD)
    expect(w.dataDirText()).not.toContain(sha256Hex(PASSWORD))
    for (const o of w.outputs) expect(o).not.toContain(PASSWORD)
    // The node only ever saw the hash.
    for (const q of w.emu.requests) expect(q.body ?? '').not.toContain(PASSWORD)
  })

  it('users --json: users, devices, up/down null + enabled, used, limit, expiresAt', async () => {
    const w = await world()
    await w.add()
    await w.node('POST', '/api/users', {
      username: 'alice',
      password: 'pw-a',
      traffic_limit: 5000,
      expiry_date: '2030-06-30',
      enabled: true,
    })
    await w.node('POST', '/api/users', { username: 'bob', password: 'pw-b', enabled: false })
    w.emu.recordUserTraffic('alice', 1234)
    w.emu.addDevice({ username: 'alice', ip: '198.51.100.1', protocol: 'socks5' })
    w.emu.addDevice({ username: 'alice', ip: '198.51.100.2', protocol: 'hy2' })
    const rows = await w.json<Array<Record<string, unknown>>>(['users', 'scale-1'])
    for (const r of rows) {
      expect(Object.keys(r)).toEqual([
        'name',
        'online',
        'devices',
        'up',
        'down',
        'enabled',
        'used',
        'limit',
        'expiresAt',
      ])
    }
    expect(rows).toEqual([
      {
        name: 'alice',
        online: true,
        devices: 2,
        up: null,
        down: null,
        enabled: true,
        used: 1234,
        limit: 5000,
        expiresAt: '2030-06-30',
      },
      {
        name: 'bob',
        online: false,
        devices: 0,
        up: null,
        down: null,
        enabled: false,
        used: 0,
        limit: null,
        expiresAt: null,
      },
    ])
    // The human table has the quota columns and no password.
    const human = await w.run(['users', 'scale-1'])
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/^USER\s+ONLINE\s+DEVICES\s+UPLOAD\s+DOWNLOAD\s+USED\s+LIMIT\n/)
    expect(human.stdout).toMatch(/bob .*unlimited/)
    expect(human.stdout).not.toContain('pw-a')
  })

  it('sessions --json, then kick SERVER USER kicks every device of the user', async () => {
    const w = await world()
    await w.add()
    await w.node('POST', '/api/users', { username: 'alice', password: 'pw-a' })
    await w.node('POST', '/api/users', { username: 'bob', password: 'pw-b' })
    w.emu.addDevice({ username: 'alice', ip: '198.51.100.1', protocol: 'socks5', conns: 2 })
    w.emu.addDevice({ username: 'alice', ip: '198.51.100.2', protocol: 'hy2' })
    w.emu.addDevice({ username: 'bob', ip: '198.51.100.3', protocol: 'http' })

    const sessions = await w.json<Array<Record<string, unknown>>>(['sessions', 'scale-1'])
    expect(sessions).toHaveLength(3)
    const byId = Object.fromEntries(sessions.map((s) => [s.id, s]))
    expect(byId['alice|198.51.100.1|socks5']).toMatchObject({
      user: 'alice',
      state: 'active',
      remote: '198.51.100.1',
      protocol: 'socks5',
      connections: 2,
      up: 0,
      down: 0,
    })
    expect(sessions.map((s) => s.user)).toEqual(['alice', 'alice', 'bob'])

    const k = await w.json<Record<string, unknown>>(['kick', 'scale-1', 'alice'])
    expect(k).toMatchObject({ ok: true, users: ['alice'] })
    expect(w.emu.sessions().map((s) => s.key)).toEqual(['bob|198.51.100.3|http'])
    const dels = w.emu.requests.filter((q) => q.method === 'DELETE').map((q) => q.path)
    expect(dels.sort()).toEqual([
      '/scale/api/sessions/alice%7C198.51.100.1%7Csocks5',
      '/scale/api/sessions/alice%7C198.51.100.2%7Chy2',
    ])
  })

  it('wg peers --json lists peers without private keys', async () => {
    const w = await world()
    await w.add()
    const k = generateWireGuardKeyPair()
    await w.node('POST', '/api/wireguard/peers', {
      name: 'phone',
      public_key: k.publicKey,
      private_key: k.privateKey,
      allowed_ips: '10.0.0.2/32',
      keepalive: 25,
    })
    const peers = await w.json<unknown[]>(['wg', 'peers', 'scale-1'])
    expect(peers).toEqual([
      {
        name: 'phone',
        publicKey: k.publicKey,
        allowedIps: '10.0.0.2/32',
        keepalive: 25,
        exitVia: '',
        hasPrivateKey: true,
      },
    ])
    for (const o of w.outputs) expect(o).not.toContain(k.privateKey)
  })

  it('wg export SERVER PEER --endpoint … --qr FILE.png prints the config and writes a PNG', async () => {
    const w = await world()
    await w.add()
    const k = generateWireGuardKeyPair()
    await w.node('POST', '/api/wireguard/peers', {
      name: 'phone',
      public_key: k.publicKey,
      private_key: k.privateKey,
      allowed_ips: '10.0.0.2/32',
      keepalive: 25,
    })
    const png = join(w.dataDir, 'x.png')
    const r = await w.run([
      'wg',
      'export',
      'scale-1',
      'phone',
      '--endpoint',
      'vpn.example.com',
      '--qr',
      png,
    ])
    expect(r).toMatchObject({ code: 0, stderr: '' })
    expect(r.stdout).toMatch(/^\[Interface\]\n/)
    expect(r.stdout).toContain(`PrivateKey = ${k.privateKey}`)
    expect(r.stdout).toContain('Endpoint = vpn.example.com:51820')
    const bytes = readFileSync(png)
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
    // IHDR: 512×512 as asked.
    expect(bytes.readUInt32BE(16)).toBe(512)
    expect(bytes.readUInt32BE(20)).toBe(512)
    // The private key never went into a URL (no node-side QR).
    for (const q of w.emu.requests) {
      expect(decodeURIComponent(q.path)).not.toContain(k.privateKey)
      expect(q.path).not.toContain('/api/wireguard/qr')
    }

    const j = await w.json<Record<string, unknown>>([
      'wg',
      'export',
      'scale-1',
      'phone',
      '--endpoint',
      'vpn.example.com',
    ])
    expect(j).toEqual({
      name: 'phone',
      filename: 'phone.conf',
      config: expect.stringContaining('Endpoint = vpn.example.com:51820'),
      qr: null,
    })

    const missing = await w.run(['wg', 'export', 'scale-1', 'nope'])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/^nodedeck: scale-1: .*peer not found/)
  })

  it('certs --json: exact keys, days left', async () => {
    const w = await world()
    await w.add()
    await w.node('POST', '/api/tls/generate', { id: 'web', domains: ['vpn.example.com'], days: 90 })
    const certs = await w.json<Array<Record<string, unknown>>>(['certs', 'scale-1'])
    expect(certs.map((c) => c.id)).toEqual(['default', 'web'])
    for (const c of certs) {
      expect(Object.keys(c)).toEqual([
        'id',
        'name',
        'subject',
        'issuer',
        'notAfter',
        'isCa',
        'daysLeft',
      ])
    }
    const web = certs[1] as Record<string, unknown>
    expect(web).toMatchObject({
      id: 'web',
      name: 'web',
      subject: 'vpn.example.com',
      issuer: 'vpn.example.com',
      isCa: false,
    })
    expect(web.notAfter).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(Math.abs((web.daysLeft as number) - 90)).toBeLessThanOrEqual(1)
    expect(Math.abs((certs[0]?.daysLeft as number) - 3650)).toBeLessThanOrEqual(1)

    await w.node('DELETE', '/api/tls/default')
    await w.node('DELETE', '/api/tls/web')
    expect(await w.json(['certs', 'scale-1'])).toEqual([])
  })

  it('stats --json: the node totals and rates', async () => {
    const w = await world()
    await w.add()
    w.emu.setStats({
      tx_bytes: 111,
      rx_bytes: 222,
      tx_rate: 3,
      rx_rate: 4,
      conns: 5,
      exit_clients: 6,
    })
    expect(await w.json(['stats', 'scale-1'])).toEqual({
      kind: 'hy2scale',
      txBytes: 111,
      rxBytes: 222,
      txRate: 3,
      rxRate: 4,
      conns: 5,
      exitClients: 6,
    })
  })

  it('a wrong password: one line on stderr, the AppError with --json', async () => {
    const w = await world()
    const r = await w.run(
      [
        'servers',
        'add',
        '--kind',
        'hy2scale',
        '--name',
        'bad',
        '--url',
        w.emu.url,
        '--secret-stdin',
      ],
      { stdin: 'wrong-password' },
    )
    expect(r.code).toBe(0)
    const f = await w.run(['certs', 'bad', '--json'])
    expect(f.code).toBe(1)
    expect(f.stderr.trimEnd().split('\n')).toHaveLength(1)
    expect(f.stderr).toMatch(/^nodedeck: bad: The node refused the user name or password/)
    expect(JSON.parse(f.stdout)).toMatchObject({ code: 'auth' })
    expect(f.stderr + f.stdout).not.toContain('wrong-password')
  })
})
