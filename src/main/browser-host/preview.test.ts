import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readServersPreview } from './preview'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function dataDir(config?: unknown): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'nodedeck-preview-'))
  dirs.push(d)
  if (config !== undefined) {
    await writeFile(
      join(d, 'config.json'),
      typeof config === 'string' ? config : JSON.stringify(config),
    )
  }
  return d
}

const server = {
  id: 's1',
  kind: 'hysteria2',
  name: 'Tokyo 1',
  url: 'https://tokyo.example:8443',
  group: 'Tokyo',
  tags: ['jp'],
  pollIntervalSec: 10,
  tls: { fingerprintSha256: 'AB:'.repeat(31) + 'AB' },
  options: {},
  createdAt: 1,
}
const settings = { locale: 'en-US', theme: 'light' }

describe('servers preview (the fleet before the core is up)', () => {
  it('lists the config file’s servers as the core does before any probe: every state unknown', async () => {
    const list = await readServersPreview(
      await dataDir({ version: 1, servers: [server], settings }),
      42,
    )
    expect(list).toEqual([
      {
        ...server,
        hasSecret: null,
        certExpiry: null,
        status: {
          serverId: 's1',
          state: 'unknown',
          since: 42,
          lastCheckAt: null,
          lastOkAt: null,
          latencyMs: null,
          error: null,
          pending: null,
        },
      },
    ])
  })

  it('no config file yet: an empty fleet', async () => {
    expect(await readServersPreview(await dataDir())).toEqual([])
  })

  it('gives none for a file the core would refuse, and leaves the file alone', async () => {
    const bad = [
      '{not json',
      { version: 2, servers: [], settings },
      { version: 1, servers: [{ ...server, url: 'https://user:pw@host' }], settings },
      { version: 1, servers: [{ ...server, kind: 'nope' }], settings },
    ]
    for (const config of bad) {
      const d = await dataDir(config)
      const before = await readFile(join(d, 'config.json'), 'utf8')
      expect(await readServersPreview(d)).toBeNull()
      expect(await readdir(d)).toEqual(['config.json'])
      expect(await readFile(join(d, 'config.json'), 'utf8')).toBe(before)
    }
  })
})
