import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { appError, type AlertSettings, type ServerStatus } from '../../../shared/contract'
import { createDispatcher, type Handlers } from '../../../shared/rpc/dispatcher'
import type { RpcResult } from '../../../shared/rpc/protocol'
import { Notifier } from '../notify/notifier'
import { createAlertHandlers } from './alerts'

let dir: string
let notifier: Notifier
let announced: AlertSettings[]
let call: (method: string, input?: unknown) => Promise<RpcResult>

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nd-alert-handlers-'))
  announced = []
  notifier = await Notifier.open({
    dataDir: dir,
    sinks: [],
    emit: () => undefined,
    servers: () => [],
    rules: { groupWindowMs: 0 },
  })
  const handlers = createAlertHandlers({
    notifier,
    announce: (s) => announced.push(s),
    hasServer: (id) => id === 'a' || id === 'b',
  })
  const dispatch = createDispatcher(handlers as Handlers, { validateOutput: true })
  call = (method, input) => dispatch(method, input, { connectionId: 'c' })
})
afterEach(async () => {
  await notifier.close()
  rmSync(dir, { recursive: true, force: true })
})

const down = (serverId: string): ServerStatus => ({
  serverId,
  state: 'offline',
  since: 1,
  lastCheckAt: 1,
  lastOkAt: null,
  latencyMs: null,
  error: appError('network', 'refused'),
  pending: null,
})

describe('alerts.* handlers', () => {
  it('mutes and unmutes a server, announcing each change; refuses an unknown server', async () => {
    const r1 = await call('alerts.mute', { serverId: 'a', muted: true })
    expect(r1).toMatchObject({ ok: true, data: { mutedServerIds: ['a'] } })
    await call('alerts.mute', { serverId: 'b', muted: true })
    await call('alerts.mute', { serverId: 'a', muted: true })
    const r2 = await call('alerts.mute', { serverId: 'a', muted: false })
    expect(r2).toMatchObject({ ok: true, data: { mutedServerIds: ['b'] } })
    expect(announced.map((s) => s.mutedServerIds)).toEqual([['a'], ['a', 'b'], ['b', 'a'], ['b']])
    const bad = await call('alerts.mute', { serverId: 'zzz', muted: true })
    expect(bad).toMatchObject({ ok: false, error: { code: 'not_found' } })
    // Unmuting an id that is gone is allowed (cleans up).
    expect((await call('alerts.mute', { serverId: 'zzz', muted: false })).ok).toBe(true)
  })

  it('sets quiet hours as a patch and validates times', async () => {
    await call('alerts.mute', { serverId: 'a', muted: true })
    const q = { enabled: true, start: '22:30', end: '06:00', days: [5, 6] }
    const r = await call('alerts.settings.set', { quietHours: q })
    expect(r).toMatchObject({ ok: true, data: { mutedServerIds: ['a'], quietHours: q } })
    const bad = await call('alerts.settings.set', { quietHours: { ...q, start: '25:00' } })
    expect(bad).toMatchObject({ ok: false, error: { code: 'invalid_input' } })
    expect(await call('alerts.settings.get', null)).toMatchObject({
      ok: true,
      data: { quietHours: q },
    })
  })

  it('pages and clears the history', async () => {
    for (const id of ['a', 'b']) notifier.onChange(down(id), 'online', { id, name: id, group: '' })
    await new Promise((r) => setTimeout(r, 5))
    const page = await call('alerts.history', { limit: 1 })
    expect(page).toMatchObject({ ok: true, data: { total: 2, items: [{ serverId: 'b' }] } })
    const byServer = await call('alerts.history', { serverId: 'a', kinds: ['offline'] })
    expect(byServer).toMatchObject({ ok: true, data: { total: 1 } })
    expect((await call('alerts.clear', undefined)).ok).toBe(true)
    expect(await call('alerts.history', {})).toMatchObject({ ok: true, data: { total: 0 } })
  })
})
