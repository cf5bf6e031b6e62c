/** Query parameters whose values are secrets wherever they appear (`?token=`, `?key=`, ...). */
const SECRET_PARAM = /^(token|key|api[_-]?key|secret|password|passwd|pass|auth|access[_-]?token)$/i

/**
 * A URL safe for logs and error messages: secret query values and any user:password are
 * replaced by `***`. Unparseable input is reduced to a marker, never echoed raw.
 */
export function redactUrl(url: string | URL): string {
  let u: URL
  try {
    u = new URL(url.toString())
  } catch {
    return '[invalid url]'
  }
  if (u.username) u.username = '***'
  if (u.password) u.password = '***'
  for (const name of [...u.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) u.searchParams.set(name, '***')
  }
  return u.toString().replace(/%2A%2A%2A/g, '***')
}

/**
 * Removes every occurrence of the given secrets from a text (longest first), for the rare
 * message that must quote server output. Secrets shorter than 4 characters are still masked.
 */
export function redactSecrets(
  text: string,
  secrets: ReadonlyArray<string | null | undefined>,
): string {
  let out = text
  const list = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0)
  list.sort((a, b) => b.length - a.length)
  for (const s of list) out = out.split(s).join('***')
  return out
}
