import { useI18n } from 'vue-i18n'
import { spanOf } from '../utils/format'
import { useCachedT } from './use-cached-t'
import { useNow } from './use-now'

/** Localized relative times ("12 s ago", "3 分钟前") and durations, ticking with the clock. */
export function useTimeFormat() {
  const { locale } = useI18n()
  // Tables call these per row: the words without values come from a cache.
  const t = useCachedT()
  const now = useNow()

  /** A duration in ms as "5 min" / "5 分钟". */
  function span(ms: number): string {
    const s = spanOf(ms)
    return t(`time.${s.unit}`, { n: s.n })
  }

  /** "12 s ago"; "just now" under 2 s; "never" for null. */
  function ago(at: number | null | undefined): string {
    if (at === null || at === undefined) return t('time.never')
    const ms = now.value - at
    if (ms < 2000) return t('time.justNow')
    return t('time.ago', { t: span(ms) })
  }

  /** Time elapsed since `at`, as a duration ("for 5 min"). */
  function since(at: number): string {
    return span(now.value - at)
  }

  /** A local date and time in the UI locale. */
  function dateTime(at: number | null | undefined): string {
    if (at === null || at === undefined) return t('time.never')
    return new Intl.DateTimeFormat(locale.value, {
      dateStyle: 'medium',
      timeStyle: 'medium',
    }).format(at)
  }

  /** A local time of day (with the date when it is not today). */
  function clock(at: number | null | undefined): string {
    if (at === null || at === undefined) return '—'
    const d = new Date(at)
    const sameDay = new Date(now.value).toDateString() === d.toDateString()
    return new Intl.DateTimeFormat(
      locale.value,
      sameDay ? { timeStyle: 'medium' } : { dateStyle: 'short', timeStyle: 'medium' },
    ).format(d)
  }

  return { now, span, ago, since, dateTime, clock }
}
