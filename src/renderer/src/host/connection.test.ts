// @vitest-environment happy-dom
import { describe, expect, it, vi } from 'vitest'
import { createApi, FIRST_CONNECT_WAIT_MS } from '../api'
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../../shared/rpc/protocol'
import type { SocketEvent, SocketLike } from './channels'
import { backoffMs, createSocketConnection } from './connection'
import { fetchServersPreview } from './index'
import { takeToken, TOKEN_STORAGE_KEY } from './token'
import script from '../../public/servers-preview-early.js?raw'

type Fn = (ev: SocketEvent) => void

/** A scriptable socket: the test opens, closes and feeds it. */
class FakeSocket implements SocketLike {
  readyState = 0
  sent: string[] = []
  listeners = new Map<string, Fn[]>()
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {}
  send(data: string) {
    this.sent.push(data)
  }
  close() {
    this.fire('close', { code: 1000 })
  }
  addEventListener(type: 'open' | 'close' | 'error' | 'message', fn: Fn) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn])
  }
  fire(type: string, ev: SocketEvent = {}) {
    if (type === 'open') this.readyState = 1
    if (type === 'close') this.readyState = 3
    for (const fn of this.listeners.get(type) ?? []) fn(ev)
  }
}

function setup(openAfter?: Promise<unknown>) {
  const sockets: FakeSocket[] = []
  const timers: { fn: () => void; ms: number }[] = []
  const conn = createSocketConnection({
    openAfter,
    url: 'ws://127.0.0.1:1/rpc',
    token: 'abcdef0123456789',
    createSocket: (url, protocols) => {
      const s = new FakeSocket(url, protocols)
      sockets.push(s)
      return s
    },
    setTimer: (fn, ms) => {
      timers.push({ fn, ms })
      return timers.length
    },
    clearTimer: () => undefined,
  })
  return { conn, sockets, timers }
}

