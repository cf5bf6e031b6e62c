import type { Hy2ScaleTopologyNode } from '../../../../../../shared/contract'

/** A position in the node's graph layout (`/api/graph-layout`). */
export interface GraphPoint {
  x: number
  y: number
}

/** One node of the graph: a topology node with its layout key and its parent's key. */
export interface GraphNode {
  /** The layout key: the name for this node and its peers, `parent/child` for nested nodes. */
  key: string
  /** The parent's key (null for this node); the graph draws parent → this. */
  parent: string | null
  /** 0 = this node, 1 = a peer, 2+ = nested below a peer. */
  depth: number
  node: Hy2ScaleTopologyNode
}

/**
 * The graph's nodes from the topology (apis.md §2 "Topology node"): element 0 is this node with
 * its inbound peers as children; the other elements are outbound peers. All peers hang off this
 * node; their children (nested nodes) hang off them. A key seen twice keeps its first node.
 */
export function graphNodes(topology: Hy2ScaleTopologyNode[]): GraphNode[] {
  const out: GraphNode[] = []
  const seen = new Set<string>()
  const add = (node: Hy2ScaleTopologyNode, key: string, parent: string | null, depth: number) => {
    if (seen.has(key)) return
    seen.add(key)
    out.push({ key, parent, depth, node })
    for (const c of node.children) add(c, `${key}/${c.name}`, key, depth + 1)
  }
  const self = topology.find((n) => n.isSelf) ?? null
  const peers = topology.filter((n) => n !== self)
  if (self) {
    seen.add(self.name)
    out.push({ key: self.name, parent: null, depth: 0, node: self })
  }
  for (const p of [...(self?.children ?? []), ...peers]) add(p, p.name, self?.name ?? null, 1)
  return out
}

/** Radius of the peers' circle around this node, and of nested nodes around their peer. */
const PEER_RADIUS = 220
const CHILD_RADIUS = 90

/**
 * Positions for every node: the stored one when the layout has it, otherwise a deterministic
 * circular layout (this node in the middle, peers evenly on a circle in topology order, nested
 * nodes on a small arc outside their parent). Same topology and layout → same positions.
 */
export function layoutPositions(
  nodes: GraphNode[],
  stored: Record<string, GraphPoint>,
): Record<string, GraphPoint> {
  const pos: Record<string, GraphPoint> = {}
  const center = nodes.find((n) => n.depth === 0)
  const origin: GraphPoint = center ? (stored[center.key] ?? { x: 0, y: 0 }) : { x: 0, y: 0 }
  if (center) pos[center.key] = origin
  const peers = nodes.filter((n) => n.depth === 1)
  peers.forEach((n, i) => {
    const a = (2 * Math.PI * i) / Math.max(peers.length, 1) - Math.PI / 2
    pos[n.key] = stored[n.key] ?? {
      x: round(origin.x + PEER_RADIUS * Math.cos(a)),
      y: round(origin.y + PEER_RADIUS * Math.sin(a)),
    }
  })
  for (const n of nodes.filter((m) => m.depth >= 2)) {
    const parent = (n.parent !== null ? pos[n.parent] : undefined) ?? origin
    const siblings = nodes.filter((m) => m.parent === n.parent)
    const i = siblings.indexOf(n)
    // Outward from the grandparent, spread over a quarter circle.
    const base = Math.atan2(parent.y - origin.y, parent.x - origin.x)
    const a = base + (siblings.length > 1 ? (i / (siblings.length - 1) - 0.5) * (Math.PI / 2) : 0)
    pos[n.key] = stored[n.key] ?? {
      x: round(parent.x + CHILD_RADIUS * Math.cos(a)),
      y: round(parent.y + CHILD_RADIUS * Math.sin(a)),
    }
  }
  return pos
}

function round(v: number): number {
  return Math.round(v * 10) / 10
}

/** Escapes text for echarts' HTML tooltip. */
export function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )
}
