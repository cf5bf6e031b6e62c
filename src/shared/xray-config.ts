/**
 * Xray config checking, shared by the renderer (the Start dialog shows where and why a config is
 * not JSON) and the core (it refuses such a config before sending a Start). Pure TypeScript: no
 * DOM, no Node APIs.
 *
 * JSON errors come with a position. Engines word JSON.parse errors differently (V8 gives an
 * offset, Firefox a line and column, old engines nothing), so the position comes from our own
 * scanner.
 */

/** Why a text is not JSON (each has a localized sentence). */
export type JsonErrorReason =
  | 'empty'
  | 'unexpectedEnd'
  | 'unexpectedChar'
  | 'unterminatedString'
  | 'badEscape'
  | 'controlChar'
  | 'badNumber'
  | 'trailingComma'
  | 'expectedColon'
  | 'expectedKey'
  | 'expectedCommaOrEnd'
  | 'extraData'
  | 'comment'
  | 'tooDeep'
  | 'notObject'
  | 'unknown'

/** Where and why a JSON text is invalid. */
export interface JsonErrorInfo {
  reason: JsonErrorReason
  /** 0-based offset in the text (UTF-16 units). */
  offset: number
  /** 1-based line and column. */
  line: number
  column: number
  /** The line with the error (shortened around the column when long), for a caret display. */
  lineText: string
  /** 0-based position of the caret in `lineText`. */
  caret: number
}

const MAX_DEPTH = 512
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

interface ScanFail {
  scanFail: true
  reason: JsonErrorReason
  offset: number
}
const isScanFail = (e: unknown): e is ScanFail =>
  typeof e === 'object' && e !== null && 'scanFail' in e

/** The first syntax error of a JSON text (RFC 8259), or null when it is valid. */
function scanJson(text: string): { reason: JsonErrorReason; offset: number } | null {
  const n = text.length
  let i = 0
  const fail = (reason: JsonErrorReason, offset = i): never => {
    throw { scanFail: true, reason, offset } satisfies ScanFail
  }
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i)
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++
      else break
    }
  }
  const string = () => {
    const start = i
    i++
    for (;;) {
      if (i >= n) fail('unterminatedString', start)
      const c = text.charCodeAt(i)
      if (c === 0x22) {
        i++
        return
      }
      if (c === 0x5c) {
        const e = text[i + 1]
        if (e === undefined) fail('unterminatedString', start)
        else if ('"\\/bfnrt'.includes(e)) i += 2
        else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) i += 6
        else fail('badEscape')
        continue
      }
      // A raw line break inside a string almost always means a missing closing quote.
      if (c === 0x0a || c === 0x0d) fail('unterminatedString', start)
      if (c < 0x20) fail('controlChar')
      i++
    }
  }
  const number = () => {
    NUMBER.lastIndex = i
    const m = NUMBER.exec(text)
    if (!m || m[0] === '' || m[0] === '-') fail('badNumber')
    i += m ? m[0].length : 0
    if (i < n && /[0-9.eE+-]/.test(text[i] ?? '')) fail('badNumber')
  }
  const value = (depth: number): void => {
    if (depth > MAX_DEPTH) fail('tooDeep')
    ws()
    if (i >= n) fail('unexpectedEnd')
    const c = text[i]
    if (c === '{') return object(depth)
    if (c === '[') return array(depth)
    if (c === '"') return string()
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number()
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length
        return
      }
    }
    fail(c === '/' ? 'comment' : 'unexpectedChar')
  }
  const object = (depth: number): void => {
    i++
    ws()
    if (text[i] === '}') {
      i++
      return
    }
    for (;;) {
      ws()
      if (i >= n) fail('unexpectedEnd')
      const c = text[i]
      // The first key was checked above: a '}' here follows a comma.
      if (c !== '"') fail(c === '}' ? 'trailingComma' : c === '/' ? 'comment' : 'expectedKey')
      string()
      ws()
      if (i >= n) fail('unexpectedEnd')
      if (text[i] !== ':') fail('expectedColon')
      i++
      value(depth + 1)
      ws()
      if (i >= n) fail('unexpectedEnd')
      if (text[i] === ',') {
        i++
        continue
      }
      if (text[i] === '}') {
        i++
        return
      }
      fail(text[i] === '/' ? 'comment' : 'expectedCommaOrEnd')
    }
  }
  const array = (depth: number): void => {
    i++
    ws()
    if (text[i] === ']') {
      i++
      return
    }
    for (;;) {
      ws()
      if (text[i] === ']') fail('trailingComma')
      value(depth + 1)
      ws()
      if (i >= n) fail('unexpectedEnd')
      if (text[i] === ',') {
        i++
        continue
      }
      if (text[i] === ']') {
        i++
        return
      }
      fail(text[i] === '/' ? 'comment' : 'expectedCommaOrEnd')
    }
  }
  try {
    ws()
    if (i >= n) return { reason: 'empty', offset: 0 }
    value(0)
    ws()
    if (i < n) fail(text[i] === '/' ? 'comment' : 'extraData')
    return null
  } catch (e) {
    if (isScanFail(e)) return { reason: e.reason, offset: e.offset }
    throw e
  }
}

