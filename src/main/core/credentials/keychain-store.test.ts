import { describe, expect, it, vi } from 'vitest'
import { AppErrorException } from '../../../shared/contract/errors'
import type { AppError } from '../../../shared/contract/errors'
import { createKeychainStore } from './keychain-store'
import type { KeytarLike } from './keychain-store'

const keytarMock = vi.hoisted(() => ({ loads: 0, entries: new Map<string, string>() }))

// Stands in for the native module behind the default loader (`import('keytar')`), which has
// the CommonJS shape: everything on `default`.
vi.mock('keytar', () => {
  keytarMock.loads++
  const e = keytarMock.entries
  return {
    default: {
      getPassword: async (s: string, a: string) => e.get(`${s}|${a}`) ?? null,
      setPassword: async (s: string, a: string, p: string) => void e.set(`${s}|${a}`, p),
      deletePassword: async (s: string, a: string) => e.delete(`${s}|${a}`),
      findCredentials: async () => [],
    },
  }
})

type Method = keyof KeytarLike

/** An in-memory keytar with per-method failure injection and a call log. */
class FakeKeytar implements KeytarLike {
  readonly entries = new Map<string, string>()
  readonly calls: string[] = []
  readonly failures = new Map<Method, Error>()
  delayMs = 0
  active = 0
  maxActive = 0

  private async step(method: Method, detail: string): Promise<void> {
    this.calls.push(`${method} ${detail}`)
    this.active++
    this.maxActive = Math.max(this.maxActive, this.active)
    try {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs))
      const failure = this.failures.get(method)
      if (failure) throw failure
    } finally {
      this.active--
    }
  }

  async getPassword(service: string, account: string): Promise<string | null> {
    await this.step('getPassword', account)
    return this.entries.get(`${service}|${account}`) ?? null
  }

  async setPassword(service: string, account: string, password: string): Promise<void> {
    await this.step('setPassword', account)
    this.entries.set(`${service}|${account}`, password)
  }

  async deletePassword(service: string, account: string): Promise<boolean> {
    await this.step('deletePassword', account)
    return this.entries.delete(`${service}|${account}`)
  }

  async findCredentials(service: string): Promise<Array<{ account: string; password: string }>> {
    await this.step('findCredentials', service)
    const out: Array<{ account: string; password: string }> = []
    for (const [k, password] of this.entries) {
      const [s, account] = k.split('|')
      if (s === service && account !== undefined) out.push({ account, password })
    }
    return out
  }
}

/** Awaits `p`, expects an AppErrorException and returns its AppError. */
async function appErrorOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p
  } catch (err) {
    expect(err).toBeInstanceOf(AppErrorException)
    return (err as AppErrorException).appError
  }
  throw new Error('expected a rejection')
}

const NO_SECRET_SERVICE =
  "The OS keychain is not reachable: no Secret Service is running. Start gnome-keyring or KeePassXC's Secret Service, or log in to a desktop session, then try again. NodeDeck stores secrets nowhere else."

