import type { IpcMain, IpcMainEvent, WebContents } from 'electron'
import { IPC_CHANNEL } from '../../shared/rpc/protocol'
import { serveConnection } from '../../shared/rpc/server'
import type { RpcResult } from '../../shared/rpc/protocol'
import type { Logger } from '../core/util/logger'

/** The part of the core the bridge needs: one connection per window. */
export interface BridgeCore {
  connect(send: (name: string, payload: unknown) => void): {
    call(method: string, input: unknown): Promise<RpcResult>
    close(): void
  }
}

export interface IpcBridgeOptions {
  core: BridgeCore
  /** Electron's `ipcMain` (injected so the bridge is testable with a fake). */
  ipcMain: Pick<IpcMain, 'on' | 'removeListener'>
  /** True if a frame URL is our renderer document (see renderer-target.ts). */
  isRendererUrl(url: string): boolean
  logger?: Logger
}

export interface IpcBridge {
  /** Serves one window's webContents; its messages are accepted from then on. */
  attach(wc: WebContents): void
  /** Stops listening and closes every connection. */
  dispose(): void
}

/** One attached webContents: its current core connection and the birpc receive hook. */
interface Attached {
  wc: WebContents
  receive: ((msg: unknown) => void) | null
  close: () => void
}

/** Why a message was refused, or null if it may pass. */
export type SenderVerdict = null | string

/**
 * Decides whether an IPC message may reach the core (VS Code's `validatedIpcMain`, stricter):
 * 1. the sending webContents is one we attached (our window), not any other renderer;
 * 2. the sending frame still exists, is not detached and is that webContents' top frame
 *    (no iframe, however it got there);
 * 3. the frame's URL is our renderer document (the built `index.html` or the dev origin).
 * Electron can throw while reading a frame that is going away: that is a refusal too.
 */
export function judgeSender(
  event: Pick<IpcMainEvent, 'sender' | 'senderFrame'>,
  isAttached: (wc: WebContents) => boolean,
  isRendererUrl: (url: string) => boolean,
): SenderVerdict {
  try {
    const wc = event.sender
    if (!isAttached(wc)) return 'unknown webContents'
    const frame = event.senderFrame
    if (!frame) return 'sender frame is gone'
    if (frame.detached) return 'sender frame is detached'
    if (frame.parent !== null) return 'not the top frame'
    const main = wc.mainFrame
    if (frame.processId !== main.processId || frame.routingId !== main.routingId) {
      return 'not the main frame'
    }
    if (!isRendererUrl(frame.url)) return 'foreign document'
    return null
  } catch {
    return 'sender could not be inspected'
  }
}

/**
 * The Electron side of the single IPC channel (design.md §2.5 point 5). Every attached
 * webContents is one core connection, framed by birpc; replies and events go back to that
 * webContents only. Messages are fire-and-forget (`ipcMain.on`), never `invoke`, so the
 * birpc envelope carries ids, errors and timeouts the same way as the WebSocket host.
 *
 * A navigation or a renderer crash starts a new connection: the old page's subscriptions
 * (`live.watch`) must not outlive it.
 */
export function createIpcBridge(opts: IpcBridgeOptions): IpcBridge {
  const attached = new Map<number, Attached>()
  let refused = 0
  const isAttached = (wc: WebContents) => attached.get(wc.id)?.wc === wc

  const logRefusal = (reason: string, event: IpcMainEvent) => {
    refused++
    // First few in full, then a sample: a hostile frame must not flood the log.
    if (refused <= 10 || refused % 100 === 0) {
      let url: string
      try {
        url = event.senderFrame?.url ?? ''
      } catch {
        url = '(unreadable)'
      }
      opts.logger?.warn('ipc message refused', { reason, url, refused })
    }
  }

  const listener = (event: IpcMainEvent, message: unknown) => {
    const reason = judgeSender(event, isAttached, opts.isRendererUrl)
    if (reason !== null) {
      logRefusal(reason, event)
      return
    }
    if (typeof message !== 'object' || message === null) {
      logRefusal('not a birpc message', event)
      return
    }
    attached.get(event.sender.id)?.receive?.(message)
  }
  opts.ipcMain.on(IPC_CHANNEL, listener)

  /** Opens a fresh core connection for `entry`, closing the previous one. */
  const connect = (entry: Attached) => {
    entry.close()
    const { wc } = entry
    let served: { emit(name: string, payload: unknown): void; close(): void } | null = null
    const connection = opts.core.connect((name, payload) => served?.emit(name, payload))
    served = serveConnection(
      {
        post(data) {
          if (wc.isDestroyed()) return
          try {
            wc.send(IPC_CHANNEL, data)
          } catch (err) {
            opts.logger?.warn('ipc send failed', {
              error: err instanceof Error ? err.message : String(err),
            })
          }
        },
        on(fn) {
          entry.receive = fn
        },
      },
      connection,
    )
    const mine = served
    entry.close = () => {
      entry.receive = null
      entry.close = () => undefined
      mine.close()
    }
  }

  return {
    attach(wc) {
      if (attached.has(wc.id)) return
      const entry: Attached = { wc, receive: null, close: () => undefined }
      attached.set(wc.id, entry)
      connect(entry)
      wc.on('did-navigate', () => {
        if (attached.get(wc.id) === entry) connect(entry)
      })
      wc.on('render-process-gone', () => {
        if (attached.get(wc.id) === entry) connect(entry)
      })
      wc.once('destroyed', () => {
        if (attached.get(wc.id) !== entry) return
        attached.delete(wc.id)
        entry.close()
      })
    },
    dispose() {
      opts.ipcMain.removeListener(IPC_CHANNEL, listener)
      for (const entry of attached.values()) entry.close()
      attached.clear()
    },
  }
}
