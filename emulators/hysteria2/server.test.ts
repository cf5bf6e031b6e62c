import { afterEach, describe, expect, it } from 'vitest'
import { connect as netConnect } from 'node:net'
import { request as httpRequest } from 'node:http'
import {
  DUMP_TABLE_HEADER,
  formatDumpStreamLine,
  goDuration,
  goDurationRound,
  goRfc3339Nano,
  startHysteria2Emulator,
  type Hysteria2Emulator,
  type Hysteria2EmulatorOptions,
} from './server'
import {
  goDecodeStringArray,
  goDecodeUtf8,
  goJsonString,
  goQuoteChar,
  goReadJsonValue,
} from '../common/http-util'

const running: Hysteria2Emulator[] = []

async function start(opts: Hysteria2EmulatorOptions = {}): Promise<Hysteria2Emulator> {
  const emu = await startHysteria2Emulator(opts)
  running.push(emu)
  return emu
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()))
})

interface RawResponse {
  statusLine: string
  status: number
  headers: Record<string, string[]>
  body: string
}

/** Sends raw bytes (include `Connection: close`), returns the parsed response once the server closes. */
function raw(port: number, data: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const sock = netConnect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    sock.on('data', (c: Buffer) => chunks.push(c))
    sock.on('error', reject)
    sock.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1')
      const split = text.indexOf('\r\n\r\n')
      const head = split < 0 ? text : text.slice(0, split)
      let body = split < 0 ? '' : text.slice(split + 4)
      const [statusLine = '', ...lines] = head.split('\r\n')
      const headers: Record<string, string[]> = {}
      for (const l of lines) {
        const i = l.indexOf(':')
        const k = l.slice(0, i).toLowerCase()
        ;(headers[k] ??= []).push(l.slice(i + 1).trim())
      }
      if (headers['transfer-encoding']?.[0] === 'chunked') {
        let out = ''
        let rest = body
        for (;;) {
          const nl = rest.indexOf('\r\n')
          const n = parseInt(rest.slice(0, nl), 16)
          if (!n) break
          out += rest.slice(nl + 2, nl + 2 + n)
          rest = rest.slice(nl + 2 + n + 2)
        }
        body = out
      }
      resolve({ statusLine, status: Number(statusLine.split(' ')[1]), headers, body })
    })
    sock.write(data)
  })
}

function get(
  emu: Hysteria2Emulator,
  path: string,
  headers: Record<string, string> = {},
  init: RequestInit = {},
): Promise<Response> {
  return fetch(emu.url + path, { ...init, headers })
}

function nodeGet(
  emu: Hysteria2Emulator,
  path: string,
): Promise<{ headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(emu.url + path, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('auth (checked before routing)', () => {
  it('401 unauthorized\\n as Go http.Error, for known and unknown routes and wrong methods', async () => {
    const emu = await start({ secret: 's3cret' })
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/traffic'],
      ['GET', '/no/such/path'],
      ['POST', '/traffic'],
      ['POST', '/kick'],
      ['DELETE', '/online'],
    ] as const) {
      const res = await fetch(emu.url + path, { method })
      expect(res.status, `${method} ${path}`).toBe(401)
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await res.text()).toBe('unauthorized\n')
    }
    // The raw secret is the whole header value.
    expect((await get(emu, '/no/such/path', { authorization: 's3cret' })).status).toBe(404)
  })

  it('refuses schemes and near misses; only the exact raw secret passes', async () => {
    const emu = await start({ secret: 's3cret' })
    for (const bad of ['Bearer s3cret', 'Basic s3cret', 'S3CRET', 's3cret2', 's3cre']) {
      expect((await get(emu, '/traffic', { authorization: bad })).status, bad).toBe(401)
    }
    expect((await get(emu, '/traffic', { authorization: 's3cret' })).status).toBe(200)
    // Surrounding whitespace is not part of a header value (Go and Node both trim it).
    const r = await raw(
      emu.port,
      'GET /traffic HTTP/1.1\r\nHost: x\r\nAuthorization:   s3cret  \r\nConnection: close\r\n\r\n',
    )
    expect(r.status).toBe(200)
  })

  it('compares bytes: a UTF-8 secret matches its UTF-8 bytes', async () => {
    const emu = await start({ secret: '密码zx@520' })
    const req = Buffer.concat([
      Buffer.from('GET /online HTTP/1.1\r\nHost: x\r\nAuthorization: '),
      Buffer.from('密码zx@520', 'utf8'),
      Buffer.from('\r\nConnection: close\r\n\r\n'),
    ])
    expect((await raw(emu.port, req)).status).toBe(200)
  })

  it('uses the first Authorization header only', async () => {
    const emu = await start({ secret: 's3cret' })
    const r = await raw(
      emu.port,
      'GET /online HTTP/1.1\r\nHost: x\r\nAuthorization: nope\r\nAuthorization: s3cret\r\nConnection: close\r\n\r\n',
    )
    expect(r.status).toBe(401)
  })

  it('empty secret: no auth at all, whatever the header says', async () => {
    const emu = await start()
    expect((await get(emu, '/traffic')).status).toBe(200)
    expect((await get(emu, '/traffic', { authorization: 'Bearer anything' })).status).toBe(200)
  })

  it('setSecret applies to the next request', async () => {
    const emu = await start()
    emu.setSecret('new')
    expect((await get(emu, '/online')).status).toBe(401)
    expect((await get(emu, '/online', { authorization: 'new' })).status).toBe(200)
    emu.setSecret('')
    expect((await get(emu, '/online')).status).toBe(200)
  })
})

