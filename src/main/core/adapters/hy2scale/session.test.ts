import { describe, expect, it } from 'vitest'
import { AppErrorException, type AppError } from '../../../../shared/contract'
import type { HttpClient, HttpRequest, HttpResponse } from '../http/http-client'
import {
  createHy2ScaleSession,
  hy2ScaleStatusError,
  sha256Hex,
  type Hy2ScaleCredentials,
} from './session'

const res = (status: number, body: string, type = 'text/plain; charset=utf-8'): HttpResponse => ({
  status,
  headers: { 'content-type': type },
  body: Buffer.from(body),
  elapsedMs: 1,
})

/** An HttpClient answering logins with numbered tokens and everything else with `route`. */
function fakeHttp(route: (req: HttpRequest) => HttpResponse = () => res(200, '{}')) {
  const state = {
    logins: [] as Array<{ username: string; password: string }>,
    requests: [] as HttpRequest[],
    /** Resolves pending logins (when `holdLogins`). */
    release: [] as Array<() => void>,
    holdLogins: false,
    n: 0,
  }
  const http: HttpClient = {
    async request(req) {
      state.requests.push(req)
      if (String(req.url).endsWith('/api/login')) {
        const body = JSON.parse(String(req.body)) as { username: string; password: string }
        state.logins.push(body)
        if (state.holdLogins) await new Promise<void>((r) => state.release.push(r))
        state.n++
        return res(200, JSON.stringify({ token: `tok${state.n}` }), 'application/json')
      }
      return route(req)
    },
    async close() {},
  }
  return { http, state }
}

function session(
  http: HttpClient,
  creds: Hy2ScaleCredentials | null = { username: 'admin', password: 'admin' },
) {
  let reads = 0
  const s = createHy2ScaleSession({
    serverId: 's1',
    baseUrl: 'http://node:5565/scale/',
    http,
    getCredentials: async () => {
      reads++
      return creds
    },
  })
  return { s, reads: () => reads }
}

async function appErr(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(AppErrorException)
    return (err as AppErrorException).appError
  }
  throw new Error('expected a rejection')
}

const get = (path: string): HttpRequest => ({
  serverId: 's1',
  method: 'GET',
  url: `http://node:5565/scale${path}`,
})

describe('sha256Hex', () => {
  it('is lower-case hex of the UTF-8 text', () => {
    expect(sha256Hex('admin')).toBe(
      '8c6976e5b5410415bde908bd4dee15dfb167a9c873fc4bb8a81f6f2ab448a918',
    )
    expect(sha256Hex('pässwörd')).toMatch(/^[0-9a-f]{64}$/)
  })
})

describe('createHy2ScaleSession', () => {
  it('logs in at the base path (trailing slash trimmed) and hands the token to SSE only', async () => {
    const { http, state } = fakeHttp()
    const { s } = session(http)
    expect(s.loggedIn).toBe(false)
    expect(await s.token()).toBe('tok1')
    expect(String(state.requests[0]?.url)).toBe('http://node:5565/scale/api/login')
    expect(state.logins[0]).toEqual({ username: 'admin', password: sha256Hex('admin') })
    expect(s.loggedIn).toBe(true)
    expect(await s.token()).toBe('tok1')
    expect(state.logins).toHaveLength(1)
  })

  it('adds the Bearer header and keeps the caller headers', async () => {
    const { http, state } = fakeHttp()
    const { s } = session(http)
    await s.request({ ...get('/api/stats'), headers: { accept: 'application/json' } })
    expect(state.requests[1]?.headers).toEqual({
      accept: 'application/json',
      authorization: 'Bearer tok1',
    })
  })

  it('a login started before invalidate() does not store its token', async () => {
    const { http, state } = fakeHttp()
    state.holdLogins = true
    const { s } = session(http)
    const pending = s.token()
    await new Promise((r) => setTimeout(r, 5))
    s.invalidate()
    state.release.shift()?.()
    expect(await pending).toBe('tok1')
    expect(s.loggedIn).toBe(false)
    state.holdLogins = false
    expect(await s.token()).toBe('tok2')
  })

  it('a failed login is not cached: the next call tries again', async () => {
    let fail = true
    const http: HttpClient = {
      async request() {
        if (fail) return res(401, 'invalid credentials\n')
        return res(200, '{"token":"t","force_password_change":true}', 'application/json')
      },
      async close() {},
    }
    const { s, reads } = session(http)
    expect((await appErr(s.token())).code).toBe('auth')
    fail = false
    expect(await s.token()).toBe('t')
    expect(s.forcePasswordChange).toBe(true)
    expect(reads()).toBe(2)
  })

  it('loginWith uses the given login, not getCredentials', async () => {
    const { http, state } = fakeHttp()
    const { s, reads } = session(http)
    await s.loginWith({ username: 'root', password: 'n3w' })
    expect(state.logins[0]).toEqual({ username: 'root', password: sha256Hex('n3w') })
    expect(reads()).toBe(0)
  })

  it('login() replaces the token', async () => {
    const { http } = fakeHttp()
    const { s } = session(http)
    await s.token()
    await s.login()
    expect(await s.token()).toBe('tok2')
  })

  it('a 400 on login is invalid_input, HTML is bad_payload', async () => {
    for (const [r, code] of [
      [res(400, 'bad request\n'), 'invalid_input'],
      [res(200, '<html></html>', 'text/html'), 'bad_payload'],
    ] as const) {
      const http: HttpClient = { request: async () => r, close: async () => {} }
      const { s } = session(http)
      expect((await appErr(s.token())).code).toBe(code)
    }
  })

  it('redact() masks the tokens it held', async () => {
    const { http } = fakeHttp()
    const { s } = session(http)
    await s.token()
    s.invalidate()
    await s.token()
    expect(s.redact('a tok1 b tok2 c')).toBe('a *** b *** c')
  })
})

describe('hy2ScaleStatusError', () => {
  const ctx = { serverId: 's1', what: 'GET /api/x' }
  it('masks secrets in the quoted text', () => {
    const e = hy2ScaleStatusError(res(400, 'pw sekrit bad\n'), ctx, ['sekrit'])
    expect(e.appError.message).toBe('The node rejected GET /api/x: pw *** bad')
  })
  it('tells an unknown route from a missing object', () => {
    expect(hy2ScaleStatusError(res(404, '404 page not found\n'), ctx).appError.message).toMatch(
      /does not know GET \/api\/x/,
    )
    expect(hy2ScaleStatusError(res(404, 'not found\n'), ctx).appError.message).toMatch(
      /found nothing \("not found"\)/,
    )
  })
  it('maps an empty 400 and an odd status', () => {
    expect(hy2ScaleStatusError(res(400, ''), ctx).appError.message).toMatch(/without saying why/)
    const e = hy2ScaleStatusError(res(418, 'teapot'), ctx).appError
    expect(e.code).toBe('http_status')
    expect(e.retryable).toBe(false)
  })
})
