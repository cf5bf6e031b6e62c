// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import {
  appError,
  type MethodInput,
  type PgSyncProgress,
  type PgSyncResult,
} from '../../../../../../shared/contract'
import { usePasarGuardStore, emptyStartForm } from '../../../../stores/pasarguard'
import type { FakeClient } from '../../../../testing/fake-client'
import {
  $,
  mountPg,
  pgOverview,
  pgTraffic,
  pickFile,
  settle,
  setupFake,
  trafficRow,
  trafficTable,
  typeInto,
} from '../test-utils'
import UserSyncCard from './UserSyncCard.vue'
import UsersSection from './UsersSection.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  client.handle('pasarguard.traffic', () =>
    pgTraffic({ inbounds: trafficTable({ rows: [trafficRow({ name: 'vless-in' })] }) }),
  )
  client.handle('pasarguard.syncUser', () => ({ ok: true as const }))
})

type SyncInput = MethodInput<'pasarguard.syncUsers'>
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

/** Ticks the checkbox of a protocol in the single-user form. */
async function toggle(protocol: string) {
  $(`[data-testid="pg-user-on-${protocol}"]`).click()
  await settle()
}

describe('UserSyncCard', () => {
  it('generates ids and syncs one user with only the protocols switched on', async () => {
    await mountPg(UsersSection, pinia, { serverId: 's1' })
    await typeInto('[data-testid="pg-user-email"]', '  alice@x ')
    // No inbounds yet: refused with a reason, nothing sent.
    $('[data-testid="pg-user-sync-btn"]').click()
    await settle()
    expect($('[data-testid="pg-user-problem"]').textContent).toContain('at least one inbound')
    expect(client.calls.some((c) => c.method === 'pasarguard.syncUser')).toBe(false)

    const store = usePasarGuardStore()
    expect(store.traffic.s1?.inbounds.rows[0]?.name).toBe('vless-in')
    await typeInto('[data-testid="pg-user-inbounds"]', 'vless-in')
    // naive's tag select takes the typed tag on Enter.
    const input = $<HTMLInputElement>('[data-testid="pg-user-inbounds"] input')
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }))
    await settle()
    $('[data-testid="pg-user-gen-vless"]').click()
    await toggle('trojan')
    $('[data-testid="pg-user-gen-trojan"]').click()
    await settle()
    $('[data-testid="pg-user-sync-btn"]').click()
    await settle()
    const call = client.calls.find((c) => c.method === 'pasarguard.syncUser')
    const user = (call?.input as MethodInput<'pasarguard.syncUser'>).user
    expect(user.email).toBe('alice@x')
    expect(user.inbounds).toEqual(['vless-in'])
    expect(user.proxies?.vless?.id).toMatch(UUID)
    expect(user.proxies?.trojan?.password).toMatch(/^[A-Za-z0-9_-]{24}$/)
    expect(Object.keys(user.proxies ?? {}).sort()).toEqual(['trojan', 'vless'])
  })

  it('removes a user (a sync with no inbounds) only after confirming', async () => {
    await mountPg(UsersSection, pinia, { serverId: 's1' })
    await typeInto('[data-testid="pg-user-email"]', 'bob@x')
    $('[data-testid="pg-user-remove"]').click()
    await settle()
    expect($('[data-testid="pg-user-remove-confirm"]').textContent).toContain('Remove bob@x')
    expect(client.calls.some((c) => c.method === 'pasarguard.syncUser')).toBe(false)
    $('[data-testid="pg-user-remove-confirm-ok"]').click()
    await settle()
    expect(client.calls.find((c) => c.method === 'pasarguard.syncUser')?.input).toEqual({
      serverId: 's1',
      user: { email: 'bob@x', inbounds: [], proxies: {} },
    })
  })

  it('offers the Start draft’s inbound tags and the inbound counters, minus excluded ones', async () => {
    const store = usePasarGuardStore()
    store.rememberDraft('s1', {
      ...emptyStartForm(),
      config: { xray: '{"inbounds":[{"tag":"trojan-in"},{"tag":"api"}]}', wireguard: '' },
    })
    store.overviews.s1 = {
      ...pgOverview(),
      started: { at: 1, type: 'xray', keepAliveSec: 0, excludeInbounds: ['api'] },
    }
    const w = await mountPg(UsersSection, pinia, { serverId: 's1' })
    const options = w.findComponent(UserSyncCard).props('inboundOptions')
    expect(options).toEqual(['trojan-in', 'vless-in'])
  })
})

