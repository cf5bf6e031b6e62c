/**
 * The PHP behaviours a Mu API client can observe, for the ss-panel (PHP 7 + Slim 3) emulator:
 * `json_encode` with default flags (escaped slashes, `\uXXXX` for non-ASCII), loose `==` between
 * strings, `parse_str` (the last duplicate wins), and PHP 7's arithmetic on strings.
 * Plain TypeScript, no dependencies.
 */

/** A float for {@link phpJsonEncode}: PHP floats and ints differ on the wire (`1.0` vs `1`). */
export class PhpFloat {
  constructor(readonly value: number) {}
}

/** A PHP value as the emulator builds responses from it (arrays: JS arrays; assoc arrays: Maps or plain objects). */
export type PhpValue =
  | null
  | boolean
  | number
  | string
  | PhpFloat
  | PhpValue[]
  | Map<string, PhpValue>
  | { [key: string]: PhpValue }

/** `json_encode` options the emulator needs. */
export interface PhpJsonOptions {
  /**
   * Integral floats as `23166189568.0` (apis.md §4 says PHP ≥ 7.1 emits this). PHP's own
   * `json_encode` only does so with `JSON_PRESERVE_ZERO_FRACTION`; false = `23166189568`.
   */
  zeroFraction?: boolean
}

/** A JSON string as PHP's `json_encode` writes it with default flags. */
export function phpJsonString(s: string): string {
  let out = '"'
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    switch (c) {
      case 0x22:
        out += '\\"'
        continue
      case 0x5c:
        out += '\\\\'
        continue
      case 0x2f:
        out += '\\/'
        continue
      case 0x08:
        out += '\\b'
        continue
      case 0x0c:
        out += '\\f'
        continue
      case 0x0a:
        out += '\\n'
        continue
      case 0x0d:
        out += '\\r'
        continue
      case 0x09:
        out += '\\t'
        continue
    }
    if (c < 0x20 || c > 0x7e) {
      // Non-ASCII: PHP escapes UTF-16 code units (surrogate pairs as two escapes), lower-case hex.
      out += c === 0x7f ? '\x7f' : `\\u${c.toString(16).padStart(4, '0')}`
    } else {
      out += s[i]
    }
  }
  return out + '"'
}

/** A float as PHP 7.1+ `json_encode` writes it (`serialize_precision = -1`). */
export function phpJsonFloat(v: number, zeroFraction: boolean): string {
  if (!Number.isFinite(v)) throw new RangeError('json_encode: Inf and NaN cannot be JSON encoded')
  const abs = Math.abs(v)
  // php_gcvt(value, 17, '.', 'e'): exponential when the decimal exponent is < -4 or > 17.
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e17)) {
    const [mant, exp] = v.toExponential().split('e') as [string, string]
    const m = mant.includes('.') ? mant : `${mant}.0`
    const e = exp.startsWith('-') ? exp : `+${exp.replace('+', '')}`
    return `${m}e${e}`
  }
  if (Number.isInteger(v)) {
    const s = (Object.is(v, -0) ? '-0' : v.toFixed(0)) as string
    return zeroFraction ? `${s}.0` : s
  }
  return String(v)
}

/** PHP `json_encode($value)` (default flags; `zeroFraction` = JSON_PRESERVE_ZERO_FRACTION). */
export function phpJsonEncode(value: PhpValue, opts: PhpJsonOptions = {}): string {
  const zf = opts.zeroFraction ?? false
  const enc = (v: PhpValue): string => {
    if (v === null) return 'null'
    if (typeof v === 'boolean') return v ? 'true' : 'false'
    if (typeof v === 'number') {
      if (!Number.isInteger(v)) return phpJsonFloat(v, zf)
      return v.toFixed(0)
    }
    if (typeof v === 'string') return phpJsonString(v)
    if (v instanceof PhpFloat) return phpJsonFloat(v.value, zf)
    if (Array.isArray(v)) return `[${v.map(enc).join(',')}]`
    const entries = v instanceof Map ? [...v.entries()] : Object.entries(v)
    return `{${entries.map(([k, x]) => `${phpJsonString(k)}:${enc(x)}`).join(',')}}`
  }
  return enc(value)
}

