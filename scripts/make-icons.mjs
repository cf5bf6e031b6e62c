#!/usr/bin/env node
/**
 * Draws NodeDeck's icons with pure Node (zlib + a tiny PNG encoder), so no image tool is
 * needed on any machine. Run `node scripts/make-icons.mjs` and commit the PNGs in resources/.
 *
 * The glyph: a rounded square "deck" (with a second plate behind it on the app icon) holding
 * three white node dots joined by links. Tray icons come in three states, which only change the
 * deck colour: normal (blue), offline (red), unknown / paused (grey).
 *
 * Output (resources/):
 *   icon.png                              512×512 app icon
 *   tray-<state>-16.png  (+ @2x = 32 px)  Windows / macOS tray
 *   tray-<state>-32.png  (+ @2x = 64 px)  Linux tray (larger panels, no @2x lookup)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { deflateSync } from 'node:zlib'

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'resources')

// ---------------------------------------------------------------------------------------------
// PNG encoder (RGBA 8-bit, filter 0 on every row)

const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})

function crc32(buf) {
  let c = 0xffffffff
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function chunk(type, data) {
  const len = Buffer.alloc(4)
  len.writeUInt32BE(data.length)
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data])
  const crc = Buffer.alloc(4)
  crc.writeUInt32BE(crc32(body))
  return Buffer.concat([len, body, crc])
}

/** Encodes `rgba` (width*height*4 bytes, straight alpha) as a PNG file. */
function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13)
  ihdr.writeUInt32BE(width, 0)
  ihdr.writeUInt32BE(height, 4)
  ihdr[8] = 8 // bit depth
  ihdr[9] = 6 // colour type RGBA
  ihdr[10] = 0
  ihdr[11] = 0
  ihdr[12] = 0
  const raw = Buffer.alloc((width * 4 + 1) * height)
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0
    rgba.copy(raw, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4)
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ])
}

// ---------------------------------------------------------------------------------------------
// A tiny rasterizer: shapes are signed distance functions in a unit square [0,1]², covered by
// supersampling; colours are composited "over" in premultiplied space.

function sdRoundRect(px, py, cx, cy, hw, hh, r) {
  const qx = Math.abs(px - cx) - hw + r
  const qy = Math.abs(py - cy) - hh + r
  const ox = Math.max(qx, 0)
  const oy = Math.max(qy, 0)
  return Math.hypot(ox, oy) + Math.min(Math.max(qx, qy), 0) - r
}

function sdCircle(px, py, cx, cy, r) {
  return Math.hypot(px - cx, py - cy) - r
}

function sdSegment(px, py, ax, ay, bx, by, w) {
  const pax = px - ax
  const pay = py - ay
  const bax = bx - ax
  const bay = by - ay
  const h = Math.max(0, Math.min(1, (pax * bax + pay * bay) / (bax * bax + bay * bay)))
  return Math.hypot(pax - bax * h, pay - bay * h) - w / 2
}

function hex(c) {
  const n = parseInt(c.slice(1), 16)
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255]
}

function mix(a, b, t) {
  return a.map((v, i) => v + (b[i] - v) * t)
}

/**
 * Renders `layers` (drawn in order) at `size` px. A layer is `{ sdf(x, y), color(x, y) }`,
 * `color` returning [r, g, b, a] with a in 0..1.
 */
function render(size, layers, samples = 4) {
  const out = Buffer.alloc(size * size * 4)
  const n = samples * samples
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0
      let g = 0
      let b = 0
      let a = 0
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const u = (x + (sx + 0.5) / samples) / size
          const v = (y + (sy + 0.5) / samples) / size
          // premultiplied "over", per sample
          let pr = 0
          let pg = 0
          let pb = 0
          let pa = 0
          for (const layer of layers) {
            if (layer.sdf(u, v) > 0) continue
            const [cr, cg, cb, ca] = layer.color(u, v)
            pr = cr * ca + pr * (1 - ca)
            pg = cg * ca + pg * (1 - ca)
            pb = cb * ca + pb * (1 - ca)
            pa = ca + pa * (1 - ca)
          }
          r += pr
          g += pg
          b += pb
          a += pa
        }
      }
      const i = (y * size + x) * 4
      const alpha = a / n
      out[i] = alpha > 0 ? Math.round(r / n / alpha) : 0
      out[i + 1] = alpha > 0 ? Math.round(g / n / alpha) : 0
      out[i + 2] = alpha > 0 ? Math.round(b / n / alpha) : 0
      out[i + 3] = Math.round(alpha * 255)
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// The glyph