describe('routing', () => {
  it('GET / serves the banner page', async () => {
    const emu = await start()
    const res = await get(emu, '/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(await res.text()).toContain('This is a Hysteria Traffic Stats API server.')
  })

  it('404 page not found (never 405) for wrong methods, trailing slashes, unknown paths', async () => {
    const emu = await start({ secret: 'k' })
    const cases: Array<[string, string]> = [
      ['POST', '/traffic'],
      ['PUT', '/kick'],
      ['GET', '/kick'],
      ['DELETE', '/online'],
      ['POST', '/dump/streams'],
      ['POST', '/'],
      ['GET', '/traffic/'],
      ['GET', '/online/'],
      ['GET', '//traffic'],
      ['GET', '/TRAFFIC'],
      ['GET', '/dump'],
      ['GET', '/dump/streams/'],
      ['GET', '/index.html'],
    ]
    for (const [method, path] of cases) {
      const res = await fetch(emu.url + path, { method, headers: { authorization: 'k' } })
      expect(res.status, `${method} ${path}`).toBe(404)
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(res.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await res.text()).toBe('404 page not found\n')
    }
  })

  it('no path cleaning: dot segments do not route (raw, fetch would normalize them)', async () => {
    const emu = await start()
    for (const path of ['/./traffic', '/x/../traffic']) {
      const r = await raw(emu.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
      expect(r.status, path).toBe(404)
      expect(r.body).toBe('404 page not found\n')
    }
  })

  it('HEAD is not GET: 404 with the length of the error body', async () => {
    const emu = await start()
    for (const path of ['/online', '/traffic', '/', '/dump/streams']) {
      const res = await fetch(emu.url + path, { method: 'HEAD' })
      expect(res.status, path).toBe(404)
      expect(res.headers.get('content-length')).toBe('19')
    }
  })

  it('routes on the percent-decoded path, like Go URL.Path', async () => {
    const emu = await start()
    expect((await get(emu, '/%74raffic')).status).toBe(200)
    expect((await get(emu, '/traffic%2F')).status).toBe(404)
    expect((await get(emu, '/traffic?')).status).toBe(200)
  })

  it('a bad % escape is a raw 400 from the Go server, before auth', async () => {
    const emu = await start({ secret: 'k' })
    const r = await raw(emu.port, 'GET /traffic%zz HTTP/1.1\r\nHost: x\r\n\r\n')
    expect(r.statusLine).toBe('HTTP/1.1 400 Bad Request')
    expect(r.headers['content-type']).toEqual(['text/plain; charset=utf-8'])
    expect(r.headers['connection']).toEqual(['close'])
    expect(r.body).toBe('400 Bad Request')
  })

  it('absolute-form request targets route on their path', async () => {
    const emu = await start()
    const r = await raw(
      emu.port,
      'GET http://example.com/online HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n',
    )
    expect(r.status).toBe(200)
    expect(r.body).toBe('{}')
  })

  it('OPTIONS * is answered by the Go server itself: 200, no auth', async () => {
    const emu = await start({ secret: 'k' })
    const r = await raw(emu.port, 'OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(r.status).toBe(200)
    expect(r.headers['content-length']).toEqual(['0'])
    const r2 = await raw(
      emu.port,
      'OPTIONS /traffic HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    )
    expect(r2.status).toBe(401)
  })
})

describe('GET /traffic', () => {
  it('{} when empty, JSON content type, no trailing newline, Content-Length', async () => {
    const emu = await start()
    const res = await get(emu, '/traffic')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(res.headers.get('content-length')).toBe('2')
    expect(await res.text()).toBe('{}')
  })

  it('tx = client upload, rx = client download; keys in Go byte order; HTML-safe escaping', async () => {
    const emu = await start()
    for (const id of ['bob', 'alice', 'Zed', 'a<b>&c', 'émile', '😀']) {
      const c = emu.connect(id)
      emu.moveTraffic(c, 10, 2000)
    }
    const text = await (await get(emu, '/traffic')).text()
    expect(text).toBe(
      '{"Zed":{"tx":10,"rx":2000},"a\\u003cb\\u003e\\u0026c":{"tx":10,"rx":2000},' +
        '"alice":{"tx":10,"rx":2000},"bob":{"tx":10,"rx":2000},' +
        '"émile":{"tx":10,"rx":2000},"😀":{"tx":10,"rx":2000}}',
    )
  })

  it('only IDs that moved data have entries; they persist after going offline', async () => {
    const emu = await start()
    const a = emu.connect('alice')
    emu.connect('idle')
    emu.moveTraffic(a, 0, 0) // a zero read is no chunk
    expect(await (await get(emu, '/traffic')).json()).toEqual({})
    const s = emu.openStream(a, 'www.google.com:443')
    emu.moveTraffic(a, 100, 0, s)
    emu.moveTraffic(a, 0, 5000, s)
    emu.moveTraffic(a, 60, 90) // UDP
    emu.disconnect(a)
    expect(await (await get(emu, '/traffic')).json()).toEqual({ alice: { tx: 160, rx: 5090 } })
    expect(emu.traffic()).toEqual({ alice: { tx: 160, rx: 5090 } })
  })

  it('clear follows strconv.ParseBool; parse errors silently mean no clear', async () => {
    const emu = await start()
    const c = emu.connect('u')
    const cases: Array<[string, boolean]> = [
      ['clear=1', true],
      ['clear=t', true],
      ['clear=T', true],
      ['clear=TRUE', true],
      ['clear=true', true],
      ['clear=True', true],
      ['clear=%31', true],
      ['cl%65ar=1', true],
      ['clear=1&clear=0', true],
      ['x=1&clear=true', true],
      ['clear=0', false],
      ['clear=f', false],
      ['clear=false', false],
      ['clear=False', false],
      ['clear=FALSE', false],
      ['clear=yes', false],
      ['clear=on', false],
      ['clear=tRUE', false],
      ['clear=', false],
      ['clear', false],
      ['clear=+1', false],
      ['clear=1%', false],
      ['clear=1;x=2', false],
      ['clear=0&clear=1', false],
      ['Clear=1', false],
      ['', false],
    ]
    for (const [query, clears] of cases) {
      emu.restart()
      const c2 = emu.connect('u')
      emu.moveTraffic(c2, 1, 1)
      const res = await get(emu, `/traffic?${query}`)
      expect(await res.json(), query).toEqual({ u: { tx: 1, rx: 1 } })
      expect(emu.traffic(), query).toEqual(clears ? {} : { u: { tx: 1, rx: 1 } })
    }
    expect(c).toBeTypeOf('number')
  })

  it('clear is atomic: every byte is reported exactly once', async () => {
    const emu = await start()
    const c = emu.connect('u')
    let moved = 0
    const mover = setInterval(() => {
      for (let i = 0; i < 50; i++) {
        emu.moveTraffic(c, 3, 7)
        moved += 1
      }
    }, 0)
    let seenTx = 0
    let seenRx = 0
    try {
      for (let i = 0; i < 40; i++) {
        const body = (await (await get(emu, '/traffic?clear=1')).json()) as Record<
          string,
          { tx: number; rx: number }
        >
        seenTx += body['u']?.tx ?? 0
        seenRx += body['u']?.rx ?? 0
      }
    } finally {
      clearInterval(mover)
    }
    const last = (await (await get(emu, '/traffic?clear=1')).json()) as Record<
      string,
      { tx: number; rx: number }
    >
    seenTx += last['u']?.tx ?? 0
    seenRx += last['u']?.rx ?? 0
    expect(moved).toBeGreaterThan(0)
    expect(seenTx).toBe(moved * 3)
    expect(seenRx).toBe(moved * 7)
  })

  it('counters are exact uint64 on the wire beyond 2^53', async () => {
    const emu = await start()
    const c = emu.connect('big')
    emu.moveTraffic(c, Number.MAX_SAFE_INTEGER, 0)
    emu.moveTraffic(c, Number.MAX_SAFE_INTEGER, 1)
    expect(await (await get(emu, '/traffic')).text()).toBe(
      '{"big":{"tx":18014398509481982,"rx":1}}',
    )
  })

  it('long bodies are chunked like Go (> 2048 bytes), short ones carry Content-Length', async () => {
    const emu = await start()
    const c = emu.connect('short')
    emu.moveTraffic(c, 1, 1)
    const small = await nodeGet(emu, '/traffic')
    expect(small.headers['content-length']).toBe(String(small.body.length))
    for (let i = 0; i < 100; i++) emu.moveTraffic(emu.connect(`user-${i}`), 12345, 67890)
    const big = await nodeGet(emu, '/traffic')
    expect(big.headers['transfer-encoding']).toBe('chunked')
    expect(big.headers['content-length']).toBeUndefined()
    expect(Object.keys(JSON.parse(big.body) as object)).toHaveLength(101)
  })
})

describe('POST /kick (lazy, per connection)', () => {
  async function kick(emu: Hysteria2Emulator, body: string): Promise<Response> {
    return fetch(`${emu.url}/kick`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json' },
    })
  }

  it('200 with an empty body and no content type', async () => {
    const emu = await start()
    const res = await kick(emu, '["alice"]')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe('0')
    expect(res.headers.get('content-type')).toBeNull()
    expect(await res.text()).toBe('')
    expect(emu.pendingKicks()).toEqual(['alice'])
  })

  it('an idle user is not kicked until it moves data; that chunk is not counted', async () => {
    const emu = await start()
    const a = emu.connect('alice')
    const s = emu.openStream(a, 'www.google.com:443')
    emu.moveTraffic(a, 5, 5, s)
    await kick(emu, '["alice"]')
    expect(await (await get(emu, '/online')).json()).toEqual({ alice: 1 })
    expect(emu.moveTraffic(a, 1000, 1000, s)).toBe(false)
    expect(await (await get(emu, '/online')).json()).toEqual({})
    expect(emu.traffic()).toEqual({ alice: { tx: 5, rx: 5 } })
    expect(emu.pendingKicks()).toEqual([])
    expect(await (await get(emu, '/dump/streams')).text()).toBe('{"streams":[]}\n')
    expect(() => emu.moveTraffic(a, 1, 1)).toThrow()
  })

  it('two devices: one kick closes only the connection that moves data next', async () => {
    const emu = await start()
    const phone = emu.connect('bob')
    const laptop = emu.connect('bob')
    await kick(emu, '["bob"]')
    expect(emu.moveTraffic(laptop, 0, 64)).toBe(false)
    expect(emu.online()).toEqual({ bob: 1 })
    expect(emu.moveTraffic(phone, 0, 64)).toBe(true)
    expect(emu.online()).toEqual({ bob: 1 })
    expect(emu.traffic()).toEqual({ bob: { tx: 0, rx: 64 } })
    // Kicking twice before any traffic is still one pending entry.
    await kick(emu, '["bob","bob"]')
    await kick(emu, '["bob"]')
    expect(emu.moveTraffic(phone, 1, 0)).toBe(false)
    expect(emu.online()).toEqual({})
  })

  it('an unknown/offline ID stays pending and hits its next connection', async () => {
    const emu = await start()
    await kick(emu, '["ghost"]')
    expect(emu.pendingKicks()).toEqual(['ghost'])
    const g = emu.connect('ghost')
    expect(emu.online()).toEqual({ ghost: 1 })
    expect(emu.moveTraffic(g, 1, 0)).toBe(false)
    expect(emu.pendingKicks()).toEqual([])
    const g2 = emu.connect('ghost')
    expect(emu.moveTraffic(g2, 1, 0)).toBe(true)
  })

  it('bad JSON → 400 with the Go json error text; nothing is queued', async () => {
    const emu = await start()
    const cases: Array<[string, string]> = [
      ['', 'EOF'],
      ['   \n', 'EOF'],
      ['["a"', 'unexpected EOF'],
      ['["a",', 'unexpected EOF'],
      ['[a]', "invalid character 'a' looking for beginning of value"],
      ['["a" "b"]', `invalid character '"' after array element`],
      ['["a",]', "invalid character ']' looking for beginning of value"],
      ['{"a" 1}', "invalid character '1' after object key"],
      ['"alice"', 'json: cannot unmarshal string into Go value of type []string'],
      ['42', 'json: cannot unmarshal number into Go value of type []string'],
      ['true', 'json: cannot unmarshal bool into Go value of type []string'],
      ['{"a":"b"}', 'json: cannot unmarshal object into Go value of type []string'],
      ['["a",1]', 'json: cannot unmarshal number into Go value of type string'],
      ['[["a"]]', 'json: cannot unmarshal array into Go value of type string'],
      ['[tru]', "invalid character ']' in literal true (expecting 'e')"],
      ['["\\x"]', "invalid character 'x' in string escape code"],
      ["['a']", `invalid character '\\'' looking for beginning of value`],
    ]
    for (const [body, message] of cases) {
      const res = await kick(emu, body)
      expect(res.status, body).toBe(400)
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      expect(await res.text(), body).toBe(`${message}\n`)
    }
    expect(emu.pendingKicks()).toEqual([])
  })

  it('decodes like json.Decoder: first value only, null ok, null element is ""', async () => {
    const emu = await start()
    expect((await kick(emu, 'null')).status).toBe(200)
    expect((await kick(emu, '["a"] trailing garbage')).status).toBe(200)
    expect((await kick(emu, ' ["b\\u00e9", null] ')).status).toBe(200)
    expect(emu.pendingKicks()).toEqual(['', 'a', 'bé'])
    expect(goDecodeStringArray(Buffer.from('["\\ud800"]'))).toEqual({ ids: ['\ufffd'] })
  })
})

describe('Go encoding/json decoder details', () => {
  it('scanner error texts, depth limit, quoteChar and UTF-8 repair like Go', () => {
    const err = (s: string): unknown => goReadJsonValue(Buffer.from(s))
    expect(err('[1e]')).toEqual({ error: "invalid character ']' in exponent of numeric literal" })
    expect(err('[-]')).toEqual({ error: "invalid character ']' in numeric literal" })
    expect(err('[1.]')).toEqual({
      error: "invalid character ']' after decimal point in numeric literal",
    })
    expect(err('["\n"]')).toEqual({
      error: "invalid character '\\n' in string literal",
    })
    expect(err('{1:2}')).toEqual({
      error: "invalid character '1' looking for beginning of object key string",
    })
    expect(err('["\\u12x4"]')).toEqual({
      error: "invalid character 'x' in \\u hexadecimal character escape",
    })
    expect(err('['.repeat(10001))).toEqual({ error: "invalid character '[' exceeded max depth" })
    expect(err('5')).toEqual({ value: Buffer.from('5') })
    expect(goQuoteChar(0xc3)).toBe("'Ã'")
    expect(goQuoteChar(0x85)).toBe("'\\u0085'")
    expect(goQuoteChar(0x00)).toBe("'\\x00'")
    expect(goDecodeUtf8(Uint8Array.from([0x61, 0xe2, 0x82, 0xac]))).toBe('a€')
    expect(goDecodeUtf8(Uint8Array.from([0xe2, 0x82, 0x61]))).toBe('\ufffd\ufffda')
    expect(goDecodeUtf8(Uint8Array.from([0xed, 0xa0, 0x80]))).toBe('\ufffd\ufffd\ufffd')
    expect(goDecodeUtf8(Uint8Array.from([0xf0, 0x9f, 0x98, 0x80]))).toBe('😀')
  })
})

describe('GET /online', () => {
  it('counts devices per user, drops zero entries, no trailing newline', async () => {
    const emu = await start()
    expect(await (await get(emu, '/online')).text()).toBe('{}')
    const a1 = emu.connect('alice')
    emu.connect('alice')
    emu.connect('bob')
    const res = await get(emu, '/online')
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await res.text()).toBe('{"alice":2,"bob":1}')
    emu.disconnect(a1)
    emu.disconnect(a1)
    expect(emu.online()).toEqual({ alice: 1, bob: 1 })
  })
})

describe('GET /dump/streams', () => {
  it('{"streams":[]} plus newline when nothing is traced', async () => {
    const emu = await start()
    const res = await get(emu, '/dump/streams')
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    expect(await res.text()).toBe('{"streams":[]}\n')
  })

  it('entries in upstream field order, sorted by auth, connection, stream', async () => {
    const emu = await start()
    const b = emu.connect('bob')
    const a1 = emu.connect('alice')
    const a2 = emu.connect('alice')
    const s1 = emu.openStream(b, 'github.com:443')
    const s2 = emu.openStream(a1, '142.250.72.14:443', { hookedReqAddr: 'www.google.com:443' })
    const s3 = emu.openStream(a1, 'api.github.com:443', { hookedReqAddr: 'api.github.com:443' })
    emu.openStream(a2, 'ignored', { state: 'init' })
    expect([s1, s2, s3]).toEqual([4, 4, 8])
    emu.moveTraffic(a1, 10, 20, s2)
    const text = await (await get(emu, '/dump/streams')).text()
    expect(text.endsWith('}\n')).toBe(true)
    const body = JSON.parse(text) as { streams: Array<Record<string, unknown>> }
    expect(Object.keys(body.streams[0] ?? {})).toEqual([
      'state',
      'auth',
      'connection',
      'stream',
      'req_addr',
      'hooked_req_addr',
      'tx',
      'rx',
      'initial_at',
      'last_active_at',
    ])
    const [lo, hi] = a1 < a2 ? [a1, a2] : [a2, a1]
    const aliceRows = (id: number): Array<[string, number, number]> =>
      id === a1
        ? [
            ['alice', a1, 4],
            ['alice', a1, 8],
          ]
        : [['alice', a2, 4]]
    expect(body.streams.map((s) => [s['auth'], s['connection'], s['stream']])).toEqual([
      ...aliceRows(lo),
      ...aliceRows(hi),
      ['bob', b, 4],
    ])
    const hooked = body.streams.find((s) => s['connection'] === a1 && s['stream'] === 4)
    expect(hooked).toMatchObject({
      state: 'estab',
      req_addr: '142.250.72.14:443',
      hooked_req_addr: 'www.google.com:443',
      tx: 10,
      rx: 20,
    })
    const same = body.streams.find((s) => s['connection'] === a1 && s['stream'] === 8)
    expect(same?.['hooked_req_addr']).toBe('')
    const init = body.streams.find((s) => s['connection'] === a2)
    expect(init).toMatchObject({ state: 'init', req_addr: '', tx: 0, rx: 0 })
    const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/
    expect(String(hooked?.['initial_at'])).toMatch(rfc3339)
    expect(String(hooked?.['last_active_at'])).toMatch(rfc3339)
    expect(
      Date.parse(String(hooked?.['last_active_at'])) >= Date.parse(String(hooked?.['initial_at'])),
    ).toBe(true)
  })

  it('closed streams and closed connections leave the dump', async () => {
    const emu = await start()
    const c = emu.connect('u')
    const s = emu.openStream(c, 'a:1')
    emu.openStream(c, 'b:2')
    emu.closeStream(c, s)
    let body = JSON.parse(await (await get(emu, '/dump/streams')).text()) as { streams: unknown[] }
    expect(body.streams).toHaveLength(1)
    emu.disconnect(c)
    body = JSON.parse(await (await get(emu, '/dump/streams')).text()) as { streams: unknown[] }
    expect(body.streams).toHaveLength(0)
  })

  it('text table when Accept contains text/plain (first Accept header only)', async () => {
    const emu = await start()
    const c = emu.connect('alice')
    const s = emu.openStream(c, '142.250.72.14:443', { hookedReqAddr: 'www.google.com:443' })
    emu.openStream(c, '', { state: 'init' })
    emu.moveTraffic(c, 1234, 567890, s)
    const res = await get(emu, '/dump/streams', { accept: 'application/json, text/plain;q=0.5' })
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
    const lines = (await res.text()).split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[3]).toBe('')
    expect(lines[0]).toBe(
      'State    Auth           Connection   Stream     TX-Bytes     RX-Bytes     Lifetime  Last-Active Req-Addr         Hooked-Req-Addr',
    )
    expect(lines[0]).toBe(DUMP_TABLE_HEADER)
    const hex = c.toString(16).toUpperCase().padStart(8, '0')
    const row =
      /^ESTAB {4}alice {12}([0-9A-F]{8}) {8}4 {9}1234 {7}567890 +(\S+) +(\S+) 142\.250\.72\.14:443 www\.google\.com:443$/
    const m = row.exec(lines[1] ?? '')
    expect(m, lines[1]).not.toBeNull()
    expect(m?.[1]).toBe(hex)
    expect(m?.[2]).toMatch(/^(\d+(\.\d+)?(ms|s)|0s)$/)
    expect(lines[2]).toMatch(/^INIT {5}alice {12}[0-9A-F]{8} {8}8 {12}0 {12}0 +\S+ +\S+ - {16}-$/)

    // Only the first Accept header counts (Go Header.Get), Node would join them.
    const r = await raw(
      emu.port,
      'GET /dump/streams HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nAccept: text/plain\r\nConnection: close\r\n\r\n',
    )
    expect(r.headers['content-type']).toEqual(['application/json; charset=utf-8'])
  })

  it('formats lines with printf widths, never truncating', () => {
    expect(
      formatDumpStreamLine(
        'ESTAB',
        'a-very-long-user-name',
        '0000ABCD',
        '4',
        'x:1',
        '-',
        '1',
        '2',
        '3ms',
        '4ms',
      ),
    ).toBe(
      'ESTAB    a-very-long-user-name     0000ABCD        4            1            2          3ms          4ms x:1              -',
    )
    // Width counts runes, not UTF-16 units or bytes.
    expect(
      formatDumpStreamLine('X', '😀é', 'C', 'S', 'R', 'H', 'T', 'R', 'L', 'A').slice(9, 22),
    ).toBe('😀é          ')
  })

  it('Go duration strings and rounding', () => {
    const ms = 1_000_000n
    const s = 1000n * ms
    expect(goDuration(0n)).toBe('0s')
    expect(goDuration(350n * ms)).toBe('350ms')
    expect(goDuration(62n * s + 500n * ms)).toBe('1m2.5s')
    expect(goDuration(3600n * s)).toBe('1h0m0s')
    expect(goDuration(1500n)).toBe('1.5µs')
    expect(goDuration(999n)).toBe('999ns')
    expect(goDuration(1234567n)).toBe('1.234567ms')
    expect(goDuration(-1500n * ms)).toBe('-1.5s')
    expect(goDuration(goDurationRound(1_234_567_891n, ms))).toBe('1.235s')
    expect(goDuration(goDurationRound(1_234_500_000n, ms))).toBe('1.235s') // half away from zero
    expect(goDuration(goDurationRound(754n * s + 499n * ms, s))).toBe('12m34s')
  })

  it('RFC 3339 with nanoseconds like Go time.Format', () => {
    const t = goRfc3339Nano(1_700_000_000_123_456_789n)
    expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.123456789(Z|[+-]\d\d:\d\d)$/)
    expect(Date.parse(t)).toBe(1_700_000_000_123)
    expect(goRfc3339Nano(1_700_000_000_120_000_000n)).toMatch(/:\d\d\.12(Z|[+-])/)
    expect(goRfc3339Nano(1_700_000_000_000_000_000n)).toMatch(/:\d\d(Z|[+-]\d\d:\d\d)$/)
  })

  it('seed variant: {"<connId>": {user, remote, target, tx, rx}}', async () => {
    const emu = await start({ variant: 'seed' })
    expect(await (await get(emu, '/dump/streams')).text()).toBe('{}')
    const c = emu.connect('user')
    const s = emu.openStream(c, 'www.google.com:443')
    emu.moveTraffic(c, 1048576, 5242880, s)
    const res = await get(emu, '/dump/streams', { accept: 'text/plain' })
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
    const body = (await res.json()) as Record<string, Record<string, unknown>>
    const key = `${c.toString(16).toUpperCase().padStart(8, '0')}:4`
    expect(Object.keys(body)).toEqual([key])
    expect(body[key]).toMatchObject({
      user: 'user',
      target: 'www.google.com:443',
      tx: 1048576,
      rx: 5242880,
    })
    expect(String(body[key]?.['remote'])).toMatch(/^\d+\.\d+\.\d+\.\d+:\d+$/)
    // The other routes are the same in both variants.
    expect(await (await get(emu, '/traffic')).text()).toBe('{"user":{"tx":1048576,"rx":5242880}}')
  })
})

