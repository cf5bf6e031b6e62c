import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { AppInfo, Locale, Settings, Theme } from '../../../shared/contract'
import { LOCALES } from '../../../shared/contract/plain'
import { api } from '../api'
import type { ConnectionStatus } from '../host/connection'
import { browserLocale } from '../locales/detect'
import { readLocal, writeLocal } from '../utils/storage'
import { SetupStoreId } from './ids'

/** localStorage key of the last locale/theme, so the first paint (before the core answers) matches. */
const UI_HINT_KEY = 'nodedeck.ui'

interface UiHint {
  locale: Locale | null
  theme: Theme
}

function parseHint(value: unknown): UiHint | null {
  if (typeof value !== 'object' || value === null) return null
  const v = value as Record<string, unknown>
  const locale = (LOCALES as readonly unknown[]).includes(v.locale) ? (v.locale as Locale) : null
  const theme: Theme = v.theme === 'light' || v.theme === 'dark' ? v.theme : 'system'
  return { locale, theme }
}

/** App facts (AppInfo), user settings (locale, theme) and the connection to the core. */
export const useAppStore = defineStore(SetupStoreId.App, () => {
  const hint = readLocal(UI_HINT_KEY, parseHint)
  const info = ref<AppInfo | null>(null)
  const settings = ref<Settings>({ locale: hint?.locale ?? null, theme: hint?.theme ?? 'system' })
  const connection = ref<ConnectionStatus>({ state: 'connecting', attempts: 0, nextRetryAt: null })
  const systemDark = ref(false)
  const navigatorLocale = ref<Locale>(browserLocale())

  /** The locale in use: the stored choice, else the browser's language. */
  const locale = computed<Locale>(() => settings.value.locale ?? navigatorLocale.value)
  const isDark = computed(
    () =>
      settings.value.theme === 'dark' || (settings.value.theme === 'system' && systemDark.value),
  )
  const connected = computed(() => connection.value.state === 'connected')

  function remember() {
    writeLocal(UI_HINT_KEY, { locale: settings.value.locale, theme: settings.value.theme })
  }

  /** Loads AppInfo and settings (on every (re)connect). */
  async function load(): Promise<void> {
    const [i, s] = await Promise.all([api.app.info(), api.settings.get()])
    info.value = i
    applySettings(s)
  }

  /** Settings pushed by the core (`settings.changed`, maybe from another window). */
  function applySettings(s: Settings): void {
    settings.value = s
    remember()
  }

  async function patchSettings(patch: Partial<Settings>): Promise<void> {
    const before = settings.value
    settings.value = { ...before, ...patch }
    remember()
    try {
      applySettings(await api.settings.set(patch))
    } catch (err) {
      settings.value = before
      remember()
      throw err
    }
  }

  /** Chooses the UI language; stored by the core so every window and host follows. */
  function setLocale(next: Locale): Promise<void> {
    return patchSettings({ locale: next })
  }

  function setTheme(next: Theme): Promise<void> {
    return patchSettings({ theme: next })
  }

  function setConnection(status: ConnectionStatus): void {
    connection.value = status
  }

  function setSystemDark(dark: boolean): void {
    systemDark.value = dark
  }

  return {
    info,
    settings,
    connection,
    locale,
    isDark,
    connected,
    load,
    applySettings,
    setLocale,
    setTheme,
    setConnection,
    setSystemDark,
  }
})
