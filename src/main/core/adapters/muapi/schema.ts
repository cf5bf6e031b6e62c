import { z } from 'zod'

/**
 * Wire shapes of the Mu API v2 of orvice/ss-panel (apis.md §4; seed doc `002_*`, the wiki page
 * "Mu-V2") and their mapping to NodeDeck's domain objects.
 *
 * Conventions:
 * - Every object is `.loose()`: the panel sends every column of its `user` table (master: ~30,
 *   the wiki example: 10); unknown fields pass.
 * - Numbers come as JSON numbers, as floats (`transfer_enable` is cast to float: PHP ≥ 7.1 sends
 *   `23166189568.0`, which `JSON.parse` reads exactly) or as numeric strings (uncast columns
 *   through old PDO drivers: `"23166189568"`). All three read as the same number.
 * - Only `id` is required of a user; the other fields default (null or 0) when absent, because the
 *   wiki's example has 10 fields and `user_name` / `email` are hidden on some branches.
 */

/** PHP's numeric strings: optional blanks, sign, digits, fraction, exponent. */
const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/

/** A number, a numeric string or a PHP bool; anything else is left as is for the schema to refuse. */
function toNumber(v: unknown): unknown {
  if (typeof v === 'string' && NUMERIC.test(v)) return Number(v)
  if (typeof v === 'boolean') return v ? 1 : 0
  return v
}

/** A number in any of the wire typings; `null`, `''` and absence read as 0. */
const numOr0 = z.preprocess(
  (v) => (v === undefined || v === null || v === '' ? 0 : toNumber(v)),
  z.number(),
)

/** A number in any of the wire typings; `null`, `''` and absence read as null. */
const numOrNull = z.preprocess(
  (v) => (v === undefined || v === '' ? null : toNumber(v)),
  z.number().nullable(),
)

/**
 * A byte counter (`u`, `d`, `transfer_enable`): a non-negative whole number of bytes. A float with
 * a fraction (not sent by ss-panel, whose column is a BIGINT) is rounded as MySQL would store it.
 */
const bytes = z.preprocess(
  (v) => (v === undefined || v === null || v === '' ? 0 : toNumber(v)),
  z
    .number()
    .nonnegative()
    .transform((n) => Math.round(n)),
)

/** A row id: a positive whole number, as a number or a numeric string. */
const id = z.preprocess(toNumber, z.number().int().positive())

/** A text column; numbers (a panel may store numeric names) read as text; null/absent → null. */
const text = z.preprocess(
  (v) => (v === undefined ? null : typeof v === 'number' ? String(v) : v),
  z.string().nullable(),
)

/** `enable` / `switch`: int 1/0, `"1"`/`"0"` or a bool. */
const flag = z.preprocess(
  (v) => (v === undefined || v === null || v === '' ? 1 : toNumber(v)),
  z.number().transform((n) => n !== 0),
)

/** One user as `GET /users` sends it (apis.md §4 "User object"). */
export const MuUserWireSchema = z
  .object({
    id,
    user_name: text,
    email: text,
    /** Last use, unix seconds (0 = never). */
    t: numOr0,
    /** Used bytes: `u` = what the client uploaded, `d` = what it downloaded. */
    u: bytes,
    d: bytes,
    /** Quota, bytes (a float on PHP ≥ 7.1). */
    transfer_enable: bytes,
    port: numOrNull,
    enable: flag,
    method: text,
  })
  .loose()
export type MuUserWire = z.output<typeof MuUserWireSchema>

/** The V2Ray identity `GET /nodes/{id}/users` adds to each user. */
export const MuV2rayUserWireSchema = z
  .object({
    uuid: text,
    email: text,
    alter_id: numOrNull,
    level: numOrNull,
  })
  .loose()

/** One user as `GET /nodes/{id}/users` sends it. */
export const MuNodeUserWireSchema = MuUserWireSchema.extend({
  v2ray_user: MuV2rayUserWireSchema.nullable().default(null),
}).loose()
export type MuNodeUserWire = z.output<typeof MuNodeUserWireSchema>

/**
 * The list envelope: v3 and the wiki `{"msg":"ok","data":[…]}`, master `{"data":[…]}`. A bare
 * array (a proxy or fork that unwraps) is read too. A `ret` of 0 means the panel refused.
 */
export function listEnvelope<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (v) => (Array.isArray(v) ? { data: v } : v),
    z
      .object({
        ret: z.unknown().optional(),
        msg: z.unknown().optional(),
        data: z.array(item),
      })
      .loose(),
  )
}

/** The answer of the reports: `{"ret":1,"msg":"ok"}`; `{"ret":0,"msg":"update failed"}` on failure. */
export const MuRetSchema = z
  .object({
    ret: z.unknown().optional(),
    msg: z.unknown().optional(),
  })
  .loose()
export type MuRetWire = z.output<typeof MuRetSchema>

/** True when a `ret` field says the panel refused (`0`, `"0"`, `false`). Absent = not refused. */
export function isRet0(ret: unknown): boolean {
  if (ret === undefined || ret === null) return false
  if (typeof ret === 'boolean') return !ret
  const n = toNumber(ret)
  return n === 0
}

// ---- domain ---------------------------------------------------------------------------------------

/** A panel user (camelCase; bytes from the client's point of view, like every kind). */
export interface MuUser {
  id: number
  /** Null when the panel hides it (v3 hides `user_name`; the wiki's example has neither). */
  userName: string | null
  email: string | null
  /** Bytes the client uploaded (`u`). */
  up: number
  /** Bytes the client downloaded (`d`). */
  down: number
  /** Quota in bytes (`transfer_enable`), exact. */
  quota: number
  /** Last use (`t`), ms since epoch; null when never used (`t` = 0). */
  lastUsedAt: number | null
  /** `enable` = 1. */
  enabled: boolean
  /** The user's Shadowsocks port; null when not sent. */
  port: number | null
  /** The Shadowsocks cipher, e.g. `rc4-md5`; null when not sent. */
  method: string | null
}

/** A user of a node (`GET /nodes/{id}/users`): a user plus its V2Ray identity. */
export interface MuNodeUser extends MuUser {
  v2ray: {
    uuid: string | null
    email: string | null
    alterId: number | null
    level: number | null
  } | null
}

export function toMuUser(w: MuUserWire): MuUser {
  return {
    id: w.id,
    userName: w.user_name,
    email: w.email,
    up: w.u,
    down: w.d,
    quota: w.transfer_enable,
    lastUsedAt: w.t > 0 ? w.t * 1000 : null,
    enabled: w.enable,
    port: w.port,
    method: w.method,
  }
}

export function toMuNodeUser(w: MuNodeUserWire): MuNodeUser {
  const v = w.v2ray_user
  return {
    ...toMuUser(w),
    v2ray: v ? { uuid: v.uuid, email: v.email, alterId: v.alter_id, level: v.level } : null,
  }
}
