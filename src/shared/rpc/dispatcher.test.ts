import { describe, it, expect, vi } from 'vitest'
import { AppErrorException, appError, type MethodName } from '../contract'
import { createDispatcher, type Handlers } from './dispatcher'

const ctx = { connectionId: 'conn-1' }

const SETTINGS = { locale: null, theme: 'system' as const }

/** Handlers that all fail loudly unless a test overrides them. */
function handlers(overrides: Partial<Handlers> = {}): Handlers {
  const unexpected = () => Promise.reject(new Error('handler should not have run'))
  const base = {} as Record<MethodName, unknown>
  for (const name of [
    'app.info',
    'settings.get',
    'settings.set',
    'servers.list',
    'servers.add',
    'servers.update',
    'servers.remove',
    'servers.test',
    'servers.refresh',
    'users.list',
    'users.kick',
    'sessions.list',
    'live.watch',
    'live.unwatch',
    'notices.list',
  ] as MethodName[]) {
    base[name] = unexpected
  }
  return { ...(base as Handlers), ...overrides }
}

describe('createDispatcher', () => {
  it('runs a handler with the parsed input and the call context', async () => {
    const set = vi.fn<Handlers['settings.set']>(async (patch) => ({ ...SETTINGS, ...patch }))
    const dispatch = createDispatcher(handlers({ 'settings.set': set }))
    const r = await dispatch('settings.set', { theme: 'dark' }, ctx)
    expect(r).toEqual({ ok: true, data: { locale: null, theme: 'dark' } })
    expect(set).toHaveBeenCalledWith({ theme: 'dark' }, ctx)
  })

  it('refuses invalid input with invalid_input naming the field, and never runs the handler', async () => {
    const kick = vi.fn<Handlers['users.kick']>(async () => ({ ok: true as const }))
    const dispatch = createDispatcher(handlers({ 'users.kick': kick }))
    const r = await dispatch('users.kick', { serverId: 's1', users: [] }, ctx)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('invalid_input')
    expect(r.error.retryable).toBe(false)
    expect(r.error.message).toContain('users.kick')
    expect(r.error.message).toContain('(users)')
    expect(r.error.params).toEqual({ method: 'users.kick', path: 'users' })
    expect(kick).not.toHaveBeenCalled()

    for (const bad of [
      undefined,
      null,
      'x',
      42,
      { serverId: '' },
      { serverId: 's1', users: 'alice' },
    ]) {
      const r2 = await dispatch('users.kick', bad, ctx)
      expect(r2.ok, JSON.stringify(bad)).toBe(false)
      if (!r2.ok) expect(r2.error.code).toBe('invalid_input')
    }
    expect(kick).not.toHaveBeenCalled()
  })

  it('does not echo a rejected secret in the invalid_input message', async () => {
    const add = vi.fn<Handlers['servers.add']>()
    const dispatch = createDispatcher(handlers({ 'servers.add': add }))
    const secret = 'S'.repeat(5000) + 'MARKER'
    const r = await dispatch(
      'servers.add',
      { draft: { kind: 'hysteria2', name: 'x', url: 'http://h:1' }, secret },
      ctx,
    )
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('invalid_input')
      expect(JSON.stringify(r.error)).not.toContain('MARKER')
    }
    expect(add).not.toHaveBeenCalled()
  })

  it('answers an unknown method with unsupported (also for inherited names)', async () => {
    const dispatch = createDispatcher(handlers())
    for (const m of [
      'servers.explode',
      '',
      'toString',
      '__proto__',
      'constructor',
      'hasOwnProperty',
    ]) {
      const r = await dispatch(m, undefined, ctx)
      expect(r.ok, m).toBe(false)
      if (!r.ok) expect(r.error.code).toBe('unsupported')
    }
    const long = 'x'.repeat(1000)
    const r = await dispatch(long, undefined, ctx)
    if (!r.ok) expect(r.error.message.length).toBeLessThan(200)
    const r2 = await dispatch(42 as unknown as string, undefined, ctx)
    expect(r2.ok).toBe(false)
    if (!r2.ok) expect(r2.error.code).toBe('unsupported')
  })

  it('passes a thrown AppErrorException through unchanged', async () => {
    const err = appError('not_found', 'No server with id s9.', {
      serverId: 's9',
      params: { id: 's9' },
    })
    const onInternalError = vi.fn()
    const dispatch = createDispatcher(
      handlers({
        'users.list': async () => {
          throw new AppErrorException(err)
        },
      }),
      { onInternalError },
    )
    const r = await dispatch('users.list', { serverId: 's9' }, ctx)
    expect(r).toEqual({ ok: false, error: err })
    expect(onInternalError).not.toHaveBeenCalled()
  })

  it('turns an unknown Error into internal with a generic message, and reports it for the log', async () => {
    const boom = new Error('ENOENT /home/alice/.secret token=hunter2')
    const onInternalError = vi.fn()
    const dispatch = createDispatcher(
      handlers({
        'servers.list': async () => {
          throw boom
        },
      }),
      { onInternalError },
    )
    const r = await dispatch('servers.list', undefined, ctx)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('internal')
    expect(r.error.message).not.toMatch(/ENOENT|alice|hunter2|secret/)
    expect(JSON.stringify(r)).not.toContain('hunter2')
    expect(onInternalError).toHaveBeenCalledWith('servers.list', boom)
  })

  it('turns a thrown non-Error value into internal too', async () => {
    const dispatch = createDispatcher(
      handlers({
        'servers.list': async () => {
          throw 'a string with token=hunter2'
        },
      }),
    )
    const r = await dispatch('servers.list', undefined, ctx)
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('internal')
      expect(r.error.message).not.toContain('hunter2')
    }
  })

  it('validateOutput catches a wrong output (internal, reported); without it the output passes as is', async () => {
    const wrong = async () => ({ locale: 'fr-FR', theme: 'neon' }) as never
    const onInternalError = vi.fn()
    const strict = createDispatcher(handlers({ 'settings.get': wrong }), {
      validateOutput: true,
      onInternalError,
    })
    const r = await strict('settings.get', undefined, ctx)
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('internal')
      expect(r.error.message).toContain('settings.get')
    }
    expect(onInternalError).toHaveBeenCalledTimes(1)
    expect(onInternalError.mock.calls[0]?.[0]).toBe('settings.get')

    const lax = createDispatcher(handlers({ 'settings.get': wrong }))
    expect(await lax('settings.get', undefined, ctx)).toEqual({
      ok: true,
      data: { locale: 'fr-FR', theme: 'neon' },
    })
  })

  it('validateOutput returns the parsed output (unknown keys stripped)', async () => {
    const dispatch = createDispatcher(
      handlers({ 'settings.get': async () => ({ ...SETTINGS, secret: 'leak' }) as never }),
      { validateOutput: true },
    )
    const r = await dispatch('settings.get', undefined, ctx)
    expect(r).toEqual({ ok: true, data: SETTINGS })
  })
})

describe('contract: settings.set is a patch', () => {
  it('does not fill in defaults for keys the caller left out', async () => {
    const set = vi.fn<Handlers['settings.set']>(async (patch) => ({ ...SETTINGS, ...patch }))
    const dispatch = createDispatcher(handlers({ 'settings.set': set }))
    await dispatch('settings.set', { locale: 'zh-CN' }, ctx)
    await dispatch('settings.set', {}, ctx)
    expect(set.mock.calls.map((c) => c[0])).toEqual([{ locale: 'zh-CN' }, {}])
    const bad = await dispatch('settings.set', { theme: 'neon' }, ctx)
    expect(bad.ok).toBe(false)
  })
})
