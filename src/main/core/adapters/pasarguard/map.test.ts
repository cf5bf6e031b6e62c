import { describe, expect, it } from 'vitest'
import { AppErrorException, appError } from '../../../../shared/contract'
import {
  PgTrafficTableTracker,
  assertXrayConfig,
  int64,
  safeNumber,
  statPairs,
  toIps,
  toLatency,
  toPbUser,
  toSystemStats,
  isUnsampledSystemStats,
  type StatPair,
} from './map'

const pairs = (o: Record<string, [number | bigint, number | bigint, string?]>) =>
  new Map<string, StatPair>(
    Object.entries(o).map(([k, [up, down, link]]) => [
      k,
      { up: BigInt(up), down: BigInt(down), link: link ?? 'traffic' },
    ]),
  )

describe('PasarGuard wire → domain', () => {
  it('keeps 64-bit values exact and hands out numbers only below 2^53', () => {
    expect(int64('9223372036854775807')).toBe(9223372036854775807n)
    expect(safeNumber(int64('9007199254740991'))).toBe(Number.MAX_SAFE_INTEGER)
    expect(safeNumber(int64('9007199254740992'))).toBeNull()
    expect(int64('garbage')).toBe(0n)
  })

  it('pairs stats by name: type is the direction, link is kept', () => {
    const m = statPairs([
      { name: 'a@x', type: 'uplink', link: 'traffic', value: '10' },
      { name: 'a@x', type: 'downlink', link: 'traffic', value: '20' },
      { name: 'peer', type: 'uplink', link: 'PUBKEY=', value: '1' },
      { name: '', type: 'uplink', link: 'traffic', value: '99' },
    ])
    expect(m.get('a@x')).toEqual({ up: 10n, down: 20n, link: 'traffic' })
    expect(m.get('peer')).toEqual({ up: 1n, down: 0n, link: 'PUBKEY=' })
    expect(m.size).toBe(2)
  })

  it('system stats: uptime 0 means "not sent" (older node), huge values unknown', () => {
    const s = toSystemStats({
      mem_total: '16000000000',
      mem_used: '99999999999999999999',
      cpu_cores: '4',
      cpu_usage: 12.5,
      incoming_bandwidth_speed: '100',
      outgoing_bandwidth_speed: '200',
      uptime: '0',
    })
    expect(s).toMatchObject({ memTotal: 16e9, memUsed: null, cpuCores: 4, uptimeSec: null })
  })

  it('system stats before the node’s first sample (all zeros) count as not sampled', () => {
    const zero = {
      mem_total: '0',
      mem_used: '0',
      cpu_cores: '0',
      cpu_usage: 0,
      incoming_bandwidth_speed: '0',
      outgoing_bandwidth_speed: '0',
      uptime: '0',
    }
    expect(isUnsampledSystemStats(zero)).toBe(true)
    expect(isUnsampledSystemStats({ ...zero, mem_total: '8000000000' })).toBe(false)
  })

  it('latency and online IPs: unix seconds → epoch ms, 0 = never', () => {
    const l = toLatency({
      name: 'proxy',
      alive: true,
      delay: '120',
      link: 'https://www.google.com/generate_204',
      last_seen_time: '1767225600',
      last_try_time: '0',
      source: 'observatory',
    })
    expect(l).toMatchObject({ delayMs: 120, lastSeenAt: 1767225600000, lastTryAt: null })
    expect(
      toLatency({
        ...{
          name: 'x',
          alive: false,
          delay: '0',
          link: '',
          last_seen_time: '0',
          last_try_time: '0',
          source: '',
        },
      }).delayMs,
    ).toBeNull()
    expect(toIps({ '1.1.1.1': '1767225600', '2.2.2.2': '1767225700' })).toEqual([
      { ip: '2.2.2.2', lastSeenAt: 1767225700000 },
      { ip: '1.1.1.1', lastSeenAt: 1767225600000 },
    ])
  })

  it('users go to the wire in snake_case with only the given proxies', () => {
    expect(
      toPbUser({
        email: ' a@x ',
        inbounds: ['vless-in'],
        proxies: {
          vless: { id: 'uuid', flow: 'xtls-rprx-vision' },
          wireguard: { publicKey: 'PK', peerIps: ['10.0.0.2/32'] },
        },
      }),
    ).toEqual({
      email: 'a@x',
      inbounds: ['vless-in'],
      proxies: {
        vless: { id: 'uuid', flow: 'xtls-rprx-vision' },
        wireguard: { public_key: 'PK', peer_ips: ['10.0.0.2/32'] },
      },
    })
  })

  it('checks the Xray config: JSON position as line/column, object, inbounds', () => {
    const bad = '{\n  "inbounds": [\n    {"tag": "a",}\n  ]\n}'
    try {
      assertXrayConfig(bad)
      throw new Error('should fail')
    } catch (err) {
      const e = (err as AppErrorException).appError
      expect(e.code).toBe('invalid_input')
      expect(e.params?.line).toBe(3)
      expect(e.message).toMatch(/line 3, column \d+/)
      expect(e.message).not.toContain('"tag"')
    }
    expect(() => assertXrayConfig('[]')).toThrow(/JSON object/)
    expect(() => assertXrayConfig('{"outbounds": []}')).toThrow(/inbounds/)
    expect(() => assertXrayConfig('{"inbounds": []}')).not.toThrow()
  })
})

describe('PgTrafficTableTracker', () => {
  it('cumulative: rates from differences; a counter going backwards is a reset, never negative', () => {
    const t = new PgTrafficTableTracker('s1')
    t.update(pairs({ in1: [100, 1000] }), 0, false)
    const b = t.update(pairs({ in1: [300, 3000] }), 2000, false)
    expect(b.rows[0]).toMatchObject({
      up: 300,
      down: 3000,
      upRate: 100,
      downRate: 1000,
      reset: false,
    })
    const c = t.update(pairs({ in1: [10, 10] }), 4000, false)
    expect(c.rows[0]).toMatchObject({ up: 10, upRate: null, downRate: null, reset: true })
  })

  it('clear-on-read: deltas are summed since countingSince, first reading has no rate', () => {
    const t = new PgTrafficTableTracker('s1')
    const a = t.update(pairs({ out: [50, 500, 'interface'] }), 1000, true)
    expect(a.rows[0]).toMatchObject({ up: 50, down: 500, upRate: null, link: 'interface' })
    expect(t.countingSince()).toBe(1000)
    const b = t.update(pairs({ out: [20, 200, 'interface'] }), 3000, true)
    expect(b.rows[0]).toMatchObject({ up: 70, down: 700, upRate: 10, downRate: 100 })
  })

  it('values beyond 2^53 are unknown (null), a failed read keeps rows with the error', () => {
    const t = new PgTrafficTableTracker('s1')
    const a = t.update(pairs({ big: [2n ** 60n, 1] }), 0, false)
    expect(a.rows[0]).toMatchObject({ up: null, down: 1 })
    const f = t.fail(appError('http_status', 'inbounds are not supported by WireGuard'))
    expect(f.rows).toHaveLength(1)
    expect(f.error?.message).toMatch(/WireGuard/)
    expect(f.at).toBe(0)
  })
})
