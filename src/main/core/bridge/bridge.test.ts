import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  AppErrorException,
  appError,
  type AppError,
  type BridgeConfig,
  type BridgeStatus,
} from '../../../shared/contract'
import {
  BridgeRunner,
  MAX_BACKOFF_MS,
  PANEL_REFRESH_MS,
  type BridgePanel,
  type BridgeSource,
  type PanelUsers,
  type SourceReading,
} from './bridge'
import { BridgeJournal, type BatchItem, type JournalState } from './journal'
import type { PanelUser } from './mapping'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nodedeck-bridge-'))
})
const runners: BridgeRunner[] = []
afterEach(async () => {
  while (runners.length > 0) await runners.pop()?.stop()
  await rm(dir, { recursive: true, force: true })
})

/** A clock the tests move by hand. */
let clock = 1_800_000_000_000

class FakeSource implements BridgeSource {
  readonly serverId = 'src'
  counters = new Map<string, { up: number; down: number } | null>()
  online: number | null = 0
  fail: AppError | null = null
  reads = 0

  set(name: string, up: number, down: number): void {
    this.counters.set(name, { up, down })
  }

  async read(): Promise<SourceReading> {
    this.reads++
    if (this.fail) throw new AppErrorException(this.fail)
    return { at: clock, counters: new Map(this.counters), online: this.online }
  }
}

/** What the fake panel does with the next report. */
type Outcome =
  | 'ok'
  | 'refused' // 401/ret:0: not applied, applied=no
  | 'lostAfterApply' // applied, then the answer is lost (applied=unknown)
  | 'lostBeforeApply' // not applied, answer lost (applied=unknown)
  | { partial: number } // the first n items applied, then a 500 (applied=unknown)
  | 'hang' // never answers until aborted (applied=unknown)
  | 'slow' // applied after a while

class FakePanel implements BridgePanel {
  readonly serverId = 'panel'
  rows: PanelUser[] = []
  rate = 1
  script: Outcome[] = []
  reports: BatchItem[][] = []
  onlineReports: number[] = []
  onlineFail: AppError | null = null
  usersFail: AppError | null = null
  list: 'node' | 'all' = 'node'

  constructor(ids: number[]) {
    this.rows = ids.map((id) => ({
      id,
      email: `u${id}@example.com`,
      port: 20000 + id,
      u: 0,
      d: 0,
    }))
  }

  get(id: number): { u: number; d: number } {
    const u = this.rows.find((x) => x.id === id)
    return { u: u?.u ?? 0, d: u?.d ?? 0 }
  }

  listReads = 0

  async users_(): Promise<PanelUsers> {
    this.listReads++
    if (this.usersFail) throw new AppErrorException(this.usersFail)
    return { users: this.rows.map((u) => ({ ...u })), list: this.list, at: clock }
  }

  users(_nodeId: number): Promise<PanelUsers> {
    return this.users_()
  }

  allUsers(): Promise<PanelUsers> {
    return this.users_()
  }

  private apply(items: readonly BatchItem[]): void {
    for (const it of items) {
      const u = this.rows.find((x) => x.id === it.userId)
      if (!u) throw new Error(`panel: no user ${it.userId}`)
      u.u += Math.round(it.u * this.rate)
      u.d += Math.round(it.d * this.rate)
    }
  }

  async report(_nodeId: number, items: readonly BatchItem[], signal?: AbortSignal): Promise<void> {
    this.reports.push(items.map((i) => ({ ...i })))
    const o = this.script.shift() ?? 'ok'
    const lost = () =>
      new AppErrorException(
        appError('network', 'connection dropped', {
          serverId: this.serverId,
          params: { applied: 'unknown' },
        }),
      )
    if (o === 'ok') return this.apply(items)
    if (o === 'slow') {
      await new Promise((r) => setTimeout(r, 30))
      return this.apply(items)
    }
    if (o === 'refused') {
      throw new AppErrorException(
        appError('auth', 'refused', { serverId: this.serverId, params: { applied: 'no' } }),
      )
    }
    if (o === 'lostAfterApply') {
      this.apply(items)
      throw lost()
    }
    if (o === 'lostBeforeApply') throw lost()
    if (o === 'hang') {
      await new Promise<void>((resolve) => signal?.addEventListener('abort', () => resolve()))
      throw lost()
    }
    this.apply(items.slice(0, o.partial))
    throw lost()
  }

