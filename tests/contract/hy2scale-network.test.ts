/**
 * Contract tests of the HY2 SCALE network area (peer links, proxies, rules, protocol services,
 * port check) through the real core (`createCore`, output validation on) against the emulator.
 */
import { describe, expect, it } from 'vitest'
import { world } from './hy2scale-world'

interface WireClient {
  name: string
  addr: string
  password: string
  disabled: boolean
}

describe('HY2 SCALE network: peer links (clients)', () => {
  it('creates, renames keeping the password, disables and deletes; never returns passwords', async () => {
    const w = await world()
    const serverId = w.serverId
    await w.call('hy2scale.clients.save', {
      serverId,
      draft: { name: 'tokyo', addrs: ['203.0.113.5:5565'], password: 'peer-secret-1', sni: 'jp' },
    })
    let list = await w.call('hy2scale.clients.list', { serverId })
    expect(list).toHaveLength(1)
    expect(list[0]).toMatchObject({
      name: 'tokyo',
      addrs: ['203.0.113.5:5565'],
      hasPassword: true,
      sni: 'jp',
      disabled: false,
    })
    expect(JSON.stringify(list)).not.toContain('peer-secret-1')

    // Rename, password omitted: the stored one is kept (the PUT replaces the whole record).
    await w.call('hy2scale.clients.save', {
      serverId,
      original: 'tokyo',
      draft: { name: 'tokyo-2', addrs: ['203.0.113.5:5565'], password: '', sni: 'jp2' },
    })
    const stored = await w.node<WireClient[]>('GET', '/api/clients')
    expect(stored.map((c) => [c.name, c.password])).toEqual([['tokyo-2', 'peer-secret-1']])

    await w.call('hy2scale.clients.setDisabled', { serverId, name: 'tokyo-2', disabled: true })
    list = await w.call('hy2scale.clients.list', { serverId })
    expect(list[0]).toMatchObject({ name: 'tokyo-2', disabled: true, sni: 'jp2', connected: false })

    // Editing a disabled link keeps it disabled.
    await w.call('hy2scale.clients.save', {
      serverId,
      original: 'tokyo-2',
      draft: { name: 'tokyo-2', addrs: ['203.0.113.5:5565'], maxTx: 1000 },
    })
    list = await w.call('hy2scale.clients.list', { serverId })
    expect(list[0]).toMatchObject({ disabled: true, maxTx: 1000 })

    await w.call('hy2scale.clients.remove', { serverId, name: 'tokyo-2' })
    expect(await w.call('hy2scale.clients.list', { serverId })).toEqual([])
  })

  it('refuses duplicates the node would silently ignore, and a new link without password', async () => {
    const w = await world()
    const serverId = w.serverId
    await w.call('hy2scale.clients.save', {
      serverId,
      draft: { name: 'a', addrs: ['198.51.100.1:5565'], password: 'pw-a' },
    })
    await w.call('hy2scale.clients.save', {
      serverId,
      draft: { name: 'b', addrs: ['198.51.100.2:5565'], password: 'pw-b' },
    })
    const sameName = await w.fail('hy2scale.clients.save', {
      serverId,
      draft: { name: 'a', addrs: ['198.51.100.9:5565'], password: 'x' },
    })
    expect(sameName.code).toBe('invalid_input')
    expect(sameName.message).toContain('already exists')
    const sameAddr = await w.fail('hy2scale.clients.save', {
      serverId,
      draft: { name: 'c', addrs: ['198.51.100.1:5565'], password: 'x' },
    })
    expect(sameAddr.code).toBe('invalid_input')
    expect(sameAddr.message).toContain('"a"')
    const renameOnto = await w.fail('hy2scale.clients.save', {
      serverId,
      original: 'b',
      draft: { name: 'a', addrs: ['198.51.100.2:5565'] },
    })
    expect(renameOnto.code).toBe('invalid_input')
    const noPassword = await w.fail('hy2scale.clients.save', {
      serverId,
      draft: { name: 'd', addrs: ['198.51.100.4:5565'] },
    })
    expect(noPassword.code).toBe('invalid_input')
    const missing = await w.fail('hy2scale.clients.save', {
      serverId,
      original: 'ghost',
      draft: { name: 'ghost', addrs: ['198.51.100.5:5565'] },
    })
    expect(missing.code).toBe('not_found')
    const badAddr = await w.fail('hy2scale.clients.save', {
      serverId,
      draft: { name: 'e', addrs: ['no-port'], password: 'x' },
    })
    expect(badAddr.code).toBe('invalid_input')
    expect((await w.call('hy2scale.clients.list', { serverId })).map((c) => c.name)).toEqual([
      'a',
      'b',
    ])
  })
})

