/**
 * The traffic bridge's journal: the pure, crash-safe bookkeeping between a traffic source
 * (Hysteria 2 / HY2 SCALE counters) and a Mu API v2 panel (`reportNodeTraffic`). No I/O besides
 * its own state file; nothing here talks to a server.
 *
 * Goal: no byte reported twice, no byte lost, whatever crashes or fails in between.
 *
 * State (one JSON file per bridge, written with {@link writeFileAtomic}: temp + fsync + rename +
 * directory fsync, so the file is always either the old or the new state):
 * - `last`: the last source counter per source user name. A reading turns counters into deltas
 *   (`new - last`); a counter that went backwards is a reset (the source restarted): the delta is
 *   the new value, never negative. A user seen for the first time counts from zero (delta = the
 *   counter). Bytes between the last reading and a source reset cannot be known by anyone and are
 *   the only bytes a bridge can miss; read often.
 * - `pending`: per panel user id, the accumulated `{u, d}` not yet part of a batch.
 * - `unmatched`: per source user name without a panel user (yet), the accumulated `{u, d}`; moved
 *   into `pending` by the first reading whose mapping knows the name. Nothing is dropped.
 * - `inflight`: at most one batch `{id, items, createdAt, attempts, outcome}`; `id` is a monotonic
 *   sequence number. Once created, a batch never changes: new deltas go to `pending`, a resend
 *   sends the same id and the same items.
 * - `acked`: per panel user id, the totals the panel confirmed (for the UI and for verification).
 *
 * Invariant: for every byte read from the source, it is in exactly one of `unmatched`, `pending`,
 * `inflight` or `acked`.
 *
 * Protocol (the caller, i.e. the bridge loop):
 * 1. `recordReading(counters, mapping)`: deltas are journaled (persisted) before it returns.
 * 2. `nextBatch()`: the inflight batch if there is one (same id, same items), else all `pending`
 *    moved into a new persisted batch; null when there is nothing to send. It counts an attempt.
 *    It throws while the inflight batch needs reconciling (see 4).
 * 3. Send it with `reportNodeTraffic(nodeId, batch.items)`; on success `ack(batch.id)` (items
 *    move into `acked`); on failure `fail(batch.id, muReportApplied(err))`:
 *    - `'no'`: the panel did not record it; the batch stays inflight and `nextBatch()` resends it.
 *    - `'unknown'`: the panel may have counted it. Mu API has no idempotency, so a blind resend
 *      could count it twice: the batch is marked `outcome: 'unknown'`, `needsReconcile()` is true
 *      and `nextBatch()` refuses until the caller decides.
 * 4. `reconcile(batch.id, appliedOnPanel)`: the caller compares the panel's per-user counters
 *    (before the send vs now) and says whether the batch was applied: true → ack, false → the batch
 *    goes back to `'sending'` and is resent as-is.
 *
 * Crash safety: every mutation builds the next state on a copy, persists it atomically and only
 * then replaces the state in memory, so a failed write leaves memory equal to the file, and a
 * crash at any point resumes from the last persisted state. Counters are cumulative at the source,
 * so a reading lost by a crash is re-read as part of the next delta.
 *
 * Verification of a lost ack (added for the bridge runner, `bridge.ts`):
 * - `armSend(batch.id, before)` persists, right before a send, the panel's `{u, d}` of every user
 *   of the batch (`inflight.before`). `before` is null while the current attempt has not been
 *   sent: `nextBatch()`, `fail(id, 'no')` and `reconcile(id, false)` clear it. So an `'unknown'`
 *   batch with `before === null` never reached the panel in its current attempt.
 * - `settle(batch.id, appliedUserIds)`: per-item outcome (the panel applies a batch item by item
 *   and may stop midway): the applied items move into `acked`, the others back into `pending`.
 *   `settle(id, [])` dissolves a batch known not to be applied (e.g. one of its users no longer
 *   exists on the panel) so that a new batch can be built without that user.
 * - `markAttention(batch.id, attention)`: the panel's counters could not tell; the batch stays
 *   `'unknown'` with the numbers until an admin decides (`reconcile`), never decided again
 *   automatically (later reports by other nodes could make a wrong guess look right).
 * - `nextBatch({include})` builds a new batch only of the users `include` accepts; the others
 *   stay in `pending`.
 *
 * Loading (`BridgeJournal.open`): an inflight batch with outcome `'sending'` means the process
 * stopped between `nextBatch()` and `ack()`/`fail()`: the send may have reached the panel, which is
 * exactly the `'unknown'` case. It is therefore loaded as `'unknown'` (reconcile before anything
 * else), unless the caller passes `inflightNotSent: true` because it knows the send never started.
 * A missing file is a new, empty journal; a file that cannot be read as a journal is moved aside to
 * `<file>.corrupt-<time>` and `open` throws a `storage` error: the bridge never restarts from
 * zero silently (that would re-report or lose bytes).
 *
 * Bytes are integers: numbers must be safe integers ≥ 0 and bigints are accepted but anything
 * above 2^53 - 1 (Number.MAX_SAFE_INTEGER), including a sum, is refused with an error (the Mu
 * client sends JSON numbers). A refused call changes nothing.
 */
