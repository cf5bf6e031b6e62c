import { useI18n } from 'vue-i18n'

/** Named values of a message, as `t` takes them. */
type Named = Record<string, unknown>

/**
 * `t` for render functions called per table cell: a message without values is looked up once
 * per locale and then read from a map. vue-i18n's `t` costs a fraction of a millisecond a call,
 * which a table of a few hundred cells (the fleet view's first frame, bench B5) pays many times
 * over for the same few words ('unknown', state names). Messages with values go to `t` each time.
 * Reading the locale keeps the caller's render reactive to a language switch.
 */
export function useCachedT(): (key: string, named?: Named) => string {
  const { t, locale } = useI18n()
  const cache = new Map<string, string>()
  let cachedFor = ''
  return (key, named) => {
    if (named) return t(key, named)
    const current = locale.value
    if (current !== cachedFor) {
      cache.clear()
      cachedFor = current
    }
    let text = cache.get(key)
    if (text === undefined) {
      text = t(key)
      cache.set(key, text)
    }
    return text
  }
}
