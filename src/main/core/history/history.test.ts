import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { UsersSnapshot } from '../../../shared/contract'
import { silentLogger } from '../util/logger'
import { createHistory, type History } from './history'

let dir: string
const started: History[] = []
const make = () => {
  const h = createHistory({ dataDir: dir, log: silentLogger, flushMs: 20 })
  started.push(h)
  return h
}
const until = async <T>(fn: () => Promise<T>, ok: (v: T) => boolean): Promise<T> => {
  for (let i = 0; ; i++) {
    const v = await fn()
    if (ok(v) || i > 600) return v
    await new Promise((r) => setTimeout(r, 25))
  }
}
const snap = (at: number, up: number): UsersSnapshot => ({
  serverId: 'srv',
  at,
  stale: false,
  error: null,
  users: [
    {
      name: 'ann',
      online: true,
      devices: 1,
      up,
      down: 0,
      upRate: null,
      downRate: null,
      reset: false,
    },
  ],
  clearOnRead: false,
  countingSince: null,
  serverReset: false,
})

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nd-history-host-'))
})
afterEach(async () => {
  for (const h of started.splice(0)) await h.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('history host (worker thread)', () => {
  it('records readings in the worker and answers queries across a restart', async () => {
    const h = make()
    expect((await h.status()).state).toBe('off')
    h.start()
    const st = await until(
      () => h.status(),
      (s) => s.state === 'ok',
    )
    expect(st).toMatchObject({ state: 'ok', file: join(dir, 'history.sqlite') })
    const t = Date.now() - 3 * 60_000
    h.onEvent('users.snapshot', snap(t, 1000))
    h.onEvent('users.snapshot', snap(t + 5000, 4000))
    // The last hour of one server comes from memory (raw tier), without the worker.
    const raw = await h.series({
      scope: 'server',
      serverId: 'srv',
      metric: 'up',
      from: t - 1000,
      to: t + 10_000,
      maxPoints: 100,
    })
    expect(raw).toMatchObject({
      tier: 'raw',
      points: { t: [t + 5000 - ((t + 5000) % 1000)], avg: [600] },
    })
    // Stop writes the open minute; a new host (a restarted app) reads it back from the file.
    await h.stop()
    const h2 = make()
    h2.start()
    await until(
      () => h2.status(),
      (s) => s.state === 'ok',
    )
    const q = { from: t - 60_000, to: t + 60_000, limit: 10 }
    expect(await h2.top(q)).toEqual([{ user: 'ann', up: 3000, down: 0, total: 3000, servers: 1 }])
    const user = await h2.series({
      scope: 'user',
      user: 'ann',
      metric: 'up',
      from: q.from,
      to: q.to,
      maxPoints: 10,
    })
    expect(user).toMatchObject({ tier: '1m', missing: 'zero' })
    expect(user.points.sum).toEqual([3000])
  })

  it('keeps running without history when the database is held by another NodeDeck', async () => {
    const a = make()
    a.start()
    await until(
      () => a.status(),
      (s) => s.state === 'ok',
    )
    const b = make()
    b.start()
    const st = await until(
      () => b.status(),
      (s) => s.state === 'unavailable',
    )
    expect(st.reason).toMatch(/another NodeDeck/)
    await expect(b.top({ from: 1, to: 2, limit: 1 })).rejects.toThrow(/another NodeDeck/)
    // Readings are still taken (the raw tier in memory answers).
    b.onEvent('users.snapshot', snap(Date.now() - 10_000, 1))
    b.onEvent('users.snapshot', snap(Date.now() - 5_000, 11))
    const raw = await b.series({
      scope: 'server',
      serverId: 'srv',
      metric: 'online',
      from: Date.now() - 60_000,
      to: Date.now(),
      maxPoints: 10,
    })
    expect(raw.points.avg.length).toBeGreaterThan(0)
    expect(raw.points.avg.every((v) => v === 1)).toBe(true)
  })
})
