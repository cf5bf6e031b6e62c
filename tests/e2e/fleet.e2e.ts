import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { startHy2ScaleEmulator, type Hy2ScaleEmulator } from '../../emulators/hy2scale/server'
import { fakePubkey, startWgMonEmulator, type WgMonEmulator } from '../../emulators/wgmon/server'
import { launchChromium, shot, startApp, type RunningApp } from './support'

/**
 * The fleet view (issue 7) on the demo fleet, in Chromium against the built browser host: totals
 * and state chips, sorting, filtering, the group toggle and the card grid; then the search for a
 * user across every server — by name, by WireGuard public key and by IP — on a WireGuard monitor
 * and an HY2 SCALE node added through the dialog, and the jump from a result to the user in that
 * server's tab.
 */
let app: RunningApp
let browser: Browser
let page: Page
let emu: WgMonEmulator
let scale: Hy2ScaleEmulator
const SCALE_PASSWORD = 'fleet-Scale-pw!'
let rand = 0xf1ee7
const prng = () => {
  rand = (rand * 48271) % 2147483647
  return rand / 2147483647
}
const KEY = fakePubkey(prng)

beforeAll(async () => {
  emu = await startWgMonEmulator({ variant: 'upstream' })
  emu.control.createUser({ peer_pubkey: KEY, nickname: 'zelda-fleet', mail: 'zelda@example.org' })
  emu.control.createUser({ peer_pubkey: fakePubkey(prng), nickname: 'link-fleet' })
  // HY2 SCALE lists its live devices with their client address.
  scale = await startHy2ScaleEmulator({ password: SCALE_PASSWORD, nodeName: 'Fleet-Scale' })
  scale.addDevice({ username: 'ganon-scale', ip: '198.51.100.77', protocol: 'hy2' })
  app = await startApp(['demo'])
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  page.on('pageerror', (err) => {
    throw err
  })
  await page.goto(app.openUrl)
})

afterAll(async () => {
  await browser?.close()
  await app?.stop()
  await emu?.close()
  await scale?.close()
})

const table = () => page.getByTestId('fleet-table')
/** Server names of the table's rows, top to bottom (the rows in the DOM: all 10 fit). */
const shownNames = () =>
  table()
    .locator('[data-server]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-server')))

describe('fleet view', () => {
  it('shows every server with totals, live figures and state chips', async () => {
    await table().locator('[data-server="Tokyo-1"]').waitFor()
    expect(await page.getByTestId('fleet-total-servers').innerText()).toBe('10')
    // Live figures arrive with the summary deltas: online users of a Hysteria 2 server.
    await expect
      .poll(
        () => table().locator('[data-server="Tokyo-1"] [data-testid=fleet-online]').innerText(),
        {
          timeout: 20_000,
        },
      )
      .toMatch(/^\d+$/)
    await expect
      .poll(() => page.getByTestId('fleet-total-online').innerText(), { timeout: 20_000 })
      .toMatch(/\d/)
    // Mu API panels do not report devices: unknown, never 0.
    expect(
      await table().locator('[data-server="Shanghai-Mu"] [data-unknown=true]').first().isVisible(),
    ).toBe(true)
    await expect
      .poll(() => table().locator('[data-server="Singapore-4"]').innerText(), { timeout: 20_000 })
      .toMatch(/offline/i)
    await shot(page, 'fleet-01-table')
  })

  it('filters by a state chip, by text, and clears', async () => {
    await page.getByTestId('fleet-count-offline').click()
    await expect.poll(shownNames).toEqual(['Singapore-4'])
    await page.getByTestId('fleet-count-offline').click()
    await expect.poll(async () => (await shownNames()).length).toBe(10)
    await page.getByTestId('fleet-filter').locator('input').fill('tokyo')
    await expect.poll(shownNames).toEqual(['Tokyo-1'])
    await page.getByTestId('fleet-filter-clear').click()
    await expect.poll(async () => (await shownNames()).length).toBe(10)
  })

  it('sorts by a column, both ways', async () => {
    await page.getByTestId('vt-sort-name').click()
    const asc = await shownNames()
    expect(asc[0]).toBe('Busan-5')
    expect(asc).toEqual([...asc].sort((a, b) => String(a).localeCompare(String(b))))
    await page.getByTestId('vt-sort-name').click()
    await expect.poll(async () => (await shownNames())[0]).toBe('Tokyo-1')
    expect(await page.getByTestId('vt-sort-name').getAttribute('aria-sort')).toBe('descending')
  })

  it('groups servers under collapsible group headers with totals', async () => {
    await page.getByTestId('fleet-group-toggle').click()
    const asia = page.getByTestId('fleet-group-Asia')
    await asia.waitFor()
    expect(await asia.innerText()).toMatch(/Asia[\s\S]*6 servers/)
    await shot(page, 'fleet-02-grouped')
    await asia.click()
    await expect.poll(async () => (await shownNames()).includes('Tokyo-1')).toBe(false)
    await asia.click()
    await expect.poll(async () => (await shownNames()).includes('Tokyo-1')).toBe(true)
    await page.getByTestId('fleet-group-toggle').click()
  })

  it('shows the same servers as a card grid', async () => {
    await page.getByTestId('fleet-mode-cards').click()
    await expect.poll(() => page.getByTestId('fleet-card').count()).toBe(10)
    expect(
      await page.locator('[data-testid=fleet-card][data-server="Singapore-4"]').innerText(),
    ).toMatch(/offline/i)
    await shot(page, 'fleet-03-cards')
    await page.getByTestId('fleet-mode-table').click()
    await table().waitFor()
  })
})

