/** sessionStorage key of the browser host's per-launch token (never localStorage: dies with the tab). */
export const TOKEN_STORAGE_KEY = 'nodedeck.token'

/** What `takeToken` needs from the page; injectable for tests. */
export interface TokenEnv {
  location: Pick<Location, 'hash' | 'pathname' | 'search'>
  history: Pick<History, 'replaceState' | 'state'>
  storage: Pick<Storage, 'getItem' | 'setItem'> | null
}

/**
 * Reads the browser host's token. NodeDeck prints a URL ending in `#token=<hex>`: the fragment
 * never reaches a server log or a Referer. The token is kept in sessionStorage (so a reload
 * works) and removed from the address bar, so it is not left in the history or a screenshot.
 * Returns null when there is none at all.
 */
export function takeToken(env: TokenEnv): string | null {
  const hash = env.location.hash.replace(/^#/, '')
  const fromHash = hash ? new URLSearchParams(hash).get('token') : null
  if (fromHash && /^[A-Za-z0-9._~-]{8,512}$/.test(fromHash)) {
    try {
      env.storage?.setItem(TOKEN_STORAGE_KEY, fromHash)
    } catch {
      // Storage may be disabled; the token still works for this page load.
    }
    env.history.replaceState(env.history.state, '', env.location.pathname + env.location.search)
    return fromHash
  }
  try {
    return env.storage?.getItem(TOKEN_STORAGE_KEY) ?? null
  } catch {
    return null
  }
}

/** The page's own environment, for `takeToken`. */
export function pageTokenEnv(): TokenEnv {
  return { location: window.location, history: window.history, storage: sessionStore() }
}

/** sessionStorage, or null where the browser refuses it (some privacy modes throw on access). */
function sessionStore(): Storage | null {
  try {
    return window.sessionStorage
  } catch {
    return null
  }
}