describe('socket connection', () => {
  it('sends the token as a subprotocol and reconnects after a drop', () => {
    const { conn, sockets, timers } = setup()
    expect(sockets[0]?.protocols).toEqual([WS_PROTOCOL, `${WS_TOKEN_PREFIX}abcdef0123456789`])
    expect(conn.status().state).toBe('connecting')
    sockets[0]?.fire('open')
    expect(conn.status().state).toBe('connected')
    expect(conn.client()).not.toBeNull()

    sockets[0]?.fire('close', { code: 1006 })
    expect(conn.status().state).toBe('lost')
    expect(conn.client()).toBeNull()
    expect(timers).toHaveLength(1)

    timers[0]?.fn()
    expect(sockets).toHaveLength(2)
    sockets[1]?.fire('open')
    expect(conn.status()).toMatchObject({ state: 'connected', attempts: 0 })
  })

  it('stops retrying when the host refuses the token', () => {
    const { conn, sockets, timers } = setup()
    sockets[0]?.fire('close', { code: 4401 })
    expect(conn.status().state).toBe('rejected')
    expect(timers).toHaveLength(0)
  })

  it('re-attaches event listeners and reruns onConnected after a reconnect', async () => {
    // birpc handles incoming messages asynchronously.
    const tick = () => new Promise((r) => setTimeout(r, 0))
    const { conn, sockets, timers } = setup()
    const api = createApi(conn)
    const got: string[] = []
    let connected = 0
    api.on('notice', (n) => got.push(n.id))
    api.onConnected(() => connected++)
    const eventFrame = (id: string) =>
      JSON.stringify({
        t: 'q',
        m: 'event',
        a: [
          'notice',
          {
            id,
            at: 1,
            level: 'info',
            kind: 'recovered',
            serverId: 's',
            serverName: 'S',
            title: '',
            body: '',
          },
        ],
      })

    sockets[0]?.fire('open')
    sockets[0]?.fire('message', { data: eventFrame('n1') })
    await tick()
    sockets[0]?.fire('close', { code: 1006 })
    timers[0]?.fn()
    sockets[1]?.fire('open')
    sockets[1]?.fire('message', { data: eventFrame('n2') })
    await tick()
    expect(got).toEqual(['n1', 'n2'])
    expect(connected).toBe(2)
  })

  it('a call made before the first connection waits for it, and is sent once it opens', async () => {
    const { conn, sockets } = setup()
    const api = createApi(conn)
    const call = api.call('servers.list', undefined)
    await Promise.resolve()
    expect(sockets[0]?.sent).toHaveLength(0)
    sockets[0]?.fire('open')
    await vi.waitFor(() => expect(sockets[0]?.sent).toHaveLength(1))
    const frame = JSON.parse(sockets[0]?.sent[0] ?? '{}') as { i: string; m: string; a: unknown[] }
    expect(frame.a).toEqual(['servers.list'])
    sockets[0]?.fire('message', {
      data: JSON.stringify({ t: 's', i: frame.i, r: { ok: true, data: [] } }),
    })
    await expect(call).resolves.toEqual([])
  })

  it('gives up on the first connection after FIRST_CONNECT_WAIT_MS, and on a refused token at once', async () => {
    vi.useFakeTimers()
    try {
      const { conn } = setup()
      const api = createApi(conn)
      const late = api.call('servers.list', undefined)
      const caught = late.catch((e: unknown) => e)
      await vi.advanceTimersByTimeAsync(FIRST_CONNECT_WAIT_MS + 1)
      expect(await caught).toMatchObject({ appError: { code: 'network' } })

      const refused = setup()
      const api2 = createApi(refused.conn)
      const call = api2.call('servers.list', undefined).catch((e: unknown) => e)
      refused.sockets[0]?.fire('close', { code: 4401 })
      expect(await call).toMatchObject({ appError: { code: 'network' } })
    } finally {
      vi.useRealTimers()
    }
  })

  it('rejects calls at once after the connection was lost', async () => {
    const { conn, sockets } = setup()
    const api = createApi(conn)
    sockets[0]?.fire('open')
    sockets[0]?.fire('close', { code: 1006 })
    expect(conn.status().state).toBe('lost')
    await expect(api.call('servers.list', undefined)).rejects.toMatchObject({
      appError: { code: 'network' },
    })
  })

  it('sends calls without input so that they arrive as undefined, not null', () => {
    const { conn, sockets } = setup()
    sockets[0]?.fire('open')
    void conn
      .client()
      ?.call('servers.list', undefined)
      .catch(() => undefined)
    const frame = JSON.parse(sockets[0]?.sent[0] ?? '{}') as { m: string; a: unknown[] }
    expect(frame.m).toBe('call')
    expect(frame.a).toEqual(['servers.list'])
  })

  it('backs off exponentially up to 15 s', () => {
    const mid = () => 0.5
    expect(backoffMs(1, mid)).toBe(1000)
    expect(backoffMs(2, mid)).toBe(2000)
    expect(backoffMs(10, mid)).toBe(15000)
  })
})

describe('socket connection: deferred first attempt', () => {
  it('opens once openAfter settles (either way), and only once', async () => {
    for (const outcome of ['resolve', 'reject'] as const) {
      const openAfter = Promise.withResolvers<void>()
      const { conn, sockets } = setup(openAfter.promise)
      await Promise.resolve()
      expect(sockets).toHaveLength(0)
      expect(conn.status().state).toBe('connecting')
      if (outcome === 'resolve') openAfter.resolve()
      else openAfter.reject(new Error('x'))
      await new Promise((r) => setTimeout(r, 0))
      expect(sockets).toHaveLength(1)
      conn.close()
    }
  })

  it('a reconnect asked for before the deferred attempt is not doubled by it', async () => {
    const openAfter = Promise.withResolvers<void>()
    const { conn, sockets } = setup(openAfter.promise)
    conn.reconnectNow()
    expect(sockets).toHaveLength(1)
    openAfter.resolve()
    await new Promise((r) => setTimeout(r, 0))
    expect(sockets).toHaveLength(1)
    conn.close()
  })
})

