/**
 * A deterministic demo driver for the PasarGuard emulator: users `user0001@example.com`…, an
 * Xray config with vless/vmess/trojan/shadowsocks inbounds and direct/warp/blocked outbounds,
 * traffic moving every tick, online counters and IPs for the users currently active, outbound
 * latencies jittering, and log lines (via the node's log generator).
 *
 * It drives whatever backend is running — the auto-started one or the one a client /start-ed —
 * and respects the backend's Xray policy as Xray would: inbound counters only when
 * `policy.system.statsInbound*` is on, online maps only with `policy.levels.0.statsUserOnline`.
 * Everything random comes from one seeded PRNG.
 */
import type { PbBackend, PbUser } from '../../src/main/core/adapters/pasarguard/proto'
import { XrayBackend } from './backends'
import { clientIp } from './logs'
import type { PgNode } from './node-state'
import { createPrng } from '../../src/shared/prng'

/** The shared seeded PRNG (re-exported: other emulator modules import it from here). */
export { createPrng }

/** A UUID (v4 layout) drawn from the PRNG. */
export function prngUuid(rng: () => number): string {
  const h = Array.from({ length: 32 }, () => Math.floor(rng() * 16).toString(16))
  h[12] = '4'
  h[16] = ((Math.floor(rng() * 4) + 8) as number).toString(16)
  const s = h.join('')
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
}

/** The simulation's inbound tags. */
export const SIM_INBOUNDS = ['vless-in', 'vmess-in', 'trojan-in', 'shadowsocks-in'] as const

/** `user0001@example.com` … with credentials for every simulated inbound. */
export function simUsers(n: number, seed = 1): PbUser[] {
  const rng = createPrng(seed ^ 0x5eed)
  const users: PbUser[] = []
  for (let i = 1; i <= n; i++) {
    const id = prngUuid(rng)
    users.push({
      email: `user${String(i).padStart(4, '0')}@example.com`,
      proxies: {
        vless: { id, flow: i % 3 === 0 ? '' : 'xtls-rprx-vision' },
        vmess: { id },
        trojan: { password: id.replace(/-/g, '').slice(0, 24) },
        shadowsocks: { password: id.replace(/-/g, ''), method: 'chacha20-ietf-poly1305' },
      },
      // most users on every inbound, some on a subset
      inbounds: i % 7 === 0 ? ['vless-in', 'trojan-in'] : [...SIM_INBOUNDS],
    })
  }
  return users
}

/** A panel-like Xray config: 4 inbounds, direct/warp/blocked outbounds, online stats, observatory. */
export function simXrayConfig(): string {
  return JSON.stringify({
    log: { loglevel: 'info' },
    inbounds: [
      {
        tag: 'vless-in',
        listen: '0.0.0.0',
        port: 443,
        protocol: 'vless',
        settings: { clients: [], decryption: 'none' },
        streamSettings: { network: 'tcp', security: 'reality' },
        sniffing: { enabled: true, destOverride: ['http', 'tls', 'quic'] },
      },
      {
        tag: 'vmess-in',
        listen: '0.0.0.0',
        port: 8443,
        protocol: 'vmess',
        settings: { clients: [] },
        streamSettings: { network: 'ws', wsSettings: { path: '/vm' } },
      },
      {
        tag: 'trojan-in',
        listen: '0.0.0.0',
        port: 2083,
        protocol: 'trojan',
        settings: { clients: [] },
        streamSettings: { network: 'grpc', security: 'tls' },
      },
      {
        tag: 'shadowsocks-in',
        listen: '0.0.0.0',
        port: 1080,
        protocol: 'shadowsocks',
        settings: { clients: [], network: 'tcp,udp' },
      },
    ],
    outbounds: [
      { tag: 'direct', protocol: 'freedom', settings: {} },
      {
        tag: 'warp',
        protocol: 'wireguard',
        settings: {
          secretKey: 'eGVtdWxhdG9yLXdhcnAta2V5LW5vdC1hLXJlYWwta2V5PQ==',
          peers: [
            {
              publicKey: 'bmXOC+F1FxEMF9dyiK2H5/1SUtzH0JuVo51h2wPfgyo=',
              endpoint: 'engage.cloudflareclient.com:2408',
            },
          ],
        },
      },
      { tag: 'blocked', protocol: 'blackhole', settings: {} },
    ],
    routing: {
      domainStrategy: 'IPIfNonMatch',
      rules: [
        { type: 'field', ip: ['geoip:private'], outboundTag: 'blocked' },
        { type: 'field', domain: ['geosite:openai'], outboundTag: 'warp' },
      ],
    },
    policy: {
      levels: { '0': { statsUserUplink: true, statsUserDownlink: true, statsUserOnline: true } },
      system: {
        statsInboundUplink: true,
        statsInboundDownlink: true,
        statsOutboundUplink: true,
        statsOutboundDownlink: true,
      },
    },
    observatory: {
      subjectSelector: ['direct', 'warp'],
      probeUrl: 'https://www.google.com/generate_204',
      probeInterval: '30s',
    },
  })
}

