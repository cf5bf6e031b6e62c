import { describe, expect, it } from 'vitest'
import { LineBuffer } from './log-buffer'
import { LogStore, replayOverlap } from './log-store'
import { logFileName, logFileText } from './log-save'

describe('LogStore', () => {
  it('counts received, dropped by the core and discarded by the full buffer separately', () => {
    const s = new LogStore({ capacity: 3 })
    const events: string[] = []
    s.subscribe((e) => events.push(e))
    s.append(['a', 'b'], 5)
    s.append(['c', 'd', 'e'], 0)
    expect([s.received, s.droppedUpstream, s.discarded, s.buffer.size]).toEqual([5, 5, 2, 3])
    s.append([], 0) // nothing: no event
    s.clear()
    expect([s.received, s.droppedUpstream, s.discarded, s.buffer.size]).toEqual([0, 0, 0, 0])
    expect(events).toEqual(['append', 'append', 'clear'])
  })
})

describe('replayOverlap', () => {
  const buf = (lines: string[]) => {
    const b = new LineBuffer(100)
    b.pushMany(lines)
    return b
  }

  it('skips the replayed lines the buffer already holds', () => {
    expect(replayOverlap(buf(['a', 'b', 'c']), ['b', 'c', 'd', 'e'])).toBe(2)
    expect(replayOverlap(buf(['a', 'b', 'c']), ['a', 'b', 'c'])).toBe(3)
    expect(replayOverlap(buf(['x', 'y', 'c']), ['a', 'b', 'c', 'd'])).toBe(0)
  })

  it('uses context to pick the right copy of a repeated line', () => {
    expect(replayOverlap(buf(['a', 'b', 'l']), ['a', 'b', 'l', 'x', 'b', 'l', 'y'])).toBe(3)
  })

  it('nothing to skip for an empty buffer or no frames', () => {
    expect(replayOverlap(buf([]), ['a'])).toBe(0)
    expect(replayOverlap(buf(['a']), [])).toBe(0)
  })
})

describe('saving', () => {
  it('names files <server>-<yyyymmdd-hhmmss>.log in local time', () => {
    const at = new Date(2025, 0, 2, 3, 4, 5)
    expect(logFileName('Tokyo 1', at)).toBe('Tokyo_1-20250102-030405.log')
    expect(logFileName('a/b:c', at)).toBe('a_b_c-20250102-030405.log')
    expect(logFileName('  ', at)).toBe('log-20250102-030405.log')
    expect(logFileName('节点', at)).toBe('节点-20250102-030405.log')
  })

  it('writes newline-terminated lines', () => {
    expect(logFileText(['a', 'b'])).toBe('a\nb\n')
    expect(logFileText([])).toBe('')
  })
})
