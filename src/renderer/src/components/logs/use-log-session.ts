import {
  effectScope,
  onScopeDispose,
  shallowRef,
  toValue,
  watch,
  type EffectScope,
  type MaybeRefOrGetter,
  type ShallowRef,
} from 'vue'
import { api } from '../../api'
import { useOnConnected, useSubscription } from '../../composables/use-subscription'
import { toAppError } from '../../utils/errors'
import { LogStore, replayOverlap } from './log-store'

/** One watched line stream of one server, shared by every view of it in this page. */
interface Session {
  store: LogStore
  users: number
  scope: EffectScope
  timer: ReturnType<typeof setTimeout> | null
  close(): void
}

const sessions = new Map<string, Session>()
const keyOf = (serverId: string, stream: string) => `${serverId}\u0000${stream}`

/** How long a session outlives its last view (ms): switching tabs and back keeps the lines. */
let keepMs = 15_000

/** Sets how long sessions outlive their last view (tests use 0). Returns the previous value. */
export function setLogSessionKeepMs(ms: number): number {
  const prev = keepMs
  keepMs = ms
  return prev
}

/** Frames of a `logs` stream are strings; anything else is shown as JSON rather than lost. */
const asLine = (f: unknown): string => (typeof f === 'string' ? f : JSON.stringify(f))

function open(serverId: string, stream: string, capacity: number | undefined): Session {
  const store = new LogStore({ capacity })
  const scope = effectScope(true)
  /** The next batch is the first after a (re)watch: it replays lines we may already hold. */
  let replayPending = false

  const start = () => {
    replayPending = true
    api.streams.watch(serverId, stream).catch((err: unknown) => {
      store.setState({
        status: 'failed',
        error: toAppError(err, serverId),
        nextRetryAt: null,
        since: Date.now(),
      })
    })
  }

  scope.run(() => {
    useSubscription('stream.batch', (b) => {
      if (b.serverId !== serverId || b.stream !== stream) return
      if (b.state) store.setState(b.state)
      let lines = b.frames.map(asLine)
      if (replayPending) {
        replayPending = false
        const skip = replayOverlap(store.buffer, lines)
        if (skip > 0) lines = lines.slice(skip)
      }
      store.append(lines, b.dropped)
    })
    useOnConnected(start)
  })
  store.retry = start

  return {
    store,
    users: 0,
    scope,
    timer: null,
    close() {
      scope.stop()
      store.retry = null
      api.streams.unwatch(serverId, stream).catch(() => undefined)
    },
  }
}

function acquire(serverId: string, stream: string, capacity?: number): Session {
  const key = keyOf(serverId, stream)
  let s = sessions.get(key)
  if (!s) {
    s = open(serverId, stream, capacity)
    sessions.set(key, s)
  }
  if (s.timer !== null) {
    clearTimeout(s.timer)
    s.timer = null
  }
  s.users++
  return s
}

function release(serverId: string, stream: string): void {
  const key = keyOf(serverId, stream)
  const s = sessions.get(key)
  if (!s) return
  s.users--
  if (s.users > 0) return
  const end = () => {
    if (sessions.get(key) !== s || s.users > 0) return
    sessions.delete(key)
    s.close()
  }
  if (keepMs <= 0) end()
  else s.timer = setTimeout(end, keepMs)
}

/**
 * The live lines of a server's line stream (`logs` by default) for the calling scope. One
 * `streams.watch` and one buffer per (server, stream) in this page however many views use it
 * (the core itself keeps one upstream reader per node for every window); followed across
 * reconnects of the core connection, where the replayed tail is not appended twice. The core
 * reconnects the upstream with backoff; its state is `store.state`.
 */
export function useLogSession(
  serverId: MaybeRefOrGetter<string>,
  stream = 'logs',
  opts: { capacity?: number } = {},
): { store: ShallowRef<LogStore> } {
  let current = toValue(serverId)
  const store = shallowRef(acquire(current, stream, opts.capacity).store)
  watch(
    () => toValue(serverId),
    (id) => {
      if (id === current) return
      const prev = current
      current = id
      store.value = acquire(id, stream, opts.capacity).store
      release(prev, stream)
    },
  )
  onScopeDispose(() => release(current, stream))
  return { store }
}
