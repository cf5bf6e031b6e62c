import { describe, expect, it } from 'vitest'
import {
  GIB,
  accountForm,
  certLevel,
  conflictLines,
  draftOf,
  expiryLevel,
  filterAccounts,
  gibToBytes,
  hostOf,
  nextFreePeerIp,
  quotaOf,
} from './shared'
import { account } from './test-utils'

describe('hy2scale helpers', () => {
  it('converts GiB to bytes; 0 or empty is unlimited', () => {
    expect(gibToBytes(10)).toBe(10 * GIB)
    expect(gibToBytes(1.5)).toBe(1.5 * GIB)
    expect(gibToBytes(0)).toBeNull()
    expect(gibToBytes(null)).toBeNull()
  })

  it('never turns an unknown usage into 0 %', () => {
    expect(quotaOf({ trafficUsed: null, trafficLimit: GIB })).toEqual({
      percent: null,
      unlimited: false,
      over: false,
    })
    expect(quotaOf({ trafficUsed: 5, trafficLimit: null }).unlimited).toBe(true)
    expect(quotaOf({ trafficUsed: GIB, trafficLimit: 2 * GIB }).percent).toBe(50)
    expect(quotaOf({ trafficUsed: 3 * GIB, trafficLimit: 2 * GIB })).toMatchObject({
      percent: 100,
      over: true,
    })
  })

  it('classifies expiry dates against today', () => {
    expect(expiryLevel(null, '2026-05-10')).toBe('none')
    expect(expiryLevel('2026-05-09', '2026-05-10')).toBe('expired')
    expect(expiryLevel('2026-05-10', '2026-05-10')).toBe('soon')
    expect(expiryLevel('2026-05-17', '2026-05-10')).toBe('soon')
    expect(expiryLevel('2026-05-18', '2026-05-10')).toBe('ok')
  })

  it('filters accounts', () => {
    const list = [
      account({ id: '1', name: 'bob', enabled: false }),
      account({ id: '2', name: 'alice', expiresAt: '2020-01-01' }),
      account({
        id: '3',
        name: 'carol',
        trafficUsed: 2 * GIB,
        trafficLimit: GIB,
        exitVia: 'tokyo',
      }),
    ]
    const names = (f: Parameters<typeof filterAccounts>[2], s = '') =>
      filterAccounts(list, s, f, '2026-01-01').map((a) => a.name)
    expect(names('all')).toEqual(['alice', 'bob', 'carol'])
    expect(names('disabled')).toEqual(['bob'])
    expect(names('expired')).toEqual(['alice'])
    expect(names('overQuota')).toEqual(['carol'])
    expect(names('all', 'TOK')).toEqual(['carol'])
  })

  it('builds drafts: bytes for GiB, no password on edit when empty', () => {
    const form = { ...accountForm(account({ trafficLimit: 2 * GIB })), limitGib: 3 }
    const edit = draftOf(form, true)
    expect(edit.trafficLimit).toBe(3 * GIB)
    expect('password' in edit).toBe(false)
    expect(draftOf({ ...form, password: 'x', limitGib: 0 }, true)).toMatchObject({
      password: 'x',
      trafficLimit: null,
    })
    expect(draftOf({ ...form, password: '' }, false).password).toBe('')
  })

  it('suggests the next free /32 in the WireGuard subnet', () => {
    expect(nextFreePeerIp('10.0.0.1/24', [])).toBe('10.0.0.2/32')
    expect(nextFreePeerIp('10.0.0.1/24', ['10.0.0.2/32', '10.0.0.3/32, fd00::3/128'])).toBe(
      '10.0.0.4/32',
    )
    expect(nextFreePeerIp('10.8.0.254/30', [])).toBe('10.8.0.253/32')
    expect(nextFreePeerIp('10.0.0.1/30', ['10.0.0.2/32'])).toBeNull()
    expect(nextFreePeerIp('fd00::1/64', [])).toBeNull()
  })

  it('colours certificates by days left', () => {
    expect(certLevel(-3)).toBe('expired')
    expect(certLevel(0)).toBe('expired')
    expect(certLevel(30)).toBe('soon')
    expect(certLevel(31)).toBe('ok')
    expect(certLevel(null)).toBe('unknown')
  })

  it('lists conflicts and takes the host of a URL', () => {
    expect(conflictLines({ bob: { socks5: ['Bob'] } })).toEqual([
      { user: 'bob', proxy: 'socks5', others: ['Bob'] },
    ])
    expect(conflictLines(null)).toEqual([])
    expect(hostOf('http://198.51.100.20:5565/scale')).toBe('198.51.100.20')
    expect(hostOf('http://[2001:db8::1]:5565/')).toBe('2001:db8::1')
    expect(hostOf('nonsense')).toBe('')
  })
})