describe('user search across servers', () => {
  it('adds a WireGuard monitor whose users the search will find', async () => {
    await page.getByTestId('add-server').click()
    await page.getByTestId('server-kind').click()
    await page.locator('.n-base-select-option:visible', { hasText: 'WireGuard monitor' }).click()
    await page.getByTestId('server-name').locator('input').fill('Fleet-WG')
    await page.getByTestId('server-url').locator('input').fill(emu.url)
    await page.getByTestId('server-save').click()
    await page.getByTestId('server-dialog').waitFor({ state: 'hidden' })
    await page.getByTestId('tab-fleet').click()
    await table().locator('[data-server="Fleet-WG"]').waitFor()
  })

  const search = (q: string) => page.getByTestId('fleet-user-search').locator('input').fill(q)
  const hit = (user: string) =>
    page.locator(`[data-testid=fleet-user-table] [data-user="${user}"][data-server="Fleet-WG"]`)

  it('finds a user by name, among users of every server', async () => {
    await search('fleet')
    await expect.poll(() => hit('zelda-fleet').count(), { timeout: 20_000 }).toBe(1)
    expect(await hit('link-fleet').count()).toBe(1)
    expect(await page.getByTestId('fleet-user-count').innerText()).toMatch(/2 users/)
    // Users of the demo's servers are found too (by name, any case).
    await search('ALICE')
    await expect
      .poll(() => page.locator('[data-testid=fleet-user-table] [data-user=alice]').count())
      .toBeGreaterThan(1)
    await shot(page, 'fleet-04-search-name')
  })

  it('finds a user by a part of their WireGuard public key, and jumps to them', async () => {
    await search(KEY.slice(3, 20).toLowerCase())
    await expect.poll(() => hit('zelda-fleet').count(), { timeout: 10_000 }).toBe(1)
    expect(await hit('zelda-fleet').innerText()).toContain(KEY)
    expect(await page.getByTestId('fleet-user-count').innerText()).toMatch(/^1 user/)
    await hit('zelda-fleet').getByTestId('fleet-hit-open').click()
    // The server's tab, its users table searching for the user's key: only that user.
    await page.getByTestId('tab-server-Fleet-WG').waitFor()
    await expect
      .poll(() => page.getByTestId('wg-users-search').locator('input').inputValue())
      .toBe(KEY)
    const rows = page.locator('[data-testid="wg-users-table"] tr[data-user]')
    await expect
      .poll(() => rows.evaluateAll((r) => r.map((x) => x.getAttribute('data-user'))), {
        timeout: 15_000,
      })
      .toEqual(['zelda-fleet'])
    await shot(page, 'fleet-05-jump')
  })

  it('finds a user by the IP of a live session (prefix), and jumps to their server', async () => {
    await page.getByTestId('add-server').click()
    await page.getByTestId('server-kind').click()
    await page.locator('.n-base-select-option:visible', { hasText: 'HY2 SCALE' }).click()
    await page.getByTestId('server-name').locator('input').fill('Fleet-Scale')
    await page.getByTestId('server-url').locator('input').fill(scale.url)
    await page.getByTestId('server-secret').locator('input').fill(SCALE_PASSWORD)
    await page.getByTestId('server-save').click()
    await page.getByTestId('server-dialog').waitFor({ state: 'hidden' })
    await page.getByTestId('tab-fleet').click()
    await search('198.51.100.')
    const ipHit = page.locator(
      '[data-testid=fleet-user-table] [data-user="ganon-scale"][data-server="Fleet-Scale"]',
    )
    await expect
      .poll(() => ipHit.innerText().catch(() => ''), { timeout: 20_000 })
      .toContain('IP\n198.51.100.77')
    // A prefix, not any part: the middle of an address finds nothing.
    await search('51.100.77')
    await expect
      .poll(() => page.getByTestId('fleet-user-count').innerText(), { timeout: 10_000 })
      .toMatch(/No user/)
    await search('198.51.100.')
    await ipHit.waitFor()
    await shot(page, 'fleet-06-search-ip')
    await ipHit.getByTestId('fleet-hit-open').click()
    await page.getByTestId('tab-server-Fleet-Scale').waitFor()
    await expect
      .poll(() => page.getByTestId('hy2-users-search').locator('input').inputValue(), {
        timeout: 10_000,
      })
      .toBe('ganon-scale')
  })
})
