/**
 * A deterministic demo driver for the HY2 SCALE emulator: seeded users (some with traffic limits,
 * expiry dates, disabled), devices connecting and disconnecting over hy2/socks5/http/ss with bytes
 * counted when connections close, node totals and rates moving every tick, outbound and inbound
 * relay peers (one nested with sub-peers), WireGuard peers, proxies, a rule, and certificates
 * (a CA and a leaf expiring within 30 days) so a UI has something to show.
 */
import type { Hy2ScaleControl } from './server'
import type { ClientEntry, UserConfig, WireGuardPeer } from './types'
import { generateSelfSigned, signWithCA, wgGenerateKey } from './x509'
import { createPrng } from '../../src/shared/prng'

/** A running simulation. */
export interface Hy2ScaleSimulation {
  readonly users: readonly string[]
  readonly tickMs: number
  /** Runs one tick now. */
  step(): void
  /** Stops the timer; idempotent. */
  stop(): void
  /** Called by the emulator after a restart (sessions are gone; reconnect). */
  onRestart(): void
}

/** The shared seeded PRNG (re-exported: other emulator modules import it from here). */
export { createPrng }

const NAMES = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'niaj',
  'olivia',
  'peggy',
  'rupert',
  'sybil',
  'trent',
  'victor',
  'walter',
  'zoe',
]
const PROTOCOLS = ['hy2', 'hy2', 'socks5', 'http', 'ss']
const GB = 1024 ** 3

interface SimConn {
  key: string
  tx: number
  rx: number
  life: number
}

