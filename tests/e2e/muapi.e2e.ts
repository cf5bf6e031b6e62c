import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { startMuApiEmulator, type MuApiEmulator, type MuUser } from '../../emulators/muapi/server'
import { createPrng } from '../../emulators/hysteria2/sim'
import { muQuota } from '../../src/shared/mu-users'
import { launchChromium, SHOTS, startApp, type RunningApp } from './support'

/**
 * A Mu API v2 panel (ss-panel master, emulated) in Chromium through the built app: added through
 * the dialog with its mu key, its 1,204 users read with quota bars, searched, filtered to those
 * over quota (checked against the panel's own rows), and one node's users with their V2Ray uuid;
 * then the same view in Chinese with the dark theme.
 */
const KEY = 'e2e-mu-key-5d1f'
const GiB = 1024 ** 3
const USERS = 1204

const FIRST = ['ann', 'bo', 'chen', 'dara', 'emil', 'fatima', 'gus', 'hana', 'ivan', 'jun']
const LAST = ['lee', 'wang', 'kim', 'ng', 'park', 'li', 'garcia', 'khan', 'smith', 'ortiz']
const METHODS = ['aes-256-gcm', 'chacha20-ietf-poly1305', 'aes-128-gcm', 'rc4-md5']

/** A panel's users: mostly in use, some near or over quota, a few disabled, never used, no quota. */
function panelUsers(): Partial<MuUser>[] {
  const rnd = createPrng(42)
  const now = Math.floor(Date.now() / 1000)
  const hex = (n: number) =>
    Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('')
  return Array.from({ length: USERS }, (_, k) => {
    const i = k + 1
    const first = FIRST[k % FIRST.length] as string
    const last = LAST[Math.floor(k / FIRST.length) % LAST.length] as string
    const quota =
      i % 29 === 0 ? 0 : ([10, 50, 100, 200, 500][Math.floor(rnd() * 5)] as number) * GiB
    const never = i % 11 === 0
    const share = never
      ? 0
      : i % 13 === 0
        ? 1 + rnd() * 0.3
        : i % 7 === 0
          ? 0.8 + rnd() * 0.19
          : 0.02 + rnd() * 0.7
    const used = Math.floor((quota || 20 * 1024 ** 2) * share)
    const up = Math.floor(used * (0.08 + rnd() * 0.2))
    return {
      user_name: `${first}_${last}${i}`,
      email: `${first}.${last}${i}@example.com`,
      u: up,
      d: used - up,
      transfer_enable: quota,
      t: never ? 0 : now - Math.floor(rnd() * (i % 5 === 0 ? 9 : 1.5) * 86400),
      enable: i % 17 === 0 ? 0 : 1,
      port: 20000 + i,
      method: METHODS[i % METHODS.length] as string,
      v2ray_uuid: `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`,
      v2ray_level: i % 3,
    }
  })
}

let app: RunningApp
let browser: Browser
let page: Page
let emu: MuApiEmulator
let big: MuApiEmulator | undefined

async function snap(name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true })
  const path = join(SHOTS, `${name}.png`)
  await page.waitForTimeout(600)
  await page.screenshot({ path, style: '.n-message-container { display: none !important; }' })
  return path
}

beforeAll(async () => {
  emu = await startMuApiEmulator({ variant: 'upstream', key: KEY, users: panelUsers() })
  app = await startApp(['demo'])
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
  await emu?.close()
  await big?.close()
})

const input = (testid: string) => page.getByTestId(testid).locator('input').first()

/** Adds a Mu panel through the add dialog (kind, name, URL, key), tests and saves it, opens it. */
async function addPanel(name: string, url: string): Promise<void> {
  await page.getByTestId('add-server').click()
  await page.getByTestId('server-kind').click()
  await page.locator('.n-base-select-option:visible', { hasText: 'Mu API v2 panel' }).click()
  await input('server-name').fill(name)
  await input('server-url').fill(url)
  await input('server-secret').fill(KEY)
  await page.getByTestId('server-test').click()
  // A read of 20,000 users can take longer than the 3 s that count as "slow" (degraded) here.
  await expect
    .poll(() => page.getByTestId('server-test-result').getAttribute('data-state'), {
      timeout: 30_000,
    })
    .toMatch(/^(online|degraded)$/)
  await page.getByTestId('server-save').click()
  await page.getByTestId(`sidebar-server-${name}`).click()
  await expect
    .poll(() => page.getByTestId('muapi-panel').isVisible(), { timeout: 15_000 })
    .toBe(true)
}
const count = () => page.getByTestId('mu-users-count').innerText()
/** Quota levels of the rows in the page (the virtual list renders only what is in view). */
const levels = () =>
  page
    .locator('[data-testid="mu-users"] [data-quota-level]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-quota-level')))

