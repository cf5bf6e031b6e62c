import { expect, it } from 'vitest'
import { pgDecode, pgEncode, pgDelimited, pgReadDelimited } from './proto'
it('roundtrip', () => {
  const b = pgEncode('Stat', {
    name: 'a@b',
    type: 'uplink',
    link: 'traffic',
    value: '9007199254740993',
  })
  const d = pgDecode('Stat', b)
  expect(d.value).toBe('9007199254740993')
  expect(pgDecode('BaseInfoResponse', new Uint8Array())).toEqual({
    started: false,
    core_version: '',
    node_version: '',
  })
  const ips = pgDecode(
    'StatsOnlineIpListResponse',
    pgEncode('StatsOnlineIpListResponse', { name: 'x', ips: { '1.2.3.4': '1700000000' } }),
  )
  expect(ips.ips['1.2.3.4']).toBe('1700000000')
  const ch = pgDelimited([
    pgEncode('UsersChunk', { users: [{ email: 'e', inbounds: ['x'] }], index: 0, last: false }),
    pgEncode('UsersChunk', { index: 1, last: true }),
  ])
  const fr = pgReadDelimited(ch).map((f) => pgDecode('UsersChunk', f))
  expect(fr[1]).toEqual({ users: [], index: '1', last: true })
  expect(() => pgEncode('Stat', { nmae: 'x' })).not.toThrow()
})
