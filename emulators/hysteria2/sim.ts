/**
 * A deterministic traffic driver for the Hysteria 2 emulator: users with 0-3 devices (QUIC
 * connections) that come and go, TCP streams to realistic targets, UDP datagrams, and bytes
 * moving every tick at rates from KB/s to MB/s, so a UI shows live numbers.
 *
 * Everything random comes from one seeded PRNG, so a seed replays the same story (wall-clock
 * timestamps aside). Devices behave like real clients: kicked (the lazy kick fires on their next
 * chunk, apis.md §1) or dropped by a server restart, they reconnect a few seconds later.
 */
import { createPrng } from '../../src/shared/prng'

/** The emulator's control API the simulation drives. */
export interface SimulationTarget {
  connect(authId: string): number
  disconnect(connectionId: number): void
  openStream(
    connectionId: number,
    reqAddr: string,
    opts?: { hookedReqAddr?: string; state?: string },
  ): number
  closeStream(connectionId: number, streamId: number): void
  moveTraffic(connectionId: number, tx: number, rx: number, streamId?: number): boolean
  isConnected(connectionId: number): boolean
}

/** Options of {@link startSimulation}. */
export interface SimulationOptions {
  /** Interval between ticks (default 1000 ms). */
  tickMs?: number
  /** Number of users (default 8). Up to 20 get first names, more are `user01`, `user02`, … */
  users?: number
  /** PRNG seed (default 1). */
  seed?: number
  /** The users' auth ids, in order (overrides the generated names; `users` then defaults to their count). */
  names?: readonly string[]
}

/** A running simulation. */
export interface Simulation {
  readonly users: readonly string[]
  readonly tickMs: number
  /** Runs one tick now (tests drive the simulation with this instead of timers). */
  step(): void
  /** Stops the timer; idempotent. Connections stay as they are. */
  stop(): void
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
  'yvonne',
] as const

interface TargetSpec {
  req: string
  /** Sniffed domain when the client asked for an IP (hooked_req_addr). */
  hooked?: string
  /** Long-lived (video, chat gateway) vs. short request/response streams. */
  long?: boolean
  /** Share of a device's bandwidth a stream to this target takes. */
  weight: number
}

const TARGETS: readonly TargetSpec[] = [
  { req: 'www.google.com:443', weight: 1 },
  { req: 'api.github.com:443', weight: 1 },
  { req: 'github.com:443', weight: 1.5 },
  { req: 'objects.githubusercontent.com:443', weight: 5 },
  { req: 'rr4---sn-4g5lznes.googlevideo.com:443', long: true, weight: 10 },
  { req: 'i.ytimg.com:443', weight: 2 },
  { req: 'www.youtube.com:443', weight: 1 },
  { req: 'ipv4-c001-sjc001-ix.1.oca.nflxvideo.net:443', long: true, weight: 12 },
  { req: 'open.spotify.com:443', weight: 1 },
  { req: 'audio-ak-spotify-com.akamaized.net:443', long: true, weight: 3 },
  { req: 'gateway.discord.gg:443', long: true, weight: 0.2 },
  { req: 'web.whatsapp.com:443', long: true, weight: 0.2 },
  { req: 'imap.gmail.com:993', long: true, weight: 0.1 },
  { req: 'registry.npmjs.org:443', weight: 3 },
  { req: 'files.pythonhosted.org:443', weight: 4 },
  { req: 'en.wikipedia.org:443', weight: 1 },
  { req: 'chatgpt.com:443', weight: 0.5 },
  { req: 'dl.google.com:443', weight: 8 },
  { req: 'update.googleapis.com:443', weight: 0.5 },
  { req: 'www.reddit.com:443', weight: 1 },
  { req: 'ssh.github.com:443', long: true, weight: 0.3 },
  { req: '142.250.72.14:443', hooked: 'www.google.com:443', weight: 1 },
  { req: '140.82.112.4:443', hooked: 'github.com:443', weight: 1 },
  { req: '[2606:4700::6810:85e5]:443', hooked: 'discord.com:443', weight: 0.5 },
  { req: '104.16.132.229:443', weight: 0.5 },
]

type ProfileKind = 'idle' | 'light' | 'medium' | 'heavy' | 'uploader'

interface Profile {
  kind: ProfileKind
  /** Mean download rate in bytes/s while active. */
  downBps: number
  /** Upload as a fraction of download. */
  upRatio: number
}

interface SimStream {
  id: number
  spec: TargetSpec
  ttl: number
}

interface SimDevice {
  conn: number | null
  wantsOnline: boolean
  reconnectAt: number
  streams: SimStream[]
}

interface SimUser {
  name: string
  profile: Profile
  devices: SimDevice[]
  /** Random-walking multiplier of the profile rate (bursts and lulls). */
  burst: number
}

/**
 * Starts a simulation against `target`. With `autoStart` (default) a timer (unref'd) ticks every
 * `tickMs`; otherwise call `step()` yourself. One tick runs at once so data exists immediately.
 */