const WHITE = [255, 255, 255, 1]

/** Three nodes in a triangle and the links between them, in unit coordinates. */
function nodeLayers({ cx, cy, spread, dot, link, linkAlpha = 0.85, broken = -1 }) {
  const nodes = [
    [cx, cy - spread * 0.62],
    [cx - spread * 0.72, cy + spread * 0.5],
    [cx + spread * 0.72, cy + spread * 0.5],
  ]
  const layers = []
  if (link > 0) {
    for (let i = 0; i < nodes.length; i++) {
      if (i === broken) continue
      const [ax, ay] = nodes[i]
      const [bx, by] = nodes[(i + 1) % nodes.length]
      layers.push({
        sdf: (x, y) => sdSegment(x, y, ax, ay, bx, by, link),
        color: () => [255, 255, 255, linkAlpha],
      })
    }
  }
  for (const [nx, ny] of nodes) {
    layers.push({ sdf: (x, y) => sdCircle(x, y, nx, ny, dot), color: () => WHITE })
  }
  return layers
}

/** The 512 px application icon: a deck of two plates, the front one carrying the nodes. */
function appIcon(size) {
  const top = hex('#3b8cff')
  const bottom = hex('#1c4fd8')
  const back = hex('#0f2f7a')
  const layers = [
    // the plate behind, peeking out below: the "deck"
    {
      sdf: (x, y) => sdRoundRect(x, y, 0.5, 0.555, 0.38, 0.37, 0.11),
      color: () => [...back, 0.9],
    },
    // the front plate, with a vertical gradient
    {
      sdf: (x, y) => sdRoundRect(x, y, 0.5, 0.47, 0.4, 0.38, 0.12),
      color: (_x, y) => [...mix(top, bottom, (y - 0.09) / 0.76), 1],
    },
    ...nodeLayers({ cx: 0.5, cy: 0.49, spread: 0.25, dot: 0.072, link: 0.034 }),
  ]
  return render(size, layers, 3)
}

/**
 * A tray icon: one plate in the state colour with the nodes; no deck at this size. Colour is
 * not the only cue (colour blindness): offline loses a link, unknown has faint links.
 */
function trayIcon(size, { color, broken = -1, linkAlpha = 0.85 }) {
  const c = hex(color)
  const small = size <= 16
  const layers = [
    { sdf: (x, y) => sdRoundRect(x, y, 0.5, 0.5, 0.48, 0.48, 0.2), color: () => [...c, 1] },
    ...nodeLayers({
      cx: 0.5,
      cy: 0.52,
      spread: 0.36,
      dot: small ? 0.12 : 0.105,
      link: small ? 0.07 : 0.055,
      linkAlpha,
      broken,
    }),
  ]
  return render(size, layers, 6)
}

const TRAY_STATES = {
  normal: { color: '#2f6fe4' },
  offline: { color: '#d8283c', broken: 2 },
  unknown: { color: '#8a8f98', linkAlpha: 0.35 },
}

mkdirSync(OUT, { recursive: true })
const written = []
function write(name, size, rgba) {
  writeFileSync(join(OUT, name), encodePng(size, size, rgba))
  written.push(`${name} (${size}×${size})`)
}

write('icon.png', 512, appIcon(512))
for (const [state, style] of Object.entries(TRAY_STATES)) {
  for (const base of [16, 32]) {
    write(`tray-${state}-${base}.png`, base, trayIcon(base, style))
    write(`tray-${state}-${base}@2x.png`, base * 2, trayIcon(base * 2, style))
  }
}
process.stdout.write(`wrote ${written.length} files to ${OUT}:\n  ${written.join('\n  ')}\n`)
