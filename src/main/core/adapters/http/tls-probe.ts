import { X509Certificate } from 'node:crypto'
import type { PeerCertificate } from 'node:tls'
import type { AppError, TlsCertInfo } from '../../../../shared/contract'
import { AppErrorException, appError } from '../../../../shared/contract'
import { redactUrl } from '../../util/redact'
import { mapNetworkError, normalizeFingerprint } from './http-client'
import { handshakeUnverified } from './tls-handshake'

/**
 * TLS facts read from a handshake that sends nothing else: no request byte, no secret. Shared by
 * the REST and gRPC transports (certificate pinning) and by `servers.probeTls` (trust on first
 * use in the add dialog), so every path computes fingerprints the same way.
 */

/** Upper-case colon-separated SHA-256 of a certificate's DER (as `normalizeFingerprint`). */
export function certFingerprint(cert: Pick<PeerCertificate, 'raw'> | X509Certificate): string {
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert.raw)
  return normalizeFingerprint(x509.fingerprint256)
}

/** True when two fingerprints name the same certificate (any case, with or without colons). */
export function sameFingerprint(a: string, b: string): boolean {
  const x = normalizeFingerprint(a)
  return x.length === 95 && x === normalizeFingerprint(b)
}

/** Where to connect and what to offer. */
export interface TlsProbeTarget {
  host: string
  port: number
  /** ALPN protocols to offer, in order; default `['h2', 'http/1.1']`. */
  alpn?: string[]
  /** Total deadline (ms) for connect + handshake; default 10000. */
  timeoutMs?: number
  signal?: AbortSignal
}

/** What a handshake showed. */
export interface TlsProbeResult {
  /** The leaf certificate (DER inside). */
  cert: X509Certificate
  fingerprintSha256: string
  /** The leaf as PEM. */
  pem: string
  /** The ALPN protocol the server chose, or null when it chose none. */
  alpn: string | null
  /** The system's CA store accepts the chain and the host name. */
  authorized: boolean
  /** Why not (OpenSSL's code, or `ERR_TLS_CERT_ALTNAME_INVALID`); null when authorized. */
  authorizationError: string | null
}

/**
 * Connects, completes the TLS handshake and hangs up without writing a byte
 * ({@link handshakeUnverified}). Chain errors do not fail the probe: they are reported as
 * `authorized: false` with the reason, which is what a pin or a trust-on-first-use decision
 * needs. Throws the raw socket error (ECONNREFUSED, TLS alerts such as
 * `ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL`, timeouts as `ETIMEDOUT`).
 */
export async function probeTls(target: TlsProbeTarget): Promise<TlsProbeResult> {
  const s = await handshakeUnverified({
    host: target.host,
    port: target.port,
    alpn: target.alpn ?? ['h2', 'http/1.1'],
    timeoutMs: target.timeoutMs ?? 10_000,
    timeoutCode: 'ETIMEDOUT',
    signal: target.signal,
  })
  try {
    const peer = s.getPeerCertificate()
    if (!peer || !peer.raw) {
      throw Object.assign(new Error('no peer certificate'), { code: 'ERR_TLS_NO_PEER_CERT' })
    }
    const cert = new X509Certificate(peer.raw)
    const authErr = s.authorizationError as unknown
    return {
      cert,
      fingerprintSha256: certFingerprint(cert),
      pem: cert.toString(),
      alpn: typeof s.alpnProtocol === 'string' ? s.alpnProtocol : null,
      authorized: s.authorized,
      authorizationError: s.authorized
        ? null
        : authErr instanceof Error
          ? (((authErr as NodeJS.ErrnoException).code ?? authErr.message) as string)
          : authErr
            ? String(authErr)
            : 'UNKNOWN',
    }
  } finally {
    s.destroy()
  }
}

/** Host and port of an https URL (default port 443). */
export function hostPortOf(url: URL): { host: string; port: number } {
  return { host: url.hostname, port: url.port ? Number(url.port) : 443 }
}

/** `servers.probeTls`: the certificate an https URL presents, for the add dialog. */
export async function tlsCertInfo(
  rawUrl: string,
  opts: { timeoutMs?: number; signal?: AbortSignal; now?: number } = {},
): Promise<TlsCertInfo> {
  const url = new URL(rawUrl)
  if (url.protocol !== 'https:') {
    throw new AppErrorException(
      appError(
        'invalid_input',
        `${redactUrl(url)} is not an https:// address: there is no certificate to read.`,
        { params: { field: 'url' } },
      ),
    )
  }
  const { host, port } = hostPortOf(url)
  const timeoutMs = opts.timeoutMs ?? 10_000
  let r: TlsProbeResult
  try {
    r = await probeTls({ host, port, timeoutMs, signal: opts.signal })
  } catch (err) {
    const e = mapNetworkError(err, { serverId: '', method: 'TLS handshake with', url, timeoutMs })
    delete e.serverId
    throw new AppErrorException(e)
  }
  const { cert } = r
  const validTo = Date.parse(cert.validTo)
  const now = opts.now ?? Date.now()
  return {
    fingerprintSha256: r.fingerprintSha256,
    subject: dnText(cert.subject),
    issuer: dnText(cert.issuer),
    subjectAltName: cert.subjectAltName ?? '',
    validFrom: cert.validFrom,
    validTo: cert.validTo,
    daysLeft: Number.isFinite(validTo) ? Math.floor((validTo - now) / 86_400_000) : 0,
    selfSigned: isSelfSigned(cert),
    trustedBySystem: r.authorized,
    systemError: r.authorizationError,
    pem: r.pem,
    alpn: r.alpn,
  }
}

/** `CN=a\nO=b` → `CN=a, O=b`. */
function dnText(dn: string): string {
  return dn
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean)
    .join(', ')
}

/** Issued by itself and signed by its own key. */
export function isSelfSigned(cert: X509Certificate): boolean {
  try {
    return cert.checkIssued(cert) && cert.verify(cert.publicKey)
  } catch {
    return false
  }
}

/**
 * The refusal of a server whose certificate is not the pinned one: which server, both
 * fingerprints, that nothing was sent, and what to do.
 */
export function pinMismatchError(
  serverId: string,
  host: string,
  expected: string,
  presented: string,
): AppError {
  return appError(
    'tls',
    `The certificate of ${host} does not match the pinned fingerprint: expected ${normalizeFingerprint(expected)}, the server presented ${presented}. Nothing was sent (no request, no API key). If the node's certificate was replaced on purpose, check the new fingerprint on the node (openssl x509 -noout -fingerprint -sha256 -in ssl_cert.pem) and update it in the server's settings; otherwise something is intercepting the connection.`,
    {
      serverId,
      params: {
        code: 'ERR_NODEDECK_PIN_MISMATCH',
        expected: normalizeFingerprint(expected),
        fingerprint: presented,
      },
    },
  )
}
