import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { startHysteria2Emulator, type Hysteria2Emulator } from '../../emulators/hysteria2/server'
import { launchChromium, shot, startApp, type RunningApp } from './support'

/**
 * Alerts in Chromium through the built app (`nodedeck serve` on a fresh data directory whose
 * config lists four Hysteria 2 emulators polled every 2 s): one server going silent raises
 * exactly one "offline" notice (centre + page notification), its return exactly one "back
 * online"; three servers of group Tokyo going silent together raise ONE grouped notice naming
 * the count and the group, and their return one grouped recovery.
 */
const SOLO = 'Solo-1'
const TOKYO = ['Tokyo-1', 'Tokyo-2', 'Tokyo-3']

let app: RunningApp
let browser: Browser
let context: BrowserContext
let page: Page
let dataDir: string
const emus = new Map<string, Hysteria2Emulator>()

/** Page notifications, captured: `new Notification(title, { body })` is recorded, not shown. */
const CAPTURE_NOTIFICATIONS = `(() => {
  const notes = []
  window.__notes = notes
  class FakeNotification {
    static permission = 'granted'
    static requestPermission() { return Promise.resolve('granted') }
    constructor(title, opts) { notes.push({ title, body: (opts && opts.body) || '' }) }
    close() {}
  }
  window.Notification = FakeNotification
})()`

beforeAll(async () => {
  for (const name of [SOLO, ...TOKYO]) emus.set(name, await startHysteria2Emulator())
  dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-e2e-alerts-'))
  const servers = [...emus.entries()].map(([name, emu], i) => ({
    id: `e2e-alert-${i}`,
    kind: 'hysteria2',
    name,
    url: emu.url,
    group: name.startsWith('Tokyo') ? 'Tokyo' : '',
    tags: [],
    pollIntervalSec: 2,
    tls: {},
    options: {},
    createdAt: Date.now(),
  }))
  writeFileSync(
    join(dataDir, 'config.json'),
    JSON.stringify({
      version: 1,
      servers,
      settings: { locale: 'en-US', theme: 'light' },
      bridges: [],
    }),
  )
  app = await startApp(['serve'], { NODEDECK_DATA_DIR: dataDir })
  browser = await launchChromium()
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } })
  await context.addInitScript(CAPTURE_NOTIFICATIONS)
  page = await context.newPage()
  page.on('pageerror', (err) => {
    throw err
  })
  await page.goto(app.openUrl)
})

