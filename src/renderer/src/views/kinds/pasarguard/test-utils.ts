import { flushPromises, mount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import type { Component, DefineComponent } from 'vue'
import type {
  PgOverview,
  PgTraffic,
  PgTrafficRow,
  PgTrafficTable,
} from '../../../../../shared/contract'
import { createAppI18n } from '../../../locales'
import { preloadDiscrete } from '../../../utils/discrete'

export { setupFake } from '../hy2scale/test-utils'

/**
 * Mounts a panel component with i18n and the test's pinia, attached to the document, with
 * echarts stubbed: happy-dom has no canvas and zrender would throw (infra.md pitfall 2).
 * Async chunks (the charts) are given a few turns to load.
 */
export async function mountPg(component: Component, pinia: Pinia, props: Record<string, unknown>) {
  const wrapper = mount(component as DefineComponent, {
    props,
    global: {
      plugins: [createAppI18n('en-US'), pinia],
      stubs: { 'v-chart': true, echarts: true },
    },
    attachTo: document.body,
  })
  await settle()
  return wrapper
}

/** Lets promises, timers of 0 ms and async components settle. */
export async function settle(): Promise<void> {
  // Messages need their providers, which load on the first one.
  await preloadDiscrete()
  for (let i = 0; i < 5; i++) {
    await flushPromises()
    await new Promise((r) => setTimeout(r, 0))
  }
}

/** Dialogs render in a teleport: query the document. */
export function $<T extends Element = HTMLElement>(sel: string): T {
  const el = document.querySelector<T>(sel)
  if (!el) throw new Error(`missing ${sel}`)
  return el
}

/** Types into a naive input or textarea (found in the document) and lets Vue update. */
export async function typeInto(sel: string, value: string): Promise<void> {
  const el = document.querySelector<HTMLInputElement | HTMLTextAreaElement>(
    `${sel} textarea, ${sel} input`,
  )
  if (!el) throw new Error(`missing input in ${sel}`)
  el.value = value
  el.dispatchEvent(new Event('input'))
  el.dispatchEvent(new Event('change'))
  el.dispatchEvent(new Event('blur'))
  await settle()
}

/** Picks a file in an `<input type="file">` (happy-dom cannot open a file chooser). */
export async function pickFile(sel: string, name: string, text: string): Promise<void> {
  const input = $<HTMLInputElement>(sel)
  const file = new File([text], name, { type: 'application/json' })
  Object.defineProperty(input, 'files', { value: [file], configurable: true })
  input.dispatchEvent(new Event('change'))
  await settle()
}

/** A running node's overview for tests. */
export function pgOverview(over: Partial<PgOverview> = {}): PgOverview {
  return {
    serverId: 's1',
    at: Date.now(),
    transport: 'grpc',
    info: { started: true, coreVersion: '25.8.3', nodeVersion: '0.5.2' },
    core: 'running',
    coreMessage: null,
    system: {
      memTotal: 8 * 1024 ** 3,
      memUsed: 2 * 1024 ** 3,
      cpuCores: 4,
      cpuUsage: 12.5,
      incomingBps: 1024,
      outgoingBps: 2048,
      uptimeSec: 7200,
    },
    backend: {
      numGoroutine: 42,
      numGc: 7,
      alloc: 10 * 1024 ** 2,
      totalAlloc: 50 * 1024 ** 2,
      sys: 30 * 1024 ** 2,
      mallocs: 1000,
      frees: 900,
      liveObjects: 100,
      pauseTotalNs: 2_500_000,
      uptimeSec: 600,
    },
    history: [],
    errors: [],
    started: null,
    pollIntervalSec: 10,
    ...over,
  }
}

/** A traffic row for tests. */
export function trafficRow(over: Partial<PgTrafficRow> = {}): PgTrafficRow {
  return {
    name: 'vless-in',
    link: 'traffic',
    up: 1024,
    down: 2048,
    upRate: 10,
    downRate: 20,
    reset: false,
    ...over,
  }
}

/** A traffic table for tests. */
export function trafficTable(over: Partial<PgTrafficTable> = {}): PgTrafficTable {
  return { rows: [trafficRow()], error: null, at: Date.now(), ...over }
}

/** A `pasarguard.traffic` answer for tests. */
export function pgTraffic(over: Partial<PgTraffic> = {}): PgTraffic {
  return {
    serverId: 's1',
    at: Date.now(),
    inbounds: trafficTable(),
    outbounds: trafficTable({ rows: [trafficRow({ name: 'direct' })] }),
    clearOnRead: false,
    countingSince: null,
    ...over,
  }
}
