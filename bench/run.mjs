// NodeDeck benchmark suite (`npm run bench`). Runs against the BUILT app (run `bash setup.sh`
// first). Prints a table with each figure next to its target and writes bench-results.json.
// First figure (issue 3): B5, browser host cold start to first paint of the fleet view.
// Issue 6: M1 (Mu API panel at 20,000 users), BR1/BR2 (bridge ticks, 1,000 / 10,000 users, result
// checked byte for byte), W1 (WireGuard monitor poll, 1,000 users); CLI runs are timed inside by
// bench/probe.mjs. Every figure of these comes with its spread: `p50 ms [min–max]`.
import { spawn, spawnSync, execFileSync } from 'node:child_process'
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium } from 'playwright-core'
import { pageSocket, stopChild as stop } from './support.mjs'
import { formatLogViewerTable, runLogViewerBench } from './log-viewer.mjs'

const ROOT = resolve(import.meta.dirname, '..')
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
/** `BENCH_ONLY=P,L` runs only the sections whose ids start with those letters (all by default). */
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean)
const want = (id) => ONLY.length === 0 || ONLY.some((p) => id.startsWith(p))
/** Issue 7's benchmark modules and the result ids each produces (`run(ctx)` → rows). */
const EXTERNAL = [
  ['fleet-scale.mjs', ['B1', 'B2', 'B3', 'B4', 'B10']],
  ['fleet-view.mjs', ['B6']],
  ['history.mjs', ['B7', 'B9']],
  ['log-ingest.mjs', ['B8']],
]

function startCli(args, env) {
  const t0 = performance.now()
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'nodedeck.cjs'), ...args, '--json'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((ok, ko) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const line = out.split('\n').find((l) => l.includes('openUrl'))
      if (line) ok({ child, t0, listening: performance.now(), ...JSON.parse(line) })
    })
    child.once('exit', (c) => ko(new Error(`exited ${c}: ${out}`)))
  })
}

/** Starts `nodedeck <args> --json` and waits for its JSON line containing `key`. */
function startJson(args, key, env = {}) {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'nodedeck.cjs'), ...args, '--json'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((ok, ko) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const line = out.split('\n').find((l) => l.includes(`"${key}"`))
      if (line) ok({ child, ...JSON.parse(line) })
    })
    child.once('exit', (c) => ko(new Error(`${args[0]} exited ${c}: ${out}`)))
  })
}

const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]

/**
 * HY2 SCALE at size: a node with 1,000 users and 500 live sessions (emulator in its own process).
 * Time from clicking the node in the sidebar to its overview, its users table and its sessions
 * table showing rows; then the frame times while the users table scrolls.
 */
async function hy2scaleAtSize(browser) {
  const emu = await startJson(
    ['emulate', 'hy2scale', '--users', '1000', '--sessions', '500', '--secret', 'bench-pw'],
    'url',
  )
  const dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-bench-'))
  const add = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin', 'nodedeck.cjs'),
      '--data-dir',
      dataDir,
      'servers',
      'add',
      '--kind',
      'hy2scale',
      '--name',
      'big',
      '--url',
      emu.url,
      '--secret-env',
      'BENCH_PW',
      '--json',
    ],
    { env: { ...process.env, BENCH_PW: 'bench-pw' }, encoding: 'utf8' },
  )
  if (add.status !== 0) throw new Error(`servers add failed (keychain?): ${add.stderr}`)
  const serverId = JSON.parse(add.stdout).id
  const overview = []
  const users = []
  const sessions = []
  let frames = []
  try {
    for (let i = 0; i < RUNS; i++) {
      const app = await startCli(['serve'], { NODEDECK_DATA_DIR: dataDir })
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
      await page.goto(app.openUrl)
      await page.getByTestId('sidebar-server-big').waitFor()
      let t = performance.now()
      await page.getByTestId('sidebar-server-big').click()
      await page.getByTestId('hy2-node-info').waitFor()
      overview.push(performance.now() - t)
      t = performance.now()
      await page.getByTestId('hy2-tab-users').click()
      await page.locator('[data-testid=hy2-users-table] tbody tr[data-account]').first().waitFor()
      users.push(performance.now() - t)
      if (i === 0) frames = await scrollFrames(page, '[data-testid=hy2-users-table]')
      t = performance.now()
      await page.getByTestId('hy2-tab-sessions').click()
      await page
        .locator('[data-testid=hy2-sessions-table] tbody tr[data-session]')
        .first()
        .waitFor()
      sessions.push(performance.now() - t)
      await page.close()
      await stop(app.child)
    }
  } finally {
    await stop(emu.child)
    rmSync(dataDir, { recursive: true, force: true })
    void serverId
  }
  return { overview, users, sessions, frames }
}

