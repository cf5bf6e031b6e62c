import { z } from 'zod'

/**
 * Wire shapes of the "WireGuard 监控系统" monitor (apis.md §5, seed doc `seeds/003_*`).
 *
 * Conventions:
 * - Every object is `.loose()` and every field but the ids is optional: the upstream code and the
 *   seed doc disagree on fields (the seed's user row has 16 of the 19 columns, its management row
 *   13 of 27), and a field that is absent must read as "unknown" (null), never as 0.
 * - Numbers: SQLite hands back ints, but a value stored by an older version may be a numeric
 *   string; `num` reads a finite number or a numeric string, anything else as null.
 * - rx/tx are the SERVER interface's counters (gotcha 3): the mapping to the client's view
 *   (up = rx, down = tx) is done in `client.ts`, never here.
 */

/** A finite number, or a numeric string; null/absent/other → null. */
export function toNum(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number(v)
    return Number.isFinite(n) ? n : null
  }
  if (typeof v === 'boolean') return v ? 1 : 0
  return null
}

const num = z.unknown().optional().transform(toNum)
/** A string; null/absent/non-string → null (numbers are stringified: SQLite is typeless). */
const str = z
  .unknown()
  .optional()
  .transform((v) =>
    typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null,
  )
/** A row id: a non-negative integer (or its string form). */
const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)])

// ---- users ------------------------------------------------------------------------------------

/** A raw `users` row (`GET /api/users`): 19 columns upstream, 16 in the seed doc. */
export const UserRowSchema = z
  .object({
    id,
    peer_pubkey: str,
    client_ip: str,
    nickname: str,
    mail: str,
    phone: str,
    login_ip: str,
    bandwidth_limit: num,
    data_limit: num,
    expiry_date: str,
    status: num,
    enabled: num,
    total_rx: num,
    total_tx: num,
    last_login: str,
    note: str,
    created_at: str,
    updated_at: str,
  })
  .loose()
export type UserRowWire = z.output<typeof UserRowSchema>

/** `GET /api/users`: `{"users":[…]}` upstream, a bare array in the seed doc. */
export const UserListSchema = z
  .union([z.array(UserRowSchema), z.object({ users: z.array(UserRowSchema) }).loose()])
  .transform((v) => (Array.isArray(v) ? v : v.users))

/** A row of `GET /api/users/management` (upstream 27 fields, seed doc 13). */
export const ManagedUserSchema = UserRowSchema.extend({
  peer_pubkey_short: str,
  is_online: num,
  session_start: str,
  session_rx: num,
  session_tx: num,
}).loose()
export type ManagedUserWire = z.output<typeof ManagedUserSchema>

/** `{current_page, per_page, total, total_pages, has_next, has_prev}`. */
export const PaginationSchema = z
  .object({
    current_page: num,
    per_page: num,
    total: num,
    total_pages: num,
    has_next: z.unknown().optional(),
    has_prev: z.unknown().optional(),
  })
  .loose()
export type PaginationWire = z.output<typeof PaginationSchema>

/** `GET /api/users/management`: `{users, pagination, filters}` upstream; bare array in the seed. */
export const ManagementSchema = z.union([
  z.array(ManagedUserSchema).transform((users) => ({ users, pagination: null })),
  z
    .object({
      users: z.array(ManagedUserSchema),
      pagination: PaginationSchema.nullable().optional(),
    })
    .loose()
    .transform((v) => ({ users: v.users, pagination: v.pagination ?? null })),
])

// ---- events -----------------------------------------------------------------------------------

/** A session event (`/api/events`, `/api/events/history`). */
export const EventSchema = z
  .object({
    id,
    user_id: z.unknown().optional().transform(toNum),
    nickname: str,
    /** 16 chars + "..." or "Unknown". */
    peer_pubkey: str,
    start_time: str,
    end_time: str,
    last_update: str,
    session_rx: num,
    session_tx: num,
    duration_seconds: num,
    duration_readable: str,
    login_ip: str,
    endpoint_info: str,
    status: str,
  })
  .loose()
