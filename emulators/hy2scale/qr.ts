/**
 * `/api/wireguard/qr`: upstream calls `qrcode.Encode(text, qrcode.Medium, 512)` (skip2/go-qrcode):
 * a 512×512 two-colour paletted PNG (white, black) of the symbol with a 4-module quiet zone,
 * each pixel mapped to the nearest module. The symbol comes from the `qrcode` package
 * (error correction M); the PNG is written here (1-bit palette, like Go's encoder).
 */
import { deflateSync } from 'node:zlib'
import QRCode from 'qrcode'

/** Upstream's image size. */
export const PNG_SIZE = 512

const QUIET_ZONE = 4

const CRC_TABLE = (() => {
  const t = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    t[n] = c >>> 0
  }
  return t
})()

function crc32(buf: Buffer): number {
  let c = 0xffffffff
  for (const b of buf) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(td))
  return Buffer.concat([len, td, crc])
}

/** Renders `text` as upstream does; an Error if the text does not fit in a QR code. */
export function renderQrPng(text: string, size: number): Buffer | Error {
  let qr: QRCode.QRCode
  try {
    qr = QRCode.create(text, { errorCorrectionLevel: 'M' })
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e))
  }
  const n = qr.modules.size
  const real = n + QUIET_ZONE * 2
  if (size < real) size = real
  const dark = (x: number, y: number): boolean => {
    const mx = x - QUIET_ZONE
    const my = y - QUIET_ZONE
    if (mx < 0 || my < 0 || mx >= n || my >= n) return false
    return qr.modules.get(my, mx) !== 0
  }
  const rowBytes = Math.ceil(size / 8)
  const raw = Buffer.alloc((rowBytes + 1) * size)
  const perPixel = real / size
  for (let y = 0; y < size; y++) {
    const y2 = Math.floor(y * perPixel)
    const off = y * (rowBytes + 1)
    for (let x = 0; x < size; x++) {
      if (dark(Math.floor(x * perPixel), y2)) {
        const i = off + 1 + (x >> 3)
        raw[i] = (raw[i] as number) | (0x80 >> (x & 7))
      }
    }
  }
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(size, 0)
  ihdr.writeUInt32BE(size, 4)
  ihdr[8] = 1 // bit depth
  ihdr[9] = 3 // palette
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('PLTE', Buffer.from([0xff, 0xff, 0xff, 0, 0, 0])),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ])
}
