import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { startHysteria2Emulator, type Hysteria2Emulator } from '../../emulators/hysteria2/server'
import { startMuApiEmulator, type MuApiEmulator } from '../../emulators/muapi/server'
import { launchChromium, SHOTS, startApp, type RunningApp } from './support'

/**
 * The traffic bridge in Chromium through the built app (`nodedeck serve` on a fresh data dir),
 * against its own emulators: a Hysteria 2 server whose users authenticate with the panel's emails
 * (plus guest@…, who has no panel user) and a Mu API v2 panel. Both are added through the add
 * dialog, the bridge through its dialog after a Preview that lists the unmatched name. Then:
 * the panel's counters rise by exactly the source's bytes; a report whose answer the panel drops
 * after applying it is shown being verified and is not counted twice; a lost answer whose counters
 * cannot tell (the panel's traffic was reset meanwhile) stops the bridge in "needs your decision"
 * until "The panel counted it", after which nothing is resent.
 */
const HY_SECRET = 'e2e-bridge-hy-secret'
const MU_KEY = 'e2e-bridge-mu-key'
const NODE = 3
const MiB = 1024 ** 2
const NAMES = ['alice', 'bob', 'carol'] as const
/** The panel's users before any report (ids 1, 2, 3): traffic from other nodes already counted. */
const INITIAL = {
  alice: { u: 5 * MiB, d: 50 * MiB },
  bob: { u: 0, d: 0 },
  carol: { u: 123_456, d: 7_654_321 },
}

let app: RunningApp
let browser: Browser
let page: Page
let hy: Hysteria2Emulator
let mu: MuApiEmulator
let dataDir: string
const conn: Record<string, number> = {}

async function snap(name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true })
  const path = join(SHOTS, `${name}.png`)
  await page.waitForTimeout(600)
  await page.screenshot({ path, style: '.n-message-container { display: none !important; }' })
  return path
}

/** Moves `up`/`down` bytes for a source user (opening its connection the first time). */
function move(name: string, up: number, down: number): void {
  conn[name] ??= hy.connect(name)
  const c = conn[name]
  if (c === undefined || !hy.moveTraffic(c, up, down)) throw new Error(`cannot move ${name}`)
}

/** The panel's counters of a user by name. */
function panel(name: (typeof NAMES)[number]): { u: number; d: number } {
  const u = mu.control.users().find((x) => x.email === `${name}@example.com`)
  if (!u) throw new Error(`no panel user ${name}`)
  return { u: u.u, d: u.d }
}

/** What the panel should count with rate 1: its initial counters + every source byte. */
function expected(name: (typeof NAMES)[number]): { u: number; d: number } {
  const s = hy.traffic()[`${name}@example.com`] ?? { tx: 0, rx: 0 }
  return { u: INITIAL[name].u + s.tx, d: INITIAL[name].d + s.rx }
}

const allMatch = () => NAMES.every((n) => JSON.stringify(panel(n)) === JSON.stringify(expected(n)))

beforeAll(async () => {
  hy = await startHysteria2Emulator({ secret: HY_SECRET })
  mu = await startMuApiEmulator({
    variant: 'upstream',
    key: MU_KEY,
    users: NAMES.map((n) => ({ user_name: n, email: `${n}@example.com`, ...INITIAL[n] })),
    nodes: [{ id: NODE, traffic_rate: 1 }],
  })
  move('alice@example.com', 1_000_000, 9_000_000)
  move('bob@example.com', 20_000, 30_000)
  move('carol@example.com', 777, 888)
  move('guest@example.com', 4_000, 5_000)
  dataDir = mkdtempSync(join(tmpdir(), 'nodedeck-e2e-bridge-'))
  app = await startApp(['serve'], { NODEDECK_DATA_DIR: dataDir })
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  page.on('pageerror', (err) => {
    throw err
  })
  await page.goto(app.openUrl)
})

