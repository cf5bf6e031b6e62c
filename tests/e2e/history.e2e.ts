import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Browser, Page } from 'playwright-core'
import { launchChromium, shot, startApp, type RunningApp } from './support'

/**
 * History (issue 7) through the built app on the demo fleet: a server's History view draws its
 * last hour from the raw tier, a wheel zoom asks the core again for the narrower window, the CSV
 * holds exactly the drawn buckets; the fleet History tab draws fleet traffic and, once the first
 * minute is written to SQLite, lists the top users.
 */
let app: RunningApp
let browser: Browser
let page: Page
/** `history.series` questions the page sent over the WebSocket. */
const asked: { from: number; to: number; metric: string; scope: string }[] = []

/** In the page (the node tsconfig has no DOM types): what the functions below read. */
declare const document: {
  querySelector(sel: string): { getAttribute(name: string): string | null } | null
}
/** Renders of new data a chart card has counted (its `data-renders`). */
const rendersIn = (card: string) =>
  Number(document.querySelector(`[data-testid="${card}"]`)?.getAttribute('data-renders') ?? 0)
const renders = (card: string) => page.evaluate(rendersIn, card)
// Functions, not strings: the page's CSP forbids eval.
const waitRenders = (card: string, above: number, timeout = 30_000) =>
  page.waitForFunction(
    ([c, b]) =>
      Number(document.querySelector(`[data-testid="${c}"]`)?.getAttribute('data-renders') ?? 0) > b,
    [card, above] as const,
    { timeout },
  )

beforeAll(async () => {
  app = await startApp(['demo'])
  browser = await launchChromium()
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true })
  page.on('websocket', (ws) =>
    ws.on('framesent', (f) => {
      const text = typeof f.payload === 'string' ? f.payload : f.payload.toString()
      if (!text.includes('history.series')) return
      const msg = JSON.parse(text) as { a?: [string, (typeof asked)[number]] }
      if (msg.a?.[0] === 'history.series') asked.push(msg.a[1])
    }),
  )
  await page.goto(app.openUrl)
  // A few polls of every demo server first.
  await page.waitForTimeout(12_000)
})

afterAll(async () => {
  await browser?.close()
  await app?.stop()
})

describe('history', () => {
  it('draws a server’s last hour, zooms into a finer window and exports the drawn buckets', async () => {
    await page.getByText('Tokyo-1', { exact: true }).first().click()
    await page.getByTestId('server-view-history').click()
    const card = 'history-traffic'
    await page.getByTestId(card).waitFor()
    let before = await renders(card)
    await page.getByTestId(`${card}-range-1h`).click()
    await waitRenders(card, before)
    const hint = page.getByTestId(`${card}-hint`)
    expect(await hint.textContent()).toContain('Tier: raw polls')
    expect(await page.getByTestId(`${card}-empty`).count()).toBe(0)
    const hour = asked.filter((q) => q.metric === 'up').at(-1)
    expect(hour && hour.to - hour.from).toBe(3_600_000)

    // Wheel zoom at the right end of the plot (the chart's right padding is 16 px), where the
    // demo's readings are: the core is asked again for a narrower window that still holds them.
    before = await renders(card)
    const n = asked.length
    const box = await page.getByTestId(card).locator('canvas').first().boundingBox()
    if (!box) throw new Error('no chart canvas')
    await page.mouse.move(box.x + box.width - 17, box.y + box.height / 2)
    for (let i = 0; i < 4; i++) await page.mouse.wheel(0, -400)
    await waitRenders(card, before)
    const zoomed = asked.slice(n).filter((q) => q.metric === 'up')
    expect(zoomed.length).toBeGreaterThan(0)
    const z = zoomed.at(-1) as (typeof asked)[number]
    expect(z.to - z.from).toBeLessThan(3_600_000)
    await expect.poll(() => page.getByTestId(`${card}-unzoom`).count()).toBe(1)
    await shot(page, 'history-server-zoomed')

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId(`${card}-csv`).click(),
    ])
    expect(download.suggestedFilename()).toMatch(/^Tokyo-1-traffic-\d{8}-\d{4}-\d{8}-\d{4}\.csv$/)
    const csv = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n')
    expect(csv[0]).toBe('t,up_avg,up_min,up_max,down_avg,down_min,down_max')
    expect(csv.length).toBeGreaterThan(1)
    for (const row of csv.slice(1)) {
      const [t] = row.split(',')
      const at = Date.parse(t ?? '')
      expect(at).toBeGreaterThanOrEqual(z.from - 60_000)
      expect(at).toBeLessThan(z.to)
    }
  })

  it('shows fleet traffic and, once a minute is stored, the top users', async () => {
    await page.getByTestId('tab-history').click()
    const card = 'history-fleet-traffic'
    const before = await renders(card)
    await page.getByTestId(`${card}-range-1h`).click()
    await waitRenders(card, before)
    expect(await page.getByTestId(`${card}-empty`).count()).toBe(0)
    expect(await page.getByTestId('history-status').textContent()).toContain('Recording to')
    // The first minute is written about 65 s after it began; the list reloads every minute.
    await page.locator('[data-testid^="history-top-row-"]').first().waitFor({ timeout: 150_000 })
    await page.getByTestId('history-top').scrollIntoViewIfNeeded()
    await shot(page, 'history-fleet')
    await page.locator('[data-testid^="history-top-row-"]').first().click()
    await waitRenders('history-fleet-user', 0)
    expect(await page.getByTestId('history-fleet-user-empty').count()).toBe(0)
  }, 200_000)
})