/** The Backend message the simulation auto-starts with. */
export function simBackend(users: number, seed = 1): PbBackend {
  return {
    type: 0,
    config: simXrayConfig(),
    users: simUsers(users, seed),
    keep_alive: '0',
    exclude_inbounds: [],
  }
}

/** Options of {@link startSimulation}. */
export interface PgSimulationOptions {
  users: number
  seed?: number
  /** Log lines per second (default 20). */
  logLinesPerSec?: number
  /** Tick interval (default 1000 ms). */
  tickMs?: number
}

/** A running simulation. */
export interface PgSimulation {
  /** Runs one tick now. */
  step(): void
  stop(): void
}

interface UserState {
  active: boolean
  speed: number
  ips: Map<string, number>
  wasOnline: boolean
}

/** Starts moving traffic on the node's backend (whichever is running) every tick. */
export function startSimulation(node: PgNode, opts: PgSimulationOptions): PgSimulation {
  const rng = createPrng((opts.seed ?? 1) ^ 0x7a11)
  const tickMs = opts.tickMs ?? 1000
  const states = new Map<string, UserState>()
  node.setLogRate(opts.logLinesPerSec ?? 20)

  const state = (email: string): UserState => {
    let s = states.get(email)
    if (!s) {
      s = { active: rng() < 0.35, speed: 0.2 + rng() * 2, ips: new Map(), wasOnline: false }
      states.set(email, s)
    }
    return s
  }

  function step(): void {
    const b = node.backend
    if (!b || !b.started()) return
    const now = Date.now()
    const sec = Math.floor(now / 1000)
    const secs = tickMs / 1000
    if (b instanceof XrayBackend) {
      const policy = b.statsPolicy()
      const outs = b.outboundTags()
      const direct =
        outs.find((o) => o.protocol === 'freedom' || o.protocol === 'direct') ?? outs[0]
      const block = outs.find((o) => o.protocol === 'blackhole' || o.protocol === 'block')
      const others = outs.filter((o) => o !== direct && o !== block)
      const inboundOf = new Map<string, string>()
      for (const ib of b.inboundClients()) {
        for (const e of ib.emails) if (!inboundOf.has(e)) inboundOf.set(e, ib.tag)
      }
      for (const [email, tag] of inboundOf) {
        const s = state(email)
        if (rng() < (s.active ? 0.04 : 0.02)) s.active = !s.active
        if (!s.active) {
          if (s.wasOnline && policy.userOnline) {
            b.setOnline(email, 0, {})
            s.ips.clear()
          }
          continue
        }
        const up = BigInt(Math.floor((4_000 + rng() * 250_000) * s.speed * secs))
        const down = BigInt(Math.floor((40_000 + rng() * 4_000_000) * s.speed * secs))
        node.addTraffic('user', email, up, down)
        if (policy.inbound) b.addTraffic('inbound', tag, up, down)
        const r = rng()
        const out =
          r < 0.85 || others.length === 0 ? direct : others[Math.floor(rng() * others.length)]
        if (out) b.addTraffic('outbound', out.tag, up, down)
        if (block && rng() < 0.1)
          b.addTraffic('outbound', block.tag, BigInt(Math.floor(rng() * 2000)), 0n)
        if (policy.userOnline) {
          if (s.ips.size === 0 || rng() < 0.05) {
            s.ips.set(clientIp(rng, Math.floor(rng() * 997)), sec)
            if (s.ips.size > 3) s.ips.delete(s.ips.keys().next().value as string)
          }
          for (const ip of s.ips.keys()) s.ips.set(ip, sec)
          b.setOnline(email, s.ips.size, Object.fromEntries(s.ips))
          s.wasOnline = true
        }
      }
      for (const o of outs) {
        const base = 25 + ((o.tag.length * 37) % 200)
        b.setLatency(o.tag, { alive: rng() > 0.02, delay: Math.floor(base * (0.8 + rng() * 0.4)) })
      }
    } else {
      const ctx = b.logContext()
      for (const email of ctx.emails) {
        const s = state(email)
        if (rng() < (s.active ? 0.04 : 0.02)) s.active = !s.active
        if (!s.active) continue
        const up = BigInt(Math.floor((4_000 + rng() * 200_000) * s.speed * secs))
        const down = BigInt(Math.floor((40_000 + rng() * 3_000_000) * s.speed * secs))
        node.addTraffic('user', email, up, down)
        b.addTraffic('outbound', ctx.interfaceName, up, down)
        if (s.ips.size === 0) s.ips.set(clientIp(rng, Math.floor(rng() * 997)), sec)
        const ip = s.ips.keys().next().value as string
        b.setOnline(email, 1, { [ip]: sec })
      }
    }
  }

  const timer = setInterval(step, tickMs)
  timer.unref()
  return {
    step,
    stop() {
      clearInterval(timer)
    },
  }
}
