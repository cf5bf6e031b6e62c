import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

export const ROOT = resolve(import.meta.dirname, '..', '..')
export const SHOTS = join(ROOT, 'test-results', 'screenshots')

/** A running `nodedeck` process (demo or serve) and the URL it printed. */
export interface RunningApp {
  url: string
  openUrl: string
  child: ChildProcess
  output(): string
  stop(): Promise<number | null>
}

/**
 * Starts the BUILT CLI (`bin/nodedeck.cjs`) the way a user does, with `--json`, and waits for
 * the line that says where it listens.
 */
export async function startApp(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningApp> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'nodedeck.cjs'), ...args, '--json'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  const info = await new Promise<{ url: string; openUrl: string }>((ok, ko) => {
    const timer = setTimeout(
      () => ko(new Error(`app did not start in time:\n${out}\n${err}`)),
      30_000,
    )
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const line = out.split('\n').find((l) => l.startsWith('{') && l.includes('openUrl'))
      if (line) {
        clearTimeout(timer)
        ok(JSON.parse(line) as { url: string; openUrl: string })
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      ko(new Error(`app exited with ${code}:\n${out}\n${err}`))
    })
  })
  return {
    ...info,
    child,
    output: () => out + err,
    stop: () =>
      new Promise((ok) => {
        if (child.exitCode !== null) return ok(child.exitCode)
        child.once('exit', (code) => ok(code))
        child.kill('SIGTERM')
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref()
      }),
  }
}

/** Debian's Chromium, headless, with the flags this closed network needs. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = execFileSync('sh', [
    '-c',
    'command -v chromium || command -v chromium-browser',
  ])
    .toString()
    .trim()
  return chromium.launch({
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
}

/** Saves a screenshot under test-results/screenshots. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true })
  const path = join(SHOTS, `${name}.png`)
  // Let naive-ui's transitions (dialogs, theme) finish: a picture of a fade is no evidence.
  await page.waitForTimeout(500)
  await page.screenshot({ path, fullPage: false })
  return path
}
