/**
 * Harness of `bench/log-viewer.mjs`: the real PasarGuard logs tab (LogsTab → useLogSession →
 * LogViewer) against a fake core that emits `stream.batch` events the way the browser host
 * delivers them (a JSON text message per batch, parsed on arrival). `window.__logBench` runs one
 * scenario and reports what the page saw; the Node side adds CDP metrics.
 */
import { NConfigProvider, NGlobalStyle, darkTheme } from 'naive-ui'
import { createPinia } from 'pinia'
import { createApp, effectScope, h, nextTick, type App } from 'vue'
import { createApi, installApi } from '../src/api'
import type { LogStore } from '../src/components/logs/log-store'
import { setLogSessionKeepMs, useLogSession } from '../src/components/logs/use-log-session'
import { LogView } from '../src/components/logs/log-filter'
import { LOG_LEVELS } from '../src/components/logs/log-parse'
import { staticConnection } from '../src/host/connection'
import { createAppI18n } from '../src/locales'
import { createFakeClient } from '../src/testing/fake-client'
import LogsTab from '../src/views/kinds/pasarguard/LogsTab.vue'

export interface ScenarioOptions {
  /** Lines per second. */
  rate: number
  seconds: number
  batchMs?: number
  /** Buffer capacity (default: the viewer's 50,000). */
  capacity?: number
  /** Search typed into the viewer before the run. */
  search?: { text: string; regex?: boolean; mode?: 'filter' | 'highlight' }
  /** Scroll up this many px after `scrollAfterS` seconds, and watch the top line stay put. */
  scrollUpPx?: number
  scrollAfterS?: number
  /** Dark theme (for screenshots). */
  dark?: boolean
}

const client = createFakeClient()
client.handle('streams.watch', () => ({ ok: true }))
client.handle('streams.unwatch', () => ({ ok: true }))
installApi(createApi(staticConnection(client, 'socket')))
setLogSessionKeepMs(0)
const i18n = createAppI18n('en-US')

const HOSTS = ['www.google.com', 'api.telegram.org', 'cdn.jsdelivr.net', 'github.com', 'x.com']
const EMAILS = ['1.alice', '2.bob', '3.carol', '4.dave', '5.erin', '6.frank']
const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length] as T
const pad2 = (n: number) => String(n).padStart(2, '0')

/** A realistic Xray line; every line ends with ` #<index>` so the page can check it arrived. */
function line(i: number, now: Date): string {
  const ts =
    `${now.getFullYear()}/${pad2(now.getMonth() + 1)}/${pad2(now.getDate())} ` +
    `${pad2(now.getHours())}:${pad2(now.getMinutes())}:${pad2(now.getSeconds())}.` +
    String(now.getMilliseconds() * 1000 + (i % 1000)).padStart(6, '0')
  const r = (i * 2654435761) % 100
  const id = 1_000_000_000 + ((i * 7919) % 999_999_999)
  if (r < 70) {
    return `${ts} from 203.0.113.${i % 250}:${10_000 + (i % 50_000)} accepted tcp:${pick(HOSTS, i)}:443 [VLESS TCP REALITY >> DIRECT] email: ${pick(EMAILS, i)} #${i}`
  }
  if (r < 90) {
    return `${ts} [Info] [${id}] app/dispatcher: taking detour [DIRECT] for [tcp:${pick(HOSTS, i)}:443] #${i}`
  }
  if (r < 95) {
    return `${ts} [Debug] [${id}] transport/internet/tcp: dialing TCP to tcp:${pick(HOSTS, i)}:443 #${i}`
  }
  if (r < 98) {
    return `${ts} [Warning] [${id}] app/proxyman/inbound: connection ends > proxy/vless/inbound: connection ends > io: read/write on closed pipe #${i}`
  }
  return `${ts} [Error] [${id}] proxy/freedom: failed to open connection to tcp:${pick(HOSTS, i)}:443 > dial tcp: i/o timeout #${i}`
}

const raf = () => new Promise<number>((r) => requestAnimationFrame(r))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return 0
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] as number
}

let app: App | null = null
let store: LogStore | null = null
let stopScope: (() => void) | null = null
let runNo = 0
let serverId = ''
let opts: ScenarioOptions = { rate: 0, seconds: 0 }

const scroller = () => document.querySelector<HTMLElement>('[data-testid="log-list"]')!
function visibleRows(): HTMLElement[] {
  const el = scroller()
  const box = el.getBoundingClientRect()
  return [...el.querySelectorAll<HTMLElement>('.nd-log-row')].filter((r) => {
    if (r.hidden) return false
    const b = r.getBoundingClientRect()
    return b.bottom > box.top + 1 && b.top < box.bottom - 1
  })
}
const seqOf = (r: HTMLElement | undefined) => (r ? Number(r.dataset.seq) : -1)

function setInput(el: HTMLInputElement, value: string) {
  el.value = value
  el.dispatchEvent(new Event('input', { bubbles: true }))
}

