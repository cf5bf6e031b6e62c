/**
 * The backend log channel of the PasarGuard node, and realistic Xray / WireGuard log lines.
 *
 * Upstream: Xray's stdout is scanned line by line and each line is offered to ONE buffered Go
 * channel (`make(chan string, LOG_BUFFER_SIZE)`, default 10000) with a non-blocking send — when
 * the buffer is full the line is dropped. Every `/logs` request (and gRPC `GetLogs` call) is a
 * receiver of that same channel: concurrent readers split the lines, each line reaches exactly
 * one reader. Lines buffer while nobody reads (a new reader first gets the backlog, e.g. Xray's
 * start banner). The Xray channel belongs to the core and is never closed (restarts keep it,
 * shutdown leaves it open and silent); WireGuard closes its channel on shutdown.
 *
 * Emulation: lines queue in {@link LogChannel}; a pump (setImmediate) hands every queued line to
 * the readers that can take data, round-robin line by line, one write per reader per pump. A
 * reader whose transport is backpressured takes nothing until it drains — as a Go handler
 * blocked in `Write` receives nothing — so the buffer fills and lines drop, as upstream.
 */

/** A reader of the channel (one `/logs` response or one `GetLogs` call). */
export interface LogSink {
  /** Writes lines; returns false when the transport is backpressured (call `resume` on drain). */
  write(lines: string[]): boolean
  /** The channel was closed and is drained (WireGuard shutdown): end the stream. */
  end(): void
}

interface SinkSlot {
  sink: LogSink
  ready: boolean
}

/** Counters of one channel (for benchmarks). */
export interface LogChannelStats {
  /** Lines offered by the core. */
  sent: number
  /** Lines dropped because the buffer was full. */
  dropped: number
  /** Lines handed to readers. */
  delivered: number
}

export class LogChannel {
  private buf: string[] = []
  private head = 0
  private slots: SinkSlot[] = []
  private rr = 0
  private scheduled = false
  closed = false
  readonly stats: LogChannelStats = { sent: 0, dropped: 0, delivered: 0 }

  constructor(
    readonly capacity: number,
    private readonly onReaderCountChange: (delta: number) => void = () => {},
  ) {}

  /** Lines waiting in the buffer. */
  get length(): number {
    return this.buf.length - this.head
  }

  /** Non-blocking send; false if the buffer is full (the line is dropped) or the channel closed. */
  send(line: string): boolean {
    this.stats.sent++
    if (this.closed || this.length >= this.capacity) {
      this.stats.dropped++
      return false
    }
    this.buf.push(line)
    this.schedule()
    return true
  }

  /** Sends many lines (each one non-blocking); returns how many were accepted. */
  sendMany(lines: readonly string[]): number {
    let accepted = 0
    for (const l of lines) {
      this.stats.sent++
      if (this.closed || this.length >= this.capacity) {
        this.stats.dropped++
        continue
      }
      this.buf.push(l)
      accepted++
    }
    if (accepted > 0) this.schedule()
    return accepted
  }

  /** Adds a reader; returns its detach function (idempotent). */
  attach(sink: LogSink): () => void {
    const slot: SinkSlot = { sink, ready: true }
    this.slots.push(slot)
    this.onReaderCountChange(1)
    this.schedule()
    let attached = true
    return () => {
      if (!attached) return
      attached = false
      const i = this.slots.indexOf(slot)
      if (i >= 0) this.slots.splice(i, 1)
      this.onReaderCountChange(-1)
    }
  }

  /** A backpressured reader drained: it takes lines again. */
  resume(sink: LogSink): void {
    const slot = this.slots.find((s) => s.sink === sink)
    if (slot) {
      slot.ready = true
      this.schedule()
    }
  }

  /** `close(ch)`: readers get what is buffered, then their streams end. */
  close(): void {
    if (this.closed) return
    this.closed = true
    this.schedule()
  }

