import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_WINDOW_STATE, loadWindowState, saveWindowState } from './window-state'

const screen = [{ x: 0, y: 0, width: 1920, height: 1080 }]
let dir: string
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nodedeck-ws-'))
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('window state', () => {
  it('round-trips', () => {
    const f = join(dir, 'sub', 'w.json')
    saveWindowState(f, { x: 50, y: 60, width: 900, height: 600, maximized: true })
    expect(loadWindowState(f, screen)).toEqual({
      x: 50,
      y: 60,
      width: 900,
      height: 600,
      maximized: true,
    })
  })

  it('falls back to the default on a missing or corrupt file', () => {
    expect(loadWindowState(join(dir, 'none.json'), screen)).toEqual(DEFAULT_WINDOW_STATE)
    const f = join(dir, 'bad.json')
    writeFileSync(f, '{"width": "wide"')
    expect(loadWindowState(f, screen)).toEqual(DEFAULT_WINDOW_STATE)
  })

  it('drops a position that is off every screen, and enforces a minimum size', () => {
    const f = join(dir, 'w.json')
    writeFileSync(f, JSON.stringify({ x: 5000, y: 60, width: 100, height: 100, maximized: false }))
    expect(loadWindowState(f, screen)).toEqual({ width: 720, height: 480, maximized: false })
  })
})
