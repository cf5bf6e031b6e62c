import { afterEach, describe, expect, it, vi } from 'vitest'
import type { StreamFrame, StreamState } from '../adapters/sse/stream-reader'
import {
  sleep,
  sseHeaders,
  startTestServer,
  waitFor,
  type TestStreamServer,
} from '../adapters/sse/test-server'
import { createHttpClient, type HttpClient } from '../adapters/http/http-client'
import { readerStreamSpec } from './reader-stream'
import {
  createStreamHub,
  type StreamBatch,
  type StreamHub,
  type StreamHubOptions,
  type StreamSpec,
  type UpstreamSink,
} from './stream-hub'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  vi.useRealTimers()
  while (cleanups.length > 0) await cleanups.pop()?.()
})

function hub(opts: StreamHubOptions = {}): StreamHub {
  const h = createStreamHub({ now: () => Date.now(), ...opts })
  cleanups.push(() => h.closeAll())
  return h
}

const state = (status: StreamState['status']): StreamState => ({
  status,
  error: null,
  nextRetryAt: null,
  attempt: 0,
  since: Date.now(),
})

/** A fake upstream the test drives by hand. */
function fakeSpec<F>(
  extra: Partial<StreamSpec<F>> = {},
): StreamSpec<F> & { opens: number; stops: number; sink: () => UpstreamSink<F> } {
  let sink: UpstreamSink<F> | null = null
  const spec = {
    ...extra,
    opens: 0,
    stops: 0,
    sink: () => {
      if (!sink) throw new Error('not open')
      return sink
    },
    open(s: UpstreamSink<F>) {
      spec.opens++
      sink = s
      s.state(state('connecting'))
      return { stop: () => spec.stops++ }
    },
  }
  return spec
}

function collector<F>(): {
  batches: StreamBatch<F>[]
  at: number[]
  fn: (b: StreamBatch<F>) => void
} {
  const batches: StreamBatch<F>[] = []
  const at: number[] = []
  return {
    batches,
    at,
    fn: (b) => {
      batches.push(b)
      at.push(Date.now())
    },
  }
}

const key = { serverId: 's1', stream: 'logs' }

describe('stream hub: one upstream per key, refcounted (real server)', () => {
  let srv: TestStreamServer
  let http: HttpClient
  const start = async () => {
    srv = await startTestServer((_req, res) => {
      sseHeaders(res)
      res.write('data: {"positions":{}}\n\n')
      let n = 0
      const t = setInterval(() => res.write(`data: {"n":${++n}}\n\n`), 20)
      res.on('close', () => clearInterval(t))
    })
    cleanups.push(() => srv.close())
    http = createHttpClient()
    const client = http
    cleanups.push(() => client.close())
  }
  const spec = () =>
    readerStreamSpec<unknown>(
      {
        serverId: 's1',
        framing: 'sse',
        getUrl: () => `${srv.origin}/api/graph-layout/stream`,
        http,
      },
      { map: (f: StreamFrame) => (f.kind === 'event' ? JSON.parse(f.data) : null) },
    )

  it('many subscribers share one connection; the last dispose closes it', async () => {
    await start()
    const h = hub({ graceMs: 0 })
    const cs = [collector<unknown>(), collector<unknown>(), collector<unknown>()]
    const subs = cs.map((c) => h.subscribe(key, spec(), c.fn))
    const frames = (i: number) => cs[i]?.batches.flatMap((b) => b.frames) ?? []
    await waitFor(() => cs.every((_c, i) => frames(i).length >= 5), 3000, 'frames to all')
    expect(srv.connections).toBe(1)
    expect(srv.urls).toHaveLength(1)
    for (let i = 0; i < 3; i++) expect(frames(i)[0]).toEqual({ positions: {} })
    expect(h.entries()).toEqual([
      { key, subscribers: 3, state: expect.objectContaining({ status: 'live' }), closing: false },
    ])

    subs[0]?.dispose()
    subs[1]?.dispose()
    await sleep(80)
    expect(srv.closedConnections).toBe(0)
    expect(h.entries()[0]?.subscribers).toBe(1)

    subs[2]?.dispose()
    await waitFor(() => srv.closedConnections === 1, 2000, 'upstream closed')
    await sleep(100)
    expect(srv.connections).toBe(1)
    expect(h.entries()).toEqual([])
    subs[2]?.dispose() // idempotent
  })

  it('a late subscriber gets the latest snapshot at once, without a second connection', async () => {
    await start()
    const h = hub({ graceMs: 0 })
    const first = collector<unknown>()
    const s1 = h.subscribe(key, spec(), first.fn)
    await waitFor(() => first.batches.flatMap((b) => b.frames).length >= 3, 3000)
    const late = collector<unknown>()
    const s2 = h.subscribe(key, spec(), late.fn)
    expect(late.batches).toHaveLength(1)
    expect(late.batches[0]).toMatchObject({ initial: true, dropped: 0 })
    expect(late.batches[0]?.state?.status).toBe('live')
    expect(late.batches[0]?.frames).toHaveLength(1)
    expect(late.batches[0]?.frames[0]).toHaveProperty('n')
    expect(srv.connections).toBe(1)
    s1.dispose()
    s2.dispose()
  })
})

