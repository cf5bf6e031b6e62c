// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest'
import { LOCALES } from '../../../shared/contract'
import enUS from './en-US'
import { MESSAGES, createAppI18n, detectLocale } from './index'
import zhCN from './zh-CN'

type Tree = { [key: string]: string | Tree }

/** Every leaf key path ("a.b.c") with its message. */
function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${k}` : k
    if (typeof v === 'string') out.set(path, v)
    else for (const [p, m] of leaves(v, path)) out.set(p, m)
  }
  return out
}

const placeholders = (m: string) => [...m.matchAll(/\{(\w+)\}/g)].map((x) => x[1]).sort()

describe('locales', () => {
  const en = leaves(enUS)
  const zh = leaves(zhCN)

  it('has a message set for every locale of the contract', () => {
    expect(Object.keys(MESSAGES).sort()).toEqual([...LOCALES].sort())
  })

  it('zh-CN has exactly the keys of en-US', () => {
    expect([...en.keys()].filter((k) => !zh.has(k))).toEqual([])
    expect([...zh.keys()].filter((k) => !en.has(k))).toEqual([])
  })

  it('no message is empty, and placeholders match between languages', () => {
    for (const [key, m] of en) {
      expect(m.trim(), key).not.toBe('')
      const z = zh.get(key) ?? ''
      expect(z.trim(), key).not.toBe('')
      // Plural forms in English repeat placeholders; compare the sets.
      expect([...new Set(placeholders(z))], key).toEqual([...new Set(placeholders(m))])
    }
  })

  it('avoids characters vue-i18n would treat as syntax', () => {
    for (const [key, m] of [...en, ...zh]) {
      expect(m, key).not.toMatch(/[@$]/)
    }
  })

  it('compiles and renders every message in both languages', () => {
    for (const locale of LOCALES) {
      const i18n = createAppI18n(locale)
      for (const key of en.keys()) {
        const out = i18n.global.t(key as never, { n: 2, name: 'x', server: 'x', t: 'x' } as never)
        expect(out, `${locale} ${key}`).not.toBe(key)
      }
    }
  })

  it('detects the locale from browser languages', () => {
    expect(detectLocale(['zh-TW', 'en'])).toBe('zh-CN')
    expect(detectLocale('zh')).toBe('zh-CN')
    expect(detectLocale(['fr-FR', 'en-GB'])).toBe('en-US')
    expect(detectLocale([])).toBe('en-US')
    expect(detectLocale(undefined)).toBe('en-US')
  })
})

describe('the app’s i18n instance (messages loaded per locale)', () => {
  it('starts with English only, loads Chinese when switched to, and the last switch wins', async () => {
    const { applyLocale, i18n } = await import('./app-i18n')
    expect(i18n.global.availableLocales).toEqual(['en-US'])
    expect(i18n.global.t('common.cancel')).toBe(enUS.common.cancel)
    const zh = applyLocale('zh-CN')
    const back = applyLocale('en-US')
    await Promise.all([zh, back])
    expect(i18n.global.locale.value).toBe('en-US')
    expect(i18n.global.availableLocales).toContain('zh-CN')
    await applyLocale('zh-CN')
    expect(i18n.global.locale.value).toBe('zh-CN')
    expect(document.documentElement.lang).toBe('zh-CN')
    expect(i18n.global.t('common.cancel')).toBe(zhCN.common.cancel)
  })
})

describe('useCachedT', () => {
  it('looks a message without values up once per locale; with values, every time', async () => {
    const { createApp, defineComponent, h, nextTick } = await import('vue')
    const { useCachedT } = await import('../composables/use-cached-t')
    const i18n = createAppI18n('en-US')
    let calls = 0
    const t = i18n.global.t
    i18n.global.t = ((...args: Parameters<typeof t>) => {
      calls++
      return t(...args)
    }) as typeof t
    let tc!: ReturnType<typeof useCachedT>
    const app = createApp(
      defineComponent({
        setup() {
          tc = useCachedT()
          return () => h('span')
        },
      }),
    ).use(i18n)
    app.mount(document.createElement('div'))
    expect(tc('common.cancel')).toBe(enUS.common.cancel)
    expect(tc('common.cancel')).toBe(enUS.common.cancel)
    expect(calls).toBe(1)
    i18n.global.locale.value = 'zh-CN'
    await nextTick()
    expect(tc('common.cancel')).toBe(zhCN.common.cancel)
    expect(calls).toBe(2)
    tc('time.ago', { t: '5 s' })
    tc('time.ago', { t: '6 s' })
    expect(calls).toBe(4)
    app.unmount()
  })
})
