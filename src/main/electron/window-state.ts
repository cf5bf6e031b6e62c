import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'

/** The window geometry we remember between launches (no secrets, nothing else). */
export interface WindowState {
  x?: number
  y?: number
  width: number
  height: number
  maximized: boolean
}

/** A screen work area, as Electron's `Display.workArea`. */
export interface Area {
  x: number
  y: number
  width: number
  height: number
}

export const DEFAULT_WINDOW_STATE: WindowState = { width: 1200, height: 780, maximized: false }
const MIN_WIDTH = 720
const MIN_HEIGHT = 480

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v)
}

/**
 * Reads the remembered state. Anything odd (missing, corrupt, from a monitor that is gone)
 * yields the default size, centred by Electron: a window must never open off-screen.
 */
export function loadWindowState(file: string, workAreas: readonly Area[]): WindowState {
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    return { ...DEFAULT_WINDOW_STATE }
  }
  if (typeof raw !== 'object' || raw === null) return { ...DEFAULT_WINDOW_STATE }
  const r = raw as Record<string, unknown>
  if (!finite(r.width) || !finite(r.height)) return { ...DEFAULT_WINDOW_STATE }
  const state: WindowState = {
    width: Math.max(MIN_WIDTH, Math.round(r.width)),
    height: Math.max(MIN_HEIGHT, Math.round(r.height)),
    maximized: r.maximized === true,
  }
  if (finite(r.x) && finite(r.y)) {
    const x = Math.round(r.x)
    const y = Math.round(r.y)
    // Keep the position only if a good part of the title bar lands on some screen.
    const visible = workAreas.some(
      (a) => x + 100 > a.x && x < a.x + a.width - 100 && y >= a.y && y < a.y + a.height - 50,
    )
    if (visible) {
      state.x = x
      state.y = y
    }
  }
  return state
}

/** Writes the state (best effort: losing the window size is not worth an error dialog). */
export function saveWindowState(file: string, state: WindowState): void {
  try {
    mkdirSync(dirname(file), { recursive: true })
    const tmp = `${file}.tmp`
    writeFileSync(tmp, JSON.stringify(state))
    renameSync(tmp, file)
  } catch {
    // ignored on purpose
  }
}