export type EventWire = z.output<typeof EventSchema>

/** `GET /api/events`: `{"events":[…]}` (a bare array accepted too). */
export const EventListSchema = z
  .union([z.array(EventSchema), z.object({ events: z.array(EventSchema) }).loose()])
  .transform((v) => (Array.isArray(v) ? v : v.events))

/** `GET /api/events/history`: `{events, pagination, filters}` (a bare array accepted too). */
export const EventHistorySchema = z.union([
  z.array(EventSchema).transform((events) => ({ events, pagination: null })),
  z
    .object({
      events: z.array(EventSchema),
      pagination: PaginationSchema.nullable().optional(),
    })
    .loose()
    .transform((v) => ({ events: v.events, pagination: v.pagination ?? null })),
])

// ---- status, dashboard, chart -----------------------------------------------------------------

/** `GET /api/status`. */
export const StatusSchema = z
  .object({
    system: z
      .object({
        interface: str,
        status: str,
        max_handshake_age: num,
        monitoring: z.unknown().optional(),
      })
      .loose()
      .optional(),
    users: z.object({ total: num, online: num, active_sessions: num }).loose().optional(),
    timestamp: str,
  })
  .loose()
export type StatusWire = z.output<typeof StatusSchema>

/** `GET /api/dashboard` upstream: `{summary, traffic}`; `upload` = server tx = client download. */
export const DashboardUpstreamSchema = z
  .object({
    summary: z
      .object({
        registered_users: num,
        enabled_users: num,
        online_users: num,
        active_sessions: num,
        uptime_hours: num,
        uptime_readable: str,
      })
      .loose(),
    traffic: z
      .object({
        today_sessions: num,
        upload_raw: num,
        download_raw: num,
        today_upload_raw: num,
        today_download_raw: num,
      })
      .loose(),
  })
  .loose()
export type DashboardUpstreamWire = z.output<typeof DashboardUpstreamSchema>

/** `GET /api/dashboard` in the seed doc: flat, with server-side `rx`/`tx`. */
export const DashboardSeedSchema = z
  .object({
    total_users: num,
    online_users: num,
    active_sessions: num,
    total_rx: num,
    total_tx: num,
    today_rx: num,
    today_tx: num,
    uptime_start: str,
  })
  .loose()
export type DashboardSeedWire = z.output<typeof DashboardSeedSchema>

/** One chart point upstream: `upload` = server tx (client download), `download` = server rx. */
export const ChartPointUpstreamSchema = z
  .object({ date: z.string(), upload: num, download: num, sessions: num })
  .loose()
/** One chart point in the seed doc: server-side `total_rx` / `total_tx`. */
export const ChartPointSeedSchema = z
  .object({ date: z.string(), total_rx: num, total_tx: num })
  .loose()

/** `GET /api/traffic/chart?days=N` upstream: `{data, period}`. */
export const ChartUpstreamSchema = z
  .object({
    data: z.array(ChartPointUpstreamSchema),
    period: z.object({ days: num, start_date: str, end_date: str }).loose().nullable().optional(),
  })
  .loose()
/** `GET /api/traffic/chart?days=N` in the seed doc: a bare array. */
export const ChartSeedSchema = z.array(ChartPointSeedSchema)

// ---- mutations --------------------------------------------------------------------------------

/** `{"status":"success"|"info", "message": …}` (actions, update, delete). */
export const ResultSchema = z.object({ status: z.string(), message: str }).loose()
export type ResultWire = z.output<typeof ResultSchema>

/** Create: `{status, message, user_id}` (+ `client_ip, config_download_url` upstream). */
export const CreateResultSchema = z
  .object({
    status: z.string(),
    message: str,
    user_id: id,
    client_ip: str,
    config_download_url: str,
  })
  .loose()
export type CreateResultWire = z.output<typeof CreateResultSchema>

/** An error answer: `{"error": "…"}` (400/500). */
export const ErrorBodySchema = z.object({ error: z.string() }).loose()
