import { flushPromises } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { nextTick } from 'vue'
import { createApi, installApi } from '../../api'
import { staticConnection } from '../../host/connection'
import { createFakeClient, type FakeClient } from '../../testing/fake-client'
import { setLogSessionKeepMs } from './use-log-session'

/** A fresh pinia and API over a fake client that accepts stream (un)watches; sessions not kept. */
export function installLogTestApi(): FakeClient {
  setActivePinia(createPinia())
  const client = createFakeClient()
  client.handle('streams.watch', () => ({ ok: true }))
  client.handle('streams.unwatch', () => ({ ok: true }))
  installApi(createApi(staticConnection(client)))
  setLogSessionKeepMs(0)
  return client
}

/** Waits for the list's animation frame and Vue's updates. */
export async function frame(): Promise<void> {
  await new Promise<void>((r) => requestAnimationFrame(() => r()))
  await flushPromises()
  await nextTick()
}
/** Waits for the counters (refreshed at most every 250 ms) and the search debounce. */
export const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300)).then(frame)

const ts = '2024/11/03 10:12:01.000001'
/** Xray log lines: info, error and access. */
export const info = (i: number): string => `${ts} [Info] [${i}] proxy/vless/inbound: request ${i}`
export const err = (i: number): string =>
  `${ts} [Error] [${i}] app/proxyman/inbound: connection ends ${i}`
export const access = (i: number): string =>
  `${ts} from 1.2.3.4:${i} accepted tcp:example.com:443 [in >> out] email: user${i}`

/** The visible rows of the log list. */
export function rows(root: ParentNode = document): { seq: number; text: string; cls: string }[] {
  return [...root.querySelectorAll<HTMLElement>('.nd-log-row')]
    .filter((r) => !r.hidden)
    .map((r) => ({ seq: Number(r.dataset.seq), text: r.textContent ?? '', cls: r.className }))
}
/** The `data-count` of a counter element. */
export const count = (id: string): number =>
  Number(document.querySelector(`[data-testid="${id}"]`)?.getAttribute('data-count'))