/** Mounts a fresh tab for a fresh (fake) node. */
async function setup(o: ScenarioOptions): Promise<void> {
  teardown()
  opts = o
  runNo++
  serverId = `bench-${runNo}`
  const root = document.getElementById('app')!
  app = createApp({
    render: () =>
      h(NConfigProvider, { theme: o.dark ? darkTheme : null }, () => [
        h(NGlobalStyle),
        h('div', { style: 'height: 860px; padding: 8px; box-sizing: border-box' }, [
          h(LogsTab, { serverId, style: 'height: 100%' }),
        ]),
      ]),
  })
  app.use(createPinia()).use(i18n).mount(root)
  // The same session the tab uses (one per node in the page).
  const scope = effectScope(true)
  store = scope.run(() => useLogSession(serverId).store.value)!
  stopScope = () => scope.stop()
  if (o.capacity) store.resize(o.capacity)
  client.emit('stream.batch', {
    serverId,
    stream: 'logs',
    frames: [],
    dropped: 0,
    state: { status: 'live', error: null, nextRetryAt: null, since: Date.now() },
  })
  await nextTick()
  if (o.search) {
    if (o.search.regex) document.querySelector<HTMLElement>('[data-testid="log-regex"]')!.click()
    if (o.search.mode === 'highlight') {
      document.querySelectorAll<HTMLInputElement>('[data-testid="log-mode"] input')[1]!.click()
    }
    setInput(document.querySelector('[data-testid="log-search"] input')!, o.search.text)
    await sleep(300)
  }
  for (let i = 0; i < 5; i++) await raf()
}

function teardown(): void {
  app?.unmount()
  app = null
  stopScope?.()
  stopScope = null
  store = null
}

