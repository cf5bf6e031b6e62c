import { describe, expect, it } from 'vitest'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

/**
 * design.md 2.2: the core runs under plain Node. Nothing reachable from src/main/core (nor from
 * the Node hosts, the shared code or the renderer) may resolve `electron` or the Electron shell —
 * followed through every relative import, transitively, not just the files' own lines.
 */
const ROOT = resolve(import.meta.dirname, '..', '..')
const IMPORT =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm

function files(dir: string): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...files(p))
    else if (/\.(ts|vue)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(p)
  }
  return out
}

function resolveLocal(from: string, spec: string): string | null {
  const base = resolve(dirname(from), spec)
  for (const c of [base, `${base}.ts`, join(base, 'index.ts'), `${base}.vue`]) {
    if (existsSync(c) && statSync(c).isFile()) return c
  }
  return null
}

/** Every bare module and every local file reachable from `entry`, with one path to each. */
function reach(entries: string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>()
  const queue: Array<[string, string[]]> = entries.map((e) => [e, [e]])
  while (queue.length > 0) {
    const [file, path] = queue.shift() as [string, string[]]
    if (seen.has(file)) continue
    seen.set(file, path)
    if (!file.startsWith('/')) continue
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? m[4]
      if (!spec) continue
      if (spec.startsWith('.')) {
        const target = resolveLocal(file, spec)
        if (target) queue.push([target, [...path, target]])
      } else {
        queue.push([spec, [...path, spec]])
      }
    }
  }
  return seen
}

function offenders(entries: string[], bad: (mod: string) => boolean): string[] {
  const out: string[] = []
  for (const [mod, path] of reach(entries)) {
    if (bad(mod)) out.push(path.map((p) => (p.startsWith('/') ? relative(ROOT, p) : p)).join(' → '))
  }
  return out
}

const MAIN_DIR = join(ROOT, 'src', 'main') + '/'
const isElectron = (m: string) =>
  m === 'electron' || m.startsWith('electron/') || m.startsWith(join(MAIN_DIR, 'electron') + '/')

describe('layer boundaries', () => {
  it('nothing under src/main/core resolves electron (transitively)', () => {
    const entries = files(join(ROOT, 'src/main/core'))
    expect(entries.length).toBeGreaterThan(10)
    expect(offenders(entries, isElectron)).toEqual([])
  })

  it('the CLI, the browser host, the demo and the emulators do not resolve electron', () => {
    const entries = ['src/main/cli', 'src/main/browser-host', 'src/main/demo', 'emulators'].flatMap(
      (d) => files(join(ROOT, d)),
    )
    expect(offenders(entries, isElectron)).toEqual([])
  })

  it('shared and the renderer reach neither Node built-ins nor main-process code', () => {
    const entries = ['src/shared', 'src/renderer/src'].flatMap((d) => files(join(ROOT, d)))
    const bad = (m: string) =>
      isElectron(m) ||
      m.startsWith('node:') ||
      ['fs', 'path', 'os', 'http', 'net', 'tls', 'crypto', 'child_process'].includes(m) ||
      m.startsWith(MAIN_DIR)
    expect(offenders(entries, bad)).toEqual([])
  })

  it('the detector itself finds a planted electron import', () => {
    // Guards against a regex that silently matches nothing.
    const probe = join(ROOT, 'src/main/electron/index.ts')
    expect(offenders([probe], isElectron).length).toBeGreaterThan(0)
  })
})
