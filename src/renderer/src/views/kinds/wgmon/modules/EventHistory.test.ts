// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import { NSelect } from 'naive-ui'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { MethodInput } from '../../../../../../shared/contract'
import type { FakeClient } from '../../../../testing/fake-client'
import { callsOf, mountWg, settle, setupFake, wgEvent, wgUser } from '../test-utils'
import EventHistory from './EventHistory.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('wgmon.eventHistory', ({ page }) => ({
    events: [
      wgEvent({
        id: 31,
        online: false,
        endTime: '2026-11-23 11:00:00',
        startTime: '2026-11-23 10:59:57',
        durationSeconds: 3,
      }),
    ],
    pagination: {
      page: page ?? 1,
      perPage: 50,
      total: 120,
      totalPages: 3,
      hasNext: true,
      hasPrev: false,
      serverSide: true,
    },
  }))
  client.handle('wgmon.allUsers', () => ({
    users: [wgUser(), wgUser({ id: 2, nickname: null })],
  }))
})

const inputs = () =>
  callsOf(client, 'wgmon.eventHistory').map((c) => c.input as MethodInput<'wgmon.eventHistory'>)

describe('WireGuard monitor session history', () => {
  it('reads a page, then the users for the filter: one after the other', async () => {
    const w = await mountWg(EventHistory, pinia, { serverId: 's1' })
    expect(client.calls.map((c) => c.method)).toEqual(['wgmon.eventHistory', 'wgmon.allUsers'])
    expect(inputs()[0]).toMatchObject({ page: 1, perPage: 50, status: 'all' })
    expect(w.find('[data-event-id="31"]').text()).toContain('3 s')
    expect(w.find('[data-testid="wg-history-table"]').text()).toContain('120 sessions')
  })

  it('filters by state and by user, and pages on the monitor', async () => {
    const w = await mountWg(EventHistory, pinia, { serverId: 's1' })
    await w.find('[data-testid="wg-history-status-offline"] input').setValue(true)
    await settle()
    expect(inputs().at(-1)).toMatchObject({ page: 1, status: 'offline' })

    const select = w.findComponent(NSelect)
    expect(select.props('options')).toEqual([
      { label: 'alice (#1)', value: 1 },
      { label: 'User_2 (#2)', value: 2 },
    ])
    select.vm.$emit('update:value', 2)
    await settle()
    expect(inputs().at(-1)).toMatchObject({ page: 1, status: 'offline', userId: 2 })

    const next = [...w.findAll('.n-pagination-item')].find((i) => i.text() === '2')
    await next?.trigger('click')
    await settle()
    expect(inputs().at(-1)).toMatchObject({ page: 2, userId: 2 })
  })
})
