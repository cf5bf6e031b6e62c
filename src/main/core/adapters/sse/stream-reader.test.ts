import { afterEach, describe, expect, it } from 'vitest'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer, type AddressInfo } from 'node:net'
import { AppErrorException, appError } from '../../../../shared/contract'
import { createLogger } from '../../util/logger'
import { createHttpClient } from '../http/http-client'
import {
  openStream,
  type StreamFrame,
  type StreamReader,
  type StreamReaderOptions,
  type StreamState,
} from './stream-reader'
import { sleep, sseHeaders, startTestServer, waitFor, type TestStreamServer } from './test-server'

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

async function server(
  handler: (req: IncomingMessage, res: ServerResponse, n: number) => void,
): Promise<TestStreamServer> {
  const s = await startTestServer(handler)
  cleanups.push(() => s.close())
  return s
}

/** A reader with recorded frames, states and log lines. */
function reader(opts: Partial<StreamReaderOptions> & Pick<StreamReaderOptions, 'getUrl'>): {
  r: StreamReader
  frames: StreamFrame[]
  states: StreamState[]
  logs: string[]
} {
  const frames: StreamFrame[] = []
  const states: StreamState[] = []
  const logs: string[] = []
  const r = openStream({
    serverId: 's1',
    framing: 'sse',
    backoff: { initialMs: 20, maxMs: 200, jitter: 0 },
    log: createLogger({ level: 'debug', write: (l) => logs.push(l) }),
    ...opts,
    onFrame: (f) => frames.push(f),
    onState: (s) => states.push(s),
  })
  cleanups.push(() => r.stop())
  return { r, frames, states, logs }
}

const events = (frames: StreamFrame[]) =>
  frames.map((f) => (f.kind === 'event' ? f.data : `line:${f.line}`))

describe('openStream: SSE framing', () => {
  it('parses frames split anywhere, multi-line data, event/id fields; comments are keep-alives', async () => {
    const s = await server((_req, res) => {
      sseHeaders(res)
      res.write('data: {"positions":{}}\n\n')
      res.write(': ping\n\n')
      res.write('event: upd')
      setTimeout(() => res.write('ate\nid: 7\ndata: line1\nda'), 20)
      setTimeout(() => res.write('ta: line2\n\ndata: crlf\r\n\r\n'), 40)
    })
    const { r, frames, states } = reader({ getUrl: () => `${s.origin}/api/graph-layout/stream` })
    await waitFor(() => frames.length === 3, 3000, 'three frames')
    expect(frames[0]).toEqual({ kind: 'event', data: '{"positions":{}}' })
    expect(frames[1]).toEqual({ kind: 'event', data: 'line1\nline2', event: 'update', id: '7' })
    expect(frames[2]).toEqual({ kind: 'event', data: 'crlf' })
    expect(r.stats().keepAlives).toBe(1)
    expect(r.state.status).toBe('live')
    expect(states.map((x) => x.status)).toEqual(['connecting', 'live'])
    expect(s.headers[0]?.accept).toBe('text/event-stream')
  })

  it('an SSE answer that is not text/event-stream fails with bad_payload (wrong URL)', async () => {
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<html>spa</html>')
    })
    const { r } = reader({ getUrl: () => `${s.origin}/scale/api/upgrade/events` })
    await waitFor(() => r.state.status === 'failed')
    expect(r.state.error?.code).toBe('bad_payload')
    expect(r.state.error?.message).toContain('text/html')
  })

  it('sends Last-Event-ID after an id and the headers of getHeaders on reconnect', async () => {
    let n = 0
    const s = await server((_req, res, i) => {
      sseHeaders(res)
      if (i === 0) res.end('id: 42\ndata: a\n\n')
    })
    reader({
      getUrl: () => `${s.origin}/ev`,
      getHeaders: () => ({ 'x-try': String(++n) }),
    })
    await waitFor(() => s.urls.length === 2)
    expect(s.headers[0]?.['x-try']).toBe('1')
    expect(s.headers[1]?.['x-try']).toBe('2')
    expect(s.headers[1]?.['last-event-id']).toBe('42')
  })
})

