import type { Locale } from '../../../shared/contract'

/** Language names in their own language (shown the same in every UI locale). */
export const LANGUAGE_NAMES: Record<Locale, string> = {
  'en-US': 'English',
  'zh-CN': '简体中文',
}

/** The locale for a browser language tag: any Chinese → zh-CN, else en-US. */
export function detectLocale(languages: readonly string[] | string | undefined): Locale {
  const list = typeof languages === 'string' ? [languages] : (languages ?? [])
  for (const tag of list) {
    const lower = tag.toLowerCase()
    if (lower.startsWith('zh')) return 'zh-CN'
    if (lower.startsWith('en')) return 'en-US'
  }
  return 'en-US'
}

/** The browser's preferred locale (navigator.languages, then navigator.language). */
export function browserLocale(): Locale {
  if (typeof navigator === 'undefined') return 'en-US'
  return detectLocale(navigator.languages?.length ? navigator.languages : navigator.language)
}
