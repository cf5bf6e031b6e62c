import { isIP } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'

/**
 * The one place in NodeDeck that completes a TLS handshake without chain verification. It writes
 * nothing: it resolves with the socket right after the handshake so the caller can look at the
 * certificate before any byte goes out — the pinning connector (compare the SHA-256, then hand
 * the socket to undici or destroy it) and the certificate probe (read it for trust on first use,
 * then hang up). Everything else trusts the system's CAs or a CA given per server.
 */

/** The SNI name for a host: none for an IP address (RFC 6066 forbids it). */
export function sniFor(host: string): string | undefined {
  const bare = host.replace(/^\[|\]$/g, '')
  return isIP(bare) === 0 ? bare : undefined
}

export interface UnverifiedHandshake {
  host: string
  port: number
  /** SNI; default {@link sniFor}(host). */
  servername?: string
  /** ALPN protocols to offer, in order. */
  alpn: string[]
  /** Deadline (ms) for connect + handshake. */
  timeoutMs: number
  /** The error code of a timeout (the caller's error mapping knows it). */
  timeoutCode: string
  signal?: AbortSignal
}

/**
 * Connects and completes the handshake; resolves with the socket (nothing written, chain not
 * verified: `authorized`/`authorizationError` tell what the system's CAs think). The caller owns
 * the socket: destroy it or pass it on. Rejects with the raw socket error, a timeout with
 * `timeoutCode`, or `ABORT_ERR`.
 */
export function handshakeUnverified(t: UnverifiedHandshake): Promise<TLSSocket> {
  const host = t.host.replace(/^\[|\]$/g, '')
  return new Promise<TLSSocket>((resolve, reject) => {
    let done = false
    let socket: TLSSocket | null = null
    const finish = (err: Error | null) => {
      if (done) return
      done = true
      clearTimeout(timer)
      t.signal?.removeEventListener('abort', onAbort)
      if (err) {
        socket?.destroy()
        reject(err)
      } else resolve(socket as TLSSocket)
    }
    const onAbort = () =>
      finish(Object.assign(new Error('TLS handshake cancelled'), { code: 'ABORT_ERR' }))
    const timer = setTimeout(
      () => finish(Object.assign(new Error('TLS handshake timed out'), { code: t.timeoutCode })),
      t.timeoutMs,
    )
    if (t.signal?.aborted) {
      onAbort()
      return
    }
    t.signal?.addEventListener('abort', onAbort, { once: true })
    socket = tlsConnect({
      host,
      port: t.port,
      servername: t.servername ?? sniFor(host),
      rejectUnauthorized: false,
      ALPNProtocols: t.alpn,
    })
    socket.once('secureConnect', () => finish(null))
    socket.once('error', (err) => finish(err))
  })
}
