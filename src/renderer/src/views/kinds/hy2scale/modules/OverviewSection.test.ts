// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Hy2ScaleOverview, Hy2ScaleTopologyNode } from '../../../../../../shared/contract'
import type { FakeClient } from '../../../../testing/fake-client'
import { mountWith, setupFake } from '../test-utils'
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
beforeEach(() => {
  ;({ client, pinia } = setupFake())
})

describe('OverviewSection', () => {
  it('warns about the factory password and labels traffic from the node’s point of view', async () => {
    client.handle('hy2scale.overview', () => overview())
    const w = await mountWith(OverviewSection, pinia, { serverId: 's1' })
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
    const w = await mountWith(OverviewSection, pinia, { serverId: 's1' })
    expect(w.find('[data-testid="hy2-default-password"]').exists()).toBe(false)
    expect(w.find('[data-testid="hy2-node-name-value"]').text()).toBe('Osaka')
  })
})
