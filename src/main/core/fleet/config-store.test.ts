import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AppErrorException, type ServerConfig } from '../../../shared/contract'
import {
  CONFIG_VERSION,
  configPath,
  emptyConfig,
  loadConfig,
  saveConfig,
  type ConfigFile,
} from './config-store'

let dir = ''
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nodedeck-config-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

function server(id: string, extra: Partial<ServerConfig> = {}): ServerConfig {
  return {
    id,
    kind: 'hysteria2',
    name: `Server ${id}`,
    url: 'http://203.0.113.10:9999',
    group: 'eu',
    tags: ['a', 'b'],
    pollIntervalSec: 10,
    tls: {},
    options: { clearOnRead: false },
    createdAt: 1_700_000_000_000,
    ...extra,
  }
}

function sample(): ConfigFile {
  return {
    version: CONFIG_VERSION,
    servers: [server('s1'), server('s2', { tls: { fingerprintSha256: 'AB'.repeat(32) } })],
    settings: { locale: 'zh-CN', theme: 'dark' },
    bridges: [],
  }
}

async function storageError(p: Promise<unknown>) {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(AppErrorException)
    return (err as AppErrorException).appError
  }
  throw new Error('expected a failure')
}

describe('config store', () => {
  it('starts empty when there is no file, without a problem', async () => {
    const loaded = await loadConfig(dir)
    expect(loaded).toEqual({ config: emptyConfig(), problem: null })
    expect(loaded.config.settings).toEqual({ locale: null, theme: 'system' })
  })

  it('round-trips a config', async () => {
    const cfg = sample()
    await saveConfig(dir, cfg)
    const loaded = await loadConfig(dir)
    expect(loaded.problem).toBeNull()
    expect(loaded.config).toEqual(cfg)
  })

  it('loads a file written before traffic bridges existed, with no bridges', async () => {
    const { bridges: _bridges, ...before } = sample()
    await writeFile(configPath(dir), JSON.stringify(before))
    const loaded = await loadConfig(dir)
    expect(loaded.problem).toBeNull()
    expect(loaded.config).toEqual(sample())
  })

  it('creates the data directory and writes the file with mode 0600', async () => {
    const nested = join(dir, 'a', 'b')
    await saveConfig(nested, sample())
    const st = await stat(configPath(nested))
    if (process.platform !== 'win32') expect(st.mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(configPath(nested), 'utf8'))).toEqual(sample())
  })

  it('writes atomically and leaves no temp files behind', async () => {
    for (let i = 0; i < 5; i++) {
      const cfg = sample()
      cfg.settings.theme = i % 2 ? 'light' : 'dark'
      await saveConfig(dir, cfg)
    }
    expect(await readdir(dir)).toEqual(['config.json'])
  })

  it('a failed write leaves no temp file behind', async () => {
    // The target is a directory: the final rename fails.
    await mkdir(configPath(dir))
    await expect(saveConfig(dir, sample())).rejects.toThrow()
    expect(await readdir(dir)).toEqual(['config.json'])
  })

  it('refuses to save an invalid config and does not touch the file', async () => {
    await saveConfig(dir, sample())
    const before = await readFile(configPath(dir))
    const bad = { ...sample(), servers: [{ ...server('x'), url: 'ftp://nope' }] }
    await expect(saveConfig(dir, bad)).rejects.toThrow()
    expect(await readFile(configPath(dir))).toEqual(before)
    expect(await readdir(dir)).toEqual(['config.json'])
  })

  it('moves a file that is not JSON aside, byte for byte, and reports it', async () => {
    // Not UTF-8 either: the copy must still be exact.
    const junk = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x00, 0x0a, 0x68, 0x69])
    await writeFile(configPath(dir), junk)
    const now = Date.UTC(2026, 0, 2, 3, 4, 5, 678)
    const loaded = await loadConfig(dir, now)
    expect(loaded.config).toEqual(emptyConfig())
    const aside = `${configPath(dir)}.corrupt-2026-01-02T03-04-05-678Z`
    expect(loaded.problem).toContain('not valid JSON')
    expect(loaded.problem).toContain(aside)
    expect(await readdir(dir)).toEqual(['config.json.corrupt-2026-01-02T03-04-05-678Z'])
    expect(await readFile(aside)).toEqual(junk)
  })

  it('moves valid JSON of the wrong shape aside and says where the problem is', async () => {
    const text = JSON.stringify(
      { version: 1, servers: [{ id: 's1', kind: 'hysteria2', name: 'x' }], settings: {} },
      null,
      2,
    )
    await writeFile(configPath(dir), text)
    const loaded = await loadConfig(dir, 0)
    expect(loaded.config).toEqual(emptyConfig())
    expect(loaded.problem).toMatch(/invalid content at servers\.0\./)
    const files = await readdir(dir)
    expect(files).toHaveLength(1)
    expect(files[0]).toMatch(/^config\.json\.corrupt-/)
    expect(await readFile(join(dir, files[0] ?? ''), 'utf8')).toBe(text)
  })

  it('moves aside JSON that is not an object at all', async () => {
    for (const text of ['null', '[]', '"hello"', '42']) {
      await writeFile(configPath(dir), text)
      const loaded = await loadConfig(dir, text.length)
      expect(loaded.problem, text).toMatch(/invalid content/)
      expect(await readdir(dir)).not.toContain('config.json')
    }
  })

  it('refuses a file written by a newer version with a storage error and leaves it untouched', async () => {
    const text = JSON.stringify({ version: CONFIG_VERSION + 1, servers: 'whatever', future: true })
    await writeFile(configPath(dir), text)
    const e = await storageError(loadConfig(dir))
    expect(e.code).toBe('storage')
    expect(e.message).toMatch(/newer NodeDeck/)
    expect(await readdir(dir)).toEqual(['config.json'])
    expect(await readFile(configPath(dir), 'utf8')).toBe(text)
  })

  it('reports an unreadable file as a storage error', async () => {
    await mkdir(configPath(dir))
    const e = await storageError(loadConfig(dir))
    expect(e.code).toBe('storage')
  })

  it('never writes secret fields: unknown keys (secret, password) are stripped', async () => {
    const leaky = {
      ...sample(),
      secret: 'TOP-LEVEL-SECRET',
      servers: [
        {
          ...server('s1'),
          secret: 'SERVER-SECRET',
          password: 'SERVER-PASSWORD',
          tls: { apiKey: 'TLS-KEY' },
        },
      ],
      settings: { theme: 'dark', locale: null, token: 'SETTINGS-TOKEN' },
    } as unknown as ConfigFile
    await saveConfig(dir, leaky)
    const text = await readFile(configPath(dir), 'utf8')
    for (const s of [
      'TOP-LEVEL-SECRET',
      'SERVER-SECRET',
      'SERVER-PASSWORD',
      'TLS-KEY',
      'SETTINGS-TOKEN',
    ]) {
      expect(text).not.toContain(s)
    }
    expect(text).not.toMatch(/"(secret|password|token|apiKey)"/)
    // And on load, a hand-added secret key is dropped rather than kept in memory.
    const raw = JSON.parse(text) as { servers: Array<Record<string, unknown>> }
    const first = raw.servers[0]
    if (first) first.secret = 'HAND-ADDED'
    await writeFile(configPath(dir), JSON.stringify(raw))
    const loaded = await loadConfig(dir)
    expect(JSON.stringify(loaded.config)).not.toContain('HAND-ADDED')
  })
})