export function startSimulation(
  target: SimulationTarget,
  opts: SimulationOptions = {},
  autoStart = true,
): Simulation {
  const tickMs = Math.max(10, opts.tickMs ?? 1000)
  const userCount = Math.max(0, Math.floor(opts.users ?? opts.names?.length ?? 8))
  const rand = createPrng(opts.seed ?? 1)
  const between = (lo: number, hi: number): number => lo + (hi - lo) * rand()
  const int = (lo: number, hi: number): number => Math.floor(between(lo, hi + 1))
  const ticksFor = (ms: number): number => Math.max(1, Math.ceil(ms / tickMs))
  const pickTarget = (): TargetSpec => TARGETS[Math.floor(rand() * TARGETS.length)] as TargetSpec

  const names: string[] = []
  for (let i = 0; i < userCount; i++) {
    const pad = userCount > 99 ? 3 : 2
    names.push(
      opts.names?.[i] ??
        (userCount <= NAMES.length
          ? (NAMES[i] as string)
          : `user${String(i + 1).padStart(pad, '0')}`),
    )
  }

  function makeProfile(): Profile {
    const r = rand()
    if (r < 0.12) return { kind: 'idle', downBps: 0, upRatio: 0 }
    if (r < 0.45) return { kind: 'light', downBps: between(2e3, 40e3), upRatio: between(0.05, 0.3) }
    if (r < 0.78)
      return { kind: 'medium', downBps: between(100e3, 1.5e6), upRatio: between(0.02, 0.1) }
    if (r < 0.93)
      return { kind: 'heavy', downBps: between(2e6, 12e6), upRatio: between(0.01, 0.04) }
    return { kind: 'uploader', downBps: between(50e3, 300e3), upRatio: between(4, 15) }
  }

  let tick = 0
  const users: SimUser[] = names.map((name) => {
    const r = rand()
    const deviceCount = r < 0.1 ? 0 : r < 0.55 ? 1 : r < 0.85 ? 2 : 3
    const devices: SimDevice[] = []
    for (let d = 0; d < deviceCount; d++) {
      devices.push({ conn: null, wantsOnline: rand() < 0.7, reconnectAt: 0, streams: [] })
    }
    return { name, profile: makeProfile(), devices, burst: 1 }
  })

  function dropDevice(dev: SimDevice, reconnectMs: number): void {
    dev.conn = null
    dev.streams = []
    dev.reconnectAt = tick + ticksFor(reconnectMs)
  }

  function openStream(dev: SimDevice, conn: number): void {
    const spec = pickTarget()
    const id = target.openStream(
      conn,
      spec.req,
      spec.hooked === undefined ? undefined : { hookedReqAddr: spec.hooked },
    )
    const ttlMs = spec.long ? between(60_000, 900_000) : between(500, 15_000)
    dev.streams.push({ id, spec, ttl: ticksFor(ttlMs) })
  }

  function runDevice(user: SimUser, dev: SimDevice): void {
    if (dev.conn !== null && !target.isConnected(dev.conn)) {
      // Dropped by the server (restart, kick via disconnect): auto-reconnect.
      dropDevice(dev, between(2000, 6000))
    }
    if (dev.conn === null) {
      if (!dev.wantsOnline) {
        if (rand() < 0.02) {
          dev.wantsOnline = true
          dev.reconnectAt = tick
        }
        return
      }
      if (tick < dev.reconnectAt) return
      dev.conn = target.connect(user.name)
      const initial = user.profile.kind === 'idle' ? int(0, 1) : int(1, 3)
      for (let i = 0; i < initial; i++) openStream(dev, dev.conn)
      return
    }
    const conn = dev.conn
    if (rand() < 0.004) {
      // The user quits the client.
      target.disconnect(conn)
      dropDevice(dev, 0)
      dev.wantsOnline = false
      return
    }
    // Stream churn.
    for (const s of dev.streams) s.ttl--
    for (const s of dev.streams.filter((x) => x.ttl <= 0)) target.closeStream(conn, s.id)
    dev.streams = dev.streams.filter((x) => x.ttl > 0)
    const openChance = user.profile.kind === 'idle' ? 0.02 : 0.35
    if (dev.streams.length < 8 && rand() < openChance) openStream(dev, conn)
    if (user.profile.kind === 'idle' || dev.streams.length === 0) return

    // Traffic: the device's budget this tick, shared by stream weight.
    const budget = user.profile.downBps * user.burst * (tickMs / 1000) * between(0.3, 1.7)
    const totalWeight = dev.streams.reduce((a, s) => a + s.spec.weight, 0)
    for (const s of dev.streams) {
      const rx = Math.round((budget * s.spec.weight) / totalWeight)
      const tx = Math.round(rx * user.profile.upRatio * between(0.7, 1.3)) + int(0, 400)
      if (!target.moveTraffic(conn, tx, rx, s.id)) {
        // Lazily kicked on this chunk: the connection is gone; the client reconnects.
        dropDevice(dev, between(2000, 5000))
        return
      }
    }
    // UDP datagrams (DNS, QUIC to the web): not listed in /dump/streams, but counted.
    if (rand() < 0.3) {
      if (!target.moveTraffic(conn, int(60, 1400), int(80, 4000))) {
        dropDevice(dev, between(2000, 5000))
      }
    }
  }

  function step(): void {
    tick++
    for (const user of users) {
      user.burst = Math.min(3, Math.max(0.2, user.burst * between(0.8, 1.25)))
      for (const dev of user.devices) runDevice(user, dev)
    }
  }

  let timer: ReturnType<typeof setInterval> | null = null
  step()
  if (autoStart) {
    timer = setInterval(() => {
      try {
        step()
      } catch {
        // The emulator is closing or a test broke an invariant: skip this tick, never crash.
      }
    }, tickMs)
    timer.unref()
  }

  return {
    users: names,
    tickMs,
    step,
    stop() {
      if (timer !== null) clearInterval(timer)
      timer = null
    },
  }
}
