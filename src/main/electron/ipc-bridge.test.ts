import type { IpcMain, WebContents } from 'electron'
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest'
import { IPC_CHANNEL, type RpcResult } from '../../shared/rpc/protocol'
import { createRpcClient, type RpcClient } from '../../shared/rpc/client'
import { FakeFrame, FakeWebContents, fakeIpcMain, resetFakeElectron } from './testing/fake-electron'
import { createIpcBridge, type BridgeCore, type IpcBridge } from './ipc-bridge'
import { isRendererUrl, resolveRendererTarget } from './renderer-target'

vi.mock('electron', async () => (await import('./testing/fake-electron')).fakeElectron)

const OURS = 'file:///app/out/renderer/index.html'
const target = resolveRendererTarget({
  indexHtml: '/app/out/renderer/index.html',
  isPackaged: true,
})

/** A fake core: records calls and connections, answers every call with its connection id. */
function fakeCore() {
  const connections: Array<{
    id: number
    send: (name: string, payload: unknown) => void
    closed: boolean
  }> = []
  const calls: Array<{ conn: number; method: string; input: unknown }> = []
  const core: BridgeCore = {
    connect(send) {
      const conn = { id: connections.length + 1, send, closed: false }
      connections.push(conn)
      return {
        async call(method, input): Promise<RpcResult> {
          calls.push({ conn: conn.id, method, input })
          return { ok: true, data: { conn: conn.id, method } }
        },
        close() {
          conn.closed = true
        },
      }
    },
  }
  return { core, connections, calls }
}

/**
 * A renderer-side birpc client for `wc`, posting as `frame`. Replies are read from what the
 * bridge sent to `wc` (the preload would deliver them).
 */
function rendererClient(wc: FakeWebContents, frame: () => FakeFrame | null): RpcClient {
  let deliver: ((m: unknown) => void) | null = null
  const originalSend = wc.send.bind(wc)
  wc.send = (channel: string, message: unknown) => {
    originalSend(channel, message)
    if (channel === IPC_CHANNEL) deliver?.(message)
  }
  return createRpcClient({
    post: (m) => fakeIpcMain.deliver(IPC_CHANNEL, wc, frame(), m),
    on: (fn) => {
      deliver = fn
    },
  })
}

/** The fakes stand in for Electron's classes at run time (vi.mock), not in the types. */
const asWc = (wc: FakeWebContents) => wc as unknown as WebContents

const flush = () => new Promise((r) => setTimeout(r, 10))

let bridge: IpcBridge
let warn: Mock<(msg: string, fields?: Record<string, unknown>) => void>
let fc: ReturnType<typeof fakeCore>
beforeEach(() => {
  resetFakeElectron()
  fc = fakeCore()
  warn = vi.fn<(msg: string, fields?: Record<string, unknown>) => void>()
  bridge = createIpcBridge({
    core: fc.core,
    ipcMain: fakeIpcMain as unknown as IpcMain,
    isRendererUrl: (url) => isRendererUrl(target, url),
    logger: { debug: vi.fn(), info: vi.fn(), warn, error: vi.fn() },
  })
})
afterEach(() => bridge.dispose())

/** A birpc request as the renderer's client frames it. */
const request = (i: string) => ({ t: 'q', i, m: 'call', a: ['servers.list', undefined] })

