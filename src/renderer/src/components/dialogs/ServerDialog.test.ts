// @vitest-environment happy-dom
import { enableAutoUnmount, flushPromises } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { MethodInput, TlsCertInfo } from '../../../../shared/contract'
import { useDialogsStore } from '../../stores/dialogs'
import { useServersStore } from '../../stores/servers'
import { serverView } from '../../testing/fixtures'
import type { FakeClient } from '../../testing/fake-client'
import { mountWith, setupFake } from '../../views/kinds/hy2scale/test-utils'
import ServerDialog from './ServerDialog.vue'

enableAutoUnmount(afterEach)

const FP = Array.from({ length: 32 }, (_, i) =>
  (i * 7 + 16).toString(16).toUpperCase().padStart(2, '0'),
).join(':')
const CERT: TlsCertInfo = {
  fingerprintSha256: FP,
  subject: 'CN=localhost',
  issuer: 'CN=localhost',
  subjectAltName: 'DNS:localhost, IP Address:127.0.0.1',
  validFrom: 'Nov 23 00:00:00 2026 GMT',
  validTo: 'Nov 21 00:00:00 2036 GMT',
  daysLeft: 3650,
  selfSigned: true,
  trustedBySystem: false,
  systemError: 'DEPTH_ZERO_SELF_SIGNED_CERT',
  pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  alpn: 'h2',
}

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('servers.list', () => [])
})

const q = <T extends Element = HTMLElement>(id: string) =>
  document.querySelector<T>(`[data-testid="${id}"]`)

async function type(id: string, value: string) {
  const el = q<HTMLInputElement>(id)?.querySelector<HTMLInputElement>('input,textarea')
  if (!el) throw new Error(`no input ${id}`)
  el.value = value
  el.dispatchEvent(new Event('input'))
  await flushPromises()
}

async function click(id: string) {
  const el = q(id)
  if (!el) throw new Error(`no ${id}`)
  el.click()
  await flushPromises()
}

async function openAdd() {
  await mountWith(ServerDialog, pinia, {})
  useDialogsStore().openAdd()
  await flushPromises()
  expect(q('server-kind')).not.toBeNull()
}

describe('ServerDialog TLS trust', () => {
  it('fetches the certificate, pins it only after an explicit "Trust", and saves the pin', async () => {
    client.handle('servers.probeTls', () => CERT)
    let added: MethodInput<'servers.add'> | null = null
    client.handle('servers.add', (input) => {
      added = input
      return { id: 'new1' }
    })
    await openAdd()
    await type('server-name', 'Node A')
    await type('server-url', 'https://127.0.0.1:62050')
    expect(q('tls-section')).not.toBeNull()
    await click('tls-fetch')
    expect(client.calls.filter((c) => c.method === 'servers.probeTls').map((c) => c.input)).toEqual(
      [{ url: 'https://127.0.0.1:62050' }],
    )
    expect(q('tls-cert-fingerprint')?.textContent?.trim()).toBe(FP)
    expect(q('tls-cert')?.textContent).toContain('DEPTH_ZERO_SELF_SIGNED_CERT')
    // Nothing is pinned until the admin says so.
    expect(q('tls-fingerprint')).toBeNull()
    await click('tls-trust')
    expect(q<HTMLInputElement>('tls-fingerprint')?.querySelector('input')?.value).toBe(FP)
    expect(q('tls-matches')).not.toBeNull()
    await click('server-save')
    expect(added).not.toBeNull()
    expect(added!.draft.tls).toEqual({ fingerprintSha256: FP })
  })

  it('warns when the server now presents another certificate than the pinned one', async () => {
    client.handle('servers.probeTls', () => CERT)
    await openAdd()
    await type('server-url', 'https://node.example:62050')
    await click('tls-mode-pin')
    await type('tls-fingerprint', 'AA:'.repeat(31) + 'AA')
    await click('tls-fetch')
    expect(q('tls-changed')?.textContent).toContain('AA:AA')
    expect(q('tls-trust')).not.toBeNull()
  })

  it('has no TLS section for http:// addresses and sends no tls options', async () => {
    let added: MethodInput<'servers.add'> | null = null
    client.handle('servers.add', (input) => {
      added = input
      return { id: 'n2' }
    })
    await openAdd()
    await type('server-name', 'Plain')
    await type('server-url', 'http://127.0.0.1:9999')
    expect(q('tls-section')).toBeNull()
    await click('server-save')
    expect(added!.draft.tls).toEqual({})
  })

  it('refuses a CA field without a PEM certificate', async () => {
    client.handle('servers.add', () => ({ id: 'n3' }))
    await openAdd()
    await type('server-name', 'CA node')
    await type('server-url', 'https://127.0.0.1:62050')
    await click('tls-mode-ca')
    await type('tls-ca', 'not a certificate')
    await click('server-save')
    expect(client.calls.some((c) => c.method === 'servers.add')).toBe(false)
    expect(q('tls-section')?.textContent).toContain('Paste a PEM certificate')
  })

  it('edits a PasarGuard node: pinned mode, its transport choice, and a UUID check of the API key', async () => {
    const pg = serverView({
      id: 'pg1',
      kind: 'pasarguard',
      name: 'PG',
      url: 'https://127.0.0.1:62050',
      tls: { fingerprintSha256: FP },
      options: { transport: 'rest' },
    })
    client.handle('servers.list', () => [pg])
    let updated: MethodInput<'servers.update'> | null = null
    client.handle('servers.update', (input) => {
      updated = input
      return pg
    })
    await mountWith(ServerDialog, pinia, {})
    await useServersStore().load()
    useDialogsStore().openEdit('pg1')
    await flushPromises()
    expect(q<HTMLInputElement>('tls-fingerprint')?.querySelector('input')?.value).toBe(FP)
    const checked = () =>
      q('server-option-transport')?.querySelector('.n-radio-button--checked')?.textContent?.trim()
    expect(checked()).toBe('REST')
    await click('server-option-transport-grpc')
    expect(checked()).toBe('gRPC')
    await type('server-secret', 'not-a-uuid')
    await click('server-save')
    expect(updated).toBeNull()
    expect(document.querySelector('[data-testid="server-dialog"]')?.textContent).toContain(
      'The API key is a UUID',
    )
    await type('server-secret', '123E4567E89B12D3A456426614174000')
    await click('server-save')
    expect(updated).not.toBeNull()
    expect(updated!.draft.options).toMatchObject({ transport: 'grpc' })
    expect(updated!.draft.tls).toEqual({ fingerprintSha256: FP })
    expect(updated!.secret).toBe('123E4567E89B12D3A456426614174000')
  })
})
