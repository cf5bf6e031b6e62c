/**
 * Go `encoding/json` for emulators: `json.NewDecoder(body).Decode(&typed)` with Go's error texts
 * (syntax errors via {@link goReadJsonValue}, `json: cannot unmarshal … into Go struct field …`
 * type errors, case-insensitive field names, unknown fields ignored, `null` = no-op), and an
 * encoder writing like `json.Marshal` (struct field order as given, Go maps as `Map` with
 * sorted keys, HTML-safe strings, nil slices/maps as `null`). Plain Node, no dependencies.
 */
import { goDecodeUtf8, goJsonString, goReadJsonValue, goStringCompare } from './http-util'

/** A Go type the decoder can fill. */
export type GoType =
  | { k: 'string' }
  | { k: 'bool' }
  | { k: 'int'; bits?: 'int' | 'int64' | 'uint64' }
  | { k: 'float64' }
  | { k: 'slice'; elem: GoType }
  | { k: 'map'; elem: GoType }
  | { k: 'ptr'; elem: GoType }
  | { k: 'struct'; name?: string; pkg?: string; fields: GoField[] }

/** One exported struct field: Go name (for type strings), JSON name and type. */
export interface GoField {
  go: string
  json: string
  type: GoType
  /** `,omitempty` */
  omit?: boolean
}

/** Shorthands for schemas. */
export const GT = {
  string: { k: 'string' } as GoType,
  bool: { k: 'bool' } as GoType,
  int: { k: 'int', bits: 'int' } as GoType,
  int64: { k: 'int', bits: 'int64' } as GoType,
  uint64: { k: 'int', bits: 'uint64' } as GoType,
  float64: { k: 'float64' } as GoType,
  slice: (elem: GoType): GoType => ({ k: 'slice', elem }),
  map: (elem: GoType): GoType => ({ k: 'map', elem }),
  ptr: (elem: GoType): GoType => ({ k: 'ptr', elem }),
  struct: (fields: GoField[], name?: string, pkg = 'app'): GoType =>
    name === undefined ? { k: 'struct', fields } : { k: 'struct', name, pkg, fields },
  f: (go: string, json: string, type: GoType, omit = false): GoField =>
    omit ? { go, json, type, omit } : { go, json, type },
}

/** Go's `reflect.Type.String()` of a schema type. */
export function goTypeString(t: GoType): string {
  switch (t.k) {
    case 'string':
    case 'bool':
    case 'float64':
      return t.k
    case 'int':
      return t.bits ?? 'int'
    case 'slice':
      return `[]${goTypeString(t.elem)}`
    case 'map':
      return `map[string]${goTypeString(t.elem)}`
    case 'ptr':
      return `*${goTypeString(t.elem)}`
    case 'struct':
      if (t.name !== undefined) return `${t.pkg ?? 'app'}.${t.name}`
      return `struct { ${t.fields
        .map(
          (f) =>
            `${f.go} ${goTypeString(f.type)} "json:\\"${f.json}${f.omit === true ? ',omitempty' : ''}\\""`,
        )
        .join('; ')} }`
  }
}

/** Go's zero value of a schema type (nil slices/maps/pointers are `null`). */
export function goZero(t: GoType): unknown {
  switch (t.k) {
    case 'string':
      return ''
    case 'bool':
      return false
    case 'int':
    case 'float64':
      return 0
    case 'struct': {
      const o: Record<string, unknown> = {}
      for (const f of t.fields) o[f.json] = goZero(f.type)
      return o
    }
    default:
      return null
  }
}

type JVal =
  | { t: 'null' }
  | { t: 'bool'; v: boolean }
  | { t: 'num'; raw: string }
  | { t: 'str'; v: string }
  | { t: 'arr'; v: JVal[] }
  | { t: 'obj'; v: [string, JVal][] }

