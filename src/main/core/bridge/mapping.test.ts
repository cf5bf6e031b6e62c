import { describe, expect, it } from 'vitest'
import { mapNames, previewMapping, type PanelUser } from './mapping'

const users: PanelUser[] = [
  { id: 1, email: 'Ann@Example.com', port: 20001, u: 0, d: 0 },
  { id: 2, email: 'bo@example.com', port: 20002, u: 0, d: 0 },
  { id: 3, email: 'twin@example.com', port: 20003, u: 0, d: 0 },
  { id: 4, email: 'TWIN@example.com', port: 20003, u: 0, d: 0 },
  { id: 5, email: null, port: null, u: 0, d: 0 },
]

describe('mapNames', () => {
  it('id: decimal names of listed users only', () => {
    const m = mapNames(['1', '5', '07', '+2', '9', 'ann', ' 2'], users, 'id')
    expect([...m.mapping]).toEqual([
      ['1', 1],
      ['5', 5],
    ])
    expect(m.unmatched).toEqual([' 2', '+2', '07', '9', 'ann'])
  })

  it('email: case-insensitive, never guessed when two users share it', () => {
    const m = mapNames(
      ['ann@example.com', 'ANN@EXAMPLE.COM', 'twin@example.com', 'x'],
      users,
      'email',
    )
    expect([...m.mapping]).toEqual([
      ['ann@example.com', 1],
      ['ANN@EXAMPLE.COM', 1],
    ])
    expect(m.duplicates).toEqual([{ userId: 1, names: ['ANN@EXAMPLE.COM', 'ann@example.com'] }])
    expect(m.ambiguous).toEqual([{ name: 'twin@example.com', userIds: [3, 4] }])
    expect(m.unmatched).toEqual(['twin@example.com', 'x'])
  })

  it('port: the user’s port, ambiguous when shared', () => {
    const m = mapNames(['20002', '20003', '1'], users, 'port')
    expect([...m.mapping]).toEqual([['20002', 2]])
    expect(m.ambiguous).toEqual([{ name: '20003', userIds: [3, 4] }])
  })

  it('preview lists matched users with their email and port', () => {
    const p = previewMapping(['2', 'zz', '2'], users, 'all', 'id')
    expect(p).toEqual({
      sourceUsers: 2,
      panelUsers: 5,
      panelList: 'all',
      matched: [{ name: '2', userId: 2, email: 'bo@example.com', port: 20002 }],
      unmatched: ['zz'],
      duplicates: [],
      ambiguous: [],
    })
  })
})