import { rename } from 'node:fs/promises'
import { readFileIfExists, writeFileAtomic } from '../util/atomic-file'
import { AppErrorException, appError } from '../../../shared/contract'

/** Upload / download bytes as the panel counts them (`u` = client upload). */
export interface Bytes {
  u: number
  d: number
}

/** One source user's cumulative counters (`up` = client upload). */
export interface SourceCounter {
  up: number | bigint
  down: number | bigint
}

export interface BatchItem extends Bytes {
  userId: number
}

export type BatchOutcome = 'sending' | 'unknown'

/** The panel's counters of a batch's users, read right before its current attempt was sent. */
export interface PanelBefore {
  /** ISO time of the read (the send followed it). */
  at: string
  /** The attempt (`InflightBatch.attempts`) this snapshot was taken for. */
  attempt: number
  /** Per panel user id, the panel's `{u, d}` (bytes after the node's rate). */
  users: Record<string, Bytes>
}

/** What the bridge found about one item when the panel's counters could not tell. */
export interface AttentionItem extends BatchItem {
  /** The panel's counters before the send; null when unknown. */
  before: Bytes | null
  /** The panel's counters when checked; null when the panel no longer has the user. */
  after: Bytes | null
  verdict: 'applied' | 'unchanged' | 'either' | 'unclear'
}

/** Why a batch waits for an admin's decision, with the numbers. */
export interface BatchAttention {
  /** ISO time it was found. */
  at: string
  /** One sentence: what does not add up. */
  reason: string
  items: AttentionItem[]
}

export interface InflightBatch {
  /** Monotonic per journal, starting at 1. */
  id: number
  items: BatchItem[]
  /** ISO time of creation. */
  createdAt: string
  /** How many times `nextBatch()` handed it out for sending. */
  attempts: number
  outcome: BatchOutcome
  /** See {@link PanelBefore}; null (or absent, in older files) = the current attempt was not sent. */
  before?: PanelBefore | null
  /** Set while the batch waits for an admin's decision (outcome `'unknown'`). */
  attention?: BatchAttention | null
}

/** The persisted state (version 1). */
export interface JournalState {
  version: 1
  /** The id of the last batch created (0 = none yet). */
  seq: number
  /** Last counters per source user name. */
  last: Record<string, { up: number; down: number }>
  /** Per panel user id. */
  pending: Record<string, Bytes>
  /** Per source user name without a panel user. */
  unmatched: Record<string, Bytes>
  inflight: InflightBatch | null
  /** Per panel user id. */
  acked: Record<string, Bytes>
  /** The last batch (or part of one) the panel confirmed; absent in older files. */
  lastAck?: LastAck | null
  /**
   * Set when the journal started with a baseline (`recordBaseline`): the source's counters at that
   * time (ISO) were taken as already reported, so only what they count afterwards is reported.
   */
  baselineAt?: string | null
  /** ISO time of the last persisted change. */
  updatedAt: string
}

/** What the panel confirmed last (for the UI): batch id, its users and raw bytes. */
export interface LastAck {
  batchId: number
  /** ISO time of the acknowledgement. */
  at: string
  users: number
  u: number
  d: number
}

