import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { createCore, type Core } from '../core/create-core'
import { FakeCredentialStore } from '../core/testing/fake-credential-store'
import { startBrowserHost, type BrowserHost } from './server'
import { createRpcClient, type RpcClient } from '../../shared/rpc/client'
import { WS_PROTOCOL, WS_TOKEN_PREFIX } from '../../shared/rpc/protocol'
import { AppErrorException } from '../../shared/contract'

let dir: string
let core: Core
let host: BrowserHost

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nodedeck-host-'))
  const web = join(dir, 'web')
  await mkdir(join(web, 'assets'), { recursive: true })
  await writeFile(join(web, 'index.html'), '<!doctype html><title>NodeDeck</title>')
  await writeFile(join(web, 'assets', 'app.js'), 'console.log(1)')
  await writeFile(join(dir, 'secret.txt'), 'do not serve')
  core = await createCore({
    dataDir: join(dir, 'data'),
    credentials: new FakeCredentialStore(),
    host: 'browser',
    capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
    validateOutput: true,
  })
  host = await startBrowserHost({ core, webRoot: web, token: 'a'.repeat(64) })
})

afterAll(async () => {
  await host.close()
  await core.stop()
  await rm(dir, { recursive: true, force: true })
})

function open(opts: { origin?: string; protocols?: string[] } = {}): Promise<WebSocket> {
  const ws = new WebSocket(
    `ws://127.0.0.1:${host.port}/rpc`,
    opts.protocols ?? [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${host.token}`],
    { origin: opts.origin ?? `http://127.0.0.1:${host.port}` },
  )
  return new Promise((ok, ko) => {
    ws.once('open', () => ok(ws))
    ws.once('unexpected-response', (_req, res) => ko(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', ko)
  })
}

function client(ws: WebSocket): RpcClient {
  return createRpcClient({
    post: (d) => ws.send(d as string),
    on: (fn) => ws.on('message', (m) => fn(m.toString())),
    serialize: (d) => JSON.stringify(d),
    deserialize: (d) => JSON.parse(String(d)) as unknown,
  })
}

describe('browser host', () => {
  it('serves the renderer with a CSP and only from the web root', async () => {
    const index = await fetch(host.url)
    expect(index.status).toBe(200)
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await index.text()).toContain('NodeDeck')
    expect((await fetch(`${host.url}assets/app.js`)).headers.get('content-type')).toContain(
      'javascript',
    )
    expect((await fetch(`${host.url}..%2fsecret.txt`)).status).not.toBe(200)
    expect((await fetch(`${host.url}%2e%2e/secret.txt`)).status).not.toBe(200)
    expect((await fetch(`${host.url}nope.js`)).status).toBe(404)
    expect((await fetch(host.url, { method: 'POST' })).status).toBe(405)
  })

  it('binds to loopback and puts the token only in the URL fragment', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    expect(host.openUrl).toBe(`${host.url}#token=${host.token}`)
  })

  it('answers calls over JSON, including methods without input (undefined → null on the wire)', async () => {
    const ws = await open()
    const api = client(ws)
    const info = await api.call('app.info', undefined)
    expect(info.host).toBe('browser')
    expect(await api.call('servers.list', undefined)).toEqual([])
    await expect(
      api.call('servers.add', { draft: { kind: 'hysteria2', name: '', url: 'x' } } as never),
    ).rejects.toBeInstanceOf(AppErrorException)
    api.close()
    ws.close()
  })

  it('pushes events to connected pages', async () => {
    const ws = await open()
    const api = client(ws)
    const got = new Promise((ok) => api.on('settings.changed', ok))
    await api.call('settings.set', { theme: 'dark' })
    expect(await got).toMatchObject({ theme: 'dark' })
    api.close()
    ws.close()
  })

  it('refuses a socket without the token, with a wrong token, or from another origin', async () => {
    const closeCode = async (protocols: string[]) => {
      const ws = await open({ protocols })
      return new Promise<number>((ok) => ws.once('close', (code) => ok(code)))
    }
    // Our page with a stale token: closed at once with 4401 ("token rejected"), never served.
    expect(await closeCode([WS_PROTOCOL])).toBe(4401)
    expect(await closeCode([WS_PROTOCOL, `${WS_TOKEN_PREFIX}${'b'.repeat(64)}`])).toBe(4401)
    await expect(open({ protocols: [`${WS_TOKEN_PREFIX}${host.token}`] })).rejects.toThrow(
      'HTTP 400',
    )
    await expect(open({ origin: 'http://evil.example' })).rejects.toThrow('HTTP 403')
    await expect(open({ origin: `http://127.0.0.1:${host.port + 1}` })).rejects.toThrow('HTTP 403')
  })

  it('never answers a call on a socket with a wrong token', async () => {
    const ws = await open({ protocols: [WS_PROTOCOL, `${WS_TOKEN_PREFIX}${'c'.repeat(64)}`] })
    const api = client(ws)
    const closed = new Promise((ok) => ws.once('close', ok))
    const call = api.call('servers.list', undefined).then(
      () => 'answered',
      () => 'failed',
    )
    await closed
    api.close()
    expect(await call).toBe('failed')
  })
})