/** Seeds the node config and starts ticking. */
export function startHy2ScaleSimulation(
  ctl: Hy2ScaleControl,
  opts: { tickMs?: number; users?: number; seed?: number },
): Hy2ScaleSimulation {
  const rand = createPrng(opts.seed ?? 1)
  const tickMs = opts.tickMs ?? 1000
  const nUsers = opts.users ?? 8
  const ri = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1))
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T
  const hex = (n: number): string =>
    Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('')
  const day = (offsetDays: number): string =>
    new Date(ctl.now() + offsetDays * 86_400_000).toISOString().slice(0, 10)

  const cfg = ctl.cfg
  const users: UserConfig[] = []
  for (let i = 0; i < nUsers; i++) {
    const username =
      i < NAMES.length ? (NAMES[i] as string) : `user${String(i + 1).padStart(2, '0')}`
    const limited = rand() < 0.4
    users.push({
      id: hex(8),
      username,
      password: hex(12),
      exit_via: i % 3 === 1 ? 'jp' : '',
      exit_paths: i % 3 === 1 ? ['jp'] : undefined,
      traffic_limit: limited ? ri(1, 10) * 50 * GB : 0,
      traffic_used: Math.floor(rand() * 40 * GB),
      expiry_date: rand() < 0.3 ? day(ri(-10, 200)) : '',
      enabled: rand() > 0.15,
    })
  }
  cfg.users = users

  const clients: ClientEntry[] = [
    ['jp', 'jp.example.net:5565', 12_500_000],
    ['us-west', 'us-west.example.net:5565', 0],
    ['sg', 'sg1.example.net:5565', 6_250_000],
  ].map(([name, addr, max]) => ({
    name: name as string,
    addr: addr as string,
    addrs: name === 'sg' ? [addr as string, 'sg2.example.net:5565'] : [addr as string],
    password: hex(24),
    sni: '',
    insecure: true,
    ca: '',
    max_tx: max as number,
    max_rx: max as number,
    init_stream_window: 0,
    max_stream_window: 0,
    init_conn_window: 0,
    max_conn_window: 0,
    fast_open: false,
    disabled: name === 'sg',
  }))
  cfg.clients = clients
  cfg.peers.jp = { nested: true, disabled: false }
  cfg.proxies = [
    { id: 'socks5', protocol: 'socks5', listen: '0.0.0.0:1080', enabled: true },
    {
      id: 'http',
      protocol: 'http',
      listen: '0.0.0.0:8080',
      enabled: true,
      exit_via: 'jp',
      exit_paths: ['jp'],
    },
  ]
  cfg.rules = [
    {
      id: 'netflix',
      name: 'Netflix',
      type: 'domain',
      targets: ['netflix.com', 'nflxvideo.net'],
      exit_via: 'us-west',
      exit_paths: ['us-west'],
      enabled: true,
    },
  ]
  if (cfg.wireguard !== null) {
    const peers: WireGuardPeer[] = ['laptop', 'phone', 'tablet'].map((name, i) => {
      const k = wgGenerateKey()
      return {
        name,
        public_key: k.publicKey,
        private_key: k.privateKey,
        allowed_ips: `10.0.0.${i + 2}/32`,
        keepalive: i === 1 ? 25 : 0,
        exit_via: '',
      }
    })
    cfg.wireguard.peers = peers
  }

  // Certificates: a CA, a leaf it signed expiring within 30 days, a self-signed one.
  const now = new Date(ctl.now())
  const ca = generateSelfSigned(['NodeDeck Demo Root CA'], 3650, now, true)
  ctl.setCert('demo-ca', { crt: ca.cert, key: ca.key, name: 'Demo CA' })
  const leaf = signWithCA(ca.key, 'NodeDeck Demo Root CA', 'vpn.example.net', 21, now)
  ctl.setCert('vpn', { crt: leaf.cert, key: leaf.key, name: 'vpn.example.net', ca: 'demo-ca' })

  const latencies = new Map<string, number>([
    ['jp', 38],
    ['us-west', 142],
  ])
  function peers(): void {
    for (const [name, base] of latencies) {
      ctl.setLivePeer({
        name,
        direction: 'outbound',
        exit_node: true,
        latency_ms: base + ri(0, 9),
        version: '1.3.4',
        tx_rate: ri(10_000, 900_000),
        rx_rate: ri(50_000, 4_000_000),
        children:
          name === 'jp'
            ? [
                {
                  name: 'jp-osaka',
                  exit_node: true,
                  direction: 'outbound',
                  via: 'jp',
                  latency_ms: base + 11,
                  nested: false,
                  version: '1.3.3',
                  tx_rate: ri(0, 200_000),
                  rx_rate: ri(0, 900_000),
                  connected: true,
                },
              ]
            : undefined,
      })
    }
    ctl.setLivePeer({
      name: 'home-nas',
      direction: 'inbound',
      exit_node: false,
      latency_ms: ri(5, 20),
      version: '1.3.4',
      tx_rate: ri(0, 50_000),
      rx_rate: ri(0, 50_000),
    })
  }

  let conns: SimConn[] = []
  let totals = { tx: ri(1, 50) * GB, rx: ri(50, 500) * GB }

  function step(): void {
    const enabled = (cfg.users ?? []).filter((u) => u.enabled)
    // Connections close (bytes counted now) or open.
    const alive = new Set(ctl.devices().map((d) => d.key))
    conns = conns.filter((c) => alive.has(c.key))
    for (const c of conns) {
      c.tx += ri(1_000, 400_000)
      c.rx += ri(10_000, 4_000_000)
      c.life -= 1
    }
    for (const c of conns.filter((x) => x.life <= 0)) ctl.closeConnection(c.key, c.tx, c.rx)
    conns = conns.filter((c) => c.life > 0)
    if (enabled.length > 0 && conns.length < enabled.length * 2 && rand() < 0.7) {
      const u = pick(enabled)
      const ip = `${pick(['198.51.100', '203.0.113', '192.0.2'])}.${ri(2, 250)}`
      const key = ctl.addDevice({ username: u.username, ip, protocol: pick(PROTOCOLS) })
      if (key !== '') conns.push({ key, tx: 0, rx: 0, life: ri(2, 30) })
    }
    const txRate = conns.reduce((s) => s + ri(5_000, 300_000), 0)
    const rxRate = conns.reduce((s) => s + ri(50_000, 3_000_000), 0)
    totals = { tx: totals.tx + txRate * (tickMs / 1000), rx: totals.rx + rxRate * (tickMs / 1000) }
    ctl.setStats({
      tx_bytes: Math.floor(totals.tx),
      rx_bytes: Math.floor(totals.rx),
      tx_rate: txRate,
      rx_rate: rxRate,
      conns: conns.length,
      exit_clients: 1,
    })
    peers()
  }

  step()
  let timer: ReturnType<typeof setInterval> | null = setInterval(step, tickMs)
  timer.unref()
  return {
    users: users.map((u) => u.username),
    tickMs,
    step,
    stop() {
      if (timer !== null) clearInterval(timer)
      timer = null
    },
    onRestart() {
      conns = []
    },
  }
}
