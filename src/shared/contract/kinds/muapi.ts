import { z } from 'zod'

/**
 * Mu API v2 of an ss-panel (apis.md §4): the API Shadowsocks nodes poll for their users and report
 * traffic to. NodeDeck reads it (users with quotas, a node's users); reports are the traffic
 * bridge's business (`bridge.ts`). Methods are plain `{input, output}` objects (see pasarguard.ts).
 * Bytes are from the client's point of view, like every kind: `up` = the panel's `u`.
 */

const ServerRef = z.object({ serverId: z.string().min(1).max(64) })

/** Where the mu key goes: `Token` header (default), `Key` header, or `?key=` (admin's choice). */
export const MU_KEY_PLACEMENTS = ['token', 'key', 'query'] as const
export const MuKeyPlacementSchema = z.enum(MU_KEY_PLACEMENTS)
export type MuKeyPlacementOption = z.infer<typeof MuKeyPlacementSchema>

/** A panel user. */
export const MuUserSchema = z.object({
  id: z.number().int(),
  /** Null when the panel hides it (v3 hides `user_name`). */
  userName: z.string().nullable(),
  email: z.string().nullable(),
  /** Bytes the client uploaded (`u`, already × the nodes' traffic rates). */
  up: z.number(),
  /** Bytes the client downloaded (`d`). */
  down: z.number(),
  /** Quota in bytes (`transfer_enable`); 0 = none granted. */
  quota: z.number(),
  /** Last use (`t`), epoch ms; null = never. */
  lastUsedAt: z.number().nullable(),
  enabled: z.boolean(),
  /** Shadowsocks port; null when not sent. */
  port: z.number().nullable(),
  /** Shadowsocks cipher; null when not sent. */
  method: z.string().nullable(),
})
export type MuUserView = z.infer<typeof MuUserSchema>

/** A user of a node: the user plus its V2Ray identity (`v2ray_user`). */
export const MuNodeUserSchema = MuUserSchema.extend({
  v2ray: z
    .object({
      uuid: z.string().nullable(),
      email: z.string().nullable(),
      alterId: z.number().nullable(),
      level: z.number().nullable(),
    })
    .nullable(),
})
export type MuNodeUserView = z.infer<typeof MuNodeUserSchema>

const NodeId = z.number().int().min(1).max(2_147_483_647)

/** The Mu API methods of the contract. */
export const muapiMethods = {
  /**
   * Every user (`GET /users`), with the time of the read. With `maxAgeMs`, the adapter's last read
   * (a health poll reads the same list) is returned when it is at most that old: an open panel
   * view then does not download a big panel's list a second time each interval.
   */
  'muapi.users': {
    input: ServerRef.extend({ maxAgeMs: z.number().int().min(0).max(3_600_000).optional() }),
    output: z.object({ users: z.array(MuUserSchema), fetchedAt: z.number() }),
  },
  /** The users of one node (`GET /nodes/{id}/users`). */
  'muapi.nodeUsers': {
    input: ServerRef.extend({ nodeId: NodeId }),
    output: z.object({
      nodeId: z.number(),
      users: z.array(MuNodeUserSchema),
      fetchedAt: z.number(),
    }),
  },
} as const
