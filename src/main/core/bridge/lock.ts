import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { dirname } from 'node:path'
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { AppErrorException, appError } from '../../../shared/contract'

/**
 * One runner per bridge journal across processes: an exclusive lock file next to the journal,
 * created with O_EXCL, holding the owner's pid. The NodeDeck app and a `nodedeck bridge run` on
 * the same data dir therefore never both report the same bridge.
 *
 * - Stale locks (the owner died without removing it: SIGKILL, power loss) are detected with
 *   `process.kill(pid, 0)` (ESRCH = gone) and broken. A lock naming this very process but not
 *   held by it (the pid came back after a restart, as in containers) is stale too.
 * - Breaking a stale lock renames it aside first and checks that the renamed file is the stale one
 *   (two processes breaking the same stale lock at once cannot both win, nor remove a fresh lock).
 * - A lock from another host (a data dir on a network share) cannot be checked and is respected.
 * - A lock file being written right now (empty or partial, younger than {@link YOUNG_MS}) is
 *   respected; an older unreadable one is stale.
 */

/** What a lock file holds. */
export interface LockInfo {
  pid: number
  /** Who holds it, for messages: `NodeDeck (electron)`, `nodedeck bridge run`. */
  owner: string
  host: string
  /** Epoch ms. */
  startedAt: number
  /** Random, to tell this acquisition from any other. */
  nonce: string
}

/** A held lock. */
export interface HeldLock {
  readonly path: string
  readonly info: LockInfo
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>
}

/** Locks this process holds (by path): a lock naming our pid that is not here is stale. */
const held = new Set<string>()
/** A lock file younger than this that cannot be read yet is being written by its owner. */
const YOUNG_MS = 10_000

function parse(text: string): LockInfo | null {
  try {
    const v = JSON.parse(text) as Partial<LockInfo> | null
    if (v && typeof v.pid === 'number' && typeof v.nonce === 'string') {
      return {
        pid: v.pid,
        owner: typeof v.owner === 'string' ? v.owner : 'another NodeDeck process',
        host: typeof v.host === 'string' ? v.host : '',
        startedAt: typeof v.startedAt === 'number' ? v.startedAt : 0,
        nonce: v.nonce,
      }
    }
  } catch {
    // Unreadable: decided by age below.
  }
  return null
}

/** Whether the process `pid` exists (EPERM: it exists, owned by another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Whether a lock (as read) belongs to a live owner. */
function isLive(path: string, info: LockInfo | null, mtimeMs: number): boolean {
  if (info === null) return Date.now() - mtimeMs < YOUNG_MS
  if (info.host !== '' && info.host !== hostname()) return true
  if (info.pid === process.pid) return held.has(path)
  return alive(info.pid)
}

function heldError(path: string, what: string, info: LockInfo | null): AppErrorException {
  const who = info
    ? `${info.owner} (process ${info.pid}${info.host && info.host !== hostname() ? ` on ${info.host}` : ''}, since ${new Date(info.startedAt).toISOString()})`
    : 'another process (its lock file is being written)'
  return new AppErrorException(
    appError(
      'invalid_input',
      `${what} is already running in ${who}: only one process may report a bridge, or bytes would be counted twice. Stop it there (Ctrl+C, or disable the bridge in the app) and try again. If that process is not NodeDeck, delete ${path}.`,
      {
        retryable: true,
        params: { lock: path, pid: info?.pid ?? null, owner: info?.owner ?? null },
      },
    ),
  )
}

async function readLock(path: string): Promise<{ info: LockInfo | null; mtimeMs: number } | null> {
  try {
    const [text, st] = await Promise.all([readFile(path, 'utf8'), stat(path)])
    return { info: parse(text), mtimeMs: st.mtimeMs }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

/** Renames a stale lock aside, checks it is the one judged stale, and removes it. */
async function breakStale(path: string, seen: { info: LockInfo | null }): Promise<void> {
  const aside = `${path}.stale-${randomBytes(6).toString('hex')}`
  try {
    await rename(path, aside)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return // someone else broke it
    throw err
  }
  const moved = await readLock(aside)
  const same =
    moved !== null &&
    (moved.info === null ? seen.info === null : moved.info.nonce === seen.info?.nonce)
  if (!same) {
    // We took a fresh lock another process had just created: put it back (never over a newer one).
    await link(aside, path).catch(() => undefined)
  }
  await unlink(aside).catch(() => undefined)
}

/**
 * Takes the lock at `path` for `what` (e.g. `Bridge "hy → panel #3"`), or throws an
 * `invalid_input` AppError naming the process that holds it.
 */
export async function acquireLock(path: string, what: string, owner: string): Promise<HeldLock> {
  await mkdir(dirname(path), { recursive: true })
  const info: LockInfo = {
    pid: process.pid,
    owner,
    host: hostname(),
    startedAt: Date.now(),
    nonce: randomBytes(8).toString('hex'),
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx', 0o600)
      try {
        await fh.writeFile(JSON.stringify(info) + '\n', 'utf8')
        await fh.sync()
      } finally {
        await fh.close()
      }
      held.add(path)
      let released = false
      return {
        path,
        info,
        async release() {
          if (released) return
          released = true
          held.delete(path)
          const cur = await readLock(path).catch(() => null)
          if (cur?.info?.nonce === info.nonce) await unlink(path).catch(() => undefined)
        },
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    }
    const cur = await readLock(path)
    if (cur === null) continue // released meanwhile
    if (isLive(path, cur.info, cur.mtimeMs)) throw heldError(path, what, cur.info)
    await breakStale(path, cur)
  }
  const cur = await readLock(path).catch(() => null)
  throw heldError(path, what, cur?.info ?? null)
}

/** Who holds the lock at `path` now, if a live process does (for showing a bridge). */
export async function lockHolder(path: string): Promise<LockInfo | null> {
  const cur = await readLock(path).catch(() => null)
  if (cur === null || cur.info === null) return null
  return isLive(path, cur.info, cur.mtimeMs) ? cur.info : null
}
