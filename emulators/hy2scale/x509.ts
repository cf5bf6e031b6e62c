/**
 * Just enough X.509 for the HY2 SCALE emulator's `/api/tls/*`: builds real DER certificates
 * (self-signed ECDSA P-256 like upstream `TLSStore.Generate`, RSA-2048 leaves signed by a CA
 * like `SignWithCA`, and CA certificates for fixtures) with `node:crypto` signing, and reads
 * PEM the way Go's `pem.Decode` + `x509.ParseCertificate` accept it.
 */
import {
  X509Certificate,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto'

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n])
  const bytes: number[] = []
  while (n > 0) {
    bytes.unshift(n & 0xff)
    n >>= 8
  }
  return Buffer.from([0x80 | bytes.length, ...bytes])
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content)
  return Buffer.concat([Buffer.from([tag]), len(body.length), body])
}

const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c)
const set = (...c: Buffer[]): Buffer => tlv(0x31, ...c)
const ctx = (n: number, ...c: Buffer[]): Buffer => tlv(0xa0 + n, ...c)
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'))
const bool = (b: boolean): Buffer => tlv(0x01, Buffer.from([b ? 0xff : 0]))
const octets = (b: Buffer): Buffer => tlv(0x04, b)
const bits = (b: Buffer, unused = 0): Buffer => tlv(0x03, Buffer.from([unused]), b)

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number)
  const out: number[] = [(parts[0] as number) * 40 + (parts[1] as number)]
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f]
    let v = p >> 7
    while (v > 0) {
      stack.unshift((v & 0x7f) | 0x80)
      v >>= 7
    }
    out.push(...stack)
  }
  return tlv(0x06, Buffer.from(out))
}

function integer(b: Buffer): Buffer {
  let i = 0
  while (i < b.length - 1 && b[i] === 0) i++
  let v = b.subarray(i)
  if (((v[0] as number) & 0x80) !== 0) v = Buffer.concat([Buffer.from([0]), v])
  return tlv(0x02, v)
}