  get readers(): number {
    return this.slots.length
  }

  private schedule(): void {
    if (this.scheduled) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.pump()
    })
  }

  private pump(): void {
    const ready = this.slots.filter((s) => s.ready)
    const n = this.length
    if (ready.length > 0 && n > 0) {
      const lines = this.head === 0 ? this.buf : this.buf.slice(this.head)
      this.buf = []
      this.head = 0
      this.stats.delivered += n
      if (ready.length === 1) {
        const slot = ready[0] as SinkSlot
        if (!slot.sink.write(lines)) slot.ready = false
      } else {
        const buckets: string[][] = ready.map(() => [])
        const k = ready.length
        for (let i = 0; i < n; i++)
          (buckets[(this.rr + i) % k] as string[]).push(lines[i] as string)
        this.rr = (this.rr + n) % k
        ready.forEach((slot, i) => {
          const b = buckets[i] as string[]
          if (b.length > 0 && !slot.sink.write(b)) slot.ready = false
        })
      }
    }
    if (this.closed && this.length === 0) {
      const slots = this.slots
      this.slots = []
      for (const s of slots) {
        this.onReaderCountChange(-1)
        s.sink.end()
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Log lines

/** What the line generator knows about the running backend. */
export interface LogContext {
  kind: 'xray' | 'wireguard'
  emails: readonly string[]
  inbounds: readonly string[]
  outbounds: readonly string[]
  interfaceName: string
}

const p2 = (n: number): string => (n < 10 ? `0${n}` : String(n))

/** Go's `2006/01/02 15:04:05` (UTC) of a ms timestamp. */
export function goLogDate(ms: number): string {
  const d = new Date(ms)
  return `${d.getUTCFullYear()}/${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}`
}

/** Xray's log timestamp `2006/01/02 15:04:05.000000` for a time in microseconds. */
export function xrayTimestamp(micros: number): string {
  const ms = Math.floor(micros / 1000)
  return `${goLogDate(ms)}.${String(micros % 1_000_000).padStart(6, '0')}`
}

const TARGETS = [
  'tcp:www.google.com:443',
  'tcp:i.ytimg.com:443',
  'tcp:rr3---sn-4g5e6nzz.googlevideo.com:443',
  'tcp:api.telegram.org:443',
  'tcp:web.whatsapp.com:443',
  'tcp:github.com:443',
  'tcp:www.instagram.com:443',
  'tcp:cdn.discordapp.com:443',
  'tcp:gateway.icloud.com:443',
  'tcp:update.microsoft.com:80',
  'udp:1.1.1.1:53',
  'udp:8.8.8.8:53',
  'tcp:www.example.com:443',
  'tcp:149.154.167.51:443',
  'udp:stun.l.google.com:19302',
]
const MODULES = ['vless', 'vmess', 'trojan', 'shadowsocks']

/** Client addresses from the documentation ranges. */
export function clientIp(rng: () => number, i: number): string {
  const nets = ['203.0.113', '198.51.100', '192.0.2']
  return `${nets[i % nets.length]}.${1 + ((i * 37 + Math.floor(rng() * 3)) % 250)}`
}

/**
 * Produces `n` realistic log lines starting at `nowMs` (monotonic microseconds within the call).
 * Xray: a mix of access-log lines (`from … accepted … [in >> out] email: …`) and error-log lines
 * at Debug/Info/Warning/Error. WireGuard: the node's own `2006/01/02 15:04:05 [Level] msg` lines.
 */
export function makeLogLines(
  rng: () => number,
  ctx: LogContext,
  n: number,
  nowMs: number,
): string[] {
  const out: string[] = new Array<string>(n)
  if (ctx.kind === 'wireguard') {
    const date = goLogDate(nowMs)
    for (let i = 0; i < n; i++) {
      const email = ctx.emails.length > 0 ? ctx.emails[Math.floor(rng() * ctx.emails.length)] : ''
      const r = rng()
      out[i] =
        r < 0.7
          ? `${date} [Info] peer ${email || 'unknown'} handshake completed on ${ctx.interfaceName}`
          : r < 0.95
            ? `${date} [Info] stats updated for ${ctx.emails.length} peers on ${ctx.interfaceName}`
            : `${date} [Warning] peer ${email || 'unknown'} has no recent handshake`
    }
    return out
  }
  const baseMicros = nowMs * 1000
  const step = n > 0 ? Math.max(1, Math.floor(10_000 / n)) : 1
  let dateSec = -1
  let datePart = ''
  for (let i = 0; i < n; i++) {
    const micros = baseMicros + i * step + Math.floor(rng() * step)
    const sec = Math.floor(micros / 1_000_000)
    if (sec !== dateSec) {
      dateSec = sec
      datePart = goLogDate(sec * 1000)
    }
    const ts = `${datePart}.${String(micros % 1_000_000).padStart(6, '0')}`
    const target = TARGETS[Math.floor(rng() * TARGETS.length)] as string
    const r = rng()
    const sid = Math.floor(rng() * 4294967295)
    const inbound =
      ctx.inbounds.length > 0
        ? (ctx.inbounds[Math.floor(rng() * ctx.inbounds.length)] as string)
        : 'in'
    const mod =
      MODULES.find((m) => inbound.startsWith(m)) ?? (MODULES[Math.floor(rng() * 4)] as string)
    if (r < 0.55 && ctx.emails.length > 0) {
      const email = ctx.emails[Math.floor(rng() * ctx.emails.length)] as string
      const outbound =
        ctx.outbounds.length > 0
          ? (ctx.outbounds[rng() < 0.8 ? 0 : Math.floor(rng() * ctx.outbounds.length)] as string)
          : 'direct'
      const port = 1024 + Math.floor(rng() * 64000)
      out[i] =
        `${ts} from ${clientIp(rng, Math.floor(rng() * 1000))}:${port} accepted ${target} [${inbound} >> ${outbound}] email: ${email}`
    } else if (r < 0.7) {
      out[i] =
        `${ts} [Info] [${sid}] proxy/${mod}/inbound: firstLen = ${200 + Math.floor(rng() * 1300)}`
    } else if (r < 0.8) {
      out[i] =
        `${ts} [Info] [${sid}] app/dispatcher: taking detour [${ctx.outbounds[0] ?? 'direct'}] for [${target}]`
    } else if (r < 0.87) {
      out[i] =
        `${ts} [Debug] [${sid}] app/dns: domain ${target.split(':')[1]} will use DNS in order: [localhost]`
    } else if (r < 0.93) {
      out[i] = `${ts} [Info] [${sid}] proxy/freedom: opening connection to ${target}`
    } else if (r < 0.98) {
      out[i] =
        `${ts} [Warning] [${sid}] proxy/${mod}/inbound: invalid request from ${clientIp(rng, sid)}:${1024 + (sid % 60000)} > proxy/${mod}/encoding: invalid request user id`
    } else {
      out[i] =
        `${ts} [Error] [${sid}] proxy/freedom: connection ends > proxy/freedom: failed to process response > read tcp 10.0.0.5:${30000 + (sid % 30000)}->142.250.74.68:443: connection reset by peer`
    }
  }
  return out
}

/** What a freshly started Xray prints (version banner, config read, started). */
export function xrayBanner(version: string, nowMs: number): string[] {
  return [
    `Xray ${version} (Xray, Penetrates Everything.) 9f5dcb1 (go1.25.3 linux/amd64)`,
    'A unified platform for anti-censorship.',
    `${xrayTimestamp(nowMs * 1000)} [Info] infra/conf/serial: Reading config: &{Name:stdin: Format:json}`,
    `${xrayTimestamp(nowMs * 1000 + 2417)} [Warning] core: Xray ${version} started`,
  ]
}
