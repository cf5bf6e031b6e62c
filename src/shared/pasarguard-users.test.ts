import { describe, expect, it } from 'vitest'
import { PG_MAX_SYNC_USERS } from './contract'
import { INVALID_SHOWN, parseUsers } from './pasarguard-users'

const user = (email: string) => ({ email, inbounds: ['in'], proxies: { vless: { id: 'u' } } })

describe('parseUsers', () => {
  it('reads both shapes and both key styles; proto JSON nulls are dropped', () => {
    const r = parseUsers(
      JSON.stringify({
        users: [
          {
            email: 'a@x',
            inbounds: ['wg'],
            proxies: { wireguard: { public_key: 'K', peer_ips: ['10.0.0.2/32'] }, vless: null },
          },
        ],
      }),
    )
    if (!r.ok) throw new Error('not ok')
    expect(r.users.users).toEqual([
      {
        email: 'a@x',
        inbounds: ['wg'],
        proxies: { wireguard: { publicKey: 'K', peerIps: ['10.0.0.2/32'] } },
      },
    ])
    expect(r.users).toMatchObject({ total: 1, invalidCount: 0, invalid: [], duplicates: [] })
  })

  it('refuses repeated emails, listing each once, and keeps only the first few problems', () => {
    const list = [
      user('a'),
      user('a'),
      user('b'),
      user('a'),
      user('b'),
      ...Array.from({ length: INVALID_SHOWN }, () => ({ inbounds: ['in'] })),
    ]
    const r = parseUsers(JSON.stringify(list))
    if (!r.ok) throw new Error('not ok')
    expect(r.users.users.map((u) => u.email)).toEqual(['a', 'b'])
    expect(r.users.duplicates).toEqual(['a', 'b'])
    expect(r.users.invalidCount).toBe(3 + INVALID_SHOWN)
    expect(r.users.invalid).toHaveLength(INVALID_SHOWN)
    expect(r.users.invalid[0]).toEqual({ index: 2, email: 'a', message: 'duplicate' })
  })

  it('refuses non-JSON (with the position), other shapes and too many users', () => {
    expect(parseUsers('[1,]')).toMatchObject({
      ok: false,
      error: { kind: 'json', error: { reason: 'trailingComma', line: 1, column: 4 } },
    })
    expect(parseUsers('{"people": []}')).toEqual({ ok: false, error: { kind: 'shape' } })
    const many = `[${Array.from({ length: PG_MAX_SYNC_USERS + 1 }, () => '0').join(',')}]`
    expect(parseUsers(many)).toEqual({
      ok: false,
      error: { kind: 'tooMany', count: PG_MAX_SYNC_USERS + 1, max: PG_MAX_SYNC_USERS },
    })
  })
})
