// A process hosting many emulated servers for bench/fleet-scale.mjs (B1–B4, B10): `--hy2 N`
// Hysteria 2 traffic-stats emulators with `--users U` users each (every user has a connection;
// a timer moves traffic on a random share of them each second) and `--hy2scale M` HY2 SCALE nodes
// (their own simulation, `--users` users, password `--password`). Loads the emulators' TypeScript
// through Vite's module runner, as bench/run.mjs does. Prints one JSON line
// `{"ready":true,"hy2":[url…],"hy2scale":[url…]}`, then takes commands on stdin, one per line:
// `kill <url>` closes that emulator (listener and sockets: the server is gone) and answers
// `{"killed":url,"at":epochMs}`. Ends on stdin EOF or SIGTERM, closing everything.
import { createInterface } from 'node:readline'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const ROOT = resolve(import.meta.dirname, '..')
const { values } = parseArgs({
  options: {
    hy2: { type: 'string', default: '0' },
    hy2scale: { type: 'string', default: '0' },
    users: { type: 'string', default: '100' },
    password: { type: 'string', default: 'bench-pw' },
    seed: { type: 'string', default: '1' },
  },
})
const hy2Count = Number(values.hy2)
const scaleCount = Number(values.hy2scale)
const users = Number(values.users)

const { runnerImport } = await import('vite')
const load = async (path) =>
  (await runnerImport(join(ROOT, path), { configFile: false, logLevel: 'warn', root: ROOT })).module
const { startHysteria2Emulator } = await load('emulators/hysteria2/server.ts')
const { startHy2ScaleEmulator } = scaleCount > 0 ? await load('emulators/hy2scale/server.ts') : {}

const { createPrng } = await load('src/shared/prng.ts')
const rand = createPrng(Number(values.seed))

const emulators = new Map()
const hy2 = []
/** Starts `count` emulators, `batch` at a time (listening on 1,000 ports one by one is slow). */
async function startMany(count, start, batch = 50) {
  const out = []
  for (let i = 0; i < count; i += batch) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(batch, count - i) }, start))))
  }
  return out
}
for (const emu of await startMany(hy2Count, () => startHysteria2Emulator())) {
  const conns = []
  for (let u = 0; u < users; u++) {
    const name = `user${String(u).padStart(4, '0')}`
    const conn = emu.connect(name)
    emu.moveTraffic(conn, 1000 + Math.floor(rand() * 1e6), 5000 + Math.floor(rand() * 1e7))
    conns.push(conn)
  }
  emulators.set(emu.url, emu)
  hy2.push({ emu, conns })
}
const scale = await startMany(scaleCount, () =>
  startHy2ScaleEmulator({
    password: values.password,
    simulate: { users, tickMs: 5000, seed: Math.floor(rand() * 1e9) },
  }),
)
for (const emu of scale) emulators.set(emu.url, emu)

// Moving traffic: each second ~30 % of the Hysteria 2 users transfer something.
const mover = setInterval(() => {
  for (const { emu, conns } of hy2) {
    if (!emulators.has(emu.url)) continue
    for (const conn of conns) {
      if (rand() < 0.3) {
        emu.moveTraffic(conn, Math.floor(rand() * 20_000), Math.floor(rand() * 400_000))
      }
    }
  }
}, 1000)

process.stdout.write(
  JSON.stringify({
    ready: true,
    hy2: hy2.map((h) => h.emu.url),
    hy2scale: scale.map((e) => e.url),
  }) + '\n',
)

let closing = false
async function closeAll() {
  if (closing) return
  closing = true
  clearInterval(mover)
  await Promise.allSettled([...emulators.values()].map((e) => e.close()))
  process.exit(0)
}
process.once('SIGTERM', closeAll)
process.once('SIGINT', closeAll)
const lines = createInterface({ input: process.stdin })
lines.on('line', async (line) => {
  const [cmd, url] = line.trim().split(/\s+/)
  if (cmd !== 'kill') return
  const emu = emulators.get(url)
  emulators.delete(url)
  const at = Date.now()
  await emu?.close()
  process.stdout.write(JSON.stringify({ killed: url, at, found: Boolean(emu) }) + '\n')
})
lines.on('close', closeAll)
