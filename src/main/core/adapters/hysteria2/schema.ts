import { z } from 'zod'

/**
 * Wire shapes of the Hysteria 2 Traffic Stats API (apis.md §1). Counters are uint64 on the wire;
 * JSON numbers lose precision above 2^53 bytes (8 PiB), far beyond any real counter.
 */
const Uint = z.number().int().nonnegative()

/** `GET /traffic`: `{ "<authID>": {"tx": n, "rx": n} }`; tx = client upload, rx = client download. */
export const TrafficSchema = z.record(z.string(), z.object({ tx: Uint, rx: Uint }).loose())
export type TrafficWire = z.infer<typeof TrafficSchema>

/** `GET /online`: `{ "<authID>": connections }` (zero entries are removed by the server). */
export const OnlineSchema = z.record(z.string(), Uint)
export type OnlineWire = z.infer<typeof OnlineSchema>

/** A uint64 counter as `Uint` accepts it: a safe non-negative integer. */
const isUint = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

/**
 * A plain JSON object the zod record returns unchanged. An own `__proto__` key (possible
 * from JSON.parse) is left to zod, which drops it.
 */
const isPlainRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !Object.hasOwn(v, '__proto__')

/**
 * Fast check of a `/traffic` body, run every poll of every server: true only for what
 * {@link TrafficSchema} accepts and returns unchanged; anything else goes through the schema
 * (see `parseJsonBody`), so nothing is accepted unvalidated.
 */
export function isTrafficWire(json: unknown): json is TrafficWire {
  if (!isPlainRecord(json)) return false
  for (const key in json) {
    const c = json[key]
    if (!isPlainRecord(c) || !isUint(c.tx) || !isUint(c.rx)) return false
  }
  return true
}

/** Fast check of an `/online` body, like {@link isTrafficWire} for {@link OnlineSchema}. */
export function isOnlineWire(json: unknown): json is OnlineWire {
  if (!isPlainRecord(json)) return false
  for (const key in json) if (!isUint(json[key])) return false
  return true
}

/** One entry of `GET /dump/streams` (upstream, v2.6.0+). */
export const StreamEntrySchema = z
  .object({
    state: z.string(),
    auth: z.string(),
    connection: Uint,
    stream: Uint,
    req_addr: z.string(),
    hooked_req_addr: z.string().default(''),
    tx: Uint,
    rx: Uint,
    initial_at: z.string().nullable().default(null),
    last_active_at: z.string().nullable().default(null),
  })
  .loose()
export type StreamEntryWire = z.infer<typeof StreamEntrySchema>

export const StreamDumpSchema = z.object({ streams: z.array(StreamEntrySchema).nullable() }).loose()

/** The seed doc's variant: `{ "<connId>": {user, remote, target, tx, rx} }`. Accepted too. */
export const SeedStreamDumpSchema = z.record(
  z.string(),
  z
    .object({
      user: z.string(),
      remote: z.string().default(''),
      target: z.string().default(''),
      tx: Uint.default(0),
      rx: Uint.default(0),
    })
    .loose(),
)

/** Options of a Hysteria 2 server in NodeDeck. */
export const Hysteria2OptionsSchema = z
  .object({
    /**
     * Read `/traffic?clear=1` so the server resets its counters. Off by default: two readers
     * that clear steal each other's deltas (apis.md §1 gotcha 2).
     */
    clearOnRead: z.boolean().default(false),
  })
  .strip()
