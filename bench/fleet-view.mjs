// B6 (issue 7): a 100,000-row table in Chromium — the fleet view's user search over a fleet of
// 10 Hysteria 2 servers × 10,000 users (emulated in their own process by bench/fleet-emulators.mjs),
// searched for "user" (every one of them matches), against the BUILT browser host
// (`bin/nodedeck.cjs serve`). The results table is virtual and fetches its pages from the core as
// they come into view, as in use. Measured while the table scrolls 60 px per frame for 150 frames,
// from RUNS starting points spread over the 100,000 rows (p95 of each pass, p50 of the passes with
// their spread): the page's main-thread work per frame (B6, the target), and the rAF frame time,
// which here also carries Chromium's software raster (headless, no GPU) — shown next to the same
// scroll on a page without any framework, so the environment's own floor is visible. Every
// process started here is stopped at the end.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { stopChild } from './support.mjs'

const SERVERS = 10
const USERS = 10_000
const TOTAL = SERVERS * USERS
const FRAMES = 150
const STEP_PX = 60

/** Spawns a Node script and resolves with the child and its first JSON stdout line holding `key`. */
function startJsonLine(args, key) {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let err = ''
  child.stderr.on('data', (d) => (err = (err + d).slice(-4000)))
  return new Promise((ok, ko) => {
    const timer = setTimeout(
      () => ko(new Error(`${args[0]}: no "${key}" in time: ${err}`)),
      180_000,
    )
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.startsWith('{')) return
      const msg = JSON.parse(line)
      if (!(key in msg)) return
      clearTimeout(timer)
      ok({ child, msg })
    })
    child.once('exit', (c) => {
      clearTimeout(timer)
      ko(new Error(`${args[0]} exited ${c}: ${err}`))
    })
  })
}

const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]

/**
 * In the page: puts the scroll box `selector` at `fraction` of its height, lets it settle, then
 * scrolls STEP_PX per animation frame for FRAMES frames. Returns, per frame, the rAF-to-rAF delta
 * (includes Chromium's raster and compositing, which is software here: headless, no GPU) and the
 * page's own main-thread work for that frame: the scroll handler, Vue's re-render and the forced
 * style + layout of the result (`work`), measured synchronously around the scroll step.
 */
function scrollPass(page, selector, fraction) {
  return page.evaluate(`(async () => {
    const box = document.querySelector('${selector}')
    const frame = () => new Promise((r) => requestAnimationFrame(r))
    box.scrollTop = Math.floor((box.scrollHeight - box.clientHeight) * ${fraction})
    for (let i = 0; i < 10; i++) await frame()
    const deltas = []
    const work = []
    let last = performance.now()
    for (let i = 0; i < ${FRAMES}; i++) {
      const t0 = performance.now()
      box.scrollTop += ${STEP_PX}
      // The scroll event would fire before the next frame; fire it now (the real one then finds
      // nothing to do), let Vue flush its update (a microtask), and force style + layout.
      box.dispatchEvent(new Event('scroll'))
      await Promise.resolve()
      await Promise.resolve()
      void box.getBoundingClientRect()
      void document.body.offsetHeight
      work.push(performance.now() - t0)
      await frame()
      const now = performance.now()
      deltas.push(now - last)
      last = now
    }
    return { deltas, work, rowsInDom: box.querySelectorAll('[role=row]').length }
  })()`)
}

/**
 * The same scroll on a page with no framework at all (30 plain rows rewritten by innerHTML on each
 * scroll event, same viewport): the frame time this Chromium manages on this machine, for scale.
 */
async function floorPass(browser) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  try {
    await page.setContent(`<style>#b{height:800px;overflow:auto;contain:strict}
.r{height:36px;display:grid;grid-template-columns:240px 200px 300px 110px 100px 100px;border-bottom:1px solid #ddd;font:14px sans-serif}</style>
<div id=b><div style="position:relative;height:3600000px"><div id=w style="position:absolute;left:0;right:0"></div></div></div>
<script>const b=document.getElementById('b'),w=document.getElementById('w');function draw(){const f=Math.floor(b.scrollTop/36);let h='';for(let i=f;i<f+30;i++)h+='<div class=r role=row><span>user-'+i+'</span><span>server '+(i%10)+'</span><span>name user-'+i+'</span><span>online</span><span>1.2 MB/s</span><span>3 KB/s</span></div>';w.innerHTML=h;w.style.transform='translateY('+f*36+'px)'}b.addEventListener('scroll',draw,{passive:true});draw()</script>`)
    const r = await scrollPass(page, '#b', 0.3)
    return { p95: pct(r.deltas, 0.95), p50: pct(r.deltas, 0.5) }
  } finally {
    await page.close()
  }
}

