import { describe, expect, it } from 'vitest'
import { isExternalWebUrl, isRendererUrl, resolveRendererTarget } from './renderer-target'

const file = resolveRendererTarget({ indexHtml: '/app/out/renderer/index.html', isPackaged: true })
const dev = resolveRendererTarget({
  indexHtml: '/x',
  devUrl: 'http://localhost:5173',
  isPackaged: false,
})

describe('renderer target', () => {
  it('accepts exactly our index.html, with any query or hash', () => {
    expect(isRendererUrl(file, 'file:///app/out/renderer/index.html', 'linux')).toBe(true)
    expect(isRendererUrl(file, 'file:///app/out/renderer/index.html#/servers/1?x', 'linux')).toBe(
      true,
    )
    expect(isRendererUrl(file, 'file://localhost/app/out/renderer/index.html', 'linux')).toBe(true)
    expect(isRendererUrl(file, 'file:///app/out/renderer/../renderer/index.html', 'linux')).toBe(
      true,
    )
  })

  it('refuses other files, hosts, schemes and garbage', () => {
    for (const url of [
      'file:///app/out/renderer/evil.html',
      'file:///app/out/renderer/index.html.evil',
      'file:///APP/out/renderer/index.html',
      'file://evil.example/app/out/renderer/index.html',
      'https://app/out/renderer/index.html',
      'about:blank',
      'devtools://devtools/bundled/index.html',
      '',
      'not a url',
    ]) {
      expect(isRendererUrl(file, url, 'linux'), url).toBe(false)
    }
  })

  it('compares case-insensitively on Windows and macOS', () => {
    expect(isRendererUrl(file, 'file:///APP/out/renderer/INDEX.html', 'darwin')).toBe(true)
  })

  it('accepts any path on the dev origin, nothing else', () => {
    expect(isRendererUrl(dev, 'http://localhost:5173/', 'linux')).toBe(true)
    expect(isRendererUrl(dev, 'http://localhost:5173/src/App.vue?x', 'linux')).toBe(true)
    expect(isRendererUrl(dev, 'http://localhost:5174/', 'linux')).toBe(false)
    expect(isRendererUrl(dev, 'http://127.0.0.1:5173/', 'linux')).toBe(false)
    expect(isRendererUrl(dev, 'file:///app/out/renderer/index.html', 'linux')).toBe(false)
  })

  it('sends only http(s) to the OS browser', () => {
    expect(isExternalWebUrl('https://a.example/x')).toBe(true)
    expect(isExternalWebUrl('http://a.example/x')).toBe(true)
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://h/s',
      'ms-settings:',
      'nonsense',
    ]) {
      expect(isExternalWebUrl(url), url).toBe(false)
    }
  })
})
