import { X509Certificate } from 'node:crypto'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AppErrorException, type AppError, type ServerConfig } from '../../../../shared/contract'
import { createStreamHub, type StreamBatch } from '../../streams/stream-hub'
import { createHttpClient, type HttpClient } from '../http/http-client'
import type { ServerAdapter } from '../adapter'
import { createPasarGuardAdapter } from './adapter'
import { NodeFailure, makeTestCert, startTestNode, type TestNode } from './test-node'

const KEY = '3f2a7c1e-9b4d-4e8a-a1c2-5d6e7f8a9b0c'
let cert: { certPem: string; keyPem: string }
let http: HttpClient
const cleanups: Array<() => unknown> = []

beforeAll(() => {
  cert = makeTestCert()
  http = createHttpClient()
})
afterAll(() => http.close())
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

async function failure(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (err) {
    if (err instanceof AppErrorException) return err.appError
    throw err
  }
  throw new Error('expected a failure')
}

type Kind = 'grpc' | 'rest'

async function setup(
  kind: Kind,
  options: Record<string, string | number | boolean> = {},
): Promise<{ node: TestNode; a: ServerAdapter; facet: NonNullable<ServerAdapter['pasarguard']> }> {
  const node = await startTestNode({ protocol: kind, apiKey: KEY, cert })
  cleanups.push(() => node.close())
  const server: ServerConfig = {
    id: 'pg1',
    kind: 'pasarguard',
    name: 'node',
    url: node.url,
    group: '',
    tags: [],
    pollIntervalSec: 5,
    tls: { fingerprintSha256: new X509Certificate(cert.certPem).fingerprint256 },
    options: { transport: kind, ...options },
    createdAt: 0,
  }
  const a = createPasarGuardAdapter({ server, http, getSecret: async () => KEY })
  cleanups.push(() => a.close?.())
  const facet = a.pasarguard
  if (!facet) throw new Error('no facet')
  return { node, a, facet }
}

/** A running xray core with two users. */
function running(node: TestNode, resets: boolean[] = []) {
  node.handlers.GetBaseInfo = () => ({
    started: true,
    core_version: '25.1.1',
    node_version: '0.5.2',
  })
  node.handlers.GetStats = (c) => {
    const req = c.request as { type: number; reset: boolean }
    if (req.type === 4) resets.push(req.reset)
    if (req.type === 2)
      throw new NodeFailure(13, 500, 'inbound stats are not supported by wireguard')
    return {
      stats: [
        { name: 'a@x', type: 'uplink', link: 'traffic', value: '100' },
        { name: 'a@x', type: 'downlink', link: 'traffic', value: '2000' },
        { name: 'b@x', type: 'uplink', link: 'traffic', value: '1' },
        { name: 'b@x', type: 'downlink', link: 'traffic', value: '2' },
      ],
    }
  }
  node.handlers.GetUserOnlineStats = (c) => {
    const name = (c.request as { name: string }).name
    if (name === 'b@x')
      throw new NodeFailure(
        5,
        404,
        'rpc error: code = NotFound desc = user>>>b@x>>>online not found.',
      )
    return { name, value: '2' }
  }
}

