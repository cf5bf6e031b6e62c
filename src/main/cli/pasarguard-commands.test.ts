import { describe, expect, it } from 'vitest'
import type { AppErrorException } from '../../shared/contract'
import { parseUsersJson } from './pasarguard-commands'

const user = (email: string) => ({
  email,
  inbounds: ['in'],
  proxies: { wireguard: { public_key: 'K', peer_ips: ['10.0.0.2/32'] } },
})

/** The message of the `invalid_input` error a users text gives. */
function refusal(text: string): string {
  try {
    parseUsersJson(text, 'u.json')
  } catch (err) {
    const e = (err as AppErrorException).appError
    expect(e.code).toBe('invalid_input')
    return e.message
  }
  throw new Error('accepted')
}

describe('parseUsersJson', () => {
  it('reads snake_case users from a bare list or { users }', () => {
    const users = parseUsersJson(JSON.stringify({ users: [user('a')] }), 'u.json')
    expect(users[0]?.proxies.wireguard).toEqual({ publicKey: 'K', peerIps: ['10.0.0.2/32'] })
    expect(parseUsersJson(JSON.stringify([user('a')]), 'u.json')).toEqual(users)
  })

  it('refuses the whole file for invalid or repeated users, naming the first ones', () => {
    const m = refusal(JSON.stringify([user('a'), { inbounds: ['in'] }, user('a')]))
    expect(m).toMatch(
      /^u\.json: 2 of 3 users are invalid \(#2: .*email.*; #3: .*a\)\. Nothing was sent\.$/,
    )
    expect(refusal('[1,]')).toBe('u.json is not JSON (line 1, column 4).')
    expect(refusal('{}')).toMatch(/expected a JSON array/)
  })
})