describe('FullSyncCard', () => {
  it('reads users files with either key style and counts invalid entries', async () => {
    await mountPg(UsersSection, pinia, { serverId: 's1' })
    await pickFile(
      '[data-testid="pg-sync-file-input"]',
      'snake.json',
      JSON.stringify([
        {
          email: 'a',
          inbounds: ['wg'],
          proxies: { wireguard: { public_key: 'K', peer_ips: ['10.0.0.2/32'] } },
        },
        { email: '', inbounds: ['wg'] },
        { email: 'a', inbounds: ['wg'] },
      ]),
    )
    expect($('[data-testid="pg-sync-file-summary"]').textContent).toContain(
      'snake.json: 1 valid of 3 (2 invalid)',
    )
    const invalid = $('[data-testid="pg-sync-file-invalid"]').textContent ?? ''
    expect(invalid).toContain('Entry 2 (no email): email')
    expect(invalid).toContain('Entry 3 (a): this email appears earlier in the file')
    expect($('[data-testid="pg-sync-run"]').textContent).toContain('Sync 1 user')

    await pickFile(
      '[data-testid="pg-sync-file-input"]',
      'camel.json',
      JSON.stringify({
        users: [
          { email: 'b', inbounds: ['wg'], proxies: { wireguard: { publicKey: 'K', peerIps: [] } } },
          { email: 'c', inbounds: ['vless-in'], proxies: { vless: { id: 'x', flow: '' } } },
        ],
      }),
    )
    expect($('[data-testid="pg-sync-file-summary"]').textContent).toContain(
      'camel.json: 2 valid of 2 (0 invalid)',
    )
    expect(document.querySelector('[data-testid="pg-sync-file-invalid"]')).toBeNull()

    await pickFile('[data-testid="pg-sync-file-input"]', 'broken.json', '[\n  {"email": "a"\n]')
    expect($('[data-testid="pg-json-error"]').textContent).toContain(
      'broken.json is not valid JSON',
    )
    expect($('[data-testid="pg-json-error"]').textContent).toContain('Line 3, column 1')
    expect($<HTMLButtonElement>('[data-testid="pg-sync-run"]').disabled).toBe(true)

    await pickFile('[data-testid="pg-sync-file-input"]', 'odd.json', '{"people": []}')
    expect($('[data-testid="pg-sync-file-error"]').textContent).toContain(
      'must hold a list of users',
    )
  })

  it('shows chunked progress from the events of its own job, then the summary', async () => {
    let finish: (r: PgSyncResult) => void = () => undefined
    let input: SyncInput | null = null
    client.handle('pasarguard.syncUsers', (i) => {
      input = i
      return new Promise<PgSyncResult>((resolve) => {
        finish = resolve
      })
    })
    await mountPg(UsersSection, pinia, { serverId: 's1' })
    const users = Array.from({ length: 250 }, (_, k) => ({
      email: `u${k}`,
      inbounds: ['vless-in'],
    }))
    await pickFile('[data-testid="pg-sync-file-input"]', 'u.json', JSON.stringify(users))
    await typeInto('[data-testid="pg-sync-chunk-size"]', '100')
    // More than 100 users: even chunked, the node restarts its core.
    expect($('[data-testid="pg-sync-restart-warning"]').textContent).toContain('250 users')
    $('[data-testid="pg-sync-run"]').click()
    await settle()
    expect($('[data-testid="pg-sync-confirm"]').textContent).toContain(
      'These 250 users are added or updated',
    )
    $('[data-testid="pg-sync-confirm-ok"]').click()
    await settle()

    const sent = input as SyncInput | null
    expect(sent).not.toBeNull()
    if (!sent) return
    expect(sent).toMatchObject({ serverId: 's1', mode: 'chunked', chunkSize: 100 })
    expect(sent.users).toHaveLength(250)
    expect(sent.jobId).toMatch(UUID)
    const progress = (over: Partial<PgSyncProgress>): PgSyncProgress => ({
      serverId: 's1',
      jobId: sent.jobId,
      sentUsers: 100,
      totalUsers: 250,
      sentChunks: 1,
      totalChunks: 3,
      done: false,
      error: null,
      ...over,
    })
    const bar = () => $('[data-testid="pg-sync-progress"] .n-progress')
    client.emit('pasarguard.syncProgress', progress({}))
    await settle()
    expect($('[data-testid="pg-sync-progress-text"]').textContent).toContain(
      '100 of 250 users · chunk 1 of 3',
    )
    expect(bar().getAttribute('data-percent')).toBe('40')
    // Another job's and another server's events are ignored.
    client.emit('pasarguard.syncProgress', progress({ jobId: 'other', sentUsers: 250 }))
    client.emit('pasarguard.syncProgress', progress({ serverId: 's2', sentUsers: 250 }))
    await settle()
    expect(bar().getAttribute('data-percent')).toBe('40')
    expect($<HTMLButtonElement>('[data-testid="pg-sync-run"]').disabled).toBe(true)

    client.emit('pasarguard.syncProgress', progress({ sentUsers: 250, sentChunks: 3, done: true }))
    finish({ users: 250, chunks: 3, bytes: 12_345, elapsedMs: 1500, coreRestarted: true })
    await settle()
    expect(bar().getAttribute('data-percent')).toBe('100')
    const summary = $('[data-testid="pg-sync-summary"]').textContent ?? ''
    expect(summary).toContain('250')
    expect(summary).toContain('12.1 KiB')
    expect(summary).toContain('1.5 s')
    expect(summary).toMatch(/Core restarted:?\s*yes/)
    expect($<HTMLButtonElement>('[data-testid="pg-sync-run"]').disabled).toBe(false)
  })

  it('syncs the form’s list in replace mode and shows a failure with the server', async () => {
    client.handle('pasarguard.syncUsers', () => {
      throw appError('http_status', 'The node refused the user set (500 sync failed).')
    })
    await mountPg(UsersSection, pinia, { serverId: 's1' })
    await typeInto('[data-testid="pg-user-email"]', 'carol@x')
    await typeInto('[data-testid="pg-user-inbounds"]', 'vless-in')
    $<HTMLInputElement>('[data-testid="pg-user-inbounds"] input').dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }),
    )
    await settle()
    $('[data-testid="pg-user-gen-vless"]').click()
    await settle()
    $('[data-testid="pg-user-add-list"]').click()
    await settle()
    $<HTMLInputElement>('[data-testid="pg-sync-source-list"] input').click()
    await settle()
    expect($('[data-testid="pg-sync-list"]').textContent).toContain('carol@x')
    $<HTMLInputElement>('[data-testid="pg-sync-mode-replace"] input').click()
    await settle()
    expect($('[data-testid="pg-sync-restart-warning"]').textContent).toContain('restarts its core')
    $('[data-testid="pg-sync-run"]').click()
    await settle()
    $('[data-testid="pg-sync-confirm-ok"]').click()
    await settle()
    const call = client.calls.find((c) => c.method === 'pasarguard.syncUsers')
    expect(call?.input).toMatchObject({ serverId: 's1', mode: 'replace' })
    expect((call?.input as SyncInput).users.map((u) => u.email)).toEqual(['carol@x'])
    const err = $('[data-testid="pg-full-sync"] [data-testid="hy2-load-error"]')
    expect(err.textContent).toContain('The sync failed')
    expect(err.textContent).toContain('s1: The node refused the user set')
    expect(document.querySelector('[data-testid="pg-sync-summary"]')).toBeNull()
  })
})