afterAll(async () => {
  await browser?.close()
  await app?.stop()
  for (const emu of emus.values()) await emu.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

const stateOf = (name: string) =>
  page.getByTestId(`sidebar-server-${name}`).getAttribute('data-state')

/** Titles of the notices in the centre (bell), newest first. */
async function centreTitles(): Promise<string[]> {
  return page.getByTestId('notice-title').allInnerTexts()
}

async function openBell(): Promise<void> {
  // The bell's own open state, not what is on screen: a centre still fading out after a click
  // inside it looks open for a moment on a loaded machine, and a click then would close it.
  const bell = page.getByTestId('notices-bell')
  if ((await bell.getAttribute('data-open')) !== 'true') await bell.click()
  await expect.poll(() => bell.getAttribute('data-open')).toBe('true')
  await page.getByTestId('notices-panel').waitFor()
}

async function closeBell(): Promise<void> {
  await page.keyboard.press('Escape')
  await page.mouse.click(700, 600)
}

/** Page notifications captured so far. */
function pageNotes(): Promise<Array<{ title: string; body: string }>> {
  return page.evaluate('window.__notes') as Promise<Array<{ title: string; body: string }>>
}

const emu = (name: string) => emus.get(name) as Hysteria2Emulator

describe('Alerts in Chromium', () => {
  it('starts with every server online and no alert', async () => {
    for (const name of [SOLO, ...TOKYO]) {
      await expect.poll(() => stateOf(name), { timeout: 20_000 }).toBe('online')
    }
    await openBell()
    expect(await centreTitles()).toEqual([])
    await closeBell()
  })

  it('a server going silent raises exactly one offline notice; its return one recovery', async () => {
    emu(SOLO).setMode('silent')
    await expect.poll(() => stateOf(SOLO), { timeout: 20_000 }).toBe('offline')
    await openBell()
    await expect.poll(centreTitles, { timeout: 15_000 }).toEqual([`${SOLO} is offline`])
    await expect
      .poll(pageNotes, { timeout: 5_000 })
      .toEqual([{ title: `${SOLO} is offline`, body: expect.stringContaining('did not answer') }])
    // Still down several polls later: no second notice.
    await page.waitForTimeout(6_000)
    expect(await centreTitles()).toEqual([`${SOLO} is offline`])
    await shot(page, 'alerts-01-offline')

    emu(SOLO).setMode('normal')
    await expect.poll(() => stateOf(SOLO), { timeout: 20_000 }).toBe('online')
    await expect
      .poll(centreTitles, { timeout: 15_000 })
      .toEqual([`${SOLO} is back online`, `${SOLO} is offline`])
    await page.waitForTimeout(5_000)
    expect(await centreTitles()).toHaveLength(2)
    expect((await pageNotes()).map((n) => n.title)).toEqual([
      `${SOLO} is offline`,
      `${SOLO} is back online`,
    ])
    await shot(page, 'alerts-02-recovered')
    await closeBell()
  })

  it('three servers of one group going down together raise ONE grouped notice', async () => {
    for (const name of TOKYO) emu(name).setMode('silent')
    for (const name of TOKYO) {
      await expect.poll(() => stateOf(name), { timeout: 20_000 }).toBe('offline')
    }
    await openBell()
    const grouped = '3 servers offline — 3 in group Tokyo'
    await expect.poll(async () => (await centreTitles())[0], { timeout: 15_000 }).toBe(grouped)
    await page.waitForTimeout(5_000)
    const titles = await centreTitles()
    expect(titles.filter((t) => t === grouped)).toHaveLength(1)
    // No single notice for any of them.
    expect(titles.filter((t) => TOKYO.some((name) => t.startsWith(name)))).toEqual([])
    const notes = await pageNotes()
    expect(notes.filter((n) => n.title === grouped)).toHaveLength(1)
    // The body lists them, in the order of their changes.
    expect(notes.at(-1)?.body.split(', ').sort()).toEqual(TOKYO)
    // Expanded, it lists the servers, each a link to its tab.
    await page.locator('[data-testid="notice-item"][data-kind="group"]').first().click()
    for (const name of TOKYO) await page.getByTestId(`notice-server-${name}`).waitFor()
    await shot(page, 'alerts-03-grouped')
    await page.getByTestId('notice-server-Tokyo-2').click()
    await page.getByTestId('server-name-title').filter({ hasText: 'Tokyo-2' }).waitFor()

    // Leave its tab (a watched server is polled faster and would recover alone, early).
    await page.getByTestId('tab-alerts').click()
    for (const name of TOKYO) emu(name).setMode('normal')
    await openBell()
    await expect
      .poll(async () => (await centreTitles())[0], { timeout: 60_000 })
      .toBe('3 servers back online — 3 in group Tokyo')
    expect((await centreTitles()).filter((t) => TOKYO.some((n) => t.startsWith(n)))).toEqual([])
    await closeBell()
  })

  it('lists every alert in the Alerts tab, filtered by server', async () => {
    await page.getByTestId('tab-alerts').click()
    const rows = page.getByTestId('alert-table').locator('tbody tr[data-testid="alert-row"]')
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(4)
    expect(
      await page
        .getByTestId('alert-table')
        .locator('tbody tr')
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-kind'))),
    ).toEqual(['group', 'group', 'recovered', 'offline'])
    await shot(page, 'alerts-04-history')
    await page.getByTestId('alert-filter-server').click()
    await page.locator('.n-base-select-option:visible', { hasText: 'Tokyo-1' }).click()
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2)
  })

  it('a muted server goes to the centre marked muted, with no page notification', async () => {
    await page.getByTestId(`sidebar-server-${SOLO}`).click()
    await page.getByTestId('server-mute').click()
    await expect.poll(() => page.getByTestId('server-mute').getAttribute('data-muted')).toBe('true')
    await page.getByTestId('tab-alerts').click()
    await page.getByTestId(`muted-${SOLO}`).waitFor()
    const before = (await pageNotes()).length
    emu(SOLO).setMode('silent')
    await expect.poll(() => stateOf(SOLO), { timeout: 20_000 }).toBe('offline')
    await openBell()
    const first = page.getByTestId('notice-item').first()
    await expect
      .poll(() => first.getByTestId('notice-title').innerText(), { timeout: 10_000 })
      .toContain(`${SOLO} is offline`)
    expect(await first.locator('[data-flag="muted"]').count()).toBe(1)
    await page.waitForTimeout(2_000)
    expect(await pageNotes()).toHaveLength(before)
    await shot(page, 'alerts-05-muted')
    await closeBell()
    emu(SOLO).setMode('normal')
  })
})
