import type { SessionRow } from '../../../../shared/contract'
import type { StreamEntryWire } from './schema'

/** Upstream stream entry → session row (tx = client upload, rx = client download). */
export function streamToSession(s: StreamEntryWire): SessionRow {
  const conn = s.connection.toString(16).toUpperCase().padStart(8, '0')
  return {
    id: `${conn}:${s.stream}`,
    user: s.auth,
    state: s.state,
    connection: conn,
    stream: String(s.stream),
    target: s.req_addr,
    hookedTarget: s.hooked_req_addr === '' ? null : s.hooked_req_addr,
    remote: null,
    up: s.tx,
    down: s.rx,
    startedAt: s.initial_at,
    lastActiveAt: s.last_active_at,
    // /dump/streams lists TCP proxy streams only (apis.md §1).
    protocol: 'tcp',
    connections: null,
  }
}

/** Seed-doc entry `{user, remote, target, tx, rx}` keyed by connection id → session row. */
export function seedEntryToSession(
  id: string,
  e: { user: string; remote: string; target: string; tx: number; rx: number },
): SessionRow {
  return {
    id,
    user: e.user,
    state: 'estab',
    connection: id,
    stream: null,
    target: e.target,
    hookedTarget: null,
    remote: e.remote === '' ? null : e.remote,
    up: e.tx,
    down: e.rx,
    startedAt: null,
    lastActiveAt: null,
    // The seed doc calls these TCP streams too (000_*: "获取 TCP 流详情").
    protocol: 'tcp',
    connections: null,
  }
}

/**
 * Parses the text table of `/dump/streams` (`Accept: text/plain`): a header line, then one line
 * per stream with the columns State Auth Connection Stream TX-Bytes RX-Bytes Lifetime Last-Active
 * Req-Addr Hooked-Req-Addr. State is upper-cased, the connection 8 hex digits, durations Go
 * strings, an empty address `-`. An auth id with spaces is kept whole (it is everything between
 * the state and the last eight columns). Returns null when the text is not such a table.
 */
export function parseStreamTable(text: string): SessionRow[] | null {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '')
  const header = lines[0]
  if (!header || !/^\s*State\s+Auth\s+Connection\s+Stream\b/i.test(header)) return null
  const rows: SessionRow[] = []
  for (const line of lines.slice(1)) {
    const t = line.trim().split(/\s+/)
    if (t.length < 10) return null
    const n = t.length
    const state = t[0] as string
    const auth = t.slice(1, n - 8).join(' ')
    const [conn, stream, tx, rx, , , req, hooked] = t.slice(n - 8) as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ]
    if (
      !/^[0-9A-Fa-f]{1,8}$/.test(conn) ||
      !/^\d+$/.test(stream) ||
      !/^\d+$/.test(tx) ||
      !/^\d+$/.test(rx)
    ) {
      return null
    }
    const connection = conn.toUpperCase().padStart(8, '0')
    rows.push({
      id: `${connection}:${stream}`,
      user: auth,
      state: state.toLowerCase(),
      connection,
      stream,
      target: req === '-' ? '' : req,
      hookedTarget: hooked === '-' ? null : hooked,
      remote: null,
      up: Number(tx),
      down: Number(rx),
      startedAt: null,
      lastActiveAt: null,
      protocol: 'tcp',
      connections: null,
    })
  }
  return rows
}
