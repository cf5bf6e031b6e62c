import { describe, expect, it } from 'vitest'
import {
  checkUserForm,
  checkXrayConfig,
  chunkCount,
  emptyUserForm,
  formFromUser,
  formatJson,
  inboundTags,
  isWireGuardKey,
  keepAliveAtRisk,
  parseJson,
  parseUsersFile,
  positionOf,
  progressPercent,
  randomPassword,
  shadowsocksPassword,
  sortIps,
  syncRestartsCore,
  userFromForm,
} from './shared'

/** The error of a text that must not parse. */
function errorOf(text: string) {
  const r = parseJson(text)
  if (r.ok) throw new Error(`parsed: ${text}`)
  return r.error
}

describe('parseJson positions', () => {
  it('accepts valid JSON', () => {
    expect(parseJson('{"a": [1, -2.5e3, true, null, "x\\u00e9"]}')).toEqual({
      ok: true,
      value: { a: [1, -2500, true, null, 'xé'] },
    })
  })

  it('finds a missing comma at its line and column', () => {
    const text = '{\n  "log": {},\n  "inbounds": []\n  "outbounds": []\n}'
    const e = errorOf(text)
    expect(e).toMatchObject({ reason: 'expectedCommaOrEnd', line: 4, column: 3 })
    expect(e.lineText).toBe('  "outbounds": []')
    expect(e.caret).toBe(2)
  })

  it('names trailing commas, comments, unclosed strings, early ends and extra text', () => {
    expect(errorOf('{"a": 1,\n}')).toMatchObject({ reason: 'trailingComma', line: 2, column: 1 })
    expect(errorOf('[1, 2,]')).toMatchObject({ reason: 'trailingComma', column: 7 })
    expect(errorOf('{\n // hi\n "a": 1}')).toMatchObject({ reason: 'comment', line: 2, column: 2 })
    expect(errorOf('{"a": "b\n}')).toMatchObject({ reason: 'unterminatedString', column: 7 })
    expect(errorOf('{"a": [1, 2')).toMatchObject({ reason: 'unexpectedEnd', column: 12 })
    expect(errorOf('{} x')).toMatchObject({ reason: 'extraData', column: 4 })
    expect(errorOf('{"a" 1}')).toMatchObject({ reason: 'expectedColon', column: 6 })
    expect(errorOf('{a: 1}')).toMatchObject({ reason: 'expectedKey', column: 2 })
    expect(errorOf('[01]')).toMatchObject({ reason: 'badNumber' })
    expect(errorOf('["\\x"]')).toMatchObject({ reason: 'badEscape', column: 3 })
    expect(errorOf('   ')).toMatchObject({ reason: 'empty', line: 1, column: 1 })
  })

  it('shortens a long line around the column and keeps the caret on the spot', () => {
    const text = `{"a": "${'x'.repeat(300)}" "b": 1}`
    const e = errorOf(text)
    expect(e.column).toBe(310)
    expect(e.lineText.length).toBeLessThan(130)
    expect(e.lineText[e.caret]).toBe('"')
    expect(positionOf('ab\r\ncd', 4)).toMatchObject({ line: 2, column: 1, lineText: 'cd' })
  })
})

describe('Xray config', () => {
  it('must be an object; gives its inbound tags once each', () => {
    expect(checkXrayConfig('[]')).toMatchObject({ ok: false, error: { reason: 'notObject' } })
    const ok = checkXrayConfig(
      JSON.stringify({
        inbounds: [{ tag: 'vless-in' }, { tag: ' trojan ' }, { port: 1 }, { tag: 'vless-in' }],
      }),
    )
    expect(ok).toMatchObject({ ok: true, inboundTags: ['vless-in', 'trojan'] })
    expect(inboundTags({ inbounds: 'no' })).toEqual([])
    expect(formatJson('{"a":[1]}')).toBe('{\n  "a": [\n    1\n  ]\n}\n')
    expect(formatJson('{')).toBeNull()
  })
})

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
