/**
 * Small JSON helpers over localStorage for UI state (open tabs, theme hint). Never secrets:
 * server secrets stay in the core's keychain, the browser-host token in sessionStorage.
 */
export function readLocal<T>(key: string, parse: (value: unknown) => T | null): T | null {
  try {
    const raw = globalThis.localStorage?.getItem(key)
    if (raw === null || raw === undefined) return null
    return parse(JSON.parse(raw) as unknown)
  } catch {
    return null
  }
}

/** Writes a JSON value; ignores a full or disabled storage (the state is only a convenience). */
export function writeLocal(key: string, value: unknown): void {
  try {
    globalThis.localStorage?.setItem(key, JSON.stringify(value))
  } catch {
    // Storage disabled or full: the UI works without it.
  }
}
