import type { EventEmitter } from 'node:events'
import { beforeAll, describe, expect, it, vi, type Mock } from 'vitest'
import { IPC_CHANNEL, type NodedeckBridge } from '../shared/rpc/protocol'

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events')
  return {
    contextBridge: { exposeInMainWorld: vi.fn() },
    ipcRenderer: Object.assign(new Emitter(), { send: vi.fn() }),
  }
})

/** The two Electron objects the preload touches, as the mock above builds them. */
interface Fake {
  contextBridge: { exposeInMainWorld: Mock<(key: string, api: unknown) => void> }
  ipcRenderer: EventEmitter & { send: Mock<(channel: string, message: unknown) => void> }
}

let fake: Fake
let bridge: NodedeckBridge
beforeAll(async () => {
  fake = (await import('electron')) as unknown as Fake
  await import('./index')
  expect(fake.contextBridge.exposeInMainWorld).toHaveBeenCalledTimes(1)
  const [key, value] = fake.contextBridge.exposeInMainWorld.mock.calls[0] as [
    string,
    NodedeckBridge,
  ]
  expect(key).toBe('nodedeck')
  bridge = value
})

describe('preload bridge', () => {
  it('exposes exactly post, onMessage and platform', () => {
    expect(Object.keys(bridge).sort()).toEqual(['onMessage', 'platform', 'post'])
    expect(bridge.platform).toEqual({ host: 'electron', os: process.platform })
  })

  it('post sends on the one channel', () => {
    const msg = { t: 'q', i: '1', m: 'call', a: ['servers.list', undefined] }
    bridge.post(msg)
    expect(fake.ipcRenderer.send).toHaveBeenCalledWith(IPC_CHANNEL, msg)
  })

  it('onMessage hands over the message only, never the IPC event', () => {
    const fn = vi.fn()
    const off = bridge.onMessage(fn)
    const event = { sender: fake.ipcRenderer, senderId: 0, ports: [] }
    fake.ipcRenderer.emit(IPC_CHANNEL, event, { t: 's', i: '1', r: 42 })
    expect(fn).toHaveBeenCalledTimes(1)
    expect(fn.mock.calls[0]).toEqual([{ t: 's', i: '1', r: 42 }])
    // other channels never reach the page
    fake.ipcRenderer.emit('other', event, 'x')
    expect(fn).toHaveBeenCalledTimes(1)
    off()
  })

  it('unsubscribe removes exactly that listener', () => {
    const a = vi.fn()
    const b = vi.fn()
    const offA = bridge.onMessage(a)
    const offB = bridge.onMessage(b)
    offA()
    fake.ipcRenderer.emit(IPC_CHANNEL, {}, 1)
    expect(a).not.toHaveBeenCalled()
    expect(b).toHaveBeenCalledWith(1)
    offB()
    expect(fake.ipcRenderer.listenerCount(IPC_CHANNEL)).toBe(0)
  })
})
