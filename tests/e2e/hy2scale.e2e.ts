import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { startHy2ScaleEmulator, type Hy2ScaleEmulator } from '../../emulators/hy2scale/server'
import { launchChromium, shot, startApp, type RunningApp } from './support'

/**
 * HY2 SCALE in Chromium through the built app: add a node through the dialog (user name +
 * password), then users, sessions, WireGuard (explicit reveal, QR) and certificates, checked
 * against what the emulated node itself holds.
 */
const PASSWORD = 'e2e-Scale-pw!'

let app: RunningApp
let browser: Browser
let page: Page
let emu: Hy2ScaleEmulator

beforeAll(async () => {
  emu = await startHy2ScaleEmulator({ password: PASSWORD, nodeName: 'E2E-Scale' })
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
})

const input = (testid: string) => page.getByTestId(testid).locator('input').first()

describe('HY2 SCALE in Chromium', () => {
  it('adds an HY2 SCALE node through the dialog with its user name and password', async () => {
    await page.getByTestId('add-server').click()
    await page.getByTestId('server-kind').click()
    await page.locator('.n-base-select-option:visible', { hasText: 'HY2 SCALE' }).click()
    await input('server-name').fill('E2E-Scale')
    await input('server-url').fill(emu.url)
    await expect.poll(() => input('server-username').getAttribute('placeholder')).toBe('admin')
    await input('server-secret').fill(PASSWORD)
    await page.getByTestId('server-test').click()
    await expect
      .poll(() => page.getByTestId('server-test-result').getAttribute('data-state'), {
        timeout: 10_000,
      })
      .toBe('online')
    await page.getByTestId('server-save').click()
    await page.getByTestId('sidebar-server-E2E-Scale').click()
    await expect
      .poll(() => page.getByTestId('hy2-node-info').innerText(), { timeout: 10_000 })
      .toContain('E2E-Scale')
    await shot(page, 'hy2-01-overview')
  })

  it('creates a user, then edits it without losing its password', async () => {
    await page.getByTestId('hy2-tab-users').click()
    await page.getByTestId('hy2-user-add').click()
    await input('hy2-user-name').fill('carol')
    await input('hy2-user-password').fill('carol-pw')
    await page.getByTestId('hy2-user-save').click()
    await expect
      .poll(() => emu.users().find((u) => u.username === 'carol')?.password, { timeout: 10_000 })
      .toBe('carol-pw')
    await page.getByTestId('hy2-user-edit-carol').click()
    await input('hy2-user-limit').fill('50')
    await page.getByTestId('hy2-user-save').click()
    await expect
      .poll(() => emu.users().find((u) => u.username === 'carol')?.traffic_limit, {
        timeout: 10_000,
      })
      .toBe(50 * 1024 ** 3)
    // The node replaces whole records: the password must have been sent back unchanged.
    expect(emu.users().find((u) => u.username === 'carol')?.password).toBe('carol-pw')
    await shot(page, 'hy2-02-users')
  })

  it('kicks a live device (its key contains "|")', async () => {
    const key = emu.addDevice({ username: 'carol', ip: '198.51.100.7', protocol: 'hy2' })
    await page.getByTestId('hy2-tab-sessions').click()
    await expect
      .poll(() => page.getByTestId('hy2-sessions-table').innerText(), { timeout: 10_000 })
      .toContain('198.51.100.7')
    await page.getByTestId(`hy2-session-kick-${key}`).click()
    await page.getByTestId('hy2-sessions-confirm-ok').click()
    await expect
      .poll(() => emu.sessions().some((d) => d.key === key), { timeout: 10_000 })
      .toBe(false)
  })

  it('adds a WireGuard peer with keys made here and shows its config and QR only after an explicit reveal', async () => {
    await page.getByTestId('hy2-tab-wireguard').click()
    await page.getByTestId('hy2-wg-add-open').click()
    await input('hy2-wg-add-name').fill('phone')
    await page.getByTestId('hy2-wg-add-save').click()
    await page.getByTestId('hy2-wg-config-phone').click({ timeout: 10_000 })
    await expect(page.getByTestId('hy2-wg-qr').count()).resolves.toBe(0)
    await page.getByTestId('hy2-wg-reveal').click()
    await expect
      .poll(() => page.getByTestId('hy2-wg-config-text').innerText(), { timeout: 10_000 })
      .toContain('[Interface]')
    await page.getByTestId('hy2-wg-qr').waitFor()
    await shot(page, 'hy2-03-wireguard-qr')
    await page.keyboard.press('Escape')
  })

  it('lists the certificates with days left', async () => {
    await page.getByTestId('hy2-tab-certs').click()
    await expect
      .poll(() => page.getByTestId('hy2-certs-table').innerText(), { timeout: 10_000 })
      .toContain('default')
    await shot(page, 'hy2-04-certs')
  })
})
