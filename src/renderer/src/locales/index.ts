import { createI18n } from 'vue-i18n'
import type { Locale } from '../../../shared/contract'
import { I18N_OPTIONS } from './app-i18n'
import enUS, { type MessageSchema } from './en-US'
import zhCN from './zh-CN'

declare module 'vue-i18n' {
  /** Makes `t('…')` keys type-checked against the English schema. */
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  export interface DefineLocaleMessage extends MessageSchema {}
}

/** Every locale's messages; `satisfies` makes a missing locale a type error. */
export const MESSAGES = { 'en-US': enUS, 'zh-CN': zhCN } satisfies Record<Locale, MessageSchema>

export { LANGUAGE_NAMES, browserLocale, detectLocale } from './detect'

/**
 * An i18n instance with every locale's messages loaded (tests, tools). The app's own instance
 * (`app-i18n.ts`) loads a locale's messages when it is first used.
 */
export function createAppI18n(locale: Locale = 'en-US') {
  return createI18n({ ...I18N_OPTIONS, locale, messages: MESSAGES })
}
