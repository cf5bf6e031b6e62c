// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { createApi } from '../api'
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../../shared/rpc/protocol'
import type { SocketEvent, SocketLike } from './channels'
import { backoffMs, createSocketConnection } from './connection'
import { takeToken, TOKEN_STORAGE_KEY } from './token'

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

function setup() {
  const sockets: FakeSocket[] = []
  const timers: { fn: () => void; ms: number }[] = []
  const conn = createSocketConnection({
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

  it('rejects calls at once while disconnected', async () => {
    const { conn } = setup()
    const api = createApi(conn)
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
