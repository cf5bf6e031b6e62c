import { z } from 'zod'

/** HY2 SCALE topology node (apis.md §2 "Topology node"); children nest. */
export interface Hy2ScaleTopologyNode {
  name: string
  direction: string
  exitNode: boolean
  connected: boolean
  disabled: boolean
  nested: boolean
  isSelf: boolean
  /** -1 / null = offline or unknown. */
  latencyMs: number | null
  txRate: number | null
  rxRate: number | null
  version: string | null
  children: Hy2ScaleTopologyNode[]
}

export const Hy2ScaleTopologyNodeSchema: z.ZodType<Hy2ScaleTopologyNode> = z.lazy(() =>
  z.object({
    name: z.string(),
    direction: z.string(),
    exitNode: z.boolean(),
    connected: z.boolean(),
    disabled: z.boolean(),
    nested: z.boolean(),
    isSelf: z.boolean(),
    latencyMs: z.number().nullable(),
    txRate: z.number().nullable(),
    rxRate: z.number().nullable(),
    version: z.string().nullable(),
    children: z.array(Hy2ScaleTopologyNodeSchema),
  }),
)

/** What the HY2 SCALE overview shows: node, traffic, topology. */
export const Hy2ScaleOverviewSchema = z.object({
  node: z.object({
    nodeId: z.string(),
    name: z.string(),
    version: z.string(),
    exitNode: z.boolean(),
    limited: z.boolean(),
    hy2UserAuth: z.boolean(),
    listen: z.string().nullable(),
  }),
  stats: z.object({
    /** Bytes the node sent / received in total, and per second now (node's point of view). */
    txBytes: z.number(),
    rxBytes: z.number(),
    txRate: z.number(),
    rxRate: z.number(),
    conns: z.number(),
    exitClients: z.number(),
  }),
  topology: z.array(Hy2ScaleTopologyNodeSchema),
  /** The login still uses the factory password admin/admin. */
  defaultPassword: z.boolean(),
})
export type Hy2ScaleOverview = z.infer<typeof Hy2ScaleOverviewSchema>

export const Hy2ScaleNodePatchSchema = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  exitNode: z.boolean().optional(),
})

/** A node's position in HY2 SCALE's own graph layout (`/api/graph-layout`). */
export const Hy2ScaleGraphPositionSchema = z.object({ x: z.number(), y: z.number() })
export type Hy2ScaleGraphPosition = z.infer<typeof Hy2ScaleGraphPositionSchema>

/**
 * The node's graph layout: position per topology key. `save` sends a full snapshot (the node
 * replaces the whole layout); every frame of the `graph-layout` stream has this shape.
 */
export const Hy2ScaleGraphLayoutSchema = z.object({
  positions: z.record(z.string(), Hy2ScaleGraphPositionSchema),
})
export type Hy2ScaleGraphLayout = z.infer<typeof Hy2ScaleGraphLayoutSchema>
