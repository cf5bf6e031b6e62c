/**
 * The sandboxed preload (built to ONE CommonJS file, out/preload/index.js). It exposes exactly
 * one object, `window.nodedeck` (design.md §2.5 point 5): a message pipe on the single IPC
 * channel and static platform facts. No logic, no Node APIs, never the IPC event or
 * `ipcRenderer` itself.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { IPC_CHANNEL, type NodedeckBridge } from '../shared/rpc/protocol'

const bridge: NodedeckBridge = {
  post(message) {
    ipcRenderer.send(IPC_CHANNEL, message)
  },
  onMessage(fn) {
    const listener = (_event: IpcRendererEvent, message: unknown) => fn(message)
    ipcRenderer.on(IPC_CHANNEL, listener)
    return () => {
      ipcRenderer.removeListener(IPC_CHANNEL, listener)
    }
  },
  platform: { host: 'electron', os: process.platform },
}

contextBridge.exposeInMainWorld('nodedeck', bridge)
