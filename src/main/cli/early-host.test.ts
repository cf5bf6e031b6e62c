import { describe, expect, it } from 'vitest'
import { announcement, earlyServeArgs } from './early-host'

describe('earlyServeArgs (which command lines bind the browser host before the CLI loads)', () => {
  it('serve and demo with the options they take, in any order', () => {
    expect(earlyServeArgs(['serve', '--json'])).toEqual({ command: 'serve', port: 0, json: true })
    expect(earlyServeArgs(['--data-dir', '/d', 'serve', '--port', '8080'])).toEqual({
      command: 'serve',
      port: 8080,
      json: false,
      dataDir: '/d',
    })
    expect(earlyServeArgs(['serve', '--data-dir=/e'])?.dataDir).toBe('/e')
    expect(earlyServeArgs(['demo', '--port=0', '--json'])).toEqual({
      command: 'demo',
      port: 0,
      json: true,
    })
    expect(earlyServeArgs(['serve', '--metrics-token-file', '/t'])?.command).toBe('serve')
  })

  it('anything else takes the ordinary path (commander reports errors)', () => {
    for (const argv of [
      ['servers', 'list'],
      ['servers', 'add', '--name', 'serve'],
      ['serve', '--help'],
      ['serve', '--port'],
      ['serve', '--port', 'x'],
      ['serve', '--port', '70000'],
      ['demo', '--metrics-token-file', '/t'],
      ['serve', 'demo'],
      ['serve', 'serve'],
      ['serve', '--unknown'],
      ['--version'],
    ]) {
      expect(earlyServeArgs(argv), argv.join(' ')).toBeNull()
    }
  })

  it('announces exactly what serve/demo print (one JSON line with --json)', () => {
    const info = { url: 'http://127.0.0.1:1/', openUrl: 'http://127.0.0.1:1/#token=x' }
    expect(JSON.parse(announcement(info, false, true))).toEqual({ ...info, demo: false })
    expect(announcement(info, true, false)).toContain('demo fleet')
    expect(announcement(info, true, false)).toContain(info.openUrl)
  })
})
