import { dateEnUS, dateZhCN, enUS, zhCN, type NDateLocale, type NLocale } from 'naive-ui'
import type { Locale } from '../../../shared/contract'

/** naive-ui's own texts (pagination, date pickers, empty states) follow the app locale. */
export const NAIVE_LOCALES: Record<Locale, { locale: NLocale; dateLocale: NDateLocale }> = {
  'en-US': { locale: enUS, dateLocale: dateEnUS },
  'zh-CN': { locale: zhCN, dateLocale: dateZhCN },
}
