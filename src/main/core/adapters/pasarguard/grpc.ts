import { once } from 'node:events'
import { isIP } from 'node:net'
import { checkServerIdentity, createSecureContext, type PeerCertificate } from 'node:tls'
import * as grpc from '@grpc/grpc-js'
import type { AppError } from '../../../../shared/contract'
import { AppErrorException, appError, toAppError } from '../../../../shared/contract'
import { silentLogger } from '../../util/logger'
import { mapNetworkError } from '../http/http-client'
import {
  certFingerprint,
  hostPortOf,
  pinMismatchError,
  probeTls,
  sameFingerprint,
} from '../http/tls-probe'
import { GRPC, coreDownOf, grpcStatusError, type PgErrorContext } from './errors'
import {
  PG_GRPC_MAX_MESSAGE,
  PG_RPCS,
  grpcPath,
  pgDecode,
  pgEncode,
  type PbLog,
  type PgRpcName,
} from './proto'
import { runReconnecting } from './reconnecting'
import type { PgTransportConfig } from './rest'
import {
  PG_LOGS_LIVE_AFTER_MS,
  type NodeTransport,
  type PgCallOptions,
  type PgClientStreamRpc,
  type PgRequest,
  type PgResponse,
  type PgStreamProgress,
  type PgUnaryRpc,
} from './transport'

/** Channel options: the node's 64 MiB limit both ways, no transparent retries. */
/**
 * The TLS server name sent when the node is addressed by IP (SNI cannot carry an IP). Go's
 * server ignores it; certificate checks use the real address or the pin.
 */
const SNI_FOR_IP = 'localhost'

const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.max_receive_message_length': PG_GRPC_MAX_MESSAGE,
  'grpc.max_send_message_length': PG_GRPC_MAX_MESSAGE,
  'grpc.enable_retries': 0,
  'grpc.initial_reconnect_backoff_ms': 1000,
  'grpc.max_reconnect_backoff_ms': 10_000,
}

/**
 * The gRPC transport (the node's default, apis.md §3): a generic grpc-js `Client` on
 * `/service.NodeService/<Rpc>` with protobufjs serializers, `x-api-key` metadata, deadlines.
 * One channel per node, reused, closed by `close()` (settings changed, server removed).
 *
 * TLS, never "ignore errors":
 * - a CA PEM: trusted as the root, host name checked (as the official client does);
 * - a pinned fingerprint: before a channel exists, a bare handshake (nothing written) reads the
 *   leaf; a different fingerprint is refused with no channel, no request and no key sent. A match
 *   creates the channel trusting exactly that leaf, and `checkServerIdentity` accepts only the
 *   pinned fingerprint on every later connection;
 * - neither: the system's CAs.
 * A call failing UNAVAILABLE (transport) drops the channel, so the next call probes again and a
 * replaced certificate is reported as such.
 */
