import { z } from 'zod'

/**
 * The WireGuard monitor (apis.md §5): no auth, one request at a time per server. Shapes are the
 * CLIENT's view of traffic (`up` = what the client sent = the server's `rx`), like every kind; the
 * upstream's own "upload"/"download" labels are inverted and never shown. Times are the server's
 * local time as sent (`YYYY-MM-DD HH:MM:SS`, no zone). Unknown numbers are null, never 0.
 */

const ServerRef = z.object({ serverId: z.string().min(1).max(64) })
const UserId = z.number().int().min(1).max(2_147_483_647)
const num = z.number().nullable()
const str = z.string().nullable()

export const WgMonUserSchema = z.object({
  id: z.number(),
  publicKey: str,
  clientIp: str,
  nickname: str,
  email: str,
  phone: str,
  loginIp: str,
  /** KB/s; 0 = no limit. */
  bandwidthLimitKBps: num,
  /** MB; 0 = no limit. */
  dataLimitMb: num,
  expiryDate: str,
  online: z.boolean().nullable(),
  enabled: z.boolean().nullable(),
  /** Total client upload (server `total_rx`; grows when a session closes). */
  up: num,
  down: num,
  lastLogin: str,
  note: str,
  createdAt: str,
  updatedAt: str,
})
export type WgMonUserView = z.infer<typeof WgMonUserSchema>

export const WgMonManagedUserSchema = WgMonUserSchema.extend({
  inSession: z.boolean().nullable(),
  sessionStart: str,
  sessionUp: num,
  sessionDown: num,
})
export type WgMonManagedUserView = z.infer<typeof WgMonManagedUserSchema>

export const WgMonPaginationSchema = z.object({
  page: z.number(),
  perPage: z.number(),
  total: z.number(),
  totalPages: z.number(),
  hasNext: z.boolean(),
  hasPrev: z.boolean(),
  /** False when the server sent a bare list (seed doc) and NodeDeck cut the page itself. */
  serverSide: z.boolean(),
})

export const WGMON_USER_FILTERS = ['all', 'online', 'offline', 'enabled', 'disabled'] as const
export const WgMonUserFilterSchema = z.enum(WGMON_USER_FILTERS)
export const WGMON_EVENT_FILTERS = ['all', 'online', 'offline'] as const
export const WgMonEventFilterSchema = z.enum(WGMON_EVENT_FILTERS)

export const WgMonEventSchema = z.object({
  id: z.number(),
  userId: num,
  nickname: str,
  publicKeyShort: str,
  startTime: str,
  endTime: str,
  lastUpdate: str,
  up: num,
  down: num,
  durationSeconds: num,
  endpoint: str,
  online: z.boolean().nullable(),
})
export type WgMonEventView = z.infer<typeof WgMonEventSchema>

export const WgMonStatusSchema = z.object({
  interface: str,
  running: z.boolean().nullable(),
  maxHandshakeAgeSeconds: num,
  /** Upstream counts ENABLED users in `users.total`. */
  enabledUsers: num,
  onlineUsers: num,
  activeSessions: num,
  timestamp: str,
})
export type WgMonStatusView = z.infer<typeof WgMonStatusSchema>

export const WgMonDashboardSchema = z.object({
  shape: z.enum(['upstream', 'seed']),
  registeredUsers: num,
  enabledUsers: num,
  onlineUsers: num,
  activeSessions: num,
  totalUp: num,
  totalDown: num,
  todayUp: num,
  todayDown: num,
  todaySessions: num,
  uptimeHours: num,
  uptimeStart: str,
})
export type WgMonDashboardView = z.infer<typeof WgMonDashboardSchema>

export const WgMonChartSchema = z.object({
  shape: z.enum(['upstream', 'seed']),
  days: z.number(),
  points: z.array(z.object({ date: z.string(), up: num, down: num, sessions: num })),
  startDate: str,
  endDate: str,
})
export type WgMonChartView = z.infer<typeof WgMonChartSchema>

