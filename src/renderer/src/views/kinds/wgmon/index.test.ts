// @vitest-environment happy-dom
import { enableAutoUnmount, mount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAppI18n } from '../../../locales'
import type { FakeClient } from '../../../testing/fake-client'
import { KIND_PANELS } from '../index'
import WgMonPanel from './index.vue'
import { settle, setupFake, wgChart, wgDashboard, wgPage, wgStatus, wgUser } from './test-utils'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('wgmon.dashboard', () => wgDashboard())
  client.handle('wgmon.status', () => wgStatus())
  client.handle('wgmon.chart', () => wgChart())
  client.handle('wgmon.users', () => wgPage([wgUser()]))
  client.handle('wgmon.allUsers', () => ({ users: [] }))
})

async function mountPanel(locale: 'en-US' | 'zh-CN') {
  const w = mount(WgMonPanel, {
    props: { serverId: 's1' },
    global: {
      plugins: [createAppI18n(locale), pinia],
      stubs: { 'v-chart': true, echarts: true },
    },
    attachTo: document.body,
  })
  await settle()
  return w
}

describe('WireGuard monitor panel', () => {
  it('is the panel of its kind', () => {
    expect(KIND_PANELS.wgmon).toBeTruthy()
  })

  it('shows the overview first and reads only what the shown tab needs', async () => {
    const w = await mountPanel('en-US')
    expect(w.find('[data-testid="wg-overview"]').exists()).toBe(true)
    const methods = () => new Set(client.calls.map((c) => c.method))
    expect(methods()).toEqual(new Set(['wgmon.dashboard', 'wgmon.status', 'wgmon.chart']))
    await w.find('[data-testid="wg-tab-users"]').trigger('click')
    await settle()
    expect(w.find('[data-testid="wg-users"]').exists()).toBe(true)
    expect(methods().has('wgmon.users')).toBe(true)
    expect(methods().has('wgmon.events')).toBe(false)
  })

  it('speaks Chinese', async () => {
    const w = await mountPanel('zh-CN')
    expect(w.find('[data-testid="wg-tab-overview"]').text()).toBe('概览')
    expect(w.find('[data-testid="wg-tab-sessions"]').text()).toBe('会话')
    expect(w.text()).toContain('累计上传')
    expect(w.text()).toContain('流量（用户视角）')
  })
})