describe('control API', () => {
  it('restart drops counters, connections, streams and pending kicks', async () => {
    const emu = await start()
    const c = emu.connect('a')
    emu.openStream(c, 'x:1')
    emu.moveTraffic(c, 1, 1)
    await fetch(`${emu.url}/kick`, { method: 'POST', body: '["b"]' })
    emu.restart()
    expect(emu.traffic()).toEqual({})
    expect(emu.online()).toEqual({})
    expect(emu.pendingKicks()).toEqual([])
    expect(emu.isConnected(c)).toBe(false)
    expect(await (await get(emu, '/dump/streams')).text()).toBe('{"streams":[]}\n')
  })

  it('logs every request, also refused ones, and can clear the log', async () => {
    const emu = await start({ secret: 'k' })
    await get(emu, '/traffic?clear=1', { authorization: 'k' })
    await get(emu, '/nope')
    expect(emu.requests.map((r) => [r.method, r.path, r.headers['authorization']])).toEqual([
      ['GET', '/traffic?clear=1', 'k'],
      ['GET', '/nope', undefined],
    ])
    expect(emu.requests[0]?.at).toBeGreaterThan(0)
    emu.clearRequestLog()
    expect(emu.requests).toHaveLength(0)
  })

  it('rejects impossible operations', async () => {
    const emu = await start()
    const c = emu.connect('a')
    const s = emu.openStream(c, 'x:1', { state: 'connect' })
    expect(() => emu.moveTraffic(c, 1, 1, s)).toThrow(/established/)
    emu.setStreamState(c, s, 'estab')
    expect(emu.moveTraffic(c, 1, 1, s)).toBe(true)
    expect(() => emu.moveTraffic(c, -1, 0)).toThrow(RangeError)
    expect(() => emu.moveTraffic(c, 1.5, 0)).toThrow(RangeError)
    expect(() => emu.openStream(c, 'x:1', { state: 'bogus' })).toThrow(TypeError)
    expect(() => emu.openStream(12345, 'x:1')).toThrow()
  })

  it('JSON strings are escaped like Go encoding/json', () => {
    expect(goJsonString('a"b\\c\n\t\b\f\u0001<>&\u2028\u2029\ud800é')).toBe(
      '"a\\"b\\\\c\\n\\t\\b\\f\\u0001\\u003c\\u003e\\u0026\\u2028\\u2029\\ufffdé"',
    )
  })
})