export interface OpenOptions {
  /**
   * The caller knows that a `'sending'` batch found in the file was never sent (e.g. it records
   * the start of a send elsewhere): load it as `'sending'` and resend it as-is. Default false:
   * such a batch is loaded as `'unknown'` and must be reconciled.
   */
  inflightNotSent?: boolean
  /** Time source (tests). */
  now?: () => Date
  /** The atomic writer (tests inject failures); default {@link writeFileAtomic}. */
  writeFile?: (path: string, data: string) => Promise<void>
}

/** How {@link BridgeJournal.recordReading} reads its counters. */
export interface ReadingOptions {
  /**
   * What a counter that went backwards means:
   * - `zero` (default): the source restarted and counts from zero again (Hysteria 2 keeps its
   *   counters in memory): the new value is all new traffic.
   * - `persisted`: the source saves its totals and reloads them (HY2 SCALE flushes `traffic_used`
   *   every 30 s): after a restart it may come back slightly OLDER than the last reading — those
   *   bytes were journaled already, and taking the whole total as new would report the user's
   *   entire history again. A value at least half the last one is such a reload: the counter is
   *   re-based, nothing is added. A smaller one is a reset (the admin zeroed the user's traffic):
   *   the new value is new traffic.
   */
  backwards?: 'zero' | 'persisted'
}

/** The bytes a counter moved since `last` (see {@link ReadingOptions}). */
function delta(now: number, last: number, persisted: boolean): number {
  if (now >= last) return now - last
  if (persisted && now * 2 >= last) return 0
  return now
}

/** A read-only view of a value, all the way down. */
export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T

const MAX = Number.MAX_SAFE_INTEGER
/** Returned by a mutation that changed nothing: no write. */
const NOTHING: unique symbol = Symbol('nothing')

function storageError(message: string, params?: Record<string, string | number>): never {
  throw new AppErrorException(appError('storage', message, params ? { params } : {}))
}

function invalid(message: string): never {
  throw new AppErrorException(appError('invalid_input', message))
}

/** A byte count as a safe integer ≥ 0, or an error naming `what`. */
export function toByteCount(v: number | bigint, what: string): number {
  if (typeof v === 'bigint') {
    if (v < 0n || v > BigInt(MAX)) {
      invalid(`${what} must be a whole number of bytes between 0 and 2^53 - 1 (got ${v}).`)
    }
    return Number(v)
  }
  if (!Number.isSafeInteger(v) || v < 0) {
    invalid(`${what} must be a whole number of bytes between 0 and 2^53 - 1 (got ${String(v)}).`)
  }
  return v
}

function add(a: Bytes | undefined, u: number, d: number, what: string): Bytes {
  const nu = (a?.u ?? 0) + u
  const nd = (a?.d ?? 0) + d
  if (nu > MAX || nd > MAX) invalid(`The total of ${what} would exceed 2^53 - 1 bytes.`)
  return { u: nu, d: nd }
}

function emptyState(now: Date): JournalState {
  return {
    version: 1,
    seq: 0,
    last: {},
    pending: {},
    unmatched: {},
    inflight: null,
    acked: {},
    updatedAt: now.toISOString(),
  }
}

// ---- validation of a loaded file (no schema library needed for this small shape) ----

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isUserIdKey = (k: string): boolean => /^[1-9][0-9]*$/.test(k) && Number.isSafeInteger(+k)
const isBytes = (v: unknown): boolean => isObj(v) && isCount(v.u) && isCount(v.d)

function validRecord(
  v: unknown,
  ok: (x: unknown) => boolean,
  key: (k: string) => boolean = () => true,
): boolean {
  return isObj(v) && Object.entries(v).every(([k, x]) => key(k) && ok(x))
}

