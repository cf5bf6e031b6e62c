import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Notice } from '../../shared/contract'
import { FakeNotification, resetFakeElectron } from './testing/fake-electron'
import { createNotificationSink, noticeText } from './notification-sink'
import type { Locale } from '../../shared/contract'

vi.mock('electron', async () => (await import('./testing/fake-electron')).fakeElectron)

const notice = (over: Partial<Notice> = {}): Notice => ({
  id: 'n1',
  at: 1,
  level: 'error',
  kind: 'offline',
  serverId: 's1',
  serverName: 'Tokyo-1',
  title: 'Tokyo-1 is offline',
  body: 'Connection refused.',
  ...over,
})

beforeEach(() => resetFakeElectron())

describe('native notification sink', () => {
  it('raises exactly one notification per notice', () => {
    const sink = createNotificationSink({
      onClick: vi.fn(),
      locale: () => 'en-US',
      icon: '/r/icon.png',
    })
    sink.notify(notice())
    expect(FakeNotification.instances).toHaveLength(1)
    const n = FakeNotification.instances[0]
    expect(n?.options).toEqual({
      title: 'Tokyo-1 is offline',
      body: 'Connection refused.',
      icon: '/r/icon.png',
    })
    expect(n?.shown).toBe(1)
    sink.notify(notice({ id: 'n2', kind: 'recovered', level: 'info', body: '' }))
    expect(FakeNotification.instances).toHaveLength(2)
    expect(FakeNotification.instances[1]?.options.title).toBe('Tokyo-1 is back online')
    expect(FakeNotification.instances.map((x) => x.shown)).toEqual([1, 1])
  })

  it('does nothing where notifications are not supported', () => {
    FakeNotification.supported = false
    createNotificationSink({ onClick: vi.fn(), locale: () => 'en-US' }).notify(notice())
    expect(FakeNotification.instances).toHaveLength(0)
  })

  it('shows the window on click', () => {
    const onClick = vi.fn()
    const sink = createNotificationSink({ onClick, locale: () => 'en-US' })
    const n = notice()
    sink.notify(n)
    FakeNotification.instances[0]?.emit('click')
    expect(onClick).toHaveBeenCalledWith(n)
  })

  it('follows the locale at the time of the notice', () => {
    let locale: Locale = 'zh-CN'
    const sink = createNotificationSink({ onClick: vi.fn(), locale: () => locale })
    sink.notify(notice({ kind: 'auth_failed' }))
    locale = 'en-US'
    sink.notify(notice({ kind: 'auth_failed' }))
    expect(FakeNotification.instances.map((x) => x.options.title)).toEqual([
      'Tokyo-1：认证失败',
      'Tokyo-1: authentication failed',
    ])
  })

  it('closes what is still on screen on dispose', () => {
    const sink = createNotificationSink({ onClick: vi.fn(), locale: () => 'en-US' })
    sink.notify(notice())
    sink.notify(notice({ id: 'n2' }))
    FakeNotification.instances[0]?.emit('click')
    sink.dispose()
    expect(FakeNotification.instances.map((x) => x.closed)).toEqual([false, true])
  })

  it('raises one notification for a grouped notice, naming count, group and servers', () => {
    const onClick = vi.fn()
    const sink = createNotificationSink({ onClick, locale: () => 'en-US' })
    const group = notice({
      kind: 'group',
      serverId: '',
      serverName: '',
      state: 'offline',
      count: 37,
      group: 'Tokyo',
      groupCount: 35,
      serverIds: ['a', 'b'],
      serverNames: ['T-1', 'T-2'],
      body: 'T-1, T-2 … and 35 more',
    })
    sink.notify(group)
    expect(FakeNotification.instances).toHaveLength(1)
    expect(FakeNotification.instances[0]?.options).toMatchObject({
      title: '37 servers offline — 35 in group Tokyo',
      body: 'T-1, T-2 … and 35 more',
    })
    // A click on a notice about several servers shows the window (no single server to focus).
    FakeNotification.instances[0]?.emit('click')
    expect(onClick).toHaveBeenCalledWith(group)
  })

  it('localizes grouped, flapping and quiet-hours notices', () => {
    const group = notice({
      kind: 'group',
      state: 'online',
      count: 3,
      group: '',
      serverNames: ['A', 'B', 'C'],
    })
    expect(noticeText(group, 'en-US')).toEqual({ title: '3 servers back online', body: 'A, B, C' })
    expect(noticeText({ ...group, state: undefined }, 'en-US').title).toBe('3 servers down')
    expect(
      noticeText({ ...group, state: 'tls_failed', group: 'HK', groupCount: 2 }, 'zh-CN'),
    ).toEqual({
      title: '3 台服务器TLS 失败（其中 2 台在分组 HK）',
      body: 'A, B, C',
    })
    const flap = notice({ kind: 'flapping', state: 'offline', count: 5, windowMin: 10, limit: 2 })
    expect(noticeText(flap, 'en-US')).toEqual({
      title: 'Tokyo-1 changed state 5 more times in 10 min; now offline',
      body: 'Notifications for this server are limited to 2 per 10 minutes.',
    })
    expect(noticeText(flap, 'zh-CN').title).toBe('Tokyo-1 在 10 分钟内又变化了 5 次；当前：离线')
    const quiet = notice({ kind: 'quiet_summary', count: 1, serverNames: ['Tokyo-1'] })
    expect(noticeText(quiet, 'en-US')).toEqual({
      title: 'Quiet hours ended: 1 server is still down',
      body: 'Tokyo-1',
    })
    expect(noticeText(notice({ kind: 'tls_failed' }), 'en-US').title).toBe('Tokyo-1: TLS failed')
  })
})
