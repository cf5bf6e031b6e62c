#!/usr/bin/env node
'use strict'
// The `nodedeck` command. NodeDeck runs on Node >= 22 (undici 8); when started by an older
// system `node`, re-run on the Node the project installed (node_modules/.bin/node).
const { join } = require('node:path')
const { existsSync } = require('node:fs')
const major = Number(process.versions.node.split('.')[0])
const root = join(__dirname, '..')
if (major < 22) {
  const local = join(
    root,
    'node_modules',
    '.bin',
    process.platform === 'win32' ? 'node.cmd' : 'node',
  )
  if (existsSync(local)) {
    const { spawnSync } = require('node:child_process')
    const r = spawnSync(local, [__filename, ...process.argv.slice(2)], { stdio: 'inherit' })
    process.exit(r.status === null ? 1 : r.status)
  }
  process.stderr.write(
    `nodedeck: Node ${process.versions.node} is too old; NodeDeck needs Node 22 or newer.\n`,
  )
  process.exit(1)
}
// Memory of the long-running commands (`serve`, `demo`: the core polling a fleet). V8 sizes its
// heap for throughput on a big machine: at 1,000 servers the core kept a 128 MB young generation
// and let the old one grow to about 4× its live size between full collections, and glibc kept
// memory freed by V8's helper threads in one arena per thread (B4: ~450 MB resident). These
// limits, with the core's columnar user state, keep the same work near 227 MB for about the same
// CPU (bench/fleet-scale.mjs, B2 and B4): young generation 3 × 8 MB, old generation at most 1.2×
// its live size before the next full collection (1.5× measured 245–250 MB for the same CPU;
// 4 MB semi-spaces cost CPU and saved nothing), two malloc arenas. V8 reads its limits once, when
// it creates the heap, so the process replaces itself (process.execve: same pid, same stdio)
// with them: one more Node start-up (~40 ms). Flags or NODE_OPTIONS given by the user win
// (`--heap-growing-percent` is refused in NODE_OPTIONS: give it on the command line); where
// execve is missing (Windows), the defaults stay.
const LONG_RUNNING = ['serve', 'demo']
const V8_MEMORY_FLAGS = ['--max-semi-space-size=8', '--heap-growing-percent=20']
if (
  typeof process.execve === 'function' &&
  LONG_RUNNING.some((c) => process.argv.includes(c)) &&
  ![...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) =>
    /^--(max-semi-space-size|heap-growing-percent)\b/.test(a),
  )
) {
  try {
    process.execve(
      process.execPath,
      [
        process.execPath,
        ...V8_MEMORY_FLAGS,
        ...process.execArgv,
        __filename,
        ...process.argv.slice(2),
      ],
      { MALLOC_ARENA_MAX: '2', ...process.env },
    )
  } catch {
    // Not replaced (the executable could not be run again): go on with V8's defaults.
  }
}
const entry = join(root, 'out', 'cli', 'nodedeck.js')
if (!existsSync(entry)) {
  process.stderr.write(
    'nodedeck: not built yet. Run "bash setup.sh" (or "npm run build") in ' + root + '\n',
  )
  process.exit(1)
}
// V8's code cache on disk (Node >= 22.1; NODE_DISABLE_COMPILE_CACHE=1 turns it off): the
// first run compiles the CLI and its dependencies as always and stores the result; later runs
// load it instead of compiling again, which takes a third of the time `nodedeck serve` needs
// to load its modules. The cache is keyed by each file's content, so a rebuild invalidates it.
require('node:module').enableCompileCache?.()
require(entry)
