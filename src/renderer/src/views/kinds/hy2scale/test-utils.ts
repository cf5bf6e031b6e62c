import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia, type Pinia } from 'pinia'
import type { Component, DefineComponent } from 'vue'
import type { Account, Cert } from '../../../../../shared/contract'
import { createApi, installApi } from '../../../api'
import { staticConnection } from '../../../host/connection'
import { createAppI18n } from '../../../locales'
import { createFakeClient, type FakeClient } from '../../../testing/fake-client'

/** A fresh pinia and a fake core for one test. */
export function setupFake(): { client: FakeClient; pinia: Pinia } {
  const pinia = createPinia()
  setActivePinia(pinia)
  const client = createFakeClient()
  installApi(createApi(staticConnection(client)))
  return { client, pinia }
}

/** Mounts a panel component with i18n and the test's pinia, attached to the document. */
export async function mountWith(
  component: Component,
  pinia: Pinia,
  props: Record<string, unknown>,
) {
  // Props are checked by each test's expectations, not here: one helper mounts every section.
  const wrapper = mount(component as DefineComponent, {
    props,
    global: { plugins: [createAppI18n('en-US'), pinia] },
    attachTo: document.body,
  })
  await flushPromises()
  return wrapper
}

/** An account for tests. */
export function account(over: Partial<Account> = {}): Account {
  return {
    id: 'a1',
    name: 'alice',
    enabled: true,
    trafficLimit: null,
    trafficUsed: null,
    expiresAt: null,
    exitVia: '',
    devices: null,
    ...over,
  }
}

/** A certificate for tests. */
export function cert(over: Partial<Cert> = {}): Cert {
  return {
    id: 'default',
    name: 'default',
    subject: 'node1',
    issuer: 'node1',
    notAfter: '2035-01-01',
    isCa: false,
    hasKey: true,
    caParentId: null,
    daysLeft: 3000,
    ...over,
  }
}
