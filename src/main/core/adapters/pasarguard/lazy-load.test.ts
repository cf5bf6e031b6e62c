import { describe, expect, it, vi } from 'vitest'

// Any evaluation of these modules fails this file: the registry, the adapter and the handlers
// must not load them until a PasarGuard node is actually called.
vi.mock('protobufjs', () => {
  throw new Error('protobufjs was loaded eagerly')
})
vi.mock('@grpc/grpc-js', () => {
  throw new Error('@grpc/grpc-js was loaded eagerly')
})

describe('PasarGuard lazy loading', () => {
  it('the registry, the adapter and its handlers load without protobufjs or grpc-js', async () => {
    const { kindModule } = await import('../registry')
    await import('../../handlers/pasarguard')
    const mod = kindModule('pasarguard')
    const adapter = mod.create({
      server: {
        id: 'pg',
        kind: 'pasarguard',
        name: 'n',
        url: 'https://127.0.0.1:62050',
        group: '',
        tags: [],
        pollIntervalSec: 10,
        tls: {},
        options: mod.optionsSchema.parse({}),
        createdAt: 0,
      },
      http: { request: () => Promise.reject(new Error('no')), close: async () => undefined },
      getSecret: async () => null,
    })
    expect(adapter.kind).toBe('pasarguard')
    expect(adapter.streams?.names).toEqual(['logs'])
    expect(mod.optionsSchema.parse({})).toEqual({ transport: 'grpc', clearOnRead: false })
    adapter.close?.()
  })
})
