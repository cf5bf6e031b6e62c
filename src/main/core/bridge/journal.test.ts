import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomic } from '../util/atomic-file'
import { BridgeJournal, type Bytes, type JournalState, type SourceCounter } from './journal'
import { createPrng as rng } from '../../../shared/prng'

let dir: string
let file: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nodedeck-journal-'))
  file = join(dir, 'bridge.json')
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const counters = (
  o: Record<string, [number | bigint, number | bigint]>,
): Map<string, SourceCounter> =>
  new Map(Object.entries(o).map(([k, [up, down]]) => [k, { up, down }]))
const map = (o: Record<string, number>): Map<string, number> => new Map(Object.entries(o))

describe('BridgeJournal', () => {
  it('turns counters into deltas and handles resets per direction', async () => {
    const j = await BridgeJournal.open(file)
    const m = map({ alice: 1, bob: 2 })
    await j.recordReading(counters({ alice: [100, 200], bob: [5, 0] }), m)
    expect(j.snapshot().pending).toEqual({ 1: { u: 100, d: 200 }, 2: { u: 5, d: 0 } })
    await j.recordReading(counters({ alice: [150, 260] }), m)
    expect(j.snapshot().pending[1]).toEqual({ u: 150, d: 260 })
    // Source restarted: up went backwards (delta = new value), down kept growing.
    await j.recordReading(counters({ alice: [10, 300], bob: [5, 0] }), m)
    expect(j.snapshot().pending).toEqual({ 1: { u: 160, d: 300 }, 2: { u: 5, d: 0 } })
    // Persisted before returning.
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as JournalState
    expect(onDisk.pending).toEqual({ 1: { u: 160, d: 300 }, 2: { u: 5, d: 0 } })
    expect(onDisk.last.alice).toEqual({ up: 10, down: 300 })
  })

  it('persisted totals (HY2 SCALE) reloaded older after a restart are re-based, never re-reported', async () => {
    const j = await BridgeJournal.open(file)
    const m = map({ alice: 1, bob: 2 })
    const opts = { backwards: 'persisted' as const }
    await j.recordReading(counters({ alice: [0, 10_000], bob: [0, 800] }), m, opts)
    await j.recordReading(counters({ alice: [0, 10_500], bob: [0, 900] }), m, opts)
    expect(j.snapshot().pending).toEqual({ 1: { u: 0, d: 10_500 }, 2: { u: 0, d: 900 } })
    // The node restarted and reloaded totals flushed a little earlier (alice 10,300 < 10,500):
    // nothing new, the counter is re-based. Bob's traffic was reset by the admin (900 → 40):
    // those 40 bytes are new.
    await j.recordReading(counters({ alice: [0, 10_300], bob: [0, 40] }), m, opts)
    expect(j.snapshot().pending).toEqual({ 1: { u: 0, d: 10_500 }, 2: { u: 0, d: 940 } })
    // Counting goes on from the re-based value.
    await j.recordReading(counters({ alice: [0, 10_400], bob: [0, 50] }), m, opts)
    expect(j.snapshot().pending).toEqual({ 1: { u: 0, d: 10_600 }, 2: { u: 0, d: 950 } })
    // The default (in-memory counters, Hysteria 2): backwards = counting from zero again.
    await j.recordReading(counters({ alice: [0, 10_350] }), m)
    expect(j.snapshot().pending[1]).toEqual({ u: 0, d: 20_950 })
  })

  it('a baseline starts a fresh journal only, persisted, even when the reading is empty', async () => {
    const j = await BridgeJournal.open(file)
    expect(j.isFresh()).toBe(true)
    await j.recordBaseline(counters({}))
    expect(j.isFresh()).toBe(false)
    const reopened = await BridgeJournal.open(file)
    expect(reopened.isFresh()).toBe(false)
    await reopened.recordReading(counters({ alice: [5, 6] }), map({ alice: 1 }))
    expect(reopened.snapshot().pending).toEqual({ 1: { u: 5, d: 6 } })
    // Not fresh any more: a second baseline would drop journaled bytes.
    await expect(reopened.recordBaseline(counters({ alice: [9, 9] }))).rejects.toThrow(/baseline/)
    expect(reopened.snapshot().pending).toEqual({ 1: { u: 5, d: 6 } })
  })

  it('keeps unmapped users and reports them once mapped', async () => {
    const j = await BridgeJournal.open(file)
    await j.recordReading(counters({ alice: [10, 10], carol: [7, 3] }), map({ alice: 1 }))
    expect(j.snapshot().unmatched).toEqual({ carol: { u: 7, d: 3 } })
    await j.recordReading(counters({ carol: [9, 3] }), map({ alice: 1 }))
    expect(j.snapshot().unmatched).toEqual({ carol: { u: 9, d: 3 } })
    await j.recordReading(counters({ carol: [10, 4] }), map({ alice: 1, carol: 3 }))
    expect(j.snapshot().unmatched).toEqual({})
    const b = await j.nextBatch()
    expect(b?.items).toEqual([
      { userId: 1, u: 10, d: 10 },
      { userId: 3, u: 10, d: 4 },
    ])
  })

  it('resends the same batch until ack; new deltas wait in pending', async () => {
    const j = await BridgeJournal.open(file)
    const m = map({ a: 1 })
    expect(await j.nextBatch()).toBeNull()
    await j.recordReading(counters({ a: [10, 20] }), m)
    const b1 = await j.nextBatch()
    expect(b1).toMatchObject({ id: 1, items: [{ userId: 1, u: 10, d: 20 }], attempts: 1 })
    await j.recordReading(counters({ a: [15, 25] }), m)
    const again = await j.nextBatch()
    expect(again).toMatchObject({ id: 1, items: b1!.items, attempts: 2 })
    expect(j.snapshot().pending).toEqual({ 1: { u: 5, d: 5 } })
    await expect(j.ack(2)).rejects.toThrow(/batch 1 is in flight/)
    await j.ack(1)
    expect(j.snapshot().acked).toEqual({ 1: { u: 10, d: 20 } })
    const b2 = await j.nextBatch()
    expect(b2).toMatchObject({ id: 2, items: [{ userId: 1, u: 5, d: 5 }] })
    await j.ack(2)
    expect(j.ackedTotals().get(1)).toEqual({ u: 15, d: 25 })
    expect(await j.nextBatch()).toBeNull()
  })

  it("fail 'no' resends the same batch", async () => {
    const j = await BridgeJournal.open(file)
    await j.recordReading(counters({ a: [1, 2] }), map({ a: 1 }))
    const b = (await j.nextBatch())!
    await j.fail(b.id, 'no')
    expect(j.needsReconcile()).toBe(false)
    expect(await j.nextBatch()).toMatchObject({ id: b.id, items: b.items })
  })

  it("fail 'unknown' needs a reconcile, both ways", async () => {
    const j = await BridgeJournal.open(file)
    await j.recordReading(counters({ a: [1, 2] }), map({ a: 1 }))
    const b = (await j.nextBatch())!
    await j.fail(b.id, 'unknown')
    expect(j.needsReconcile()).toBe(true)
    await expect(j.nextBatch()).rejects.toThrow(/reconcile/)
    // Not applied: resent as-is.
    await j.reconcile(b.id, false)
    expect(j.needsReconcile()).toBe(false)
    expect(await j.nextBatch()).toMatchObject({ id: b.id, items: b.items })
    await j.fail(b.id, 'unknown')
    // Applied: acked, never resent.
    await j.reconcile(b.id, true)
    expect(j.snapshot().inflight).toBeNull()
    expect(j.snapshot().acked).toEqual({ 1: { u: 1, d: 2 } })
    expect(await j.nextBatch()).toBeNull()
  })

  it("loads a 'sending' batch as 'unknown' unless told the send never started", async () => {
    const j = await BridgeJournal.open(file)
    await j.recordReading(counters({ a: [1, 2] }), map({ a: 1 }))
    const b = (await j.nextBatch())!
    const j2 = await BridgeJournal.open(file, { inflightNotSent: true })
    expect(j2.needsReconcile()).toBe(false)
    expect(await j2.nextBatch()).toMatchObject({ id: b.id, items: b.items })
    const j3 = await BridgeJournal.open(file)
    expect(j3.needsReconcile()).toBe(true)
    expect((await BridgeJournal.open(file)).inflight()).toMatchObject({
      id: b.id,
      outcome: 'unknown',
    })
  })

  it('refuses bytes above 2^53 and changes nothing', async () => {
    const j = await BridgeJournal.open(file)
    await j.recordReading(counters({ a: [2n ** 40n, 1] }), map({ a: 1 }))
    expect(j.snapshot().pending[1]).toEqual({ u: 2 ** 40, d: 1 })
    const before = await readFile(file, 'utf8')
    await expect(j.recordReading(counters({ a: [2n ** 53n, 1] }), map({ a: 1 }))).rejects.toThrow(
      /2\^53/,
    )
    await expect(j.recordReading(counters({ a: [-1, 1] }), map({ a: 1 }))).rejects.toThrow()
    await expect(j.recordReading(counters({ a: [1.5, 1] }), map({ a: 1 }))).rejects.toThrow()
    await expect(
      j.recordReading(
        counters({ a: [Number.MAX_SAFE_INTEGER, 1], b: [1, 1] }),
        map({ a: 1, b: 1 }),
      ),
    ).rejects.toThrow(/exceed/)
    expect(await readFile(file, 'utf8')).toBe(before)
    expect(j.snapshot().pending[1]).toEqual({ u: 2 ** 40, d: 1 })
  })

  it('moves a corrupt file aside and refuses to start', async () => {
    for (const bad of ['{"version":1,', '', '{"version":2}', '{"version":1,"seq":0}']) {
      await writeFile(file, bad)
      const err = await BridgeJournal.open(file).catch((e: unknown) => e)
      expect(err).toMatchObject({ appError: { code: 'storage' } })
      expect((err as Error).message).toMatch(/corrupt.*moved to/)
      const names = await readdir(dir)
      expect(names).not.toContain('bridge.json')
      expect(names.some((n) => n.startsWith('bridge.json.corrupt-'))).toBe(true)
      for (const n of names) await rm(join(dir, n))
    }
  })

  it('a failed write leaves memory and file unchanged', async () => {
    let broken = false
    const j = await BridgeJournal.open(file, {
      writeFile: (p, d) =>
        broken ? Promise.reject(new Error('disk full')) : writeFileAtomic(p, d),
    })
    await j.recordReading(counters({ a: [1, 1] }), map({ a: 1 }))
    broken = true
    await expect(j.recordReading(counters({ a: [5, 5] }), map({ a: 1 }))).rejects.toThrow(/disk/)
    await expect(j.nextBatch()).rejects.toThrow(/disk/)
    expect(j.snapshot().pending).toEqual({ 1: { u: 1, d: 1 } })
    expect(j.snapshot().inflight).toBeNull()
    broken = false
    await j.recordReading(counters({ a: [5, 5] }), map({ a: 1 }))
    expect(j.snapshot().pending).toEqual({ 1: { u: 5, d: 5 } })
  })
})