const LINE_WINDOW = 60

/** Line, column and the line's text (shortened around the column) of an offset. */
export function positionOf(
  text: string,
  offset: number,
): Pick<JsonErrorInfo, 'line' | 'column' | 'lineText' | 'caret'> {
  const at = Math.max(0, Math.min(offset, text.length))
  let line = 1
  let lineStart = 0
  for (let k = text.indexOf('\n'); k !== -1 && k < at; k = text.indexOf('\n', k + 1)) {
    line++
    lineStart = k + 1
  }
  let lineEnd = text.indexOf('\n', lineStart)
  if (lineEnd === -1) lineEnd = text.length
  const full = text.slice(lineStart, lineEnd).replace(/\r$/, '')
  const column = at - lineStart + 1
  let caret = column - 1
  let lineText = full
  if (full.length > LINE_WINDOW * 2) {
    const from = Math.max(0, caret - LINE_WINDOW)
    const to = Math.min(full.length, caret + LINE_WINDOW)
    lineText = (from > 0 ? '…' : '') + full.slice(from, to) + (to < full.length ? '…' : '')
    caret = caret - from + (from > 0 ? 1 : 0)
  }
  return { line, column, lineText, caret }
}

function errorAt(text: string, reason: JsonErrorReason, offset: number): JsonErrorInfo {
  return { reason, offset, ...positionOf(text, offset) }
}

/** Parses JSON; on failure says where and why. */
export function parseJson(
  text: string,
): { ok: true; value: unknown } | { ok: false; error: JsonErrorInfo } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    const found = scanJson(text)
    return { ok: false, error: errorAt(text, found?.reason ?? 'unknown', found?.offset ?? 0) }
  }
}

/** Inbound tags of an Xray config (`inbounds[].tag`), unique, in config order. */
export function inboundTags(config: unknown): string[] {
  const inbounds =
    config && typeof config === 'object' ? (config as { inbounds?: unknown }).inbounds : undefined
  if (!Array.isArray(inbounds)) return []
  const tags: string[] = []
  for (const inbound of inbounds) {
    const tag =
      inbound && typeof inbound === 'object' ? (inbound as { tag?: unknown }).tag : undefined
    if (typeof tag === 'string' && tag.trim() !== '' && !tags.includes(tag.trim()))
      tags.push(tag.trim())
  }
  return tags
}

/** An Xray config checked before sending: a JSON object, with its inbound tags. */
export type XrayCheck =
  | { ok: true; value: Record<string, unknown>; inboundTags: string[] }
  | { ok: false; error: JsonErrorInfo }

/** Checks an Xray config text: valid JSON and an object at the top. */
export function checkXrayConfig(text: string): XrayCheck {
  const parsed = parseJson(text)
  if (!parsed.ok) return parsed
  const v = parsed.value
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    return { ok: false, error: errorAt(text, 'notObject', text.length - text.trimStart().length) }
  }
  const value = v as Record<string, unknown>
  return { ok: true, value, inboundTags: inboundTags(value) }
}

/** The config pretty-printed with 2 spaces, or null when it is not valid JSON. */
export function formatJson(text: string): string | null {
  const parsed = parseJson(text)
  return parsed.ok ? `${JSON.stringify(parsed.value, null, 2)}\n` : null
}
