// B7 and B9 (issue 7): history in SQLite.
//
// B7 — a history database holding one server's latency series of 1,000,000 points (one-minute
// rows over ~694 days, plus their hourly and daily roll-ups, written in one transaction here),
// opened by the BUILT browser host (`bin/nodedeck.cjs serve`) in Chromium: the server tab's
// History view. Figures: first render of the latency chart (click on "History" → chart drawn:
// view chunk, query through the WebSocket and the worker, echarts render) and a wheel zoom's
// re-query + re-render (from the chart asking for the new window to drawn; the 200 ms the chart
// waits for the wheel to rest is not counted). p50 of RUNS with the spread.
//
// B9 — 90 days × 1,000 users of per-user traffic at the tiers NodeDeck keeps (daily and hourly
// for 90 days, minutes for the last 48 h with a quarter of the users active each minute): p95 of
// one user's 90-day series and of the fleet top-50 over 90 days, asked through the history host
// the app uses (src/main/core/history/history.ts, loaded from source by Node's type stripping)
// talking to the BUILT worker (out/cli/history-worker.js): the message round trip is included.
//
// Every process and directory made here is removed at the end.
/* global document, requestAnimationFrame -- functions passed to page.evaluate run in Chromium */
import { spawn, execSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { registerHooks } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { pathToFileURL } from 'node:url'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

// The history sources import siblings without an extension (as bundlers allow): add `.ts`.
let hooked = false
function loadSource(root, path) {
  if (!hooked) {
    hooked = true
    registerHooks({
      resolve(spec, ctx, next) {
        try {
          return next(spec, ctx)
        } catch (err) {
          if (spec.startsWith('.') && ctx.parentURL?.endsWith('.ts')) return next(`${spec}.ts`, ctx)
          throw err
        }
      },
    })
  }
  return import(pathToFileURL(join(root, path)).href)
}

const quiet = { debug() {}, info() {}, warn() {}, error() {} }
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((s.length - 1) * p))]
}
const ms = (v) => `${v < 10 ? v.toFixed(1) : Math.round(v)} ms`
const spread = (xs) => `${ms(Math.min(...xs))}–${ms(Math.max(...xs))}`
/** A result row: `stat` (p50 or p95) of the samples `xs` against a target in ms. */
function row(id, figure, stat, xs, targetMs, detail) {
  const v = pct(xs, stat === 'p95' ? 0.95 : 0.5)
  return {
    id,
    figure: `${figure}, ${stat} [min–max]`,
    value: `${ms(v)} [${spread(xs)}]`,
    target: `≤ ${targetMs} ms`,
    pass: v <= targetMs,
    detail: { [stat]: v, p50: pct(xs, 0.5), samples: xs.length, ...detail },
  }
}
/** Deterministic pseudo-random numbers (the same data every run). */
function rng(seed) {
  let s = seed >>> 0
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0
    return s / 2 ** 32
  }
}

/** An empty history database with NodeDeck's schema (made by the store itself), then closed. */
async function emptyDb(root, file) {
  const { HistoryStore } = await loadSource(root, 'src/main/core/history/store.ts')
  new HistoryStore({ file }).close()
  const db = new DatabaseSync(file)
  // Bulk load: no journal (the app turns WAL back on when it opens the file).
  db.exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -200000')
  return db
}

function setMarks(db, now) {
  const set = db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)')
  set.run('hourMark', now - (now % HOUR))
  set.run('dayMark', now - (now % DAY))
}

// ---- B9 ----------------------------------------------------------------------------------------

