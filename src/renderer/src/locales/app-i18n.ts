import { createI18n } from 'vue-i18n'
import type { Locale } from '../../../shared/contract'
import enUS, { type MessageSchema } from './en-US'

/** Options every i18n instance of the app shares (composition mode, English as the fallback). */
export const I18N_OPTIONS = {
  legacy: false,
  fallbackLocale: 'en-US',
  missingWarn: false,
  fallbackWarn: false,
} as const

/**
 * Messages of the locales other than English, loaded when first used: the first frame (bench
 * B5) evaluates only the language it shows.
 */
const LOADERS = {
  'zh-CN': () => import('./zh-CN'),
} satisfies Record<Exclude<Locale, 'en-US'>, () => Promise<{ default: MessageSchema }>>

/**
 * The app's i18n instance; `utils/discrete.ts` also uses it outside components. It starts with
 * English, the fallback, and English as its locale until `applyLocale` has the chosen one.
 */
export const i18n = createI18n({
  ...I18N_OPTIONS,
  locale: 'en-US',
  messages: { 'en-US': enUS } as Record<Locale, MessageSchema>,
})

const loaded = new Map<Locale, Promise<void>>([['en-US', Promise.resolve()]])

/** Loads a locale's messages once (a failed load is tried again next time). */
export function loadLocale(locale: Locale): Promise<void> {
  let done = loaded.get(locale)
  if (!done) {
    done = LOADERS[locale as keyof typeof LOADERS]().then(
      (m) => i18n.global.setLocaleMessage(locale, m.default),
      (err: unknown) => {
        loaded.delete(locale)
        throw err
      },
    )
    loaded.set(locale, done)
  }
  return done
}

let wanted: Locale = 'en-US'

/**
 * Switches the UI language (vue-i18n and the page's lang attribute) once its messages are
 * loaded; until then the current language stays. The last call wins.
 */
export async function applyLocale(locale: Locale): Promise<void> {
  wanted = locale
  await loadLocale(locale)
  if (wanted !== locale) return
  i18n.global.locale.value = locale
  if (typeof document !== 'undefined') document.documentElement.lang = locale
}
