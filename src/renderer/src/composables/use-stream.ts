import { onScopeDispose, ref, shallowRef, toValue, watch, type MaybeRefOrGetter } from 'vue'
import type { StreamState } from '../../../shared/contract'
import { api } from '../api'
import { useOnConnected, useSubscription } from './use-subscription'

/**
 * Follows a live stream of a server for the life of the calling scope: `streams.watch` now and
 * after every reconnect (a new core connection has no watches), `stream.batch` events filtered
 * to this stream, `streams.unwatch` when the scope ends. `latest` is the newest frame (HY2 SCALE
 * streams send full snapshots); `onFrames` sees every batch's frames, oldest first.
 */
export function useStream<F = unknown>(
  serverId: MaybeRefOrGetter<string>,
  stream: string,
  opts: { onFrames?: (frames: F[]) => void } = {},
) {
  const latest = shallowRef<F | null>(null)
  const state = shallowRef<StreamState | null>(null)
  const dropped = ref(0)
  /** The server this scope currently watches (null before the first watch). */
  let watching: string | null = null

  useSubscription('stream.batch', (b) => {
    if (b.stream !== stream || b.serverId !== watching) return
    if (b.frames.length > 0) {
      const frames = b.frames as F[]
      latest.value = frames[frames.length - 1] ?? null
      opts.onFrames?.(frames)
    }
    if (b.state) state.value = b.state
    dropped.value += b.dropped
  })

  const start = () => {
    const id = toValue(serverId)
    watching = id
    api.streams.watch(id, stream).catch((err: unknown) => {
      state.value = {
        status: 'failed',
        error:
          err && typeof err === 'object' && 'appError' in err
            ? (err as { appError: StreamState['error'] }).appError
            : null,
        nextRetryAt: null,
        since: Date.now(),
      }
    })
  }
  const stop = (id: string | null) => {
    if (id !== null) api.streams.unwatch(id, stream).catch(() => undefined)
  }

  useOnConnected(start)
  watch(
    () => toValue(serverId),
    (id, old) => {
      if (id === old) return
      stop(old)
      latest.value = null
      state.value = null
      dropped.value = 0
      start()
    },
  )
  onScopeDispose(() => {
    stop(watching)
    watching = null
  })

  return { latest, state, dropped }
}
