import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import {
  simXrayConfig,
  startPasarGuardEmulator,
  type PasarGuardEmulator,
} from '../../emulators/pasarguard/server'
import { launchChromium, SHOTS, startApp, type RunningApp } from './support'

/**
 * A PasarGuard node (gRPC, self-signed certificate) in Chromium through the built app: added
 * through the dialog with trust on first use (the fingerprint is fetched by a handshake that sends
 * no request — the emulated node records none — and pinned only after "Trust"), the core started
 * from the "core stopped" state, the live log followed and filtered, one user synced, and that
 * user's traffic shown; each checked against what the emulated node itself holds.
 */
const API_KEY = '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b'
const EMAIL = 'e2e-user@example.com'
const GiB = 1024 ** 3

let app: RunningApp
let browser: Browser
let page: Page
let emu: PasarGuardEmulator

async function snap(name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true })
  const path = join(SHOTS, `${name}.png`)
  await page.waitForTimeout(500)
  await page.screenshot({ path, style: '.n-message-container { display: none !important; }' })
  return path
}

beforeAll(async () => {
  emu = await startPasarGuardEmulator({ protocol: 'grpc', apiKey: API_KEY })
  app = await startApp(['demo'])
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true })
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
const textarea = (testid: string) => page.getByTestId(testid).locator('textarea').first()

describe('PasarGuard node in Chromium', () => {
  it('adds a gRPC node, pinning its self-signed certificate only after an explicit trust', async () => {
    await page.getByTestId('add-server').click()
    await page.getByTestId('server-kind').click()
    await page.locator('.n-base-select-option:visible', { hasText: 'PasarGuard node' }).click()
    await input('server-name').fill('E2E-PG')
    await input('server-url').fill(emu.url)
    await page.getByTestId('tls-fetch').click()
    await expect
      .poll(() => page.getByTestId('tls-cert-fingerprint').innerText(), { timeout: 10_000 })
      .toBe(emu.fingerprintSha256)
    // The certificate was read by a handshake alone: no request reached the node.
    expect(emu.requests).toEqual([])
    await expect.poll(() => page.getByTestId('tls-fingerprint').count()).toBe(0)
    await snap('pg-01-trust-on-first-use')
    await page.getByTestId('tls-trust').click()
    await expect.poll(() => input('tls-fingerprint').inputValue()).toBe(emu.fingerprintSha256)
    await expect
      .poll(() =>
        page.getByTestId('server-option-transport').locator('.n-radio-button--checked').innerText(),
      )
      .toBe('gRPC')
    await input('server-secret').fill(API_KEY)
    await page.getByTestId('server-test').click()
    // Reachable, key accepted, no backend yet: degraded with "core stopped", never offline.
    await expect
      .poll(() => page.getByTestId('server-test-result').getAttribute('data-state'), {
        timeout: 15_000,
      })
      .toBe('degraded')
    expect(emu.requests.every((r) => r.transport === 'grpc' && r.apiKey === API_KEY)).toBe(true)
    await page.getByTestId('server-save').click()
    await page.getByTestId('sidebar-server-E2E-PG').click()
    await expect
      .poll(() => page.getByTestId('pg-core-stopped').isVisible(), { timeout: 15_000 })
      .toBe(true)
  })

  it('starts the core from the "core stopped" state with an Xray config', async () => {
    await page.getByTestId('pg-core-start').click()
    await textarea('pg-start-config').fill(JSON.stringify(JSON.parse(simXrayConfig()), null, 2))
    await expect.poll(() => page.getByTestId('pg-start-json-ok').count()).toBe(1)
    await page.getByTestId('pg-start-submit').click()
    await expect
      .poll(() => emu.control.backend()?.coreRunning ?? false, { timeout: 15_000 })
      .toBe(true)
    await expect
      .poll(() => page.getByTestId('pg-core-state').innerText(), { timeout: 15_000 })
      .toMatch(/running/i)
    await expect
      .poll(() => page.getByTestId('pg-core-version').innerText(), { timeout: 10_000 })
      .toContain('25.')
    await page.waitForTimeout(4000)
    await snap('pg-02-overview')
  })

  it('follows the live log, filters it, and counts what arrived', async () => {
    await page.getByTestId('pg-tab-logs').click()
    await expect
      .poll(() => page.getByTestId('log-stream-state').innerText(), { timeout: 15_000 })
      .toMatch(/live/i)
    emu.control.setLogRate(400)
    await expect
      .poll(
        async () => Number((await page.getByTestId('log-count').innerText()).replace(/\D/g, '')),
        {
          timeout: 15_000,
        },
      )
      .toBeGreaterThan(300)
    emu.control.emitLog(
      Array.from(
        { length: 7 },
        (_, i) =>
          `2026/11/23 12:00:0${i}.000000 [Warning] [42] app/dispatcher: e2e-marker ${i} blocked`,
      ),
    )
    await input('log-search').fill('e2e-marker')
    await expect
      .poll(() => page.getByTestId('log-matching').innerText(), { timeout: 10_000 })
      .toMatch(/\b7\b/)
    const shown = await page.getByTestId('log-list').innerText()
    expect(shown).toContain('e2e-marker 6 blocked')
    expect(shown).not.toContain('accepted tcp:')
    emu.control.setLogRate(0)
    await snap('pg-03-logs')
  })

  it('syncs one user to the node, then shows its traffic', async () => {
    await page.getByTestId('pg-tab-users').click()
    await input('pg-user-email').fill(EMAIL)
    await page.getByTestId('pg-user-inbounds').click()
    await page.keyboard.type('vless-in')
    await page.keyboard.press('Enter')
    await page.keyboard.press('Escape')
    // VLESS is on by default (the usual PasarGuard inbound).
    await page.getByTestId('pg-user-gen-vless').click()
    await page.getByTestId('pg-user-sync-btn').click()
    await expect
      .poll(() => emu.control.backend()?.users.has(EMAIL) ?? false, { timeout: 10_000 })
      .toBe(true)
    const user = emu.control.backend()?.users.get(EMAIL)
    expect(user?.inbounds).toEqual(['vless-in'])
    expect(user?.proxies?.vless?.id).toMatch(/^[0-9a-f-]{36}$/)
    await snap('pg-04-users')

    emu.control.addTraffic('user', EMAIL, 3 * GiB, 41 * GiB)
    emu.control.setOnline(EMAIL, 2, { '203.0.113.9': Math.floor(Date.now() / 1000) })
    await page.getByTestId('pg-tab-traffic').click()
    await expect
      .poll(() => page.getByTestId('pg-users-table').innerText(), { timeout: 20_000 })
      .toContain(EMAIL)
    await expect
      .poll(() => page.getByTestId('pg-users-table').innerText(), { timeout: 20_000 })
      .toContain('41')
    await snap('pg-05-traffic')
  })

  it('shows the demo fleet’s running node: live charts and the unfiltered log, level-coloured', async () => {
    await page.getByTestId('sidebar-server-Istanbul-PG').click()
    await expect
      .poll(() => page.getByTestId('pg-core-state').innerText(), { timeout: 15_000 })
      .toMatch(/running/i)
    await expect.poll(() => page.getByTestId('pg-charts-empty').count()).toBe(0)
    await snap('pg-06-demo-overview')
    await page.getByTestId('pg-tab-logs').click()
    await expect
      .poll(
        async () => Number((await page.getByTestId('log-count').innerText()).replace(/\D/g, '')),
        { timeout: 15_000 },
      )
      .toBeGreaterThan(20)
    await snap('pg-07-demo-logs')
  })
})
