import { describe, expect, it } from 'vitest'
import {
  MuNodeUserWireSchema,
  MuUserWireSchema,
  isRet0,
  listEnvelope,
  toMuNodeUser,
  toMuUser,
} from './schema'

/** The wiki's example user (seed doc 002_*). */
const WIKI_USER = `{"id":1,"passwd":"123gxopp","t":1463581379,"u":2048,"d":2048,"transfer_enable":23166189568,"port":21567,"switch":1,"enable":1,"method":"rc4-md5"}`

/** ss-panel master: every visible column, `transfer_enable` a float, uncast columns as strings. */
const MASTER_USER = `{"id":7,"user_name":"alice","email":"alice@example.com","passwd":"pw","t":1700000000,"u":10,"d":20,"transfer_enable":23166189568.0,"port":10007,"switch":"1","enable":1,"type":"1","last_check_in_time":"0","reg_date":"2017-07-04 20:54:37","invite_num":"5","expire_time":"0","method":"aes-256-cfb","custom_method":"0","custom_rss":"0","protocol":"origin","protocol_param":null,"obfs":"plain","obfs_param":null,"v2ray_uuid":"u-u-i-d","v2ray_level":"0","v2ray_alter_id":"64","is_admin":false}`

const parseUser = (json: string) => toMuUser(MuUserWireSchema.parse(JSON.parse(json)))

describe('MuUserWireSchema', () => {
  it("reads the wiki's 10-field user; absent fields are null", () => {
    expect(parseUser(WIKI_USER)).toEqual({
      id: 1,
      userName: null,
      email: null,
      up: 2048,
      down: 2048,
      quota: 23166189568,
      lastUsedAt: 1463581379000,
      enabled: true,
      port: 21567,
      method: 'rc4-md5',
    })
  })

  it("reads master's full row: float quota, strings, extra fields tolerated", () => {
    const u = parseUser(MASTER_USER)
    expect(u).toMatchObject({
      id: 7,
      userName: 'alice',
      email: 'alice@example.com',
      quota: 23166189568,
    })
    expect(Number.isInteger(u.quota)).toBe(true)
    // The SS password is not part of the domain object.
    expect(JSON.stringify(u)).not.toContain('pw')
  })

  it('reads transfer_enable as float, int and string to the same exact byte count', () => {
    for (const raw of [
      '1099511627776.0',
      '1099511627776',
      '"1099511627776"',
      '"1099511627776.0"',
      '1.099511627776e12',
    ]) {
      expect(parseUser(`{"id":1,"transfer_enable":${raw}}`).quota).toBe(1099511627776)
    }
    // Beyond 2^32 and near the float/int edge PHP emits, still exact.
    expect(parseUser('{"id":1,"transfer_enable":9007199254740992.0}').quota).toBe(2 ** 53)
  })

  it('reads every numeric column from numeric strings', () => {
    const u = parseUser(
      '{"id":"12","t":"1700000000","u":"1024","d":" 2048","transfer_enable":"10","port":"443","enable":"0"}',
    )
    expect(u).toEqual({
      id: 12,
      userName: null,
      email: null,
      up: 1024,
      down: 2048,
      quota: 10,
      lastUsedAt: 1700000000000,
      enabled: false,
      port: 443,
      method: null,
    })
  })

  it('t = 0 means never used; enable as a bool; null port', () => {
    const u = parseUser('{"id":1,"t":0,"enable":false,"port":null,"u":null,"d":""}')
    expect(u).toMatchObject({ lastUsedAt: null, enabled: false, port: null, up: 0, down: 0 })
  })

  it('refuses what is not a user: no id, negative or non-numeric bytes', () => {
    expect(MuUserWireSchema.safeParse({ u: 1 }).success).toBe(false)
    expect(MuUserWireSchema.safeParse({ id: 0 }).success).toBe(false)
    expect(MuUserWireSchema.safeParse({ id: 1, u: -5 }).success).toBe(false)
    expect(MuUserWireSchema.safeParse({ id: 1, transfer_enable: '12 GB' }).success).toBe(false)
    expect(MuUserWireSchema.safeParse({ id: 'x' }).success).toBe(false)
  })

  it('reads node users with their V2Ray identity (numbers or strings), or without it', () => {
    const w = MuNodeUserWireSchema.parse({
      id: 3,
      u: '1',
      v2ray_user: { uuid: 'abc', email: 'abc@sspanel.xyz', alter_id: '64', level: 0, extra: 1 },
    })
    expect(toMuNodeUser(w).v2ray).toEqual({
      uuid: 'abc',
      email: 'abc@sspanel.xyz',
      alterId: 64,
      level: 0,
    })
    expect(toMuNodeUser(MuNodeUserWireSchema.parse({ id: 3 })).v2ray).toBeNull()
  })
})

describe('listEnvelope', () => {
  const env = listEnvelope(MuUserWireSchema)
  it('accepts {msg,data} (wiki, v3), {data} (master) and a bare array', () => {
    for (const body of [
      `{"msg":"ok","data":[${WIKI_USER}]}`,
      `{"data":[${WIKI_USER}]}`,
      `[${WIKI_USER}]`,
    ]) {
      const parsed = env.parse(JSON.parse(body))
      expect(parsed.data.map((w) => w.id)).toEqual([1])
    }
  })
  it('keeps ret so a ret:0 list can be refused; refuses a body without data', () => {
    expect(env.parse({ ret: 0, msg: 'no', data: [] }).ret).toBe(0)
    expect(env.safeParse({ ret: 0, msg: 'update failed' }).success).toBe(false)
    expect(env.safeParse('<html>').success).toBe(false)
  })
})

describe('isRet0', () => {
  it('is true for 0, "0" and false only', () => {
    expect([0, '0', false].map(isRet0)).toEqual([true, true, true])
    expect([1, '1', true, undefined, null, 'ok'].map(isRet0)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ])
  })
})
