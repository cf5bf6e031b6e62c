import { X509Certificate } from 'node:crypto'
import type { AddressInfo, Socket } from 'node:net'
import { createServer, type Server } from 'node:tls'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { AppErrorException } from '../../../../shared/contract'
import { makeTestCert } from '../pasarguard/test-node'
import {
  certFingerprint,
  isSelfSigned,
  pinMismatchError,
  probeTls,
  sameFingerprint,
  tlsCertInfo,
} from './tls-probe'

let cert: { certPem: string; keyPem: string }
const servers: Server[] = []

beforeAll(() => {
  cert = makeTestCert()
})
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))))
})

/** A TLS server that counts the application bytes it receives after the handshake. */
async function tlsServer(alpn?: string[]): Promise<{ port: number; bytes: () => number }> {
  let bytes = 0
  const server = createServer({ cert: cert.certPem, key: cert.keyPem, ALPNProtocols: alpn })
  server.on('secureConnection', (s: Socket) => {
    s.on('data', (d: Buffer) => (bytes += d.length))
    s.on('error', () => undefined)
  })
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { port: (server.address() as AddressInfo).port, bytes: () => bytes }
}

describe('tls-probe', () => {
  it('reads the leaf, its fingerprint and the ALPN choice without writing a byte', async () => {
    const s = await tlsServer(['h2', 'http/1.1'])
    const r = await probeTls({ host: '127.0.0.1', port: s.port })
    expect(r.fingerprintSha256).toBe(new X509Certificate(cert.certPem).fingerprint256)
    expect(r.alpn).toBe('h2')
    expect(r.authorized).toBe(false)
    expect(r.authorizationError).toMatch(/SELF_SIGNED/)
    expect(r.pem).toContain('BEGIN CERTIFICATE')
    await new Promise((res) => setTimeout(res, 50))
    expect(s.bytes()).toBe(0)
  })

  it('reports no ALPN when the server chose none', async () => {
    const s = await tlsServer()
    const r = await probeTls({ host: '127.0.0.1', port: s.port, alpn: ['http/1.1'] })
    expect(r.alpn).toBeNull()
  })

  it('tlsCertInfo: what the add dialog shows (self-signed, not system-trusted, SAN, days)', async () => {
    const s = await tlsServer(['http/1.1'])
    const info = await tlsCertInfo(`https://127.0.0.1:${s.port}`)
    expect(info.fingerprintSha256).toBe(certFingerprint(new X509Certificate(cert.certPem)))
    expect(info.subject).toBe('CN=localhost')
    expect(info.subjectAltName).toContain('IP Address:127.0.0.1')
    expect(info.selfSigned).toBe(true)
    expect(info.trustedBySystem).toBe(false)
    expect(info.systemError).toBe('DEPTH_ZERO_SELF_SIGNED_CERT')
    expect(info.daysLeft).toBeGreaterThanOrEqual(1)
    expect(info.daysLeft).toBeLessThanOrEqual(2)
    expect(info.alpn).toBe('http/1.1')
    expect(s.bytes()).toBe(0)
  })

  it('tlsCertInfo: refused connections and http:// addresses are explained', async () => {
    const s = await tlsServer()
    const port = s.port
    await new Promise((r) => servers.pop()?.close(r))
    const e = await tlsCertInfo(`https://127.0.0.1:${port}`).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(AppErrorException)
    expect((e as AppErrorException).appError.code).toBe('network')
    expect((e as AppErrorException).appError.serverId).toBeUndefined()
    const h = await tlsCertInfo('http://127.0.0.1:1').catch((x: unknown) => x)
    expect((h as AppErrorException).appError.code).toBe('invalid_input')
  })

  it('fingerprints compare in any form; the mismatch error names both and the way out', () => {
    const f = new X509Certificate(cert.certPem).fingerprint256
    expect(sameFingerprint(f, f.replace(/:/g, '').toLowerCase())).toBe(true)
    expect(sameFingerprint(f, '')).toBe(false)
    expect(isSelfSigned(new X509Certificate(cert.certPem))).toBe(true)
    const e = pinMismatchError('s1', 'node:62050', f.toLowerCase(), 'AA:BB')
    expect(e.code).toBe('tls')
    expect(e.message).toContain(f)
    expect(e.message).toContain('AA:BB')
    expect(e.message).toMatch(/Nothing was sent/)
    expect(e.params?.expected).toBe(f)
  })
})
