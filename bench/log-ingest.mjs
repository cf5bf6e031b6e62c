// B8: log lines the core ingests per second, one stream and many at once.
//
// Emulated PasarGuard nodes (gRPC, pinned self-signed certificates; emulators/pasarguard loaded
// from source through Vite's module runner, all nodes in ONE child process so the emulators do not
// take a process each) write log lines at a fixed rate into each node's log channel. The core is
// the BUILT app (`bin/nodedeck.cjs serve`, out/cli) with those nodes added over its WebSocket;
// a client of that WebSocket speaking it as the page does (Origin + token subprotocol, birpc JSON
// frames) watches every node's `logs` stream (`streams.watch`) and counts the lines in the
// `stream.batch` events it receives. Every line is accounted for: written by an emulator →
// dropped by the node because its buffer was full (the core did not read fast enough) or handed
// to the core → dropped by the core's hub (a watcher's bounded queue, reported in the batch) or
// delivered to the client. Rows: B8-one (one stream), B8-all (STREAMS streams at once).
//
// Run alone: `node bench/log-ingest.mjs` (needs a keychain: scripts/with-keyring.sh), or through
// `npm run bench` (bench/run.mjs imports `run`).
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { pathToFileURL } from 'node:url'
import { pageSocket, stopChild as stop } from './support.mjs'

/** Streams of the "all streams" case, and the rates offered (lines/s in all). */
const STREAMS = Number(process.env.B8_STREAMS ?? 20)
const ONE_RATE = Number(process.env.B8_ONE_RATE ?? 20_000)
const ALL_RATE = Number(process.env.B8_ALL_RATE ?? 30_000)
/** Seconds measured (after a warm-up of WARMUP seconds at the rate). */
const SECONDS = Number(process.env.B8_SECONDS ?? 10)
const WARMUP = 2
const API_KEY = '5b0f7c1e-2a3d-4e5f-8a9b-0c1d2e3f4a5b'

// ---- emulator host (child process mode) ----------------------------------------------------

/**
 * `node bench/log-ingest.mjs --emulators N`: starts N PasarGuard nodes (gRPC, Xray with 20 users)
 * and prints one JSON line with their URLs and fingerprints; then reads commands on stdin:
 * `{"rate":[perNode…]}` sets each node's log rate, `{"stats":true}` prints every node's log
 * counters as one JSON line.
 */
async function emulatorHost(n, root) {
  const { runnerImport } = await import('vite')
  const { module: pg } = await runnerImport(join(root, 'emulators/pasarguard/server.ts'), {
    configFile: false,
    logLevel: 'warn',
    root,
  })
  const nodes = []
  for (let i = 0; i < n; i++) {
    // Fixed-rate generation only: no simulation timers (traffic, online users) in between. The
    // generator writes what is due since its last 10 ms tick, so when this process is starved of
    // CPU (2 cores shared with the core, the client and the rest of the machine) it writes a late
    // second's worth at once: a node buffer of 10 s at the rate (upstream's default is 10,000
    // lines) keeps those bursts from counting as lines the core failed to read.
    const emu = await pg.startPasarGuardEmulator({
      protocol: 'grpc',
      apiKey: API_KEY,
      logBufferSize: Math.max(10_000, 10 * Math.max(ONE_RATE, ALL_RATE)),
    })
    await emu.control.start(pg.simBackend(20))
    nodes.push(emu)
  }
  const out = (o) => process.stdout.write(JSON.stringify(o) + '\n')
  out({
    nodes: nodes.map((e) => ({ url: e.url, fingerprintSha256: e.fingerprintSha256 })),
  })
  for await (const line of createInterface({ input: process.stdin })) {
    const cmd = JSON.parse(line)
    if (cmd.rate) cmd.rate.forEach((r, i) => nodes[i]?.control.setLogRate(r))
    if (cmd.stats) out({ stats: nodes.map((e) => e.control.logStats()) })
    if (cmd.quit) break
  }
  await Promise.all(nodes.map((e) => e.close()))
  process.exit(0)
}

// ---- the benchmark -----------------------------------------------------------------------------

