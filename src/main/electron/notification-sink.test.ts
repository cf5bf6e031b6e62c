import { beforeEach, describe, expect, it, vi } from 'vitest'
import type { Notice } from '../../shared/contract'
import { FakeNotification, resetFakeElectron } from './testing/fake-electron'
import { createNotificationSink } from './notification-sink'
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
})
