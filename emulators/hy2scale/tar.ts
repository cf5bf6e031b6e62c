/**
 * A minimal ustar writer and reader (pure Node) for the emulator's `/api/backup` and
 * `/api/restore`, shaped like Go's `archive/tar` output for a data-directory walk.
 */

/** One archive member: a directory (no data) or a regular file. */
export interface TarEntry {
  name: string
  dir?: boolean
  data?: Buffer
  mode?: number
  mtime?: Date
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`
}

function header(e: TarEntry): Buffer {
  const h = Buffer.alloc(512)
  const name = e.dir === true && !e.name.endsWith('/') ? `${e.name}/` : e.name
  h.write(name.slice(0, 100), 0, 'utf8')
  h.write(octal(e.mode ?? (e.dir === true ? 0o755 : 0o644), 8), 100, 'ascii')
  h.write(octal(0, 8), 108, 'ascii')
  h.write(octal(0, 8), 116, 'ascii')
  h.write(octal(e.dir === true ? 0 : (e.data?.length ?? 0), 12), 124, 'ascii')
  h.write(octal(Math.floor((e.mtime ?? new Date()).getTime() / 1000), 12), 136, 'ascii')
  h.write('        ', 148, 'ascii')
  h.write(e.dir === true ? '5' : '0', 156, 'ascii')
  h.write('ustar\0', 257, 'ascii')
  h.write('00', 263, 'ascii')
  let sum = 0
  for (const b of h) sum += b
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii')
  return h
}

/** Serialises entries as a ustar archive (two zero blocks at the end, like `tar.Writer.Close`). */
export function writeTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = []
  for (const e of entries) {
    parts.push(header(e))
    if (e.dir !== true && e.data !== undefined && e.data.length > 0) {
      parts.push(e.data)
      const pad = (512 - (e.data.length % 512)) % 512
      if (pad > 0) parts.push(Buffer.alloc(pad))
    }
  }
  parts.push(Buffer.alloc(1024))
  return Buffer.concat(parts)
}

/** Reads an archive like Go's `tar.Reader`; returns entries or Go's error text. */
export function readTar(buf: Buffer): { entries: TarEntry[] } | { error: string } {
  const entries: TarEntry[] = []
  let off = 0
  for (;;) {
    if (off >= buf.length) return { entries } // io.EOF
    if (off + 512 > buf.length) return { error: 'unexpected EOF' }
    const h = buf.subarray(off, off + 512)
    if (h.every((b) => b === 0)) {
      const next = buf.subarray(off + 512, off + 1024)
      if (next.length < 512 && off + 512 < buf.length) return { error: 'unexpected EOF' }
      return { entries }
    }
    let sum = 0
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] as number)
    const stored = parseInt(h.toString('ascii', 148, 156).replace(/[\0 ]/g, ''), 8)
    if (Number.isNaN(stored) || stored !== sum) return { error: 'archive/tar: invalid tar header' }
    const nul = (a: number, b: number): string => {
      const s = h.subarray(a, b)
      const z = s.indexOf(0)
      return (z < 0 ? s : s.subarray(0, z)).toString('utf8')
    }
    let name = nul(0, 100)
    if (h.toString('ascii', 257, 262) === 'ustar') {
      const prefix = nul(345, 500)
      if (prefix !== '') name = `${prefix}/${name}`
    }
    const size = parseInt(nul(124, 136).trim() || '0', 8)
    const type = String.fromCharCode(h[156] as number)
    off += 512
    if (off + size > buf.length) return { error: 'unexpected EOF' }
    const data = Buffer.from(buf.subarray(off, off + size))
    off += size + ((512 - (size % 512)) % 512)
    entries.push({ name, dir: type === '5', data: type === '5' ? undefined : data })
  }
}