describe('openStream: keep-alive, idle timeout and reconnects', () => {
  it('`: ping` keeps an otherwise idle stream alive', async () => {
    const s = await server((_req, res) => {
      sseHeaders(res)
      res.write('data: {}\n\n')
      const t = setInterval(() => res.write(': ping\n\n'), 60)
      res.on('close', () => clearInterval(t))
    })
    const { r, states } = reader({ getUrl: () => `${s.origin}/ping`, idleTimeoutMs: 200 })
    await sleep(700)
    expect(s.urls).toHaveLength(1)
    expect(r.stats().keepAlives).toBeGreaterThanOrEqual(5)
    expect(states.map((x) => x.status)).toEqual(['connecting', 'live'])
  })

  it('no byte for idleTimeoutMs → timeout error, reconnect', async () => {
    const s = await server((_req, res) => {
      sseHeaders(res)
      res.write('data: {}\n\n')
    })
    const { states } = reader({ getUrl: () => `${s.origin}/quiet`, idleTimeoutMs: 150 })
    await waitFor(() => s.urls.length >= 2, 3000, 'a reconnect')
    const rec = states.find((x) => x.status === 'reconnecting')
    expect(rec?.error?.code).toBe('timeout')
    expect(rec?.error?.message).toContain('sent nothing for 0.2 s')
    // The idle connection was closed, not left open beside the new one.
    await waitFor(() => s.closedConnections >= 1, 2000, 'the idle socket closed')
  })

  it('without idleTimeoutMs a silent stream (no pings, like upgrade events) stays up', async () => {
    const s = await server((_req, res) => {
      sseHeaders(res)
      res.write('data: {"state":"idle"}\n\n')
    })
    const { r } = reader({ getUrl: () => `${s.origin}/api/upgrade/events`, idleTimeoutMs: null })
    await sleep(400)
    expect(s.urls).toHaveLength(1)
    expect(r.state.status).toBe('live')
  })

  it('server drop → reconnect with exponential backoff; the URL (token) is rebuilt each time', async () => {
    const s = await server((_req, res) => {
      sseHeaders(res)
      res.end('data: {}\n\n')
    })
    let token = 0
    const { states, frames } = reader({
      getUrl: () => `${s.origin}/api/graph-layout/stream?token=tok${++token}`,
      backoff: { initialMs: 40, maxMs: 160, jitter: 0 },
    })
    await waitFor(() => s.urls.length >= 5, 5000, 'five connects')
    expect(s.urls.slice(0, 3)).toEqual([
      '/api/graph-layout/stream?token=tok1',
      '/api/graph-layout/stream?token=tok2',
      '/api/graph-layout/stream?token=tok3',
    ])
    expect(frames.length).toBeGreaterThanOrEqual(4)
    const delays = states
      .filter((x) => x.status === 'reconnecting')
      .map((x) => (x.nextRetryAt ?? 0) - x.since)
    // 40, 80, 160, 160 (capped); `since` is taken a moment after nextRetryAt was computed.
    expect(delays.slice(0, 4).map((d) => Math.round(d / 40) * 40)).toEqual([40, 80, 160, 160])
    const rec = states.find((x) => x.status === 'reconnecting')
    expect(rec?.error?.code).toBe('network')
    expect(rec?.attempt).toBe(1)
    expect(JSON.stringify(states)).not.toContain('tok1')
    expect(rec?.error?.message).toContain('token=***')
  })

  it('a connection live longer than resetAfterMs resets the backoff', async () => {
    const s = await server((_req, res) => {
      sseHeaders(res)
      res.write('data: {}\n\n')
      setTimeout(() => res.end(), 120)
    })
    const { states } = reader({
      getUrl: () => `${s.origin}/x`,
      backoff: { initialMs: 30, maxMs: 1000, jitter: 0, resetAfterMs: 80 },
    })
    await waitFor(() => s.urls.length >= 3, 5000)
    const rec = states.filter((x) => x.status === 'reconnecting')
    expect(rec.map((x) => x.attempt)).toEqual(rec.map(() => 1))
  })

  it('non-2xx → http_status, retried; the body snippet is masked', async () => {
    const s = await server((req, res, n) => {
      if (n === 0) {
        res.writeHead(503, { 'content-type': 'text/plain' })
        res.end(`core is not started yet (${req.url ?? ''})`)
        return
      }
      sseHeaders(res)
      res.write('data: ok\n\n')
    })
    const { r, states } = reader({ getUrl: () => `${s.origin}/logs?token=SEKRET-123` })
    await waitFor(() => r.state.status === 'live' && s.urls.length === 2, 3000)
    const rec = states.find((x) => x.status === 'reconnecting')
    expect(rec?.error).toMatchObject({ code: 'http_status', params: { status: 503 } })
    expect(rec?.error?.message).toContain('core is not started yet')
    expect(JSON.stringify(states)).not.toContain('SEKRET-123')
    // Live again: the error is cleared.
    expect(r.state.error).toBeNull()
  })

  it('a connect that never answers times out (connectTimeoutMs) and is retried', async () => {
    const s = await server((_req, res, n) => {
      if (n === 0) return // never answers
      sseHeaders(res)
      res.write('data: late\n\n')
    })
    const { r, states } = reader({ getUrl: () => `${s.origin}/slow`, connectTimeoutMs: 150 })
    await waitFor(() => r.state.status === 'live' && s.urls.length === 2, 3000)
    expect(states.find((x) => x.status === 'reconnecting')?.error?.code).toBe('timeout')
  })
})

