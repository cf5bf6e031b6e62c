import { describe, expect, it } from 'vitest'
import { stableRows } from './stable-rows'

type Row = { id: string; n: number | null }

describe('stableRows', () => {
  it('keeps the objects (and the array) of rows that did not change', () => {
    const keep = stableRows<Row>((r) => r.id)
    const first = keep([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ])
    const again = keep([
      { id: 'a', n: 1 },
      { id: 'b', n: 2 },
    ])
    expect(again).toBe(first)

    const changed = keep([
      { id: 'a', n: 1 },
      { id: 'b', n: 3 },
    ])
    expect(changed).not.toBe(first)
    expect(changed[0]).toBe(first[0])
    expect(changed[1]).not.toBe(first[1])
    expect(changed[1]).toEqual({ id: 'b', n: 3 })
  })

  it('follows reorders, removals and additions', () => {
    const keep = stableRows<Row>((r) => r.id)
    const first = keep([
      { id: 'a', n: 1 },
      { id: 'b', n: null },
    ])
    const next = keep([
      { id: 'c', n: 0 },
      { id: 'b', n: null },
    ])
    expect(next[1]).toBe(first[1])
    expect(next[0]).toEqual({ id: 'c', n: 0 })
    const reordered = keep([next[1] as Row, { id: 'c', n: 0 }])
    expect(reordered[0]).toBe(next[1])
    expect(reordered[1]).toBe(next[0])
    expect(keep([])).toEqual([])
  })
})