/** B6 rows (ctx: ROOT, RUNS, and the suite's Chromium `browser`). Runs against the built app. */
export async function run(ctx) {
  const { ROOT, RUNS, browser } = ctx
  let emus = null
  let core = null
  let page = null
  const dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-b6-'))
  try {
    emus = await startJsonLine(
      [
        join(ROOT, 'bench', 'fleet-emulators.mjs'),
        '--hy2',
        String(SERVERS),
        '--users',
        String(USERS),
      ],
      'ready',
    )
    const servers = emus.msg.hy2.map((url, i) => ({
      id: `b6-${i}`,
      kind: 'hysteria2',
      name: `b6-${String(i).padStart(2, '0')}`,
      url,
      group: `group-${i % 3}`,
      tags: [],
      pollIntervalSec: 5,
      tls: {},
      options: {},
      createdAt: Date.now(),
    }))
    writeFileSync(
      join(dataDir, 'config.json'),
      JSON.stringify({ version: 1, servers, settings: {}, bridges: [] }),
    )
    core = await startJsonLine(
      [join(ROOT, 'bin', 'nodedeck.cjs'), '--data-dir', dataDir, 'serve', '--json'],
      'openUrl',
    )
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    await page.goto(core.msg.openUrl)
    await page.getByTestId('fleet-table').waitFor()
    await page.getByTestId('fleet-user-search').locator('input').fill('user')
    // Every server read at least once: all 100,000 users match.
    const count = page.getByTestId('fleet-user-count')
    const t0 = Date.now()
    for (;;) {
      await page.getByTestId('fleet-user-search').locator('input').press('Enter')
      const text = (await count.innerText().catch(() => '')).replace(/[^0-9]/g, '')
      if (Number(text) === TOTAL) break
      if (Date.now() - t0 > 120_000) throw new Error(`B6: ${text} users found, not ${TOTAL}`)
      await page.waitForTimeout(1000)
    }
    const p95s = []
    const p50s = []
    const workP95s = []
    let maxFrame = 0
    let rowsInDom = 0
    for (let i = 0; i < RUNS; i++) {
      const r = await scrollPass(
        page,
        '[data-testid=fleet-user-table]',
        RUNS === 1 ? 0 : (i / (RUNS - 1)) * 0.98,
      )
      p95s.push(pct(r.deltas, 0.95))
      p50s.push(pct(r.deltas, 0.5))
      workP95s.push(pct(r.work, 0.95))
      maxFrame = Math.max(maxFrame, ...r.deltas)
      rowsInDom = Math.max(rowsInDom, r.rowsInDom)
    }
    const floor = await floorPass(browser)
    const p95 = pct(p95s, 0.5)
    const workP95 = pct(workP95s, 0.5)
    const spread = (xs) => `[${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}]`
    return [
      {
        id: 'B6',
        figure: `100,000-row table (user search over ${SERVERS} servers × ${USERS.toLocaleString('en')} users) scroll, ${FRAMES} frames × ${STEP_PX} px, rows in DOM ≤ ${rowsInDom}: the page's main-thread work per frame (scroll handler + re-render + style/layout), p95, p50 of ${RUNS} passes ${spread(workP95s)}`,
        value: workP95,
        unit: 'ms',
        target: 16.7,
        pass: workP95 <= 16.7,
        detail: { workP95s, rows: TOTAL },
      },
      {
        id: 'B6-frame',
        figure: `… rAF-to-rAF frame time p95 (adds Chromium's software raster + compositing), p50 of ${RUNS} passes ${spread(p95s)}; the same scroll of 30 plain rows with no framework on this machine: p95 ${floor.p95.toFixed(1)} / p50 ${floor.p50.toFixed(1)} ms`,
        value: p95,
        unit: 'ms',
        target: null,
        pass: true,
        detail: { p95s, p50s, maxFrame, rowsInDom, floor },
      },
    ]
  } finally {
    await page?.close().catch(() => undefined)
    await stopChild(core?.child)
    await stopChild(emus?.child)
    rmSync(dataDir, { recursive: true, force: true })
  }
}
