import {
  openStream,
  type StreamFrame,
  type StreamReaderOptions,
} from '../adapters/sse/stream-reader'
import { silentLogger } from '../util/logger'
import type { StreamSpec } from './stream-hub'

/** The reader options of a hub upstream: the hub supplies the frame and state callbacks. */
export type ReaderUpstreamOptions = Omit<StreamReaderOptions, 'onFrame' | 'onState'>

/** How the frames of a reader are kept by the hub. */
export interface ReaderStreamSpecOptions {
  /** See {@link StreamSpec.replay}; default 1. */
  replay?: number
  /** See {@link StreamSpec.coalesce}; default false. */
  coalesce?: boolean
  /** See {@link StreamSpec.maxQueue}. */
  maxQueue?: number
}

/**
 * A hub spec whose upstream is a stream reader ({@link openStream}) delivering raw frames.
 * With `map`, each frame is converted first (e.g. JSON + schema into a domain object); a frame
 * mapped to `null`/`undefined`, or whose `map` throws, is skipped (and logged).
 */
export function readerStreamSpec(
  reader: ReaderUpstreamOptions,
  opts?: ReaderStreamSpecOptions,
): StreamSpec<StreamFrame>
export function readerStreamSpec<F>(
  reader: ReaderUpstreamOptions,
  opts: ReaderStreamSpecOptions & { map: (frame: StreamFrame) => F | null | undefined },
): StreamSpec<F>
export function readerStreamSpec<F>(
  reader: ReaderUpstreamOptions,
  opts: ReaderStreamSpecOptions & { map?: (frame: StreamFrame) => F | null | undefined } = {},
): StreamSpec<F | StreamFrame> {
  const log = reader.log ?? silentLogger
  const map = opts.map
  return {
    replay: opts.replay,
    coalesce: opts.coalesce,
    maxQueue: opts.maxQueue,
    open(sink) {
      return openStream({
        ...reader,
        onState: (s) => sink.state(s),
        onFrame: (frame) => {
          if (!map) {
            sink.frame(frame)
            return
          }
          let out: F | null | undefined
          try {
            out = map(frame)
          } catch (err) {
            log.warn('stream frame skipped: it could not be read', {
              serverId: reader.serverId,
              err: err instanceof Error ? err.name : 'error',
            })
            return
          }
          if (out !== null && out !== undefined) sink.frame(out)
        },
      })
    },
  }
}