/** Returns the reason a parsed file is not a journal, or null if it is one. */
function invalidReason(s: unknown): string | null {
  if (!isObj(s)) return 'not an object'
  if (s.version !== 1) return `unknown version ${String(s.version)}`
  if (!isCount(s.seq)) return 'bad seq'
  if (!validRecord(s.last, (x) => isObj(x) && isCount(x.up) && isCount(x.down))) return 'bad last'
  if (!validRecord(s.pending, isBytes, isUserIdKey)) return 'bad pending'
  if (!validRecord(s.unmatched, isBytes)) return 'bad unmatched'
  if (!validRecord(s.acked, isBytes, isUserIdKey)) return 'bad acked'
  if (typeof s.updatedAt !== 'string') return 'bad updatedAt'
  if (s.baselineAt !== undefined && s.baselineAt !== null && typeof s.baselineAt !== 'string') {
    return 'bad baselineAt'
  }
  const la = s.lastAck
  if (la !== undefined && la !== null) {
    if (!isObj(la) || !isCount(la.batchId) || typeof la.at !== 'string' || !isBytes(la)) {
      return 'bad lastAck'
    }
  }
  const b = s.inflight
  if (b !== null) {
    if (!isObj(b)) return 'bad inflight'
    if (!isCount(b.id) || b.id < 1 || b.id > s.seq) return 'bad inflight id'
    if (typeof b.createdAt !== 'string' || !isCount(b.attempts)) return 'bad inflight'
    if (b.outcome !== 'sending' && b.outcome !== 'unknown') return 'bad inflight outcome'
    if (
      !Array.isArray(b.items) ||
      b.items.length === 0 ||
      !b.items.every((it) => isBytes(it) && isObj(it) && isCount(it.userId) && it.userId > 0)
    ) {
      return 'bad inflight items'
    }
    const before = b.before
    if (before !== undefined && before !== null) {
      if (
        !isObj(before) ||
        typeof before.at !== 'string' ||
        !isCount(before.attempt) ||
        !validRecord(before.users, isBytes, isUserIdKey)
      ) {
        return 'bad inflight before'
      }
    }
    const att = b.attention
    if (att !== undefined && att !== null) {
      if (
        !isObj(att) ||
        typeof att.at !== 'string' ||
        typeof att.reason !== 'string' ||
        !Array.isArray(att.items) ||
        !att.items.every((it) => isObj(it) && isCount(it.userId))
      ) {
        return 'bad inflight attention'
      }
    }
  }
  return null
}

function clone<T>(v: T): T {
  return structuredClone(v)
}

/**
 * The journal of one bridge. Create with {@link BridgeJournal.open}. Mutations are serialized
 * (a call waits for the previous one) and each is persisted before its promise resolves.
 */
export class BridgeJournal {
  private state: JournalState
  private queue: Promise<unknown> = Promise.resolve()

  private constructor(
    readonly path: string,
    state: JournalState,
    private readonly now: () => Date,
    private readonly write: (path: string, data: string) => Promise<void>,
  ) {
    this.state = state
  }

  /**
   * Loads the journal at `path` (a new one if the file does not exist). A corrupt file is moved
   * aside to `<path>.corrupt-<time>` and a `storage` error is thrown.
   */
  static async open(path: string, opts: OpenOptions = {}): Promise<BridgeJournal> {
    const now = opts.now ?? (() => new Date())
    const write = opts.writeFile ?? ((p: string, d: string) => writeFileAtomic(p, d))
    const text = await readFileIfExists(path)
    if (text === null) {
      const j = new BridgeJournal(path, emptyState(now()), now, write)
      await j.persist(j.state)
      return j
    }
    let parsed: unknown
    let reason: string | null
    try {
      parsed = JSON.parse(text)
      reason = invalidReason(parsed)
    } catch {
      reason = 'not JSON'
    }
    if (reason !== null) {
      const aside = `${path}.corrupt-${now().toISOString().replace(/[:.]/g, '-')}`
      await rename(path, aside)
      storageError(
        `The traffic bridge journal ${path} is corrupt (${reason}); it was moved to ${aside}. ` +
          'The bridge will not start from zero on its own: restore the journal, or remove it to ' +
          'start over knowing that bytes may be reported twice or lost.',
        { path, movedTo: aside },
      )
    }
    const state = parsed as JournalState
    const j = new BridgeJournal(path, state, now, write)
    if (state.inflight?.outcome === 'sending' && opts.inflightNotSent !== true) {
      const next = clone(state)
      next.inflight!.outcome = 'unknown'
      await j.commit(next)
    }
    return j
  }