  async reportOnline(_nodeId: number, count: number): Promise<void> {
    if (this.onlineFail) throw new AppErrorException(this.onlineFail)
    this.onlineReports.push(count)
  }
}

function config(extra: Partial<BridgeConfig> = {}): BridgeConfig {
  return {
    id: 'b1',
    sourceId: 'src',
    panelId: 'panel',
    name: 'test bridge',
    nodeId: 3,
    rule: 'id',
    intervalSec: 60,
    reportOnline: true,
    trafficRate: 1,
    settleSec: 0,
    enabled: true,
    startFrom: 'source_start',
    createdAt: 0,
    ...extra,
  }
}

function runner(
  source: FakeSource,
  panel: FakePanel,
  extra: Partial<BridgeConfig> = {},
  opts: { owner?: string; statuses?: BridgeStatus[] } = {},
): BridgeRunner {
  const r = new BridgeRunner({
    config: config(extra),
    journalPath: join(dir, 'b1.json'),
    lockPath: join(dir, 'b1.lock'),
    owner: opts.owner ?? 'test',
    source: () => source,
    panel: () => panel,
    now: () => clock,
    onStatus: (s) => opts.statuses?.push(s),
  })
  runners.push(r)
  return r
}

async function journal(): Promise<JournalState> {
  return (await BridgeJournal.peek(join(dir, 'b1.json')))!
}

/** Source totals per panel user id (rule `id`). */
function expectPanelEqualsSource(source: FakeSource, panel: FakePanel, rate = 1): void {
  for (const [name, c] of source.counters) {
    if (!c || !/^[1-9][0-9]*$/.test(name)) continue
    expect(panel.get(Number(name)), `user ${name}`).toEqual({
      u: Math.round(c.up * rate),
      d: Math.round(c.down * rate),
    })
  }
}