describe('Mu API v2 panel in Chromium', () => {
  it('adds the panel through the dialog with its mu key', async () => {
    await page.getByTestId('add-server').click()
    await page.getByTestId('server-kind').click()
    await page.locator('.n-base-select-option:visible', { hasText: 'Mu API v2 panel' }).click()
    await input('server-name').fill('E2E-Mu')
    await input('server-url').fill(emu.apiUrl)
    await expect
      .poll(() =>
        page
          .getByTestId('server-option-keyPlacement')
          .locator('.n-radio-button--checked')
          .innerText(),
      )
      .toBe('Token header')
    await input('server-secret').fill(KEY)
    await page.getByTestId('server-test').click()
    await expect
      .poll(() => page.getByTestId('server-test-result').getAttribute('data-state'), {
        timeout: 15_000,
      })
      .toBe('online')
    await page.getByTestId('server-save').click()
    await page.getByTestId('sidebar-server-E2E-Mu').click()
    await expect
      .poll(() => page.getByTestId('muapi-panel').isVisible(), { timeout: 15_000 })
      .toBe(true)
    // the key went in the Token header, and only there
    const last = emu.requests.at(-1)
    expect(last?.headers.token).toBe('REDACTED')
    expect(last?.path).not.toContain('key=')
  })

  it('lists every user with quota bars and totals', async () => {
    await expect.poll(count, { timeout: 15_000 }).toBe('1,204 of 1,204 users')
    const panel = emu.control.users()
    const over = panel.filter(
      (u) => muQuota({ up: u.u, down: u.d, quota: u.transfer_enable }).level === 'over',
    )
    expect(await page.getByTestId('mu-total-users').innerText()).toContain('1,204')
    expect(await page.getByTestId('mu-total-over').innerText()).toContain(String(over.length))
    const first = page.locator('[data-testid="mu-users"] [data-user-id="1"]')
    await expect.poll(() => first.innerText()).toContain('ann.lee1@example.com')
    expect(await first.locator('.mu-quota__rail').count()).toBe(1)
    // a quota of 0 is "no quota", never 0 % or ∞
    await input('mu-users-search').fill('#29')
    await expect.poll(count).toBe('1 of 1,204 users')
    const none = page.locator('[data-testid="mu-users"] [data-user-id="29"]')
    expect(await none.getAttribute('data-quota-level')).toBe('none')
    expect(await none.innerText()).toContain('no quota')
    expect(await none.locator('.mu-quota__rail').count()).toBe(0)
    await input('mu-users-search').fill('')
    await expect.poll(count).toBe('1,204 of 1,204 users')
    await snap('mu-01-users')
  })

  it('searches by email, user name, id and port', async () => {
    await input('mu-users-search').fill('fatima.khan')
    // fatima (k % 10 = 5) with last name khan (k / 10 % 10 = 7): ids 76, 176, …
    await expect.poll(count).toMatch(/^1\d of 1,204 users$/)
    await input('mu-users-search').fill('20100')
    await expect.poll(count).toBe('1 of 1,204 users')
    expect(await page.locator('[data-testid="mu-users"] [data-user-id="100"]').count()).toBe(1)
    await input('mu-users-search').fill('')
  })

  it('filters the users over quota, as the panel itself counts them', async () => {
    const panel = emu.control.users()
    const over = panel.filter(
      (u) => muQuota({ up: u.u, down: u.d, quota: u.transfer_enable }).level === 'over',
    )
    await page.getByTestId('mu-users-usage-over').click()
    await expect.poll(count).toBe(`${over.length} of 1,204 users`)
    const shown = await levels()
    expect(shown.length).toBeGreaterThan(5)
    expect(new Set(shown)).toEqual(new Set(['over']))
    // sorted by usage, the fullest first
    const shares = () =>
      page
        .locator('[data-testid="mu-users"] .mu-quota__share')
        .evaluateAll((els) => els.map((e) => parseFloat(e.textContent ?? '')))
    const header = page.locator('[data-testid="mu-users"] th[data-col-key="quota"]')
    await header.click()
    await expect.poll(async () => (await shares())[0]).toBeGreaterThanOrEqual(100)
    const asc = await shares()
    if ((asc[0] ?? 0) <= (asc[asc.length - 1] ?? 0)) await header.click()
    await expect
      .poll(async () => {
        const v = await shares()
        return v.every((x, i) => i === 0 || x <= (v[i - 1] ?? 0)) && (v[0] ?? 0) > (v.at(-1) ?? 0)
      })
      .toBe(true)
    await snap('mu-02-over-quota')
    await page.getByTestId('mu-users-usage-any').click()
    await expect.poll(count).toBe('1,204 of 1,204 users')
  })

  it('shows one node’s users with their V2Ray uuid, remembering the node id', async () => {
    await page.getByTestId('mu-tab-node').click()
    await expect.poll(() => page.getByTestId('mu-node-empty').isVisible()).toBe(true)
    await input('mu-node-id').fill('3')
    await page.getByTestId('mu-node-show').click()
    await expect
      .poll(() => page.getByTestId('mu-node-users-count').innerText(), { timeout: 15_000 })
      .toBe('1,204 of 1,204 users')
    expect(await page.getByTestId('mu-node-note').innerText()).toContain('GET /nodes/3/users')
    const uuid = emu.control.users()[0]?.v2ray_uuid as string
    await expect
      .poll(() => page.locator('[data-testid="mu-node-users"] [data-user-id="1"]').innerText())
      .toContain(uuid)
    expect(emu.requests.some((r) => r.path.endsWith('/mu/v2/nodes/3/users'))).toBe(true)
    await snap('mu-03-node-users')
    // back to the users tab and again to the node: the id is remembered
    await page.getByTestId('mu-tab-users').click()
    await page.getByTestId('mu-tab-node').click()
    await expect.poll(() => input('mu-node-id').inputValue()).toBe('3')
  })

  it('reads well in Chinese with the dark theme', async () => {
    await page.getByTestId('mu-tab-users').click()
    await expect.poll(count, { timeout: 15_000 }).toBe('1,204 of 1,204 users')
    await page.getByTestId('lang-switch').click()
    await page.locator('.n-base-select-option', { hasText: '简体中文' }).click()
    await page.getByTestId('theme-switch').click()
    await page.locator('.n-base-select-option:visible', { hasText: '深色' }).click()
    await expect
      .poll(() => page.getByTestId('mu-users-count').innerText(), { timeout: 15_000 })
      .toBe('显示 1,204 个，共 1,204 个用户')
    await page.getByTestId('mu-users-usage-near').click()
    await snap('mu-05-zh-dark')
    await page.getByTestId('mu-tab-node').click()
    await expect
      .poll(() => page.getByTestId('mu-node-users-count').innerText(), { timeout: 15_000 })
      .toContain('1,204')
    await snap('mu-06-zh-dark-node')
  })

  it('keeps the last users shown, marked stale, when the panel refuses the key (last: the server then shows the failure too)', async () => {
    await page.getByTestId('mu-tab-users').click()
    await page.getByTestId('mu-users-usage-any').click()
    await expect.poll(count, { timeout: 15_000 }).toBe('显示 1,204 个，共 1,204 个用户')
    emu.control.setKey('rotated-key')
    await page.getByTestId('mu-users-refresh').click()
    await expect
      .poll(() => page.getByTestId('mu-users-stale').innerText(), { timeout: 15_000 })
      .toContain('refused the mu key')
    expect(await page.getByTestId('mu-users-stale').innerText()).toContain('E2E-Mu')
    expect(await count()).toBe('显示 1,204 个，共 1,204 个用户')
    await snap('mu-07-stale-zh-dark')
    emu.control.setKey(KEY)
    await page.getByTestId('mu-users-refresh').click()
    await expect.poll(() => page.getByTestId('mu-users-stale').count(), { timeout: 15_000 }).toBe(0)
  })

  it('stays responsive with 20,000 users: search, filter and scroll to the last one', async () => {
    big = await startMuApiEmulator({
      variant: 'upstream',
      key: KEY,
      simulate: { users: 20_000, seed: 3 },
    })
    await addPanel('E2E-Mu-Big', big.apiUrl)
    await expect.poll(count, { timeout: 60_000 }).toBe('显示 20,000 个，共 20,000 个用户')
    // the virtual list keeps the page small
    expect(await page.locator('[data-testid="mu-users"] [data-user-id]').count()).toBeLessThan(80)
    let t0 = Date.now()
    await input('mu-users-search').fill('user19999@')
    await expect.poll(count).toBe('显示 1 个，共 20,000 个用户')
    const searchMs = Date.now() - t0
    await input('mu-users-search').fill('')
    t0 = Date.now()
    await page.getByTestId('mu-users-usage-over').click()
    await expect.poll(count).toMatch(/^显示 [\d,]+ 个，共 20,000 个用户$/)
    const filterMs = Date.now() - t0
    expect(searchMs).toBeLessThan(2000)
    expect(filterMs).toBeLessThan(2000)
    await page.getByTestId('mu-users-usage-any').click()
    await expect.poll(count).toBe('显示 20,000 个，共 20,000 个用户')
    // scrolled to the bottom, the last user is rendered
    await page
      .locator('[data-testid="mu-users"] .v-vl')
      .first()
      .evaluate((el) => el.scrollTo({ top: el.scrollHeight }))
    await expect
      .poll(() => page.locator('[data-testid="mu-users"] [data-user-id="20000"]').count(), {
        timeout: 10_000,
      })
      .toBe(1)
    await snap('mu-08-20k-bottom')
  })
})
