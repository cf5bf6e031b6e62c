import { createI18n } from 'vue-i18n'
import type { Locale } from '../../../shared/contract'
import enUS, { type MessageSchema } from './en-US'
import zhCN from './zh-CN'

declare module 'vue-i18n' {
  /** Makes `t('…')` keys type-checked against the English schema. */
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  export interface DefineLocaleMessage extends MessageSchema {}
}

/** Every locale's messages; `satisfies` makes a missing locale a type error. */
export const MESSAGES = { 'en-US': enUS, 'zh-CN': zhCN } satisfies Record<Locale, MessageSchema>

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

/** Creates the app's i18n instance (composition mode). */
export function createAppI18n(locale: Locale = 'en-US') {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'en-US',
    messages: MESSAGES,
    missingWarn: false,
    fallbackWarn: false,
  })
}

/** The app's i18n instance; `utils/discrete.ts` also uses it outside components. */
export const i18n = createAppI18n(browserLocale())

/** Switches the UI language (vue-i18n and the page's lang attribute). */
export function applyLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  if (typeof document !== 'undefined') document.documentElement.lang = locale
}
