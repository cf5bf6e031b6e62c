/**
 * The node's gRPC transport (`controller/rpc/*.go`, SERVICE_PROTOCOL=grpc, the default):
 * `service.NodeService` served by `@grpc/grpc-js` behind our own TLS listener.
 *
 * Why a TLS front: grpc-go ≥ 1.67 enforces ALPN — a client that does not offer `h2` (e.g. an
 * HTTP/1.1 REST client) gets a TLS `no_application_protocol` alert at once, and a client that
 * sends no ALPN at all is dropped right after the handshake. Node's `tls.Server` with
 * `ALPNProtocols: ['h2']` sends the alert; connections without ALPN are destroyed here (grpc-js'
 * own http2 server would leave them hanging for its `unknownProtocol` timeout). The decrypted
 * socket is then handed to grpc-js (`createConnectionInjector` with insecure credentials). This
 * also lets us count handshakes.
 *
 * Interceptors as upstream (`ConditionalMiddleware`): logging (an OK call — or a GetLogs stream the
 * client cancelled, which returns nil — resets the keep-alive clock), then the API key from
 * metadata `x-api-key` (missing → UNAUTHENTICATED `missing x-api-key header`, present but not a
 * UUID — even an empty value — → INVALID_ARGUMENT, wrong → PERMISSION_DENIED `api key
 * mismatch`), then for the backend methods (everything but Start, GetBaseInfo and
 * GetOutboundsLatency) UNAVAILABLE `backend not initialized` / `core is not started yet`.
 * Handler errors: plain Go errors → UNKNOWN with their text; statuses keep their code (stats:
 * InterceptNotFound → NOT_FOUND); SyncUser: empty email → UNKNOWN `email is required`, sync
 * failure → INTERNAL `failed to update user: …`; SyncUsersChunked: bad chunk set →
 * INVALID_ARGUMENT, update failure → INTERNAL `failed to update users: …`; GetLogs on a closed
 * (WireGuard) channel → UNKNOWN `log channel closed`. Unknown methods are answered by grpc-js
 * (UNIMPLEMENTED, before any interceptor — as in grpc-go, only the message text differs).
 */
import {
  Metadata,
  Server,
  ServerCredentials,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
  type ServiceDefinition,
  type UntypedHandleCall,
  type sendUnaryData,
} from '@grpc/grpc-js'
import type { Socket } from 'node:net'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import type { AddressInfo } from 'node:net'
import {
  PG_GRPC_MAX_MESSAGE,
  PG_RPCS,
  grpcPath,
  pgDecode,
  pgEncode,
  type PbBackend,
  type PbStatRequest,
  type PbUser,
  type PbUsersChunk,
  type PgRpcName,
} from '../../src/main/core/adapters/pasarguard/proto'
import { GRPC, GRPC_CODE_NAMES, NodeError, grpcStatusOf, interceptNotFound } from './errors'
import type { LogSink } from './logs'
import type { PgNode } from './node-state'
import { buildUsersFromChunks } from './rest'
import type { FailMode, PgRequestRecord, TransportContext } from './transport'

/** Methods behind `CheckBackendMiddleware` (upstream `backendMethods`). */
const BACKEND_METHODS = new Set<PgRpcName>([
  'GetStats',
  'GetUserOnlineStats',
  'GetUserOnlineIpListStats',
  'GetBackendStats',
  'GetSystemStats',
  'Stop',
  'SyncUser',
  'SyncUsers',
  'SyncUsersChunked',
  'GetLogs',
])

/** A response the serializer sends as-is (failure modes, pre-encoded `Log` messages). */
class RawResponse {
  constructor(readonly bytes: Buffer) {}
}

interface Status {
  code: number
  details: string
}

/** `Log{detail}` on the wire: tag 0x0a, uvarint length, UTF-8 bytes (empty line = empty message). */
function encodeLog(detail: string): Buffer {
  if (detail === '') return Buffer.alloc(0)
  const n = Buffer.byteLength(detail, 'utf8')
  let hdr = 1
  for (let v = n; v >= 0x80; v >>>= 7) hdr++
  const out = Buffer.allocUnsafe(1 + hdr + n)
  out[0] = 0x0a
  let pos = 1
  let v = n
  while (v >= 0x80) {
    out[pos++] = (v & 0x7f) | 0x80
    v >>>= 7
  }
  out[pos++] = v
  out.write(detail, pos, 'utf8')
  return out
}

function serviceError(s: Status): Error & { code: number; details: string; metadata: Metadata } {
  return Object.assign(new Error(s.details), {
    code: s.code,
    details: s.details,
    metadata: new Metadata(),
  })
}

function firstMeta(md: Metadata, key: string): string | null {
  const v = md.get(key)[0]
  if (v === undefined) return null
  return typeof v === 'string' ? v : v.toString('latin1')
}

