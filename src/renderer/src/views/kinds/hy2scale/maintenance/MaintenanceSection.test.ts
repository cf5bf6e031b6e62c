// @vitest-environment happy-dom
import { enableAutoUnmount, flushPromises } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { useServersStore } from '../../../../stores/servers'
import type { FakeClient } from '../../../../testing/fake-client'
import { serverView } from '../../../../testing/fixtures'
import { mountWith, setupFake } from '../test-utils'
import BackupCard from './BackupCard.vue'
import MaintenanceSection from './MaintenanceSection.vue'
import { bytesToBase64 } from './shared'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('hy2scale.settings.get', () => ({
    listen: '0.0.0.0:5565',
    basePath: '/scale',
    dns: '8.8.8.8,1.1.1.1',
    forceHttps: false,
    httpsCertId: '',
    sessionTimeoutH: 12,
  }))
  client.handle('hy2scale.buildInfo', () => ({
    version: '1.3.4',
    license: 'MIT',
    repository: 'github.com/FrankoonG/hy2scale',
    goDepsCount: 12,
    natives: [],
  }))
  client.handle('hy2scale.arch', () => ({
    os: 'linux',
    arch: 'amd64',
    version: '1.3.4',
    binary: '/usr/bin/hy2scale',
    inDocker: false,
  }))
  client.handle('streams.watch', () => ({ ok: true }))
  client.handle('streams.unwatch', () => ({ ok: true }))
  client.handle('servers.refresh', () => ({ ok: true }))
  client.handle('hy2scale.restore', () => ({ message: 'restarting' }))
})

/** Picks a file in the hidden file input. */
async function pick(input: HTMLInputElement, file: File) {
  Object.defineProperty(input, 'files', { value: [file], configurable: true })
  input.dispatchEvent(new Event('change'))
  await flushPromises()
  await new Promise((r) => setTimeout(r, 0))
  await flushPromises()
}

const body = () => document.querySelector('[data-testid="hy2-maint-restore-confirm"]')

describe('restore', () => {
  it('asks for a confirmation that warns about the restart and the end of every session', async () => {
    const w = await mountWith(BackupCard, pinia, { serverId: 's1' })
    const bytes = new Uint8Array([1, 2, 3, 250, 251])
    await pick(
      w.find('[data-testid="hy2-maint-restore-file"]').element as HTMLInputElement,
      new File([bytes], 'node.tar', { type: 'application/x-tar' }),
    )
    const dialog = body()
    expect(dialog).not.toBeNull()
    expect(dialog?.textContent).toContain('node.tar')
    expect(dialog?.textContent).toMatch(/restarts right away/)
    expect(dialog?.textContent).toMatch(/Every session ends/)
    // Nothing was sent before the confirmation.
    expect(client.calls.some((c) => c.method === 'hy2scale.restore')).toBe(false)

    document.querySelector<HTMLElement>('[data-testid="hy2-maint-restore-confirm-cancel"]')?.click()
    await flushPromises()
    expect(client.calls.some((c) => c.method === 'hy2scale.restore')).toBe(false)
  })

  it('restores on confirm, then shows "reconnecting…" until the server is online again', async () => {
    const servers = useServersStore()
    servers.applyList([serverView({ id: 's1', kind: 'hy2scale' })])
    const w = await mountWith(MaintenanceSection, pinia, { serverId: 's1' })
    const bytes = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7])
    await pick(
      w.find('[data-testid="hy2-maint-restore-file"]').element as HTMLInputElement,
      new File([bytes], 'node.tar'),
    )
    document.querySelector<HTMLElement>('[data-testid="hy2-maint-restore-confirm-ok"]')?.click()
    await flushPromises()
    const call = client.calls.find((c) => c.method === 'hy2scale.restore')
    expect(call?.input).toEqual({ serverId: 's1', tarBase64: bytesToBase64(bytes) })
    expect(w.find('[data-testid="hy2-maint-reconnecting"]').exists()).toBe(true)

    // Still the old status (its last success predates the restart): still reconnecting.
    const s = servers.get('s1')
    if (!s) throw new Error('no server')
    servers.applyStatus({ ...s.status, state: 'offline', lastOkAt: Date.now() - 10_000 })
    await flushPromises()
    expect(w.find('[data-testid="hy2-maint-reconnecting"]').exists()).toBe(true)

    servers.applyStatus({ ...s.status, state: 'online', lastOkAt: Date.now() + 5_000 })
    await flushPromises()
    expect(w.find('[data-testid="hy2-maint-reconnecting"]').exists()).toBe(false)
  })
})

describe('upgrade stream', () => {
  it('watches the upgrade stream, shows its state and progress, and unwatches on unmount', async () => {
    const { default: UpgradeCard } = await import('./UpgradeCard.vue')
    const w = await mountWith(UpgradeCard, pinia, { serverId: 's1' })
    expect(client.calls.find((c) => c.method === 'streams.watch')?.input).toEqual({
      serverId: 's1',
      stream: 'upgrade',
    })
    client.emit('stream.batch', {
      serverId: 's1',
      stream: 'upgrade',
      frames: [{ state: 'downloading', progress: 42, latest: 'v1.4.0' }],
      dropped: 0,
      state: { status: 'reconnecting', error: null, nextRetryAt: Date.now() + 1000, since: 1 },
    })
    // Another server's batch is ignored.
    client.emit('stream.batch', {
      serverId: 's2',
      stream: 'upgrade',
      frames: [{ state: 'error', progress: 0 }],
      dropped: 0,
      state: { status: 'failed', error: null, nextRetryAt: null, since: 1 },
    })
    await flushPromises()
    expect(w.find('[data-testid="hy2-stream-state"]').attributes('data-status')).toBe(
      'reconnecting',
    )
    expect(w.find('[data-testid="hy2-maint-upgrade-progress"]').text()).toContain('downloading')
    w.unmount()
    await flushPromises()
    expect(client.calls.find((c) => c.method === 'streams.unwatch')?.input).toEqual({
      serverId: 's1',
      stream: 'upgrade',
    })
  })
})