/** Parses already-validated JSON text, keeping number literals as written. */
function parseJVal(s: string): JVal {
  let i = 0
  const ws = (): void => {
    while (i < s.length && ' \t\r\n'.includes(s[i] as string)) i++
  }
  const str = (): string => {
    const start = i
    i++
    while (s[i] !== '"') i += s[i] === '\\' ? 2 : 1
    i++
    return JSON.parse(s.slice(start, i)) as string
  }
  const val = (): JVal => {
    ws()
    const c = s[i]
    if (c === '{') {
      i++
      const v: [string, JVal][] = []
      ws()
      if (s[i] === '}') {
        i++
        return { t: 'obj', v }
      }
      for (;;) {
        ws()
        const k = str()
        ws()
        i++ // :
        v.push([k, val()])
        ws()
        if (s[i++] === '}') return { t: 'obj', v }
      }
    }
    if (c === '[') {
      i++
      const v: JVal[] = []
      ws()
      if (s[i] === ']') {
        i++
        return { t: 'arr', v }
      }
      for (;;) {
        v.push(val())
        ws()
        if (s[i++] === ']') return { t: 'arr', v }
      }
    }
    if (c === '"') return { t: 'str', v: str() }
    if (s.startsWith('true', i)) {
      i += 4
      return { t: 'bool', v: true }
    }
    if (s.startsWith('false', i)) {
      i += 5
      return { t: 'bool', v: false }
    }
    if (s.startsWith('null', i)) {
      i += 4
      return { t: 'null' }
    }
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(s.slice(i))
    const raw = m?.[0] ?? '0'
    i += raw.length
    return { t: 'num', raw }
  }
  return val()
}

function kindName(v: JVal): string {
  switch (v.t) {
    case 'str':
      return 'string'
    case 'num':
      return 'number'
    case 'bool':
      return 'bool'
    case 'arr':
      return 'array'
    default:
      return 'object'
  }
}

/** Lone surrogates → U+FFFD (Go's unquote). */
function wellFormed(s: string): string {
  return s.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  )
}

interface Ctx {
  err: string | null
  structName: string | null
  fields: string[]
}

function fail(ctx: Ctx, what: string, t: GoType): void {
  if (ctx.err !== null) return
  const ts = goTypeString(t)
  ctx.err =
    ctx.structName !== null || ctx.fields.length > 0
      ? `json: cannot unmarshal ${what} into Go struct field ${ctx.structName ?? ''}.${ctx.fields.join('.')} of type ${ts}`
      : `json: cannot unmarshal ${what} into Go value of type ${ts}`
}

function decodeInto(v: JVal, t: GoType, cur: unknown, ctx: Ctx): unknown {
  if (v.t === 'null') return t.k === 'ptr' || t.k === 'slice' || t.k === 'map' ? null : cur
  switch (t.k) {
    case 'ptr': {
      const base = cur === null || cur === undefined ? goZero(t.elem) : cur
      return decodeInto(v, t.elem, base, ctx)
    }
    case 'string':
      if (v.t !== 'str') {
        fail(ctx, kindName(v), t)
        return cur
      }
      return wellFormed(v.v)
    case 'bool':
      if (v.t !== 'bool') {
        fail(ctx, kindName(v), t)
        return cur
      }
      return v.v
    case 'float64':
      if (v.t !== 'num') {
        fail(ctx, kindName(v), t)
        return cur
      }
      return Number(v.raw)
    case 'int': {
      if (v.t !== 'num') {
        fail(ctx, kindName(v), t)
        return cur
      }
      const ok = /^-?\d+$/.test(v.raw)
      const n = ok ? BigInt(v.raw) : 0n
      const [lo, hi] =
        t.bits === 'uint64' ? [0n, (1n << 64n) - 1n] : [-(1n << 63n), (1n << 63n) - 1n]
      if (!ok || n < lo || n > hi) {
        fail(ctx, `number ${v.raw}`, t)
        return cur
      }
      return Number(n)
    }
    case 'slice': {
      if (v.t !== 'arr') {
        fail(ctx, kindName(v), t)
        return cur
      }
      return v.v.map((el) => decodeInto(el, t.elem, goZero(t.elem), ctx))
    }
    case 'map': {
      if (v.t !== 'obj') {
        fail(ctx, kindName(v), t)
        return cur
      }
      const m = cur instanceof Map ? (cur as Map<string, unknown>) : new Map<string, unknown>()
      for (const [k, el] of v.v) {
        m.set(wellFormed(k), decodeInto(el, t.elem, m.get(k) ?? goZero(t.elem), ctx))
      }
      return m
    }
    case 'struct': {
      if (v.t !== 'obj') {
        fail(ctx, kindName(v), t)
        return cur
      }
      const o = { ...(cur as Record<string, unknown>) }
      for (const [k, el] of v.v) {
        const f =
          t.fields.find((x) => x.json === k) ??
          t.fields.find((x) => x.json.toLowerCase() === k.toLowerCase())
        if (f === undefined) continue
        const saved = { s: ctx.structName, n: ctx.fields.length }
        ctx.structName = t.name ?? ''
        ctx.fields.push(f.json)
        o[f.json] = decodeInto(el, f.type, o[f.json], ctx)
        ctx.structName = saved.s
        ctx.fields.length = saved.n
      }
      return o
    }
  }
}

