import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { fakePubkey, startWgMonEmulator, type WgMonEmulator } from '../../emulators/wgmon/server'
import { formatBytes } from '../../src/shared/format'
import { launchChromium, SHOTS, startApp, type RunningApp } from './support'

/**
 * A WireGuard monitor ("WireGuard 监控系统", apis.md §5) in Chromium through the built app: added
 * through the dialog, its dashboard checked against the emulated monitor (traffic named from the
 * users' side, where the monitor's own labels are inverted), a user created, kicked (the
 * emulator records the kick and the closed session) and disabled (peer removed), the sessions
 * and the chart range; then a monitor that follows the seed doc. Through it all NodeDeck never
 * has two requests in progress at a monitor, nor one waiting behind another.
 */
const GiB = 1024 ** 3
const MiB = 1024 ** 2

let app: RunningApp
let browser: Browser
let page: Page
let emu: WgMonEmulator
let seedEmu: WgMonEmulator
let sampler: ReturnType<typeof setInterval> | undefined
let maxQueued = 0
/** Off while the test itself talks to a monitor (its request may wait behind NodeDeck's). */
let sampling = true
let rand = 0x5eed
const prng = () => {
  rand = (rand * 48271) % 2147483647
  return rand / 2147483647
}
const NEW_KEY = fakePubkey(prng)

async function snap(name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true })
  const path = join(SHOTS, `${name}.png`)
  await page.waitForTimeout(600)
  await page.screenshot({
    path,
    style: '.n-message-container { display: none !important; }',
  })
  return path
}

/**
 * A month of a small office: eight users with contacts and limits, closed sessions with traffic
 * (server view: rx = what the device sent), three devices online now, and daily totals for the
 * last 30 days (as the monitor writes them when sessions close).
 */
function seedUpstream(e: WgMonEmulator) {
  const c = e.control
  const people = [
    ['alice', 'alice@example.com', 0, 0, null, 'MacBook'],
    ['bob', 'bob@example.com', 2048, 51200, '2027-03-31 23:59:59', 'phone'],
    ['carol', 'carol@example.com', 0, 102400, null, null],
    ['dave', null, 1024, 0, '2026-01-31 23:59:59', 'contractor, ended'],
    ['erin', 'erin@example.com', 0, 0, null, 'router at home'],
    ['frank', 'frank@example.com', 4096, 20480, '2027-12-31 23:59:59', null],
    ['grace', 'grace@example.com', 0, 0, null, 'iPad'],
    ['heidi', null, 0, 0, null, null],
  ] as const
  for (const [nickname, mail, bw, data, expiry, note] of people) {
    c.createUser({
      peer_pubkey: fakePubkey(prng),
      nickname,
      ...(mail ? { mail } : {}),
      bandwidth_limit: bw,
      data_limit: data,
      ...(expiry ? { expiry_date: expiry } : {}),
      ...(note ? { note } : {}),
    })
  }
  // Closed sessions: the device sent rx, received tx (the monitor totals them at the close).
  const closed: [string, number, number][] = [
    ['alice', 3 * GiB, 41 * GiB],
    ['bob', 700 * MiB, 9 * GiB],
    ['carol', 120 * MiB, 2 * GiB],
    ['erin', 1536 * MiB, 6 * GiB],
    ['grace', 80 * MiB, 900 * MiB],
  ]
  // Sessions take a while: the emulated clock moves on (about two hours in all).
  for (const [name, rx, tx] of closed) {
    c.addTraffic(name, rx, tx)
    c.advanceTime(Math.floor((8 + prng() * 30) * 60_000))
    c.setOnline(name, false)
  }
  // Online now, sessions open.
  c.addTraffic('alice', 4 * MiB, 90 * MiB)
  c.advanceTime(9 * 60_000)
  c.addTraffic('frank', 3 * MiB, 45 * MiB)
  c.addTraffic('alice', 8 * MiB, 170 * MiB)
  c.advanceTime(4 * 60_000)
  c.addTraffic('grace', 1 * MiB, 9 * MiB)
  c.advanceTime(2 * 60_000)
  c.poll()
  const dave = c.users().find((u) => u.nickname === 'dave')
  if (dave) c.state.updateUser(dave.id, { enabled: 0 })
  // Daily totals of the last 30 days (written by past session closes).
  const st = c.state
  const ids = c.users().map((u) => u.id)
  for (let d = 1; d <= 30; d++) {
    const date = st.localDate(st.nowMs() - d * 86_400_000)
    const weekend = [0, 6].includes(new Date(st.nowMs() - d * 86_400_000).getDay())
    for (const id of ids) {
      if (prng() < (weekend ? 0.6 : 0.25)) continue
      const tx = Math.floor((1 + prng() * 6) * GiB * (weekend ? 0.4 : 1))
      st.trafficStats.set(`${id}|${date}`, {
        user_id: id,
        date,
        daily_rx: Math.floor(tx * (0.05 + prng() * 0.15)),
        daily_tx: tx,
        session_count: 1 + Math.floor(prng() * 4),
      })
    }
  }
}