/** Scrolls the table's scroll container by 60 px per frame for 150 frames; frame deltas in ms. */
async function scrollFrames(page, tableSelector) {
  return page.evaluate(`(async () => {
    const table = document.querySelector(${JSON.stringify(tableSelector)})
    const boxes = [...table.querySelectorAll('*')].filter((e) => e.scrollHeight > e.clientHeight + 50 &&
      ['auto', 'scroll'].includes(getComputedStyle(e).overflowY))
    const box = boxes[0] || document.scrollingElement
    const deltas = []
    let last = performance.now()
    for (let i = 0; i < 150; i++) {
      box.scrollTop += 60
      await new Promise((r) => requestAnimationFrame(r))
      const now = performance.now()
      deltas.push(now - last)
      last = now
    }
    return deltas
  })()`)
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

const digits = (text) => Number(String(text).replace(/[^0-9]/g, '') || 'NaN')

/**
 * PasarGuard live log end to end: an emulated node (own process, gRPC, pinned certificate)
 * writing `rate` lines/s → the core's one upstream reader → the browser host's WebSocket → the
 * log viewer in Chromium. Lines the viewer received per second over `seconds`, what was dropped
 * on the way, and the CPU the NodeDeck process used for it.
 */
async function pasarguardLogs(browser, rate, seconds = 10) {
  const apiKey = '5b0f7c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b'
  const emu = await startJson(
    ['emulate', 'pasarguard', '--users', '20', '--log-rate', String(rate), '--secret', apiKey],
    'url',
  )
  const dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-bench-'))
  const add = spawnSync(
    process.execPath,
    [
      join(ROOT, 'bin', 'nodedeck.cjs'),
      '--data-dir',
      dataDir,
      'servers',
      'add',
      '--kind',
      'pasarguard',
      '--grpc',
      '--name',
      'pg',
      '--url',
      emu.url,
      '--fingerprint',
      emu.fingerprintSha256,
      '--secret-env',
      'BENCH_KEY',
      '--json',
    ],
    { env: { ...process.env, BENCH_KEY: apiKey }, encoding: 'utf8' },
  )
  if (add.status !== 0) throw new Error(`servers add failed (keychain?): ${add.stderr}`)
  const app = await startCli(['serve'], { NODEDECK_DATA_DIR: dataDir })
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  try {
    await page.goto(app.openUrl)
    await page.getByTestId('sidebar-server-pg').click()
    await page.getByTestId('pg-tab-logs').click()
    await page.getByTestId('log-count').waitFor()
    const read = async () => {
      const count = digits(await page.getByTestId('log-count').innerText())
      const discarded = digits(await page.getByTestId('log-discarded').innerText())
      const dropped = digits(await page.getByTestId('log-dropped').innerText())
      return { received: count + discarded, dropped, at: performance.now() }
    }
    // Let the stream settle (first lines, the replayed tail), then measure.
    await page.waitForTimeout(2000)
    const a = await read()
    const cpuA = cpuSeconds(app.child.pid)
    await page.waitForTimeout(seconds * 1000)
    const b = await read()
    const cpuB = cpuSeconds(app.child.pid)
    const secs = (b.at - a.at) / 1000
    return {
      rate,
      linesPerSec: (b.received - a.received) / secs,
      dropped: b.dropped - a.dropped,
      coreCpuPct: ((cpuB - cpuA) / secs) * 100,
      seconds: secs,
    }
  } finally {
    await page.close()
    await stop(app.child)
    await stop(emu.child)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** A data dir holding `n` servers (on a loopback port where nothing listens: no network). */
function seededDataDir(n) {
  const dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-bench-'))
  const servers = Array.from({ length: n }, (_, i) => ({
    id: `bench-${i}`,
    kind: 'hysteria2',
    name: `bench-${String(i).padStart(3, '0')}`,
    url: 'http://127.0.0.1:9',
    group: `group-${i % 5}`,
    tags: [],
    pollIntervalSec: 10,
    tls: {},
    options: {},
    createdAt: Date.now(),
  }))
  const config = { version: 1, servers, settings: { locale: 'en-US', theme: 'light' } }
  writeFileSync(join(dataDir, 'config.json'), JSON.stringify(config))
  return dataDir
}

/**
 * Stamps, in the page, the first frame that shows the fleet view with servers: the animation
 * frame after `[data-testid=fleet-table]` first holds a server's name (`names`, a regex source).
 * An empty table (the list not loaded yet) does not count, and neither does the round trip of
 * asking Playwright: the stamp is taken in the page, on the page's clock. For the split, it also
 * notes (only observing) when the page's WebSocket to the core opened and got its first message.
 */
const FLEET_PAINT_PROBE = `(() => {
  const WS = window.WebSocket
  window.WebSocket = class extends WS {
    constructor(...args) {
      super(...args)
      this.addEventListener('open', () => (window.__wsOpen ??= performance.now()))
      this.addEventListener('message', () => (window.__wsFirstMessage ??= performance.now()))
    }
  }
  const names = new RegExp(NAMES)
  const mo = new MutationObserver(() => {
    const t = document.querySelector('[data-testid=fleet-table]')
    if (!t || !names.test(t.textContent || '')) return
    mo.disconnect()
    const inDom = performance.now()
    requestAnimationFrame(() => {
      window.__fleetPaint = { inDom, frame: performance.now(), origin: performance.timeOrigin }
    })
  })
  mo.observe(document, { subtree: true, childList: true, characterData: true })
})()`

/**
 * Cold start: spawn `nodedeck <args>` → the page opened at its `openUrl` paints the fleet view
 * with servers (FLEET_PAINT_PROBE), in a fresh browser context (no cached page). Also: when the
 * address was printed, when the page began to load, when the rows were in the DOM (ms after
 * spawn).
 */
async function coldStart(browser, label, args, servers, names) {
  const samples = []
  const listen = []
  const split = []
  for (let i = 0; i < RUNS; i++) {
    const dataDir = seededDataDir(servers)
    const page = await browser.newPage()
    await page.addInitScript(FLEET_PAINT_PROBE.replace('NAMES', JSON.stringify(names)))
    const app = await startCli(args, { NODEDECK_DATA_DIR: dataDir })
    const t0 = performance.timeOrigin + app.t0
    try {
      await page.goto(app.openUrl)
      await page.waitForFunction(() => globalThis.__fleetPaint !== undefined, null, {
        timeout: 30000,
      })
      const p = await page.evaluate(() => ({
        ...globalThis.__fleetPaint,
        nav: performance.getEntriesByType('navigation')[0].startTime,
        scripts: Math.max(
          ...performance
            .getEntriesByType('resource')
            .filter((e) => e.initiatorType === 'script' || e.name.endsWith('.js'))
            .map((e) => e.responseEnd),
        ),
        preview:
          performance.getEntriesByType('resource').find((e) => e.name.includes('servers-preview'))
            ?.responseEnd ?? null,
      }))
      // The core's first answer may come after the first frame (the page draws the preview
      // first): waited for here, after the measured interval, so the split can say when.
      const live = await page
        .waitForFunction(() => globalThis.__wsFirstMessage, null, { timeout: 30000 })
        .then(() => page.evaluate(() => [globalThis.__wsOpen, globalThis.__wsFirstMessage]))
        .catch(() => [null, null])
      const at = (t) => (t === null || t === undefined ? null : Math.round(p.origin + t - t0))
      samples.push(p.origin + p.frame - t0)
      listen.push(app.listening - app.t0)
      split.push({
        listening: Math.round(app.listening - app.t0),
        pageStart: at(p.nav),
        scriptsLoaded: at(p.scripts),
        previewLoaded: at(p.preview),
        rowsInDom: at(p.inDom),
        painted: at(p.frame),
        coreConnected: at(live[0]),
        coreFirstMessage: at(live[1]),
      })
    } finally {
      await page.close()
      await stop(app.child)
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  return {
    label,
    p50: p50(samples),
    samples,
    min: Math.min(...samples),
    max: Math.max(...samples),
    listenP50: p50(listen),
    split,
  }
}

// ---- Issue 6: Mu API v2 panel, traffic bridge, WireGuard monitor ------------------------------

const BIN = join(ROOT, 'bin', 'nodedeck.cjs')
const PROBE = pathToFileURL(join(ROOT, 'bench', 'probe.mjs')).href
/** Epoch ms with sub-ms precision: the clock bench/probe.mjs stamps its events with. */
const epochNow = () => performance.timeOrigin + performance.now()
const sum = (xs) => xs.reduce((a, b) => a + b, 0)
const kb = (bytes) => `${(bytes / 1024).toFixed(0)} KB`
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

/** Median and range of samples: the machine is shared, so every figure goes with its spread. */
function spread(xs) {
  if (xs.length === 0) throw new Error('no samples')
  return { n: xs.length, p50: p50(xs), min: Math.min(...xs), max: Math.max(...xs) }
}
/** `p50 ms [min–max]`. */
function showMs(xs, digits = 0) {
  const s = spread(xs)
  return `${s.p50.toFixed(digits)} ms [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`
}

/** `nodedeck servers add` into `dataDir`; the secret (if any) through the environment. */
function addServer(dataDir, kind, name, url, secret) {
  const add = spawnSync(
    process.execPath,
    [
      BIN,
      '--data-dir',
      dataDir,
      'servers',
      'add',
      '--kind',
      kind,
      '--name',
      name,
      '--url',
      url,
      ...(secret === undefined ? [] : ['--secret-env', 'BENCH_SECRET']),
      '--json',
    ],
    { env: { ...process.env, BENCH_SECRET: secret ?? '' }, encoding: 'utf8' },
  )
  if (add.status !== 0) throw new Error(`servers add ${name} failed (keychain?): ${add.stderr}`)
  return JSON.parse(add.stdout).id
}

let probeSeq = 0
/**
 * Runs `nodedeck <args> --json` to its end with bench/probe.mjs loaded: exit code, output, when
 * it was spawned and when it exited (epoch ms), and what the probe recorded inside it.
 */
function runProbed(dataDir, args) {
  const probeOut = `${dataDir}.probe${++probeSeq}.json`
  const spawnAt = epochNow()
  const child = spawn(
    process.execPath,
    ['--import', PROBE, BIN, '--data-dir', dataDir, ...args, '--json'],
    {
      cwd: ROOT,
      env: { ...process.env, BENCH_PROBE_OUT: probeOut },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  let exitAt = 0
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  child.once('exit', () => (exitAt = epochNow()))
  return new Promise((ok, ko) => {
    child.once('error', ko)
    child.once('close', (code) => {
      let probe = null
      try {
        probe = JSON.parse(readFileSync(probeOut, 'utf8'))
      } catch {
        // no probe output: the process died before its exit handler
      }
      rmSync(probeOut, { force: true })
      ok({ code, stdout, stderr, spawnAt, exitAt, probe })
    })
  })
}

/**
 * Polls of a server in a warm core (a running `nodedeck serve`, which also polls on its own): each
 * `servers.refresh` runs a poll now (or joins the one in flight) and `servers.list` gives the
 * latency the core measured for it. One warm-up poll first; polls are told apart by lastCheckAt.
 */
async function warmPolls(rpc, serverId, count) {
  const seen = new Map()
  await rpc.call('servers.refresh', { id: serverId })
  const first = (await rpc.call('servers.list', undefined)).data.find((s) => s.id === serverId)
  const skip = first.status.lastCheckAt
  while (seen.size < count) {
    await rpc.call('servers.refresh', { id: serverId })
    const s = (await rpc.call('servers.list', undefined)).data.find((x) => x.id === serverId)
    if (!['online', 'degraded'].includes(s.status.state) || s.status.latencyMs === null) {
      throw new Error(`poll of ${s.name} failed: ${s.status.state} ${s.status.error?.message}`)
    }
    if (s.status.lastCheckAt !== skip) seen.set(s.status.lastCheckAt, s.status.latencyMs)
  }
  return [...seen.values()]
}

/** Cold polls: `nodedeck status` (a new process: one poll of every server) with the probe. */
async function coldPolls(dataDir, name, count) {
  const out = []
  for (let i = 0; i < count; i++) {
    const r = await runProbed(dataDir, ['status'])
    if (r.code !== 0 || !r.probe) throw new Error(`status failed (${r.code}): ${r.stderr}`)
    const row = JSON.parse(r.stdout).find((s) => s.name === name)
    if (!row || row.latencyMs === null || !['online', 'degraded'].includes(row.state)) {
      throw new Error(`poll of ${name} failed: ${row?.state} ${row?.error}`)
    }
    out.push({ latencyMs: row.latencyMs, wall: r.exitAt - r.spawnAt, probe: r.probe })
  }
  return out
}

/**
 * In-page timing of one interaction, from the event's timestamp to the first frame painted after
 * it (a requestAnimationFrame, then a task: the frame is out): `key` from keydown (armed on
 * `input`), `click` from the click, `busy` from the click until the button `busy` has shown and
 * then dropped its loading state (the read it started is in the table), `appear` from the click
 * until an element matching `busy` is in the page. Also returns the text of `shown` at that
 * moment, so the caller can check that what was timed is the finished result, and when the last
 * big WebSocket message (WS_TAP) reached the page, counted from the same start.
 */
const ARM_INTERACTION = `window.__benchArm = (kind, busy, shown) => {
  window.__benchResult = new Promise((resolve) => {
    let t0 = 0
    const painted = () =>
      requestAnimationFrame(() =>
        setTimeout(() => {
          const ms = performance.now() - t0
          const big = window.__benchFrame && window.__benchFrame.at > t0 ? window.__benchFrame : null
          const sent = window.__benchSent > t0 ? window.__benchSent : null
          resolve({
            ms,
            shown: document.querySelector(shown)?.textContent.trim() ?? null,
            frameMs: big ? big.at - t0 : null,
            sentMs: sent === null ? null : sent - t0,
          })
        }, 0),
      )
    const once = { capture: true, once: true }
    if (kind === 'key') {
      document.addEventListener('keydown', (e) => { t0 = e.timeStamp }, once)
      document.addEventListener('input', painted, once)
    } else if (kind === 'click') {
      document.addEventListener('click', (e) => { t0 = e.timeStamp; painted() }, once)
    } else if (kind === 'appear') {
      const obs = new MutationObserver(() => {
        if (document.querySelector(busy)) { obs.disconnect(); painted() }
      })
      obs.observe(document.body, { childList: true, subtree: true })
      document.addEventListener('click', (e) => { t0 = e.timeStamp }, once)
    } else {
      const el = document.querySelector(busy)
      let seen = false
      const obs = new MutationObserver(() => {
        if (el.classList.contains('n-button--loading')) seen = true
        else if (seen) { obs.disconnect(); painted() }
      })
      obs.observe(el, { attributes: true, attributeFilter: ['class'] })
      document.addEventListener('click', (e) => { t0 = e.timeStamp }, once)
    }
  })
}`

/**
 * Notes when the page sends a `muapi.users` call and when a WebSocket message of over 1 MB reaches
 * it (before the app parses it).
 */
const WS_TAP = `(() => {
  const Native = window.WebSocket
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args)
      this.addEventListener('message', (e) => {
        if (typeof e.data === 'string' && e.data.length > 1000000) {
          window.__benchFrame = { at: performance.now(), chars: e.data.length }
        }
      })
    }
    send(data) {
      if (typeof data === 'string' && data.includes('"muapi.users"')) {
        window.__benchSent = performance.now()
      }
      return super.send(data)
    }
  }
})()`

async function timeInteraction(page, kind, action, { busy = null, shown = null } = {}) {
  await page.evaluate(
    `window.__benchArm(${JSON.stringify(kind)}, ${JSON.stringify(busy)}, ${JSON.stringify(shown)})`,
  )
  await action()
  return page.evaluate('window.__benchResult')
}

/**
 * M1: a Mu API v2 panel with 20,000 simulated users (emulator in its own process). The `/users`
 * body; the core's poll of it, cold (`nodedeck status`, with the probe's split) and warm (in a
 * running `serve`); `muapi.users` over the WebSocket (a fresh read, as the refresh button does);
 * then in Chromium: sidebar click → first rows painted, search keystrokes, the "over quota"
 * filter, the refresh button and scroll frames. Every filtered count is checked against the
 * panel's own rows.
 */
async function muPanelAtSize(browser, users = 20000) {
  const key = 'bench-mu-key-5d1f'
  const emu = await startJson(
    ['emulate', 'muapi', '--simulate', '--users', String(users), '--secret', key],
    'url',
  )
  const dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-bench-'))
  let app = null
  try {
    // The body the core reads each poll, and the panel's rows the counts are checked against.
    const t = performance.now()
    const res = await fetch(`${emu.url}/users`, { headers: { Token: key } })
    const body = Buffer.from(await res.arrayBuffer())
    const emulatorMs = performance.now() - t
    const rows = JSON.parse(body.toString('utf8')).data
    if (rows.length !== users) throw new Error(`M1: the panel has ${rows.length} users`)
    const level = (u) => {
      const used = Number(u.u) + Number(u.d)
      const quota = Number(u.transfer_enable)
      return !(quota > 0) ? 'none' : used >= quota ? 'over' : used / quota >= 0.8 ? 'near' : 'ok'
    }
    const expectOver = rows.filter((u) => level(u) === 'over').length
    const fragment = 'user1234'
    const matching = (q) =>
      rows.filter((u) => `${u.email ?? ''}\n${u.user_name ?? ''}`.toLowerCase().includes(q)).length
    const expectSearch = matching(fragment)
    const n = (x) => x.toLocaleString('en-US')
    const countText = (shown) => `${n(shown)} of ${n(users)} users`

    const serverId = addServer(dataDir, 'muapi', 'mu', emu.url, key)
    const cold = await coldPolls(dataDir, 'mu', RUNS)
    const coldSplit = cold.map(({ latencyMs, probe }) => {
      const q = probe.requests.find((r) => r.url.endsWith('/users'))
      const parse = probe.json.find((j) => j.op === 'parse' && j.size === q.bytes)
      return {
        latencyMs,
        server: q.headers - q.start,
        transfer: q.end - q.headers,
        parse: parse ? parse.end - parse.start : 0,
        rest: latencyMs - (q.end - q.start) - (parse ? parse.end - parse.start : 0),
        bytes: q.bytes,
      }
    })

    app = await startCli(['serve'], { NODEDECK_DATA_DIR: dataDir })
    const rpc = await pageSocket(app.openUrl)
    let warm
    const reads = []
    const cached = []
    try {
      warm = await warmPolls(rpc, serverId, RUNS)
      for (let i = 0; i < RUNS; i++) {
        const r = await rpc.call('muapi.users', { serverId })
        if (r.data.users.length !== users) throw new Error('M1: muapi.users is short')
        reads.push(r)
      }
      // What opening the tab asks for: a read up to a poll interval old (the last one above).
      for (let i = 0; i < RUNS; i++) {
        const asked = Date.now()
        const r = await rpc.call('muapi.users', { serverId, maxAgeMs: 600_000 })
        if (r.data.fetchedAt > asked) throw new Error('M1: muapi.users read the panel again')
        cached.push(r)
      }
    } finally {
      rpc.close()
    }

    const open = []
    const openSent = []
    const openFrame = []
    const keys = []
    const over = []
    const back = []
    const refresh = []
    const frameP50 = []
    const frameP95 = []
    for (let i = 0; i < RUNS; i++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
      try {
        await page.addInitScript(WS_TAP)
        await page.goto(app.openUrl)
        // The core's first poll is done: the tab takes its read (≤ one interval old).
        await page
          .locator(
            '[data-testid=sidebar-server-mu][data-state=online], [data-testid=sidebar-server-mu][data-state=degraded]',
          )
          .waitFor({ timeout: 30_000 })
        await page.evaluate(ARM_INTERACTION)
        const opened = await timeInteraction(
          page,
          'appear',
          () => page.getByTestId('sidebar-server-mu').click(),
          { busy: '[data-testid=mu-users] [data-user-id]' },
        )
        open.push(opened.ms)
        if (opened.frameMs === null || opened.sentMs === null) {
          throw new Error('M1: no muapi.users call / users message seen while opening')
        }
        openSent.push(opened.sentMs)
        openFrame.push(opened.frameMs)
        const count = () => page.getByTestId('mu-users-count').innerText()
        const expectCount = async (shown, what) => {
          const got = (await count()).trim()
          if (got !== countText(shown)) {
            throw new Error(`M1: ${what}: the table shows "${got}", the panel has ${shown}`)
          }
        }
        await expectCount(users, 'all users')
        /** Times one interaction and checks the count the table showed when it was timed. */
        const timed = async (kind, action, expected, what, busy = null) => {
          const r = await timeInteraction(page, kind, action, {
            busy,
            shown: '[data-testid=mu-users-count]',
          })
          if (r.shown !== countText(expected)) {
            throw new Error(`M1: ${what}: timed with "${r.shown}" shown, the panel has ${expected}`)
          }
          return r.ms
        }

        // Search: an email fragment typed key by key (each key filters all 20,000 users).
        const search = page.getByTestId('mu-users-search').locator('input').first()
        await search.click()
        for (let k = 1; k <= fragment.length; k++) {
          const q = fragment.slice(0, k)
          keys.push(
            await timed('key', () => page.keyboard.press(q.at(-1)), matching(q), `search "${q}"`),
          )
        }
        const shownUsers = await page
          .locator('[data-testid=mu-users] [data-user]')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-user')))
        if (shownUsers.length === 0 || !shownUsers.every((u) => u.includes(fragment))) {
          throw new Error(`M1: search rows do not match "${fragment}": ${shownUsers.join(', ')}`)
        }
        await search.fill('')
        await page.getByTestId('mu-users-count').getByText(countText(users)).waitFor()

        // The "over quota" filter, then back to every user.
        over.push(
          await timed(
            'click',
            () => page.getByTestId('mu-users-usage-over').click(),
            expectOver,
            'over quota',
          ),
        )
        const levels = await page
          .locator('[data-testid=mu-users] [data-quota-level]')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-quota-level')))
        if (levels.length === 0 || levels.some((l) => l !== 'over')) {
          throw new Error(`M1: "over quota" shows rows of levels ${[...new Set(levels)]}`)
        }
        back.push(
          await timed(
            'click',
            () => page.getByTestId('mu-users-usage-any').click(),
            users,
            'back to all users',
          ),
        )

        // Refresh: a fresh read of 20,000 users through the core, into the table.
        refresh.push(
          await timed(
            'busy',
            () => page.getByTestId('mu-users-refresh').click(),
            users,
            'refresh',
            '[data-testid=mu-users-refresh]',
          ),
        )

        const frames = await scrollFrames(page, '[data-testid=mu-users]')
        const maxId = await page
          .locator('[data-testid=mu-users] [data-user-id]')
          .evaluateAll((els) => Math.max(...els.map((e) => Number(e.getAttribute('data-user-id')))))
        if (!(maxId > 150)) throw new Error(`M1: the table did not scroll (last row ${maxId})`)
        frameP50.push(pct(frames, 0.5))
        frameP95.push(pct(frames, 0.95))
      } finally {
        await page.close()
      }
    }
    return {
      users,
      bodyBytes: body.length,
      emulatorMs,
      expectOver,
      expectSearch,
      fragment,
      cold: coldSplit,
      warm,
      reads: reads.map((r) => ({ ms: r.ms, bytes: r.bytes })),
      cached: cached.map((r) => r.ms),
      open,
      openSent,
      openFrame,
      keys,
      over,
      back,
      refresh,
      frameP50,
      frameP95,
    }
  } finally {
    if (app) await stop(app.child)
    await stop(emu.child)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** Loads emulators in this process (through vite's module runner: they are TypeScript). */
async function loadEmulators() {
  const { runnerImport } = await import('vite')
  const load = async (path) =>
    (await runnerImport(join(ROOT, path), { configFile: false, logLevel: 'warn', root: ROOT }))
      .module
  return {
    ...(await load('emulators/hysteria2/server.ts')),
    ...(await load('emulators/muapi/server.ts')),
  }
}

/** Where the time of one `bridge run --once` went, from the probe (ms; epoch stamps). */
function tickPhases(r, sourceOrigin) {
  const { requests, writes, syncs, json } = r.probe
  const src = requests.filter((q) => q.url.startsWith(sourceOrigin))
  const list = requests.find((q) => q.method === 'GET' && /\/nodes\/\d+\/users$/.test(q.url))
  const report = requests.find((q) => q.method === 'POST' && /\/nodes\/\d+\/traffic$/.test(q.url))
  const online = requests.find((q) => q.url.endsWith('/online_count'))
  if (src.length === 0 || !list || !report) {
    throw new Error(`bridge tick: unexpected requests ${requests.map((q) => q.url).join(', ')}`)
  }
  const a = Math.min(...src.map((q) => q.start))
  const last = online?.end ?? report.end
  /** Time of `xs` inside [from, to]. */
  const inside = (xs, from, to) =>
    sum(xs.filter((x) => x.start >= from && x.end <= to).map((x) => x.end - x.start))
  const journalFs = [...writes, ...syncs.filter((s) => /[\\/]bridges$/.test(s.path))]
  return {
    total: r.exitAt - r.spawnAt,
    startup: a - r.spawnAt,
    source: list.start - a,
    panel: list.end - list.start,
    panelServer: list.headers - list.start,
    journal: report.start - list.end,
    journalFs: inside(journalFs, list.end, report.start),
    journalJson: inside(
      json.filter((j) => j.op !== 'clone'),
      list.end,
      report.start,
    ),
    journalClone: inside(
      json.filter((j) => j.op === 'clone'),
      list.end,
      report.start,
    ),
    report: report.end - report.start,
    ackOnline: last - report.end,
    exit: r.exitAt - last,
    writes: writes.filter((w) => w.path.endsWith('.json')).length,
    fsAll: sum(journalFs.map((x) => x.end - x.start)),
    jsonAll: sum(json.filter((j) => j.op !== 'clone').map((x) => x.end - x.start)),
    cloneAll: sum(json.filter((j) => j.op === 'clone').map((x) => x.end - x.start)),
    clones: json.filter((j) => j.op === 'clone').length,
  }
}

/**
 * BR: `nodedeck bridge run --once` of a Hysteria 2 server with `users` users, all online, all
 * moving traffic, to a Mu API v2 panel with the same users (rule `email`): a first tick (the
 * bridge is created, everything since the source started is reported), then `ticks` ticks, each
 * after a new traffic step. Per tick: spawn → exit with the probe's split, the journal's size.
 * Afterwards the panel's counters must have grown by exactly what the source counted, per user.
 */
async function bridgeTicks(emus, users, ticks = RUNS) {
  const hy = await emus.startHysteria2Emulator({ secret: 'bench-hy2-secret' })
  const mu = await emus.startMuApiEmulator({ key: 'bench-mu-key-77', simulate: { users, seed: 6 } })
  const dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-bench-'))
  try {
    const panel0 = new Map(mu.control.users().map((u) => [u.email, { u: u.u, d: u.d }]))
    const emails = [...panel0.keys()]
    const index = new Map(emails.map((e, i) => [e, i]))
    const conns = emails.map((e) => hy.connect(e))
    const moved = emails.map(() => ({ tx: 0, rx: 0 }))
    /** Traffic step `k`: every user moves a different, deterministic amount. */
    const step = (k) =>
      conns.forEach((c, i) => {
        const tx = 1000 + ((i * 7919 + k * 104729) % 50_000)
        const rx = 20_000 + ((i * 6007 + k * 15_485_863) % 900_000)
        if (!hy.moveTraffic(c, tx, rx)) throw new Error('BR: the source refused traffic')
        moved[i].tx += tx
        moved[i].rx += rx
      })
    addServer(dataDir, 'hysteria2', 'src', hy.url, 'bench-hy2-secret')
    addServer(dataDir, 'muapi', 'panel', mu.apiUrl, 'bench-mu-key-77')
    const args = [
      'bridge',
      'run',
      '--from',
      'src',
      '--to',
      'panel',
      '--node-id',
      '1',
      '--rule',
      'email',
    ]
    const journalBytes = () => {
      const dir = join(dataDir, 'bridges')
      const files = readdirSync(dir).filter((f) => /^[^.].*\.json$/.test(f))
      if (files.length !== 1) throw new Error(`BR: journals ${files.join(', ')}`)
      return statSync(join(dir, files[0])).size
    }
    const samples = []
    let batch = 0
    for (let k = 0; k <= ticks; k++) {
      step(k)
      const r = await runProbed(dataDir, [...args, '--once'])
      const status = JSON.parse(r.stdout.trim().split('\n').at(-1) || 'null')
      if (r.code !== 0 || !r.probe || !status) {
        throw new Error(`BR: bridge run failed (${r.code}): ${r.stderr}${r.stdout}`)
      }
      const problems = [
        status.error && `error: ${status.error.message}`,
        status.lastReport?.batchId !== batch + 1 && `batch ${status.lastReport?.batchId}`,
        status.lastReport?.users !== users && `reported ${status.lastReport?.users} users`,
        status.pending.users !== 0 && `${status.pending.users} users pending`,
        status.unmatched.length !== 0 && `${status.unmatched.length} unmatched`,
        status.inflight !== null && 'a batch in flight',
      ].filter(Boolean)
      if (problems.length > 0) throw new Error(`BR: tick ${k}: ${problems.join('; ')}`)
      batch = status.lastReport.batchId
      samples.push({ ...tickPhases(r, hy.url), journalBytes: journalBytes(), acked: status.acked })
    }
    // The result: per user, the panel grew by exactly what the source counted (rate 1).
    const source = hy.traffic()
    const wrong = []
    for (const u of mu.control.users()) {
      const i = index.get(u.email)
      const s = source[u.email]
      const before = panel0.get(u.email)
      const got = { u: u.u - before.u, d: u.d - before.d }
      if (!s || s.tx !== moved[i].tx || s.rx !== moved[i].rx || got.u !== s.tx || got.d !== s.rx) {
        wrong.push({ user: u.email, moved: moved[i], source: s, panel: got })
      }
    }
    const acked = samples.at(-1).acked
    const total = { u: sum(moved.map((m) => m.tx)), d: sum(moved.map((m) => m.rx)) }
    if (wrong.length > 0 || acked.u !== total.u || acked.d !== total.d) {
      throw new Error(
        `BR: the panel's totals differ from the source's for ${wrong.length} of ${users} users ` +
          `(acked ${JSON.stringify(acked)}, moved ${JSON.stringify(total)}): ${JSON.stringify(wrong.slice(0, 3))}`,
      )
    }
    return { users, first: samples[0], ticks: samples.slice(1), verified: total }
  } finally {
    await hy.close()
    await mu.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/**
 * W1: a WireGuard monitor with 1,000 users, all online with traffic (emulator in its own process:
 * 253 users created through its API, the others auto-inserted peers). The core's poll reads the
 * management view 100 users a page, one request at a time: cold (`nodedeck status`, per page from
 * the probe) and warm (in a running `serve`).
 */
async function wgMonitorPoll(users = 1000) {
  const emu = await startJson(
    ['emulate', 'wgmon', '--users', String(users), '--sessions', String(users)],
    'url',
  )
  const dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-bench-'))
  let app = null
  try {
    const first = await fetch(`${emu.url}/api/users/management?page=1&per_page=100&status=all`)
    const total = (await first.json()).pagination?.total
    if (total !== users) throw new Error(`W1: the monitor has ${total} users`)
    const serverId = addServer(dataDir, 'wgmon', 'wg', emu.url)
    const cold = (await coldPolls(dataDir, 'wg', RUNS)).map(({ latencyMs, probe }) => {
      const pages = probe.requests.filter((q) => q.url.includes('/api/users/management'))
      return {
        latencyMs,
        pages: pages.length,
        pageMs: pages.map((q) => q.end - q.start),
        bytes: sum(pages.map((q) => q.bytes)),
      }
    })
    if (cold.some((c) => c.pages !== users / 100)) {
      throw new Error(`W1: a poll read ${cold.map((c) => c.pages)} pages`)
    }
    app = await startCli(['serve'], { NODEDECK_DATA_DIR: dataDir })
    const rpc = await pageSocket(app.openUrl)
    let warm
    try {
      warm = await warmPolls(rpc, serverId, RUNS)
    } finally {
      rpc.close()
    }
    return { users, cold, warm }
  } finally {
    if (app) await stop(app.child)
    await stop(emu.child)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** The split of bridge ticks as a table (p50 [min–max] per phase). */
function formatBridgeTable(rs) {
  const cols = [
    ['total', 'spawn → exit'],
    ['startup', 'startup (node, CLI, config, keychain, journal load) → first source request'],
    ['source', 'source read (/traffic + /online, parse) → panel request'],
    ['panel', 'panel list GET /nodes/1/users (answer + transfer)'],
    ['panelServer', '  of which the emulated panel building its answer'],
    ['journal', 'panel answer → report sent (parse, validate, map, 3 journal writes)'],
    ['journalFs', '  of which journal file writes (temp + fsync + rename + dir fsync)'],
    ['journalJson', '  of which JSON.parse / stringify ≥ 1 ms'],
    ['journalClone', '  of which structuredClone ≥ 1 ms (journal state copies)'],
    ['report', 'report POST /nodes/1/traffic'],
    ['ackOnline', 'journal ack + online count POST'],
    ['exit', 'exit'],
  ]
  const lines = [`bridge tick (${RUNS} ticks each; ms, p50 [min–max])`]
  for (const [k, label] of cols) {
    lines.push(
      `  ${label.padEnd(78)} ${rs.map((r) => `${r.users}: ${showMs(r.ticks.map((x) => x[k]))}`.padEnd(28)).join('  ')}`,
    )
  }
  for (const r of rs) {
    lines.push(
      `  ${r.users} users: first tick ${Math.round(r.first.total)} ms; journal ${kb(r.ticks.at(-1).journalBytes)}, ${r.ticks[0].writes} writes a tick; all journal fs ${showMs(r.ticks.map((x) => x.fsAll))}; all JSON ≥ 1 ms ${showMs(r.ticks.map((x) => x.jsonAll))}; structuredClone ≥ 1 ms ${showMs(r.ticks.map((x) => x.cloneAll))} (${r.ticks[0].clones} calls)`,
    )
  }
  return lines.join('\n')
}

const executablePath = execFileSync('sh', [
  '-c',
  'command -v chromium || command -v chromium-browser',
])
  .toString()
  .trim()
const browser = await chromium.launch({
  executablePath,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
})
const results = []
let bridgeEmulators = null
try {
  if (want('B5')) {
    const serve = await coldStart(browser, 'serve (50 servers)', ['serve'], 50, 'bench-\\d{3}')
    results.push({
      id: 'B5',
      figure: `browser host cold start: spawn → first frame of the fleet view showing servers, 50 servers (p50 of ${RUNS}) [${Math.round(serve.min)}–${Math.round(serve.max)}]; address printed after ${Math.round(serve.listenP50)} ms`,
      value: serve.p50,
      unit: 'ms',
      target: 1000,
      pass: serve.p50 <= 1000,
      detail: serve,
    })
    const demo = await coldStart(browser, 'demo fleet', ['demo'], 0, 'Tokyo-1|Seoul-WG')
    results.push({
      id: 'B5-demo',
      figure: `demo command cold start → first frame of the fleet view showing servers (p50 of ${RUNS}) [${Math.round(demo.min)}–${Math.round(demo.max)}]`,
      value: demo.p50,
      unit: 'ms',
      target: null,
      pass: true,
      detail: demo,
    })
  }
  if (want('H')) {
    const big = await hy2scaleAtSize(browser)
    results.push({
      id: 'H1',
      figure: `HY2 SCALE node tab (1,000 users, 500 sessions): click → overview (p50 of ${RUNS})`,
      value: p50(big.overview),
      unit: 'ms',
      target: null,
      pass: true,
      detail: big.overview,
    })
    results.push({
      id: 'H2',
      figure: `… users tab → first rows of 1,000 users (p50 of ${RUNS})`,
      value: p50(big.users),
      unit: 'ms',
      target: null,
      pass: true,
      detail: big.users,
    })
    results.push({
      id: 'H3',
      figure: `… sessions tab → first rows of 500 sessions (p50 of ${RUNS})`,
      value: p50(big.sessions),
      unit: 'ms',
      target: null,
      pass: true,
      detail: big.sessions,
    })
    results.push({
      id: 'H4',
      figure: 'users table scroll: frame time p95 (150 frames, 60 px/frame)',
      value: pct(big.frames, 0.95),
      unit: 'ms',
      target: 16.7,
      pass: pct(big.frames, 0.95) <= 16.7,
      detail: { max: Math.max(...big.frames), p50: pct(big.frames, 0.5) },
    })
  }
  for (const [id, rate] of [
    ['P1', 5000],
    ['P2', 20000],
  ].filter(([id]) => want(id))) {
    const r = await pasarguardLogs(browser, rate)
    results.push({
      id,
      figure: `PasarGuard live log at ${rate.toLocaleString('en')} lines/s, node → core → WebSocket → viewer in Chromium: lines/s received (dropped ${r.dropped}, NodeDeck CPU ${Math.round(r.coreCpuPct)} %)`,
      value: r.linesPerSec,
      unit: 'lines/s',
      target: rate === 5000 ? 5000 * 0.98 : null,
      atLeast: true,
      pass: rate === 5000 ? r.linesPerSec >= 5000 * 0.98 && r.dropped === 0 : true,
      detail: r,
    })
  }
  if (want('L')) {
    const viewer = await runLogViewerBench({ browser })
    process.stdout.write(formatLogViewerTable(viewer) + '\n')
    for (const r of viewer.results ?? []) results.push(r)
  }
  if (want('M1')) {
    const m = await muPanelAtSize(browser)
    const c = m.cold
    const users = m.users.toLocaleString('en')
    const lat = c.map((x) => x.latencyMs)
    const part = (k) => Math.round(p50(c.map((x) => x[k])))
    const row = (id, figure, xs, extra = {}) =>
      results.push({
        id,
        figure,
        value: p50(xs),
        unit: 'ms',
        target: null,
        pass: true,
        detail: { ...spread(xs), samples: xs, ...extra },
      })
    results.push({
      id: 'M1-body',
      figure: `Mu API panel, ${users} users: GET /users body (the emulator took ${Math.round(m.emulatorMs)} ms to answer it)`,
      value: m.bodyBytes / 1024,
      unit: 'KB',
      target: null,
      pass: true,
      detail: { bytes: m.bodyBytes },
    })
    row(
      'M1-poll',
      `… core poll, cold process (nodedeck status) ${showMs(lat)}: panel answer ${part('server')} + transfer ${part('transfer')} + JSON.parse ${part('parse')} + validation/mapping ${part('rest')} ms (p50s)`,
      lat,
      { split: c },
    )
    row('M1-warm', `… core poll in a running serve (servers.refresh) ${showMs(m.warm)}`, m.warm)
    row(
      'M1-read',
      `… muapi.users over the WebSocket, fresh read (refresh button's call) ${showMs(m.reads.map((r) => r.ms))}, answer frame ${mb(m.reads[0].bytes)}`,
      m.reads.map((r) => r.ms),
    )
    row(
      'M1-cached',
      `… muapi.users over the WebSocket, the core's last read (what opening the tab asks for) ${showMs(m.cached)}`,
      m.cached,
    )
    row(
      'M1-open',
      `… in Chromium: sidebar click → first rows painted (the poll's read) ${showMs(m.open)}; muapi.users sent after ${showMs(m.openSent)}, its ${mb(m.reads[0].bytes)} answer in the page after ${showMs(m.openFrame)}`,
      m.open,
      { sent: m.openSent, frame: m.openFrame },
    )
    // Keys 1-4 ("user") still match every user; the last one leaves `expectSearch` rows.
    const nth = (k) => m.keys.filter((_, i) => i % m.fragment.length === k)
    const allRows = [0, 1, 2, 3].flatMap(nth)
    row(
      'M1-key',
      `… search keystroke → filtered table painted ("${m.fragment}" typed, ${m.keys.length} keys) ${showMs(m.keys)}, p95 ${Math.round(pct(m.keys, 0.95))}; keys leaving all ${users} rows ${showMs(allRows)}, the last key (${m.expectSearch} rows) ${showMs(nth(m.fragment.length - 1))}`,
      m.keys,
    )
    row(
      'M1-over',
      `… "over quota" filter → ${m.expectOver.toLocaleString('en')} rows painted ${showMs(m.over)}; back to all ${showMs(m.back)}`,
      m.over,
      { back: m.back },
    )
    row(
      'M1-refresh',
      `… refresh button → fresh read of ${users} users in the table ${showMs(m.refresh)}`,
      m.refresh,
    )
    results.push({
      id: 'M1-scroll',
      figure: `… users table scroll: frame time p95 per run ${showMs(m.frameP95, 1)} (frame p50 ${showMs(m.frameP50, 1)}; 150 frames, 60 px/frame)`,
      value: p50(m.frameP95),
      unit: 'ms',
      target: 16.7,
      pass: p50(m.frameP95) <= 16.7,
      detail: { p95: m.frameP95, p50: m.frameP50 },
    })
  }
  const bridgeRuns = []
  for (const [id, users] of [
    ['BR1', 1000],
    ['BR2', 10000],
  ].filter(([id]) => want(id))) {
    bridgeEmulators ??= await loadEmulators()
    const r = await bridgeTicks(bridgeEmulators, users)
    bridgeRuns.push(r)
    const t = r.ticks
    const ph = (k) => Math.round(p50(t.map((x) => x[k])))
    results.push({
      id,
      figure: `bridge tick, Hysteria 2 → Mu panel, ${users.toLocaleString('en')} users (rule email): bridge run --once, spawn → exit ${showMs(t.map((x) => x.total))}; startup ${ph('startup')}, source ${ph('source')}, panel list ${ph('panel')}, parse+map+journal ${ph('journal')} (files ${ph('journalFs')}), report ${ph('report')}, ack+online ${ph('ackOnline')} ms; totals verified exact`,
      value: p50(t.map((x) => x.total)),
      unit: 'ms',
      target: null,
      pass: true,
      detail: r,
    })
    results.push({
      id: `${id}-journal`,
      figure: `… journal file after ${t.length + 1} ticks (${t[0].writes} atomic writes a tick)`,
      value: t.at(-1).journalBytes / 1024,
      unit: 'KB',
      target: null,
      pass: true,
      detail: { bytes: t.map((x) => x.journalBytes) },
    })
  }
  if (bridgeRuns.length > 0) process.stdout.write(formatBridgeTable(bridgeRuns) + '\n')
  if (want('W1')) {
    const w = await wgMonitorPoll()
    const lat = w.cold.map((c) => c.latencyMs)
    const pages = w.cold.flatMap((c) => c.pageMs)
    results.push({
      id: 'W1',
      figure: `WireGuard monitor, ${w.users.toLocaleString('en')} users: core poll, cold process (nodedeck status) ${showMs(lat)}: ${w.cold[0].pages} pages one after another, a page ${showMs(pages)} (${kb(w.cold[0].bytes)} in all)`,
      value: p50(lat),
      unit: 'ms',
      target: null,
      pass: true,
      detail: { ...spread(lat), cold: w.cold },
    })
    results.push({
      id: 'W1-warm',
      figure: `… core poll in a running serve (servers.refresh) ${showMs(w.warm)}`,
      value: p50(w.warm),
      unit: 'ms',
      target: null,
      pass: true,
      detail: { ...spread(w.warm), samples: w.warm },
    })
  }
  // Issue 7's sections live in their own modules: each exports `run(ctx)` → result rows.
  for (const [file, ids] of EXTERNAL) {
    if (!ids.some(want)) continue
    // A section that fails is a missed row naming the error; the other sections still run.
    try {
      const mod = await import(pathToFileURL(join(ROOT, 'bench', file)).href)
      const rowsOf = await mod.run({ ROOT, RUNS, browser, executablePath, want })
      for (const r of rowsOf) if (want(r.id)) results.push(r)
    } catch (err) {
      process.stderr.write(`bench/${file} failed: ${err?.stack ?? err}\n`)
      results.push({
        id: ids.filter(want).join('/'),
        figure: `bench/${file} failed: ${String(err?.message ?? err).split('\n')[0]}`,
        value: 'error',
        unit: '',
        target: null,
        pass: false,
        detail: { error: String(err?.stack ?? err) },
      })
    }
  }
} finally {
  await browser.close()
}

// The issue-7 table first (B1…B10 in order), then every other figure.
const bOrder = (id) => {
  const m = /^B(\d+)/.exec(id)
  return m ? Number(m[1]) : 1000
}
results.sort((a, b) => bOrder(a.id) - bOrder(b.id))
const shown = (v, unit) =>
  typeof v === 'string' ? v : `${Math.abs(v) < 10 && v % 1 ? v.toFixed(1) : Math.round(v)} ${unit}`
const rows = results.map((r) => [
  r.id,
  r.figure,
  shown(r.value, r.unit),
  r.target === null || r.target === undefined
    ? '—'
    : typeof r.target === 'string'
      ? r.target
      : `${r.atLeast ? '≥' : '≤'} ${r.target} ${r.unit}`,
  r.pass ? 'ok' : 'MISSED',
])
const widths = [0, 1, 2, 3, 4].map((i) =>
  Math.max(...[['#', 'figure', 'value', 'target', ''], ...rows].map((r) => r[i].length)),
)
for (const r of [['#', 'figure', 'value', 'target', ''], ...rows])
  process.stdout.write(r.map((c, i) => c.padEnd(widths[i])).join('  ') + '\n')
mkdirSync(join(ROOT, 'test-results'), { recursive: true })
writeFileSync(
  join(ROOT, 'test-results', 'bench-results.json'),
  JSON.stringify({ at: new Date().toISOString(), node: process.version, results }, null, 2),
)
process.exitCode = results.every((r) => r.pass) ? 0 : 1
