import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { AppError, HistorySeries, HistoryStatus } from '../../src/shared/contract'
import { createCore, type Core } from '../../src/main/core/create-core'
import { FakeCredentialStore } from '../../src/main/core/testing/fake-credential-store'
import { FakeHysteria2Server } from '../../src/main/core/testing/fake-hysteria2-server'

const SECRET = 'hy2-history-secret'
let dir = ''
let hy: FakeHysteria2Server
let core: Core | null = null

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nodedeck-history-'))
  hy = new FakeHysteria2Server(SECRET)
  await hy.start()
})
afterEach(async () => {
  await core?.stop()
  core = null
  await hy.stop()
  await rm(dir, { recursive: true, force: true })
})

async function start(manual = false) {
  core = await createCore({
    dataDir: dir,
    credentials: new FakeCredentialStore(),
    host: 'cli',
    capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
    validateOutput: true,
    manual,
  })
  core.start()
  const conn = core.connect(() => {})
  const call = async <T>(method: string, input?: unknown): Promise<T> => {
    const r = await conn.call(method, input)
    if (!r.ok) throw new Error(`${method}: ${r.error.code} ${r.error.message}`)
    return r.data as T
  }
  const fail = async (method: string, input?: unknown): Promise<AppError> => {
    const r = await conn.call(method, input)
    if (r.ok) throw new Error(`${method} should have failed`)
    return r.error
  }
  return { call, fail }
}

describe('history.* through the core (contract-validated both ways)', () => {
  it('records a server’s polls and answers series, top, events and status', async () => {
    const c = await start()
    hy.traffic = { ann: { tx: 100, rx: 1000 } }
    hy.online = { ann: 1 }
    const { id } = await c.call<{ id: string }>('servers.add', {
      draft: { kind: 'hysteria2', name: 'Tokyo', url: hy.url, pollIntervalSec: 2 },
      secret: SECRET,
    })
    await c.call('servers.refresh', { id })
    hy.traffic = { ann: { tx: 600, rx: 5000 } }
    await new Promise((r) => setTimeout(r, 50))
    await c.call('servers.refresh', { id })
    const now = Date.now()
    const latency = await c.call<HistorySeries>('history.series', {
      scope: 'server',
      serverId: id,
      metric: 'latency',
      from: now - 3_600_000,
      to: now + 1000,
      maxPoints: 600,
    })
    expect(latency.tier).toBe('raw')
    expect(latency.points.avg.length).toBeGreaterThan(0)
    const online = await c.call<HistorySeries>('history.series', {
      scope: 'server',
      serverId: id,
      metric: 'online',
      from: now - 60_000,
      to: now + 1000,
      maxPoints: 60,
    })
    expect(online.points.max).toContain(1)
    // Bytes from the users' side: tx of the server = the user's download.
    const down = await c.call<HistorySeries>('history.series', {
      scope: 'server',
      serverId: id,
      metric: 'down',
      from: now - 60_000,
      to: now + 1000,
      maxPoints: 60,
    })
    expect(down.unit).toBe('bytes/s')
    expect(Math.max(...down.points.max.map(Number))).toBeGreaterThan(0)
    let status = await c.call<HistoryStatus>('history.status')
    for (let i = 0; status.state !== 'ok' && i < 200; i++) {
      await new Promise((r) => setTimeout(r, 25))
      status = await c.call<HistoryStatus>('history.status')
    }
    expect(status).toMatchObject({ state: 'ok', file: join(dir, 'history.sqlite') })
    // State changes reach the database with the next batch (about once a second).
    let events: { s: string; from: string; to: string }[] = []
    for (let i = 0; events.length === 0 && i < 200; i++) {
      await new Promise((r) => setTimeout(r, 25))
      events = await c.call('history.events', { from: now - 60_000, to: now + 60_000 })
    }
    expect(events[0]).toMatchObject({ s: id, from: 'unknown', to: 'online' })
    expect(await c.call('history.top', { from: now - 60_000, to: now + 1000 })).toEqual([])
  })

  it('refuses bad questions before the handler runs', async () => {
    const c = await start()
    const now = Date.now()
    const base = { scope: 'server', serverId: 'x', metric: 'latency', maxPoints: 100 }
    for (const bad of [
      { ...base, from: now, to: now - 1 },
      { ...base, from: now - 1000, to: now, maxPoints: 50_000 },
      { ...base, from: 1_700_000_000, to: 1_700_000_100 }, // seconds, not ms
      { ...base, scope: 'server', serverId: undefined, from: now - 1000, to: now },
      { ...base, scope: 'user', from: now - 1000, to: now },
      { ...base, scope: 'user', user: 'ann', metric: 'online', from: now - 1000, to: now },
      { ...base, scope: 'fleet', from: now - 1000, to: now },
    ]) {
      expect((await c.fail('history.series', bad)).code).toBe('invalid_input')
    }
    expect((await c.fail('history.top', { from: now, to: now + 1, limit: 5000 })).code).toBe(
      'invalid_input',
    )
  })

  it('is off for one-shot CLI commands and says so', async () => {
    const c = await start(true)
    expect(await c.call<HistoryStatus>('history.status')).toMatchObject({ state: 'off' })
    const err = await c.fail('history.top', { from: Date.now() - 1000, to: Date.now() })
    expect(err.code).toBe('storage')
  })
})