describe('ipc bridge', () => {
  it('passes calls from our main frame to the core and answers that webContents', async () => {
    const wc = new FakeWebContents(OURS)
    bridge.attach(asWc(wc))
    const client = rendererClient(wc, () => wc.mainFrame)
    await expect(client.call('servers.list', undefined)).resolves.toEqual({
      conn: 1,
      method: 'servers.list',
    })
    expect(fc.calls).toEqual([{ conn: 1, method: 'servers.list', input: undefined }])
    expect(wc.sent.every((s) => s.channel === IPC_CHANNEL)).toBe(true)
    client.close()
  })

  it('routes each window to its own connection', async () => {
    const a = new FakeWebContents(OURS)
    const b = new FakeWebContents(OURS)
    bridge.attach(asWc(a))
    bridge.attach(asWc(b))
    const ca = rendererClient(a, () => a.mainFrame)
    const cb = rendererClient(b, () => b.mainFrame)
    await expect(cb.call('servers.list', undefined)).resolves.toMatchObject({ conn: 2 })
    await expect(ca.call('servers.list', undefined)).resolves.toMatchObject({ conn: 1 })
    expect(a.sent).toHaveLength(1)
    expect(b.sent).toHaveLength(1)
    // core events go to the connection's own webContents only
    fc.connections[1]?.send('server.status', { serverId: 'x' })
    await flush()
    expect(b.sent).toHaveLength(2)
    expect(a.sent).toHaveLength(1)
    expect(b.sent[1]?.message).toMatchObject({
      t: 'q',
      m: 'event',
      a: ['server.status', { serverId: 'x' }],
    })
    ca.close()
    cb.close()
  })

  it('drops messages from a child frame', async () => {
    const wc = new FakeWebContents(OURS)
    bridge.attach(asWc(wc))
    const iframe = new FakeFrame(OURS, wc.mainFrame, 1)
    fakeIpcMain.deliver(IPC_CHANNEL, wc, iframe, request('1'))
    await flush()
    expect(fc.calls).toEqual([])
    expect(wc.sent).toEqual([])
    expect(warn).toHaveBeenCalledWith(
      'ipc message refused',
      expect.objectContaining({ reason: 'not the top frame' }),
    )
  })

  it('drops messages from a top frame that is not the main frame (other routing id)', async () => {
    const wc = new FakeWebContents(OURS)
    bridge.attach(asWc(wc))
    fakeIpcMain.deliver(IPC_CHANNEL, wc, new FakeFrame(OURS, null, 7), request('1'))
    await flush()
    expect(fc.calls).toEqual([])
  })

  it('drops messages from a foreign document in our window', async () => {
    const wc = new FakeWebContents('https://evil.example/')
    bridge.attach(asWc(wc))
    fakeIpcMain.deliver(IPC_CHANNEL, wc, wc.mainFrame, request('1'))
    wc.mainFrame.url = 'file:///app/out/renderer/other.html'
    fakeIpcMain.deliver(IPC_CHANNEL, wc, wc.mainFrame, request('2'))
    wc.mainFrame.url = 'file:///tmp/index.html'
    fakeIpcMain.deliver(IPC_CHANNEL, wc, wc.mainFrame, request('3'))
    await flush()
    expect(fc.calls).toEqual([])
    expect(warn).toHaveBeenCalledWith(
      'ipc message refused',
      expect.objectContaining({ reason: 'foreign document' }),
    )
  })

  it('drops messages from webContents it was not given, gone frames and detached frames', async () => {
    const stranger = new FakeWebContents(OURS)
    fakeIpcMain.deliver(IPC_CHANNEL, stranger, stranger.mainFrame, request('1'))
    const wc = new FakeWebContents(OURS)
    bridge.attach(asWc(wc))
    fakeIpcMain.deliver(IPC_CHANNEL, wc, null, request('2'))
    wc.mainFrame.detached = true
    fakeIpcMain.deliver(IPC_CHANNEL, wc, wc.mainFrame, request('3'))
    await flush()
    expect(fc.calls).toEqual([])
    expect(stranger.sent).toEqual([])
    const reasons = warn.mock.calls.map((c) => (c[1] as { reason: string }).reason)
    expect(reasons).toEqual([
      'unknown webContents',
      'sender frame is gone',
      'sender frame is detached',
    ])
  })

  it('drops non-object payloads and survives a frame that throws when inspected', async () => {
    const wc = new FakeWebContents(OURS)
    bridge.attach(asWc(wc))
    fakeIpcMain.deliver(IPC_CHANNEL, wc, wc.mainFrame, 'hello')
    fakeIpcMain.deliver(IPC_CHANNEL, wc, wc.mainFrame, null)
    const exploding = new FakeFrame(OURS, null, 1, wc.mainFrame.routingId)
    Object.defineProperty(exploding, 'url', {
      get() {
        throw new Error('Render frame was disposed')
      },
    })
    fakeIpcMain.deliver(IPC_CHANNEL, wc, exploding, request('1'))
    await flush()
    expect(fc.calls).toEqual([])
  })

  it('closes the connection when the webContents is destroyed, and ignores it afterwards', async () => {
    const wc = new FakeWebContents(OURS)
    bridge.attach(asWc(wc))
    expect(fc.connections).toHaveLength(1)
    wc.destroy()
    expect(fc.connections[0]?.closed).toBe(true)
    wc.destroyed = false // a recycled id must not reach the old connection
    fakeIpcMain.deliver(IPC_CHANNEL, wc, wc.mainFrame, request('1'))
    await flush()
    expect(fc.calls).toEqual([])
  })

  it('starts a fresh connection when the page navigates (reload) or its renderer dies', async () => {
    const wc = new FakeWebContents(OURS)
    bridge.attach(asWc(wc))
    wc.emit('did-navigate', {}, OURS)
    expect(fc.connections.map((c) => c.closed)).toEqual([true, false])
    wc.emit('render-process-gone', {}, { reason: 'crashed' })
    expect(fc.connections.map((c) => c.closed)).toEqual([true, true, false])
    const client = rendererClient(wc, () => wc.mainFrame)
    await expect(client.call('servers.list', undefined)).resolves.toMatchObject({ conn: 3 })
    client.close()
  })

  it('stops listening on dispose', async () => {
    const wc = new FakeWebContents(OURS)
    bridge.attach(asWc(wc))
    bridge.dispose()
    expect(fakeIpcMain.listenerCount(IPC_CHANNEL)).toBe(0)
    expect(fc.connections[0]?.closed).toBe(true)
  })
})
