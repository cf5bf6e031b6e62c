import { describe, expect, it } from 'vitest'
import { checkXrayConfig, formatJson, inboundTags, parseJson, positionOf } from './xray-config'

/** The error of a text that must not parse. */
function errorOf(text: string) {
  const r = parseJson(text)
  if (r.ok) throw new Error(`parsed: ${text}`)
  return r.error
}

describe('parseJson positions', () => {
  it('accepts valid JSON', () => {
    expect(parseJson('{"a": [1, -2.5e3, true, null, "x\\u00e9"]}')).toEqual({
      ok: true,
      value: { a: [1, -2500, true, null, 'xé'] },
    })
  })

  it('finds a missing comma at its line and column', () => {
    const text = '{\n  "log": {},\n  "inbounds": []\n  "outbounds": []\n}'
    const e = errorOf(text)
    expect(e).toMatchObject({ reason: 'expectedCommaOrEnd', line: 4, column: 3 })
    expect(e.lineText).toBe('  "outbounds": []')
    expect(e.caret).toBe(2)
  })

  it('names trailing commas, comments, unclosed strings, early ends and extra text', () => {
    expect(errorOf('{"a": 1,\n}')).toMatchObject({ reason: 'trailingComma', line: 2, column: 1 })
    expect(errorOf('[1, 2,]')).toMatchObject({ reason: 'trailingComma', column: 7 })
    expect(errorOf('{\n // hi\n "a": 1}')).toMatchObject({ reason: 'comment', line: 2, column: 2 })
    expect(errorOf('{"a": "b\n}')).toMatchObject({ reason: 'unterminatedString', column: 7 })
    expect(errorOf('{"a": [1, 2')).toMatchObject({ reason: 'unexpectedEnd', column: 12 })
    expect(errorOf('{} x')).toMatchObject({ reason: 'extraData', column: 4 })
    expect(errorOf('{"a" 1}')).toMatchObject({ reason: 'expectedColon', column: 6 })
    expect(errorOf('{a: 1}')).toMatchObject({ reason: 'expectedKey', column: 2 })
    expect(errorOf('[01]')).toMatchObject({ reason: 'badNumber' })
    expect(errorOf('["\\x"]')).toMatchObject({ reason: 'badEscape', column: 3 })
    expect(errorOf('   ')).toMatchObject({ reason: 'empty', line: 1, column: 1 })
  })

  it('shortens a long line around the column and keeps the caret on the spot', () => {
    const text = `{"a": "${'x'.repeat(300)}" "b": 1}`
    const e = errorOf(text)
    expect(e.column).toBe(310)
    expect(e.lineText.length).toBeLessThan(130)
    expect(e.lineText[e.caret]).toBe('"')
    expect(positionOf('ab\r\ncd', 4)).toMatchObject({ line: 2, column: 1, lineText: 'cd' })
    expect(positionOf('ab\ncd', 4)).toMatchObject({ line: 2, column: 2 })
  })
})

describe('Xray config', () => {
  it('must be an object; gives its inbound tags once each', () => {
    expect(checkXrayConfig('[]')).toMatchObject({ ok: false, error: { reason: 'notObject' } })
    const ok = checkXrayConfig(
      JSON.stringify({
        inbounds: [{ tag: 'vless-in' }, { tag: ' trojan ' }, { port: 1 }, { tag: 'vless-in' }],
      }),
    )
    expect(ok).toMatchObject({ ok: true, inboundTags: ['vless-in', 'trojan'] })
    expect(inboundTags({ inbounds: 'no' })).toEqual([])
    expect(formatJson('{"a":[1]}')).toBe('{\n  "a": [\n    1\n  ]\n}\n')
    expect(formatJson('{')).toBeNull()
  })
})
