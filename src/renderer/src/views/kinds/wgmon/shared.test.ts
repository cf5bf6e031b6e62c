import { describe, expect, it } from 'vitest'
import { trafficChartOption } from './modules/chart-option'
import {
  byteAxis,
  chartIsEmpty,
  chartSeries,
  checkUserForm,
  createInput,
  emptyUserForm,
  expiryState,
  formFromUser,
  limitOf,
  secondsBetween,
  serialTick,
  sessionChanges,
  sessionSeconds,
  shortKey,
  shortKeyPrefix,
  timeAfter,
  userPatch,
} from './shared'
import { KEY, wgChart, wgEvent, wgUser } from './test-utils'

describe('wgmon shared helpers', () => {
  it('computes durations between two monitor times, never against the browser clock', () => {
    expect(secondsBetween('2026-11-23 11:58:00', '2026-11-23 12:00:05')).toBe(125)
    expect(secondsBetween('2026-11-23 12:00:00', '2026-11-23 11:00:00')).toBeNull()
    expect(secondsBetween(null, '2026-11-23 11:00:00')).toBeNull()
    expect(secondsBetween('garbage', '2026-11-23 11:00:00')).toBeNull()
    // open: start → last update; closed: the server's duration
    expect(sessionSeconds(wgEvent())).toBe(125)
    expect(
      sessionSeconds(
        wgEvent({ online: false, endTime: '2026-11-23 13:00:00', durationSeconds: 3723 }),
      ),
    ).toBe(3723)
  })

  it('tells an expired date from a later one', () => {
    const now = new Date(2026, 10, 23, 12, 0, 0).getTime()
    expect(expiryState(null, now)).toBe('none')
    expect(expiryState('2026-11-23 11:59:59', now)).toBe('expired')
    expect(expiryState('2026-11-23 12:00:01', now)).toBe('ok')
  })

  it('shortens keys and reads limits (0 = unlimited, null = unknown)', () => {
    expect(shortKey(KEY)).toBe('xTIBA5rboU…8Dg=')
    expect(shortKey(null)).toBeNull()
    expect(shortKeyPrefix('xTIBA5rboUvnH4ht...')).toBe('xTIBA5rboU…')
    expect(limitOf(null)).toEqual({ kind: 'unknown' })
    expect(limitOf(0)).toEqual({ kind: 'unlimited' })
    expect(limitOf(500)).toEqual({ kind: 'value', n: 500 })
  })

  it('checks the form: a WireGuard key to create, the expiry format, whole limits', () => {
    const f = emptyUserForm()
    expect(checkUserForm(f, true)).toBe('publicKey')
    expect(checkUserForm({ ...f, publicKey: 'not-a-key' }, true)).toBe('publicKey')
    expect(checkUserForm({ ...f, publicKey: KEY }, true)).toBeNull()
    expect(checkUserForm(f, false)).toBeNull()
    expect(checkUserForm({ ...f, publicKey: KEY, expiryDate: '2026-12-31' }, true)).toBe('expiry')
    expect(checkUserForm({ ...f, publicKey: KEY, bandwidthLimitKBps: 1.5 }, true)).toBe('bandwidth')
    expect(checkUserForm({ ...f, publicKey: KEY, dataLimitMb: -1 }, true)).toBe('data')
  })

  it('creates with the given fields only', () => {
    expect(
      createInput({
        ...emptyUserForm(),
        publicKey: ` ${KEY} `,
        nickname: ' bob ',
        dataLimitMb: 0,
        expiryDate: '2026-12-31 23:59:59',
      }),
    ).toEqual({
      publicKey: KEY,
      nickname: 'bob',
      dataLimitMb: 0,
      expiryDate: '2026-12-31 23:59:59',
    })
  })

  it('sends only what changed on edit; a cleared limit is 0, a cleared expiry no change', () => {
    const before = formFromUser(
      wgUser({ bandwidthLimitKBps: 1000, dataLimitMb: 0, expiryDate: '2026-12-31 23:59:59' }),
    )
    expect(userPatch(before, { ...before })).toEqual({})
    expect(
      userPatch(before, { ...before, nickname: 'alice2', bandwidthLimitKBps: null, note: 'x' }),
    ).toEqual({ nickname: 'alice2', bandwidthLimitKBps: 0, note: 'x' })
    expect(userPatch(before, { ...before, expiryDate: null })).toEqual({})
    expect(userPatch(before, { ...before, expiryDate: '2027-01-01 00:00:00' })).toEqual({
      expiryDate: '2027-01-01 00:00:00',
    })
  })

  it('finds sessions that began or ended between two reads; the first read changes nothing', () => {
    const a = wgEvent({ id: 10, userId: 1, online: true })
    const b = wgEvent({ id: 20, userId: 2, online: false, endTime: '2026-11-23 11:00:00' })
    expect(sessionChanges(null, [a, b]).size).toBe(0)
    const next = [
      wgEvent({ id: 10, userId: 1, online: false, endTime: '2026-11-23 12:01:00' }),
      wgEvent({ id: 21, userId: 2, online: true }),
      wgEvent({ id: 30, userId: 3, online: true }),
    ]
    expect([...sessionChanges([a, b], next)]).toEqual([
      ['u1', 'ended'],
      ['u2', 'began'],
      ['u3', 'began'],
    ])
    expect(sessionChanges(next, next).size).toBe(0)
  })

  it('an empty period is empty, not a chart of zeros', () => {
    expect(chartIsEmpty(null)).toBe(true)
    expect(chartIsEmpty(wgChart({ points: [] }))).toBe(true)
    expect(
      chartIsEmpty(wgChart({ points: [{ date: '2026-11-22', up: 0, down: 0, sessions: 0 }] })),
    ).toBe(true)
    expect(chartIsEmpty(wgChart())).toBe(false)
  })

  it('charts the users’ side: the upload bars are `up` (the monitor’s rx), a second axis for sessions', () => {
    const s = chartSeries(
      wgChart({
        days: 2,
        points: [
          { date: '2026-11-22', up: 7, down: 70, sessions: 2 },
          { date: '2026-11-21', up: 5, down: 50, sessions: null },
        ],
      }),
    )
    expect(s.dates).toEqual(['2026-11-21', '2026-11-22'])
    const o = trafficChartOption(
      s,
      { up: 'Upload', down: 'Download', sessions: 'Sessions' },
      String,
    )
    const byId = Object.fromEntries(o.series.map((x) => [x.id, x]))
    expect(byId.up?.name).toBe('Upload')
    expect(byId.up?.data).toEqual([5, 7])
    expect(byId.down?.data).toEqual([50, 70])
    expect(byId.sessions?.yAxisIndex).toBe(1)
    expect(byId.sessions?.data).toEqual([null, 2])

    const seed = chartSeries(
      wgChart({ shape: 'seed', points: [{ date: '2026-11-22', up: 1, down: 2, sessions: null }] }),
    )
    expect(seed.sessions).toBeNull()
    const so = trafficChartOption(seed, { up: 'U', down: 'D', sessions: 'S' }, String)
    expect(so.series.map((x) => x.id)).toEqual(['up', 'down'])
    expect(so.yAxis[1]?.show).toBe(false)
  })

  it('fills the days without a row with 0 up to the monitor’s today, and steps the bytes axis in binary units', () => {
    const c = wgChart({
      days: 5,
      points: [
        { date: '2026-11-20', up: 1, down: 2, sessions: 1 },
        { date: '2026-11-22', up: 3, down: 4, sessions: 2 },
      ],
    })
    const s = chartSeries(c, '2026-11-23')
    expect(s.dates).toEqual(['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-22', '2026-11-23'])
    expect(s.up).toEqual([0, 1, 0, 3, 0])
    expect(s.sessions).toEqual([0, 1, 0, 2, 0])
    // an older row than the range (UTC vs local, gotcha 7) widens it
    expect(chartSeries({ ...c, days: 2 }, '2026-11-23').dates[0]).toBe('2026-11-20')
    expect(byteAxis(74.5 * 1024 ** 3)).toEqual({ interval: 20 * 1024 ** 3, max: 80 * 1024 ** 3 })
    expect(byteAxis(900)).toEqual({ interval: 500, max: 1000 })
    expect(byteAxis(0)).toBeNull()
    expect(timeAfter('2026-11-23 11:00:00', '2026-11-23 12:00:05')).toBe('12:00:05')
    expect(timeAfter('2026-11-22 23:00:00', '2026-11-23 00:10:00')).toBe('2026-11-23 00:10:00')
  })

  it('never runs a tick while the previous one is still running', async () => {
    let running = 0
    let max = 0
    let runs = 0
    let release: () => void = () => {}
    const tick = serialTick(async () => {
      runs++
      running++
      max = Math.max(max, running)
      await new Promise<void>((r) => (release = r))
      running--
    })
    tick()
    tick()
    tick()
    expect(runs).toBe(1)
    release()
    await new Promise((r) => setTimeout(r, 0))
    tick()
    expect(runs).toBe(2)
    release()
    expect(max).toBe(1)
  })
})