export const WgMonActionSchema = z.enum(['enable', 'disable', 'reset', 'kick'])
export type WgMonActionName = z.infer<typeof WgMonActionSchema>

export const WgMonActionResultSchema = z.object({
  /** False when the server answered `status: "info"` (kick of a user who is not online). */
  changed: z.boolean(),
  message: str,
})

const Text = (max: number) => z.string().trim().max(max)

/** Editable fields of a user (the server ignores any other). */
export const WgMonUserFieldsSchema = z.object({
  nickname: Text(100).optional(),
  email: Text(254).optional(),
  phone: Text(40).optional(),
  bandwidthLimitKBps: z.number().int().min(0).max(10_000_000).optional(),
  dataLimitMb: z.number().int().min(0).max(1_000_000_000).optional(),
  expiryDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'Use YYYY-MM-DD HH:MM:SS.')
    .optional(),
  note: Text(1000).optional(),
})

/** A WireGuard public key: 32 bytes in base64 (44 characters ending in `=`). */
export const WgPublicKeySchema = z
  .string()
  .trim()
  .regex(
    /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/,
    'A WireGuard public key is 44 base64 characters.',
  )

/** The WireGuard monitor methods of the contract. */
export const wgmonMethods = {
  'wgmon.dashboard': { input: ServerRef, output: WgMonDashboardSchema },
  'wgmon.status': { input: ServerRef, output: WgMonStatusSchema },
  /** The management view: one page, searched and filtered by the server (or by NodeDeck). */
  'wgmon.users': {
    input: ServerRef.extend({
      page: z.number().int().min(1).max(1_000_000).default(1),
      perPage: z.number().int().min(1).max(100).default(50),
      search: z.string().max(200).default(''),
      status: WgMonUserFilterSchema.default('all'),
    }),
    output: z.object({
      users: z.array(WgMonManagedUserSchema),
      pagination: WgMonPaginationSchema,
    }),
  },
  /**
   * Every user as the raw list has it (`GET /api/users`): the only read that carries the tunnel
   * address (`clientIp`; the management view leaves it out). One request for the whole list.
   */
  'wgmon.allUsers': {
    input: ServerRef,
    output: z.object({ users: z.array(WgMonUserSchema) }),
  },
  /** Latest event per user (online first, at most 100). */
  'wgmon.events': {
    input: ServerRef,
    output: z.object({ events: z.array(WgMonEventSchema), fetchedAt: z.number() }),
  },
  'wgmon.eventHistory': {
    input: ServerRef.extend({
      page: z.number().int().min(1).max(1_000_000).default(1),
      perPage: z.number().int().min(1).max(100).default(50),
      userId: UserId.optional(),
      status: WgMonEventFilterSchema.default('all'),
    }),
    output: z.object({ events: z.array(WgMonEventSchema), pagination: WgMonPaginationSchema }),
  },
  'wgmon.chart': {
    input: ServerRef.extend({ days: z.number().int().min(1).max(365).default(7) }),
    output: WgMonChartSchema,
  },
  /** enable / disable / reset / kick one user (GET requests on the wire). */
  'wgmon.action': {
    input: ServerRef.extend({ userId: UserId, action: WgMonActionSchema }),
    output: WgMonActionResultSchema,
  },
  'wgmon.create': {
    input: ServerRef.extend({
      user: WgMonUserFieldsSchema.extend({ publicKey: WgPublicKeySchema }),
    }),
    output: z.object({
      id: z.number(),
      clientIp: str,
      message: str,
      route: z.enum(['upstream', 'seed']),
    }),
  },
  'wgmon.update': {
    input: ServerRef.extend({
      userId: UserId,
      patch: WgMonUserFieldsSchema.extend({ enabled: z.boolean().optional() }),
    }),
    output: WgMonActionResultSchema,
  },
  'wgmon.delete': {
    input: ServerRef.extend({ userId: UserId }),
    output: WgMonActionResultSchema,
  },
} as const
