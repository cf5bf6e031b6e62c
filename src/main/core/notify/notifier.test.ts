import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { appError, type Notice, type ServerStatus } from '../../../shared/contract'
import { AlertStore, alertFiles } from './alert-store'
import { Notifier, type NotificationSink } from './notifier'
import { isQuietAt } from './quiet-hours'

let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nd-alerts-'))
})
afterEach(() => {
  vi.useRealTimers()
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

function notice(i: number, over: Partial<Notice> = {}): Notice {
  return {
    id: `n${i}`,
    at: i,
    level: 'error',
    kind: 'offline',
    serverId: `s${i % 3}`,
    serverName: `S${i % 3}`,
    title: 't',
    body: '',
    ...over,
  }
}

async function open(sinks: NotificationSink[] = [], emitted: Notice[] = []) {
  return Notifier.open({
    dataDir: dir,
    sinks,
    emit: (n) => emitted.push(n),
    servers: () => [],
    rules: { groupWindowMs: 0 },
  })
}

describe('Notifier', () => {
  it('sends popping notices to the sinks, every notice to the UI and the history', async () => {
    const popped: Notice[] = []
    const emitted: Notice[] = []
    const n = await open([{ notify: (x) => popped.push(x) }], emitted)
    await n.updateSettings({ mutedServerIds: ['m'] })
    n.onChange(down('a'), 'online', { id: 'a', name: 'A', group: '' })
    n.onChange(down('m'), 'online', { id: 'm', name: 'M', group: '' })
    await new Promise((r) => setTimeout(r, 5))
    expect(emitted.map((x) => [x.serverId, x.muted])).toEqual([
      ['m', true],
      ['a', undefined],
    ])
    expect(popped.map((x) => x.serverId)).toEqual(['a'])
    expect(n.list().map((x) => x.serverId)).toEqual(['a', 'm'])
    await n.close()
  })

  it('a failing sink does not stop the others or the history', async () => {
    const popped: Notice[] = []
    const n = await open([
      {
        notify: () => {
          throw new Error('no daemon')
        },
      },
      { notify: (x) => popped.push(x) },
    ])
    n.onChange(down('a'), 'online', { id: 'a', name: 'A', group: '' })
    await new Promise((r) => setTimeout(r, 5))
    expect(popped).toHaveLength(1)
    expect(n.list()).toHaveLength(1)
    await n.close()
  })

  it('persists history and settings across a restart', async () => {
    const n1 = await open()
    await n1.updateSettings({
      mutedServerIds: ['x', 'x', 'y'],
      quietHours: { enabled: true, start: '23:00', end: '06:30', days: [1] },
    })
    n1.onChange(down('a'), 'online', { id: 'a', name: 'A', group: '' })
    await n1.close()
    const n2 = await open()
    expect(n2.settings).toEqual({
      mutedServerIds: ['x', 'y'],
      quietHours: { enabled: true, start: '23:00', end: '06:30', days: [1] },
    })
    expect(n2.list()).toHaveLength(1)
    expect(n2.list()[0]).toMatchObject({ serverId: 'a', kind: 'offline', title: 'A is offline' })
    await n2.close()
  })
})

describe('AlertStore', () => {
  it('keeps the newest 1,000 entries, pages newest first, filters by server (groups too) and kind', async () => {
    const s = new AlertStore({ dataDir: dir })
    await s.load()
    for (let i = 0; i < 1005; i++) s.add(notice(i))
    s.add(notice(2000, { kind: 'group', serverId: '', serverIds: ['s1', 'z'] }))
    await s.flush()
    const all = s.page({ offset: 0, limit: 3 })
    expect(all.total).toBe(1000)
    expect(all.items.map((n) => n.id)).toEqual(['n2000', 'n1004', 'n1003'])
    const s1 = s.page({ offset: 0, limit: 500, serverId: 's1' })
    expect(s1.items[0]?.id).toBe('n2000')
    expect(s1.items.every((n) => n.serverId === 's1' || n.serverIds?.includes('s1'))).toBe(true)
    const groups = s.page({ offset: 0, limit: 10, kinds: ['group'] })
    expect(groups.total).toBe(1)
    expect(s.page({ offset: 999, limit: 10 }).items).toHaveLength(1)
    const onDisk = JSON.parse(readFileSync(alertFiles(dir).history, 'utf8')) as {
      notices: Notice[]
    }
    expect(onDisk.notices).toHaveLength(1000)
    expect(onDisk.notices[0]?.id).toBe('n6')
    s.clear()
    await s.flush()
    const again = new AlertStore({ dataDir: dir })
    await again.load()
    expect(again.page({ offset: 0, limit: 10 }).total).toBe(0)
  })

  it('moves a corrupt history or settings file aside and starts empty, never throwing', async () => {
    const files = alertFiles(dir)
    writeFileSync(files.history, '{"version":1,"notices":[{"id":')
    writeFileSync(files.settings, JSON.stringify({ mutedServerIds: 'not a list' }))
    const warnings: string[] = []
    const log = {
      debug: () => undefined,
      info: () => undefined,
      warn: (m: string) => warnings.push(m),
      error: () => undefined,
    }
    const s = new AlertStore({ dataDir: dir, log })
    await s.load()
    expect(s.page({ offset: 0, limit: 10 }).total).toBe(0)
    expect(s.settings.mutedServerIds).toEqual([])
    const names = readdirSync(dir)
    expect(names.filter((f) => f.startsWith('alerts-history.json.corrupt-'))).toHaveLength(1)
    expect(names.filter((f) => f.startsWith('alerts-settings.json.corrupt-'))).toHaveLength(1)
    expect(warnings).toHaveLength(2)
    // It works normally afterwards.
    s.add(notice(1))
    await s.flush()
    const again = new AlertStore({ dataDir: dir })
    await again.load()
    expect(again.page({ offset: 0, limit: 10 }).total).toBe(1)
  })

  it('writes nothing when not persisting (CLI one-shots)', async () => {
    const s = new AlertStore({ dataDir: dir, persist: false })
    await s.load()
    s.add(notice(1))
    await s.saveSettings({
      mutedServerIds: ['a'],
      quietHours: { enabled: false, start: '22:00', end: '07:00', days: [] },
    })
    await s.flush()
    expect(readdirSync(dir)).toEqual([])
    expect(s.settings.mutedServerIds).toEqual(['a'])
  })
})

describe('isQuietAt', () => {
  const q = (start: string, end: string, days: number[] = []) => ({
    enabled: true,
    start,
    end,
    days,
  })
  const at = (day: number, h: number, m = 0) => new Date(2024, 0, 7 + day, h, m) // 7 Jan = Sunday

  it('handles a same-day window, end exclusive', () => {
    expect(isQuietAt(at(1, 12), q('12:00', '13:30'))).toBe(true)
    expect(isQuietAt(at(1, 13, 29), q('12:00', '13:30'))).toBe(true)
    expect(isQuietAt(at(1, 13, 30), q('12:00', '13:30'))).toBe(false)
    expect(isQuietAt(at(1, 11, 59), q('12:00', '13:30'))).toBe(false)
  })

  it('crosses midnight; the morning belongs to the day the period started', () => {
    const fri = q('22:00', '07:00', [5])
    expect(isQuietAt(at(5, 22), fri)).toBe(true)
    expect(isQuietAt(at(6, 3), fri)).toBe(true) // Saturday 03:00
    expect(isQuietAt(at(6, 7), fri)).toBe(false)
    expect(isQuietAt(at(5, 3), fri)).toBe(false) // Friday 03:00 belongs to Thursday
    expect(isQuietAt(at(6, 23), fri)).toBe(false)
    // Saturday → Sunday crossing the week boundary.
    expect(isQuietAt(at(0, 2), q('22:00', '07:00', [6]))).toBe(true)
  })

  it('is off when disabled; start = end is a whole day', () => {
    expect(isQuietAt(at(1, 3), { ...q('22:00', '07:00'), enabled: false })).toBe(false)
    expect(isQuietAt(at(1, 9), q('08:00', '08:00'))).toBe(true)
    expect(isQuietAt(at(1, 7, 59), q('08:00', '08:00'))).toBe(true)
  })
})