export function createGrpcTransport(cfg: PgTransportConfig): NodeTransport {
  const log = cfg.log ?? silentLogger
  const { host, port } = hostPortOf(cfg.url)
  const hostPort = cfg.url.host
  const target = `${host.includes(':') ? `[${host.replace(/^\[|\]$/g, '')}]` : host}:${port}`
  const bareHost = host.replace(/^\[|\]$/g, '')
  /** The node's IP when it is addressed by one (then SNI carries {@link SNI_FOR_IP}). */
  const ipHost = isIP(bareHost) ? bareHost : null
  const pin = cfg.tls?.fingerprintSha256
  const caPem = cfg.tls?.caPem
  let client: grpc.Client | null = null
  let opening: Promise<grpc.Client> | null = null
  /** Bumped by close()/drop: a channel opened for an older generation is closed at once. */
  let generation = 0
  /** close() was called: the adapter is retired, no channel is opened any more. */
  let shut = false

  const ctxOf = (rpc: PgRpcName): PgErrorContext => ({
    serverId: cfg.serverId,
    host: hostPort,
    transport: 'grpc',
    op: rpc,
  })

  async function credentials(): Promise<grpc.ChannelCredentials> {
    if (pin) {
      const timeoutMs = Math.min(10_000, cfg.timeoutMs)
      let leaf
      try {
        leaf = await probeTls({ host, port, alpn: ['h2'], timeoutMs })
      } catch (err) {
        throw new AppErrorException(
          mapNetworkError(err, {
            serverId: cfg.serverId,
            method: 'TLS handshake with',
            url: cfg.url,
            timeoutMs,
          }),
        )
      }
      if (!sameFingerprint(leaf.fingerprintSha256, pin)) {
        log.warn('pasarguard: pinned certificate mismatch, nothing sent', {
          serverId: cfg.serverId,
          presented: leaf.fingerprintSha256,
        })
        throw new AppErrorException(
          pinMismatchError(cfg.serverId, hostPort, pin, leaf.fingerprintSha256),
        )
      }
      // Trust exactly this leaf (a non-self-signed leaf too: partial chain), and re-check the
      // pin on every connection the channel makes.
      const context = createSecureContext({ ca: leaf.pem, allowPartialTrustChain: true })
      return grpc.credentials.createFromSecureContext(context, {
        checkServerIdentity: (_host: string, cert: PeerCertificate) => {
          const got = cert.raw ? certFingerprint(cert) : 'none'
          if (sameFingerprint(got, pin)) return undefined
          return Object.assign(new Error(`NODEDECK_PIN_MISMATCH: the server presented ${got}`), {
            code: 'ERR_NODEDECK_PIN_MISMATCH',
          })
        },
      })
    }
    // Host names are checked by grpc-js itself. For an IP address the channel sends a name as
    // SNI instead (Node refuses IPs there, RFC 6066, with a deprecation warning), so the check
    // against the real IP is done here — hostname checking stays on, as in the official client.
    const verify = ipHost
      ? {
          checkServerIdentity: (_h: string, cert: PeerCertificate) =>
            checkServerIdentity(ipHost, cert),
        }
      : undefined
    if (caPem) return grpc.credentials.createSsl(Buffer.from(caPem, 'utf8'), null, null, verify)
    return grpc.credentials.createSsl(null, null, null, verify)
  }

  function channel(): Promise<grpc.Client> {
    if (client) return Promise.resolve(client)
    if (shut) {
      return Promise.reject(
        new AppErrorException(
          appError(
            'network',
            `The connection to the PasarGuard node at ${hostPort} was closed (its settings changed or it was removed). Try again.`,
            { serverId: cfg.serverId },
          ),
        ),
      )
    }
    if (!opening) {
      const gen = generation
      opening = credentials()
        .then((creds) => {
          const c = new grpc.Client(
            target,
            creds,
            ipHost
              ? { ...CHANNEL_OPTIONS, 'grpc.ssl_target_name_override': SNI_FOR_IP }
              : CHANNEL_OPTIONS,
          )
          if (gen !== generation) {
            c.close()
            throw new AppErrorException(
              appError('network', `The connection to ${hostPort} was closed (settings changed).`, {
                serverId: cfg.serverId,
              }),
            )
          }
          client = c
          return c
        })
        .finally(() => {
          opening = null
        })
    }
    return opening
  }

  function drop() {
    generation++
    const c = client
    client = null
    c?.close()
  }

  async function metadata(): Promise<grpc.Metadata> {
    const md = new grpc.Metadata()
    const key = await cfg.getApiKey()
    if (key) md.set('x-api-key', key)
    return md
  }

  /** A grpc-js error → AppError; a transport UNAVAILABLE also drops the channel. */
  function mapError(rpc: PgRpcName, err: unknown): AppError {
    const e = err as Partial<grpc.ServiceError>
    if (typeof e.code !== 'number') return toAppError(err, cfg.serverId)
    const mapped = grpcStatusError(ctxOf(rpc), {
      code: e.code,
      details: e.details ?? e.message ?? '',
    })
    if (e.code === GRPC.UNAVAILABLE && !coreDownOf(mapped)) drop()
    return mapped
  }

  /**
   * A TLS failure of a pinned channel: the certificate may have been replaced. A bare handshake
   * tells, so the error names the presented fingerprint instead of a generic chain error.
   */
  async function explain(rpc: PgRpcName, err: unknown): Promise<AppError> {
    const mapped = mapError(rpc, err)
    if (!pin || mapped.code !== 'tls') return mapped
    try {
      const leaf = await probeTls({
        host,
        port,
        alpn: ['h2'],
        timeoutMs: Math.min(5000, cfg.timeoutMs),
      })
      if (!sameFingerprint(leaf.fingerprintSha256, pin)) {
        return pinMismatchError(cfg.serverId, hostPort, pin, leaf.fingerprintSha256)
      }
    } catch {
      // Unreachable now: the first error says enough.
    }
    return mapped
  }

  const serializer =
    <R extends PgRpcName>(rpc: R, counter?: { bytes: number }) =>
    (value: Partial<PgRequest<R>>): Buffer => {
      const bytes = pgEncode(PG_RPCS[rpc].request, value)
      if (counter) counter.bytes += bytes.byteLength
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    }
  const deserializer =
    <R extends PgRpcName>(rpc: R) =>
    (buf: Buffer): PgResponse<R> =>
      pgDecode(PG_RPCS[rpc].response, buf) as PgResponse<R>

  const deadlineOf = (opts: PgCallOptions) => Date.now() + (opts.timeoutMs ?? cfg.timeoutMs)

  /** Cancels `call` when `signal` aborts; returns the detach function. */
  function bindAbort(signal: AbortSignal | undefined, cancel: () => void): () => void {
    if (!signal) return () => undefined
    if (signal.aborted) {
      cancel()
      return () => undefined
    }
    signal.addEventListener('abort', cancel, { once: true })
    return () => signal.removeEventListener('abort', cancel)
  }

  return {
    kind: 'grpc',
    host: hostPort,
    async unary<R extends PgUnaryRpc>(
      rpc: R,
      request: Partial<PgRequest<R>>,
      opts: PgCallOptions = {},
    ): Promise<PgResponse<R>> {
      const c = await channel()
      const md = await metadata()
      const counter = { bytes: 0 }
      return new Promise<PgResponse<R>>((resolve, reject) => {
        let detach = () => undefined as void
        const call = c.makeUnaryRequest<Partial<PgRequest<R>>, PgResponse<R>>(
          grpcPath(rpc),
          serializer(rpc, counter),
          deserializer(rpc),
          request,
          md,
          { deadline: deadlineOf(opts) },
          (err, value) => {
            detach()
            if (opts.sent) opts.sent.bytes = counter.bytes
            if (err) explain(rpc, err).then((e) => reject(new AppErrorException(e)), reject)
            else if (value === undefined)
              reject(
                new AppErrorException(
                  mapError(rpc, { code: GRPC.INTERNAL, details: 'no response message' }),
                ),
              )
            else resolve(value)
          },
        )
        detach = bindAbort(opts.signal, () => call.cancel())
      })
    },
    async clientStream<R extends PgClientStreamRpc>(
      rpc: R,
      messages: Iterable<Partial<PgRequest<R>>> | AsyncIterable<Partial<PgRequest<R>>>,
      opts: PgCallOptions & { onProgress?: (p: PgStreamProgress) => void } = {},
    ) {
      const c = await channel()
      const md = await metadata()
      const counter = { bytes: 0 }
      let sent = 0
      let settled = false
      let call: grpc.ClientWritableStream<Partial<PgRequest<R>>> | null = null
      const result = new Promise<PgResponse<R>>((resolve, reject) => {
        call = c.makeClientStreamRequest<Partial<PgRequest<R>>, PgResponse<R>>(
          grpcPath(rpc),
          serializer(rpc, counter),
          deserializer(rpc),
          md,
          { deadline: deadlineOf(opts) },
          (err, value) => {
            settled = true
            if (err) explain(rpc, err).then((e) => reject(new AppErrorException(e)), reject)
            else if (value === undefined)
              reject(
                new AppErrorException(
                  mapError(rpc, { code: GRPC.INTERNAL, details: 'no response message' }),
                ),
              )
            else resolve(value)
          },
        )
      })
      // Keep the rejection observed while the messages are still being written.
      result.catch(() => undefined)
      const stream = call as unknown as grpc.ClientWritableStream<Partial<PgRequest<R>>>
      const detach = bindAbort(opts.signal, () => stream.cancel())
      try {
        for await (const m of messages) {
          if (settled) break
          const ok = stream.write(m)
          sent++
          opts.onProgress?.({ messages: sent, bytes: counter.bytes })
          if (!ok && !settled) {
            await Promise.race([
              once(stream, 'drain'),
              result.then(
                () => undefined,
                () => undefined,
              ),
            ])
          }
        }
        if (!settled) stream.end()
        const response = await result
        return { response, messages: sent, bytes: counter.bytes }
      } finally {
        detach()
      }
    },
    logs(sink) {
      return runReconnecting({
        serverId: cfg.serverId,
        what: `GetLogs of ${hostPort}`,
        log,
        onState: (s) => sink.state(s),
        attempt: async ({ live, signal }) => {
          const c = await channel()
          const md = await metadata()
          if (signal.aborted) return null
          return new Promise<AppError | null>((resolve) => {
            let done = false
            const call = c.makeServerStreamRequest<Partial<PgRequest<'GetLogs'>>, PbLog>(
              grpcPath('GetLogs'),
              serializer('GetLogs'),
              (buf: Buffer) => pgDecode('Log', buf),
              {},
              md,
              {},
            )
            const timer = setTimeout(live, PG_LOGS_LIVE_AFTER_MS)
            const finish = (e: AppError | null) => {
              if (done) return
              done = true
              clearTimeout(timer)
              signal.removeEventListener('abort', onAbort)
              resolve(e)
            }
            const onAbort = () => {
              call.cancel()
              finish(null)
            }
            signal.addEventListener('abort', onAbort, { once: true })
            call.on('metadata', () => live())
            call.on('data', (msg: PbLog) => {
              live()
              for (const line of splitLines(msg.detail)) sink.line(line)
            })
            call.on('error', (err: unknown) => {
              explain('GetLogs', err).then(finish, () => finish(mapError('GetLogs', err)))
            })
            call.on('status', (st: grpc.StatusObject) => {
              if (st.code === GRPC.OK) finish(null)
            })
          })
        },
      })
    },
    close() {
      shut = true
      drop()
    },
  }
}

/** A `Log.detail` as lines (a detail may hold several, or end with a newline). */
export function splitLines(detail: string): string[] {
  const lines = detail.split(/\r?\n/)
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop()
  return lines
}
