import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import type { Component, DefineComponent } from 'vue'
import type {
  BridgeConfig,
  BridgePreview,
  BridgeStatus,
  BridgeView,
} from '../../../../shared/contract'
import { createApi, installApi } from '../../api'
import { staticConnection } from '../../host/connection'
import { createAppI18n } from '../../locales'
import { preloadDiscrete } from '../../utils/discrete'
import { createFakeClient, type FakeClient } from '../../testing/fake-client'

/** A fresh pinia and a fake core for one test. */
export function setupFake(): { client: FakeClient; pinia: Pinia } {
  const pinia = createPinia()
  setActivePinia(pinia)
  const client = createFakeClient()
  installApi(createApi(staticConnection(client)))
  return { client, pinia }
}

/** Mounts a component with i18n and the test's pinia, attached to the document (teleports). */
export async function mountBridge(
  component: Component,
  pinia: Pinia,
  props: Record<string, unknown>,
  locale: 'en-US' | 'zh-CN' = 'en-US',
) {
  const wrapper = mount(component as DefineComponent, {
    props,
    global: { plugins: [createAppI18n(locale), pinia] },
    attachTo: document.body,
  })
  await settle()
  return wrapper
}

/** Lets promises and timers of 0 ms settle. */
export async function settle(): Promise<void> {
  // Messages need their providers, which load on the first one.
  await preloadDiscrete()
  for (let i = 0; i < 4; i++) {
    await flushPromises()
    await new Promise((r) => setTimeout(r, 0))
  }
}

/** An element by `data-testid` anywhere in the document (dialogs are teleported). */
export function byTestId<T extends Element = HTMLElement>(id: string): T | null {
  return document.querySelector<T>(`[data-testid="${id}"]`)
}

/** Clicks an element by `data-testid` and lets Vue update; throws when it is missing. */
export async function clickTestId(id: string): Promise<void> {
  const el = byTestId(id)
  if (!el) throw new Error(`missing [data-testid="${id}"]`)
  el.click()
  await settle()
}

/** A bridge's settings for tests (Busan-5 → Shanghai-Mu node 1, by email). */
export function bridgeConfig(over: Partial<BridgeConfig> = {}): BridgeConfig {
  return {
    id: 'b1',
    sourceId: 'src',
    panelId: 'mu',
    name: 'Busan-5 → Shanghai-Mu #1',
    nodeId: 1,
    rule: 'email',
    intervalSec: 10,
    reportOnline: true,
    trafficRate: 1,
    settleSec: 60,
    enabled: true,
    startFrom: 'source_start',
    createdAt: Date.now() - 3_600_000,
    ...over,
  }
}

/** A healthy bridge's status for tests. */
export function bridgeStatus(over: Partial<BridgeStatus> = {}): BridgeStatus {
  const NOW = Date.now()
  return {
    bridgeId: 'b1',
    state: 'idle',
    since: NOW - 60_000,
    lastReadAt: NOW - 12_000,
    lastReportAt: NOW - 12_000,
    lastReport: { batchId: 7, users: 8, u: 1536, d: 3 * 1024 ** 2, at: NOW - 12_000 },
    nextRunAt: NOW + 8_000,
    error: null,
    pending: { users: 2, u: 100, d: 200 },
    unmatched: [{ name: 'guest@example.com', u: 50, d: 70 }],
    inflight: null,
    acked: { u: 10_000, d: 20_000 },
    online: { count: 5, at: NOW - 12_000, error: null },
    attention: null,
    verifyAfter: null,
    runner: { pid: 4242, owner: 'NodeDeck (browser)', self: true },
    ...over,
  }
}

/** A bridge (settings + status) for tests. */
export function bridgeView(
  config: Partial<BridgeConfig> = {},
  status: Partial<BridgeStatus> = {},
): BridgeView {
  const c = bridgeConfig(config)
  return { config: c, status: bridgeStatus({ bridgeId: c.id, ...status }) }
}

/** A preview with one match of each kind of finding. */
export function bridgePreview(over: Partial<BridgePreview> = {}): BridgePreview {
  return {
    sourceUsers: 4,
    panelUsers: 14,
    panelList: 'node',
    matched: [
      { name: 'alice@example.com', userId: 1, email: 'alice@example.com', port: 20001 },
      { name: 'bob@example.com', userId: 2, email: 'bob@example.com', port: null },
    ],
    unmatched: ['guest@example.com'],
    duplicates: [{ userId: 2, names: ['bob@example.com', 'BOB@example.com'] }],
    ambiguous: [{ name: 'carol@example.com', userIds: [3, 9] }],
    ...over,
  }
}
