import { describe, expect, it } from 'vitest'
import type { UserRow, UsersSnapshot } from '../../../shared/contract'
import type { UserSearchTerms } from '../adapters/adapter'
import { UserIndex, type IndexedServer } from './user-index'

const row = (name: string, over: Partial<UserRow> = {}): UserRow => ({
  name,
  online: false,
  devices: 0,
  up: 1,
  down: 2,
  upRate: 3,
  downRate: 4,
  reset: false,
  ...over,
})

const snap = (serverId: string, users: UserRow[], stale = false): UsersSnapshot => ({
  serverId,
  at: 1000,
  stale,
  error: null,
  users,
  clearOnRead: false,
  countingSince: null,
  serverReset: false,
})

const SERVERS: IndexedServer[] = [
  { id: 's1', name: 'Tokyo-1', kind: 'hysteria2', group: 'Asia' },
  { id: 's2', name: 'Seoul-WG', kind: 'wgmon', group: 'Asia' },
  { id: 's3', name: 'Shanghai-Mu', kind: 'muapi', group: 'China' },
]

function setup() {
  const idx = new UserIndex()
  idx.setServers(SERVERS)
  idx.onUsers(snap('s1', [row('alice', { online: true, devices: 2 }), row('Bob')]))
  idx.setTerms(
    's2',
    new Map<string, UserSearchTerms>([
      ['carol', { keys: ['CAROLKEY+/abc=', 'carol@example.com'], ips: ['10.8.0.2/32'] }],
      ['dave', { keys: ['DaveKey='], ips: ['10.8.0.3/32', '203.0.113.7'] }],
    ]),
  )
  idx.onUsers(snap('s2', [row('carol'), row('dave')]))
  idx.setTerms('s3', new Map([['alice@mu.example', { keys: ['alice@mu.example', '#7', '10007'] }]]))
  idx.onUsers(snap('s3', [row('alice@mu.example', { devices: null })]))
  const find = (query: string, limit = 100, offset = 0) =>
    idx.search({ query, limit, offset }).hits.map((h) => `${h.serverName}:${h.user}:${h.field}`)
  return { idx, find }
}