describe('openStream: 401 and credentials', () => {
  it('401 → onAuthError refreshes → reconnect at once with the new token', async () => {
    const s = await server((req, res) => {
      if (!req.url?.includes('token=fresh')) {
        res.writeHead(401, { 'content-type': 'text/plain' })
        res.end('unauthorized')
        return
      }
      sseHeaders(res)
      res.write('data: {}\n\n')
    })
    let token = 'stale'
    let calls = 0
    const { r, states } = reader({
      getUrl: () => `${s.origin}/api/upgrade/events?token=${token}`,
      onAuthError: async (err) => {
        calls++
        expect(err.code).toBe('auth')
        token = 'fresh'
        return true
      },
      backoff: { initialMs: 5000, maxMs: 5000, jitter: 0 },
    })
    await waitFor(() => r.state.status === 'live', 2000, 'live after refresh (no backoff)')
    expect(calls).toBe(1)
    expect(s.urls).toEqual(['/api/upgrade/events?token=stale', '/api/upgrade/events?token=fresh'])
    expect(states.some((x) => x.status === 'reconnecting')).toBe(false)
  })

  it('a second 401 → failed with an auth error, no further attempts', async () => {
    const s = await server((_req, res) => {
      res.writeHead(401, { 'content-type': 'text/plain' })
      res.end('unauthorized')
    })
    let calls = 0
    let token = 0
    const { r } = reader({
      getUrl: () => `${s.origin}/api/graph-layout/stream?token=t0k3n-${++token}`,
      onAuthError: () => {
        calls++
        return true
      },
    })
    await waitFor(() => r.state.status === 'failed')
    await sleep(150)
    expect(calls).toBe(1)
    expect(s.urls).toHaveLength(2)
    expect(r.state.error).toMatchObject({ code: 'auth', retryable: false, serverId: 's1' })
    expect(r.state.error?.message).toContain('HTTP 401')
    expect(JSON.stringify(r.state)).not.toContain('t0k3n')
  })

  it('401 without a hook, or a hook answering false → failed/auth', async () => {
    const s = await server((_req, res) => {
      res.writeHead(401)
      res.end()
    })
    const a = reader({ getUrl: () => `${s.origin}/a` })
    const b = reader({ getUrl: () => `${s.origin}/b`, onAuthError: () => false })
    await waitFor(() => a.r.state.status === 'failed' && b.r.state.status === 'failed')
    expect(a.r.state.error?.code).toBe('auth')
    expect(b.r.state.error?.code).toBe('auth')
    expect(s.urls).toHaveLength(2)
  })

  it('a retryable failure of the refresh is retried with backoff; reconnect() restarts a failed stream', async () => {
    let accept = false
    const s = await server((req, res) => {
      if (!accept || !req.url?.includes('ok')) {
        res.writeHead(401)
        res.end()
        return
      }
      sseHeaders(res)
      res.write('data: {}\n\n')
    })
    let refreshes = 0
    const { r, states } = reader({
      getUrl: () => `${s.origin}/s?token=${accept ? 'ok' : 'bad'}`,
      onAuthError: () => {
        refreshes++
        if (refreshes === 1) throw new AppErrorException(appError('network', 'login down'))
        return true
      },
    })
    await waitFor(() => r.state.status === 'failed', 3000)
    expect(states.find((x) => x.status === 'reconnecting')?.error?.message).toBe('login down')
    expect(refreshes).toBe(2)
    accept = true
    r.reconnect()
    await waitFor(() => r.state.status === 'live', 3000)
  })

  it('a 401 after the stream was live again may refresh again (node restarted twice)', async () => {
    let valid = 'A'
    const s = await server((req, res) => {
      if (!req.url?.endsWith(`token=${valid}`)) {
        res.writeHead(401)
        res.end()
        return
      }
      sseHeaders(res)
      res.end('data: {}\n\n') // the node restarts right after: every token dies
      valid = valid === 'A' ? 'B' : valid === 'B' ? 'C' : 'A'
    })
    let token = 'A'
    let calls = 0
    const { frames } = reader({
      getUrl: () => `${s.origin}/e?token=${token}`,
      onAuthError: () => {
        calls++
        token = valid
        return true
      },
    })
    await waitFor(() => frames.length >= 3, 3000)
    expect(calls).toBeGreaterThanOrEqual(2)
  })

  it('reconnect() while the URL is being built never leaves two connections', async () => {
    const s = await server((_req, res) => {
      sseHeaders(res)
      res.write('data: {}\n\n')
    })
    let release: (() => void) | null = null
    let n = 0
    const { r } = reader({
      getUrl: async () => {
        if (++n === 1) await new Promise<void>((resolve) => (release = resolve))
        return `${s.origin}/e?n=${n}`
      },
    })
    await waitFor(() => release !== null)
    r.reconnect()
    await waitFor(() => r.state.status === 'live')
    ;(release as (() => void) | null)?.()
    await sleep(100)
    expect(s.urls).toEqual(['/e?n=2'])
  })

  it('an error thrown by getUrl (no credentials) is the state error', async () => {
    const { r } = reader({
      getUrl: () => {
        throw new AppErrorException(appError('auth', 'No login stored.', { serverId: 's1' }))
      },
    })
    await waitFor(() => r.state.status === 'failed')
    expect(r.state.error?.message).toBe('No login stored.')
  })
})