describe('HY2 SCALE network: proxies', () => {
  it('creates, refuses a taken id, updates keeping unknown fields, removes', async () => {
    const w = await world()
    const serverId = w.serverId
    await w.call('hy2scale.proxies.save', {
      serverId,
      draft: { id: 'socks-main', listen: '0.0.0.0:1080' },
    })
    let list = await w.call('hy2scale.proxies.list', { serverId })
    expect(list).toEqual([
      {
        id: 'socks-main',
        protocol: 'socks5',
        listen: '0.0.0.0:1080',
        enabled: true,
        tlsCert: '',
        exitVia: '',
        exitPaths: [],
        exitMode: '',
      },
    ])
    const dup = await w.fail('hy2scale.proxies.save', {
      serverId,
      draft: { id: 'socks-main', listen: '0.0.0.0:1081' },
    })
    expect(dup.code).toBe('invalid_input')
    expect(dup.message).toContain('already exists')

    await w.call('hy2scale.proxies.save', {
      serverId,
      original: 'socks-main',
      draft: { id: 'socks-main', protocol: 'http', listen: '0.0.0.0:8080', enabled: false },
    })
    list = await w.call('hy2scale.proxies.list', { serverId })
    expect(list[0]).toMatchObject({ protocol: 'http', listen: '0.0.0.0:8080', enabled: false })

    const renamed = await w.fail('hy2scale.proxies.save', {
      serverId,
      original: 'socks-main',
      draft: { id: 'other', listen: '0.0.0.0:8080' },
    })
    expect(renamed.code).toBe('invalid_input')

    await w.call('hy2scale.proxies.remove', { serverId, id: 'socks-main' })
    expect(await w.call('hy2scale.proxies.list', { serverId })).toEqual([])
  })
})

describe('HY2 SCALE network: routing rules', () => {
  it('creates, refuses a taken id, toggles, edits and removes', async () => {
    const w = await world()
    const serverId = w.serverId
    const draft = {
      id: 'r1',
      name: 'Streaming',
      type: 'domain' as const,
      targets: ['example.com', 'example.org'],
      exitVia: 'tokyo',
    }
    await w.call('hy2scale.rules.save', { serverId, draft })
    const dup = await w.fail('hy2scale.rules.save', { serverId, draft })
    expect(dup.code).toBe('invalid_input')
    let rules = await w.call('hy2scale.rules.list', { serverId })
    expect(rules.available).toBe(false)
    expect(rules.rules).toHaveLength(1)
    expect(rules.rules[0]).toMatchObject({ id: 'r1', enabled: true, exitVia: 'tokyo' })

    await w.call('hy2scale.rules.toggle', { serverId, id: 'r1', enabled: false })
    rules = await w.call('hy2scale.rules.list', { serverId })
    expect(rules.rules[0]?.enabled).toBe(false)

    await w.call('hy2scale.rules.save', {
      serverId,
      original: 'r1',
      draft: { ...draft, targets: ['example.net'], exitVia: 'osaka', enabled: false },
    })
    rules = await w.call('hy2scale.rules.list', { serverId })
    expect(rules.rules[0]).toMatchObject({ targets: ['example.net'], exitVia: 'osaka' })

    await w.call('hy2scale.rules.remove', { serverId, id: 'r1' })
    expect((await w.call('hy2scale.rules.list', { serverId })).rules).toEqual([])
  })
})