describe('stream hub: delivery (fake upstream, fake timers)', () => {
  it('is live before its first event: the initial batch carries the state synchronously', () => {
    vi.useFakeTimers()
    const h = hub()
    const spec = fakeSpec<string>()
    const c = collector<string>()
    h.subscribe(key, spec, c.fn)
    expect(c.batches).toEqual([
      {
        frames: [],
        dropped: 0,
        initial: true,
        state: expect.objectContaining({ status: 'connecting' }),
      },
    ])
    spec.sink().state(state('live'))
    spec.sink().frame('a')
    expect(c.batches).toHaveLength(1)
    vi.advanceTimersByTime(100)
    expect(c.batches[1]).toEqual({
      frames: ['a'],
      dropped: 0,
      state: expect.objectContaining({ status: 'live' }),
    })
  })

  it('batches at most 10 per second per subscriber, every frame in order', () => {
    vi.useFakeTimers()
    const h = hub()
    const spec = fakeSpec<number>({ replay: 0 })
    const c = collector<number>()
    h.subscribe(key, spec, c.fn)
    for (let i = 0; i < 200; i++) {
      spec.sink().frame(i)
      vi.advanceTimersByTime(10)
    }
    vi.advanceTimersByTime(200)
    const later = c.batches.slice(1)
    expect(later.flatMap((b) => b.frames)).toEqual(Array.from({ length: 200 }, (_v, i) => i))
    // 2 s of frames → about 20 batches, never two within 100 ms.
    expect(later.length).toBeLessThanOrEqual(21)
    expect(later.length).toBeGreaterThanOrEqual(19)
    const gaps = c.at.slice(1).map((t, i) => t - (c.at[i] ?? 0))
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100)
  })

  it('a lone frame after a quiet period goes out without waiting a full interval', () => {
    vi.useFakeTimers()
    const h = hub()
    const spec = fakeSpec<string>()
    const c = collector<string>()
    h.subscribe(key, spec, c.fn)
    vi.advanceTimersByTime(5000)
    spec.sink().frame('x')
    vi.advanceTimersByTime(0)
    expect(c.batches.at(-1)?.frames).toEqual(['x'])
  })

  it('counts the lines dropped when a subscriber queue is over its cap (oldest dropped)', () => {
    vi.useFakeTimers()
    const h = hub({ maxQueue: 1000 })
    const spec = fakeSpec<string>({ replay: 3 })
    const slow = collector<string>()
    const roomy = collector<string>()
    h.subscribe(key, spec, slow.fn, { maxQueue: 5 })
    h.subscribe(key, spec, roomy.fn)
    for (let i = 0; i < 20; i++) spec.sink().frame(`line ${i}`)
    vi.advanceTimersByTime(100)
    expect(slow.batches[1]).toEqual({
      frames: ['line 15', 'line 16', 'line 17', 'line 18', 'line 19'],
      dropped: 15,
    })
    expect(roomy.batches[1]?.frames).toHaveLength(20)
    expect(roomy.batches[1]?.dropped).toBe(0)
    // The counter is per batch: the next one starts from zero.
    spec.sink().frame('line 20')
    vi.advanceTimersByTime(100)
    expect(slow.batches[2]).toEqual({ frames: ['line 20'], dropped: 0 })
    // A log tail (replay 3) for the next subscriber.
    const late = collector<string>()
    h.subscribe(key, spec, late.fn)
    expect(late.batches[0]?.frames).toEqual(['line 18', 'line 19', 'line 20'])
  })

  it('a saturated log stream: every frame is delivered or counted as dropped, in order', () => {
    vi.useFakeTimers()
    const h = hub()
    const spec = fakeSpec<number>({ replay: 1000, maxQueue: 5000 })
    const c = collector<number>()
    h.subscribe(key, spec, c.fn)
    // 12,345 frames between two batches: over the cap many times (trimmed in bulk), then a tail.
    for (let i = 0; i < 12_345; i++) spec.sink().frame(i)
    vi.advanceTimersByTime(100)
    for (let i = 12_345; i < 12_400; i++) spec.sink().frame(i)
    vi.advanceTimersByTime(100)
    const [, big, tail] = c.batches
    expect(big?.dropped).toBe(12_345 - 5000)
    expect(big?.frames).toEqual(Array.from({ length: 5000 }, (_v, i) => 7345 + i))
    expect(tail).toEqual({ frames: Array.from({ length: 55 }, (_v, i) => 12_345 + i), dropped: 0 })
    // The replay is the newest 1000 frames, oldest first; a smaller queue gets its newest part.
    const late = collector<number>()
    h.subscribe(key, spec, late.fn)
    expect(late.batches[0]?.frames).toEqual(Array.from({ length: 1000 }, (_v, i) => 11_400 + i))
    const small = collector<number>()
    h.subscribe(key, spec, small.fn, { maxQueue: 2 })
    expect(small.batches[0]?.frames).toEqual([12_398, 12_399])
  })

  it('coalesce keeps only the newest snapshot in a queue (not counted as dropped)', () => {
    vi.useFakeTimers()
    const h = hub()
    const spec = fakeSpec<{ v: number }>({ coalesce: true })
    const c = collector<{ v: number }>()
    h.subscribe(key, spec, c.fn)
    for (let v = 0; v < 10; v++) spec.sink().frame({ v })
    vi.advanceTimersByTime(100)
    expect(c.batches[1]).toEqual({ frames: [{ v: 9 }], dropped: 0 })
  })

  it('refcount with a grace period: a quick re-subscribe reuses the upstream', () => {
    vi.useFakeTimers()
    const h = hub({ graceMs: 1000 })
    const spec = fakeSpec<string>()
    const a = h.subscribe(key, spec, () => undefined)
    const b = h.subscribe(key, spec, () => undefined)
    expect(spec.opens).toBe(1)
    a.dispose()
    b.dispose()
    expect(spec.stops).toBe(0)
    expect(h.entries()[0]?.closing).toBe(true)
    vi.advanceTimersByTime(500)
    const c = h.subscribe(key, spec, () => undefined)
    vi.advanceTimersByTime(2000)
    expect(spec.opens).toBe(1)
    expect(spec.stops).toBe(0)
    c.dispose()
    vi.advanceTimersByTime(999)
    expect(spec.stops).toBe(0)
    vi.advanceTimersByTime(1)
    expect(spec.stops).toBe(1)
    expect(h.entries()).toEqual([])
    // A new subscriber after the close opens a fresh upstream.
    h.subscribe(key, spec, () => undefined)
    expect(spec.opens).toBe(2)
  })

  it('keys are (serverId, stream): different keys, different upstreams', () => {
    const h = hub()
    const a = fakeSpec<string>()
    const b = fakeSpec<string>()
    const c = fakeSpec<string>()
    h.subscribe({ serverId: 's1', stream: 'logs' }, a, () => undefined)
    h.subscribe({ serverId: 's2', stream: 'logs' }, b, () => undefined)
    h.subscribe({ serverId: 's1', stream: 'graph-layout' }, c, () => undefined)
    expect([a.opens, b.opens, c.opens]).toEqual([1, 1, 1])
    expect(h.entries()).toHaveLength(3)
  })

  it('a throwing listener does not disturb the others; a throwing open leaves nothing behind', () => {
    vi.useFakeTimers()
    const h = hub()
    const spec = fakeSpec<string>()
    let calls = 0
    h.subscribe(key, spec, () => {
      calls++
      throw new Error('boom')
    })
    const c = collector<string>()
    h.subscribe(key, spec, c.fn)
    spec.sink().frame('a')
    vi.advanceTimersByTime(100)
    expect(calls).toBe(2)
    expect(c.batches[1]?.frames).toEqual(['a'])

    const bad: StreamSpec<string> = {
      open: () => {
        throw new Error('cannot open')
      },
    }
    const other = { serverId: 's9', stream: 'x' }
    expect(() => h.subscribe(other, bad, () => undefined)).toThrow('cannot open')
    expect(h.entries().map((e) => e.key.serverId)).toEqual(['s1'])
  })

  it('closeAll stops every upstream and timer; later subscribes throw; disposers stay safe', () => {
    vi.useFakeTimers()
    const h = hub()
    const a = fakeSpec<string>()
    const b = fakeSpec<string>()
    const c = collector<string>()
    const sa = h.subscribe(key, a, c.fn)
    h.subscribe({ serverId: 's2', stream: 'logs' }, b, () => undefined)
    a.sink().frame('pending')
    h.closeAll()
    expect([a.stops, b.stops]).toEqual([1, 1])
    vi.advanceTimersByTime(1000)
    expect(c.batches).toHaveLength(1) // the pending batch was not delivered after close
    a.sink().frame('late') // an upstream that still reports is ignored
    sa.dispose()
    expect(vi.getTimerCount()).toBe(0)
    expect(() => h.subscribe(key, a, () => undefined)).toThrow(/closed/)
  })
})