  /**
   * Reads the journal at `path` without taking it over (no write, no migration): the state as
   * persisted, or null when there is no journal. A corrupt file is left in place and a `storage`
   * error is thrown. For showing a bridge another process runs.
   */
  static async peek(path: string): Promise<JournalState | null> {
    const text = await readFileIfExists(path)
    if (text === null) return null
    let parsed: unknown
    let reason: string | null
    try {
      parsed = JSON.parse(text)
      reason = invalidReason(parsed)
    } catch {
      reason = 'not JSON'
    }
    if (reason !== null) {
      storageError(`The traffic bridge journal ${path} is corrupt (${reason}).`, { path })
    }
    return parsed as JournalState
  }

  /** A copy of the whole state (for the UI and tests). */
  snapshot(): JournalState {
    return clone(this.state)
  }

  /**
   * The current state itself, read-only and without a copy (for status views that read it after
   * every step: a copy of a 10,000-user journal costs ~30 ms). Safe because a committed state is
   * never changed: every mutation works on a copy and then replaces it.
   */
  view(): DeepReadonly<JournalState> {
    return this.state
  }

  /** A copy of the inflight batch, or null. */
  inflight(): InflightBatch | null {
    return this.state.inflight ? clone(this.state.inflight) : null
  }

  /**
   * True while the journal has recorded nothing: no reading, no baseline, no batch. Only then may
   * a bridge that starts "from now" take its baseline.
   */
  isFresh(): boolean {
    const s = this.state
    return (
      s.seq === 0 &&
      !s.baselineAt &&
      s.inflight === null &&
      Object.keys(s.last).length === 0 &&
      Object.keys(s.pending).length === 0 &&
      Object.keys(s.unmatched).length === 0 &&
      Object.keys(s.acked).length === 0
    )
  }

  /**
   * Starts a fresh journal from the source's current counters without reporting them: the bridge
   * reports only what the source counts from now on (its users' earlier traffic was reported by
   * something else, or is not to be billed). Refused on a journal that is not fresh: a baseline
   * there would drop journaled bytes. An empty reading is a baseline too (every user then counts
   * from zero).
   */
  recordBaseline(counters: ReadonlyMap<string, SourceCounter>): Promise<void> {
    return this.mutate((s) => {
      // Checked on the state the mutation runs on (an earlier queued mutation may have recorded).
      if (!this.isFresh()) {
        invalid('A baseline can only start a new journal; this one has already recorded traffic.')
      }
      for (const [name, c] of counters) {
        s.last[name] = {
          up: toByteCount(c.up, `The upload counter of ${name}`),
          down: toByteCount(c.down, `The download counter of ${name}`),
        }
      }
      s.baselineAt = this.now().toISOString()
    })
  }

  /** True when the inflight batch's fate on the panel is unknown: call `reconcile` first. */
  needsReconcile(): boolean {
    return this.state.inflight?.outcome === 'unknown'
  }

  /** Per-user totals the panel confirmed. */
  ackedTotals(): Map<number, Bytes> {
    return new Map(Object.entries(this.state.acked).map(([k, v]) => [Number(k), { ...v }]))
  }

  /**
   * Turns cumulative source counters into deltas and journals them: mapped users into `pending`,
   * the others into `unmatched` (moved to `pending` once the mapping knows them). Source users
   * absent from `counters` keep their last counter. Persisted before it resolves.
   */
  recordReading(
    counters: ReadonlyMap<string, SourceCounter>,
    mapping: ReadonlyMap<string, number>,
    opts: ReadingOptions = {},
  ): Promise<void> {
    const persisted = opts.backwards === 'persisted'
    return this.mutate((s) => {
      for (const [name, id] of mapping) {
        if (!Number.isSafeInteger(id) || id <= 0) {
          invalid(`The panel user id for ${name} must be a positive whole number (got ${id}).`)
        }
      }
      // Unmatched bytes of users the mapping now knows.
      for (const [name, bytes] of Object.entries(s.unmatched)) {
        const id = mapping.get(name)
        if (id === undefined) continue
        s.pending[id] = add(s.pending[id], bytes.u, bytes.d, `pending bytes of user ${id}`)
        delete s.unmatched[name]
      }
      for (const [name, c] of counters) {
        const up = toByteCount(c.up, `The upload counter of ${name}`)
        const down = toByteCount(c.down, `The download counter of ${name}`)
        const prev = s.last[name]
        // Each direction on its own: a counter that went backwards was reset.
        const du = prev === undefined ? up : delta(up, prev.up, persisted)
        const dd = prev === undefined ? down : delta(down, prev.down, persisted)
        s.last[name] = { up, down }
        if (du === 0 && dd === 0) continue
        const id = mapping.get(name)
        if (id === undefined) {
          s.unmatched[name] = add(s.unmatched[name], du, dd, `unmatched bytes of ${name}`)
        } else {
          s.pending[id] = add(s.pending[id], du, dd, `pending bytes of user ${id}`)
        }
      }
    })
  }