describe('BridgeJournal: verification of lost answers (bridge runner)', () => {
  it('armSend journals the panel counters of the current attempt; a new attempt clears them', async () => {
    const j = await BridgeJournal.open(file)
    await j.recordReading(counters({ a: [10, 20], b: [1, 1] }), map({ a: 1, b: 2 }))
    let b = (await j.nextBatch())!
    expect(b.before).toBeNull()
    await expect(j.armSend(b.id, new Map([[1, { u: 5, d: 5 }]]))).rejects.toThrow(/user 2/)
    await j.armSend(
      b.id,
      new Map([
        [1, { u: 5, d: 5 }],
        [2, { u: 0, d: 7 }],
      ]),
    )
    const onDisk = JSON.parse(await readFile(file, 'utf8')) as JournalState
    expect(onDisk.inflight?.before).toMatchObject({ attempt: 1, users: { 1: { u: 5, d: 5 } } })
    // Refused by the panel: surely not applied, the snapshot goes.
    await j.fail(b.id, 'no')
    expect(j.inflight()?.before).toBeNull()
    b = (await j.nextBatch())!
    await j.armSend(
      b.id,
      new Map([
        [1, { u: 5, d: 5 }],
        [2, { u: 0, d: 7 }],
      ]),
    )
    await j.fail(b.id, 'unknown')
    // Unknown: the snapshot stays (it is the evidence), and arming again is refused.
    expect(j.inflight()?.before).toMatchObject({ attempt: 2 })
    await expect(j.armSend(b.id, new Map())).rejects.toThrow(/reconcile/)
    await j.reconcile(b.id, false)
    expect(j.inflight()).toMatchObject({ outcome: 'sending', before: null })
  })

  it('a crash after armSend loads as unknown with its snapshot; one before it, without', async () => {
    let j = await BridgeJournal.open(file)
    await j.recordReading(counters({ a: [1, 2] }), map({ a: 1 }))
    const b = (await j.nextBatch())!
    j = await BridgeJournal.open(file)
    expect(j.inflight()).toMatchObject({ outcome: 'unknown', before: null })
    await j.reconcile(b.id, false)
    const again = (await j.nextBatch())!
    await j.armSend(again.id, new Map([[1, { u: 0, d: 0 }]]))
    j = await BridgeJournal.open(file)
    expect(j.inflight()).toMatchObject({
      outcome: 'unknown',
      attempts: 2,
      before: { attempt: 2, users: { 1: { u: 0, d: 0 } } },
    })
  })

  it('settle acknowledges the applied items and puts the others back in pending, atomically', async () => {
    const j = await BridgeJournal.open(file)
    await j.recordReading(
      counters({ a: [1, 10], b: [2, 20], c: [3, 30] }),
      map({ a: 1, b: 2, c: 3 }),
    )
    const b = (await j.nextBatch())!
    await j.recordReading(counters({ b: [5, 20] }), map({ a: 1, b: 2, c: 3 }))
    await expect(j.settle(b.id, [9])).rejects.toThrow(/not part of batch/)
    await j.settle(b.id, [1])
    const s = j.snapshot()
    expect(s.inflight).toBeNull()
    expect(s.acked).toEqual({ 1: { u: 1, d: 10 } })
    expect(s.pending).toEqual({ 2: { u: 5, d: 20 }, 3: { u: 3, d: 30 } })
    expect(s.lastAck).toMatchObject({ batchId: b.id, users: 1, u: 1, d: 10 })
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(s)
    // settle(id, []) dissolves a batch known not to be applied.
    const b2 = (await j.nextBatch())!
    await j.settle(b2.id, [])
    expect(j.snapshot().pending).toEqual({ 2: { u: 5, d: 20 }, 3: { u: 3, d: 30 } })
    expect(j.snapshot().acked).toEqual({ 1: { u: 1, d: 10 } })
  })

  it('nextBatch({include}) leaves the other users pending; nothing included = no batch', async () => {
    const j = await BridgeJournal.open(file)
    await j.recordReading(counters({ a: [1, 1], b: [2, 2] }), map({ a: 1, b: 2 }))
    expect(await j.nextBatch({ include: () => false })).toBeNull()
    expect(j.snapshot().seq).toBe(0)
    const b = (await j.nextBatch({ include: (id) => id === 2 }))!
    expect(b.items).toEqual([{ userId: 2, u: 2, d: 2 }])
    expect(j.snapshot().pending).toEqual({ 1: { u: 1, d: 1 } })
  })

  it('markAttention keeps the numbers until a decision; ack records lastAck', async () => {
    const j = await BridgeJournal.open(file)
    await j.recordReading(counters({ a: [4, 4] }), map({ a: 1 }))
    const b = (await j.nextBatch())!
    await expect(j.markAttention(b.id, { reason: 'x', items: [] })).rejects.toThrow(/not waiting/)
    await j.fail(b.id, 'unknown')
    const item = { userId: 1, u: 4, d: 4, before: { u: 0, d: 0 }, after: { u: 1, d: 0 } }
    await j.markAttention(b.id, { reason: 'odd', items: [{ ...item, verdict: 'unclear' }] })
    const reopened = await BridgeJournal.open(file)
    expect(reopened.inflight()?.attention).toMatchObject({ reason: 'odd', items: [item] })
    expect(reopened.needsReconcile()).toBe(true)
    await reopened.reconcile(b.id, true)
    expect(reopened.snapshot()).toMatchObject({
      inflight: null,
      lastAck: { batchId: b.id, users: 1, u: 4, d: 4 },
    })
  })

  it('peek reads without writing; a corrupt file is left in place', async () => {
    expect(await BridgeJournal.peek(file)).toBeNull()
    expect(await readdir(dir)).toEqual([])
    const j = await BridgeJournal.open(file)
    await j.recordReading(counters({ a: [1, 1] }), map({ a: 1 }))
    await j.nextBatch()
    const before = await readFile(file, 'utf8')
    // A 'sending' batch stays 'sending' on disk: peek is no takeover.
    expect((await BridgeJournal.peek(file))?.inflight?.outcome).toBe('sending')
    expect(await readFile(file, 'utf8')).toBe(before)
    await writeFile(
      file,
      '{"version":1,"seq":0,"last":{},"pending":{},"unmatched":{},"inflight":{"id":1}}',
    )
    await expect(BridgeJournal.peek(file)).rejects.toThrow(/corrupt/)
    expect(await readdir(dir)).toEqual(['bridge.json'])
  })

  it('refuses a file whose new fields are malformed', async () => {
    const j = await BridgeJournal.open(file)
    await j.recordReading(counters({ a: [1, 1] }), map({ a: 1 }))
    await j.nextBatch()
    const s = JSON.parse(await readFile(file, 'utf8')) as JournalState
    s.inflight!.before = { at: 'x', attempt: -1, users: {} }
    await writeFile(file, JSON.stringify(s))
    await expect(BridgeJournal.open(file)).rejects.toMatchObject({ appError: { code: 'storage' } })
  })
})

