// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { WgMonEventView } from '../../../../../../shared/contract'
import type { FakeClient } from '../../../../testing/fake-client'
import { callsOf, mountWg, settle, setupFake, wgEvent } from '../test-utils'
import LiveEvents from './LiveEvents.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
let events: WgMonEventView[]
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  events = [
    wgEvent(),
    wgEvent({
      id: 20,
      userId: 2,
      nickname: 'bob',
      online: false,
      startTime: '2026-11-23 10:00:00',
      endTime: '2026-11-23 11:02:03',
      durationSeconds: 3723,
      up: 5 * 1024 ** 2,
      down: 80 * 1024 ** 2,
    }),
  ]
  client.handle('wgmon.events', () => ({ events, fetchedAt: Date.now() }))
})

type W = Awaited<ReturnType<typeof mountWg>>
const rowOf = (w: W, user: number) => w.find(`[data-event-user="${user}"]`)

describe('WireGuard monitor live sessions', () => {
  it('lists the latest session per user with durations and bytes from the users’ side', async () => {
    const w = await mountWg(LiveEvents, pinia, { serverId: 's1' })
    const a = rowOf(w, 1)
    expect(a.attributes('data-event-state')).toBe('online')
    expect(a.text()).toContain('2 min 5 s so far')
    expect(a.text()).toContain('last seen 12:00:05')
    expect(a.text()).toContain('198.51.100.7:51820')
    const b = rowOf(w, 2)
    expect(b.text()).toContain('ended')
    expect(b.text()).toContain('1 h 2 min 3 s')
    // up = what bob's device sent (the monitor's session_rx)
    expect(b.text()).toMatch(/5\.0 MiB.*80\.0 MiB/)
    expect(w.find('[data-testid="wg-ev-change"]').exists()).toBe(false)
  })

  it('highlights a session that began or ended since the last read', async () => {
    const w = await mountWg(LiveEvents, pinia, { serverId: 's1' })
    events = [
      wgEvent({ id: 21, userId: 2, nickname: 'bob' }),
      wgEvent({ online: false, endTime: '2026-11-23 12:01:00', durationSeconds: 180 }),
    ]
    await w.find('[data-testid="wg-live-refresh"]').trigger('click')
    await settle()
    expect(rowOf(w, 2).find('[data-change]').attributes('data-change')).toBe('began')
    expect(rowOf(w, 2).text()).toContain('new session')
    expect(rowOf(w, 2).classes()).toContain('wg-ev__row--began')
    expect(rowOf(w, 1).find('[data-change]').attributes('data-change')).toBe('ended')
    expect(rowOf(w, 1).text()).toContain('just ended')
  })

  it('never has two reads in flight: a refresh while one runs is skipped', async () => {
    const waiting: (() => void)[] = []
    client.handle('wgmon.events', async () => {
      await new Promise<void>((r) => waiting.push(r))
      return { events, fetchedAt: Date.now() }
    })
    const w = await mountWg(LiveEvents, pinia, { serverId: 's1' })
    await w.find('[data-testid="wg-live-refresh"]').trigger('click')
    await w.find('[data-testid="wg-live-refresh"]').trigger('click')
    expect(callsOf(client, 'wgmon.events')).toHaveLength(1)
    for (const r of waiting.splice(0)) r()
    await settle()
    await w.find('[data-testid="wg-live-refresh"]').trigger('click')
    expect(callsOf(client, 'wgmon.events')).toHaveLength(2)
    for (const r of waiting.splice(0)) r()
    await settle()
  })
})