describe('openStream: caps and secrets', () => {
  it('an event over maxFrameLength closes the connection with bad_payload (nothing buffered)', async () => {
    const s = await server((_req, res, n) => {
      sseHeaders(res)
      if (n > 0) {
        res.write('data: small\n\n')
        return
      }
      res.write('data: ')
      const chunk = 'x'.repeat(64 * 1024)
      let sent = 0
      const t = setInterval(() => {
        if (res.destroyed || sent > 64 * 1024 * 1024) return clearInterval(t)
        res.write(chunk)
        sent += chunk.length
      }, 1)
      res.on('close', () => clearInterval(t))
    })
    const { r, states, frames } = reader({
      getUrl: () => `${s.origin}/big`,
      maxFrameLength: 100_000,
    })
    await waitFor(() => frames.length === 1, 5000, 'the next small frame')
    expect(frames[0]).toEqual({ kind: 'event', data: 'small' })
    const rec = states.find((x) => x.status === 'reconnecting')
    expect(rec?.error).toMatchObject({ code: 'bad_payload', params: { maxFrameLength: 100_000 } })
    expect(r.stats().oversizedFrames).toBe(1)
    // Far less than the 64 MiB the server was willing to send.
    expect(r.stats().bytes).toBeLessThan(2 * 1024 * 1024)
    await waitFor(() => s.closedConnections >= 1, 2000, 'the big socket closed')
  })

  it('the token of ?token= never appears in errors, states or log lines', async () => {
    // A closed port (connection refused) and a 500 whose body echoes the URL.
    const probe = createServer()
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
    const deadPort = (probe.address() as AddressInfo).port
    await new Promise<void>((r) => probe.close(() => r()))
    const s = await server((req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(`internal error for ${req.url ?? ''} (Bearer H3AD3R-S3CRET)`)
    })
    const secret = '0123456789abcdef0123456789abcdef'
    const a = reader({ getUrl: () => `http://127.0.0.1:${deadPort}/api/x?token=${secret}` })
    const b = reader({
      getUrl: () => `${s.origin}/api/x?token=${secret}`,
      getHeaders: () => ({ authorization: 'Bearer H3AD3R-S3CRET' }),
    })
    await waitFor(() => a.states.length >= 3 && b.states.length >= 3, 3000)
    const errA = a.states.find((x) => x.error)?.error
    const errB = b.states.find((x) => x.error)?.error
    expect(errA?.code).toBe('network')
    expect(errA?.message).toContain('refused')
    expect(errB?.code).toBe('http_status')
    expect(errB?.message).toContain('token=***')
    for (const text of [JSON.stringify(a.states), JSON.stringify(b.states), ...a.logs, ...b.logs]) {
      expect(text).not.toContain(secret)
      expect(text).not.toContain('H3AD3R-S3CRET')
    }
    expect(b.logs.length).toBeGreaterThan(0)
  })
})

