/**
 * Contract tests: the HY2 SCALE graph layout (`hy2scale.graphLayout.get/save`) through the real
 * core (`createCore`, output validation on) against the emulator (apis.md §2), and its live
 * `graph-layout` stream (`streams.watch` → `stream.batch`).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {
  AppError,
  EventName,
  MethodInput,
  MethodName,
  MethodOutput,
  StreamBatch,
} from '../../src/shared/contract'
import { createCore } from '../../src/main/core/create-core'
import { FakeCredentialStore } from '../../src/main/core/testing/fake-credential-store'
import { startHy2ScaleEmulator, type Hy2ScaleEmulator } from '../../emulators/hy2scale/server'

const PASSWORD = 'Adm1n-Plaintext-Only-Here!'
const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

interface World {
  emu: Hy2ScaleEmulator
  serverId: string
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>
  fail<M extends MethodName>(method: M, input: MethodInput<M>): Promise<AppError>
  /** The `stream.batch` events of a stream received so far. */
  batches(stream: string): StreamBatch[]
  /** A direct call to the node's API with its own login. */
  node<T = unknown>(method: string, path: string, body?: unknown): Promise<T>
}

async function world(): Promise<World> {
  const emu = await startHy2ScaleEmulator({ password: PASSWORD })
  cleanups.push(() => emu.close())
  const dir = await mkdtemp(join(tmpdir(), 'nodedeck-hy2graph-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  const core = await createCore({
    dataDir: dir,
    credentials: new FakeCredentialStore(),
    host: 'cli',
    capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
    manual: true,
    validateOutput: true,
  })
  cleanups.push(() => core.stop())
  const events: Array<{ name: EventName; payload: unknown }> = []
  const conn = core.connect((name, payload) => events.push({ name, payload }))
  cleanups.push(() => conn.close())

  const call = async <M extends MethodName>(
    method: M,
    input: MethodInput<M>,
  ): Promise<MethodOutput<M>> => {
    const r = await conn.call(method, input)
    if (!r.ok) throw new Error(`${method} failed: ${r.error.code} ${r.error.message}`)
    return r.data as MethodOutput<M>
  }
  const fail = async <M extends MethodName>(method: M, input: MethodInput<M>) => {
    const r = await conn.call(method, input)
    if (r.ok) throw new Error(`${method} should have failed`)
    return r.error
  }

  const { id: serverId } = await call('servers.add', {
    draft: {
      kind: 'hy2scale',
      name: 'node',
      url: emu.url,
      pollIntervalSec: 2,
      options: { username: 'admin' },
    },
    secret: PASSWORD,
  })
  await call('servers.refresh', { id: serverId })

  let token: string | null = null
  async function node<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (token === null || !emu.tokens().includes(token)) {
      const r = await fetch(`${emu.url}/api/login`, {
        method: 'POST',
        body: JSON.stringify({ username: 'admin', password: sha256Hex(PASSWORD) }),
      })
      token = ((await r.json()) as { token: string }).token
    }
    const r = await fetch(`${emu.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await r.text()
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`)
    return (r.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T
  }

  return {
    emu,
    serverId,
    call,
    fail,
    batches: (stream) =>
      events
        .filter((e) => e.name === 'stream.batch')
        .map((e) => e.payload as StreamBatch)
        .filter((b) => b.stream === stream),
    node,
  }
}

async function waitFor<T>(what: string, fn: () => T | undefined | null | false, ms = 8000) {
  const until = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe('HY2 SCALE graph layout (apis.md §2 /api/graph-layout)', () => {
  it('get → save → get round trip; the save is a full snapshot on the node', async () => {
    const w = await world()
    expect(await w.call('hy2scale.graphLayout.get', { serverId: w.serverId })).toEqual({
      positions: {},
    })

    const first = { self: { x: 0, y: 0 }, jp: { x: 120.5, y: -40 }, 'jp/nas': { x: 200, y: -90 } }
    expect(
      await w.call('hy2scale.graphLayout.save', { serverId: w.serverId, positions: first }),
    ).toEqual({ ok: true })
    expect(await w.call('hy2scale.graphLayout.get', { serverId: w.serverId })).toEqual({
      positions: first,
    })
    expect(await w.node('GET', '/api/graph-layout')).toEqual({ positions: first })

    // A full snapshot: keys left out are gone afterwards.
    const second = { self: { x: 10, y: 10 } }
    await w.call('hy2scale.graphLayout.save', { serverId: w.serverId, positions: second })
    expect(await w.call('hy2scale.graphLayout.get', { serverId: w.serverId })).toEqual({
      positions: second,
    })
  })

  it('rejects a position that is not a number before it reaches the node', async () => {
    const w = await world()
    const e = await w.fail('hy2scale.graphLayout.save', {
      serverId: w.serverId,
      positions: { jp: { x: 'left', y: 0 } },
    } as unknown as MethodInput<'hy2scale.graphLayout.save'>)
    expect(e.code).toBe('invalid_input')
    expect(w.emu.requests.some((r) => r.method === 'PUT' && r.path === '/api/graph-layout')).toBe(
      false,
    )
  })

  it('a save arrives as a stream.batch frame on the graph-layout stream', async () => {
    const w = await world()
    await w.call('streams.watch', { serverId: w.serverId, stream: 'graph-layout' })
    await waitFor('the snapshot', () => w.batches('graph-layout').some((b) => b.frames.length > 0))
    await waitFor('live', () => w.batches('graph-layout').some((b) => b.state?.status === 'live'))
    const before = w.batches('graph-layout').length

    const positions = { self: { x: 1, y: 2 }, sg: { x: -150, y: 75.25 } }
    await w.call('hy2scale.graphLayout.save', { serverId: w.serverId, positions })
    const frame = await waitFor('the frame after save', () =>
      w
        .batches('graph-layout')
        .slice(before)
        .flatMap((b) => b.frames)
        .find((f) => JSON.stringify(f).includes('"sg"')),
    )
    expect(frame).toEqual({ positions })
    await w.call('streams.unwatch', { serverId: w.serverId, stream: 'graph-layout' })
  })
})