describe('UserIndex', () => {
  it('finds users by name anywhere in it, any case, across servers in config order', () => {
    const { find } = setup()
    expect(find('ALI')).toEqual(['Tokyo-1:alice:name', 'Shanghai-Mu:alice@mu.example:name'])
    expect(find('bob')).toEqual(['Tokyo-1:Bob:name'])
    expect(find('nobody')).toEqual([])
  })

  it('finds users by key (WireGuard public key, email, port), case-insensitive', () => {
    const { idx, find } = setup()
    expect(find('carolkey+/')).toEqual(['Seoul-WG:carol:key'])
    expect(find('example.com')).toEqual(['Seoul-WG:carol:key'])
    expect(find('10007')).toEqual(['Shanghai-Mu:alice@mu.example:key'])
    const hit = idx.search({ query: 'davekey', limit: 5 }).hits[0]
    expect(hit).toMatchObject({
      serverId: 's2',
      kind: 'wgmon',
      group: 'Asia',
      user: 'dave',
      field: 'key',
      value: 'DaveKey=',
      key: 'DaveKey=',
    })
  })

  it('finds users by IP prefix only (not in the middle of an address)', () => {
    const { idx, find } = setup()
    expect(find('10.8.0.')).toEqual(['Seoul-WG:carol:ip', 'Seoul-WG:dave:ip'])
    expect(find('203.0.113')).toEqual(['Seoul-WG:dave:ip'])
    expect(find('0.113.7')).toEqual([])
    expect(idx.search({ query: '10.8.0.3', limit: 5 }).hits[0]?.value).toBe('10.8.0.3/32')
  })

  it('gives one hit per user, its first matching field: name before key before IP', () => {
    const { find } = setup()
    // "a" is in carol's name and in both her keys: one hit, by name.
    expect(find('carol')).toEqual(['Seoul-WG:carol:name'])
    // A key equal to the name is not listed twice.
    expect(find('mu.example')).toEqual(['Shanghai-Mu:alice@mu.example:name'])
  })

  it('carries the live figures of the user and the reading’s staleness', () => {
    const { idx } = setup()
    const [hit] = idx.search({ query: 'alice', limit: 1 }).hits
    expect(hit).toMatchObject({ online: true, devices: 2, upRate: 3, downRate: 4, stale: false })
    idx.onUsers(snap('s1', [row('alice'), row('Bob')], true))
    expect(idx.search({ query: 'alice', limit: 1 }).hits[0]).toMatchObject({
      online: false,
      stale: true,
    })
  })

  it('pages with limit and offset, counting every match', () => {
    const idx = new UserIndex()
    idx.setServers(SERVERS)
    idx.onUsers(
      snap(
        's1',
        Array.from({ length: 50 }, (_, i) => row(`user${i}`)),
      ),
    )
    idx.onUsers(
      snap(
        's3',
        Array.from({ length: 30 }, (_, i) => row(`user-mu${i}`)),
      ),
    )
    const page = idx.search({ query: 'USER', limit: 10, offset: 45 })
    expect(page.total).toBe(80)
    expect(page.offset).toBe(45)
    expect(page.hits.map((h) => h.user)).toEqual([
      'user45',
      'user46',
      'user47',
      'user48',
      'user49',
      'user-mu0',
      'user-mu1',
      'user-mu2',
      'user-mu3',
      'user-mu4',
    ])
    expect(idx.search({ query: 'user', limit: 10, offset: 100 }).hits).toEqual([])
    expect(
      idx
        .search({ query: 'user', limit: 100, serverIds: ['s3'] })
        .hits.every((h) => h.serverId === 's3'),
    ).toBe(true)
  })

  it('follows the readings: users that disappear are not found any more', () => {
    const { idx, find } = setup()
    idx.onUsers(snap('s1', [row('Bob')]))
    expect(find('alice')).toEqual(['Shanghai-Mu:alice@mu.example:name'])
    // New terms with the same users rebuild the part (a new key is found, the old one not).
    idx.setTerms('s2', new Map([['carol', { keys: ['NEWKEY'] }]]))
    idx.onUsers(snap('s2', [row('carol'), row('dave')]))
    expect(find('newkey')).toEqual(['Seoul-WG:carol:key'])
    expect(find('carolkey')).toEqual([])
    expect(find('davekey')).toEqual([])
  })

  it('keeps the last terms when a reading brings none', () => {
    const { idx, find } = setup()
    idx.setTerms('s2', undefined)
    idx.onUsers(snap('s2', [row('carol'), row('dave')]))
    expect(find('davekey')).toEqual(['Seoul-WG:dave:key'])
  })

  it('drops a removed server’s users and follows renames', () => {
    const { idx, find } = setup()
    idx.setServers([{ ...(SERVERS[0] as IndexedServer), name: 'Tokyo-Renamed' }])
    expect(find('alice')).toEqual(['Tokyo-Renamed:alice:name'])
    expect(find('carol')).toEqual([])
    expect(idx.size()).toBe(2)
    // A late reading of the removed server is ignored.
    idx.onUsers(snap('s2', [row('carol')]))
    expect(find('carol')).toEqual([])
  })

  it('searches 100,000 users in a few milliseconds', () => {
    const idx = new UserIndex()
    const servers = Array.from({ length: 1000 }, (_, i) => ({
      id: `s${i}`,
      name: `server-${i}`,
      kind: 'wgmon' as const,
      group: '',
    }))
    idx.setServers(servers)
    for (let s = 0; s < 1000; s++) {
      const users = Array.from({ length: 100 }, (_, u) => row(`user-${s}-${u}`))
      idx.setTerms(
        `s${s}`,
        new Map(
          users.map((u, k) => [
            u.name,
            {
              keys: [`KEY${s}x${k}abcdefghijklmnopqrstuvwxyz0123456789+/=`],
              ips: [`10.${s % 250}.${k}.1`],
            },
          ]),
        ),
      )
      idx.onUsers(snap(`s${s}`, users))
    }
    expect(idx.size()).toBe(100_000)
    const times: number[] = []
    let total = 0
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now()
      total = idx.search({ query: 'user', limit: 100 }).total
      times.push(performance.now() - t0)
    }
    expect(total).toBe(100_000)
    expect(idx.search({ query: 'user-999-99', limit: 5 }).hits[0]?.serverName).toBe('server-999')
    expect(idx.search({ query: 'key17x3abc', limit: 5 }).total).toBe(1)
    // Generous for a loaded CI machine; typically ~10 ms.
    expect(Math.min(...times)).toBeLessThan(150)
  })
})
