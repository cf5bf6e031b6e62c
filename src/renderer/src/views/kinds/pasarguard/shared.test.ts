import { describe, expect, it } from 'vitest'
import {
  checkUserForm,
  chunkCount,
  emptyUserForm,
  formFromUser,
  isWireGuardKey,
  keepAliveAtRisk,
  parseUsersFile,
  progressPercent,
  randomPassword,
  shadowsocksPassword,
  sortIps,
  syncRestartsCore,
  userFromForm,
} from './shared'

describe('keep-alive risk', () => {
  it('warns only with keep-alive on and a poll interval at or above it', () => {
    expect(keepAliveAtRisk(10, 0)).toBe(false)
    expect(keepAliveAtRisk(10, 30)).toBe(false)
    expect(keepAliveAtRisk(30, 30)).toBe(true)
    expect(keepAliveAtRisk(60, 30)).toBe(true)
  })
})

describe('parseUsersFile', () => {
  it('reads a bare list with snake_case keys and an object with camelCase keys alike', () => {
    const snake = JSON.stringify([
      {
        email: 'a@x',
        inbounds: ['wg'],
        proxies: { wireguard: { public_key: 'K', peer_ips: ['10.0.0.2/32'] } },
      },
    ])
    const camel = JSON.stringify({
      users: [
        {
          email: 'a@x',
          inbounds: ['wg'],
          proxies: { wireguard: { publicKey: 'K', peerIps: ['10.0.0.2/32'] } },
        },
      ],
    })
    const a = parseUsersFile('a.json', snake)
    const b = parseUsersFile('b.json', camel)
    expect(a.ok && b.ok).toBe(true)
    if (!a.ok || !b.ok) return
    expect(a.file.users).toEqual(b.file.users)
    expect(a.file.users[0]?.proxies.wireguard).toEqual({ publicKey: 'K', peerIps: ['10.0.0.2/32'] })
  })

  it('counts invalid entries and duplicates, keeping the first few with why', () => {
    const list = [
      { email: 'ok1', inbounds: ['in'], proxies: { vless: { id: 'u1' } } },
      { inbounds: ['in'] },
      { email: 'ok1', inbounds: ['in'] },
      'nope',
      { email: 'ok2', inbounds: null, proxies: { trojan: { password: 'p' } } },
      ...Array.from({ length: 6 }, (_, i) => ({ email: `bad${i}`, inbounds: [''] })),
    ]
    const r = parseUsersFile('u.json', JSON.stringify(list))
    if (!r.ok) throw new Error('not ok')
    expect(r.file.total).toBe(11)
    expect(r.file.users.map((u) => u.email)).toEqual(['ok1', 'ok2'])
    expect(r.file.users[1]?.inbounds).toEqual([])
    expect(r.file.invalidCount).toBe(9)
    expect(r.file.invalid).toHaveLength(5)
    expect(r.file.invalid[0]).toMatchObject({ index: 2, email: null })
    expect(r.file.invalid[0]?.message).toContain('email')
    expect(r.file.invalid[1]).toEqual({ index: 3, email: 'ok1', message: 'duplicate' })
    expect(r.file.invalid[2]).toMatchObject({ index: 4, email: null })
  })

  it('refuses text that is not JSON (with the position) or not a users list', () => {
    expect(parseUsersFile('x', '[{"email": "a",}]')).toMatchObject({
      ok: false,
      error: { kind: 'json', error: { reason: 'trailingComma', column: 16 } },
    })
    expect(parseUsersFile('x', '{"people": []}')).toEqual({ ok: false, error: { kind: 'shape' } })
    expect(parseUsersFile('x', '42')).toEqual({ ok: false, error: { kind: 'shape' } })
  })
})

describe('user form', () => {
  it('needs an email, inbounds, a protocol and its secret', () => {
    const f = emptyUserForm()
    expect(checkUserForm(f)).toEqual({ kind: 'email' })
    f.email = ' alice '
    expect(checkUserForm(f)).toEqual({ kind: 'inbounds' })
    f.inbounds = ['vless-in']
    expect(checkUserForm(f)).toEqual({ kind: 'empty', protocol: 'vless' })
    f.vlessId = 'id-1'
    expect(checkUserForm(f)).toBeNull()
    f.on.vless = false
    expect(checkUserForm(f)).toEqual({ kind: 'proxy' })
  })

  it('sends only the protocols switched on, and reads back the same', () => {
    const f = emptyUserForm()
    Object.assign(f, {
      email: ' bob ',
      inbounds: ['a', 'b'],
      vlessId: 'v',
      vlessFlow: 'xtls-rprx-vision',
    })
    f.on.shadowsocks = true
    f.ssPassword = 'pw'
    f.ssMethod = 'aes-128-gcm'
    f.trojanPassword = 'ignored: trojan is off'
    const user = userFromForm(f)
    expect(user).toEqual({
      email: 'bob',
      inbounds: ['a', 'b'],
      proxies: {
        vless: { id: 'v', flow: 'xtls-rprx-vision' },
        shadowsocks: { password: 'pw', method: 'aes-128-gcm' },
      },
    })
    const back = formFromUser({
      ...user,
      inbounds: user.inbounds ?? [],
      proxies: user.proxies as never,
    })
    expect(back.on).toMatchObject({ vless: true, shadowsocks: true, trojan: false })
    expect(back.ssMethod).toBe('aes-128-gcm')
  })

  it('generates secrets of the right shape', () => {
    expect(randomPassword()).toMatch(/^[A-Za-z0-9_-]{24}$/)
    expect(randomPassword()).not.toBe(randomPassword())
    expect(atob(shadowsocksPassword('2022-blake3-aes-128-gcm'))).toHaveLength(16)
    expect(atob(shadowsocksPassword('2022-blake3-aes-256-gcm'))).toHaveLength(32)
    expect(atob(shadowsocksPassword('2022-blake3-chacha20-poly1305'))).toHaveLength(32)
    expect(isWireGuardKey('YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=')).toBe(true)
    expect(isWireGuardKey('short')).toBe(false)
  })
})

describe('sync and tables', () => {
  it('knows when a sync restarts the core and how many chunks it sends', () => {
    expect(syncRestartsCore('replace', 1)).toBe(true)
    expect(syncRestartsCore('chunked', 100)).toBe(false)
    expect(syncRestartsCore('chunked', 101)).toBe(true)
    expect(chunkCount(0, 1000)).toBe(1)
    expect(chunkCount(2500, 1000)).toBe(3)
    expect(progressPercent(1, 3, false)).toBe(33)
    expect(progressPercent(0, 0, false)).toBe(0)
    expect(progressPercent(0, 0, true)).toBe(100)
  })

  it('sorts online IPs by last seen, unknown last', () => {
    const ips = sortIps([
      { ip: '10.0.0.3', lastSeenAt: null },
      { ip: '10.0.0.1', lastSeenAt: 100 },
      { ip: '10.0.0.2', lastSeenAt: 200 },
    ])
    expect(ips.map((i) => i.ip)).toEqual(['10.0.0.2', '10.0.0.1', '10.0.0.3'])
  })
})