afterAll(async () => {
  await browser?.close()
  await app?.stop()
  await hy?.close()
  await mu?.close()
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

const input = (testid: string) => page.getByTestId(testid).locator('input').first()
const card = () => page.getByTestId('bridge-card').first()
const state = () => card().getAttribute('data-state')

describe('Traffic bridge in Chromium', () => {
  it('adds the Hysteria 2 source and the Mu API panel through the add dialog', async () => {
    await page.getByTestId('add-server').click()
    await input('server-name').fill('E2E-HY2')
    await input('server-url').fill(hy.url)
    await input('server-secret').fill(HY_SECRET)
    await page.getByTestId('server-save').click()
    await expect
      .poll(() => page.getByTestId('sidebar-server-E2E-HY2').getAttribute('data-state'), {
        timeout: 15_000,
      })
      .toBe('online')

    await page.getByTestId('add-server').click()
    await page.getByTestId('server-kind').click()
    await page.locator('.n-base-select-option:visible', { hasText: 'Mu API v2 panel' }).click()
    await input('server-name').fill('E2E-Mu')
    await input('server-url').fill(mu.apiUrl)
    await input('server-secret').fill(MU_KEY)
    await page.getByTestId('server-save').click()
    await expect
      .poll(() => page.getByTestId('sidebar-server-E2E-Mu').getAttribute('data-state'), {
        timeout: 15_000,
      })
      .toBe('online')
  })

  it('creates a bridge through its dialog after a Preview that lists the unmatched name', async () => {
    await page.getByTestId('tab-bridges').click()
    await expect.poll(() => page.getByTestId('bridges-empty').isVisible()).toBe(true)
    await page.getByTestId('bridge-add').click()
    await page.getByTestId('bridge-source').click()
    await page.locator('.n-base-select-option:visible', { hasText: 'E2E-HY2' }).click()
    // The only panel is chosen already.
    await expect.poll(() => page.getByTestId('bridge-panel').innerText()).toContain('E2E-Mu')
    await input('bridge-node').fill(String(NODE))
    await page.getByTestId('bridge-rule-email').click()
    await input('bridge-interval').fill('10')
    await input('bridge-settle').fill('4')
    await page.getByTestId('bridge-preview-btn').click()
    await expect
      .poll(() => page.getByTestId('bridge-preview-summary').innerText(), { timeout: 15_000 })
      .toContain('3 of 4 source users match a panel user.')
    expect(await page.getByTestId('bridge-preview-unmatched-name').allInnerTexts()).toEqual([
      'guest@example.com',
    ])
    const matched = await page
      .locator('[data-testid="bridge-preview-match"]')
      .evaluateAll((rows) =>
        rows.map((r) => [r.getAttribute('data-name'), r.getAttribute('data-user')]),
      )
    expect(matched).toEqual([
      ['alice@example.com', '1'],
      ['bob@example.com', '2'],
      ['carol@example.com', '3'],
    ])
    // Nothing was sent by the preview.
    expect(mu.control.reportedTraffic()).toEqual([])
    await page.getByTestId('bridge-preview').evaluate((el) => el.scrollIntoView({ block: 'end' }))
    await snap('bridge-01-add-preview')
    await page.getByTestId('bridge-save').click()
    await expect.poll(() => page.getByTestId('bridge-card').count(), { timeout: 10_000 }).toBe(1)
  })

  it('reports exactly the source’s bytes to the panel, in one batch, plus the online count', async () => {
    await expect.poll(allMatch, { timeout: 20_000 }).toBe(true)
    const reports = mu.control.reportedTraffic()
    expect(reports[0]?.kind).toBe('node')
    expect(reports[0]?.nodeId).toBe(NODE)
    expect(reports[0]?.items.map((i) => i.userId).sort()).toEqual([1, 2, 3])
    // The unmatched name waits in the journal; its bytes are shown, never sent.
    await expect
      .poll(() => card().getByTestId('bridge-unmatched').getAttribute('data-count'))
      .toBe('1')
    expect(await card().getByTestId('bridge-unmatched-name').innerText()).toBe('guest@example.com')
    await expect
      .poll(() => card().getByTestId('bridge-last-report').innerText(), { timeout: 15_000 })
      .toContain('3 users')
    const acked = card().getByTestId('bridge-acked').locator('[data-u]')
    await expect.poll(() => acked.getAttribute('data-u')).toBe(String(1_000_000 + 20_000 + 777))
    expect(await acked.getAttribute('data-d')).toBe(String(9_000_000 + 30_000 + 888))
    // The online count: the source's users online, reported to the node.
    await expect
      .poll(() => mu.control.onlineReports().length, { timeout: 15_000 })
      .toBeGreaterThan(0)
    const online = mu.control.onlineReports().at(-1)
    expect(online?.nodeId).toBe(String(NODE))
    await expect
      .poll(() => card().getByTestId('bridge-online').innerText())
      .toContain(`${online?.count} online`)

    // More traffic, "Run now": the panel follows byte for byte.
    move('alice@example.com', 333_333, 4_444_444)
    move('carol@example.com', 1, 2)
    await card().getByTestId('bridge-run').click()
    await expect.poll(allMatch, { timeout: 20_000 }).toBe(true)
    await expect.poll(state, { timeout: 15_000 }).toBe('idle')
    await snap('bridge-02-list')
  })

  it('verifies a report whose answer was lost after the panel applied it, and never counts it twice', async () => {
    await expect.poll(state, { timeout: 15_000 }).toBe('idle')
    move('alice@example.com', 2 * MiB, 3 * MiB)
    mu.control.failNext('dropAfterApply', { route: 'nodeTraffic' })
    await card().getByTestId('bridge-run').click()
    await expect
      .poll(() => card().getByTestId('bridge-verifying').isVisible(), { timeout: 20_000 })
      .toBe(true)
    expect(await card().getByTestId('bridge-verifying').innerText()).toMatch(
      /answer to batch #\d+ was lost/,
    )
    // The panel did count it.
    expect(mu.control.reportedTraffic().at(-1)?.outcome).toBe('dropAfterApply')
    expect(allMatch()).toBe(true)
    await snap('bridge-03-verifying')
    // After the settle time, the counters show it was applied: acknowledged, not resent.
    await expect
      .poll(() => card().getByTestId('bridge-verifying').count(), { timeout: 30_000 })
      .toBe(0)
    await expect.poll(state, { timeout: 20_000 }).toBe('idle')
    await page.waitForTimeout(11_000) // one more interval: nothing is sent again
    expect(allMatch()).toBe(true)
    const applied = mu.control
      .reportedTraffic()
      .flatMap((r) => r.items.filter((i) => i.applied && i.userId === 1))
      .reduce((a, i) => ({ u: a.u + i.u, d: a.d + i.d }), { u: 0, d: 0 })
    const s = hy.traffic()['alice@example.com']
    expect(applied).toEqual({ u: s?.tx, d: s?.rx })
    expect(
      await card().getByTestId('bridge-acked').locator('[data-u]').getAttribute('data-u'),
    ).toBe(String(1_000_000 + 20_000 + 777 + 333_333 + 1 + 2 * MiB))
  })

  it('stops in "needs your decision" when the counters cannot tell, until the admin decides', async () => {
    await expect.poll(state, { timeout: 15_000 }).toBe('idle')
    const before = mu.control.reportedTraffic().length
    move('bob@example.com', 1 * MiB, 2 * MiB)
    mu.control.failNext('dropAfterApply', { route: 'nodeTraffic' })
    await card().getByTestId('bridge-run').click()
    await expect
      .poll(() => mu.control.reportedTraffic().length, { timeout: 20_000 })
      .toBeGreaterThan(before)
    expect(mu.control.reportedTraffic().at(-1)?.outcome).toBe('dropAfterApply')
    // The panel's traffic is reset before the bridge could verify: its counters cannot tell.
    mu.control.setUser(2, { u: 0, d: 0 })
    await expect.poll(state, { timeout: 30_000 }).toBe('needs_attention')
    const attention = card().getByTestId('bridge-attention')
    await expect.poll(() => attention.isVisible()).toBe(true)
    const bob = card().locator('[data-testid="bridge-attention-item"][data-user="2"]')
    expect(await bob.getAttribute('data-verdict')).toBe('unclear')
    expect(await card().getByTestId('bridge-run').isDisabled()).toBe(true)
    // Nothing is sent while it waits.
    const sent = mu.control.reportedTraffic().length
    await page.waitForTimeout(11_000)
    expect(mu.control.reportedTraffic().length).toBe(sent)
    // The tab's own scroll area, not the window (the shell does not scroll).
    await card().evaluate((el) => {
      let box = el.parentElement
      while (box && box.scrollHeight <= box.clientHeight + 1) box = box.parentElement
      if (box) box.scrollTop += el.getBoundingClientRect().top - box.getBoundingClientRect().top
    })
    await snap('bridge-04-attention')

    // The fleet shows it too, and so does the source's own tab.
    await page.getByTestId('tab-fleet').click()
    const badge = page.locator('[data-testid="bridge-badge"][data-state="needs_attention"]')
    await expect.poll(() => badge.count()).toBe(1)
    expect(await badge.innerText()).toBe('E2E-HY2 → E2E-Mu node 3 — needs your decision')
    await snap('bridge-05-fleet-badges')
    await page.getByTestId('tab-server-E2E-HY2').click()
    await expect
      .poll(() => page.getByTestId('bridge-badge').innerText())
      .toBe('Bridged to E2E-Mu node 3 — needs your decision')
    await snap('bridge-06-source-header')
    await page.getByTestId('tab-bridges').click()

    // The admin checked the panel: it did count it.
    await card().getByTestId('bridge-resolve-applied').click()
    await expect
      .poll(() => page.getByTestId('bridge-resolve-confirm').innerText())
      .toContain('is never reported')
    await snap('bridge-07-resolve-confirm')
    await page.getByTestId('bridge-resolve-confirm-ok').click()
    await expect.poll(state, { timeout: 20_000 }).toBe('idle')
    await page.waitForTimeout(11_000)
    // Not resent: no report since holds bob, whose counters stay as the reset left them.
    const since = mu.control.reportedTraffic().slice(sent)
    expect(since.flatMap((r) => r.items.filter((i) => i.userId === 2))).toEqual([])
    expect(panel('bob')).toEqual({ u: 0, d: 0 })
    expect(panel('alice')).toEqual(expected('alice'))
  })

  it('reads well in Chinese with the dark theme', async () => {
    await page.getByTestId('lang-switch').click()
    await page.locator('.n-base-select-option', { hasText: '简体中文' }).click()
    await page.getByTestId('theme-switch').click()
    await page.locator('.n-base-select-option:visible', { hasText: '深色' }).click()
    await expect.poll(() => page.getByTestId('tab-bridges').innerText()).toContain('桥接')
    await snap('bridge-08-zh-dark')
    await card().getByTestId('bridge-edit').click()
    await expect.poll(() => page.getByTestId('bridge-dialog').isVisible()).toBe(true)
    await page.getByTestId('bridge-preview-btn').click()
    await expect
      .poll(() => page.getByTestId('bridge-preview-summary').innerText(), { timeout: 15_000 })
      .toContain('4 个源用户中有 3 个匹配到面板用户')
    await snap('bridge-09-zh-dark-edit')
    await page.getByTestId('bridge-cancel').click()
  })

  it('refuses to remove a bridge whose journal holds bytes, and forces only after a second confirmation', async () => {
    await card().getByTestId('bridge-remove').click()
    // guest@example.com's bytes are still in the journal (unmatched).
    await expect.poll(() => page.getByTestId('bridge-remove-dialog').isVisible()).toBe(true)
    await page.getByTestId('bridge-remove-dialog-ok').click()
    await expect.poll(() => page.getByTestId('bridge-remove-force').isVisible()).toBe(true)
    expect(await page.getByTestId('bridge-remove-force-ok').isDisabled()).toBe(true)
    await page.getByTestId('bridge-remove-force-ack').click()
    await snap('bridge-10-remove-force')
    expect(await page.getByTestId('bridge-card').count()).toBe(1)
    await page.getByTestId('bridge-remove-force-ok').click()
    await expect
      .poll(() => page.getByTestId('bridges-empty').isVisible(), { timeout: 10_000 })
      .toBe(true)
    // The unmatched bytes were never sent: no report names a user the panel does not have.
    const ids = new Set(mu.control.users().map((u) => u.id))
    expect(
      mu.control.reportedTraffic().every((r) => r.items.every((i) => ids.has(i.userId ?? -1))),
    ).toBe(true)
  })
})
