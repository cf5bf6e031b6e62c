import { describe, expect, it } from 'vitest'
import { pickLocale, stringsFor } from './i18n'

describe('shell locale', () => {
  it('prefers the setting, then the first known system language', () => {
    expect(pickLocale('zh-CN', ['en-US'])).toBe('zh-CN')
    expect(pickLocale(null, ['zh-Hans-CN', 'en-US'])).toBe('zh-CN')
    expect(pickLocale(null, ['zh-TW'])).toBe('zh-CN')
    expect(pickLocale(null, ['de-DE', 'en-GB'])).toBe('en-US')
    expect(pickLocale(null, ['fr-FR'])).toBe('en-US')
    expect(pickLocale(null, [])).toBe('en-US')
  })

  it('has every string in both locales', () => {
    const en = stringsFor('en-US')
    const zh = stringsFor('zh-CN')
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort())
    expect(Object.keys(zh.state).sort()).toEqual(Object.keys(en.state).sort())
    expect(Object.keys(zh.notice).sort()).toEqual(Object.keys(en.notice).sort())
    expect(en.summary({ online: 3, degraded: 0, down: 1, unknown: 0 })).toBe(
      'NodeDeck — 3 online, 1 down',
    )
  })
})
