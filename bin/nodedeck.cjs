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
