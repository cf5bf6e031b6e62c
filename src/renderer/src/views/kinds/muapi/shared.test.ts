import { describe, expect, it } from 'vitest'
import { muQuota, muTotals } from '../../../../../shared/mu-users'
import { filterMuUsers, formatShare, muSearchIndex, parseNodeId, type MuFilter } from './shared'
import { muNodeUser, sixUsers } from './test-utils'

const base: MuFilter = { query: '', state: 'all', usage: 'any', now: Date.now() }
const ids = (f: Partial<MuFilter>, users = sixUsers()) =>
  filterMuUsers(muSearchIndex(users), { ...base, ...f }).map((u) => u.id)

describe('Mu quota', () => {
  it('grades used against the quota at 80 % and 100 %; a quota of 0 is none, not 0 % or ∞', () => {
    expect(muQuota({ up: 1, down: 78, quota: 100 })).toMatchObject({ level: 'ok', used: 79 })
    expect(muQuota({ up: 0, down: 80, quota: 100 }).level).toBe('near')
    expect(muQuota({ up: 50, down: 50, quota: 100 })).toMatchObject({ level: 'over', fraction: 1 })
    expect(muQuota({ up: 0, down: 0, quota: 0 })).toEqual({
      used: 0,
      quota: 0,
      fraction: null,
      level: 'none',
    })
  })

  it('totals users, enabled, traffic, quotas and never-used users', () => {
    expect(muTotals(sixUsers())).toEqual({
      users: 6,
      enabled: 5,
      up: 256 * 1024 ** 2 * 2 + 5 * 1024 ** 3,
      down: 768 * 1024 ** 2 * 2 + 15.5 * 1024 ** 3 + 5 * 1024 ** 2,
      quota: 5 * 10 * 1024 ** 3,
      overQuota: 1,
      nearQuota: 1,
      neverUsed: 1,
    })
  })

  it('shows shares without rounding up to 100 %', () => {
    expect(formatShare(0.035)).toBe('3.5 %')
    expect(formatShare(0.9999)).toBe('99 %')
    expect(formatShare(1.05)).toBe('105 %')
    expect(formatShare(0)).toBe('0 %')
  })
})

describe('Mu users filter', () => {
  it('searches email and user name (any case), exact id (#id) and port', () => {
    expect(ids({ query: 'EXAMPLE.com' })).toEqual([1, 2, 3, 6])
    expect(ids({ query: 'dee' })).toEqual([4])
    expect(ids({ query: '#5' })).toEqual([5])
    expect(ids({ query: '443' })).toEqual([5])
    expect(ids({ query: '20003' })).toEqual([3])
    // a number matches an id or a port exactly, not as a part
    expect(ids({ query: '2000' })).toEqual([])
  })

  it('filters by state and usage, combined with the search', () => {
    expect(ids({ state: 'disabled' })).toEqual([6])
    expect(ids({ state: 'enabled' })).toEqual([1, 2, 3, 4, 5])
    expect(ids({ usage: 'over' })).toEqual([3])
    expect(ids({ usage: 'near' })).toEqual([2])
    expect(ids({ usage: 'never' })).toEqual([5])
    expect(ids({ usage: 'recent' })).toEqual([1, 2, 3, 4])
    expect(ids({ usage: 'recent', query: 'ann' })).toEqual([1])
    expect(ids({ state: 'disabled', usage: 'recent' })).toEqual([])
  })

  it('finds node users by their V2Ray uuid', () => {
    const users = [muNodeUser({ id: 7 }), muNodeUser({ id: 8 })]
    expect(ids({ query: '000000000008' }, users)).toEqual([8])
  })

  it('reads node ids typed by people', () => {
    expect(parseNodeId(' 3 ')).toBe(3)
    expect(parseNodeId('#12')).toBe(12)
    expect(parseNodeId('0')).toBeNull()
    expect(parseNodeId('1.5')).toBeNull()
    expect(parseNodeId('abc')).toBeNull()
    expect(parseNodeId('99999999999')).toBeNull()
  })
})