describe.each<Kind>(['grpc', 'rest'])('PasarGuard adapter over %s', (kind) => {
  it('poll: users with up = uplink, devices from online counts (404 = nobody online)', async () => {
    const { node, a } = await setup(kind)
    const resets: boolean[] = []
    running(node, resets)
    const r = await a.poll()
    expect(r.partial).toBeNull()
    expect(r.users?.counters?.get('a@x')).toEqual({ up: 100, down: 2000 })
    expect(r.users?.devices).toEqual(new Map([['a@x', 2]]))
    expect(r.users?.countersAreDeltas).toBe(false)
    expect(resets).toEqual([false])
  })

  it('poll with clearOnRead reads deltas; the Test-connection probe (readOnly) never resets', async () => {
    const { node, a } = await setup(kind, { clearOnRead: true })
    const resets: boolean[] = []
    running(node, resets)
    const r = await a.poll()
    expect(r.users?.countersAreDeltas).toBe(true)
    await a.poll(undefined, { readOnly: true })
    expect(resets).toEqual([true, false])
  })

  it('poll: a core that is not running is a partial (degraded) state, with no users reading', async () => {
    const { node, a } = await setup(kind)
    node.handlers.GetBaseInfo = () => ({ started: false })
    node.handlers.GetBackendStats = () => {
      throw new NodeFailure(14, 500, 'backend not initialized')
    }
    const r = await a.poll()
    expect(r.partial?.params?.coreState).toBe('no_backend')
    expect(r.users).toBeUndefined()
    node.handlers.GetBackendStats = () => {
      throw new NodeFailure(14, 503, 'core is not started yet')
    }
    expect((await a.poll()).partial?.params?.coreState).toBe('stopped')
  })

  it('overview: info, system/backend stats and a history sample; stopped core skips stats', async () => {
    const { node, facet } = await setup(kind)
    running(node)
    node.handlers.GetSystemStats = () => ({
      mem_total: '100',
      mem_used: '50',
      cpu_cores: '2',
      cpu_usage: 3.5,
      uptime: '60',
    })
    node.handlers.GetBackendStats = () => ({ num_goroutine: 9, alloc: '1024', uptime: 5 })
    const o = await facet.overview()
    expect(o).toMatchObject({
      core: 'running',
      transport: kind,
      info: { started: true, coreVersion: '25.1.1' },
    })
    expect(o.system).toMatchObject({ memUsed: 50, cpuUsage: 3.5, uptimeSec: 60 })
    expect(o.backend).toMatchObject({ numGoroutine: 9, alloc: 1024 })
    expect(o.history).toHaveLength(1)
    node.handlers.GetBaseInfo = () => ({ started: false })
    node.handlers.GetBackendStats = () => {
      throw new NodeFailure(14, 503, 'core is not started yet')
    }
    const before = node.requests.length
    const s = await facet.overview()
    expect(s).toMatchObject({
      core: 'stopped',
      coreMessage: 'core is not started yet',
      system: null,
    })
    expect(node.requests.slice(before).map((r) => r.rpc)).not.toContain('GetSystemStats')
    expect(s.history).toHaveLength(1)
  })

  it('start: checks the xray JSON first, sends keep_alive, remembers what it started', async () => {
    const { node, facet } = await setup(kind)
    let backend: Record<string, unknown> | null = null
    node.handlers.Start = (c) => {
      backend = c.request as Record<string, unknown>
      return { started: true, core_version: '25.1.1', node_version: '0.5.2' }
    }
    const e = await failure(
      facet.start({
        type: 'xray',
        config: '{"inbounds": [',
        keepAliveSec: 30,
        excludeInbounds: [],
        users: [],
      }),
    )
    expect(e.code).toBe('invalid_input')
    expect(node.requests).toEqual([])
    const info = await facet.start({
      type: 'xray',
      config: '{"inbounds": []}',
      keepAliveSec: 30,
      excludeInbounds: ['x'],
      users: [{ email: 'a@x', inbounds: ['in'], proxies: { trojan: { password: 'p' } } }],
    })
    expect(info.started).toBe(true)
    expect(backend).toMatchObject({ type: 0, keep_alive: '30', exclude_inbounds: ['x'] })
    node.handlers.GetBaseInfo = () => ({ started: true })
    const o = await facet.overview()
    expect(o.started).toMatchObject({ type: 'xray', keepAliveSec: 30, excludeInbounds: ['x'] })
    expect(JSON.stringify(o)).not.toContain('inbounds": [')
  })

  it('stop: done when there is no backend any more', async () => {
    const { node, facet } = await setup(kind)
    node.handlers.Stop = () => {
      throw new NodeFailure(14, 500, 'backend not initialized')
    }
    await expect(facet.stop()).resolves.toBeUndefined()
  })

  it('traffic: WireGuard-style inbounds error stays in its table; rates on the second read', async () => {
    const { node, facet } = await setup(kind)
    running(node)
    const t1 = await facet.traffic()
    expect(t1.inbounds.error?.message).toMatch(/wireguard/)
    expect(t1.outbounds.rows.map((r) => [r.name, r.up, r.down, r.upRate])).toEqual([
      ['a@x', 100, 2000, null],
      ['b@x', 1, 2, null],
    ])
    const t2 = await facet.traffic()
    expect(t2.outbounds.rows[0]?.upRate).toBe(0)
  })

  it('online: a user the node does not know → online null with the error', async () => {
    const { node, facet } = await setup(kind)
    running(node)
    node.handlers.GetUserOnlineIpListStats = (c) => ({
      name: (c.request as { name: string }).name,
      ips: { '203.0.113.5': '1767225600' },
    })
    const rows = await facet.online(['a@x', 'b@x'])
    expect(rows[0]).toMatchObject({
      email: 'a@x',
      online: 2,
      ips: [{ ip: '203.0.113.5', lastSeenAt: 1767225600000 }],
      error: null,
    })
    expect(rows[1]).toMatchObject({ email: 'b@x', online: null, error: { code: 'not_found' } })
  })

  it('syncUsers chunked: index 0.., last on the final chunk; an empty set is one last chunk', async () => {
    const { node, facet } = await setup(kind)
    let got: Array<{ index: string; last: boolean; users: unknown[] }> = []
    node.handlers.SyncUsersChunked = (c) => {
      got = c.messages as typeof got
      return {}
    }
    const users = Array.from({ length: 5 }, (_, i) => ({
      email: `u${i}@x`,
      inbounds: ['in'],
      proxies: {},
    }))
    const progress: number[] = []
    const r = await facet.syncUsers(users, {
      mode: 'chunked',
      chunkSize: 2,
      onProgress: (p) => progress.push(p.sentUsers),
    })
    expect(got.map((c) => [c.index, c.last, c.users.length])).toEqual([
      ['0', false, 2],
      ['1', false, 2],
      ['2', true, 1],
    ])
    expect(r).toMatchObject({ users: 5, chunks: 3, coreRestarted: false })
    expect(progress.at(-1)).toBe(5)
    await facet.syncUsers([], { mode: 'chunked', chunkSize: 2 })
    expect(got.map((c) => [c.index, c.last, c.users.length])).toEqual([['0', true, 0]])
  })

  it('syncUsers replace restarts the core; syncUser sends one user', async () => {
    const { node, facet } = await setup(kind)
    let replaced: unknown = null
    node.handlers.SyncUsers = (c) => {
      replaced = c.request
      return {}
    }
    let one: unknown = null
    node.handlers.SyncUser = (c) => {
      one = c.request
      return {}
    }
    const r = await facet.syncUsers([{ email: 'a@x', inbounds: [], proxies: {} }], {
      mode: 'replace',
      chunkSize: 1000,
    })
    expect(r.coreRestarted).toBe(true)
    expect(r.bytes).toBeGreaterThan(0)
    expect(replaced).toMatchObject({ users: [{ email: 'a@x' }] })
    await facet.syncUser({ email: 'b@x', inbounds: ['in'], proxies: { vmess: { id: 'i' } } })
    expect(one).toMatchObject({ email: 'b@x', inbounds: ['in'], proxies: { vmess: { id: 'i' } } })
  })

  it('logs: one upstream shared by two hub subscribers, lines as frames', async () => {
    const { node, a } = await setup(kind)
    const hub = createStreamHub({ batchIntervalMs: 20, graceMs: 0 })
    cleanups.push(() => hub.closeAll())
    const spec = a.streams?.spec('logs')
    if (!spec) throw new Error('no logs stream')
    const got1: unknown[] = []
    const got2: unknown[] = []
    const on = (into: unknown[]) => (b: StreamBatch<unknown>) => into.push(...b.frames)
    const s1 = hub.subscribe({ serverId: 'pg1', stream: 'logs' }, spec, on(got1))
    await expect.poll(() => node.logReaders(), { timeout: 5000 }).toBe(1)
    const s2 = hub.subscribe({ serverId: 'pg1', stream: 'logs' }, spec, on(got2))
    node.pushLog('line 1')
    node.pushLog('line 2')
    await expect.poll(() => got2, { timeout: 5000 }).toEqual(['line 1', 'line 2'])
    expect(got1).toEqual(['line 1', 'line 2'])
    expect(node.logReaders()).toBe(1)
    s1.dispose()
    s2.dispose()
    await expect.poll(() => node.logReaders(), { timeout: 5000 }).toBe(0)
  })
})