function seedSeedDoc(e: WgMonEmulator) {
  const c = e.control
  for (const nickname of ['ivan', 'judy', 'mallory']) {
    c.createUser({ peer_pubkey: fakePubkey(prng), nickname, mail: `${nickname}@example.com` })
  }
  c.addTraffic('ivan', 64 * MiB, 512 * MiB)
  c.setOnline('ivan', false)
  c.addTraffic('judy', 2 * MiB, 30 * MiB)
}

beforeAll(async () => {
  emu = await startWgMonEmulator({ variant: 'upstream' })
  seedUpstream(emu)
  seedEmu = await startWgMonEmulator({ variant: 'seed' })
  seedSeedDoc(seedEmu)
  sampler = setInterval(() => {
    if (!sampling) return
    maxQueued = Math.max(maxQueued, emu.control.queued(), seedEmu.control.queued())
  }, 10)
  app = await startApp(['demo'])
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
  page.on('pageerror', (err) => {
    throw err
  })
  await page.goto(app.openUrl)
})

afterAll(async () => {
  if (sampler) clearInterval(sampler)
  await browser?.close()
  await app?.stop()
  await emu?.close()
  await seedEmu?.close()
})

const input = (testid: string) => page.getByTestId(testid).locator('input, textarea').first()
const card = (id: string) => page.getByTestId(`wg-card-${id}`)
const userRow = (name: string) =>
  page.locator(`[data-testid="wg-users-table"] tr[data-user="${name}"]`)

/** Adds a WireGuard monitor through the add dialog and opens its tab. */
async function addMonitor(name: string, url: string) {
  await page.getByTestId('add-server').click()
  await page.getByTestId('server-kind').click()
  await page.locator('.n-base-select-option:visible', { hasText: 'WireGuard monitor' }).click()
  await input('server-name').fill(name)
  await input('server-url').fill(url)
  await page.getByTestId('server-test').click()
  await expect
    .poll(() => page.getByTestId('server-test-result').getAttribute('data-state'), {
      timeout: 15_000,
    })
    .toBe('online')
  await page.getByTestId('server-save').click()
  await page.getByTestId(`sidebar-server-${name}`).click()
  await expect
    .poll(() => page.getByTestId('wgmon-panel').isVisible(), { timeout: 15_000 })
    .toBe(true)
}

