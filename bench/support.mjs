// Helpers shared by the benchmark modules.
import WebSocket from 'ws'

/** SIGTERM, then SIGKILL after 10 s; resolves when the process is gone (or was never there). */
export function stopChild(child) {
  return new Promise((ok) => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return ok()
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000)
    child.once('exit', () => {
      clearTimeout(kill)
      ok()
    })
    child.kill('SIGTERM')
  })
}

/**
 * A client of a browser host's WebSocket (`/rpc`, birpc JSON frames) speaking it as the page does
 * (Origin + token subprotocol, both from the page's `openUrl`). `call` resolves to the core's
 * answer with the round trip in ms (until the answer frame arrived, before parsing it here) and
 * the frame's size; `onEvent(name, payload)`, when given, gets every event the core pushes (events
 * are only parsed then, so a bench timing calls does not pay for them).
 */
export async function pageSocket(openUrl, onEvent = null) {
  const { host, hash } = new URL(openUrl)
  const token = /token=([^&]+)/.exec(hash)?.[1]
  const ws = new WebSocket(`ws://${host}/rpc`, ['nodedeck.v1', `token.${token}`], {
    origin: `http://${host}`,
  })
  await new Promise((ok, ko) => {
    ws.once('open', ok)
    ws.once('error', ko)
  })
  const pending = new Map()
  let seq = 0
  ws.on('message', (data) => {
    const at = performance.now()
    const text = data.toString()
    const id = /^\{"t":"s","i":"([^"]+)"/.exec(text.slice(0, 80))?.[1]
    const done = id === undefined ? undefined : pending.get(id)
    if (done) {
      pending.delete(id)
      done({ msg: JSON.parse(text), at, bytes: data.length })
      return
    }
    if (!onEvent) return
    const msg = JSON.parse(text)
    if (msg.m === 'event') onEvent(msg.a[0], msg.a[1])
  })
  return {
    async call(method, input) {
      const i = `bench-${++seq}`
      const answered = new Promise((ok) => pending.set(i, ok))
      const t = performance.now()
      ws.send(JSON.stringify({ m: 'call', a: [method, input], t: 'q', i }))
      const { msg, at, bytes } = await answered
      if (msg.e !== undefined || msg.r?.ok !== true) {
        throw new Error(`${method} failed: ${JSON.stringify(msg.e ?? msg.r?.error)}`)
      }
      return { data: msg.r.data, ms: at - t, bytes }
    },
    close: () => ws.close(),
  }
}
