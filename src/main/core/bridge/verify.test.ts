import { describe, expect, it } from 'vitest'
import { judgeBatch } from './verify'

const items = [
  { userId: 1, u: 100, d: 1000 },
  { userId: 2, u: 20, d: 0 },
  { userId: 3, u: 3, d: 30 },
]
const zero = { 1: { u: 0, d: 0 }, 2: { u: 0, d: 0 }, 3: { u: 0, d: 0 } }
const after = (o: Record<number, [number, number]>) =>
  new Map(Object.entries(o).map(([k, [u, d]]) => [Number(k), { u, d }]))

describe('judgeBatch', () => {
  it('all applied (more is fine: another node may add), none applied', () => {
    expect(judgeBatch(items, zero, after({ 1: [100, 1000], 2: [25, 0], 3: [3, 30] }), 1).kind).toBe(
      'applied',
    )
    expect(judgeBatch(items, zero, after({ 1: [0, 0], 2: [0, 0], 3: [0, 0] }), 1).kind).toBe(
      'not_applied',
    )
  })

  it('uses bytes × rate, rounded down, per direction', () => {
    const rate2 = after({ 1: [200, 2000], 2: [40, 0], 3: [6, 60] })
    expect(judgeBatch(items, zero, rate2, 2).kind).toBe('applied')
    // With rate 2 assumed but the node at 1: a rise smaller than expected is unclear.
    const v = judgeBatch(items, zero, after({ 1: [100, 1000], 2: [20, 0], 3: [3, 30] }), 2)
    expect(v.kind).toBe('attention')
    if (v.kind === 'attention') expect(v.reason).toMatch(/traffic rate/)
    // Rate 0.5: 3 bytes → 1 (MySQL rounds 1.5 to 2, ⌊1.5⌋ = 1 is the floor that still counts).
    const half = judgeBatch(
      [{ userId: 1, u: 3, d: 1 }],
      { 1: { u: 0, d: 0 } },
      after({ 1: [2, 1] }),
      0.5,
    )
    expect(half.kind).toBe('applied')
  })

  it('an item whose expected rise is 0 either way does not decide anything', () => {
    const tiny = [
      { userId: 1, u: 1, d: 1 },
      { userId: 2, u: 100, d: 0 },
    ]
    const before = { 1: { u: 0, d: 0 }, 2: { u: 0, d: 0 } }
    expect(judgeBatch(tiny, before, after({ 1: [0, 0], 2: [10, 0] }), 0.1).kind).toBe('applied')
    expect(judgeBatch(tiny, before, after({ 1: [0, 0], 2: [0, 0] }), 0.1).kind).toBe('not_applied')
  })

  it('a prefix applied, the rest unchanged: partial (ss-panel stopped midway)', () => {
    const v = judgeBatch(items, zero, after({ 1: [100, 1000], 2: [0, 0], 3: [0, 0] }), 1)
    expect(v).toMatchObject({ kind: 'partial', applied: [1] })
    expect(v.items.map((i) => i.verdict)).toEqual(['applied', 'unchanged', 'unchanged'])
    // A user gone from the panel cannot count either way.
    const gone = judgeBatch(items, zero, after({ 1: [100, 1000], 3: [0, 0] }), 1)
    // (after the last applied item it goes back to pending, where the panel cannot take it)
    expect(gone).toMatchObject({ kind: 'partial', applied: [1] })
    expect(gone.items[1]?.verdict).toBe('either')
  })

  it('anything else needs a person: out of order, a partial rise, a counter that fell', () => {
    const outOfOrder = judgeBatch(items, zero, after({ 1: [0, 0], 2: [20, 0], 3: [0, 0] }), 1)
    expect(outOfOrder.kind).toBe('attention')
    if (outOfOrder.kind === 'attention') expect(outOfOrder.reason).toMatch(/in order/)
    const half = judgeBatch(items, zero, after({ 1: [50, 1000], 2: [0, 0], 3: [0, 0] }), 1)
    expect(half.kind).toBe('attention')
    expect(half.items[0]?.verdict).toBe('unclear')
    if (half.kind === 'attention')
      expect(half.reason).toMatch(/u \+50, d \+1000 where 100 and 1000/)
    const fell = judgeBatch(
      [{ userId: 1, u: 1, d: 1 }],
      { 1: { u: 500, d: 500 } },
      after({ 1: [10, 10] }),
      1,
    )
    expect(fell.kind).toBe('attention')
    expect(judgeBatch(items, {}, after({ 1: [0, 0] }), 1).kind).toBe('attention')
  })
})