describe('simulation', () => {
  it('is deterministic for a seed and moves traffic for several users', async () => {
    const opts = { simulate: { tickMs: 3_600_000, users: 10, seed: 42 } } as const
    const a = await start(opts)
    const b = await start(opts)
    for (let i = 0; i < 30; i++) {
      a.simulation?.step()
      b.simulation?.step()
    }
    expect(a.traffic()).toEqual(b.traffic())
    expect(a.online()).toEqual(b.online())
    expect(Object.keys(a.traffic()).length).toBeGreaterThan(3)
    expect(a.simulation?.users).toEqual([
      'alice',
      'bob',
      'carol',
      'dave',
      'erin',
      'frank',
      'grace',
      'heidi',
      'ivan',
      'judy',
    ])
    const dump = JSON.parse(await (await get(a, '/dump/streams')).text()) as { streams: unknown[] }
    expect(dump.streams.length).toBeGreaterThan(0)
  })

  it('kicked devices drop on their next chunk and reconnect a few seconds later', async () => {
    const emu = await start({ simulate: { tickMs: 1000, users: 6, seed: 7 } })
    emu.simulation?.stop()
    const sim = emu.simulation
    if (!sim) throw new Error('no simulation')
    for (let i = 0; i < 5; i++) sim.step()
    const before = emu.traffic()
    const online = emu.online()
    const busy = Object.keys(online).find((u) => (before[u]?.rx ?? 0) > 0)
    if (!busy) throw new Error('no active user')
    const devices = online[busy] ?? 0
    await fetch(`${emu.url}/kick`, { method: 'POST', body: JSON.stringify([busy]) })
    sim.step()
    expect(emu.pendingKicks()).toEqual([])
    expect(emu.online()[busy] ?? 0).toBeLessThanOrEqual(devices)
    for (let i = 0; i < 8; i++) sim.step()
    expect(emu.online()[busy] ?? 0).toBeGreaterThanOrEqual(1)
  })

  it('the timer moves numbers on its own and stops on close', async () => {
    const emu = await startHysteria2Emulator({ simulate: { tickMs: 20, users: 5, seed: 3 } })
    const first = JSON.stringify(emu.traffic())
    await new Promise((r) => setTimeout(r, 150))
    expect(JSON.stringify(emu.traffic())).not.toBe(first)
    await emu.close()
    const frozen = JSON.stringify(emu.traffic())
    await new Promise((r) => setTimeout(r, 80))
    expect(JSON.stringify(emu.traffic())).toBe(frozen)
  })

  it('devices dropped by a restart reconnect', async () => {
    const emu = await start({ simulate: { tickMs: 3_600_000, users: 8, seed: 5 } })
    const sim = emu.simulation
    if (!sim) throw new Error('no simulation')
    for (let i = 0; i < 3; i++) sim.step()
    expect(Object.keys(emu.online()).length).toBeGreaterThan(0)
    emu.restart()
    expect(emu.online()).toEqual({})
    for (let i = 0; i < 10; i++) sim.step()
    expect(Object.keys(emu.online()).length).toBeGreaterThan(0)
  })
})