  /**
   * The batch to send now: the inflight one again (same id, same items) or a new one made of all
   * `pending` (only the users `include` accepts, when given: the others stay pending); null when
   * there is nothing to send. Counts an attempt (persisted) and clears `before` (this attempt is
   * not sent yet). Throws while the inflight batch needs reconciling.
   */
  async nextBatch(
    opts: { include?: (userId: number) => boolean } = {},
  ): Promise<InflightBatch | null> {
    const r = await this.mutate((s): InflightBatch | null | typeof NOTHING => {
      if (s.inflight === null) {
        const items: BatchItem[] = Object.entries(s.pending)
          .map(([k, v]) => ({ userId: Number(k), u: v.u, d: v.d }))
          .filter((it) => (it.u > 0 || it.d > 0) && (opts.include?.(it.userId) ?? true))
          .sort((a, b) => a.userId - b.userId)
        if (items.length === 0) return NOTHING
        s.seq += 1
        s.inflight = {
          id: s.seq,
          items,
          createdAt: this.now().toISOString(),
          attempts: 0,
          outcome: 'sending',
        }
        for (const it of items) delete s.pending[it.userId]
        // Zero entries are not kept.
        for (const [k, v] of Object.entries(s.pending))
          if (v.u === 0 && v.d === 0) delete s.pending[k]
      }
      if (s.inflight.outcome === 'unknown') {
        invalid(
          `Batch ${s.inflight.id} may already have been counted by the panel: ` +
            'reconcile it against the panel totals before sending anything.',
        )
      }
      s.inflight.attempts += 1
      s.inflight.before = null
      s.inflight.attention = null
      return clone(s.inflight)
    })
    return r === NOTHING ? null : r
  }

  /**
   * Records, right before sending batch `batchId`, the panel's counters of its users (every user
   * of the batch must be in `before`). Persisted before it resolves: from then on, the current
   * attempt counts as sent.
   */
  armSend(batchId: number, before: ReadonlyMap<number, Bytes>): Promise<void> {
    return this.mutate((s) => {
      const b = this.requireInflight(s, batchId, 'arm')
      if (b.outcome !== 'sending') {
        invalid(`Batch ${batchId} may already have been counted: reconcile it before sending.`)
      }
      const users: Record<string, Bytes> = {}
      for (const it of b.items) {
        const v = before.get(it.userId)
        if (v === undefined) invalid(`The panel counters of user ${it.userId} are missing.`)
        users[it.userId] = {
          u: toByteCount(v.u, `The panel's upload counter of user ${it.userId}`),
          d: toByteCount(v.d, `The panel's download counter of user ${it.userId}`),
        }
      }
      b.before = { at: this.now().toISOString(), attempt: b.attempts, users }
    })
  }

  /**
   * Settles batch `batchId` item by item: the items of `appliedUserIds` move into `acked`, the
   * others back into `pending`; the batch is done. `[]` = nothing of it reached the panel.
   */
  settle(batchId: number, appliedUserIds: readonly number[]): Promise<void> {
    return this.mutate((s) => {
      const b = this.requireInflight(s, batchId, 'settle')
      const applied = new Set(appliedUserIds)
      for (const id of applied) {
        if (!b.items.some((it) => it.userId === id)) {
          invalid(`User ${id} is not part of batch ${batchId}.`)
        }
      }
      const ackedItems = b.items.filter((it) => applied.has(it.userId))
      if (ackedItems.length > 0) s.lastAck = this.lastAckOf(batchId, ackedItems)
      for (const it of b.items) {
        if (applied.has(it.userId)) {
          s.acked[it.userId] = add(
            s.acked[it.userId],
            it.u,
            it.d,
            `acked bytes of user ${it.userId}`,
          )
        } else {
          s.pending[it.userId] = add(
            s.pending[it.userId],
            it.u,
            it.d,
            `pending bytes of user ${it.userId}`,
          )
        }
      }
      s.inflight = null
    })
  }