describe('createKeychainStore with a fake keytar', () => {
  it('stores, replaces, reads and deletes under service NodeDeck and account serverId:key', async () => {
    const kt = new FakeKeytar()
    const store = createKeychainStore({ keytar: kt, platform: 'linux' })
    expect(await store.get('srv1', 'password')).toBeNull()
    await store.set('srv1', 'password', 'first')
    await store.set('srv1', 'password', 'second')
    expect(kt.entries.get('NodeDeck|srv1:password')).toBe('second')
    expect(await store.get('srv1', 'password')).toBe('second')
    expect(await store.delete('srv1', 'password')).toBe(true)
    expect(await store.delete('srv1', 'password')).toBe(false)
    expect(await store.get('srv1', 'password')).toBeNull()
    expect(kt.entries.size).toBe(0)
  })

  it('uses a custom service name', async () => {
    const kt = new FakeKeytar()
    await createKeychainStore({ keytar: kt, service: 'NodeDeckTest' }).set('s', 'k', 'v')
    expect([...kt.entries.keys()]).toEqual(['NodeDeckTest|s:k'])
  })

  it('describes the keychain of each platform', () => {
    const d = (platform: NodeJS.Platform) => createKeychainStore({ platform }).description
    expect(d('linux')).toBe('OS keychain (Secret Service)')
    expect(d('darwin')).toBe('macOS Keychain')
    expect(d('win32')).toBe('Windows Credential Manager')
    expect(d('freebsd')).toBe('OS keychain')
  })

  describe('deleteAll', () => {
    it('deletes only accounts of that server: "a" never touches "ab", "a-b" or other services', async () => {
      const kt = new FakeKeytar()
      const store = createKeychainStore({ keytar: kt, platform: 'linux' })
      await store.set('a', 'password', 'pa')
      await store.set('a', 'apiKey', 'ka')
      await store.set('ab', 'password', 'pab')
      await store.set('a-b', 'password', 'pa-b')
      kt.entries.set('Other|a:password', 'foreign')
      expect(await store.deleteAll('a')).toBe(2)
      expect([...kt.entries.keys()].sort()).toEqual([
        'NodeDeck|a-b:password',
        'NodeDeck|ab:password',
        'Other|a:password',
      ])
      expect(await store.deleteAll('a')).toBe(0)
      expect(await store.deleteAll('ab')).toBe(1)
      expect(await store.get('a-b', 'password')).toBe('pa-b')
    })

    it('on Linux probes the lock state first and leaves no probe entry behind', async () => {
      const kt = new FakeKeytar()
      const store = createKeychainStore({ keytar: kt, platform: 'linux' })
      await store.set('a', 'k', 'v')
      kt.calls.length = 0
      expect(await store.deleteAll('a')).toBe(1)
      expect(kt.calls).toEqual([
        'setPassword :nodedeck-probe',
        'deletePassword :nodedeck-probe',
        'findCredentials NodeDeck',
        'deletePassword a:k',
      ])
      expect(kt.entries.size).toBe(0)
    })

    it('does not call findCredentials when the probe finds the keyring locked', async () => {
      const kt = new FakeKeytar()
      kt.failures.set('setPassword', new Error('Cannot create an item in a locked collection'))
      const store = createKeychainStore({ keytar: kt, platform: 'linux' })
      const e = await appErrorOf(store.deleteAll('a'))
      expect(e.code).toBe('keychain')
      expect(e.params?.['reason']).toBe('locked')
      expect(e.message).toContain('Could not delete the secrets of server "a".')
      expect(kt.calls.some((c) => c.startsWith('findCredentials'))).toBe(false)
    })

    it('skips the probe on macOS and Windows', async () => {
      for (const platform of ['darwin', 'win32'] as const) {
        const kt = new FakeKeytar()
        await createKeychainStore({ keytar: kt, platform }).deleteAll('a')
        expect(kt.calls).toEqual(['findCredentials NodeDeck'])
      }
    })

    it('tolerates odd findCredentials results', async () => {
      const kt = new FakeKeytar()
      kt.findCredentials = async () =>
        [null, { password: 'x' }, { account: 'a:k', password: '' }] as unknown as Array<{
          account: string
          password: string
        }>
      kt.entries.set('NodeDeck|a:k', 'v')
      expect(await createKeychainStore({ keytar: kt, platform: 'darwin' }).deleteAll('a')).toBe(1)
    })
  })

  describe('input validation', () => {
    it.each([
      ['empty server id', '', 'k'],
      ['server id with ":"', 'a:b', 'k'],
      ['server id with NUL', 'a\u0000b', 'k'],
      ['empty key', 'a', ''],
      ['key with ":"', 'a', 'x:y'],
      ['over-long key', 'a', 'k'.repeat(257)],
    ])('rejects a %s as invalid_input without touching the keychain', async (_, id, key) => {
      const kt = new FakeKeytar()
      const store = createKeychainStore({ keytar: kt })
      for (const p of [store.get(id, key), store.set(id, key, 'v'), store.delete(id, key)]) {
        expect((await appErrorOf(p)).code).toBe('invalid_input')
      }
      if (key === 'k') expect((await appErrorOf(store.deleteAll(id))).code).toBe('invalid_input')
      expect(kt.calls).toEqual([])
    })

    it.each([
      ['empty', ''],
      ['NUL', 'abc\u0000def'],
      ['lone surrogate', 'ab\uD800c'],
      ['non-string', 42 as unknown as string],
    ])('rejects a %s secret and never echoes it', async (_, value) => {
      const kt = new FakeKeytar()
      const e = await appErrorOf(createKeychainStore({ keytar: kt }).set('a', 'k', value))
      expect(e.code).toBe('invalid_input')
      if (typeof value === 'string' && value.length > 0) {
        expect(JSON.stringify(e)).not.toContain('abc')
      }
      expect(kt.calls).toEqual([])
    })

    it('accepts unicode secrets with astral characters', async () => {
      const kt = new FakeKeytar()
      const store = createKeychainStore({ keytar: kt })
      await store.set('a', 'k', 'pä$$ 🔑 密码')
      expect(await store.get('a', 'k')).toBe('pä$$ 🔑 密码')
    })
  })

  describe('error mapping', () => {
    // Texts observed from keytar 7.9 / libsecret 0.20.5 on Debian 12.
    it.each([
      ['Cannot autolaunch D-Bus without X11 $DISPLAY', 'no_bus', 'no D-Bus session bus'],
      ['Could not connect: No such file or directory', 'no_bus', 'no D-Bus session bus'],
      [
        'The name org.freedesktop.secrets was not provided by any .service files',
        'no_provider',
        NO_SECRET_SERVICE,
      ],
      [
        'GDBus.Error:org.freedesktop.DBus.Error.ServiceUnknown: The name org.freedesktop.secrets was not provided by any .service files',
        'no_provider',
        NO_SECRET_SERVICE,
      ],
      [
        'Object does not exist at path “/org/freedesktop/secrets/collection/login”',
        'no_collection',
        'no default keyring',
      ],
      ['Cannot create an item in a locked collection', 'locked', 'is locked'],
      ['User canceled the operation.', 'denied', 'denied or cancelled'],
      ['Something unexpected happened', 'other', 'reported an error: Something unexpected'],
    ])('maps "%s" to reason %s', async (text, reason, phrase) => {
      const kt = new FakeKeytar()
      for (const m of [
        'getPassword',
        'setPassword',
        'deletePassword',
        'findCredentials',
      ] as const) {
        kt.failures.set(m, new Error(text))
      }
      const store = createKeychainStore({ keytar: kt, platform: 'linux' })
      const cases: Array<[Promise<AppError>, string]> = [
        [
          appErrorOf(store.get('srv1', 'password')),
          'Could not read the secret "password" of server "srv1". ',
        ],
        [
          appErrorOf(store.set('srv1', 'password', 'hunter2')),
          'Could not save the secret "password" of server "srv1". ',
        ],
        [
          appErrorOf(store.delete('srv1', 'password')),
          'Could not delete the secret "password" of server "srv1". ',
        ],
        [appErrorOf(store.deleteAll('srv1')), 'Could not delete the secrets of server "srv1". '],
      ]
      for (const [p, prefix] of cases) {
        const e = await p
        expect(e).toMatchObject({ code: 'keychain', serverId: 'srv1', retryable: false })
        expect(e.params?.['reason']).toBe(reason)
        expect(e.params?.['detail']).toBe(text)
        expect(e.message.startsWith(prefix)).toBe(true)
        expect(e.message).toContain(phrase)
      }
      const check = await store.check()
      expect(check.ok).toBe(false)
      if (!check.ok) expect(check.message).toContain(phrase)
    })

    it('classifies before masking, so a one-letter secret cannot hide the reason', async () => {
      const kt = new FakeKeytar()
      kt.failures.set('setPassword', new Error('Cannot create an item in a locked collection'))
      const e = await appErrorOf(createKeychainStore({ keytar: kt }).set('a', 'k', 'e'))
      expect(e.params?.['reason']).toBe('locked')
      expect(e.params?.['detail']).not.toContain('e')
    })

    it('maps non-Error throws too', async () => {
      const kt = new FakeKeytar()
      kt.getPassword = () => Promise.reject('Could not connect: Connection refused')
      const e = await appErrorOf(createKeychainStore({ keytar: kt }).get('a', 'k'))
      expect(e.params?.['reason']).toBe('no_bus')
    })
  })

  describe('secrets never appear in errors', () => {
    it('masks the secret being saved when the keychain echoes it', async () => {
      const secret = 'S3cr3t-Value-123'
      const kt = new FakeKeytar()
      kt.failures.set('setPassword', new Error(`failed to store "${secret}" (${secret})`))
      const e = await appErrorOf(createKeychainStore({ keytar: kt }).set('a', 'k', secret))
      expect(e.code).toBe('keychain')
      expect(JSON.stringify(e)).not.toContain(secret)
      expect(e.message).toContain('***')
    })

    it('masks secrets read by findCredentials in later deleteAll errors', async () => {
      const kt = new FakeKeytar()
      kt.entries.set('NodeDeck|a:k', 'other-secret-xyz')
      kt.deletePassword = async () => {
        throw new Error('could not delete item with secret other-secret-xyz')
      }
      const e = await appErrorOf(
        createKeychainStore({ keytar: kt, platform: 'darwin' }).deleteAll('a'),
      )
      expect(JSON.stringify(e)).not.toContain('other-secret-xyz')
    })

    it('never puts a secret into any mapped message', async () => {
      const secret = 'correct horse battery staple'
      for (const text of ['Cannot create an item in a locked collection', 'weird']) {
        const kt = new FakeKeytar()
        kt.failures.set('setPassword', new Error(text))
        const e = await appErrorOf(createKeychainStore({ keytar: kt }).set('a', 'k', secret))
        expect(JSON.stringify(e)).not.toContain(secret)
      }
    })
  })

  describe('loading keytar', () => {
    it('loads the real module lazily through import("keytar"), once', async () => {
      const before = keytarMock.loads
      const store = createKeychainStore({ platform: 'linux', service: 'LazyTest' })
      expect(keytarMock.loads).toBe(before)
      await store.set('a', 'k', 'v')
      expect(await store.get('a', 'k')).toBe('v')
      expect(keytarMock.loads).toBe(1)
      expect(keytarMock.entries.get('LazyTest|a:k')).toBe('v')
    })

    it('loads on first use only and caches the module', async () => {
      const kt = new FakeKeytar()
      const loadKeytar = vi.fn(async () => ({ default: kt }))
      const store = createKeychainStore({ loadKeytar })
      expect(loadKeytar).not.toHaveBeenCalled()
      await Promise.all([store.get('a', 'k'), store.get('b', 'k'), store.check()])
      expect(loadKeytar).toHaveBeenCalledTimes(1)
    })

    it('reports a missing libsecret with install instructions', async () => {
      const err = Object.assign(
        new Error('libsecret-1.so.0: cannot open shared object file: No such file or directory'),
        { code: 'ERR_DLOPEN_FAILED' },
      )
      const store = createKeychainStore({ loadKeytar: () => Promise.reject(err) })
      const e = await appErrorOf(store.get('a', 'k'))
      expect(e.code).toBe('keychain')
      expect(e.params?.['reason']).toBe('load_libsecret')
      expect(e.message).toContain('libsecret library is not installed')
      expect(e.message).toContain('apt-get install libsecret-1-0')
    })

    it('reports a module that was not built', async () => {
      const err = Object.assign(new Error("Cannot find module '../build/Release/keytar.node'"), {
        code: 'MODULE_NOT_FOUND',
      })
      const e = await appErrorOf(
        createKeychainStore({ loadKeytar: () => Promise.reject(err) }).set('a', 'k', 'v'),
      )
      expect(e.params?.['reason']).toBe('load_missing')
      expect(e.message).toContain('npm rebuild keytar')
    })

    it('reports a module of the wrong shape', async () => {
      const e = await appErrorOf(
        createKeychainStore({ loadKeytar: async () => ({ getPassword: () => null }) }).get(
          'a',
          'k',
        ),
      )
      expect(e.params?.['reason']).toBe('load_failed')
    })

    it('retries a failed load on the next call', async () => {
      const kt = new FakeKeytar()
      let attempts = 0
      const store = createKeychainStore({
        loadKeytar: async () => {
          attempts++
          if (attempts === 1) throw new Error('boom')
          return kt
        },
      })
      expect((await appErrorOf(store.get('a', 'k'))).params?.['reason']).toBe('load_failed')
      expect(await store.get('a', 'k')).toBeNull()
      expect(attempts).toBe(2)
    })
  })

  describe('check', () => {
    it('reads a probe account and reports ok', async () => {
      const kt = new FakeKeytar()
      expect(await createKeychainStore({ keytar: kt }).check()).toEqual({ ok: true })
      expect(kt.calls).toEqual(['getPassword :nodedeck-probe'])
    })

    it('never throws, not even when keytar cannot be loaded', async () => {
      const err = Object.assign(new Error('libsecret-1.so.0: cannot open shared object file'), {
        code: 'ERR_DLOPEN_FAILED',
      })
      const res = await createKeychainStore({ loadKeytar: () => Promise.reject(err) }).check()
      expect(res).toEqual({ ok: false, message: expect.stringContaining('libsecret') })
    })

    it('gives up after the timeout when the keychain hangs', async () => {
      const kt = new FakeKeytar()
      kt.getPassword = () => new Promise<string | null>(() => undefined)
      const res = await createKeychainStore({ keytar: kt, checkTimeoutMs: 30 }).check()
      expect(res).toEqual({ ok: false, message: expect.stringContaining('did not answer') })
    })
  })

  describe('serialization', () => {
    it('runs one keychain call at a time, in call order', async () => {
      const kt = new FakeKeytar()
      kt.delayMs = 5
      const store = createKeychainStore({ keytar: kt, platform: 'linux' })
      const results = await Promise.all([
        store.set('a', 'k', 'one'),
        store.set('a', 'k', 'two'),
        store.get('a', 'k'),
        store.set('b', 'k', 'three'),
        store.deleteAll('b'),
        store.get('b', 'k'),
      ])
      expect(results[2]).toBe('two')
      expect(results[4]).toBe(1)
      expect(results[5]).toBeNull()
      expect(kt.maxActive).toBe(1)
    })

    it('keeps going after a failed call', async () => {
      const kt = new FakeKeytar()
      const store = createKeychainStore({ keytar: kt })
      kt.failures.set('setPassword', new Error('Cannot create an item in a locked collection'))
      const failed = store.set('a', 'k', 'v')
      const read = store.get('a', 'k')
      await expect(failed).rejects.toBeInstanceOf(AppErrorException)
      expect(await read).toBeNull()
    })
  })
})
