import { describe, expect, it } from 'vitest'
import { wgUserNames } from './adapter'

describe('wgUserNames', () => {
  it('uses the nickname, or User_<id> like the monitor’s own page', () => {
    const names = wgUserNames([
      { id: 1, nickname: 'alice' },
      { id: 2, nickname: null },
      { id: 3, nickname: '  ' },
    ])
    expect([...names.entries()]).toEqual([
      [1, 'alice'],
      [2, 'User_2'],
      [3, 'User_3'],
    ])
  })

  it('gives every user of a shared nickname its id, so each name maps back to one user', () => {
    const names = wgUserNames([
      { id: 4, nickname: 'phone' },
      { id: 9, nickname: 'phone' },
      { id: 5, nickname: 'laptop' },
      // A nickname that looks like another user's default name is a duplicate too.
      { id: 6, nickname: 'User_7' },
      { id: 7, nickname: null },
    ])
    expect(names.get(4)).toBe('phone#4')
    expect(names.get(9)).toBe('phone#9')
    expect(names.get(5)).toBe('laptop')
    expect(names.get(6)).toBe('User_7#6')
    expect(names.get(7)).toBe('User_7#7')
    expect(new Set(names.values()).size).toBe(names.size)
  })
})