describe('failure modes', () => {
  it("'silent' accepts and never answers; close() still returns at once", async () => {
    const emu = await startHysteria2Emulator()
    emu.setMode('silent')
    const pending = fetch(`${emu.url}/traffic`).then(
      () => 'answered',
      () => 'failed',
    )
    const timeout = await fetch(`${emu.url}/online`, { signal: AbortSignal.timeout(300) }).then(
      () => 'answered',
      (e: unknown) => (e instanceof Error ? e.name : 'error'),
    )
    expect(timeout).toBe('TimeoutError')
    expect(emu.requests.length).toBe(2)
    const t0 = Date.now()
    await emu.close()
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(await pending).toBe('failed')
  })

  it("'garbage' answers 200 with a non-JSON body on JSON routes", async () => {
    const emu = await start({ secret: 'k' })
    emu.setMode('garbage')
    for (const path of ['/traffic', '/online', '/dump/streams']) {
      const res = await get(emu, path, { authorization: 'k' })
      expect(res.status).toBe(200)
      const text = await res.text()
      expect(() => JSON.parse(text) as unknown).toThrow()
    }
    expect((await get(emu, '/traffic')).status).toBe(401)
  })

  it("'http500' answers 500", async () => {
    const emu = await start()
    emu.setMode('http500')
    const res = await get(emu, '/traffic')
    expect(res.status).toBe(500)
    expect(await res.text()).toBe('Internal Server Error\n')
    emu.setMode('normal')
    expect((await get(emu, '/traffic')).status).toBe(200)
  })

  it("'drip' sends the body one byte per second", async () => {
    const emu = await start()
    emu.setMode('drip')
    const t0 = Date.now()
    const res = await get(emu, '/traffic')
    expect(res.headers.get('content-length')).toBe('2')
    expect(await res.text()).toBe('{}')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1900)
  })

  it("'drip' is cut cleanly by close()", async () => {
    const emu = await startHysteria2Emulator()
    emu.setMode('drip')
    const res = await fetch(`${emu.url}/dump/streams`)
    const body = res.text().then(
      () => 'complete',
      () => 'cut',
    )
    const t0 = Date.now()
    await emu.close()
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(await body).toBe('cut')
  })

  it("'huge' streams a valid JSON body of more than 64 MiB", async () => {
    const emu = await start()
    emu.setMode('huge')
    const res = await get(emu, '/dump/streams')
    expect(res.headers.get('content-length')).toBeNull()
    const buf = Buffer.from(await res.arrayBuffer())
    expect(buf.length).toBeGreaterThan(64 * 1024 * 1024)
    const parsed = JSON.parse(buf.toString('utf8')) as { streams: Array<{ auth: string }> }
    expect(parsed.streams[0]?.auth).toBe('huge-user-000000000')
    // The other JSON routes stream the same way (checked by their first bytes only).
    for (const [path, start] of [
      ['/online', '{"huge-user-000000000":1,'],
      ['/traffic', '{"huge-user-000000000":{"tx":0,"rx":0},'],
    ] as const) {
      const ac = new AbortController()
      const r = await fetch(emu.url + path, { signal: ac.signal })
      const first = await r.body?.getReader().read()
      ac.abort()
      expect(
        Buffer.from(first?.value ?? new Uint8Array())
          .toString()
          .startsWith(start),
      ).toBe(true)
    }
  })

  it("'huge' stops when the client gives up, and close() is clean", async () => {
    const emu = await startHysteria2Emulator()
    emu.setMode('huge')
    const ac = new AbortController()
    const res = await fetch(`${emu.url}/traffic`, { signal: ac.signal })
    const reader = res.body?.getReader()
    let got = 0
    while (reader && got < 1024 * 1024) {
      const { value, done } = await reader.read()
      if (done) break
      got += value.length
    }
    ac.abort()
    const t0 = Date.now()
    await emu.close()
    expect(Date.now() - t0).toBeLessThan(1000)
    expect(got).toBeGreaterThanOrEqual(1024 * 1024)
  })
})
