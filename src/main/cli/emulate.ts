import { createHash } from 'node:crypto'

/** What `nodedeck emulate` can start, and how big. */
export interface EmulateOptions {
  kind: 'hysteria2' | 'hy2scale' | 'pasarguard' | 'muapi' | 'wgmon'
  port: number
  secret: string
  users: number
  sessions: number
  simulate: boolean
  /** PasarGuard only: SERVICE_PROTOCOL (default grpc, like the node). */
  protocol?: 'rest' | 'grpc'
  /** PasarGuard only: log lines per second (benchmarks); 0 = the simulation's own pace. */
  logRate?: number
}

/** A running emulator started by the CLI. */
export interface RunningEmulator {
  url: string
  /** TLS emulators: SHA-256 of the certificate (upper-case colon hex), to pin or compare. */
  fingerprintSha256?: string
  /** PasarGuard: the API key the node accepts (`secret` if it is a UUID, else one derived from it). */
  apiKey?: string
  close(): Promise<void>
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

/**
 * Starts one protocol-faithful emulator in this process (tests, benchmarks, trying NodeDeck
 * against a fake fleet), optionally filled with `users` users and `sessions` live sessions.
 * HY2 SCALE users are created through its own admin API, exactly as a client would.
 */
export async function startEmulator(o: EmulateOptions): Promise<RunningEmulator> {
  if (o.kind === 'muapi') {
    // A Mu API v2 panel (ss-panel); the URL printed is the API base (`…/mu/v2`), the key `secret`.
    const { startMuApiEmulator } = await import('../../../emulators/muapi/server')
    const emu = await startMuApiEmulator({
      port: o.port,
      key: o.secret,
      simulate: o.simulate ? { users: Math.max(1, o.users || 10) } : false,
      users: o.simulate ? [] : Array.from({ length: o.users }, () => ({})),
    })
    return { url: emu.apiUrl, close: () => emu.close() }
  }
  if (o.kind === 'wgmon') {
    // A WireGuard monitor (no auth: `secret` is unused). Without --simulate, --users N creates N
    // users (253 fit the monitor's /24; the rest join as unknown peers it auto-inserts) and the
    // first `sessions` of them are online with some traffic (polled once).
    const { startWgMonEmulator } = await import('../../../emulators/wgmon/server')
    const emu = await startWgMonEmulator({
      port: o.port,
      simulate: o.simulate ? { users: Math.max(1, o.users || 10) } : false,
    })
    if (!o.simulate) {
      for (let i = 0; i < o.users; i++) {
        const name = `user${String(i).padStart(4, '0')}`
        const key = i < 253 ? null : emu.control.addPeer(undefined, { online: i < o.sessions })
        if (key === null) emu.control.createUser({ nickname: name })
        if (i < o.sessions) emu.control.addTraffic(key ?? name, 1000 + i * 37, 5000 + i * 91)
      }
    }
    return { url: emu.url, close: () => emu.close() }
  }
  if (o.kind === 'pasarguard') {
    const { startPasarGuardEmulator, simBackend } =
      await import('../../../emulators/pasarguard/server')
    const { parseGoUuid } = await import('../../../emulators/pasarguard/errors')
    // A node given a non-UUID API_KEY accepts only the nil UUID: derive a real one instead.
    const apiKey = parseGoUuid(o.secret) !== null ? o.secret : derivedUuid(o.secret)
    const emu = await startPasarGuardEmulator({
      port: o.port,
      protocol: o.protocol ?? 'grpc',
      apiKey,
      simulate: o.simulate ? { users: Math.max(1, o.users || 10), autoStart: true } : false,
    })
    // Without --simulate, --users N starts Xray with N users (as a panel's /start would).
    if (!o.simulate && o.users > 0) await emu.control.start(simBackend(o.users))
    if (o.logRate) emu.control.setLogRate(o.logRate)
    return {
      url: emu.url,
      fingerprintSha256: emu.fingerprintSha256,
      apiKey,
      close: () => emu.close(),
    }
  }
  if (o.kind === 'hysteria2') {
    const { startHysteria2Emulator } = await import('../../../emulators/hysteria2/server')
    const emu = await startHysteria2Emulator({
      port: o.port,
      secret: o.secret,
      simulate: o.simulate ? { users: Math.max(1, o.users || 10) } : false,
    })
    if (!o.simulate) {
      for (let i = 0; i < o.users; i++) {
        const name = `user${String(i).padStart(4, '0')}`
        const conn = emu.connect(name)
        emu.moveTraffic(conn, 1000 + i * 37, 5000 + i * 91)
        if (i >= o.sessions) emu.disconnect(conn)
      }
    }
    return { url: emu.url, close: () => emu.close() }
  }
  const { startHy2ScaleEmulator } = await import('../../../emulators/hy2scale/server')
  const emu = await startHy2ScaleEmulator({
    port: o.port,
    password: o.secret,
    simulate: o.simulate ? { users: Math.max(1, o.users || 12) } : false,
  })
  if (!o.simulate && o.users > 0) {
    const login = await fetch(`${emu.url}/api/login`, {
      method: 'POST',
      body: JSON.stringify({ username: 'admin', password: sha256(o.secret) }),
    })
    const { token } = (await login.json()) as { token: string }
    const names: string[] = []
    for (let i = 0; i < o.users; i++) {
      const username = `user${String(i).padStart(4, '0')}`
      names.push(username)
      const res = await fetch(`${emu.url}/api/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
        body: JSON.stringify({
          username,
          password: `pw-${i}-${sha256(username).slice(0, 8)}`,
          traffic_limit: i % 3 === 0 ? 0 : (50 + (i % 7) * 25) * 1024 ** 3,
          expiry_date: i % 5 === 0 ? '2027-06-30' : '',
          enabled: i % 11 !== 0,
        }),
      })
      await res.arrayBuffer()
    }
    const protocols = ['hy2', 'socks5', 'http', 'ss']
    for (let i = 0; i < o.sessions; i++) {
      emu.addDevice({
        username: names[i % names.length] as string,
        ip: `198.51.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`,
        protocol: protocols[i % protocols.length] as string,
        conns: 1 + (i % 4),
      })
    }
  }
  return { url: emu.url, close: () => emu.close() }
}

/** The sha256 of a password, as HY2 SCALE's login expects it (exported for scripts). */
export const hy2scalePasswordHash = sha256

/** A UUID-shaped key derived from a throwaway secret (PasarGuard's API_KEY must be a UUID). */
function derivedUuid(secret: string): string {
  const h = sha256(secret)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`
}