describe('BridgeJournal under random crashes (property)', () => {
  // Across all seeds, the interesting paths must actually have been taken.
  const seen = { crashes: 0, reconcileApplied: 0, reconcileNot: 0, failNo: 0, resets: 0 }
  afterAll(() => {
    for (const [k, v] of Object.entries(seen)) expect(v, k).toBeGreaterThan(0)
  })
  const NAMES = ['a', 'b', 'c', 'd']
  const IDS: Record<string, number> = { a: 1, b: 2, c: 3, d: 4 }

  for (let seed = 1; seed <= 25; seed++) {
    it(`seed ${seed}: never loses or duplicates a byte`, async () => {
      const r = rng(seed)
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
      const path = join(dir, `j${seed}.json`)

      // The source: cumulative counters; `produced` = all bytes ever generated per name.
      const counter: Record<string, { up: number; down: number }> = {}
      const produced: Record<string, Bytes> = {}
      // Bytes the journal must hold: produced as of its last successful reading.
      let journaled: Record<string, Bytes> = {}
      let readSinceChange = true
      const mapped = new Set<string>(['a'])
      // The panel: per-user totals, and which batch ids it applied (to answer reconciles).
      const panel: Record<number, Bytes> = {}
      const appliedBatches = new Set<number>()

      let crashNextWrite = false
      const opts = {
        writeFile: async (p: string, d: string): Promise<void> => {
          if (crashNextWrite) {
            crashNextWrite = false
            throw new Error('crash during write')
          }
          await writeFileAtomic(p, d)
        },
      }
      let j = await BridgeJournal.open(path, opts)
      const crash = async (): Promise<void> => {
        crashNextWrite = false // the restarted process writes normally
        seen.crashes++
        j = await BridgeJournal.open(path, opts)
      }
      const mapping = (): Map<string, number> =>
        new Map([...mapped].map((n) => [n, IDS[n]!] as [string, number]))

      const checkInvariant = (): void => {
        const s = j.snapshot()
        const held: Record<string, Bytes> = {}
        const put = (n: string, b: Bytes): void => {
          const h = (held[n] ??= { u: 0, d: 0 })
          h.u += b.u
          h.d += b.d
        }
        const nameOf = (id: number): string => NAMES.find((n) => IDS[n] === id)!
        for (const [n, b] of Object.entries(s.unmatched)) put(n, b)
        for (const [id, b] of Object.entries(s.pending)) put(nameOf(+id), b)
        for (const [id, b] of Object.entries(s.acked)) put(nameOf(+id), b)
        for (const it of s.inflight?.items ?? []) put(nameOf(it.userId), it)
        const norm = (o: Record<string, Bytes>): Record<string, Bytes> =>
          Object.fromEntries(Object.entries(o).filter(([, b]) => b.u > 0 || b.d > 0))
        expect(norm(held)).toEqual(norm(journaled))
        // The panel counted exactly the acked bytes, plus a batch it applied but not yet acked.
        const expectPanel: Record<number, Bytes> = {}
        for (const [id, b] of Object.entries(s.acked)) expectPanel[+id] = { ...b }
        if (s.inflight && appliedBatches.has(s.inflight.id)) {
          for (const it of s.inflight.items) {
            const e = (expectPanel[it.userId] ??= { u: 0, d: 0 })
            e.u += it.u
            e.d += it.d
          }
        }
        expect(norm(panel)).toEqual(norm(expectPanel))
      }

      const read = async (): Promise<void> => {
        const snapshotOfProduced = structuredClone(produced)
        const c = new Map(Object.entries(counter).map(([n, v]) => [n, { ...v }]))
        try {
          await j.recordReading(c, mapping())
          journaled = snapshotOfProduced
          readSinceChange = true
        } catch {
          await crash()
        }
      }

      const sendOnce = async (): Promise<void> => {
        if (j.needsReconcile()) {
          const b = j.inflight()!
          if (appliedBatches.has(b.id)) seen.reconcileApplied++
          else seen.reconcileNot++
          await j.reconcile(b.id, appliedBatches.has(b.id)).catch(crash)
          return
        }
        let b
        try {
          b = await j.nextBatch()
        } catch {
          await crash()
          return
        }
        if (!b) return
        if (r() < 0.1) return crash() // crash after nextBatch, before the send
        const outcome = pick(['ok', 'ok', 'no', 'unknown-applied', 'unknown-not'] as const)
        if (outcome === 'ok' || outcome === 'unknown-applied') {
          expect(appliedBatches.has(b.id)).toBe(false) // never sent twice to the panel
          appliedBatches.add(b.id)
          for (const it of b.items) {
            const p = (panel[it.userId] ??= { u: 0, d: 0 })
            p.u += it.u
            p.d += it.d
          }
        }
        if (r() < 0.15) return crash() // crash after the send, before ack/fail
        try {
          if (outcome === 'ok') await j.ack(b.id)
          else if (outcome === 'no') {
            seen.failNo++
            await j.fail(b.id, 'no')
          } else await j.fail(b.id, 'unknown')
        } catch {
          await crash()
        }
      }

      for (let step = 0; step < 120; step++) {
        if (r() < 0.1) crashNextWrite = true
        const op = r()
        if (op < 0.3) {
          const n = pick(NAMES)
          const inc = { up: Math.floor(r() * 1000), down: Math.floor(r() * 5000) }
          counter[n] = {
            up: (counter[n]?.up ?? 0) + inc.up,
            down: (counter[n]?.down ?? 0) + inc.down,
          }
          const p = (produced[n] ??= { u: 0, d: 0 })
          p.u += inc.up
          p.d += inc.down
          readSinceChange = false
        } else if (op < 0.35 && readSinceChange) {
          // Source restart right after a reading: nothing unread is lost.
          // (A reset the bridge never reads before the counter passes its old value again is
          // undetectable by anyone, so the model reads right away, without a crash.)
          const n = pick(NAMES)
          if (counter[n]) {
            counter[n] = { up: 0, down: 0 }
            seen.resets++
          }
          crashNextWrite = false
          await read()
        } else if (op < 0.4) {
          mapped.add(pick(NAMES))
        } else if (op < 0.65) {
          await read()
        } else if (op < 0.95) {
          await sendOnce()
        } else {
          await crash()
        }
        crashNextWrite = false
        checkInvariant()
      }

      // Drain: map everyone, read, send until nothing is left.
      for (const n of NAMES) mapped.add(n)
      await read()
      await read()
      for (
        let i = 0;
        i < 50 && (j.snapshot().inflight || Object.keys(j.snapshot().pending).length);
        i++
      ) {
        await sendOnce()
        checkInvariant()
      }
      const s = j.snapshot()
      expect(s.inflight).toBeNull()
      expect(s.unmatched).toEqual({})
      const want: Record<number, Bytes> = {}
      for (const [n, b] of Object.entries(produced)) if (b.u || b.d) want[IDS[n]!] = b
      expect(s.acked).toEqual(want)
      const panelNonZero = Object.fromEntries(
        Object.entries(panel).filter(([, b]) => b.u > 0 || b.d > 0),
      )
      expect(panelNonZero).toEqual(want)
    })
  }
})