describe('HY2 SCALE network: protocol services', () => {
  it('reads SS/L2TP/IKEv2 with capability, hides PSKs; saves SS; L2TP refused with the reason', async () => {
    const w = await world()
    const serverId = w.serverId
    const p = await w.call('hy2scale.protocols.get', { serverId })
    expect(p.ss).toEqual({ listen: '', enabled: false, method: 'aes-256-gcm' })
    expect(p.l2tp).toMatchObject({ capable: false, hasPsk: false, listen: '1701' })
    expect(p.l2tp.reason).toContain('NET_ADMIN')
    expect(p.ikev2).toMatchObject({ capable: false, mode: 'mschapv2' })
    expect(p.l2tp).not.toHaveProperty('psk')

    await w.call('hy2scale.protocols.save', {
      serverId,
      ss: { listen: '0.0.0.0:8388', enabled: true, method: 'chacha20-ietf-poly1305' },
    })
    expect((await w.call('hy2scale.protocols.get', { serverId })).ss).toEqual({
      listen: '0.0.0.0:8388',
      enabled: true,
      method: 'chacha20-ietf-poly1305',
    })

    const l2tp = await w.fail('hy2scale.protocols.save', {
      serverId,
      l2tp: {
        listen: '1701',
        enabled: true,
        pool: '192.168.25.1/24',
        psk: 'l2tp-psk',
        proxyPort: 12345,
        mtu: 1280,
      },
    })
    expect(l2tp.code).toBe('unsupported')
    expect(l2tp.message).toContain('L2TP is unavailable on this node')
    expect(l2tp.message).toContain('no NET_ADMIN capability')
    expect(l2tp.message).not.toContain('l2tp-psk')
    // The PUT was sent (the node decides) and answered 403.
    expect(w.emu.requests.some((r) => r.method === 'PUT' && r.path.endsWith('/api/l2tp'))).toBe(
      true,
    )

    const ike = await w.fail('hy2scale.protocols.save', {
      serverId,
      ikev2: {
        enabled: true,
        mode: 'psk',
        pool: '10.1.0.1/24',
        psk: 'k',
        proxyPort: 12350,
        mtu: 1400,
      },
    })
    expect(ike.code).toBe('unsupported')
    expect(ike.message).toContain('IKEv2')
  })
})

describe('HY2 SCALE network: port check', () => {
  it('sends a bare array and lists the conflicts ([] when free)', async () => {
    const w = await world()
    const serverId = w.serverId
    const res = await w.call('hy2scale.checkPorts', {
      serverId,
      ports: [
        { port: 443, proto: 'tcp', desc: 'proxy' },
        { port: 1080, proto: 'tcp', desc: 'proxy' },
        { port: 53, proto: 'udp', desc: 'ss' },
      ],
    })
    expect(res.conflicts).toEqual([
      { port: 443, proto: 'tcp', desc: 'proxy' },
      { port: 53, proto: 'udp', desc: 'ss' },
    ])
    const sent = w.emu.requests.find((r) => r.path.endsWith('/api/check-ports'))
    expect(JSON.parse(sent?.body ?? 'null')).toBeInstanceOf(Array)
    const free = await w.call('hy2scale.checkPorts', {
      serverId,
      ports: [{ port: 1081, proto: 'tcp', desc: 'x' }],
    })
    expect(free.conflicts).toEqual([])
  })

  it('answers unsupported for a kind without the network facet', async () => {
    const w = await world()
    const { id } = await w.call('servers.add', {
      draft: { kind: 'hysteria2', name: 'h2', url: 'http://127.0.0.1:1', pollIntervalSec: 60 },
      secret: 'x',
    })
    const e = await w.fail('hy2scale.clients.list', { serverId: id })
    expect(e.code).toBe('unsupported')
  })
})
