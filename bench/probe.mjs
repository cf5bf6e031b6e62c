// A timing probe loaded into a `nodedeck` CLI process by bench/run.mjs (`node --import`): it
// records when each HTTP request of the core (undici) is created, gets its headers and ends, each
// atomic write under a `bridges` directory (temp file opened → renamed over the target) and each
// fsync there, and every JSON.parse / JSON.stringify / structuredClone that takes ≥ 1 ms. It writes them as JSON to
// $BENCH_PROBE_OUT when the process exits. Times are epoch ms (performance.timeOrigin + now), the
// same clock as the bench's, so they line up with the moment the bench spawned the process.
// It only observes: every wrapped function is called with the same arguments and returns the same.
import { subscribe } from 'node:diagnostics_channel'
import { writeFileSync } from 'node:fs'
import fsp from 'node:fs/promises'

const now = () => performance.timeOrigin + performance.now()
const out = process.env.BENCH_PROBE_OUT
const ev = { loadedAt: now(), exitAt: null, requests: [], writes: [], syncs: [], json: [] }

// ---- HTTP (undici's diagnostics channels; the core uses undici's `request`) ---------------------
const byRequest = new WeakMap()
subscribe('undici:request:create', ({ request }) => {
  const r = {
    method: request.method,
    url: `${request.origin}${request.path}`,
    start: now(),
    headers: null,
    end: null,
    status: null,
    bytes: 0,
    error: null,
  }
  byRequest.set(request, r)
  ev.requests.push(r)
})
subscribe('undici:request:headers', ({ request, response }) => {
  const r = byRequest.get(request)
  if (!r) return
  r.headers = now()
  r.status = response.statusCode
})
subscribe('undici:request:bodyChunkReceived', ({ request, chunk }) => {
  const r = byRequest.get(request)
  if (r) r.bytes += chunk?.length ?? 0
})
subscribe('undici:request:trailers', ({ request }) => {
  const r = byRequest.get(request)
  if (r) r.end = now()
})
subscribe('undici:request:error', ({ request, error }) => {
  const r = byRequest.get(request)
  if (!r) return
  r.end ??= now()
  r.error = String(error?.message ?? error)
})

// ---- atomic writes and fsyncs under a bridges directory (core/util/atomic-file.ts) -------------
const inBridges = (p) => /[\\/]bridges([\\/]|$)/.test(p)
const tmpOpened = new Map()
const open = fsp.open
fsp.open = async function probedOpen(path, ...rest) {
  const p = String(path)
  const t = now()
  const fh = await open.call(this, path, ...rest)
  if (inBridges(p)) {
    if (p.endsWith('.tmp')) tmpOpened.set(p, t)
    const sync = fh.sync
    fh.sync = async function probedSync(...args) {
      const s = now()
      try {
        return await sync.apply(this, args)
      } finally {
        ev.syncs.push({ path: p, start: s, end: now() })
      }
    }
  }
  return fh
}
const rename = fsp.rename
fsp.rename = async function probedRename(from, to, ...rest) {
  const r = await rename.call(this, from, to, ...rest)
  const started = tmpOpened.get(String(from))
  if (started !== undefined) {
    tmpOpened.delete(String(from))
    ev.writes.push({ path: String(to), start: started, end: now() })
  }
  return r
}

// ---- big JSON work ---------------------------------------------------------------------------
const { parse, stringify } = JSON
JSON.parse = function probedParse(text, ...rest) {
  const s = now()
  const v = parse.call(this, text, ...rest)
  const e = now()
  if (e - s >= 1) ev.json.push({ op: 'parse', start: s, end: e, size: String(text).length })
  return v
}
JSON.stringify = function probedStringify(value, ...rest) {
  const s = now()
  const v = stringify.call(this, value, ...rest)
  const e = now()
  if (e - s >= 1) ev.json.push({ op: 'stringify', start: s, end: e, size: v?.length ?? 0 })
  return v
}

const clone = globalThis.structuredClone
globalThis.structuredClone = function probedClone(value, ...rest) {
  const s = now()
  const v = clone.call(this, value, ...rest)
  const e = now()
  if (e - s >= 1) ev.json.push({ op: 'clone', start: s, end: e, size: 0 })
  return v
}

process.on('exit', () => {
  ev.exitAt = now()
  if (out) writeFileSync(out, stringify(ev))
})
