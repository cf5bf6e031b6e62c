// @vitest-environment happy-dom
import { enableAutoUnmount, mount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createAppI18n } from '../../../locales'
import type { FakeClient } from '../../../testing/fake-client'
import { KIND_PANELS } from '../index'
import PasarGuardPanel from './index.vue'
import { pgOverview, settle, setupFake } from './test-utils'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('pasarguard.overview', () => pgOverview())
})

async function mountPanel(locale: 'en-US' | 'zh-CN') {
  const w = mount(PasarGuardPanel, {
    props: { serverId: 's1' },
    global: {
      plugins: [createAppI18n(locale), pinia],
      stubs: { 'v-chart': true, echarts: true, LogsTab: true },
    },
    attachTo: document.body,
  })
  await settle()
  return w
}

describe('PasarGuard panel', () => {
  it('is the panel of its kind', () => {
    expect(KIND_PANELS.pasarguard).toBeTruthy()
  })

  it('shows the overview first and polls only the shown tab', async () => {
    const w = await mountPanel('en-US')
    expect(w.find('[data-testid="pg-overview"]').exists()).toBe(true)
    expect(w.find('[data-testid="pg-tab-logs"]').text()).toBe('Logs')
    expect(client.calls.some((c) => c.method === 'pasarguard.overview')).toBe(true)
    expect(client.calls.some((c) => c.method === 'pasarguard.traffic')).toBe(false)
    expect(client.calls.some((c) => c.method === 'live.watch')).toBe(false)
  })

  it('speaks Chinese', async () => {
    const w = await mountPanel('zh-CN')
    expect(w.find('[data-testid="pg-tab-overview"]').text()).toBe('概览')
    expect(w.find('[data-testid="pg-tab-traffic"]').text()).toBe('流量')
    expect(w.text()).toContain('系统运行时间')
  })
})