const NUMERIC_RE = /^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/
const LEADING_NUMERIC_RE = /^[ \t\n\r\v\f]*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/

/** PHP 7 `is_numeric` for strings (leading whitespace allowed, trailing not). */
export function phpIsNumericString(s: string): boolean {
  return NUMERIC_RE.test(s)
}

/**
 * PHP 7's loose `==` between two strings: numerically when both are numeric strings
 * (`"1e3" == "1000"`, `"0123" == "123"`), byte-wise otherwise.
 */
export function phpLooseEqualStrings(a: string, b: string): boolean {
  if (phpIsNumericString(a) && phpIsNumericString(b)) return Number(a) === Number(b)
  return a === b
}

/** What PHP 7 arithmetic makes of an operand; `fatal` = "Unsupported operand types" (a 500). */
export type PhpNumber = { ok: true; value: number } | { ok: false; fatal: string }

/**
 * A request value used in arithmetic, as PHP 7 does: null/absent → 0, numeric strings → their
 * value, leading-numeric strings (`"12abc"`) → the prefix (a notice), other strings → 0 (a
 * warning), booleans → 0/1, arrays/objects → a fatal error.
 */
export function phpToNumber(v: unknown): PhpNumber {
  if (v === null || v === undefined) return { ok: true, value: 0 }
  if (typeof v === 'number') return { ok: true, value: v }
  if (typeof v === 'boolean') return { ok: true, value: v ? 1 : 0 }
  if (typeof v === 'string') {
    const m = LEADING_NUMERIC_RE.exec(v)
    return { ok: true, value: m === null ? 0 : Number(m[0].trim()) }
  }
  return { ok: false, fatal: 'Unsupported operand types' }
}

/** PHP's `urldecode`: `+` → space, `%XX` decoded, bad escapes kept literally; bytes read as UTF-8. */
export function phpUrlDecode(s: string): string {
  const bytes: number[] = []
  const src = Buffer.from(s, 'utf8')
  for (let i = 0; i < src.length; i++) {
    const c = src[i] as number
    if (c === 0x2b) bytes.push(0x20)
    else if (c === 0x25 && i + 2 < src.length) {
      const hex = String.fromCharCode(src[i + 1] as number, src[i + 2] as number)
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16))
        i += 2
      } else bytes.push(c)
    } else bytes.push(c)
  }
  return Buffer.from(bytes).toString('utf8')
}

/** A `parse_str` result: plain values, or `string[]`-ish arrays for `name[]` / `name[x]` keys. */
export type PhpParams = Record<string, string | Record<string, string>>

/**
 * PHP's `parse_str` (what `$_POST` and `getQueryParams()` hold): pairs split on `&`, keys and
 * values urldecoded, the LAST duplicate wins, `a[]=x` / `a[k]=x` make arrays (one level here),
 * `.` and space in names become `_`.
 */
export function phpParseStr(query: string): PhpParams {
  const out: PhpParams = Object.create(null) as PhpParams
  for (const pair of query.split('&')) {
    if (pair === '') continue
    const eq = pair.indexOf('=')
    let key = phpUrlDecode(eq < 0 ? pair : pair.slice(0, eq))
    const value = phpUrlDecode(eq < 0 ? '' : pair.slice(eq + 1))
    const br = key.indexOf('[')
    if (br > 0 && key.includes(']', br)) {
      const base = key.slice(0, br).replace(/[. ]/g, '_')
      const sub = key.slice(br + 1, key.indexOf(']', br))
      const cur = out[base]
      const arr: Record<string, string> = typeof cur === 'object' ? cur : {}
      const idx = sub === '' ? String(Object.keys(arr).length) : sub
      arr[idx] = value
      out[base] = arr
      continue
    }
    key = key.replace(/[. ]/g, '_')
    if (key === '') continue
    out[key] = value
  }
  return out
}
