import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import jsQR from 'jsqr'
import type { Browser, Page } from 'playwright-core'
import { startHy2ScaleEmulator, type Hy2ScaleEmulator } from '../../emulators/hy2scale/server'
import { wgGenerateKey } from '../../emulators/hy2scale/x509'
import { launchChromium, SHOTS, startApp, type RunningApp } from './support'

/**
 * HY2 SCALE in Chromium through the built app: add a node through the dialog (user name +
 * password), then users, sessions, WireGuard (explicit reveal, QR decoded back, .conf export)
 * and certificates (import a real PEM, then delete it), checked against what the emulated node
 * itself holds. Each section is also photographed with realistic content.
 */
const PASSWORD = 'e2e-Scale-pw!'
const GiB = 1024 ** 3
const CLOCK_LAG = 41 * 60_000

let app: RunningApp
let browser: Browser
let page: Page
let emu: Hy2ScaleEmulator
let token = ''
let tmp = ''

/** The node's own HTTP API (as its web UI calls it), to seed data and to check results. */
async function nodeApi(method: string, path: string, body?: unknown): Promise<unknown> {
  if (!token) {
    const res = await fetch(`${emu.url}/api/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'admin',
        password: createHash('sha256').update(PASSWORD).digest('hex'),
      }),
    })
    expect(res.status).toBe(200)
    token = ((await res.json()) as { token: string }).token
  }
  const res = await fetch(`${emu.url}/api${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`)
  return text ? JSON.parse(text) : null
}

const nodeCertIds = async () =>
  (((await nodeApi('GET', '/tls')) as { id: string }[] | null) ?? []).map((c) => c.id)

const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10)

/** Realistic content for the screenshots: traffic, a few users, peers and certificates. */
async function seed() {
  emu.setStats({
    tx_bytes: 1.62 * 1024 * GiB,
    rx_bytes: 214 * GiB,
    tx_rate: 38_400_000,
    rx_rate: 4_100_000,
    conns: 57,
    exit_clients: 2,
  })
  const user = (username: string, limitGiB: number, expiry: string, enabled = true) =>
    nodeApi('POST', '/users', {
      id: '',
      username,
      password: `${username}-Pw-${username.length}7`,
      exit_via: '',
      traffic_limit: limitGiB * GiB,
      traffic_used: 0,
      expiry_date: expiry,
      enabled,
    })
  await user('alice', 200, '')
  await user('bob', 0, inDays(120))
  await user('dave', 50, inDays(9))
  await user('erin', 20, '', false)
  emu.recordUserTraffic('alice', 137.4 * GiB)
  emu.recordUserTraffic('bob', 12.8 * GiB)
  emu.recordUserTraffic('dave', 47.1 * GiB)
  emu.recordUserTraffic('erin', 20 * GiB)
  emu.setLivePeer({
    name: 'Tokyo-edge',
    direction: 'outbound',
    exit_node: true,
    latency_ms: 38,
    version: '1.3.4',
    tx_rate: 2_400_000,
    rx_rate: 19_800_000,
  })
  emu.setLivePeer({
    name: 'Osaka-relay',
    direction: 'inbound',
    exit_node: false,
    latency_ms: 12,
    version: '1.3.4',
    tx_rate: 310_000,
    rx_rate: 95_000,
  })
  // Devices that connected a while ago: the emulator clock starts CLOCK_LAG behind and catches
  // up. tx/rx are the node's direction (tx = the client's download).
  emu.addDevice({
    username: 'alice',
    ip: '203.0.113.24',
    protocol: 'hy2',
    conns: 3,
    tx: 6.2 * GiB,
    rx: 0.41 * GiB,
  })
  emu.advanceTime(26 * 60_000)
  emu.addDevice({ username: 'alice', ip: '2001:db8::7', protocol: 'socks5', tx: 412e6, rx: 35e6 })
  emu.advanceTime(12 * 60_000)
  emu.addDevice({
    username: 'bob',
    ip: '192.0.2.181',
    protocol: 'ss',
    conns: 2,
    tx: 97e6,
    rx: 8.1e6,
  })
  emu.advanceTime(CLOCK_LAG - 38 * 60_000)
  for (const [name, ips, keepalive] of [
    ['laptop', '10.0.0.3/32', 25],
    ['office-router', '10.0.0.4/32, 192.168.50.0/24', 0],
  ] as const) {
    const k = wgGenerateKey()
    await nodeApi('POST', '/wireguard/peers', {
      name,
      public_key: k.publicKey,
      private_key: k.privateKey,
      allowed_ips: ips,
      keepalive,
      exit_via: '',
    })
  }
  await nodeApi('POST', '/tls/generate', {
    id: 'edge',
    name: 'Edge (hy2.example.net)',
    domains: ['hy2.example.net', 'www.hy2.example.net'],
    days: 397,
  })
}

/** A screenshot after transitions settle, without the stacked success toasts of earlier steps. */
async function snap(name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true })
  const path = join(SHOTS, `${name}.png`)
  await page.waitForTimeout(500)
  await page.screenshot({ path, style: '.n-message-container { display: none !important; }' })
  return path
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'nodedeck-hy2-e2e-'))
  emu = await startHy2ScaleEmulator({
    password: PASSWORD,
    nodeName: 'E2E-Scale',
    now: () => Date.now() - CLOCK_LAG,
  })
  await seed()
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
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

const input = (testid: string) => page.getByTestId(testid).locator('input').first()
const textarea = (testid: string) => page.getByTestId(testid).locator('textarea').first()

/**
 * Draws the QR <img> (an SVG data URL) onto a white 600×600 canvas in the page (so the quiet
 * zone is there whatever the SVG has), and decodes the RGBA pixels here with jsQR.
 * (String expression: the Node type-check project has no DOM types, on purpose.)
 */
async function decodeQr(): Promise<string | null> {
  const b64 = (await page.evaluate(`(async () => {
    const src = document.querySelector('[data-testid="hy2-wg-qr"]').getAttribute('src')
    const img = new Image()
    img.src = src
    await img.decode()
    const c = document.createElement('canvas')
    c.width = 600
    c.height = 600
    const g = c.getContext('2d')
    g.fillStyle = '#ffffff'
    g.fillRect(0, 0, 600, 600)
    g.imageSmoothingEnabled = false
    g.drawImage(img, 40, 40, 520, 520)
    const px = g.getImageData(0, 0, 600, 600).data
    let bin = ''
    for (let i = 0; i < px.length; i += 0x8000) {
      bin += String.fromCharCode.apply(null, px.subarray(i, i + 0x8000))
    }
    return btoa(bin)
  })()`)) as string
  const rgba = new Uint8ClampedArray(Buffer.from(b64, 'base64'))
  expect(rgba.length).toBe(600 * 600 * 4)
  return jsQR(rgba, 600, 600)?.data ?? null
}

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
    await expect
      .poll(() => page.getByTestId('hy2-stat-sent').innerText(), { timeout: 10_000 })
      .toContain('TiB')
    await snap('hy2-01-overview')
  })

  it('creates a user, then edits it without losing its password', async () => {
    await page.getByTestId('hy2-tab-users').click()
    await expect
      .poll(() => page.getByTestId('hy2-users-table').innerText(), { timeout: 10_000 })
      .toContain('alice')
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
      .toBe(50 * GiB)
    // The node replaces whole records: the password must have been sent back unchanged.
    expect(emu.users().find((u) => u.username === 'carol')?.password).toBe('carol-pw')
    await page.getByTestId('hy2-user-dialog').waitFor({ state: 'hidden' })
    await snap('hy2-02-users')
  })

  it('kicks a live device (its key contains "|")', async () => {
    const key = emu.addDevice({ username: 'carol', ip: '198.51.100.7', protocol: 'hy2' })
    await page.getByTestId('hy2-tab-sessions').click()
    await expect
      .poll(() => page.getByTestId('hy2-sessions-table').innerText(), { timeout: 10_000 })
      .toContain('198.51.100.7')
    await snap('hy2-03-sessions')
    await page.getByTestId(`hy2-session-kick-${key}`).click()
    await page.getByTestId('hy2-sessions-confirm-ok').click()
    await expect
      .poll(() => emu.sessions().some((d) => d.key === key), { timeout: 10_000 })
      .toBe(false)
    await expect
      .poll(() => page.getByTestId('hy2-sessions-table').innerText(), { timeout: 10_000 })
      .not.toContain('198.51.100.7')
    expect(emu.sessions()).toHaveLength(3)
  })

  it('adds a WireGuard peer with keys made here and shows its config and QR only after an explicit reveal', async () => {
    await page.getByTestId('hy2-tab-wireguard').click()
    await page.getByTestId('hy2-wg-add-open').click()
    await input('hy2-wg-add-name').fill('phone')
    await page.getByTestId('hy2-wg-add-save').click()
    await page.getByTestId('hy2-wg-add').waitFor({ state: 'hidden' })
    await expect
      .poll(() => page.getByTestId('hy2-wg-peers').innerText(), { timeout: 10_000 })
      .toMatch(/laptop[\s\S]*office-router[\s\S]*phone|phone[\s\S]*laptop/)
    await snap('hy2-04-wireguard')
    await page.getByTestId('hy2-wg-config-phone').click({ timeout: 10_000 })
    await expect(page.getByTestId('hy2-wg-qr').count()).resolves.toBe(0)
    await expect(page.getByTestId('hy2-wg-config-text').count()).resolves.toBe(0)
    await page.getByTestId('hy2-wg-reveal').click()
    await expect
      .poll(() => page.getByTestId('hy2-wg-config-text').innerText(), { timeout: 10_000 })
      .toContain('[Interface]')
    await page.getByTestId('hy2-wg-qr').waitFor()
  })

  it('decodes the QR code back to exactly the config shown, also after changing the endpoint', async () => {
    const configText = () => page.getByTestId('hy2-wg-config-text').textContent()
    const first = (await configText()) ?? ''
    expect(first).toMatch(/PrivateKey = \S{44}/)
    expect(await decodeQr()).toBe(first)

    await input('hy2-wg-endpoint').fill('vpn.example.net')
    await page.getByTestId('hy2-wg-endpoint-apply').click()
    await expect
      .poll(configText, { timeout: 10_000 })
      .toMatch(/^Endpoint = vpn\.example\.net:\d+$/m)
    const second = (await configText()) ?? ''
    expect(await decodeQr()).toBe(second)
    // Same peer, same keys: only the endpoint line changed.
    const strip = (s: string) => s.replace(/^Endpoint = .*$/m, '')
    expect(strip(second)).toBe(strip(first))
    await snap('hy2-05-wireguard-qr')
  })

  it('exports the peer config as <peer>.conf with exactly the text shown', async () => {
    const shown = (await page.getByTestId('hy2-wg-config-text').textContent()) ?? ''
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('hy2-wg-download').click(),
    ])
    expect(download.suggestedFilename()).toBe('phone.conf')
    const saved = join(tmp, 'phone.conf')
    await download.saveAs(saved)
    const file = readFileSync(saved, 'utf8')
    expect(file).toBe(shown)
    expect(file).toContain('Endpoint = vpn.example.net:')
    await page.keyboard.press('Escape')
    await page.getByTestId('hy2-wg-config-dialog').waitFor({ state: 'hidden' })
    // Closing forgets the secret: reopening starts hidden again.
    await page.getByTestId('hy2-wg-config-phone').click()
    await page.getByTestId('hy2-wg-reveal').waitFor()
    await expect(page.getByTestId('hy2-wg-config-text').count()).resolves.toBe(0)
    await page.keyboard.press('Escape')
    await page.getByTestId('hy2-wg-config-dialog').waitFor({ state: 'hidden' })
  })

  it('imports a real PEM certificate, warns it expires soon, then deletes it', async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '20',
        '-subj',
        '/CN=import.example',
        '-keyout',
        join(tmp, 'k.pem'),
        '-out',
        join(tmp, 'c.pem'),
      ],
      { stdio: 'ignore' },
    )
    const certPem = readFileSync(join(tmp, 'c.pem'), 'utf8')
    const keyPem = readFileSync(join(tmp, 'k.pem'), 'utf8')

    await page.getByTestId('hy2-tab-certs').click()
    await expect
      .poll(() => page.getByTestId('hy2-certs-table').innerText(), { timeout: 10_000 })
      .toContain('default')
    expect(await nodeCertIds()).not.toContain('imported')

    await page.getByTestId('hy2-cert-import').click()
    await page.getByTestId('hy2-cert-import-dialog').waitFor()
    await input('hy2-cert-id').fill('imported')
    await input('hy2-cert-name').fill('Import test')
    await textarea('hy2-cert-pem').fill(certPem)
    await textarea('hy2-cert-key').fill(keyPem)
    await page.getByTestId('hy2-cert-save').click()
    await page.getByTestId('hy2-cert-import-dialog').waitFor({ state: 'hidden' })

    const row = page.locator('[data-cert="imported"]')
    await row.waitFor({ timeout: 10_000 })
    await expect.poll(() => row.innerText()).toContain('import.example')
    const days = row.getByTestId('cert-days')
    expect(await days.getAttribute('data-level')).toBe('soon')
    expect(await days.innerText()).toMatch(/\b(19|20)\b/)
    await expect(page.getByTestId('hy2-certs-expiring').innerText()).resolves.toContain(
      'Import test',
    )
    expect(await nodeCertIds()).toContain('imported')
    await snap('hy2-06-certs')

    await page.getByTestId('hy2-cert-remove-imported').click()
    await page.getByTestId('hy2-cert-remove-confirm').waitFor()
    await page.getByTestId('hy2-cert-remove-confirm-ok').click()
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(0)
    expect(await nodeCertIds()).not.toContain('imported')
    expect(await nodeCertIds()).toContain('default')
    await expect(page.getByTestId('hy2-certs-expiring').count()).resolves.toBe(0)
  })
})