describe('WireGuard monitor in Chromium', () => {
  it('adds the monitor and shows its dashboard from the users’ side', async () => {
    await addMonitor('E2E-WG', emu.url)
    const users = emu.control.users()
    await expect
      .poll(() => card('registered').innerText(), { timeout: 15_000 })
      .toContain(String(users.length))
    const sumRx = users.reduce((s, u) => s + u.total_rx, 0)
    const sumTx = users.reduce((s, u) => s + u.total_tx, 0)
    // The monitor's own dashboard (read directly, as its web page does) calls the devices'
    // upload (rx) "download": NodeDeck shows it as upload.
    sampling = false
    const raw = (await (await fetch(`${emu.url}/api/dashboard`)).json()) as {
      summary: Record<string, number>
      traffic: Record<string, number>
    }
    await new Promise((r) => setTimeout(r, 100))
    sampling = true
    expect(raw.traffic.download_raw).toBe(sumRx)
    expect(raw.traffic.upload_raw).toBe(sumTx)
    expect(sumRx).toBeLessThan(sumTx)
    await expect.poll(() => card('totalUp').innerText()).toContain(formatBytes(sumRx))
    expect(await card('totalDown').innerText()).toContain(formatBytes(sumTx))
    expect(await card('todayUp').innerText()).toContain(
      formatBytes(raw.traffic.today_download_raw ?? 0),
    )
    expect(await card('todayDown').innerText()).toContain(
      formatBytes(raw.traffic.today_upload_raw ?? 0),
    )
    expect(await card('online').innerText()).toContain(String(raw.summary.online_users))
    expect(await card('sessions').innerText()).toContain(String(raw.summary.active_sessions))
    expect(await card('enabled').innerText()).toContain(String(raw.summary.enabled_users))
    expect(await page.getByTestId('wg-interface').innerText()).toBe('wg0')
    expect(await page.getByTestId('wg-running').getAttribute('data-running')).toBe('true')
    await expect
      .poll(() => page.getByTestId('wg-chart-period').getAttribute('data-days'), {
        timeout: 15_000,
      })
      .toBe('7')
    await expect.poll(() => page.getByTestId('wg-chart').count()).toBe(1)
    // tall enough for the chart below the cards
    await page.setViewportSize({ width: 1400, height: 1240 })
    await snap('wgmon-overview')
    await page.setViewportSize({ width: 1400, height: 900 })
    await page.getByTestId('wg-direction-help').hover()
    await expect
      .poll(() => page.locator('.n-tooltip:visible').innerText())
      .toContain('the users’ download')
    await snap('wgmon-direction-help')
    await page.mouse.move(5, 5)
  })

  it('changes the chart range: a preset and a custom number of days', async () => {
    await page.getByTestId('wg-chart-days-30').click()
    await expect
      .poll(() => emu.requests.some((r) => r.path === '/api/traffic/chart?days=30'), {
        timeout: 10_000,
      })
      .toBe(true)
    await expect
      .poll(() => page.getByTestId('wg-chart-period').getAttribute('data-days'))
      .toBe('30')
    await expect.poll(() => page.getByTestId('wg-chart').count()).toBe(1)
    await page.getByTestId('wg-chart-card').scrollIntoViewIfNeeded()
    await snap('wgmon-chart-30')
    await page.getByTestId('wg-chart-days-custom').click()
    await input('wg-chart-custom-days').fill('45')
    await page.getByTestId('wg-chart-custom-apply').click()
    await expect
      .poll(() => page.getByTestId('wg-chart-period').getAttribute('data-days'), {
        timeout: 10_000,
      })
      .toBe('45')
    expect(emu.requests.some((r) => r.path === '/api/traffic/chart?days=45')).toBe(true)
  })

  it('lists the users, paged by the monitor', async () => {
    await page.getByTestId('wg-tab-users').click()
    await expect.poll(() => userRow('alice').count(), { timeout: 15_000 }).toBe(1)
    const alice = emu.control.users().find((u) => u.nickname === 'alice')
    expect(alice).toBeDefined()
    // Total upload = the monitor's total_rx; the tunnel IP comes from the raw list.
    await expect
      .poll(() => userRow('alice').locator(`[data-testid="wg-user-up-${alice?.id}"]`).innerText())
      .toBe(`↑ ${formatBytes(alice?.total_rx ?? -1)}`)
    await expect
      .poll(() => userRow('alice').locator(`[data-testid="wg-user-ip-${alice?.id}"]`).innerText())
      .toBe(alice?.client_ip ?? '?')
    expect(emu.requests.some((r) => r.path.startsWith('/api/users/management?page=1'))).toBe(true)
    await snap('wgmon-users')
  })

  it('creates a user and shows the id and tunnel IP the monitor gave it', async () => {
    await page.getByTestId('wg-users-add').click()
    await input('wg-form-key').fill('not a key')
    await input('wg-form-nickname').click()
    await expect
      .poll(() => page.getByTestId('wg-user-dialog').innerText())
      .toContain('This is not a WireGuard public key')
    expect(await page.getByTestId('wg-user-submit').isDisabled()).toBe(true)
    await input('wg-form-key').fill(NEW_KEY)
    await input('wg-form-nickname').fill('zoe')
    await input('wg-form-email').fill('zoe@example.com')
    await input('wg-form-data').fill('2048')
    await input('wg-form-expiry').fill('2027-06-30 23:59:59')
    await input('wg-form-expiry').press('Enter')
    await input('wg-form-note').fill('e2e: new laptop')
    await snap('wgmon-user-create')
    await page.getByTestId('wg-user-submit').click()
    await expect.poll(() => page.getByTestId('wg-created-id').count(), { timeout: 10_000 }).toBe(1)
    const zoe = emu.control.users().find((u) => u.peer_pubkey === NEW_KEY)
    expect(zoe).toMatchObject({
      nickname: 'zoe',
      mail: 'zoe@example.com',
      data_limit: 2048,
      expiry_date: '2027-06-30 23:59:59',
      note: 'e2e: new laptop',
      enabled: 1,
    })
    expect(await page.getByTestId('wg-created-id').innerText()).toBe(String(zoe?.id))
    expect(await page.getByTestId('wg-created-ip').innerText()).toBe(zoe?.client_ip)
    expect(emu.requests.some((r) => r.method === 'POST' && r.path === '/api/users')).toBe(true)
    await snap('wgmon-user-created')
    await page.getByTestId('wg-user-done').click()
    await expect.poll(() => userRow('zoe').count(), { timeout: 10_000 }).toBe(1)
  })

  it('kicks an online user after a confirmation; the monitor records it', async () => {
    const zoe = emu.control.users().find((u) => u.peer_pubkey === NEW_KEY)
    const id = zoe?.id ?? -1
    emu.control.addTraffic(NEW_KEY, 5 * MiB, 20 * MiB)
    await page.getByTestId('wg-users-refresh').click()
    await expect
      .poll(() => page.getByTestId(`wg-user-online-${id}`).innerText(), { timeout: 10_000 })
      .toBe('online')
    // The open session, from zoe's side: she sent 5 MiB.
    expect(await userRow('zoe').innerText()).toMatch(/↑ 5\.0 MiB\s+↓ 20\.0 MiB/)
    await page.getByTestId(`wg-user-kick-${id}`).click()
    await expect.poll(() => page.getByTestId('wg-confirm').isVisible()).toBe(true)
    expect(await page.getByTestId('wg-confirm').innerText()).toContain('within about 10 seconds')
    await snap('wgmon-kick-confirm')
    await page.getByTestId('wg-confirm-ok').click()
    await expect
      .poll(
        () => emu.requests.some((r) => r.method === 'GET' && r.path === `/api/users/${id}/kick`),
        { timeout: 10_000 },
      )
      .toBe(true)
    const closed = emu.control.events().filter((e) => e.user_id === id)
    expect(closed.at(-1)).toMatchObject({ status: 'OFFLINE', session_rx: 5 * MiB })
    expect(closed.at(-1)?.end_time).not.toBeNull()
    await expect
      .poll(() => page.locator('.n-message').allInnerTexts())
      .toContainEqual(expect.stringContaining('Session of zoe closed'))
    // Kicked again while no session is open: the monitor says "not online", shown as info.
    await page.getByTestId(`wg-user-kick-${id}`).click()
    await page.getByTestId('wg-confirm-ok').click()
    await expect
      .poll(() => page.locator('.n-message').allInnerTexts(), { timeout: 10_000 })
      .toContainEqual(expect.stringContaining('zoe was not online'))
  })

  it('shows the kicked device back as a new session, and the history', async () => {
    // gotcha 4: the peer was not removed; it still handshakes, so the next poll opens a session
    emu.control.poll()
    const zoe = emu.control.users().find((u) => u.peer_pubkey === NEW_KEY)
    await page.getByTestId('wg-tab-sessions').click()
    const live = page.locator(`[data-testid="wg-live-table"] tr[data-event-user="${zoe?.id}"]`)
    await expect
      .poll(() => live.getAttribute('data-event-state'), { timeout: 15_000 })
      .toBe('online')
    await snap('wgmon-sessions-live')
    await page.getByTestId('wg-events-history').click()
    await page.getByTestId('wg-history-status-offline').click()
    await expect
      .poll(
        () =>
          emu.requests.some(
            (r) => r.path.startsWith('/api/events/history?') && r.path.includes('status=offline'),
          ),
        { timeout: 10_000 },
      )
      .toBe(true)
    await expect
      .poll(() => page.getByTestId('wg-history-table').innerText(), { timeout: 10_000 })
      .toContain('zoe')
    await snap('wgmon-sessions-history')
  })

  it('disables the user after a confirmation: the peer leaves WireGuard', async () => {
    const zoe = emu.control.users().find((u) => u.peer_pubkey === NEW_KEY)
    const id = zoe?.id ?? -1
    await page.getByTestId('wg-tab-users').click()
    await expect.poll(() => userRow('zoe').count(), { timeout: 15_000 }).toBe(1)
    await page.getByTestId(`wg-user-disable-${id}`).click()
    expect(await page.getByTestId('wg-confirm').innerText()).toContain(
      'removes the peer from WireGuard',
    )
    await page.getByTestId('wg-confirm-ok').click()
    await expect
      .poll(() => emu.control.users().find((u) => u.id === id)?.enabled, { timeout: 10_000 })
      .toBe(0)
    expect(emu.control.state.peers.has(NEW_KEY)).toBe(false)
    await expect
      .poll(() => page.getByTestId(`wg-user-enabled-${id}`).innerText(), { timeout: 10_000 })
      .toBe('disabled')
    expect(await page.getByTestId(`wg-user-enable-${id}`).count()).toBe(1)
  })

  it('in Chinese and dark', async () => {
    await page.getByTestId('lang-switch').click()
    await page.locator('.n-base-select-option', { hasText: '简体中文' }).click()
    await page.getByTestId('theme-switch').click()
    await page.locator('.n-base-select-option:visible', { hasText: '深色' }).click()
    await expect.poll(() => page.getByTestId('wg-tab-users').innerText()).toBe('用户')
    await snap('wgmon-users-zh-dark')
    await page.getByTestId('wg-tab-overview').click()
    await expect.poll(() => page.getByTestId('wg-chart').count(), { timeout: 15_000 }).toBe(1)
    await snap('wgmon-overview-zh-dark')
    await page.getByTestId('theme-switch').click()
    await page.locator('.n-base-select-option:visible', { hasText: '浅色' }).click()
    await page.getByTestId('lang-switch').click()
    await page.locator('.n-base-select-option', { hasText: 'English' }).click()
    await expect.poll(() => page.getByTestId('wg-tab-users').innerText()).toBe('Users')
  })

  it('reads a monitor that follows the seed doc: dashboard and users', async () => {
    await addMonitor('E2E-WG-SEED', seedEmu.url)
    const users = seedEmu.control.users()
    await expect
      .poll(() => card('registered').innerText(), { timeout: 15_000 })
      .toContain(String(users.length))
    const sumRx = users.reduce((s, u) => s + u.total_rx, 0)
    expect(await card('totalUp').innerText()).toContain(formatBytes(sumRx))
    // what the seed format does not report is unknown, not 0
    expect(await card('enabled').innerText()).toContain('—')
    expect(await page.getByTestId('wg-seed-shape').count()).toBe(1)
    await snap('wgmon-seed-overview')
    await page.getByTestId('wg-tab-users').click()
    await expect
      .poll(() => page.getByTestId('wg-users-local-paging').count(), { timeout: 15_000 })
      .toBe(1)
    await expect.poll(() => userRow('judy').count()).toBe(1)
    await snap('wgmon-seed-users')
  })

  it('never had two requests at a monitor at once, nor one waiting', () => {
    expect(emu.control.maxConcurrent()).toBe(1)
    expect(seedEmu.control.maxConcurrent()).toBe(1)
    expect(maxQueued).toBe(0)
  })
})