export async function startGrpcServer(
  node: PgNode,
  ctx: TransportContext,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = new Server({
    'grpc.max_receive_message_length': PG_GRPC_MAX_MESSAGE,
    'grpc.max_send_message_length': PG_GRPC_MAX_MESSAGE,
  })
  const definition: Record<string, ServiceDefinition[string]> = {}
  for (const name of Object.keys(PG_RPCS) as PgRpcName[]) {
    const rpc = PG_RPCS[name]
    definition[name] = {
      path: grpcPath(name),
      requestStream: rpc.clientStream,
      responseStream: rpc.serverStream,
      requestSerialize: (v: Record<string, unknown>) => Buffer.from(pgEncode(rpc.request, v)),
      requestDeserialize: (b: Buffer) => pgDecode(rpc.request, b),
      responseSerialize: (v: unknown) =>
        v instanceof RawResponse
          ? v.bytes
          : Buffer.from(pgEncode(rpc.response, v as Record<string, unknown>)),
      responseDeserialize: (b: Buffer) => pgDecode(rpc.response, b),
      originalName: name,
    }
  }

  const sockets = new Map<string, TLSSocket>()

  function begin(name: PgRpcName, md: Metadata): PgRequestRecord {
    const entry = ctx.record({
      transport: 'grpc',
      method: 'POST',
      path: grpcPath(name),
      apiKey: firstMeta(md, 'x-api-key'),
    })
    entry.status = 'PENDING'
    return entry
  }

  /** validateApiKey + CheckBackendMiddleware. */
  function gate(name: PgRpcName, md: Metadata): Status | null {
    const values = md.get('x-api-key')
    if (values.length === 0)
      return { code: GRPC.UNAUTHENTICATED, details: 'missing x-api-key header' }
    const v = values[0] as string | Buffer
    const text = typeof v === 'string' ? v : v.toString('latin1')
    // Present but empty is "not a UUID" here (Go: md["x-api-key"][0] == "" → uuid.Parse fails).
    switch (text === '' ? 'invalid' : node.checkKey(text)) {
      case 'missing':
      case 'invalid':
        return {
          code: GRPC.INVALID_ARGUMENT,
          details: 'invalid api key format: must be a valid UUID',
        }
      case 'mismatch':
        return { code: GRPC.PERMISSION_DENIED, details: 'api key mismatch' }
    }
    if (BACKEND_METHODS.has(name)) {
      switch (node.backendStatus()) {
        case 'none':
          return { code: GRPC.UNAVAILABLE, details: 'backend not initialized' }
        case 'stopped':
          return { code: GRPC.UNAVAILABLE, details: 'core is not started yet' }
      }
    }
    return null
  }

  function finish(entry: PgRequestRecord, s: Status | null): void {
    entry.status = GRPC_CODE_NAMES[s?.code ?? 0] ?? String(s?.code)
    if (s === null) node.newRequest()
  }

  function peerSocket(peer: string): TLSSocket | undefined {
    return sockets.get(peer) ?? sockets.get(peer.replace(/^ipv4:|^ipv6:/, ''))
  }

  /** Applies a failure mode to a unary (or client-streaming) call. */
  function unaryFailure(
    mode: FailMode,
    call: ServerUnaryCall<unknown, unknown>,
    cb: sendUnaryData<unknown>,
  ): void {
    switch (mode) {
      case 'hang':
        return
      case 'reset':
        peerSocket(call.getPeer())?.destroy()
        return
      case 'http500':
        cb(serviceError({ code: GRPC.INTERNAL, details: 'internal error' }))
        return
      case 'garbage':
        cb(null, new RawResponse(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x08])))
        return
      case 'huge':
        cb(null, new RawResponse(Buffer.alloc(PG_GRPC_MAX_MESSAGE + 1024, 0x0a)))
        return
    }
  }

  type Op = (req: never) => unknown | Promise<unknown>

  function unary(name: PgRpcName, op: Op): UntypedHandleCall {
    return (async (call: ServerUnaryCall<never, unknown>, callback: sendUnaryData<unknown>) => {
      const entry = begin(name, call.metadata)
      const fail = ctx.takeFailure()
      if (fail) {
        unaryFailure(fail, call, callback)
        return
      }
      await node.idle()
      const g = gate(name, call.metadata)
      if (g) {
        finish(entry, g)
        callback(serviceError(g))
        return
      }
      try {
        const value = await op(call.request)
        finish(entry, null)
        callback(null, value)
      } catch (e) {
        // (a non-NodeError would be a bug here; answer instead of leaving the call hanging)
        const s =
          e instanceof NodeError
            ? grpcStatusOf(e)
            : { code: GRPC.INTERNAL, details: e instanceof Error ? e.message : String(e) }
        finish(entry, s)
        callback(serviceError(s))
      }
    }) as unknown as UntypedHandleCall
  }

  const handlers: Record<PgRpcName, UntypedHandleCall> = {
    Start: unary('Start', (b: PbBackend) => node.start(b)),
    Stop: unary('Stop', () => {
      node.disconnect()
      return {}
    }),
    GetBaseInfo: unary('GetBaseInfo', () => node.baseInfo()),
    GetSystemStats: unary('GetSystemStats', () => node.systemStats()),
    GetBackendStats: unary('GetBackendStats', () => requireBackend().getSysStats()),
    GetStats: unary('GetStats', (r: PbStatRequest) => {
      try {
        return requireBackend().getStats(r)
      } catch (e) {
        throw e instanceof NodeError ? interceptNotFound(e) : e
      }
    }),
    GetOutboundsLatency: unary('GetOutboundsLatency', (r: { name: string }) =>
      node.outboundsLatency(r.name),
    ),
    GetUserOnlineStats: unary('GetUserOnlineStats', (r: { name: string }) => {
      try {
        return requireBackend().getUserOnlineStats(r.name)
      } catch (e) {
        throw e instanceof NodeError ? interceptNotFound(e) : e
      }
    }),
    GetUserOnlineIpListStats: unary('GetUserOnlineIpListStats', (r: { name: string }) => {
      try {
        return requireBackend().getUserOnlineIpListStats(r.name)
      } catch (e) {
        throw e instanceof NodeError ? interceptNotFound(e) : e
      }
    }),
    SyncUsers: unary('SyncUsers', async (r: { users: PbUser[] }) => {
      const rec = {
        transport: 'grpc' as const,
        rpc: 'SyncUsers' as const,
        users: r.users.length,
        chunks: 1,
        mode: 'restart' as const,
      }
      try {
        await requireBackend().syncUsers(r.users)
        node.recordSync({ ...rec, ok: true })
        return {}
      } catch (e) {
        if (e instanceof NodeError) node.recordSync({ ...rec, ok: false, error: e.goText })
        throw e
      }
    }),
    SyncUser: clientStream('SyncUser'),
    SyncUsersChunked: clientStream('SyncUsersChunked'),
    GetLogs: getLogs as unknown as UntypedHandleCall,
  }

  function requireBackend(): NonNullable<PgNode['backend']> {
    const b = node.backend
    if (!b) throw new NodeError('backend not initialized', GRPC.UNAVAILABLE, true)
    return b
  }

  function clientStream(name: 'SyncUser' | 'SyncUsersChunked'): UntypedHandleCall {
    return (async (
      call: ServerReadableStream<PbUser | PbUsersChunk, unknown>,
      callback: sendUnaryData<unknown>,
    ) => {
      const entry = begin(name, call.metadata)
      let done = false
      const end = (s: Status | null): void => {
        if (done) return
        done = true
        finish(entry, s)
        if (s) callback(serviceError(s))
        else callback(null, {})
      }
      const fail = ctx.takeFailure()
      if (fail) {
        unaryFailure(fail, call as unknown as ServerUnaryCall<unknown, unknown>, callback)
        return
      }
      await node.idle()
      const g = gate(name, call.metadata)
      if (g) {
        end(g)
        return
      }
      if (name === 'SyncUser') {
        let users = 0
        call.on('data', (u: PbUser) => {
          if (done) return
          if (u.email === '') {
            end({ code: GRPC.UNKNOWN, details: 'email is required' })
            return
          }
          users++
          try {
            requireBackend().syncUser(u)
          } catch (e) {
            const msg = e instanceof NodeError ? e.goText : String(e)
            node.recordSync({
              transport: 'grpc',
              rpc: 'SyncUser',
              users,
              chunks: users,
              mode: 'live',
              ok: false,
              error: msg,
            })
            end({ code: GRPC.INTERNAL, details: `failed to update user: ${msg}` })
          }
        })
        const close = (): void => {
          if (done) return
          node.recordSync({
            transport: 'grpc',
            rpc: 'SyncUser',
            users,
            chunks: users,
            mode: 'live',
            ok: true,
          })
          end(null)
        }
        call.on('end', close)
        call.on('error', close)
        return
      }
      const chunks: PbUsersChunk[] = []
      let finished = false
      const apply = async (): Promise<void> => {
        if (finished) return
        finished = true
        const users = buildUsersFromChunks(chunks)
        if (typeof users === 'string') {
          end({ code: GRPC.INVALID_ARGUMENT, details: users })
          return
        }
        const restart = users.length > 100
        const rec = {
          transport: 'grpc' as const,
          rpc: 'SyncUsersChunked' as const,
          users: users.length,
          chunks: chunks.length,
          mode: restart ? ('restart' as const) : ('live' as const),
        }
        try {
          const b = requireBackend()
          if (restart) await b.updateUsersAndRestart(users)
          else b.updateUsers(users)
          node.recordSync({ ...rec, ok: true })
          end(null)
        } catch (e) {
          const msg = e instanceof NodeError ? e.goText : String(e)
          node.recordSync({ ...rec, ok: false, error: msg })
          end({ code: GRPC.INTERNAL, details: `failed to update users: ${msg}` })
        }
      }
      call.on('data', (c: PbUsersChunk) => {
        if (finished) return
        chunks.push(c)
        if (c.last) void apply()
      })
      call.on('end', () => void apply())
      call.on('error', (err: Error) => {
        if (finished) return
        finished = true
        end({ code: GRPC.INTERNAL, details: `failed to receive chunk: ${err.message}` })
      })
    }) as unknown as UntypedHandleCall
  }

  async function getLogs(call: ServerWritableStream<unknown, unknown>): Promise<void> {
    const entry = begin('GetLogs', call.metadata)
    const fail = ctx.takeFailure()
    if (fail === 'hang') return
    if (fail === 'reset') {
      peerSocket(call.getPeer())?.destroy()
      return
    }
    if (fail) {
      call.emit('error', serviceError({ code: GRPC.INTERNAL, details: 'internal error' }))
      return
    }
    await node.idle()
    const g = gate('GetLogs', call.metadata)
    if (g) {
      finish(entry, g)
      call.emit('error', serviceError(g))
      return
    }
    const b = requireBackend()
    let open = true
    // grpc-js' Writable hands messages to the http2 stream one at a time, each waiting for the
    // previous write's callback (~1 message per event-loop turn). For log bursts we give every
    // message of a batch to the call at once (its http2 stream buffers and batches them) and apply
    // backpressure on the number of messages not yet written.
    const inner = (call as unknown as { call?: { sendMessage?(m: unknown, cb: () => void): void } })
      .call
    const direct = typeof inner?.sendMessage === 'function' ? inner : null
    let pending = 0
    let paused = false
    const written = (): void => {
      pending--
      if (paused && pending <= 256) {
        paused = false
        b.logs.resume(sink)
      }
    }
    const sink: LogSink = {
      write(lines) {
        if (!open) return false
        // Log{detail = 1} encoded by hand: protobufjs per line would cap the throughput too
        if (!direct) {
          let ok = true
          for (const l of lines) ok = call.write(new RawResponse(encodeLog(l)))
          return ok
        }
        for (const l of lines) {
          pending++
          direct.sendMessage?.(new RawResponse(encodeLog(l)), written)
        }
        if (pending > 4096) paused = true
        return !paused
      },
      end() {
        if (!open) return
        open = false
        const s = { code: GRPC.UNKNOWN, details: 'log channel closed' }
        finish(entry, s)
        call.emit('error', serviceError(s))
      },
    }
    const detach = b.logs.attach(sink)
    call.on('drain', () => b.logs.resume(sink))
    call.on('cancelled', () => {
      if (!open) return
      open = false
      detach()
      // upstream returns nil when the client goes away: logged as success, NewRequest()
      entry.status = 'CANCELLED'
      node.newRequest()
    })
    call.on('close', () => {
      if (open) {
        open = false
        detach()
      }
    })
  }

  server.addService(definition as ServiceDefinition, handlers)
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure())

  const tlsServer = createTlsServer({ key: ctx.keyPem, cert: ctx.certPem, ALPNProtocols: ['h2'] })
  // Raw sockets still in their handshake are not 'secureConnection's yet: close() must end them too.
  const raw = new Set<Socket>()
  tlsServer.on('connection', (sock: Socket) => {
    raw.add(sock)
    sock.once('close', () => raw.delete(sock))
  })
  tlsServer.on('secureConnection', (sock: TLSSocket) => {
    ctx.onHandshake()
    const key = `${sock.remoteAddress}:${sock.remotePort}`
    sockets.set(key, sock)
    sock.once('close', () => sockets.delete(key))
    if (sock.alpnProtocol !== 'h2') {
      // grpc-go ≥ 1.67: "missing selected ALPN property" → connection closed
      sock.destroy()
      return
    }
    injector.injectConnection(sock)
  })
  tlsServer.on('tlsClientError', () => {})

  await new Promise<void>((resolve, reject) => {
    tlsServer.once('error', reject)
    tlsServer.listen(ctx.port, ctx.host, () => {
      tlsServer.off('error', reject)
      resolve()
    })
  })

  return {
    port: (tlsServer.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        tlsServer.close(() => resolve())
        injector.destroy()
        for (const s of sockets.values()) s.destroy()
        sockets.clear()
        for (const s of raw) s.destroy()
        raw.clear()
        server.forceShutdown()
      }),
  }
}
