import { useVisibleInterval } from '../../../composables/use-visible-interval'

/** What {@link useMuPoll} reads and when. */
export interface MuPollOptions {
  /** The server's poll interval (ms), read at every tick: an edited interval applies at once. */
  intervalMs(): number
  /** When the last read started (ms), or null. */
  startedAt(): number | null
  loading(): boolean
  /** False while there is nothing to read (no node id entered yet). */
  enabled?(): boolean
  load(): void
}

/**
 * Reads when the view opens, then again each poll interval after the last read started (a manual
 * refresh restarts the count), only while the page is visible; a hidden page catches up when
 * shown. One read at a time: a tick during a read waits for the next.
 */
export function useMuPoll(o: MuPollOptions): void {
  let first = true
  useVisibleInterval(() => {
    if (o.enabled && !o.enabled()) return
    if (o.loading()) return
    const started = o.startedAt()
    if (first || started === null || Date.now() - started >= o.intervalMs()) {
      first = false
      o.load()
    }
  }, 1000)
}