export async function seedUsers(root, file, now) {
  const db = await emptyDb(root, file)
  const rand = rng(9)
  const USERS = 1000
  const t0 = performance.now()
  db.exec('BEGIN')
  const series = db.prepare('INSERT INTO series (id, server, user, metric) VALUES (?, ?, ?, ?)')
  for (let u = 1; u <= USERS; u++) series.run(u, `srv-${u % 20}`, `user-${u}`, 'traffic')
  const ins = (t) => db.prepare(`INSERT INTO ${t} (series, ts, up, down) VALUES (?, ?, ?, ?)`)
  const d1 = db.prepare(
    'INSERT INTO u_d1 (series, ts, up, down, cum_up, cum_down) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const h1 = ins('u_h1')
  const m1 = ins('u_m1')
  const today = now - (now % DAY)
  const hour = now - (now % HOUR)
  let rows = 0
  for (let u = 1; u <= USERS; u++) {
    const weight = 1 + (u % 37)
    // Daily rows with their running totals, as NodeDeck's day roll-up writes them.
    let cumUp = 0
    let cumDown = 0
    for (let d = 90; d >= 1; d--) {
      const up = Math.floor(rand() * 1e8 * weight)
      const down = Math.floor(rand() * 1e9 * weight)
      cumUp += up
      cumDown += down
      d1.run(u, today - d * DAY, up, down, cumUp, cumDown)
      rows++
    }
    for (let t = today - 90 * DAY; t < hour; t += HOUR) {
      h1.run(u, t, Math.floor(rand() * 4e6 * weight), Math.floor(rand() * 4e7 * weight))
      rows++
    }
    for (let t = now - 48 * HOUR - (now % MINUTE); t < now; t += MINUTE) {
      if (rand() >= 0.25) continue
      m1.run(u, t, Math.floor(rand() * 7e4 * weight), Math.floor(rand() * 7e5 * weight))
      rows++
    }
  }
  setMarks(db, now)
  db.exec('COMMIT')
  db.close()
  return { rows, seedMs: performance.now() - t0 }
}

async function runB9(ctx) {
  const dir = mkdtempSync(join(tmpdir(), 'nodedeck-b9-'))
  const now = Date.now()
  let history = null
  try {
    const seed = await seedUsers(ctx.ROOT, join(dir, 'history.sqlite'), now)
    const { createHistory } = await loadSource(ctx.ROOT, 'src/main/core/history/history.ts')
    history = createHistory({
      dataDir: dir,
      log: quiet,
      workerFile: join(ctx.ROOT, 'out', 'cli', 'history-worker.js'),
    })
    history.start()
    for (let i = 0; i < 400 && (await history.status()).state !== 'ok'; i++) {
      await new Promise((r) => setTimeout(r, 25))
    }
    const status = await history.status()
    if (status.state !== 'ok') throw new Error(`history not ok: ${status.reason}`)
    const rand = rng(7)
    const from = now - 90 * DAY
    const one = []
    let points = 0
    for (let i = 0; i < 20 * ctx.RUNS + 20; i++) {
      const user = `user-${1 + Math.floor(rand() * 1000)}`
      const metric = i % 2 ? 'down' : 'up'
      const t = performance.now()
      const r = await history.series({
        scope: 'user',
        user,
        metric,
        from,
        to: now,
        maxPoints: 1000,
      })
      if (i >= 20) one.push(performance.now() - t) // the first 20 warm the cache
      points = r.points.t.length
    }
    const top = []
    let first = null
    for (let i = 0; i < 8 * ctx.RUNS + 3; i++) {
      const t = performance.now()
      const rows = await history.top({ from: from + i * MINUTE, to: now, limit: 50 })
      if (i >= 3) top.push(performance.now() - t)
      first = rows[0]
    }
    return [
      row(
        'B9',
        `one user's 90-day traffic series (1,000 users × 90 days, ${seed.rows.toLocaleString('en')} rows; worker round trip)`,
        'p95',
        one,
        20,
        { points, rows: seed.rows, seedMs: seed.seedMs },
      ),
      row(
        'B9',
        'fleet top-50 users over 90 days (daily running totals + hourly/minute edges; worker round trip)',
        'p95',
        top,
        100,
        { topUser: first?.user ?? null },
      ),
    ]
  } finally {
    await history?.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---- B7 ----------------------------------------------------------------------------------------

const POINTS = 1_000_000
const SERVER = 'b7-server'

async function seedLatency(root, dir, now) {
  const db = await emptyDb(root, join(dir, 'history.sqlite'))
  const rand = rng(1)
  const t0 = performance.now()
  db.exec('BEGIN')
  db.prepare('INSERT INTO series (id, server, user, metric) VALUES (1, ?, ?, ?)').run(
    SERVER,
    '',
    'latency',
  )
  const ins = db.prepare(
    'INSERT INTO s_m1 (series, ts, n, sum, dur, min, max) VALUES (1, ?, 12, ?, 0, ?, ?)',
  )
  const end = now - (now % MINUTE)
  let v = 40
  for (let i = POINTS - 1; i >= 0; i--) {
    v = Math.max(2, Math.min(400, v + (rand() - 0.5) * 6))
    const spike = rand() < 0.001 ? 900 * rand() : 0
    ins.run(end - i * MINUTE, v * 12, v * 0.7, v * 1.4 + spike)
  }
  // The roll-ups NodeDeck would have made of those minutes.
  db.exec(`INSERT INTO s_h1 SELECT series, ts - ts % ${HOUR}, SUM(n), SUM(sum), SUM(dur), MIN(min), MAX(max)
           FROM s_m1 GROUP BY series, ts - ts % ${HOUR}`)
  db.exec(`INSERT INTO s_d1 SELECT series, ts - ts % ${DAY}, SUM(n), SUM(sum), SUM(dur), MIN(min), MAX(max)
           FROM s_h1 GROUP BY series, ts - ts % ${DAY}`)
  setMarks(db, now)
  db.exec('COMMIT')
  db.close()
  const config = {
    version: 1,
    servers: [
      {
        id: SERVER,
        kind: 'hysteria2',
        name: 'B7 server',
        url: 'http://127.0.0.1:9',
        group: '',
        tags: [],
        pollIntervalSec: 60,
        tls: {},
        options: {},
        createdAt: now,
      },
    ],
    settings: { locale: 'en-US', theme: 'light' },
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config))
  return performance.now() - t0
}

function startServe(root, dataDir) {
  const child = spawn(process.execPath, [join(root, 'bin', 'nodedeck.cjs'), 'serve', '--json'], {
    cwd: root,
    env: { ...process.env, NODEDECK_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((ok, ko) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      const line = out.split('\n').find((l) => l.includes('openUrl'))
      if (line) ok({ child, ...JSON.parse(line) })
    })
    child.once('exit', (c) => ko(new Error(`serve exited ${c}: ${out}`)))
  })
}

/** In the page: clicks `click`, then waits until the chart `card` has rendered new data. */
const CLICK_UNTIL_RENDER = ([click, card, before]) =>
  new Promise((ok, ko) => {
    const t0 = performance.now()
    document.querySelector(`[data-testid="${click}"]`)?.click()
    const check = () => {
      const el = document.querySelector(`[data-testid="${card}"]`)
      if (el && Number(el.dataset.renders ?? 0) > before)
        return ok({
          wall: performance.now() - t0,
          load: Number(el.dataset.loadMs),
          tier: el.dataset.tier,
        })
      if (performance.now() - t0 > 30_000) return ko(new Error(`${card}: no render`))
      requestAnimationFrame(check)
    }
    check()
  })
const renders = (page, card) =>
  page.evaluate(
    (c) => Number(document.querySelector(`[data-testid="${c}"]`)?.dataset.renders ?? 0),
    card,
  )

async function runB7(ctx) {
  const { chromium } = await import('playwright-core')
  const dir = mkdtempSync(join(tmpdir(), 'nodedeck-b7-'))
  const now = Date.now()
  let app = null
  let browser = null
  try {
    const seedMs = await seedLatency(ctx.ROOT, dir, now)
    app = await startServe(ctx.ROOT, dir)
    browser = await chromium.launch({
      executablePath: execSync('command -v chromium').toString().trim(),
    })
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    await page.goto(app.openUrl)
    await page.getByText('B7 server', { exact: true }).first().click()
    await page.getByTestId('server-view-history').waitFor()
    const card = 'history-latency'
    const first = []
    for (let i = 0; i < ctx.RUNS + 1; i++) {
      await page.getByTestId('server-view-live').click()
      await page.getByTestId(card).waitFor({ state: 'detached' })
      const r = await page.evaluate(CLICK_UNTIL_RENDER, ['server-view-history', card, 0])
      if (i > 0) first.push(r) // the first one also loads the chunks (echarts)
    }
    // Zoom: from the 1-year view (hourly tier), three wheel steps into the middle of the chart.
    const zoom = []
    let wheelRetries = 0
    for (let i = 0; i < ctx.RUNS; i++) {
      let before = await renders(page, card)
      await page.evaluate(CLICK_UNTIL_RENDER, [
        `${card}-range-${i % 2 ? '90d' : '1y'}`,
        card,
        before,
      ])
      before = await renders(page, card)
      // The card may be below the fold (the cards above it are as tall as their empty state):
      // the wheel must land on the chart, so it is scrolled into view first.
      await page.getByTestId(card).locator('canvas').first().scrollIntoViewIfNeeded()
      const box = await page.getByTestId(card).locator('canvas').first().boundingBox()
      await page.mouse.move(box.x + box.width * (0.3 + 0.1 * i), box.y + box.height / 2)
      const t0 = performance.now()
      // Three wheel steps; a burst that did not lead to a re-query within 10 s (it happened once
      // in a full run on a loaded machine) is wheeled again and counted, not fatal.
      for (let attempt = 0; ; attempt++) {
        for (let k = 0; k < 3; k++) await page.mouse.wheel(0, -400)
        const drawn = await page
          .waitForFunction(
            ([c, b]) =>
              Number(document.querySelector(`[data-testid="${c}"]`)?.dataset.renders ?? 0) > b,
            [card, before],
            { timeout: 10_000 },
          )
          .then(() => true)
          .catch(() => false)
        if (drawn) break
        if (attempt === 2) throw new Error('B7 zoom: three wheel bursts, no re-query')
        wheelRetries++
      }
      const info = await page.evaluate((c) => {
        const el = document.querySelector(`[data-testid="${c}"]`)
        return { load: Number(el?.dataset.loadMs), tier: el?.dataset.tier }
      }, card)
      zoom.push({ ...info, wall: performance.now() - t0 })
    }
    return [
      row(
        'B7',
        `history chart over a ${POINTS.toLocaleString('en')}-point series in Chromium (built browser host): first render, click → drawn`,
        'p50',
        first.map((r) => r.wall),
        500,
        { loadMs: first.map((r) => r.load), tiers: first.map((r) => r.tier), seedMs },
      ),
      row(
        'B7',
        'history chart zoom: re-query of the finer tier + re-render',
        'p50',
        zoom.map((r) => r.load),
        100,
        {
          tiers: zoom.map((r) => r.tier),
          wallWithWheelWaitMs: zoom.map((r) => r.wall),
          wheelRetries,
        },
      ),
    ]
  } finally {
    await browser?.close()
    if (app && app.child.exitCode === null) {
      await new Promise((ok) => {
        app.child.once('exit', ok)
        app.child.kill('SIGTERM')
      })
    }
    rmSync(dir, { recursive: true, force: true })
  }
}

/** B7 and B9 rows (ctx = { ROOT, RUNS }); needs the built app (`npm run build`). */
export async function run(ctx) {
  const want = ctx.want ?? (() => true)
  return [...(want('B9') ? await runB9(ctx) : []), ...(want('B7') ? await runB7(ctx) : [])]
}

// `node bench/history.mjs` runs it alone.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await run({
    ROOT: join(import.meta.dirname, '..'),
    RUNS: Number(process.env.BENCH_RUNS ?? 5),
    want: (id) => (process.env.BENCH_ONLY ?? id).split(',').some((p) => id.startsWith(p)),
  })
  for (const r of rows) {
    process.stdout.write(
      `${r.id}  ${r.figure}\n     ${r.value}  (target ${r.target}) ${r.pass ? 'PASS' : 'FAIL'}\n`,
    )
    if (process.env.BENCH_DETAIL) process.stdout.write(`     ${JSON.stringify(r.detail)}\n`)
  }
}
