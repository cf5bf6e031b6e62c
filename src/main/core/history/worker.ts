import { parentPort, workerData } from 'node:worker_threads'
import { HistoryStore } from './store'
import type { StoreStatus, WorkerReply, WorkerRequest } from './types'

/**
 * The history worker: a thin host around HistoryStore, off the main thread so that SQLite
 * writes, roll-ups and long queries never delay polling. Messages in (`WorkerRequest`), replies
 * and status out (`WorkerReply`); housekeeping on a timer. Built as its own entry
 * (`history-worker.js` next to the main bundle; see electron.vite.config.ts, vite.node.config.mts).
 */
const TICK_MS = 5_000

const port = parentPort
if (!port) throw new Error('history-worker must run in a worker thread')
const { file } = workerData as { file: string }
const store = new HistoryStore({ file })

let lastStatus = ''
const sendStatus = (force = false) => {
  const s: StoreStatus = store.status()
  const key = `${s.state}|${s.reason}|${s.movedAside}`
  if (!force && key === lastStatus) return
  lastStatus = key
  port.postMessage({ id: 0, status: s } satisfies WorkerReply)
}
sendStatus(true)

let timer: ReturnType<typeof setTimeout> | null = null
const schedule = (ms: number) => {
  timer = setTimeout(() => {
    // More work waiting (catch-up, pruning): run again after pending messages are handled.
    const more = store.tick()
    sendStatus()
    schedule(more ? 0 : TICK_MS)
  }, ms)
}
schedule(TICK_MS)

port.on('message', (msg: WorkerRequest) => {
  if (msg.op === 'ingest') {
    store.ingest(msg.batch)
    return sendStatus()
  }
  try {
    let value: unknown
    switch (msg.op) {
      case 'series':
        value = store.series(msg.q)
        break
      case 'top':
        value = store.top(msg.q)
        break
      case 'events':
        value = store.events(msg.q)
        break
      case 'status':
        value = store.status()
        break
      case 'close':
        if (timer) clearTimeout(timer)
        store.close()
        value = true
        break
    }
    port.postMessage({ id: msg.id, ok: true, value } satisfies WorkerReply)
    if (msg.op === 'close') port.close()
  } catch (err) {
    port.postMessage({
      id: msg.id,
      ok: false,
      error: err instanceof Error ? err.message : String(err),
    } satisfies WorkerReply)
  }
})