/** Spawns `node <args>` and resolves with it and its first stdout JSON line that has `key`. */
function spawnJson(args, key, opts = {}) {
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], ...opts })
  let err = ''
  child.stderr.on('data', (d) => (err += d))
  const lines = createInterface({ input: child.stdout })
  const waiters = []
  lines.on('line', (l) => {
    let o
    try {
      o = JSON.parse(l)
    } catch {
      return
    }
    const i = waiters.findIndex((w) => w.key in o)
    if (i >= 0) waiters.splice(i, 1)[0].ok(o)
  })
  child.once('exit', (c) => {
    for (const w of waiters.splice(0)) w.ko(new Error(`${args.join(' ')} exited ${c}: ${err}`))
  })
  const next = (k) => new Promise((ok, ko) => waiters.push({ key: k, ok, ko }))
  return next(key).then((first) => ({ child, first, next }))
}

const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms))
/** CPU seconds (user + system) a process has used so far, from /proc. */
function cpuSeconds(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

/**
 * One measurement: `rates[i]` lines/s into stream i for WARMUP + SECONDS s; lines/s the client
 * received over the measured SECONDS, and every line accounted for once the rates are back to 0.
 */
async function measure(emu, rpc, counts, ids, rates, corePid) {
  const sumStats = async () => {
    emu.child.stdin.write(JSON.stringify({ stats: true }) + '\n')
    const { stats } = await emu.next('stats')
    return stats.reduce(
      (a, s) => ({
        generated: a.generated + s.generated,
        nodeDropped: a.nodeDropped + (s.channel?.dropped ?? 0),
        toCore: a.toCore + (s.channel?.delivered ?? 0),
        buffered: a.buffered + (s.channel?.buffered ?? 0),
      }),
      { generated: 0, nodeDropped: 0, toCore: 0, buffered: 0 },
    )
  }
  const total = () => ids.reduce((a, id) => a + (counts.get(id)?.lines ?? 0), 0)
  const hubDropped = () => ids.reduce((a, id) => a + (counts.get(id)?.dropped ?? 0), 0)
  const s0 = await sumStats()
  const c0 = total()
  const d0 = hubDropped()
  const all = Array(STREAMS).fill(0)
  rates.forEach((r, i) => (all[i] = r))
  emu.child.stdin.write(JSON.stringify({ rate: all }) + '\n')
  await sleep(WARMUP * 1000)
  const a = { lines: total(), at: performance.now(), cpu: cpuSeconds(corePid) }
  await sleep(SECONDS * 1000)
  const b = { lines: total(), at: performance.now(), cpu: cpuSeconds(corePid) }
  emu.child.stdin.write(JSON.stringify({ rate: Array(STREAMS).fill(0) }) + '\n')
  // Let every line already written reach the client (the hub batches every 100 ms).
  let s1 = await sumStats()
  for (let i = 0; i < 50; i++) {
    await sleep(200)
    const s = await sumStats()
    const settled = s.buffered === 0 && total() - c0 + hubDropped() - d0 >= s.toCore - s0.toCore
    s1 = s
    if (settled) break
  }
  const secs = (b.at - a.at) / 1000
  const written = s1.generated - s0.generated
  const nodeDropped = s1.nodeDropped - s0.nodeDropped
  const toCore = s1.toCore - s0.toCore
  const received = total() - c0
  const coreDropped = hubDropped() - d0
  return {
    streams: rates.length,
    offered: rates.reduce((x, y) => x + y, 0),
    linesPerSec: (b.lines - a.lines) / secs,
    seconds: secs,
    written,
    nodeDropped,
    toCore,
    received,
    coreDropped,
    /** Lines handed to the core that the client neither received nor was told were dropped. */
    unaccounted: toCore - received - coreDropped,
    coreCpuPct: ((b.cpu - a.cpu) / secs) * 100,
  }
}

/** B8 rows: `ctx` = { ROOT, RUNS } (RUNS: measurements of each case; the p50 is reported). */
export async function run(ctx) {
  const root = ctx.ROOT ?? resolve(import.meta.dirname, '..')
  const runs = Math.max(1, Math.min(3, ctx.RUNS ?? 1))
  const dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-b8-'))
  const procs = []
  let rpc
  try {
    const emu = await spawnJson([import.meta.filename, '--emulators', String(STREAMS)], 'nodes', {
      cwd: root,
    })
    procs.push(emu.child)
    const app = await spawnJson([join(root, 'bin', 'nodedeck.cjs'), 'serve', '--json'], 'openUrl', {
      cwd: root,
      env: { ...process.env, NODEDECK_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    procs.push(app.child)
    /** serverId → lines received, lines the core said it dropped */
    const counts = new Map()
    rpc = await pageSocket(app.first.openUrl, (name, b) => {
      if (name !== 'stream.batch' || b.stream !== 'logs') return
      let c = counts.get(b.serverId)
      if (!c) counts.set(b.serverId, (c = { lines: 0, dropped: 0, batches: 0 }))
      c.lines += b.frames.length
      c.dropped += b.dropped
      c.batches++
    })
    const ids = []
    for (const [i, node] of emu.first.nodes.entries()) {
      const {
        data: { id },
      } = await rpc.call('servers.add', {
        draft: {
          kind: 'pasarguard',
          name: `pg-${String(i).padStart(3, '0')}`,
          url: node.url,
          group: '',
          tags: [],
          pollIntervalSec: 60,
          tls: { fingerprintSha256: node.fingerprintSha256 },
          options: { transport: 'grpc' },
        },
        secret: API_KEY,
      })
      ids.push(id)
    }
    for (const id of ids) await rpc.call('streams.watch', { serverId: id, stream: 'logs' })
    await sleep(1500)

    const one = []
    const all = []
    for (let r = 0; r < runs; r++) {
      one.push(await measure(emu, rpc, counts, ids.slice(0, 1), [ONE_RATE], app.child.pid))
      all.push(
        await measure(
          emu,
          rpc,
          counts,
          ids,
          Array(STREAMS).fill(ALL_RATE / STREAMS),
          app.child.pid,
        ),
      )
    }
    emu.child.stdin.write(JSON.stringify({ quit: true }) + '\n')
    return [row('B8-one', one, 5000), row('B8-all', all, 20000)]
  } finally {
    rpc?.close()
    for (const p of procs.reverse()) await stop(p)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

function row(id, ms, target) {
  const sorted = [...ms].sort((a, b) => a.linesPerSec - b.linesPerSec)
  const m = sorted[Math.floor(sorted.length / 2)]
  const lost = ms.reduce((a, x) => a + x.nodeDropped + x.unaccounted, 0)
  const spread = `[${Math.round(sorted[0].linesPerSec)}–${Math.round(sorted.at(-1).linesPerSec)}]`
  return {
    id,
    figure:
      `log lines/s ingested by the core and delivered to a WebSocket watcher, ${m.streams} PasarGuard stream${m.streams > 1 ? 's' : ''} (gRPC) at ${m.offered.toLocaleString('en')} lines/s offered ` +
      `(p50 of ${ms.length} ${spread}; lost ${lost}: node buffer full ${ms.reduce((a, x) => a + x.nodeDropped, 0)}, unaccounted ${ms.reduce((a, x) => a + x.unaccounted, 0)}; core hub drops ${ms.reduce((a, x) => a + x.coreDropped, 0)}; core CPU ${Math.round(m.coreCpuPct)} %)`,
    value: m.linesPerSec,
    unit: 'lines/s',
    target,
    atLeast: true,
    pass: m.linesPerSec >= target && lost === 0,
    detail: { runs: ms },
  }
}

if (process.argv[2] === '--emulators') {
  await emulatorHost(Number(process.argv[3]), resolve(import.meta.dirname, '..'))
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await run({ ROOT: resolve(import.meta.dirname, '..'), RUNS: 1 })
  for (const r of rows) {
    process.stdout.write(
      `${r.id}  ${Math.round(r.value)} ${r.unit}  (≥ ${r.target})  ${r.pass ? 'ok' : 'MISSED'}\n  ${r.figure}\n`,
    )
  }
  process.stdout.write(JSON.stringify(rows.map((r) => r.detail)) + '\n')
}
