import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where the renderer comes from: the built `out/renderer/index.html` (always, in a packaged app)
 * or the electron-vite dev server. Window loading, navigation blocking and IPC sender
 * validation all ask this one object whether a URL is "us".
 */
export type RendererTarget =
  { kind: 'file'; indexHtml: string } | { kind: 'dev'; url: string; origin: string }

/**
 * Chooses the target. The dev server URL (`ELECTRON_RENDERER_URL`, set by `electron-vite dev`)
 * is honoured only in an unpackaged app and only for http(s) on a loopback host, so an
 * environment variable can never point a released app at a remote page.
 */
export function resolveRendererTarget(opts: {
  indexHtml: string
  devUrl?: string | undefined
  isPackaged: boolean
}): RendererTarget {
  if (!opts.isPackaged && opts.devUrl) {
    try {
      const u = new URL(opts.devUrl)
      const loopback =
        u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]'
      if ((u.protocol === 'http:' || u.protocol === 'https:') && loopback) {
        return { kind: 'dev', url: u.href, origin: u.origin }
      }
    } catch {
      // an unparseable dev URL falls back to the built files
    }
  }
  return { kind: 'file', indexHtml: resolve(opts.indexHtml) }
}

/** Paths compare case-insensitively where the file system usually is (Windows, macOS). */
function samePath(a: string, b: string, platform: NodeJS.Platform): boolean {
  const na = resolve(a)
  const nb = resolve(b)
  return platform === 'win32' || platform === 'darwin'
    ? na.toLowerCase() === nb.toLowerCase()
    : na === nb
}

/**
 * True if `url` is our renderer document: exactly the built `index.html` as a `file:` URL
 * (query and hash ignored, so hash routing works), or any path on the dev server's origin.
 */
export function isRendererUrl(
  target: RendererTarget,
  url: string,
  platform: NodeJS.Platform = process.platform,
): boolean {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return false
  }
  if (target.kind === 'dev') return u.origin === target.origin
  if (u.protocol !== 'file:' || (u.host !== '' && u.host !== 'localhost')) return false
  let path: string
  try {
    path = fileURLToPath(u)
  } catch {
    return false
  }
  return samePath(path, target.indexHtml, platform)
}

/** True for the only URLs we ever hand to the OS browser. */
export function isExternalWebUrl(url: string): boolean {
  try {
    const u = new URL(url)
    return u.protocol === 'https:' || u.protocol === 'http:'
  } catch {
    return false
  }
}
