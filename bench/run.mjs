// NodeDeck benchmark suite (`npm run bench`). Runs against the BUILT app (run `bash setup.sh`
// first). Prints a table with each figure next to its target and writes bench-results.json.
// First figure (issue 3): B5, browser host cold start to first paint of the fleet view.
import { spawn, spawnSync, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium } from 'playwright-core'
import { formatLogViewerTable, runLogViewerBench } from './log-viewer.mjs'

const ROOT = resolve(import.meta.dirname, '..')
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
/** `BENCH_ONLY=P,L` runs only the sections whose ids start with those letters (all by default). */
const ONLY = (process.env.BENCH_ONLY ?? '').split(',').filter(Boolean)
const want = (id) => ONLY.length === 0 || ONLY.some((p) => id.startsWith(p))

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

function stop(child) {
  return new Promise((ok) => {
    if (child.exitCode !== null) return ok()
    child.once('exit', ok)
    child.kill('SIGTERM')
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

async function coldStart(browser, label, args, servers) {
  const samples = []
  const listen = []
  for (let i = 0; i < RUNS; i++) {
    const dataDir = seededDataDir(servers)
    const page = await browser.newPage()
    const app = await startCli(args, { NODEDECK_DATA_DIR: dataDir })
    await page.goto(app.openUrl)
    await page.getByTestId('fleet-table').waitFor()
    // First paint of the fleet view: the next animation frame after it is in the DOM.
    await page.evaluate('new Promise((r) => requestAnimationFrame(() => r()))')
    samples.push(performance.now() - app.t0)
    listen.push(app.listening - app.t0)
    await page.close()
    await stop(app.child)
    rmSync(dataDir, { recursive: true, force: true })
  }
  return { label, p50: p50(samples), samples, listenP50: p50(listen) }
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
try {
  if (want('B5')) {
    const serve = await coldStart(browser, 'serve (50 servers)', ['serve'], 50)
    results.push({
      id: 'B5',
      figure:
        'browser host cold start → first paint of the fleet view, 50 servers (p50 of ' + RUNS + ')',
      value: serve.p50,
      unit: 'ms',
      target: 1000,
      pass: serve.p50 <= 1000,
      detail: serve,
    })
    const demo = await coldStart(browser, 'demo (3 emulators + 1 offline)', ['demo'], 0)
    results.push({
      id: 'B5-demo',
      figure: 'demo command cold start → first paint (p50 of ' + RUNS + ')',
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
} finally {
  await browser.close()
}

const rows = results.map((r) => [
  r.id,
  r.figure,
  `${Math.round(r.value)} ${r.unit}`,
  r.target === null ? '—' : `${r.atLeast ? '≥' : '≤'} ${r.target} ${r.unit}`,
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
