import { describe, expect, it } from 'vitest'
import { AppErrorException } from '../../../../shared/contract'
import type { HttpClient, HttpRequest } from '../http/http-client'
import { createWgMonClient, toEvent, toUser } from './client'
import { createSerialQueue } from './queue'
import { EventSchema, UserRowSchema } from './schema'

const json = (v: unknown) => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(JSON.stringify(v)),
  elapsedMs: 1,
})

/** A fake HTTP layer: each request resolves when the test says so. */
function fakeHttp() {
  const sent: Array<{ req: HttpRequest; at: number; done: (v: unknown) => void }> = []
  let inFlight = 0
  let max = 0
  const http: HttpClient = {
    request(req) {
      inFlight++
      max = Math.max(max, inFlight)
      return new Promise((resolve) => {
        sent.push({
          req,
          at: Date.now(),
          done: (v) => {
            inFlight--
            resolve(json(v))
          },
        })
      })
    },
    close: async () => undefined,
  }
  return { http, sent, max: () => max }
}

const tick = () => new Promise((r) => setTimeout(r, 5))

describe('serial queue', () => {
  it('runs calls one at a time in FIFO order', async () => {
    const f = fakeHttp()
    const c = createWgMonClient({ serverId: 's1', baseUrl: 'http://h:8000/', http: f.http })
    const a = c.users()
    const b = c.status()
    const d = c.events()
    await tick()
    expect(f.sent.map((s) => new URL(String(s.req.url)).pathname)).toEqual(['/api/users'])
    expect(c.queued).toBe(2)
    f.sent[0]!.done({ users: [] })
    await tick()
    expect(f.sent).toHaveLength(2)
    expect(new URL(String(f.sent[1]!.req.url)).pathname).toBe('/api/status')
    f.sent[1]!.done({ system: { status: 'running' } })
    await tick()
    f.sent[2]!.done({ events: [] })
    await Promise.all([a, b, d])
    expect(f.max()).toBe(1)
  })

  it('fails a call that waits too long for its turn, without sending it', async () => {
    const f = fakeHttp()
    const c = createWgMonClient({
      serverId: 's1',
      baseUrl: 'http://h',
      http: f.http,
      queueWaitMs: 30,
    })
    const first = c.users()
    const second = c.status().catch((e: unknown) => e)
    const err = (await second) as AppErrorException
    expect(err).toBeInstanceOf(AppErrorException)
    expect(err.appError).toMatchObject({ code: 'timeout', serverId: 's1' })
    expect(err.appError.message).toContain('waited')
    expect(f.sent).toHaveLength(1)
    f.sent[0]!.done([])
    await first
  })

  it('drops an aborted waiter and passes the deadline only from the send', async () => {
    const q = createSerialQueue({ serverId: 's', maxWaitMs: 0 })
    const order: string[] = []
    let release!: () => void
    const p1 = q.run(
      () => new Promise<void>((r) => (release = r)).then(() => order.push('1')),
      'one',
    )
    const ac = new AbortController()
    const p2 = q.run(async () => order.push('2'), 'two', ac.signal).catch(() => order.push('2x'))
    const p3 = q.run(async () => order.push('3'), 'three')
    ac.abort()
    await tick()
    expect(q.waiting).toBe(1)
    release()
    await Promise.all([p1, p2, p3])
    expect(order).toEqual(['2x', '1', '3'])
  })

  it('sends the request deadline to the HTTP layer', async () => {
    const f = fakeHttp()
    const c = createWgMonClient({
      serverId: 's1',
      baseUrl: 'http://h',
      http: f.http,
      timeoutMs: 1234,
    })
    const p = c.users()
    await tick()
    expect(f.sent[0]!.req.timeoutMs).toBe(1234)
    f.sent[0]!.done([])
    await p
  })
})

describe('mapping', () => {
  it('turns server rx/tx into client up/down and unknown numbers into null', () => {
    const u = toUser(UserRowSchema.parse({ id: 3, total_rx: 10, total_tx: '20', mail: '' }))
    expect(u).toMatchObject({ id: 3, up: 10, down: 20, email: null, online: null, enabled: null })
    expect(u.bandwidthLimitKBps).toBeNull()
    expect(u.dataLimitMb).toBeNull()
  })

  it('reads an open event with no duration and "Unknown" key as null', () => {
    const e = toEvent(
      EventSchema.parse({
        id: 1,
        user_id: 2,
        peer_pubkey: 'Unknown',
        end_time: null,
        session_rx: 5,
        session_tx: 6,
        duration_seconds: 0,
        status: 'ONLINE',
      }),
    )
    expect(e).toMatchObject({
      up: 5,
      down: 6,
      durationSeconds: null,
      publicKeyShort: null,
      online: true,
    })
  })

  it('refuses bad input before anything is sent', async () => {
    const f = fakeHttp()
    const c = createWgMonClient({ serverId: 's1', baseUrl: 'http://h', http: f.http })
    for (const p of [
      c.kickUser(-1),
      c.trafficChart(366),
      c.management({ perPage: 101 }),
      c.updateUser(1, {}),
      c.createUser({ publicKey: '' }),
    ]) {
      await expect(p).rejects.toMatchObject({ appError: { code: 'invalid_input', serverId: 's1' } })
    }
    expect(f.sent).toHaveLength(0)
  })
})
