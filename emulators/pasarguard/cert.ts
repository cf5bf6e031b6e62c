/**
 * The PasarGuard node's default server certificate, as its Makefile `generate_server_cert`
 * makes it: `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 3650 -nodes
 * -subj "/CN=localhost" -addext "subjectAltName = DNS:localhost,IP:127.0.0.1"`. OpenSSL 3's
 * default `v3_ca` section adds subjectKeyIdentifier, authorityKeyIdentifier and a critical
 * `CA:TRUE`; the key is written as PKCS#8 (`PRIVATE KEY`). Built with node:crypto (no openssl).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto'
import { isIP } from 'node:net'

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff)
  return Buffer.from([0x80 | bytes.length, ...bytes])
}
const tlv = (tag: number, body: Buffer): Buffer =>
  Buffer.concat([Buffer.from([tag]), len(body.length), body])
const seq = (...parts: Buffer[]): Buffer => tlv(0x30, Buffer.concat(parts))
const set = (...parts: Buffer[]): Buffer => tlv(0x31, Buffer.concat(parts))
const octets = (b: Buffer): Buffer => tlv(0x04, b)
const bits = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]))
const ctx = (n: number, b: Buffer): Buffer => tlv(0xa0 + n, b)

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const out: number[] = [(parts[0] as number) * 40 + (parts[1] as number)]
  for (const p of parts.slice(2)) {
    const chunk: number[] = []
    let v = p
    do {
      chunk.unshift(v & 0x7f)
      v = Math.floor(v / 128)
    } while (v > 0)
    for (let i = 0; i < chunk.length - 1; i++) chunk[i] = (chunk[i] as number) | 0x80
    out.push(...chunk)
  }
  return tlv(0x06, Buffer.from(out))
}

function integer(b: Buffer): Buffer {
  let v = b
  while (v.length > 1 && v[0] === 0 && ((v[1] as number) & 0x80) === 0) v = v.subarray(1)
  if (((v[0] as number) & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v])
  return tlv(0x02, v)
}

function time(d: Date): Buffer {
  const p = (n: number): string => String(n).padStart(2, '0')
  const y = d.getUTCFullYear()
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(`${p(y % 100)}${rest}`, 'ascii'))
  return tlv(0x18, Buffer.from(`${y}${rest}`, 'ascii'))
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number))
  // IPv6: expand "::"
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined]
  const h = head ? head.split(':') : []
  const t = tail !== undefined && tail !== '' ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t]
  const out = Buffer.alloc(16)
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g as string, 16), i * 2))
  return out
}

/** A PEM certificate with its PEM key and the leaf's SHA-256 fingerprint. */
export interface NodeCert {
  certPem: string
  keyPem: string
}

/**
 * Self-signed EC P-256 certificate like the node's Makefile makes it (CN, SAN DNS names and IP
 * addresses), valid `days` days from `now`.
 */
export function generateNodeCert(
  opts: { commonName?: string; dns?: string[]; ips?: string[]; days?: number; now?: Date } = {},
): NodeCert {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const cn = opts.commonName ?? 'localhost'
  const dns = opts.dns ?? ['localhost']
  const ips = opts.ips ?? ['127.0.0.1']
  const now = opts.now ?? new Date()
  const notAfter = new Date(now.getTime() + (opts.days ?? 3650) * 86_400_000)
  const spki = publicKey.export({ type: 'spki', format: 'der' })
  // SubjectPublicKeyInfo = SEQ { algorithm SEQ, BIT STRING }: the key id hashes the bit string's bytes.
  const pointStart = spki.length - 65
  const ski = createHash('sha1').update(spki.subarray(pointStart)).digest()
  const sigAlg = seq(oid('1.2.840.10045.4.3.2'))
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))))
  const san = [
    ...dns.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
    ...ips.map((ip) => tlv(0x87, ipBytes(ip))),
  ]
  const exts = seq(
    seq(oid('2.5.29.14'), octets(octets(ski))),
    seq(oid('2.5.29.35'), octets(seq(tlv(0x80, ski)))),
    seq(
      oid('2.5.29.19'),
      tlv(0x01, Buffer.from([0xff])),
      octets(seq(tlv(0x01, Buffer.from([0xff])))),
    ),
    seq(oid('2.5.29.17'), octets(seq(...san))),
  )
  const serial = randomBytes(20)
  serial[0] = (serial[0] as number) & 0x7f
  const tbs = seq(
    ctx(0, integer(Buffer.from([2]))),
    integer(serial),
    sigAlg,
    name,
    seq(time(now), time(notAfter)),
    name,
    spki,
    ctx(3, exts),
  )
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' })
  const der = seq(tbs, sigAlg, bits(signature))
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n')
  const certPem = `-----BEGIN CERTIFICATE-----\n${b64.endsWith('\n') ? b64 : `${b64}\n`}-----END CERTIFICATE-----\n`
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
  return { certPem, keyPem }
}

/** SHA-256 of the first certificate's DER, upper-case colon hex (as `X509Certificate.fingerprint256`). */
export function certFingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256
}
