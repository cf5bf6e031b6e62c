/**
 * The ss-panel data the Mu API serves: the `user` table (column order and defaults of
 * orvice/ss-panel `databases/2017_07_04_205437_create_user_table.php` + the 2017-11-19 v2ray
 * columns) and the `ss_node` fields the Mu API reads, plus a deterministic user generator.
 */
import { createPrng } from '../hysteria2/sim'

/** One row of the `user` table (every column, hidden ones included), values as stored. */
export interface MuUser {
  id: number
  user_name: string
  email: string
  /** Panel login hash (hidden). */
  pass: string
  /** The Shadowsocks password. */
  passwd: string
  /** Last use, unix seconds. */
  t: number
  /** Used upload / download, bytes. */
  u: number
  d: number
  /** Quota, bytes. */
  transfer_enable: number
  port: number
  switch: number
  enable: number
  type: number
  last_get_gift_time: number
  last_check_in_time: number
  last_rest_pass_time: number
  /** `YYYY-MM-DD HH:MM:SS`. */
  reg_date: string
  invite_num: number
  is_admin: number
  ref_by: number
  expire_time: number
  method: string
  custom_method: number
  custom_rss: number
  protocol: string
  protocol_param: string | null
  obfs: string
  obfs_param: string | null
  is_email_verify: number
  reg_ip: string
  v2ray_uuid: string
  v2ray_level: number
  v2ray_alter_id: number
}

/** Column order of the table (Eloquent's `toArray()` keeps it). */
export const USER_COLUMNS: readonly (keyof MuUser)[] = [
  'id',
  'user_name',
  'email',
  'pass',
  'passwd',
  't',
  'u',
  'd',
  'transfer_enable',
  'port',
  'switch',
  'enable',
  'type',
  'last_get_gift_time',
  'last_check_in_time',
  'last_rest_pass_time',
  'reg_date',
  'invite_num',
  'is_admin',
  'ref_by',
  'expire_time',
  'method',
  'custom_method',
  'custom_rss',
  'protocol',
  'protocol_param',
  'obfs',
  'obfs_param',
  'is_email_verify',
  'reg_ip',
  'v2ray_uuid',
  'v2ray_level',
  'v2ray_alter_id',
]

/** The `ss_node` fields the Mu API uses. */
export interface MuNode {
  id: number
  name: string
  /** Multiplier applied to reported traffic (MySQL FLOAT, default 1). */
  traffic_rate: number
  v2ray_port: number
}

/** A full row from a partial one (migration defaults; id, port, email derived from `id`). */
export function makeUser(id: number, partial: Partial<MuUser> = {}): MuUser {
  const base: MuUser = {
    id,
    user_name: `user${id}`,
    email: `user${id}@example.com`,
    pass: '',
    passwd: `pw${String(id).padStart(6, '0')}`,
    t: 0,
    u: 0,
    d: 0,
    transfer_enable: 10 * 1024 ** 3,
    port: 10000 + id,
    switch: 1,
    enable: 1,
    type: 1,
    last_get_gift_time: 0,
    last_check_in_time: 0,
    last_rest_pass_time: 0,
    reg_date: '1989-06-04 03:10:29',
    invite_num: 0,
    is_admin: 0,
    ref_by: 0,
    expire_time: 0,
    method: 'rc4-md5',
    custom_method: 0,
    custom_rss: 0,
    protocol: 'origin',
    protocol_param: null,
    obfs: 'plain',
    obfs_param: null,
    is_email_verify: 0,
    reg_ip: '127.0.0.1',
    v2ray_uuid: '',
    v2ray_level: 2,
    v2ray_alter_id: 2,
  }
  return { ...base, ...partial, id }
}

const NAMES = [
  'alice',
  'bob',
  'carol',
  'dave',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ivan',
  'judy',
  'mallory',
  'niaj',
  'olivia',
  'peggy',
  'rupert',
  'sybil',
  'trent',
  'victor',
  'walter',
  'yvonne',
] as const

const METHODS = ['rc4-md5', 'aes-256-cfb', 'aes-128-gcm', 'chacha20-ietf-poly1305', 'aes-256-gcm']
const GiB = 1024 ** 3

function pad2(n: number): string {
  return String(n).padStart(2, '0')
}

/** `YYYY-MM-DD HH:MM:SS` (UTC) of unix seconds. */
export function mysqlDateTime(unix: number): string {
  const d = new Date(unix * 1000)
  return (
    `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ` +
    `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`
  )
}

/**
 * `count` deterministic users (ids 1..count): first names up to 20, quotas of 10-500 GiB,
 * usage from none to over quota, a few disabled, ports from 20000, assorted methods, v2ray UUIDs.
 */
export function simulatedUsers(count: number, seed = 1, now = Math.floor(Date.now() / 1000)) {
  const rnd = createPrng(seed)
  const users: MuUser[] = []
  for (let i = 1; i <= count; i++) {
    const name = count <= NAMES.length ? (NAMES[i - 1] as string) : `user${pad2(i)}`
    const quota = ([10, 50, 100, 200, 500][Math.floor(rnd() * 5)] as number) * GiB
    const usedShare = i % 9 === 0 ? 1.05 : rnd() * 0.9
    const used = Math.floor(quota * usedShare)
    const up = Math.floor(used * (0.05 + rnd() * 0.15))
    const hex = (n: number): string =>
      Array.from({ length: n }, () => Math.floor(rnd() * 16).toString(16)).join('')
    users.push(
      makeUser(i, {
        user_name: name,
        email: `${name}@example.com`,
        passwd: hex(8),
        t: i % 5 === 0 ? 0 : now - Math.floor(rnd() * 7 * 86400),
        u: up,
        d: used - up,
        transfer_enable: quota,
        port: 20000 + i,
        enable: i % 7 === 0 ? 0 : 1,
        method: METHODS[Math.floor(rnd() * METHODS.length)] as string,
        reg_date: mysqlDateTime(now - Math.floor(30 + rnd() * 600) * 86400),
        invite_num: Math.floor(rnd() * 5),
        is_admin: i === 1 ? 1 : 0,
        expire_time: i % 4 === 0 ? now + Math.floor(rnd() * 90) * 86400 : 0,
        v2ray_uuid: `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`,
      }),
    )
  }
  return users
}
