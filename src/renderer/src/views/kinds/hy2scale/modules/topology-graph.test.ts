import { describe, expect, it } from 'vitest'
import type { Hy2ScaleTopologyNode } from '../../../../../../shared/contract'
import { escapeHtml, graphNodes, layoutPositions } from './topology-graph'

const n = (name: string, over: Partial<Hy2ScaleTopologyNode> = {}): Hy2ScaleTopologyNode => ({
  name,
  direction: 'outbound',
  exitNode: false,
  connected: true,
  disabled: false,
  nested: false,
  isSelf: false,
  latencyMs: 10,
  txRate: 0,
  rxRate: 0,
  version: null,
  children: [],
  ...over,
})

const topology = [
  n('self', { isSelf: true, direction: 'local', children: [n('nas', { direction: 'inbound' })] }),
  n('jp', { children: [n('kr', { nested: true }), n('tw', { nested: true })] }),
  n('sg'),
]

describe('graphNodes', () => {
  it('hangs inbound and outbound peers off this node and nested nodes off their peer', () => {
    expect(graphNodes(topology).map((g) => [g.key, g.parent, g.depth])).toEqual([
      ['self', null, 0],
      ['nas', 'self', 1],
      ['jp', 'self', 1],
      ['jp/kr', 'jp', 2],
      ['jp/tw', 'jp', 2],
      ['sg', 'self', 1],
    ])
  })
})

describe('layoutPositions', () => {
  it('keeps stored positions and places the others on a deterministic circle', () => {
    const nodes = graphNodes(topology)
    const a = layoutPositions(nodes, { jp: { x: 5, y: 6 } })
    const b = layoutPositions(nodes, { jp: { x: 5, y: 6 } })
    expect(a).toEqual(b)
    expect(a.jp).toEqual({ x: 5, y: 6 })
    expect(a.self).toEqual({ x: 0, y: 0 })
    expect(Object.keys(a).sort()).toEqual(['jp', 'jp/kr', 'jp/tw', 'nas', 'self', 'sg'])
    // Distinct spots for every node.
    expect(new Set(Object.values(a).map((p) => `${p.x},${p.y}`)).size).toBe(6)
    // Peers on the circle around this node.
    expect(Math.hypot(a.sg?.x ?? 0, a.sg?.y ?? 0)).toBeCloseTo(220, 0)
  })
})

describe('escapeHtml', () => {
  it('escapes names for the tooltip', () => {
    expect(escapeHtml(`<b a="1">'&`)).toBe('&lt;b a=&quot;1&quot;&gt;&#39;&amp;')
  })
})
