import { describe, it, expect } from 'vitest'
import { parseStreamTable, seedEntryToSession, streamToSession } from './map'
import { StreamEntrySchema } from './schema'

/**
 * One line as upstream prints it (extras/trafficlogger/http.go, formatDumpStreamLine):
 * "%-8s %-12s %12s %8s %12s %12s %12s %12s %-16s %s" over
 * state, auth, connection, stream, tx, rx, lifetime, lastActive, reqAddr, hookedReqAddr.
 */
function goLine(c: {
  state: string
  auth: string
  conn: string
  stream: string
  tx: string
  rx: string
  life: string
  last: string
  req: string
  hooked: string
}): string {
  return [
    c.state.padEnd(8),
    c.auth.padEnd(12),
    c.conn.padStart(12),
    c.stream.padStart(8),
    c.tx.padStart(12),
    c.rx.padStart(12),
    c.life.padStart(12),
    c.last.padStart(12),
    c.req.padEnd(16),
    c.hooked,
  ].join(' ')
}

const HEADER = goLine({
  state: 'State',
  auth: 'Auth',
  conn: 'Connection',
  stream: 'Stream',
  tx: 'TX-Bytes',
  rx: 'RX-Bytes',
  life: 'Lifetime',
  last: 'Last-Active',
  req: 'Req-Addr',
  hooked: 'Hooked-Req-Addr',
})

describe('parseStreamTable', () => {
  it('parses the upstream text table', () => {
    const text =
      [
        HEADER,
        goLine({
          state: 'ESTAB',
          auth: 'alice',
          conn: '0A1B2C3D',
          stream: '4',
          tx: '1024',
          rx: '2048',
          life: '1m2.5s',
          last: '350ms',
          req: 'example.com:443',
          hooked: '-',
        }),
        goLine({
          state: 'CONNECT',
          auth: 'bob',
          conn: '00000001',
          stream: '0',
          tx: '0',
          rx: '0',
          life: '12ms',
          last: '12ms',
          req: '[2001:db8::1]:80',
          hooked: 'sniffed.example:80',
        }),
      ].join('\n') + '\n'
    expect(parseStreamTable(text)).toEqual([
      {
        id: '0A1B2C3D:4',
        user: 'alice',
        state: 'estab',
        connection: '0A1B2C3D',
        stream: '4',
        target: 'example.com:443',
        hookedTarget: null,
        remote: null,
        up: 1024,
        down: 2048,
        startedAt: null,
        lastActiveAt: null,
        protocol: 'tcp',
        connections: null,
      },
      {
        id: '00000001:0',
        user: 'bob',
        state: 'connect',
        connection: '00000001',
        stream: '0',
        target: '[2001:db8::1]:80',
        hookedTarget: 'sniffed.example:80',
        remote: null,
        up: 0,
        down: 0,
        startedAt: null,
        lastActiveAt: null,
        protocol: 'tcp',
        connections: null,
      },
    ])
  })

  it('keeps an auth id with spaces whole', () => {
    const text = [
      HEADER,
      goLine({
        state: 'ESTAB',
        auth: 'John Smith Jr',
        conn: 'DEADBEEF',
        stream: '8',
        tx: '5',
        rx: '6',
        life: '1h0m0s',
        last: '2s',
        req: 'a.b:1',
        hooked: '-',
      }),
    ].join('\n')
    const rows = parseStreamTable(text)
    expect(rows?.[0]).toMatchObject({
      user: 'John Smith Jr',
      connection: 'DEADBEEF',
      stream: '8',
      up: 5,
      down: 6,
    })
  })

  it("maps '-' addresses: empty request address → '', no hooked address → null", () => {
    const text = [
      HEADER,
      goLine({
        state: 'INIT',
        auth: 'u',
        conn: '00000002',
        stream: '12',
        tx: '0',
        rx: '0',
        life: '1ms',
        last: '1ms',
        req: '-',
        hooked: '-',
      }),
    ].join('\n')
    expect(parseStreamTable(text)?.[0]).toMatchObject({
      target: '',
      hookedTarget: null,
      state: 'init',
    })
  })

  it('reads the connection as hex and normalizes it to 8 upper-case digits', () => {
    const text = [HEADER, 'ESTAB    u            abc 4 1 2 1s 1s x:1 -'].join('\n')
    expect(parseStreamTable(text)?.[0]).toMatchObject({ connection: '00000ABC', id: '00000ABC:4' })
    // Same id as the JSON form, where the connection is decimal (apis.md §1 gotcha 4).
    const fromJson = streamToSession(
      StreamEntrySchema.parse({
        state: 'estab',
        auth: 'u',
        connection: 0xabc,
        stream: 4,
        req_addr: 'x:1',
        tx: 1,
        rx: 2,
      }),
    )
    expect(fromJson.id).toBe('00000ABC:4')
  })

  it('accepts CRLF line ends, blank lines and a header-only table', () => {
    expect(parseStreamTable(`${HEADER}\r\n\r\n`)).toEqual([])
    const text = `${HEADER}\r\nESTAB u 00000001 0 1 2 1s 1s x:1 -\r\n`
    expect(parseStreamTable(text)).toHaveLength(1)
  })

  it('detects the header case-insensitively and rejects text that is not the table', () => {
    expect(parseStreamTable('state auth connection stream tx rx\n')).toEqual([])
    expect(parseStreamTable('')).toBeNull()
    expect(parseStreamTable('<html>404 page not found</html>')).toBeNull()
    expect(parseStreamTable('{"streams":[]}')).toBeNull()
    expect(parseStreamTable('Auth State Connection Stream\n')).toBeNull()
  })

  it('rejects malformed rows rather than inventing figures', () => {
    const bad = [
      'ESTAB u 00000001 0 1 2 1s 1s x:1', // a column short
      'ESTAB u XYZ 0 1 2 1s 1s x:1 -', // connection not hex
      'ESTAB u 00000001 a 1 2 1s 1s x:1 -', // stream not a number
      'ESTAB u 00000001 0 -1 2 1s 1s x:1 -', // negative counter
      'ESTAB u 00000001 0 1 2.5 1s 1s x:1 -', // fractional counter
      'ESTAB u 123456789 0 1 2 1s 1s x:1 -', // more than 8 hex digits
    ]
    for (const line of bad) expect(parseStreamTable(`${HEADER}\n${line}`), line).toBeNull()
  })
})

