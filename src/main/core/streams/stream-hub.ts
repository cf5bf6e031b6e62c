import { appError, AppErrorException } from '../../../shared/contract'
import type { StreamState } from '../adapters/sse/stream-reader'
import { silentLogger, type Logger } from '../util/logger'

/** Which stream: one upstream per key (design.md §2.4). */
export interface StreamKey {
  serverId: string
  /** The stream's name within the server, e.g. `logs`, `graph-layout`, `upgrade-events`. */
  stream: string
}

/** What an upstream reports to the hub. */
export interface UpstreamSink<F> {
  frame(frame: F): void
  state(state: StreamState): void
}

/** A running upstream (typically a stream reader); the hub stops it when nobody listens. */
export interface Upstream {
  stop(): void
}

/**
 * How to open the upstream of a key and how its frames are kept. The spec of the first subscriber
 * of a key is used while that upstream lives; later subscribers share it.
 */
export interface StreamSpec<F> {
  /** Opens the upstream. It may call the sink synchronously (e.g. a first `connecting` state). */
  open(sink: UpstreamSink<F>): Upstream
  /**
   * How many recent frames a new subscriber gets at once: 1 for snapshot streams (HY2 SCALE:
   * every frame is the full state, apis.md §2), a tail for logs, 0 for none. Default 1.
   */
  replay?: number
  /**
   * Snapshot streams: a subscriber's queue keeps only the newest frame (older ones are
   * superseded, not counted as dropped). Default false.
   */
  coalesce?: boolean
  /**
   * Default queue cap of this stream's subscribers (frames), when `subscribe` gives none: high
   * for fast log streams (thousands of lines per second), else the hub's default.
   */
  maxQueue?: number
}

/** What a subscriber receives, at most every `batchIntervalMs`. */
export interface StreamBatch<F> {
  /** Frames since the last batch, oldest first (the replay in the first batch). */
  frames: F[]
  /**
   * Frames dropped for this subscriber since its last batch because its queue was over its cap
   * (the oldest go first; for log lines this is the dropped-lines count).
   */
  dropped: number
  /** The upstream's state: in the first batch, then whenever it changed. */
  state?: StreamState
  /** True for the batch delivered synchronously by `subscribe` (live before the first event). */
  initial?: true
}

/** A subscription; `dispose()` is idempotent and safe after `closeAll()`. */
export interface StreamSubscription {
  readonly key: StreamKey
  dispose(): void
}

/** Per-subscriber options. */
export interface SubscribeOptions {
  /** Queue cap of this subscriber (frames); beyond it the oldest are dropped and counted. */
  maxQueue?: number
}

/** Options of {@link createStreamHub}. */
export interface StreamHubOptions {
  /** Minimum time between two batches to one subscriber (ms); default 100 (≤ 10 Hz). */
  batchIntervalMs?: number
  /** Keep an upstream open this long (ms) after its last subscriber left; default 2000. */
  graceMs?: number
  /** Default per-subscriber queue cap (frames); default 1000. */
  maxQueue?: number
  log?: Logger
  /** Clock (ms), for tests with fake timers. */
  now?: () => number
}

/** Facts about one open upstream, for diagnostics and tests. */
export interface StreamHubEntryInfo {
  key: StreamKey
  subscribers: number
  state: StreamState | null
  /** True while in the grace period after the last subscriber left. */
  closing: boolean
}

/** The core's stream multiplexer (design.md §2.4). */
export interface StreamHub {
  /**
   * Subscribes to a key. Opens its upstream on the first subscriber (with `spec`), shares it
   * afterwards. `listener` gets, synchronously, an `initial` batch with the current state and the
   * replayed frames, then batches at most every `batchIntervalMs`.
   */
  subscribe<F>(
    key: StreamKey,
    spec: StreamSpec<F>,
    listener: (batch: StreamBatch<F>) => void,
    opts?: SubscribeOptions,
  ): StreamSubscription
  /** The open upstreams. */
  entries(): StreamHubEntryInfo[]
  /** Stops every upstream and timer and ends every subscription; later subscribes throw. */
  closeAll(): void
}