describe('fetchServersPreview', () => {
  const ok = (body: unknown, status = 200) =>
    (async () =>
      new Response(status === 204 ? null : JSON.stringify(body), {
        status,
      })) as unknown as typeof fetch

  it('asks with the token and returns the list', async () => {
    let seen: RequestInit | undefined
    const list = [{ id: 'a' }]
    const fetchFn = (async (_url: unknown, init?: RequestInit) => {
      seen = init
      return new Response(JSON.stringify(list))
    }) as unknown as typeof fetch
    expect(await fetchServersPreview('tok', fetchFn)).toEqual(list)
    expect(new Headers(seen?.headers).get('authorization')).toBe('Bearer tok')
  })

  it('takes the early script’s answer when it asked with the same token, else asks again', async () => {
    let asked = 0
    const fetchFn = (async () => {
      asked++
      return new Response(JSON.stringify([{ id: 'again' }]))
    }) as unknown as typeof fetch
    const early = { token: 'tok', response: Promise.resolve(new Response('[{"id":"early"}]')) }
    expect(await fetchServersPreview('tok', fetchFn, early)).toEqual([{ id: 'early' }])
    expect(asked).toBe(0)
    const other = { token: 'old', response: Promise.resolve(new Response('[{"id":"early"}]')) }
    expect(await fetchServersPreview('tok', fetchFn, other)).toEqual([{ id: 'again' }])
    expect(asked).toBe(1)
  })

  it('the early script asks with the fragment’s token, or the stored one, and not without', async () => {
    const calls: { url: string; auth: string | null }[] = []
    const w = window as unknown as { __nodedeckPreview?: { token: string }; fetch: typeof fetch }
    const realFetch = w.fetch
    w.fetch = (async (url: string, init?: RequestInit) => {
      calls.push({ url: String(url), auth: new Headers(init?.headers).get('authorization') })
      return new Response('[]')
    }) as unknown as typeof fetch
    try {
      window.history.replaceState(null, '', '/#token=abcdef0123456789')
      new Function(script)()
      expect(w.__nodedeckPreview?.token).toBe('abcdef0123456789')
      expect(calls).toEqual([{ url: '/servers-preview', auth: 'Bearer abcdef0123456789' }])

      delete w.__nodedeckPreview
      window.history.replaceState(null, '', '/')
      window.sessionStorage.setItem(TOKEN_STORAGE_KEY, 'stored0123456789')
      new Function(script)()
      expect(w.__nodedeckPreview?.token).toBe('stored0123456789')

      delete w.__nodedeckPreview
      window.sessionStorage.removeItem(TOKEN_STORAGE_KEY)
      new Function(script)()
      expect(w.__nodedeckPreview).toBeUndefined()
      expect(calls).toHaveLength(2)
    } finally {
      w.fetch = realFetch
      delete w.__nodedeckPreview
    }
  })

  it('anything else is no preview', async () => {
    expect(await fetchServersPreview('t', ok([], 404))).toBeNull()
    expect(await fetchServersPreview('t', ok(null, 204))).toBeNull()
    expect(await fetchServersPreview('t', ok({ not: 'a list' }))).toBeNull()
    const failing = (async () => {
      throw new TypeError('network')
    }) as unknown as typeof fetch
    expect(await fetchServersPreview('t', failing)).toBeNull()
  })
})

describe('takeToken', () => {
  it('takes the token from the fragment, stores it and cleans the address bar', () => {
    const store = new Map<string, string>()
    const replaced: string[] = []
    const token = takeToken({
      location: { hash: '#token=0123456789abcdef', pathname: '/', search: '' },
      history: { state: null, replaceState: (_s, _t, url) => replaced.push(String(url)) },
      storage: { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => void store.set(k, v) },
    })
    expect(token).toBe('0123456789abcdef')
    expect(store.get(TOKEN_STORAGE_KEY)).toBe('0123456789abcdef')
    expect(replaced).toEqual(['/'])
  })

  it('falls back to sessionStorage, else null', () => {
    const env = (stored: string | null) => ({
      location: { hash: '', pathname: '/', search: '' },
      history: { state: null, replaceState: () => undefined },
      storage: { getItem: () => stored, setItem: () => undefined },
    })
    expect(takeToken(env('feedfacefeedface'))).toBe('feedfacefeedface')
    expect(takeToken(env(null))).toBeNull()
  })
})
