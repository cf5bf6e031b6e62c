import { describe, expect, it } from 'vitest'
import { AppErrorException, appError, isAppError } from '../../../shared/contract'
import { isAppErrorShape, toAppError } from './errors'

/** Values on both sides of every rule of AppErrorSchema. */
const SAMPLES: unknown[] = [
  appError('network', 'down'),
  appError('auth', 'no', {
    serverId: 's1',
    params: { status: 401, path: '/x', ok: false, n: null },
  }),
  { code: 'slow', message: '', retryable: true, extra: 'kept' },
  { code: 'timeout', message: 'm', retryable: true, serverId: undefined, params: undefined },
  { code: 'nope', message: 'm', retryable: true },
  { code: 'network', message: 1, retryable: true },
  { code: 'network', message: 'm' },
  { code: 'network', message: 'm', retryable: 'yes' },
  { code: 'network', message: 'm', retryable: true, serverId: 3 },
  { code: 'network', message: 'm', retryable: true, params: [] },
  { code: 'network', message: 'm', retryable: true, params: null },
  { code: 'network', message: 'm', retryable: true, params: { a: {} } },
  { code: 'network', message: 'm', retryable: true, params: { a: [1] } },
  { code: 'network', message: 'm', retryable: true, params: { a: Infinity } },
  { code: 'network', message: 'm', retryable: true, params: { a: Number.NaN } },
  { code: 'network', message: 'm', retryable: true, params: { a: undefined } },
  Object.assign(new Error('m'), { code: 'internal', retryable: false }),
  [],
  null,
  undefined,
  'network',
  42,
  new Error('boom'),
]

describe('isAppErrorShape', () => {
  it('decides like the contract schema', () => {
    for (const v of SAMPLES) expect([v, isAppErrorShape(v)]).toEqual([v, isAppError(v)])
  })
})

describe('toAppError', () => {
  it('unwraps AppErrorException and adds the server', () => {
    const e = new AppErrorException(appError('tls', 'bad cert'))
    expect(toAppError(e, 's1')).toEqual({ ...appError('tls', 'bad cert'), serverId: 's1' })
    expect(e.appError.serverId).toBeUndefined()
  })

  it('keeps a plain AppError and turns anything else into a generic internal error', () => {
    const plain = appError('auth', 'no', { serverId: 'a' })
    expect(toAppError(plain, 'b')).toBe(plain)
    const leaked = toAppError(new Error('token=secret at /home/x'), 's2')
    expect(leaked).toMatchObject({ code: 'internal', serverId: 's2', retryable: false })
    expect(leaked.message).not.toContain('secret')
  })
})