/** The hub's map key: NUL cannot occur in a server id nor a stream name. */
function keyString(key: StreamKey): string {
  return `${key.serverId}\u0000${key.stream}`
}

interface Subscriber {
  listener: (batch: StreamBatch<unknown>) => void
  maxQueue: number
  /**
   * Frames since the last batch. It may hold up to twice `maxQueue` between two trims: dropping
   * the oldest frame by frame would move the whole queue for every frame of a saturated log
   * stream (thousands a second); trimmed in bulk, each frame is moved at most once.
   */
  queue: unknown[]
  dropped: number
  stateDirty: boolean
  lastFlushAt: number
  timer: NodeJS.Timeout | null
  disposed: boolean
}

interface Entry {
  key: StreamKey
  id: string
  upstream: Upstream | null
  state: StreamState | null
  coalesce: boolean
  recent: RecentFrames
  subscribers: Set<Subscriber>
  graceTimer: NodeJS.Timeout | null
  closed: boolean
}

/**
 * The last `capacity` frames of a stream (the replay for new subscribers), in a ring: a log
 * stream adds thousands of frames a second, and keeping a plain array's tail (splice) would move
 * the whole tail for each of them.
 */
class RecentFrames {
  private readonly ring: unknown[] = []
  /** Where the next frame goes once the ring is full (= the oldest frame). */
  private next = 0

  constructor(private readonly capacity: number) {}

  push(frame: unknown): void {
    if (this.capacity === 0) return
    if (this.ring.length < this.capacity) this.ring.push(frame)
    else {
      this.ring[this.next] = frame
      this.next = (this.next + 1) % this.capacity
    }
  }

  /** The newest `n` frames (at most), oldest first. */
  last(n: number): unknown[] {
    const ordered =
      this.next === 0
        ? this.ring
        : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)]
    return n >= ordered.length ? ordered.slice() : ordered.slice(ordered.length - n)
  }
}

