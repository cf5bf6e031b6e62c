import { describe, expect, it } from 'vitest'
import { LineBuffer } from './log-buffer'

const lines = (from: number, n: number) => Array.from({ length: n }, (_, i) => `line ${from + i}`)

describe('LineBuffer', () => {
  it('numbers lines and keeps their receive time', () => {
    const b = new LineBuffer(4)
    expect(b.push('a', 10)).toBe(0)
    b.pushMany(['b', 'c'], 20)
    expect([b.firstSeq, b.endSeq, b.size]).toEqual([0, 3, 3])
    expect([b.text(0), b.text(1), b.text(2)]).toEqual(['a', 'b', 'c'])
    expect([b.time(0), b.time(2)]).toEqual([10, 20])
    expect(b.text(3)).toBe('')
    expect(b.time(3)).toBeNaN()
  })

  it('wraps around, evicting the oldest and counting them', () => {
    const b = new LineBuffer(5)
    for (let i = 0; i < 12; i++) b.push(`line ${i}`)
    expect([b.firstSeq, b.endSeq, b.size, b.evicted]).toEqual([7, 12, 5, 7])
    expect(b.slice()).toEqual(lines(7, 5))
    expect(b.has(6)).toBe(false)
    expect(b.text(6)).toBe('')
  })

  it('pushMany matches pushing one by one, also across the wrap and beyond capacity', () => {
    for (const batches of [[3, 4, 1], [7], [12], [1, 1, 1, 1, 1, 1], [0, 5, 13, 2]]) {
      const a = new LineBuffer(5)
      const b = new LineBuffer(5)
      let n = 0
      for (const k of batches) {
        const ls = lines(n, k)
        a.pushMany(ls, 1)
        for (const l of ls) b.push(l, 1)
        n += k
      }
      expect([a.firstSeq, a.endSeq, a.evicted, a.slice()]).toEqual([
        b.firstSeq,
        b.endSeq,
        b.evicted,
        b.slice(),
      ])
    }
  })

  it('computes the level lazily and forgets it when a slot is reused', () => {
    const b = new LineBuffer(2)
    b.push('2024/01/01 00:00:00 [Error] boom')
    expect(b.level(0)).toBe('error')
    b.push('x')
    b.push('2024/01/01 00:00:00 [Debug] reused slot 0')
    expect(b.level(2)).toBe('debug')
    expect(b.level(0)).toBe('other') // evicted
  })

  it('clear keeps numbering and is not an eviction', () => {
    const b = new LineBuffer(3)
    b.pushMany(lines(0, 5))
    b.clear()
    expect([b.size, b.firstSeq, b.endSeq, b.evicted]).toEqual([0, 5, 5, 2])
    b.push('next')
    expect([b.firstSeq, b.text(5)]).toEqual([5, 'next'])
  })

  it('resizes keeping the newest lines', () => {
    const b = new LineBuffer(6)
    b.pushMany(lines(0, 8))
    b.resize(3)
    expect([b.capacity, b.firstSeq, b.endSeq, b.evicted]).toEqual([3, 5, 8, 5])
    expect(b.slice()).toEqual(lines(5, 3))
    b.resize(10)
    b.pushMany(lines(8, 4))
    expect(b.slice()).toEqual(lines(5, 7))
    expect(b.evicted).toBe(5)
  })

  it('appends without copying: 1e6 lines into 50,000 slots stay fast and exact', () => {
    const b = new LineBuffer(50_000)
    const batch = lines(0, 500)
    const t0 = performance.now()
    for (let i = 0; i < 2000; i++) b.pushMany(batch)
    const ms = performance.now() - t0
    expect([b.size, b.endSeq, b.evicted]).toEqual([50_000, 1_000_000, 950_000])
    expect(ms).toBeLessThan(1000)
  })
})