/**
 * `json.NewDecoder(bytes.NewReader(buf)).Decode(&v)` with `v` of type `t` starting at its zero
 * value. Returns the decoded value or Go's error text (the handler's 400 body).
 */
export function goDecode<T>(buf: Uint8Array, t: GoType): { value: T } | { error: string } {
  const read = goReadJsonValue(buf)
  if ('error' in read) return read
  const ctx: Ctx = { err: null, structName: null, fields: [] }
  const value = decodeInto(parseJVal(goDecodeUtf8(read.value)), t, goZero(t), ctx)
  if (ctx.err !== null) return { error: ctx.err }
  return { value: value as T }
}

/**
 * `json.Marshal`-like encoding: plain objects in insertion order (build them in Go's field
 * order, leaving out `omitempty` fields yourself), `Map` as a Go map (keys sorted bytewise),
 * `undefined`/`null` as `null`, numbers like Go's float64/int formatting.
 */
export function goJson(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'string') return goJsonString(v)
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '0'
  if (typeof v === 'bigint') return v.toString()
  if (Array.isArray(v)) return `[${v.map(goJson).join(',')}]`
  if (v instanceof Map) {
    const keys = [...(v as Map<string, unknown>).keys()].sort(goStringCompare)
    return `{${keys.map((k) => `${goJsonString(k)}:${goJson(v.get(k))}`).join(',')}}`
  }
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${goJsonString(k)}:${goJson(x)}`)
    .join(',')}}`
}

/** A Go `map[string]…` literal from a record (encodes with sorted keys). */
export function goMap<V>(entries: Record<string, V> | Iterable<[string, V]>): Map<string, V> {
  return new Map(Symbol.iterator in entries ? entries : Object.entries(entries))
}

function isEmptyValue(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return true
  if (Array.isArray(v)) return v.length === 0
  if (v instanceof Map) return v.size === 0
  return false
}

/**
 * `json.Marshal` of a value of schema type `t`: struct fields in declaration order with
 * `omitempty` applied, maps with sorted keys (a `Map` or a plain record), nil as `null`.
 */
export function goEncode(v: unknown, t: GoType): string {
  if (v === null || v === undefined) {
    if (t.k === 'struct') return goEncode(goZero(t), t)
    return t.k === 'slice' || t.k === 'map' || t.k === 'ptr' ? 'null' : goJson(goZero(t))
  }
  switch (t.k) {
    case 'ptr':
      return goEncode(v, t.elem)
    case 'slice':
      return `[${(v as unknown[]).map((x) => goEncode(x, t.elem)).join(',')}]`
    case 'map': {
      const m =
        v instanceof Map ? (v as Map<string, unknown>) : new Map(Object.entries(v as object))
      const keys = [...m.keys()].sort(goStringCompare)
      return `{${keys.map((k) => `${goJsonString(k)}:${goEncode(m.get(k), t.elem)}`).join(',')}}`
    }
    case 'struct': {
      const o = v as Record<string, unknown>
      const parts: string[] = []
      for (const f of t.fields) {
        const x = o[f.json]
        if (f.omit === true && isEmptyValue(x)) continue
        parts.push(`${goJsonString(f.json)}:${goEncode(x, f.type)}`)
      }
      return `{${parts.join(',')}}`
    }
    default:
      return goJson(v)
  }
}
