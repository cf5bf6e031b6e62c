// The naive poll loop B2 compares the core with: for every Hysteria 2 server (URLs as JSON on
// stdin), every `--interval` seconds at a random phase, the same two requests the adapter makes
// (GET /traffic and GET /online) with fetch() + res.json(), nothing else. Prints
// `{"ready":true}` after its first round and `{"round":n,"ok":k,"failed":f}` every interval.
// Its CPU time is read from /proc by the bench, the same way as the core's.
import { parseArgs } from 'node:util'
import { text } from 'node:stream/consumers'

const { values } = parseArgs({ options: { interval: { type: 'string', default: '5' } } })
const intervalMs = Number(values.interval) * 1000
const urls = JSON.parse(await text(process.stdin))

let ok = 0
let failed = 0
async function poll(url) {
  try {
    const [traffic, online] = await Promise.all([
      fetch(`${url}/traffic`, { headers: { accept: 'application/json' } }).then((r) => r.json()),
      fetch(`${url}/online`, { headers: { accept: 'application/json' } }).then((r) => r.json()),
    ])
    if (traffic && online) ok++
  } catch {
    failed++
  }
}
for (const url of urls) {
  setTimeout(() => {
    void poll(url)
    setInterval(() => void poll(url), intervalMs)
  }, Math.random() * intervalMs)
}
let round = 0
setInterval(() => {
  round++
  process.stdout.write(JSON.stringify({ round, ok, failed }) + '\n')
  if (round === 1) process.stdout.write(JSON.stringify({ ready: true }) + '\n')
}, intervalMs)
process.once('SIGTERM', () => process.exit(0))