describe('openStream: lines framing', () => {
  it('buffers partial lines, strips CRLF, truncates overlong lines and counts them', async () => {
    const s = await server((_req, res) => {
      // apis.md §3: text/event-stream, but raw lines.
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.flushHeaders()
      const parts = [
        'alpha\r\nbe',
        'ta\n',
        'gam',
        'ma\r',
        '\n\n',
        'y'.repeat(30),
        'z'.repeat(30) + '\nnext\n',
        'ünï',
      ]
      let i = 0
      const t = setInterval(() => {
        const p = parts[i++]
        if (p === undefined) {
          clearInterval(t)
          res.end('cödé\n')
          return
        }
        res.write(p)
      }, 15)
    })
    const { r, frames } = reader({
      framing: 'lines',
      getUrl: () => `${s.origin}/logs`,
      maxLineLength: 40,
    })
    await waitFor(() => frames.length >= 7, 3000)
    expect(frames.slice(0, 7)).toEqual([
      { kind: 'line', line: 'alpha', truncated: false },
      { kind: 'line', line: 'beta', truncated: false },
      { kind: 'line', line: 'gamma', truncated: false },
      { kind: 'line', line: '', truncated: false },
      { kind: 'line', line: 'y'.repeat(30) + 'z'.repeat(10), truncated: true },
      { kind: 'line', line: 'next', truncated: false },
      { kind: 'line', line: 'ünïcödé', truncated: false },
    ])
    expect(r.stats().truncatedLines).toBe(1)
  })

  it('a multi-byte character split across chunks is decoded whole', async () => {
    const bytes = Buffer.from('héllo\n', 'utf8')
    const s = await server((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' })
      res.write(bytes.subarray(0, 2))
      setTimeout(() => res.write(bytes.subarray(2)), 20)
    })
    const { frames } = reader({ framing: 'lines', getUrl: () => `${s.origin}/logs` })
    await waitFor(() => frames.length === 1)
    expect(events(frames)).toEqual(['line:héllo'])
  })
})

describe('openStream: stop and the HTTP layer', () => {
  it('stop() closes the socket (the server sees the close) and emits nothing more', async () => {
    const s = await server((_req, res) => {
      sseHeaders(res)
      res.write('data: 1\n\n')
      const t = setInterval(() => res.write('data: more\n\n'), 20)
      res.on('close', () => clearInterval(t))
    })
    const { r, frames, states } = reader({ getUrl: () => `${s.origin}/s` })
    await waitFor(() => frames.length >= 2)
    r.stop()
    await waitFor(() => s.closedConnections === 1 && s.open.size === 0, 2000, 'server-side close')
    const seen = frames.length
    const nStates = states.length
    await sleep(100)
    expect(frames.length).toBe(seen)
    expect(states.length).toBe(nStates)
    expect(s.urls).toHaveLength(1)
    r.stop()
  })

  it('stop() while waiting to reconnect cancels the retry', async () => {
    const s = await server((_req, res) => {
      res.writeHead(502)
      res.end()
    })
    const { r } = reader({
      getUrl: () => `${s.origin}/s`,
      backoff: { initialMs: 100, maxMs: 100, jitter: 0 },
    })
    await waitFor(() => r.state.status === 'reconnecting')
    r.stop()
    await sleep(250)
    expect(s.urls).toHaveLength(1)
  })

  it('runs on the HTTP layer dispatcher (stream pool) and is closed by stop()', async () => {
    const http = createHttpClient()
    cleanups.push(() => http.close())
    const s = await server((_req, res) => {
      sseHeaders(res)
      res.write('data: via-agent\n\n')
    })
    const { r, frames } = reader({ getUrl: () => `${s.origin}/s`, http })
    await waitFor(() => frames.length === 1)
    expect(events(frames)).toEqual(['via-agent'])
    expect(http.dispatcherFor?.(undefined, 'stream')).not.toBe(http.dispatcherFor?.(undefined))
    r.stop()
    await waitFor(() => s.closedConnections === 1, 2000, 'server-side close')
  })

  it('http.close() does not wait for an open stream (stream pools are destroyed)', async () => {
    const http = createHttpClient()
    const s = await server((_req, res) => {
      sseHeaders(res)
      res.write('data: x\n\n')
    })
    const { r, frames } = reader({
      getUrl: () => `${s.origin}/s`,
      http,
      backoff: { initialMs: 30, maxMs: 30, jitter: 0 },
    })
    await waitFor(() => frames.length === 1)
    const closed = await Promise.race([
      http.close().then(() => true),
      sleep(1000).then(() => false),
    ])
    expect(closed).toBe(true)
    // The reader reconnects on a fresh pool.
    await waitFor(() => frames.length === 2 && r.state.status === 'live', 3000)
    r.stop()
    await http.close()
  })
})