describe('streamToSession', () => {
  it('maps an upstream entry: tx = client upload, rx = client download', () => {
    const entry = StreamEntrySchema.parse({
      state: 'estab',
      auth: 'alice',
      connection: 3735928559,
      stream: 8,
      req_addr: 'example.com:443',
      hooked_req_addr: 'real.example.com:443',
      tx: 100,
      rx: 2000,
      initial_at: '2026-01-02T03:04:05.123456789+08:00',
      last_active_at: '2026-01-02T03:05:00.5+08:00',
    })
    expect(streamToSession(entry)).toEqual({
      id: 'DEADBEEF:8',
      user: 'alice',
      state: 'estab',
      connection: 'DEADBEEF',
      stream: '8',
      target: 'example.com:443',
      hookedTarget: 'real.example.com:443',
      remote: null,
      up: 100,
      down: 2000,
      startedAt: '2026-01-02T03:04:05.123456789+08:00',
      lastActiveAt: '2026-01-02T03:05:00.5+08:00',
      protocol: 'tcp',
      connections: null,
    })
  })

  it('maps an empty hooked address to null and pads small connection ids', () => {
    const entry = StreamEntrySchema.parse({
      state: 'init',
      auth: 'u',
      connection: 1,
      stream: 0,
      req_addr: '',
      tx: 0,
      rx: 0,
    })
    expect(streamToSession(entry)).toMatchObject({
      id: '00000001:0',
      connection: '00000001',
      hookedTarget: null,
      target: '',
      startedAt: null,
      lastActiveAt: null,
      protocol: 'tcp',
      connections: null,
    })
  })
})

describe('seedEntryToSession', () => {
  it("maps the seed doc's keyed entry (tx = client upload)", () => {
    expect(
      seedEntryToSession('conn-7', {
        user: 'bob',
        remote: '198.51.100.7:50000',
        target: 'x.y:443',
        tx: 10,
        rx: 20,
      }),
    ).toEqual({
      id: 'conn-7',
      user: 'bob',
      state: 'estab',
      connection: 'conn-7',
      stream: null,
      target: 'x.y:443',
      hookedTarget: null,
      remote: '198.51.100.7:50000',
      up: 10,
      down: 20,
      startedAt: null,
      lastActiveAt: null,
      protocol: 'tcp',
      connections: null,
    })
  })

  it('maps an empty remote to null (unknown), not an empty address', () => {
    expect(
      seedEntryToSession('c', { user: 'u', remote: '', target: '', tx: 0, rx: 0 }).remote,
    ).toBeNull()
  })
})
