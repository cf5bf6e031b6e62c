// @vitest-environment happy-dom
import { enableAutoUnmount, flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAppI18n } from '../../../locales'
import type { FakeClient } from '../../../testing/fake-client'
import LogsTab from './LogsTab.vue'

import {
  access,
  count,
  err,
  info,
  installLogTestApi,
  rows,
  settle,
} from '../../../components/logs/test-utils'

enableAutoUnmount(afterEach)

let client: FakeClient
beforeEach(() => {
  client = installLogTestApi()
})

describe('LogsTab (PasarGuard)', () => {
  it('watches the node’s logs, renders batches, shows state and counters, unwatches', async () => {
    const w = mount(LogsTab, {
      props: { serverId: 'pg1' },
      global: { plugins: [createAppI18n('en-US')] },
      attachTo: document.body,
    })
    await flushPromises()
    expect(client.calls.filter((c) => c.method === 'streams.watch').map((c) => c.input)).toEqual([
      { serverId: 'pg1', stream: 'logs' },
    ])
    client.emit('stream.batch', {
      serverId: 'pg1',
      stream: 'logs',
      frames: [info(1), err(2), access(3)],
      dropped: 0,
      state: { status: 'live', error: null, nextRetryAt: null, since: Date.now() },
    })
    // Another node's lines are not ours.
    client.emit('stream.batch', { serverId: 'pg2', stream: 'logs', frames: ['x'], dropped: 9 })
    client.emit('stream.batch', { serverId: 'pg1', stream: 'logs', frames: [info(4)], dropped: 7 })
    await settle()
    expect(rows().map((r) => r.text)).toEqual([info(1), err(2), access(3), info(4)])
    expect(rows().map((r) => r.cls.match(/lv-(\w+)/)?.[1])).toEqual([
      'info',
      'error',
      'access',
      'info',
    ])
    const list = w.find('[data-testid="log-list"]')
    expect(list.attributes('role')).toBe('log')
    expect(list.attributes('aria-label')).toContain('pg1')
    expect(w.find('[data-testid="log-stream-state"]').attributes('data-status')).toBe('live')
    expect(count('log-dropped')).toBe(7)
    expect(w.find('[data-testid="log-dropped"]').text()).toContain('Dropped by NodeDeck: 7')

    client.emit('stream.batch', {
      serverId: 'pg1',
      stream: 'logs',
      frames: [],
      dropped: 0,
      state: {
        status: 'reconnecting',
        error: { code: 'http_status', message: 'core is not started yet', retryable: true },
        nextRetryAt: Date.now() + 3000,
        since: Date.now(),
      },
    })
    await flushPromises()
    const tag = w.find('[data-testid="log-stream-state"]')
    expect(tag.attributes('data-status')).toBe('reconnecting')
    expect(tag.text()).toMatch(/reconnecting in [2-4] s/)
    expect(tag.text()).toContain('core is not started yet')

    w.unmount()
    await flushPromises()
    expect(client.calls.filter((c) => c.method === 'streams.unwatch').map((c) => c.input)).toEqual([
      { serverId: 'pg1', stream: 'logs' },
    ])
  })

  it('two views of one node share one watch and one buffer', async () => {
    const opts = {
      props: { serverId: 'pg1' },
      global: { plugins: [createAppI18n('en-US')] },
      attachTo: document.body,
    }
    const a = mount(LogsTab, opts)
    const b = mount(LogsTab, opts)
    await flushPromises()
    expect(client.calls.filter((c) => c.method === 'streams.watch')).toHaveLength(1)
    client.emit('stream.batch', { serverId: 'pg1', stream: 'logs', frames: [info(1)], dropped: 0 })
    await settle()
    expect(rows(a.element).length).toBe(1)
    expect(rows(b.element).length).toBe(1)
    a.unmount()
    await flushPromises()
    expect(client.calls.filter((c) => c.method === 'streams.unwatch')).toHaveLength(0)
  })

  it('a failed watch shows the error and can be retried', async () => {
    client.handle('streams.watch', () => {
      throw new Error('boom')
    })
    const w = mount(LogsTab, {
      props: { serverId: 'pg1' },
      global: { plugins: [createAppI18n('en-US')] },
      attachTo: document.body,
    })
    await flushPromises()
    expect(w.find('[data-testid="log-stream-state"]').attributes('data-status')).toBe('failed')
    client.handle('streams.watch', () => ({ ok: true }))
    await w.find('[data-testid="log-retry"]').trigger('click')
    await flushPromises()
    expect(client.calls.filter((c) => c.method === 'streams.watch')).toHaveLength(2)
  })
  it('after a re-watch the replayed tail is not appended twice', async () => {
    mount(LogsTab, {
      props: { serverId: 'pg1' },
      global: { plugins: [createAppI18n('en-US')] },
      attachTo: document.body,
    })
    await flushPromises()
    const batch = (frames: string[]) =>
      client.emit('stream.batch', { serverId: 'pg1', stream: 'logs', frames, dropped: 0 })
    batch([info(1), info(2), info(3)])
    // The connection came back: watch again; the core replays its recent lines first.
    const { useLogSession } = await import('../../../components/logs/use-log-session')
    const { effectScope } = await import('vue')
    const scope = effectScope()
    const store = scope.run(() => useLogSession('pg1').store.value)!
    store.retry?.()
    batch([info(2), info(3), info(4)])
    batch([info(3)]) // a later batch is not a replay, even if it looks like one
    await settle()
    expect(rows().map((r) => r.text)).toEqual([info(1), info(2), info(3), info(4), info(3)])
    scope.stop()
  })
})
