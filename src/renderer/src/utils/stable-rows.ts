/**
 * Keeps row identities across refreshes. A periodic reload replaces every row object even when
 * nothing changed, and a table then re-renders every visible row. `keep(next)` returns, for
 * each row, the object it returned last time under the same key when the two are shallowly
 * equal, and the very same array when no row changed: Vue skips what did not change.
 */
export function stableRows<T extends object>(key: (row: T) => string): (next: readonly T[]) => T[] {
  let byKey = new Map<string, T>()
  let last: T[] = []
  return (next) => {
    const seen = new Map<string, T>()
    let unchanged = next.length === last.length
    const out = next.map((row, i) => {
      const k = key(row)
      const old = byKey.get(k)
      const kept = old !== undefined && shallowEqual(old, row) ? old : row
      seen.set(k, kept)
      if (unchanged && last[i] !== kept) unchanged = false
      return kept
    })
    byKey = seen
    if (unchanged) return last
    last = out
    return out
  }
}

function shallowEqual(a: object, b: object): boolean {
  if (a === b) return true
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) {
    if ((a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k]) return false
  }
  return true
}
