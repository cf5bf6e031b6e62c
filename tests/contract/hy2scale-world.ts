/**
 * The HY2 SCALE contract-test harness: an emulated node, a real core on a temp data dir with a
 * fake credential store, the node added as a server, and direct access to the node's own API
 * for setup and state checks. Cleans up after each test of the importing file.
 */
import { afterEach } from 'vitest'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type {
  AppError,
  MethodInput,
  MethodName,
  MethodOutput,
  ServerView,
} from '../../src/shared/contract'
import { createCore, type Core } from '../../src/main/core/create-core'
import { FakeCredentialStore } from '../../src/main/core/testing/fake-credential-store'
import {
  startHy2ScaleEmulator,
  type Hy2ScaleEmulator,
  type Hy2ScaleEmulatorOptions,
} from '../../emulators/hy2scale/server'

/** The admin password of the node: it must never travel in plaintext. */
export const PASSWORD = 'Adm1n-Plaintext-Only-Here!'
export const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

// ---------------------------------------------------------------------------------------------
// Harness

export const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.()
})

export interface World {
  emu: Hy2ScaleEmulator
  core: Core
  store: FakeCredentialStore
  serverId: string
  call<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>>
  fail<M extends MethodName>(method: M, input: MethodInput<M>): Promise<AppError>
  /** The server as `servers.list` shows it. */
  view(): Promise<ServerView>
  /** A direct call to the node's API with its own login (test setup and state checks). */
  node<T = unknown>(method: string, path: string, body?: unknown): Promise<T>
  /** POST /api/login requests seen by the node. */
  logins(): number
}

export async function world(
  opts: { secret?: string; emulator?: Hy2ScaleEmulatorOptions } = {},
): Promise<World> {
  const emu = await startHy2ScaleEmulator({ password: PASSWORD, ...opts.emulator })
  cleanups.push(() => emu.close())
  const dir = await mkdtemp(join(tmpdir(), 'nodedeck-hy2scale-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))
  const store = new FakeCredentialStore()
  const core = await createCore({
    dataDir: dir,
    credentials: store,
    host: 'cli',
    capabilities: { tray: false, nativeNotifications: false, saveDialog: false },
    manual: true,
    validateOutput: true,
  })
  cleanups.push(() => core.stop())
  const conn = core.connect(() => undefined)
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
    secret: opts.secret ?? PASSWORD,
  })
  // The probe `servers.add` started is awaited here (one poll in flight per server).
  await call('servers.refresh', { id: serverId })

  let token: string | null = null
  async function node<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (token === null || !emu.tokens().includes(token)) {
      const r = await fetch(`${emu.url}/api/login`, {
        method: 'POST',
        body: JSON.stringify({
          username: 'admin',
          password: sha256Hex(opts.emulator?.password ?? PASSWORD),
        }),
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
    core,
    store,
    serverId,
    call,
    fail,
    async view() {
      const list = await call('servers.list', undefined)
      const v = list.find((s) => s.id === serverId)
      if (!v) throw new Error('server vanished')
      return v
    },
    node,
    logins: () =>
      emu.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/api/login')).length,
  }
}
