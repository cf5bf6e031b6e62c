import { describe, expect, it } from 'vitest'
import { AlertSettingsSchema, LocaleSchema, isDownState, HealthStateSchema } from './index'
import { DEFAULT_ALERT_SETTINGS, LOCALES, noticePops } from './plain'

describe('the zod-free contract values', () => {
  it('default alert settings are what the schema makes of nothing', () => {
    expect(DEFAULT_ALERT_SETTINGS).toEqual(AlertSettingsSchema.parse({}))
  })

  it('locales and down states match their schemas', () => {
    expect(LocaleSchema.options).toEqual([...LOCALES])
    const down = HealthStateSchema.options.filter(isDownState)
    expect(down).toEqual(['offline', 'auth_failed', 'tls_failed'])
  })

  it('a muted, held-back or quiet notice does not pop up', () => {
    const n = { muted: false, suppressed: false, quiet: false }
    expect(noticePops(n as never)).toBe(true)
    for (const k of ['muted', 'suppressed', 'quiet'] as const) {
      expect(noticePops({ ...n, [k]: true } as never)).toBe(false)
    }
  })
})
