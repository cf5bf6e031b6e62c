// @vitest-environment happy-dom
import { enableAutoUnmount, flushPromises, mount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Hy2ScaleOverview, Hy2ScaleTopologyNode } from '../../../../../../shared/contract'
import type { FakeClient } from '../../../../testing/fake-client'
import { createAppI18n } from '../../../../locales'
import { setupFake } from '../test-utils'
import OverviewSection from './OverviewSection.vue'

enableAutoUnmount(afterEach)

const peer = (over: Partial<Hy2ScaleTopologyNode>): Hy2ScaleTopologyNode => ({
  name: 'jp',
  direction: 'outbound',
  exitNode: true,
  connected: true,
  disabled: false,
  nested: false,
  isSelf: false,
  latencyMs: 46,
  txRate: 1024,
  rxRate: 2048,
  version: '1.3.4',
  children: [],
  ...over,
})

const overview = (over: Partial<Hy2ScaleOverview> = {}): Hy2ScaleOverview => ({
  node: {
    nodeId: '4ef19113',
    name: 'Osaka',
    version: '1.3.4',
    exitNode: true,
    limited: false,
    hy2UserAuth: true,
    listen: '0.0.0.0:5565',
  },
  stats: {
    txBytes: 1024 ** 3,
    rxBytes: 2 * 1024 ** 3,
    txRate: 0,
    rxRate: 512,
    conns: 3,
    exitClients: 1,
  },
  topology: [
    peer({
      name: '4ef19113',
      isSelf: true,
      direction: 'local',
      children: [peer({ name: 'nas', direction: 'inbound' })],
    }),
    peer({ name: 'sg', connected: false, latencyMs: null, txRate: null, rxRate: null }),
  ],
  defaultPassword: true,
  ...over,
})

let client: FakeClient
let pinia: Pinia
// The graph is an async component (its own chunk); load the chunk once, up front.
beforeAll(async () => {
  await import('./TopologyGraph.vue')
}, 30_000)
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('hy2scale.graphLayout.get', () => ({ positions: { sg: { x: 10, y: 20 } } }))
  client.handle('hy2scale.graphLayout.save', () => ({ ok: true }))
  client.handle('streams.watch', () => ({ ok: true }))
  client.handle('streams.unwatch', () => ({ ok: true }))
})

/**
 * Mounts the section with echarts stubbed: happy-dom has no canvas and zrender would throw
 * (infra.md pitfall 2); the real chart is checked in Chromium.
 */
async function mountOverview() {
  const w = mount(OverviewSection, {
    props: { serverId: 's1' },
    global: {
      plugins: [createAppI18n('en-US'), pinia],
      stubs: { 'v-chart': true, echarts: true },
    },
    attachTo: document.body,
  })
  // The graph is an async component (its own chunk): let the import settle.
  for (let i = 0; i < 5; i++) {
    await flushPromises()
    await new Promise((r) => setTimeout(r, 0))
  }
  return w
}

/** Picks the Graph or List view of the topology. */
async function pickView(w: Awaited<ReturnType<typeof mountOverview>>, view: 'graph' | 'list') {
  await w.find(`[data-testid="hy2-topology-toggle-${view}"] input`).trigger('change')
  for (let i = 0; i < 5; i++) {
    await flushPromises()
    await new Promise((r) => setTimeout(r, 0))
  }
}

describe('OverviewSection', () => {
  it('warns about the factory password and labels traffic from the node’s point of view', async () => {
    client.handle('hy2scale.overview', () => overview())
    const w = await mountOverview()
    await pickView(w, 'list')
    expect(w.find('[data-testid="hy2-default-password"]').text()).toContain('admin/admin')
    expect(w.find('[data-testid="hy2-stat-sent"]').text()).toContain('Sent by the node')
    expect(w.find('[data-testid="hy2-stat-sent"]').text()).toContain('1.0 GiB')
    expect(w.find('[data-testid="hy2-stat-received"]').text()).toContain('Received by the node')
    expect(w.text()).not.toMatch(/upload|download/i)
    // A peer without latency shows '—', not 0 ms.
    const sg = w.find('[data-peer="sg"]')
    expect(sg.text()).toContain('disconnected')
    expect(sg.find('[data-unknown="true"]').exists()).toBe(true)
    expect(sg.text()).not.toContain('0 ms')
    expect(w.find('[data-peer="nas"]').text()).toContain('inbound')
  })

  it('has no warning once the password was changed', async () => {
    client.handle('hy2scale.overview', () => overview({ defaultPassword: false }))
    const w = await mountOverview()
    expect(w.find('[data-testid="hy2-default-password"]').exists()).toBe(false)
    expect(w.find('[data-testid="hy2-node-name-value"]').text()).toBe('Osaka')
  })

  it('shows the topology as a graph by default, live from the node’s layout, and as a list on demand', async () => {
    client.handle('hy2scale.overview', () => overview())
    const w = await mountOverview()
    expect(w.find('[data-testid="hy2-topology-toggle"]').exists()).toBe(true)
    await vi.waitFor(() => expect(w.find('[data-testid="hy2-topology-graph"]').exists()).toBe(true))
    expect(w.find('[data-peer="sg"]').exists()).toBe(false)
    // The layout is read once and followed through the graph-layout stream.
    expect(client.calls.some((c) => c.method === 'hy2scale.graphLayout.get')).toBe(true)
    expect(
      client.calls.some(
        (c) =>
          c.method === 'streams.watch' && (c.input as { stream: string }).stream === 'graph-layout',
      ),
    ).toBe(true)
    expect(w.find('[data-testid="hy2-stream-state"]').exists()).toBe(true)

    await pickView(w, 'list')
    expect(w.find('[data-testid="hy2-topology-graph"]').exists()).toBe(false)
    expect(w.find('[data-peer="sg"]').text()).toContain('disconnected')
    // Leaving the graph stops following its stream.
    expect(
      client.calls.some(
        (c) =>
          c.method === 'streams.unwatch' &&
          (c.input as { stream: string }).stream === 'graph-layout',
      ),
    ).toBe(true)

    await pickView(w, 'graph')
    await vi.waitFor(() => expect(w.find('[data-testid="hy2-topology-graph"]').exists()).toBe(true))
    expect(w.find('[data-peer="sg"]').exists()).toBe(false)
  })
})
