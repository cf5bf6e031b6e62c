import { afterEach, describe, expect, it } from 'vitest'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import WebSocket from 'ws'
import { listenStaticHost, type StaticHost } from './static-host'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

async function host(): Promise<StaticHost> {
  const dir = await mkdtemp(join(tmpdir(), 'nodedeck-static-'))
  await mkdir(join(dir, 'assets'), { recursive: true })
  await writeFile(
    join(dir, 'index.html'),
    '<script type="module" src="./assets/a.js"></script><link rel="stylesheet" href="./assets/b.css">',
  )
  await writeFile(join(dir, 'assets', 'a.js'), 'console.log(1)')
  await writeFile(join(dir, 'assets', 'b.css'), 'body{}')
  const h = await listenStaticHost({ webRoot: dir, token: 't'.repeat(64) })
  cleanups.push(async () => {
    await h.close()
    await rm(dir, { recursive: true, force: true })
  })
  return h
}

function get(
  h: StaticHost,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((ok, ko) => {
    request(`${h.url}${path.slice(1)}`, { headers }, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => ok({ status: res.statusCode ?? 0, body }))
    })
      .on('error', ko)
      .end()
  })
}

describe('static host (the browser host before the core is attached)', () => {
  it('serves the renderer at once; other paths wait for attach, then go to its hooks', async () => {
    const h = await host()
    expect((await get(h, '/')).body).toContain('assets/a.js')
    expect(await get(h, '/assets/a.js')).toEqual({ status: 200, body: 'console.log(1)' })
    let answered = false
    const metrics = get(h, '/metrics').then((r) => {
      answered = true
      return r
    })
    await new Promise((r) => setTimeout(r, 50))
    expect(answered).toBe(false)
    h.attach({
      request: (req, res) => {
        if (req.url !== '/metrics') return false
        res.end('m 1\n')
        return true
      },
      upgrade: (_req, socket) => socket.destroy(),
    })
    expect(await metrics).toEqual({ status: 200, body: 'm 1\n' })
    expect((await get(h, '/nope')).status).toBe(404)
    expect((await get(h, '/../secret')).status).not.toBe(200)
  })

  it('holds a WebSocket upgrade until attach; close drops what is held', async () => {
    const h = await host()
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/rpc`)
    const ended = new Promise<string>((ok) => {
      ws.once('open', () => ok('open'))
      ws.once('error', (e) => ok(`error ${e.message}`))
    })
    await new Promise((r) => setTimeout(r, 50))
    await h.close()
    cleanups.pop()
    expect(await ended).toMatch(/^error/)
  })

  it('whenQuiet: resolves once index.html and every asset it names were served', async () => {
    const h = await host()
    let quiet = false
    const p = h.whenQuiet(10_000).then(() => (quiet = true))
    await get(h, '/')
    await get(h, '/assets/a.js')
    await new Promise((r) => setTimeout(r, 20))
    expect(quiet).toBe(false)
    await get(h, '/assets/b.css')
    await p
    expect(quiet).toBe(true)
  })

  it('whenQuiet: once the page was served, waits longer for its assets, or for its code to run', async () => {
    const h = await host()
    await get(h, '/')
    let quiet = false
    const p = h.whenQuiet(20, 10_000).then(() => (quiet = true))
    await new Promise((r) => setTimeout(r, 80))
    expect(quiet).toBe(false)
    // The page's code asks for the preview: it had its assets (cached).
    expect((await get(h, '/servers-preview')).status).toBe(401)
    await p
    expect(quiet).toBe(true)
  })

  it('whenQuiet: resolves after the quiet period when no browser comes', async () => {
    const h = await host()
    const t = performance.now()
    await h.whenQuiet(60)
    expect(performance.now() - t).toBeGreaterThanOrEqual(55)
  })

  it('servers preview: only with the token; held until set; JSON, or 204 when there is none', async () => {
    const h = await host()
    const auth = { authorization: `Bearer ${'t'.repeat(64)}` }
    expect((await get(h, '/servers-preview')).status).toBe(401)
    expect((await get(h, '/servers-preview', { authorization: 'Bearer nope' })).status).toBe(401)
    let answered = false
    const early = get(h, '/servers-preview', auth).then((r) => {
      answered = true
      return r
    })
    await new Promise((r) => setTimeout(r, 50))
    expect(answered).toBe(false)
    h.setPreview(async () => [{ id: 'a' }])
    expect(await early).toEqual({ status: 200, body: '[{"id":"a"}]' })
    h.setPreview(async () => null)
    expect((await get(h, '/servers-preview', auth)).status).toBe(204)
    h.setPreview(async () => {
      throw new Error('disk')
    })
    expect((await get(h, '/servers-preview', auth)).status).toBe(500)
  })

  it('servers preview: none was set when the core attaches: 204', async () => {
    const h = await host()
    const auth = { authorization: `Bearer ${'t'.repeat(64)}` }
    const early = get(h, '/servers-preview', auth)
    await new Promise((r) => setTimeout(r, 20))
    h.attach({ request: () => false, upgrade: (_req, socket) => socket.destroy() })
    expect((await early).status).toBe(204)
  })

  it('whenPageConnects: at once without a page; else at the WebSocket, or after the cap', async () => {
    const h = await host()
    await h.whenPageConnects(10_000)
    await get(h, '/')
    const t = performance.now()
    await h.whenPageConnects(80)
    expect(performance.now() - t).toBeGreaterThanOrEqual(75)
    let connected = false
    const waiting = h.whenPageConnects(10_000).then(() => (connected = true))
    await new Promise((r) => setTimeout(r, 30))
    expect(connected).toBe(false)
    const ws = new WebSocket(`ws://127.0.0.1:${h.port}/rpc`)
    ws.on('error', () => undefined)
    await waiting
    expect(connected).toBe(true)
    await h.whenPageConnects(10_000)
    ws.terminate()
  })
})
