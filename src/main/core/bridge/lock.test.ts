import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { acquireLock, lockHolder } from './lock'

let dir: string
let path: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nodedeck-lock-'))
  path = join(dir, 'sub', 'b.lock')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** A pid that surely belongs to no process now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0'])
  return r.pid!
}

const write = (info: object) =>
  writeFile(path, JSON.stringify({ host: hostname(), startedAt: 1, nonce: 'n', ...info }))

describe('bridge lock', () => {
  it('is exclusive, names its holder, and is released', async () => {
    const a = await acquireLock(path, 'Bridge "x"', 'the NodeDeck app')
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({
      pid: process.pid,
      owner: 'the NodeDeck app',
    })
    expect(await lockHolder(path)).toMatchObject({ pid: process.pid })
    const err = await acquireLock(path, 'Bridge "x"', 'cli').catch((e: unknown) => e)
    expect(err).toMatchObject({ appError: { code: 'invalid_input', params: { pid: process.pid } } })
    expect((err as Error).message).toMatch(
      /Bridge "x" is already running in the NodeDeck app \(process \d+/,
    )
    await a.release()
    expect(await readdir(join(dir, 'sub'))).toEqual([])
    expect(await lockHolder(path)).toBeNull()
    const b = await acquireLock(path, 'Bridge "x"', 'cli')
    await a.release() // a second release of an old lock leaves the new one alone
    expect(await lockHolder(path)).toMatchObject({ owner: 'cli' })
    await b.release()
  })

  it('takes over a lock whose process is gone, or that names this process but is not held', async () => {
    await mkdir(join(dir, 'sub'))
    await write({ pid: deadPid(), owner: 'old' })
    expect(await lockHolder(path)).toBeNull()
    const a = await acquireLock(path, 'x', 'new')
    expect(a.info.owner).toBe('new')
    await a.release()
    await write({ pid: process.pid, owner: 'me, before a restart' })
    const b = await acquireLock(path, 'x', 'me')
    await b.release()
  })

  it('respects a live process, a lock being written, and another host', async () => {
    await mkdir(join(dir, 'sub'))
    await write({ pid: process.ppid, owner: 'parent' })
    await expect(acquireLock(path, 'x', 'me')).rejects.toThrow(/parent/)
    await writeFile(path, '')
    await expect(acquireLock(path, 'x', 'me')).rejects.toThrow(/being written/)
    const old = new Date(Date.now() - 60_000)
    await utimes(path, old, old)
    await (await acquireLock(path, 'x', 'me')).release()
    await write({ pid: deadPid(), owner: 'elsewhere', host: 'another-host' })
    await expect(acquireLock(path, 'x', 'me')).rejects.toThrow(/on another-host/)
  })
})