/** Creates the hub. One per core. */
export function createStreamHub(opts: StreamHubOptions = {}): StreamHub {
  const interval = opts.batchIntervalMs ?? 100
  const graceMs = opts.graceMs ?? 2000
  const defaultMaxQueue = opts.maxQueue ?? 1000
  const log = opts.log ?? silentLogger
  const now = opts.now ?? Date.now
  const entries = new Map<string, Entry>()
  let closed = false

  const deliver = (entry: Entry, sub: Subscriber, batch: StreamBatch<unknown>) => {
    try {
      sub.listener(batch)
    } catch (err) {
      log.error('stream subscriber threw', {
        serverId: entry.key.serverId,
        stream: entry.key.stream,
        err: String(err),
      })
    }
  }

  /** Drops the oldest frames of a queue over its cap, counting them. */
  const trim = (sub: Subscriber) => {
    const over = sub.queue.length - sub.maxQueue
    if (over <= 0) return
    sub.queue = sub.queue.slice(over)
    sub.dropped += over
  }

  const flush = (entry: Entry, sub: Subscriber) => {
    sub.timer = null
    if (sub.disposed) return
    trim(sub)
    if (sub.queue.length === 0 && sub.dropped === 0 && !sub.stateDirty) return
    const batch: StreamBatch<unknown> = { frames: sub.queue, dropped: sub.dropped }
    if (sub.stateDirty && entry.state) batch.state = entry.state
    sub.queue = []
    sub.dropped = 0
    sub.stateDirty = false
    sub.lastFlushAt = now()
    deliver(entry, sub, batch)
  }

  const schedule = (entry: Entry, sub: Subscriber) => {
    if (sub.timer || sub.disposed) return
    const wait = Math.max(0, sub.lastFlushAt + interval - now())
    sub.timer = setTimeout(() => flush(entry, sub), wait)
  }

  const onFrame = (entry: Entry, frame: unknown) => {
    if (entry.closed) return
    entry.recent.push(frame)
    for (const sub of entry.subscribers) {
      if (entry.coalesce) {
        sub.queue = [frame]
      } else {
        sub.queue.push(frame)
        if (sub.queue.length >= 2 * sub.maxQueue) trim(sub)
      }
      schedule(entry, sub)
    }
  }

  const onState = (entry: Entry, state: StreamState) => {
    if (entry.closed) return
    entry.state = state
    for (const sub of entry.subscribers) {
      sub.stateDirty = true
      schedule(entry, sub)
    }
  }

  const closeEntry = (entry: Entry) => {
    if (entry.closed) return
    entry.closed = true
    if (entry.graceTimer) clearTimeout(entry.graceTimer)
    entry.graceTimer = null
    for (const sub of entry.subscribers) endSubscriber(sub)
    entry.subscribers.clear()
    if (entries.get(entry.id) === entry) entries.delete(entry.id)
    try {
      entry.upstream?.stop()
    } catch (err) {
      log.error('stream upstream stop threw', { serverId: entry.key.serverId, err: String(err) })
    }
    entry.upstream = null
    log.debug('stream closed', { serverId: entry.key.serverId, stream: entry.key.stream })
  }

  const endSubscriber = (sub: Subscriber) => {
    sub.disposed = true
    if (sub.timer) clearTimeout(sub.timer)
    sub.timer = null
    sub.queue = []
  }

  const open = <F>(key: StreamKey, id: string, spec: StreamSpec<F>): Entry => {
    const entry: Entry = {
      key: { serverId: key.serverId, stream: key.stream },
      id,
      upstream: null,
      state: null,
      coalesce: spec.coalesce ?? false,
      recent: new RecentFrames(Math.max(0, spec.replay ?? 1)),
      subscribers: new Set(),
      graceTimer: null,
      closed: false,
    }
    entries.set(id, entry)
    const sink: UpstreamSink<F> = {
      frame: (f) => onFrame(entry, f),
      state: (s) => onState(entry, s),
    }
    try {
      // The disposer is registered at creation: whatever happens next, closeEntry stops it.
      entry.upstream = spec.open(sink)
    } catch (err) {
      entries.delete(id)
      entry.closed = true
      throw err
    }
    log.debug('stream opened', { serverId: key.serverId, stream: key.stream })
    return entry
  }

  return {
    subscribe<F>(
      key: StreamKey,
      spec: StreamSpec<F>,
      listener: (batch: StreamBatch<F>) => void,
      subOpts: SubscribeOptions = {},
    ): StreamSubscription {
      if (closed) {
        throw new AppErrorException(
          appError('internal', 'The stream hub is closed (NodeDeck is shutting down).', {
            serverId: key.serverId,
          }),
        )
      }
      const id = keyString(key)
      const entry = entries.get(id) ?? open(key, id, spec)
      if (entry.graceTimer) {
        clearTimeout(entry.graceTimer)
        entry.graceTimer = null
      }
      const sub: Subscriber = {
        // The entry holds frames of the type its spec produces; the key ties them to F.
        listener: listener as unknown as (batch: StreamBatch<unknown>) => void,
        maxQueue: Math.max(1, subOpts.maxQueue ?? spec.maxQueue ?? defaultMaxQueue),
        queue: [],
        dropped: 0,
        stateDirty: false,
        lastFlushAt: now(),
        timer: null,
        disposed: false,
      }
      entry.subscribers.add(sub)
      const first: StreamBatch<unknown> = {
        frames: entry.recent.last(sub.maxQueue),
        dropped: 0,
        initial: true,
      }
      if (entry.state) first.state = entry.state
      deliver(entry, sub, first)

      return {
        key: entry.key,
        dispose() {
          if (sub.disposed) return
          endSubscriber(sub)
          if (entry.closed || !entry.subscribers.delete(sub)) return
          if (entry.subscribers.size > 0) return
          if (graceMs <= 0) {
            closeEntry(entry)
            return
          }
          entry.graceTimer = setTimeout(() => {
            entry.graceTimer = null
            if (entry.subscribers.size === 0) closeEntry(entry)
          }, graceMs)
        },
      }
    },
    entries() {
      return [...entries.values()].map((e) => ({
        key: { ...e.key },
        subscribers: e.subscribers.size,
        state: e.state,
        closing: e.graceTimer !== null,
      }))
    },
    closeAll() {
      closed = true
      for (const entry of [...entries.values()]) closeEntry(entry)
    },
  }
}