  /** Batch `batchId` (outcome unknown) waits for an admin's decision; see {@link BatchAttention}. */
  markAttention(batchId: number, attention: Omit<BatchAttention, 'at'>): Promise<void> {
    return this.mutate((s) => {
      const b = this.requireInflight(s, batchId, 'flag')
      if (b.outcome !== 'unknown') invalid(`Batch ${batchId} is not waiting for a decision.`)
      b.attention = { at: this.now().toISOString(), ...clone(attention) }
    })
  }

  /** The panel accepted batch `batchId`: its items move into `acked`. */
  ack(batchId: number): Promise<void> {
    return this.mutate((s) => {
      const b = this.requireInflight(s, batchId, 'ack')
      for (const it of b.items) {
        s.acked[it.userId] = add(s.acked[it.userId], it.u, it.d, `acked bytes of user ${it.userId}`)
      }
      s.lastAck = this.lastAckOf(batchId, b.items)
      s.inflight = null
    })
  }

  /**
   * Sending batch `batchId` failed. `'no'` (the panel did not record it): it stays inflight and is
   * resent as-is. `'unknown'` (it may have been recorded): it must be reconciled first.
   */
  fail(batchId: number, applied: 'no' | 'unknown'): Promise<void> {
    return this.mutate((s) => {
      const b = this.requireInflight(s, batchId, 'fail')
      if (applied === 'unknown') b.outcome = 'unknown'
      else if (applied === 'no') b.before = null
      else invalid(`Unknown report outcome ${String(applied)}.`)
    })
  }

  /**
   * Settles a batch whose outcome was unknown, from the panel's totals: applied → ack; not
   * applied → it goes back to `'sending'` and `nextBatch()` resends it as-is.
   */
  reconcile(batchId: number, appliedOnPanel: boolean): Promise<void> {
    if (appliedOnPanel) return this.ack(batchId)
    return this.mutate((s) => {
      const b = this.requireInflight(s, batchId, 'reconcile')
      b.outcome = 'sending'
      b.before = null
      b.attention = null
    })
  }

  private lastAckOf(batchId: number, items: readonly BatchItem[]): LastAck {
    return {
      batchId,
      at: this.now().toISOString(),
      users: items.length,
      u: items.reduce((a, it) => a + it.u, 0),
      d: items.reduce((a, it) => a + it.d, 0),
    }
  }

  private requireInflight(s: JournalState, batchId: number, what: string): InflightBatch {
    if (s.inflight === null || s.inflight.id !== batchId) {
      const cur = s.inflight ? `batch ${s.inflight.id}` : 'no batch'
      invalid(`Cannot ${what} batch ${batchId}: ${cur} is in flight.`)
    }
    return s.inflight
  }

  /**
   * Runs `fn` on a copy of the state, persists the copy, then adopts it (nothing is written when
   * `fn` returns {@link NOTHING}). Serialized.
   */
  private mutate<T>(fn: (s: JournalState) => T): Promise<T> {
    const run = async (): Promise<T> => {
      const next = clone(this.state)
      const result = fn(next)
      if (result === NOTHING) return result
      await this.commit(next)
      return result
    }
    const p = this.queue.then(run, run)
    this.queue = p.catch(() => undefined)
    return p
  }

  private async commit(next: JournalState): Promise<void> {
    next.updatedAt = this.now().toISOString()
    await this.persist(next)
    this.state = next
  }

  private persist(s: JournalState): Promise<void> {
    // Compact: the file is rewritten several times per report (a pretty one is ~40 % larger).
    return this.write(this.path, JSON.stringify(s) + '\n')
  }
}