describe('BridgeRunner', () => {
  it('maps names, keeps unmatched ones, and reports them once the panel knows them', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1, 2])
    const r = runner(src, panel)
    src.set('1', 100, 1000)
    src.set('2', 5, 0)
    src.set('9', 7, 70)
    src.set('alice', 1, 1)
    let s = await r.runOnce()
    expect(s.error).toBeNull()
    expect(panel.reports).toEqual([
      [
        { userId: 1, u: 100, d: 1000 },
        { userId: 2, u: 5, d: 0 },
      ],
    ])
    expect(s.unmatched).toEqual([
      { name: '9', u: 7, d: 70 },
      { name: 'alice', u: 1, d: 1 },
    ])
    expect(s.lastReport).toMatchObject({ batchId: 1, users: 2, u: 105, d: 1000 })
    // The panel gets user 9: its bytes so far go out with the next report.
    panel.rows.push({ id: 9, email: null, port: null, u: 0, d: 0 })
    src.set('9', 8, 80)
    s = await r.runOnce()
    expect(panel.reports[1]).toEqual([{ userId: 9, u: 8, d: 80 }])
    expect(s.unmatched.map((u) => u.name)).toEqual(['alice'])
    expectPanelEqualsSource(src, panel)
  })

  it('starting "from now": the first reading is the baseline, only later traffic is reported', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1, 2])
    const r = runner(src, panel, { startFrom: 'now' })
    src.set('1', 1000, 5000)
    await r.runOnce()
    expect(panel.reports).toEqual([])
    expect((await journal()).baselineAt).toBeTruthy()
    src.set('1', 1100, 5500)
    // A user first seen after the baseline counts from zero.
    src.set('2', 7, 8)
    await r.runOnce()
    expect(panel.reports).toEqual([
      [
        { userId: 1, u: 100, d: 500 },
        { userId: 2, u: 7, d: 8 },
      ],
    ])
    // The baseline is taken once: a restarted runner on the same journal reports as usual.
    await r.stop()
    const again = runner(src, panel, { startFrom: 'now' })
    src.set('1', 1200, 5500)
    await again.runOnce()
    expect(panel.reports[1]).toEqual([{ userId: 1, u: 100, d: 0 }])
  })

  it('sends nothing when nothing moved, skips unknown counters (never 0) and counts resets', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1, 2])
    const r = runner(src, panel)
    src.set('1', 10, 10)
    src.set('2', 20, 20)
    await r.runOnce()
    await r.runOnce()
    expect(panel.reports).toHaveLength(1)
    // User 2's counter is unknown this time: skipped, not a reset to 0.
    src.counters.set('2', null)
    src.set('1', 15, 10)
    await r.runOnce()
    expect(panel.reports[1]).toEqual([{ userId: 1, u: 5, d: 0 }])
    src.set('2', 25, 21)
    await r.runOnce()
    expect(panel.reports[2]).toEqual([{ userId: 2, u: 5, d: 1 }])
    // The source restarted: counters from zero again.
    src.set('1', 3, 4)
    await r.runOnce()
    expect(panel.reports[3]).toEqual([{ userId: 1, u: 3, d: 4 }])
    expect(panel.get(1)).toEqual({ u: 18, d: 14 })
  })

  it('an idle tick does not read the panel’s user list until it is 5 minutes old', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1])
    const r = runner(src, panel)
    src.set('1', 1, 1)
    src.set('2', 2, 2) // no panel user 2 yet
    await r.runOnce()
    expect(panel.listReads).toBe(1)
    clock += 60_000
    await r.runOnce()
    await r.runOnce()
    expect(panel.listReads).toBe(1)
    // Panel user 2 appears; an idle bridge matches it at the next refresh.
    panel.rows.push({ id: 2, email: null, port: null, u: 0, d: 0 })
    clock += PANEL_REFRESH_MS
    const s = await r.runOnce()
    expect(panel.listReads).toBe(2)
    expect(panel.reports.at(-1)).toEqual([{ userId: 2, u: 2, d: 2 }])
    expect(s.unmatched).toEqual([])
    // Traffic: read at once.
    src.set('1', 5, 1)
    await r.runOnce()
    expect(panel.listReads).toBe(3)
    expectPanelEqualsSource(src, panel)
  })

  it('a lost answer of an applied batch is verified on the panel and never sent again', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1, 2])
    const r = runner(src, panel)
    src.set('1', 100, 200)
    src.set('2', 1, 2)
    panel.script = ['lostAfterApply']
    let s = await r.runOnce()
    expect(s.state).toBe('error')
    expect(s.error).toMatchObject({ code: 'network', serverId: 'panel' })
    expect(s.inflight).toMatchObject({ id: 1, outcome: 'unknown', users: 2 })
    src.set('1', 150, 200)
    s = await r.runOnce()
    expect(s.error).toBeNull()
    // Batch 1 acknowledged without a resend; the new delta is batch 2.
    expect(panel.reports.map((b) => b.map((i) => i.userId))).toEqual([[1, 2], [1]])
    expect(panel.reports[1]).toEqual([{ userId: 1, u: 50, d: 0 }])
    expect(s.acked).toEqual({ u: 151, d: 202 })
    expectPanelEqualsSource(src, panel)
  })

  it('a lost answer of a batch the panel did not apply is sent again as is', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1])
    const r = runner(src, panel)
    src.set('1', 100, 200)
    panel.script = ['lostBeforeApply']
    await r.runOnce()
    src.set('1', 110, 200)
    let s = await r.runOnce()
    expect(s.lastReport?.batchId).toBe(1)
    s = await r.runOnce()
    // One batch per tick: batch 1 again as is, then the new delta.
    expect(panel.reports).toEqual([
      [{ userId: 1, u: 100, d: 200 }],
      [{ userId: 1, u: 100, d: 200 }],
      [{ userId: 1, u: 10, d: 0 }],
    ])
    expect(s.lastReport?.batchId).toBe(2)
    expectPanelEqualsSource(src, panel)
  })

  it('a refused report (applied=no) is resent without asking the panel anything', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1])
    const r = runner(src, panel, { settleSec: 3600 })
    src.set('1', 1, 2)
    panel.script = ['refused']
    let s = await r.runOnce()
    expect(s.state).toBe('error')
    expect(s.inflight).toMatchObject({ outcome: 'sending' })
    expect(s.verifyAfter).toBeNull()
    s = await r.runOnce()
    expect(s.state).toBe('idle')
    expect(panel.reports).toHaveLength(2)
    expectPanelEqualsSource(src, panel)
  })

  it('a batch the panel applied in part: the applied items are acknowledged, the rest resent', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1, 2, 3])
    const r = runner(src, panel)
    src.set('1', 10, 100)
    src.set('2', 20, 200)
    src.set('3', 30, 300)
    panel.script = [{ partial: 1 }]
    await r.runOnce()
    expect(panel.get(1)).toEqual({ u: 10, d: 100 })
    expect(panel.get(2)).toEqual({ u: 0, d: 0 })
    const s = await r.runOnce()
    expect(s.error).toBeNull()
    expect(panel.reports[1]).toEqual([
      { userId: 2, u: 20, d: 200 },
      { userId: 3, u: 30, d: 300 },
    ])
    expect(s.lastReport).toMatchObject({ batchId: 2, users: 2 })
    expectPanelEqualsSource(src, panel)
  })

  it('with the node’s rate: a lost answer is judged by bytes × rate', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1, 2])
    panel.rate = 2
    const r = runner(src, panel, { trafficRate: 2 })
    src.set('1', 1000, 3)
    src.set('2', 7, 7)
    panel.script = ['lostAfterApply']
    await r.runOnce()
    const s = await r.runOnce()
    expect(s.state).toBe('idle')
    expect(panel.reports).toHaveLength(1)
    expectPanelEqualsSource(src, panel, 2)
  })

  it('counters that do not add up: needs_attention until the admin decides, readings still journaled', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1])
    const r = runner(src, panel)
    src.set('1', 1000, 1000)
    panel.script = ['lostAfterApply']
    await r.runOnce()
    // Meanwhile the panel's traffic of user 1 was reset by hand.
    panel.rows[0]!.u = 10
    panel.rows[0]!.d = 10
    let s = await r.runOnce()
    expect(s.state).toBe('needs_attention')
    expect(s.attention).toMatchObject({
      batchId: 1,
      items: [
        {
          userId: 1,
          before: { u: 0, d: 0 },
          after: { u: 10, d: 10 },
          verdict: 'unclear',
        },
      ],
    })
    expect(s.error?.message).toMatch(/user 1.*u \+10, d \+10.*1000 and 1000/)
    // More traffic: journaled, nothing sent, and no automatic decision later either.
    src.set('1', 1500, 1000)
    panel.rows[0]!.u = 5000
    panel.rows[0]!.d = 5000
    s = await r.runOnce()
    expect(s.state).toBe('needs_attention')
    expect(panel.reports).toHaveLength(1)
    expect(s.pending).toEqual({ users: 1, u: 500, d: 0 })
    s = await r.resolve('applied')
    expect(s.state).not.toBe('needs_attention')
    expect(s.attention).toBeNull()
    expect(s.acked).toEqual({ u: 1000, d: 1000 })
    s = await r.runOnce()
    expect(s.acked).toEqual({ u: 1500, d: 1000 })
    expect(panel.reports.at(-1)).toEqual([{ userId: 1, u: 500, d: 0 }])
    await expect(r.resolve('resend')).rejects.toThrow(/no batch waiting/)
  })

  it('waits settleSec after a lost answer before reading the panel to decide', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1])
    const r = runner(src, panel, { settleSec: 60 })
    src.set('1', 5, 5)
    panel.script = ['lostBeforeApply']
    let s = await r.runOnce()
    expect(s.verifyAfter).toBe(clock + 60_000)
    clock += 30_000
    s = await r.runOnce()
    expect(panel.reports).toHaveLength(1)
    expect(s.inflight?.outcome).toBe('unknown')
    clock += 31_000
    s = await r.runOnce()
    expect(panel.reports).toHaveLength(2)
    expect(s.inflight).toBeNull()
    expect(s.verifyAfter).toBeNull()
  })

  it('resumes a batch found mid-send in the journal (a crash): verified, or resent if never armed', async () => {
    const path = join(dir, 'b1.json')
    // Crash after the counters were journaled and the send began: the panel never got it.
    let j = await BridgeJournal.open(path)
    await j.recordReading(new Map([['1', { up: 10, down: 20 }]]), new Map([['1', 1]]))
    let b = (await j.nextBatch())!
    await j.armSend(b.id, new Map([[1, { u: 0, d: 0 }]]))
    const src = new FakeSource()
    src.set('1', 10, 20)
    const panel = new FakePanel([1])
    const r = runner(src, panel, { settleSec: 3600 })
    clock += 3_600_000
    await r.runOnce()
    expect(panel.reports).toEqual([[{ userId: 1, u: 10, d: 20 }]])
    expectPanelEqualsSource(src, panel)
    // Crash between nextBatch and armSend: surely not sent, resent at once (no settle wait).
    await r.stop()
    j = await BridgeJournal.open(path)
    await j.recordReading(new Map([['1', { up: 11, down: 20 }]]), new Map([['1', 1]]))
    b = (await j.nextBatch())!
    expect(b.before).toBeNull()
    src.set('1', 11, 20)
    await r.runOnce()
    expect(panel.reports.at(-1)).toEqual([{ userId: 1, u: 1, d: 0 }])
    expectPanelEqualsSource(src, panel)
  })

  it('a failing online count is shown and never blocks the traffic', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1])
    const r = runner(src, panel)
    src.set('1', 1, 1)
    src.online = 4
    panel.onlineFail = appError('http_status', 'update failed', { serverId: 'panel' })
    let s = await r.runOnce()
    expect(s.state).toBe('idle')
    expect(s.error).toBeNull()
    expect(s.online).toMatchObject({ count: 4, at: null, error: { code: 'http_status' } })
    expect(panel.reports).toHaveLength(1)
    panel.onlineFail = null
    src.online = null
    s = await r.runOnce()
    expect(s.online.error).toMatchObject({ code: 'unsupported', serverId: 'src' })
    src.online = 2
    s = await r.runOnce()
    expect(s.online).toEqual({ count: 2, at: clock, error: null })
    expect(panel.onlineReports).toEqual([2])
    // Off: nothing reported.
    const r2 = runner(src, panel, { reportOnline: false })
    await r.stop()
    await r2.runOnce()
    expect(panel.onlineReports).toEqual([2])
  })

  it('journals source readings while the panel is down, and backs off', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1])
    const r = runner(src, panel, { intervalSec: 60 })
    src.set('1', 1, 1)
    await r.runOnce() // the panel's users are known from now on
    panel.usersFail = appError('network', 'panel down', { serverId: 'panel' })
    src.set('1', 5, 5)
    const errored = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        const s = r.status()
        if (s.state === 'error' && s.nextRunAt !== null) {
          clearInterval(poll)
          resolve()
        }
      }, 5)
    })
    await r.start()
    await errored
    let s = r.status()
    expect(s.error).toMatchObject({ code: 'network', serverId: 'panel' })
    expect(s.nextRunAt! - clock).toBe(120_000)
    expect(s.pending).toEqual({ users: 1, u: 4, d: 4 })
    s = await r.runOnce()
    expect(s.nextRunAt! - clock).toBe(240_000)
    for (let i = 0; i < 5; i++) s = await r.runOnce()
    expect(s.nextRunAt! - clock).toBe(MAX_BACKOFF_MS)
    panel.usersFail = null
    s = await r.runOnce()
    expect(s.state).toBe('idle')
    expect(s.nextRunAt! - clock).toBe(60_000)
    expectPanelEqualsSource(src, panel)
  })

  it('a user gone from the panel keeps its bytes pending; the others are reported', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1, 2])
    const r = runner(src, panel)
    src.set('1', 1, 1)
    src.set('2', 2, 2)
    panel.script = ['refused']
    await r.runOnce()
    panel.rows = panel.rows.filter((u) => u.id !== 2)
    const s = await r.runOnce()
    expect(panel.reports.at(-1)).toEqual([{ userId: 1, u: 1, d: 1 }])
    expect(s.pending).toEqual({ users: 1, u: 2, d: 2 })
    expect(s.error).toBeNull()
  })

  it('one runner per journal: a second one is refused, naming the first', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1])
    const first = runner(src, panel, {}, { owner: 'the NodeDeck app' })
    await first.start({ lockNow: true })
    const second = runner(src, panel, {}, { owner: 'nodedeck bridge run' })
    const s = await second.runOnce()
    expect(s.state).toBe('error')
    expect(s.error?.message).toContain(`the NodeDeck app (process ${process.pid}`)
    await expect(second.start({ lockNow: true })).rejects.toThrow(/already running/)
    await first.stop()
    expect(existsSync(join(dir, 'b1.lock'))).toBe(false)
    expect((await second.runOnce()).error).toBeNull()
  })

  it('overlapping one-off runs (two clicks on "run now") never send a batch twice', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1])
    const r = runner(src, panel)
    src.set('1', 10, 10)
    panel.script = ['slow', 'slow']
    await Promise.all([r.runOnce(), r.runOnce(), r.resolve('applied').catch(() => null)])
    expect(panel.reports).toHaveLength(1)
    expectPanelEqualsSource(src, panel)
  })

  it('a lock left by a dead process is taken over', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.pid'], { encoding: 'utf8' })
    expect(dead.status).toBe(0)
    const deadPid = dead.pid!
    await writeFile(
      join(dir, 'b1.lock'),
      JSON.stringify({ pid: deadPid, owner: 'x', host: '', startedAt: 0, nonce: 'n' }),
    )
    const src = new FakeSource()
    src.set('1', 1, 1)
    const r = runner(src, new FakePanel([1]))
    expect((await r.runOnce()).error).toBeNull()
  })

  it('stop() cancels a report in flight and waits for its journal write', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1])
    const r = runner(src, panel)
    src.set('1', 1, 1)
    panel.script = ['hang']
    const sent = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (panel.reports.length > 0) {
          clearInterval(poll)
          resolve()
        }
      }, 2)
    })
    await r.start()
    await sent
    await r.stop()
    expect(r.status().state).toBe('stopped')
    const j = await journal()
    // The report may have reached the panel: recorded as unknown before the lock went.
    expect(j.inflight).toMatchObject({ id: 1, outcome: 'unknown' })
    expect(j.inflight?.before).toMatchObject({ attempt: 1, users: { 1: { u: 0, d: 0 } } })
    expect(existsSync(join(dir, 'b1.lock'))).toBe(false)
    expect(JSON.parse(await readFile(join(dir, 'b1.json'), 'utf8'))).toEqual(j)
  })

  it('a failing source is an error naming it; the panel still gets what was journaled', async () => {
    const src = new FakeSource()
    const panel = new FakePanel([1])
    const r = runner(src, panel)
    src.set('1', 3, 3)
    panel.script = ['refused']
    await r.runOnce()
    src.fail = appError('timeout', 'source timed out', { serverId: 'src' })
    const s = await r.runOnce()
    expect(s.state).toBe('error')
    expect(s.error).toMatchObject({ code: 'timeout', serverId: 'src' })
    expect(panel.reports).toHaveLength(2)
    expect(s.acked).toEqual({ u: 3, d: 3 })
  })
})
