// @vitest-environment happy-dom
import { enableAutoUnmount } from '@vue/test-utils'
import type { Pinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { PgStartDraftInput } from '../../../../../../shared/contract'
import { usePasarGuardStore } from '../../../../stores/pasarguard'
import { useServersStore } from '../../../../stores/servers'
import type { FakeClient } from '../../../../testing/fake-client'
import { serverView } from '../../../../testing/fixtures'
import { $, mountPg, pgOverview, pickFile, settle, setupFake, typeInto } from '../test-utils'
import StartDialog from './StartDialog.vue'

enableAutoUnmount(afterEach)

let client: FakeClient
let pinia: Pinia
beforeEach(() => {
  ;({ client, pinia } = setupFake())
  useServersStore().applyList([
    serverView({ id: 's1', kind: 'pasarguard', name: 'Node A', pollIntervalSec: 30 }),
  ])
  client.handle('pasarguard.overview', () => pgOverview())
  client.handle('pasarguard.start', () => ({
    started: true,
    coreVersion: '25.8.3',
    nodeVersion: '0.5.2',
  }))
})

const submit = () => $<HTMLButtonElement>('[data-testid="pg-start-submit"]')
const CONFIG = '{\n  "inbounds": [\n    { "tag": "vless-in" },\n    { "tag": "trojan-in" }\n  ]\n}'

describe('StartDialog', () => {
  it('shows where an Xray config is broken and refuses to start it', async () => {
    await mountPg(StartDialog, pinia, { serverId: 's1', overview: null, show: true })
    expect(submit().disabled).toBe(true)
    await typeInto(
      '[data-testid="pg-start-config"]',
      '{\n  "inbounds": [\n    { "tag": "a" }\n  ],\n}',
    )
    const err = $('[data-testid="pg-json-error"]')
    expect(err.dataset.line).toBe('5')
    expect(err.dataset.column).toBe('1')
    expect(err.textContent).toContain('Line 5, column 1')
    expect(err.textContent).toContain('comma before a closing bracket')
    expect(submit().disabled).toBe(true)
    submit().click()
    await settle()
    expect(client.calls.some((c) => c.method === 'pasarguard.start')).toBe(false)

    await typeInto('[data-testid="pg-start-config"]', CONFIG)
    expect(document.querySelector('[data-testid="pg-json-error"]')).toBeNull()
    expect($('[data-testid="pg-start-json-ok"]').textContent).toContain('2 inbound tags')
    expect(submit().disabled).toBe(false)
  })

  it('formats valid JSON', async () => {
    await mountPg(StartDialog, pinia, { serverId: 's1', overview: null, show: true })
    await typeInto('[data-testid="pg-start-config"]', '{"inbounds":[{"tag":"a"}]}')
    $('[data-testid="pg-start-format"]').click()
    await settle()
    expect($<HTMLTextAreaElement>('[data-testid="pg-start-config"] textarea').value).toBe(
      '{\n  "inbounds": [\n    {\n      "tag": "a"\n    }\n  ]\n}\n',
    )
  })

  it('warns when keep-alive is at or below the server’s poll interval', async () => {
    await mountPg(StartDialog, pinia, { serverId: 's1', overview: null, show: true })
    expect(document.querySelector('[data-testid="pg-start-keepalive-risk"]')).toBeNull()
    await typeInto('[data-testid="pg-start-keepalive"]', '20')
    expect($('[data-testid="pg-start-keepalive-risk"]').textContent).toContain(
      'NodeDeck polls every 30 s but the node stops its core after 20 s',
    )
    await typeInto('[data-testid="pg-start-keepalive"]', '90')
    expect(document.querySelector('[data-testid="pg-start-keepalive-risk"]')).toBeNull()
    await typeInto('[data-testid="pg-start-keepalive"]', '0')
    expect(document.querySelector('[data-testid="pg-start-keepalive-risk"]')).toBeNull()
  })

  it('sends the draft with the users file’s valid users, and remembers it in memory', async () => {
    const w = await mountPg(StartDialog, pinia, {
      serverId: 's1',
      overview: pgOverview(),
      show: true,
    })
    // A backend runs: Start replaces it, and the dialog says so.
    expect($('[data-testid="pg-start-replacing"]').textContent).toContain('stops it first')
    expect($('[data-testid="pg-start-notes"]').textContent).toContain('API key')
    await typeInto('[data-testid="pg-start-config"]', CONFIG)
    await typeInto('[data-testid="pg-start-keepalive"]', '120')
    await pickFile(
      '[data-testid="pg-start-users-input"]',
      'users.json',
      JSON.stringify({ users: [{ email: 'a', inbounds: ['vless-in'] }, { inbounds: [] }] }),
    )
    expect($('[data-testid="pg-start-users-summary"]').textContent).toContain('1 valid of 2')

    // The draft survives closing the dialog (memory only, per server).
    await w.setProps({ show: false })
    await w.setProps({ show: true })
    await settle()
    expect($<HTMLTextAreaElement>('[data-testid="pg-start-config"] textarea').value).toBe(CONFIG)
    expect(usePasarGuardStore().draftOf('s1').keepAliveSec).toBe(120)
    expect(usePasarGuardStore().draftOf('s2').config.xray).toBe('')

    submit().click()
    await settle()
    const call = client.calls.find((c) => c.method === 'pasarguard.start')
    const draft = (call?.input as { serverId: string; draft: PgStartDraftInput }).draft
    expect((call?.input as { serverId: string }).serverId).toBe('s1')
    expect(draft).toMatchObject({
      type: 'xray',
      config: CONFIG,
      keepAliveSec: 120,
      excludeInbounds: [],
    })
    expect(draft.users?.map((u) => u.email)).toEqual(['a'])
    expect(w.emitted('update:show')?.at(-1)).toEqual([false])
  })

  it('keeps a config per backend type and needs a WireGuard config too', async () => {
    await mountPg(StartDialog, pinia, { serverId: 's1', overview: null, show: true })
    await typeInto('[data-testid="pg-start-config"]', CONFIG)
    $<HTMLInputElement>('[data-testid="pg-start-type-wireguard"] input').click()
    await settle()
    expect($<HTMLTextAreaElement>('[data-testid="pg-start-config"] textarea').value).toBe('')
    expect(document.querySelector('[data-testid="pg-start-format"]')).toBeNull()
    expect(submit().disabled).toBe(true)
    await typeInto('[data-testid="pg-start-config"]', '[Interface]\nListenPort = 51820')
    expect(submit().disabled).toBe(false)
    $<HTMLInputElement>('[data-testid="pg-start-type-xray"] input').click()
    await settle()
    expect($<HTMLTextAreaElement>('[data-testid="pg-start-config"] textarea').value).toBe(CONFIG)
  })
})