/** Runs the stream for `seconds` and measures. */
async function run() {
  const o = opts
  const s = store!
  const batchMs = o.batchMs ?? 100
  const total = Math.round(o.rate * o.seconds)
  let sent = 0
  let sourceMs = 0
  let receiveMs = 0
  let batches = 0
  let maxBatch = 0

  const deltas: number[] = []
  /** Deltas after the first second (JIT, first layout and ICU warm-up excluded). */
  const steady: number[] = []
  const longTasks: { start: number; duration: number }[] = []
  const t0ref = { t: performance.now() }
  const po =
    typeof PerformanceObserver !== 'undefined' &&
    PerformanceObserver.supportedEntryTypes?.includes('longtask')
      ? new PerformanceObserver((list) => {
          for (const e of list.getEntries())
            longTasks.push({ start: e.startTime - t0ref.t, duration: e.duration })
        })
      : null
  po?.observe({ type: 'longtask', buffered: false })

  let recording = true
  let last = await raf()
  const t0 = performance.now()
  t0ref.t = t0
  void (async () => {
    while (recording) {
      const now = await raf()
      deltas.push(now - last)
      if (now - t0 > 1000) steady.push(now - last)
      last = now
    }
  })()

  // Scrolled-up scenario: where the top line is, over time.
  const anchor: { t: number; topSeq: number; firstSeq: number; jump: string | null }[] = []
  let anchorSeq = -1

  await new Promise<void>((done) => {
    const tick = () => {
      const elapsed = performance.now() - t0
      const due = Math.min(total, Math.floor((o.rate * elapsed) / 1000))
      if (due > sent) {
        const a = performance.now()
        const now = new Date()
        const frames: string[] = new Array(due - sent)
        for (let k = 0; k < frames.length; k++) frames[k] = line(sent + k, now)
        // The browser host sends each batch as one JSON text message.
        const message = JSON.stringify({
          serverId,
          stream: 'logs',
          frames,
          dropped: 0,
        })
        const b = performance.now()
        client.emit('stream.batch', JSON.parse(message))
        const c = performance.now()
        sourceMs += b - a
        receiveMs += c - b
        batches++
        maxBatch = Math.max(maxBatch, frames.length)
        sent = due
      }
      if (o.scrollUpPx && anchorSeq < 0 && elapsed >= (o.scrollAfterS ?? 2) * 1000) {
        const el = scroller()
        el.dispatchEvent(new WheelEvent('wheel', { deltaY: -o.scrollUpPx, bubbles: true }))
        el.scrollTop = Math.max(0, el.scrollTop - o.scrollUpPx)
        requestAnimationFrame(() => {
          anchorSeq = seqOf(visibleRows()[0])
        })
      }
      if (anchorSeq >= 0) {
        anchor.push({
          t: Math.round(elapsed),
          topSeq: seqOf(visibleRows()[0]),
          firstSeq: s.buffer.firstSeq,
          jump: document.querySelector('[data-testid="log-jump"]')?.textContent?.trim() ?? null,
        })
      }
      if (sent >= total) return done()
      setTimeout(tick, batchMs)
    }
    setTimeout(tick, batchMs)
  })
  const wall = performance.now() - t0
  // Let the last batch render.
  await sleep(300)
  await raf()
  await raf()
  recording = false
  po?.disconnect()

  // What arrived, what is held, whether it is intact and whether the newest row is on screen.
  const b = s.buffer
  let corrupt = 0
  for (let seq = b.firstSeq; seq < b.endSeq; seq++) {
    if (!b.text(seq).endsWith(` #${seq}`)) corrupt++
  }
  const rows = visibleRows()
  const newestRendered = Math.max(-1, ...rows.map(seqOf))
  let expectedNewest = b.endSeq - 1
  if (o.search && (o.search.mode ?? 'filter') === 'filter') {
    const re = new RegExp(
      o.search.regex ? o.search.text : o.search.text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'),
      'i',
    )
    expectedNewest = -1
    for (let seq = b.endSeq - 1; seq >= b.firstSeq; seq--) {
      if (re.test(b.text(seq))) {
        expectedNewest = seq
        break
      }
    }
  }
  const following = scroller().dataset.following === 'true'
  const frameBudget = 1000 / 60
  return {
    rate: o.rate,
    seconds: o.seconds,
    wallMs: wall,
    sent,
    received: s.received,
    lost: sent - s.received,
    droppedUpstream: s.droppedUpstream,
    discarded: s.discarded,
    buffered: b.size,
    capacity: b.capacity,
    corrupt,
    following,
    newestRendered,
    expectedNewest,
    domRows: scroller().querySelectorAll('.nd-log-row').length,
    visibleRows: rows.length,
    batches,
    maxBatch,
    sourceMs,
    receiveMs,
    frames: {
      count: deltas.length,
      p50: pct(deltas, 0.5),
      p95: pct(deltas, 0.95),
      p99: pct(deltas, 0.99),
      max: deltas.length ? Math.max(...deltas) : 0,
      over1_5: deltas.filter((d) => d > frameBudget * 1.5).length,
    },
    steadyFrames: {
      count: steady.length,
      p50: pct(steady, 0.5),
      p95: pct(steady, 0.95),
      p99: pct(steady, 0.99),
      max: steady.length ? Math.max(...steady) : 0,
      over1_5: steady.filter((d) => d > frameBudget * 1.5).length,
    },
    longTasks: {
      count: longTasks.length,
      totalMs: longTasks.reduce((a, t) => a + t.duration, 0),
      maxMs: longTasks.length ? Math.max(...longTasks.map((t) => t.duration)) : 0,
      list: longTasks.slice(0, 20).map((t) => [Math.round(t.start), Math.round(t.duration)]),
    },
    anchor: o.scrollUpPx ? summarizeAnchor(anchor, anchorSeq, maxBatch) : null,
    heapUsed: (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory
      ?.usedJSHeapSize,
  }
}

/** Did the top line stay the same line until it was evicted, then stay at the oldest line? */
function summarizeAnchor(
  samples: { t: number; topSeq: number; firstSeq: number; jump: string | null }[],
  anchorSeq: number,
  maxBatch: number,
) {
  let held = 0
  let moved = 0
  let atOldest = 0
  for (const x of samples) {
    if (x.topSeq === anchorSeq) held++
    // Evicted: the top is the oldest line of the last frame (firstSeq is sampled a batch later).
    else if (
      anchorSeq < x.firstSeq &&
      x.topSeq >= x.firstSeq - maxBatch - 64 &&
      x.topSeq <= x.firstSeq + 64
    )
      atOldest++
    else moved++
  }
  return {
    anchorSeq,
    samples: samples.length,
    held,
    atOldestAfterEviction: atOldest,
    moved,
    lastJumpLabel: samples[samples.length - 1]?.jump ?? null,
  }
}

/** Time of a full re-scan of the current buffer under a few filters (ms, best of 5). */
function rescan() {
  const b = store!.buffer
  const specs = {
    plain: { levels: LOG_LEVELS, text: 'telegram', regex: false, mode: 'filter' as const },
    regex: { levels: LOG_LEVELS, text: 'email: [24]\\.', regex: true, mode: 'filter' as const },
    levels: {
      levels: ['warning', 'error'] as const,
      text: '',
      regex: false,
      mode: 'filter' as const,
    },
  }
  const out: Record<string, { ms: number; lines: number; matches: number }> = {}
  for (const [name, spec] of Object.entries(specs)) {
    let best = Infinity
    let matches = 0
    for (let i = 0; i < 5; i++) {
      const v = new LogView(b)
      const t = performance.now()
      v.setFilter({ ...spec, levels: [...spec.levels] })
      best = Math.min(best, performance.now() - t)
      matches = v.matchCount
    }
    out[name] = { ms: best, lines: b.size, matches }
  }
  return out
}

declare global {
  interface Window {
    __logBench: {
      setup: typeof setup
      run: typeof run
      rescan: typeof rescan
      teardown: typeof teardown
    }
  }
}
window.__logBench = { setup, run, rescan, teardown }