function time(d: Date): Buffer {
  const y = d.getUTCFullYear()
  const p = (n: number): string => String(n).padStart(2, '0')
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`
  if (y >= 1950 && y < 2050) return tlv(0x17, Buffer.from(`${p(y % 100)}${rest}`, 'ascii'))
  return tlv(0x18, Buffer.from(`${y}${rest}`, 'ascii'))
}

function name(cn: string): Buffer {
  return cn === '' ? seq() : seq(set(seq(oid('2.5.4.3'), utf8(cn))))
}

/** What to put in a certificate. */
export interface CertSpec {
  commonName: string
  dnsNames?: string[]
  notBefore: Date
  notAfter: Date
  isCA?: boolean
  /** Subject public key. */
  publicKey: KeyObject
  /** Issuer common name (self-signed: = commonName). */
  issuerCN: string
  /** Key that signs (the issuer's private key). */
  signer: KeyObject
}

/** Builds and signs a certificate; returns its PEM. */
export function buildCertificate(spec: CertSpec): string {
  const ec = spec.signer.asymmetricKeyType === 'ec'
  const sigAlg = ec ? seq(oid('1.2.840.10045.4.3.2')) : seq(oid('1.2.840.113549.1.1.11'), tlv(0x05))
  const exts: Buffer[] = []
  // keyUsage: digitalSignature (+ keyCertSign for a CA), critical
  const ku = spec.isCA ? Buffer.from([0x84]) : Buffer.from([0x80])
  exts.push(seq(oid('2.5.29.15'), bool(true), octets(bits(ku, spec.isCA ? 2 : 7))))
  if (!spec.isCA) {
    exts.push(seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.1')))))
  }
  // Go's templates leave BasicConstraintsValid unset for leaves: no extension then.
  if (spec.isCA) exts.push(seq(oid('2.5.29.19'), bool(true), octets(seq(bool(true)))))
  if (spec.dnsNames !== undefined && spec.dnsNames.length > 0) {
    const names = spec.dnsNames.map((d) => tlv(0x82, Buffer.from(d, 'ascii')))
    exts.push(seq(oid('2.5.29.17'), octets(seq(...names))))
  }
  const serial = randomBytes(16)
  serial[0] = (serial[0] as number) & 0x7f
  const spki = spec.publicKey.export({ type: 'spki', format: 'der' })
  const tbs = seq(
    ctx(0, integer(Buffer.from([2]))),
    integer(serial),
    sigAlg,
    name(spec.issuerCN),
    seq(time(spec.notBefore), time(spec.notAfter)),
    name(spec.commonName),
    spki,
    ctx(3, seq(...exts)),
  )
  const signature = sign('sha256', tbs, ec ? { key: spec.signer, dsaEncoding: 'der' } : spec.signer)
  const der = seq(tbs, sigAlg, bits(signature))
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n')
  return `-----BEGIN CERTIFICATE-----\n${b64.endsWith('\n') ? b64 : `${b64}\n`}-----END CERTIFICATE-----\n`
}

/** A generated certificate with its key, both PEM. */
export interface CertAndKey {
  cert: string
  key: string
}

/** Upstream `Generate`: self-signed ECDSA P-256, CN = domains[0], SANs = domains; key as `EC PRIVATE KEY`. */
export function generateSelfSigned(
  domains: string[],
  days: number,
  now: Date,
  isCA = false,
): CertAndKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
  const cn = domains[0] ?? ''
  const cert = buildCertificate({
    commonName: cn,
    dnsNames: isCA ? undefined : domains,
    notBefore: now,
    notAfter: new Date(now.getTime() + days * 86_400_000),
    isCA,
    publicKey,
    issuerCN: cn,
    signer: privateKey,
  })
  return { cert, key: privateKey.export({ type: 'sec1', format: 'pem' }).toString() }
}

/** Upstream `SignWithCA`: RSA-2048 leaf, CN/SAN = cn, key as `RSA PRIVATE KEY`. */
export function signWithCA(
  caKeyPem: string,
  caCN: string,
  cn: string,
  days: number,
  now: Date,
): CertAndKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const cert = buildCertificate({
    commonName: cn,
    dnsNames: [cn],
    notBefore: now,
    notAfter: new Date(now.getTime() + days * 86_400_000),
    publicKey,
    issuerCN: caCN,
    signer: createPrivateKey(caKeyPem),
  })
  return { cert, key: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() }
}

/** Go's `pem.Decode`: the first block of any type, or null. */
export function pemDecodeFirst(text: string): { type: string; der: Buffer } | null {
  const re = /-----BEGIN ([^\r\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/g
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    let body = m[2] as string
    // Optional RFC 1421 headers end at a blank line.
    if (/^[^\r\n]*:/.test(body)) {
      const blank = body.search(/\r?\n\r?\n/)
      if (blank < 0) continue
      body = body.slice(blank).trim()
    }
    const b64 = body.replace(/\s+/g, '')
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) continue
    return { type: m[1] as string, der: Buffer.from(b64, 'base64') }
  }
  return null
}

/** The CertInfo facts upstream reads from a certificate. */
export interface ParsedCert {
  subjectCN: string
  issuerCN: string
  /** `NotAfter.Format("2006-01-02")` (UTC). */
  notAfter: string
  isCA: boolean
}

function cnOf(dn: string): string {
  for (const line of dn.split('\n')) if (line.startsWith('CN=')) return line.slice(3)
  return ''
}

/** `x509.ParseCertificate` on a DER blob; null if it is not a certificate. */
export function parseCertificateDer(der: Buffer): ParsedCert | null {
  try {
    const x = new X509Certificate(der)
    const d = new Date(x.validTo)
    return {
      subjectCN: cnOf(x.subject),
      issuerCN: cnOf(x.issuer),
      notAfter: Number.isNaN(d.getTime()) ? '0001-01-01' : d.toISOString().slice(0, 10),
      isCA: x.ca,
    }
  } catch {
    return null
  }
}

/** WireGuard public key (base64) of a base64 X25519 private key; null if invalid (Go: not 32 bytes). */
export function wgPublicKey(privB64: string): string | null {
  const raw = Buffer.from(privB64, 'base64')
  if (raw.length !== 32 || raw.toString('base64') !== privB64) return null
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), raw])
  const key = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
  const jwk = createPublicKey(key).export({ format: 'jwk' })
  return Buffer.from(jwk.x ?? '', 'base64url').toString('base64')
}

/** Upstream `GenerateWireGuardKey`: clamped random private key and its public key (base64). */
export function wgGenerateKey(): { privateKey: string; publicKey: string } {
  const priv = randomBytes(32)
  priv[0] = (priv[0] as number) & 248
  priv[31] = ((priv[31] as number) & 127) | 64
  const privateKey = priv.toString('base64')
  return { privateKey, publicKey: wgPublicKey(privateKey) ?? '' }
}
