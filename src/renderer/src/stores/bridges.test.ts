// @vitest-environment happy-dom
import { effectScope } from 'vue'
import { beforeEach, describe, expect, it } from 'vitest'
import { AppErrorException, appError, type BridgeView } from '../../../shared/contract'
import { useBridgesSync } from '../composables/use-bridges-sync'
import type { FakeClient } from '../testing/fake-client'
import { bridgeStatus, bridgeView, settle, setupFake } from '../views/bridges/test-utils'
import { useBridgesStore } from './bridges'
import { BRIDGES_TAB, FLEET_TAB, useTabsStore } from './tabs'

let client: FakeClient
beforeEach(() => {
  ;({ client } = setupFake())
})

describe('bridges store', () => {
  it('loads the list in the core’s order and applies statuses of known bridges only', async () => {
    client.handle('bridges.list', () => [bridgeView({ id: 'b1' }), bridgeView({ id: 'b2' })])
    const bridges = useBridgesStore()
    await bridges.load()
    expect(bridges.list.map((b) => b.config.id)).toEqual(['b1', 'b2'])
    expect(bridges.loaded).toBe(true)

    expect(bridges.applyStatus(bridgeStatus({ bridgeId: 'b2', state: 'needs_attention' }))).toBe(
      true,
    )
    expect(bridges.get('b2')?.status.state).toBe('needs_attention')
    expect(bridges.attentionCount).toBe(1)
    expect(bridges.applyStatus(bridgeStatus({ bridgeId: 'b3', state: 'error' }))).toBe(false)
    expect(bridges.get('b3')).toBeUndefined()
    expect(bridges.errorCount).toBe(0)
  })

  it('keeps why the list failed, and clears it after a good load', async () => {
    client.handle('bridges.list', () => {
      throw new AppErrorException(appError('internal', 'boom'))
    })
    const bridges = useBridgesStore()
    await expect(bridges.load()).rejects.toBeInstanceOf(AppErrorException)
    expect(bridges.loadError?.message).toBe('boom')
    client.handle('bridges.list', () => [])
    await bridges.load()
    expect(bridges.loadError).toBeNull()
  })

  it('marks a bridge busy during an action, and applies the status it returns', async () => {
    client.handle('bridges.list', () => [bridgeView()])
    let release: () => void = () => undefined
    client.handle(
      'bridges.runNow',
      () =>
        new Promise((ok) => {
          release = () => ok(bridgeStatus({ lastReport: null, pending: { users: 0, u: 0, d: 0 } }))
        }),
    )
    const bridges = useBridgesStore()
    await bridges.load()
    const run = bridges.runNow('b1')
    await settle()
    expect(bridges.busy.b1).toBe('run')
    release()
    await run
    expect(bridges.busy.b1).toBeUndefined()
    expect(bridges.get('b1')?.status.pending.users).toBe(0)
    expect(client.calls.at(-1)).toEqual({ method: 'bridges.runNow', input: { id: 'b1' } })
  })

  it('pauses (config and status), resolves, updates and removes through the api', async () => {
    client.handle('bridges.list', () => [bridgeView()])
    client.handle('bridges.setEnabled', ({ enabled }) =>
      bridgeStatus({ state: enabled ? 'idle' : 'paused' }),
    )
    client.handle('bridges.resolve', () => bridgeStatus({ state: 'idle', attention: null }))
    client.handle('bridges.update', ({ patch }) => bridgeView({ intervalSec: patch.intervalSec }))
    client.handle('bridges.remove', () => ({ ok: true as const }))
    const bridges = useBridgesStore()
    await bridges.load()

    await bridges.setEnabled('b1', false)
    expect(bridges.get('b1')?.config.enabled).toBe(false)
    expect(bridges.get('b1')?.status.state).toBe('paused')

    await bridges.resolve('b1', 'resend')
    expect(client.calls.at(-1)).toEqual({
      method: 'bridges.resolve',
      input: { id: 'b1', decision: 'resend' },
    })

    await bridges.update('b1', { intervalSec: 30 })
    expect(bridges.get('b1')?.config.intervalSec).toBe(30)

    await bridges.remove('b1', true)
    expect(client.calls.at(-1)).toEqual({
      method: 'bridges.remove',
      input: { id: 'b1', force: true },
    })
    expect(bridges.list).toEqual([])
  })

  it('adds, then reloads so the new bridge shows at once', async () => {
    const list: BridgeView[] = []
    client.handle('bridges.list', () => list)
    client.handle('bridges.add', ({ draft }) => {
      list.push(bridgeView({ id: 'new', sourceId: draft.sourceId, panelId: draft.panelId }))
      return { id: 'new' }
    })
    const bridges = useBridgesStore()
    const id = await bridges.add({ sourceId: 's', panelId: 'p', nodeId: 1 })
    expect(id).toBe('new')
    expect(bridges.get('new')?.config.sourceId).toBe('s')
  })
})

describe('useBridgesSync', () => {
  it('loads on connect, applies live statuses and reloads for a bridge it does not know', async () => {
    const list = [bridgeView({ id: 'b1' })]
    client.handle('bridges.list', () => [...list])
    const scope = effectScope()
    scope.run(() => useBridgesSync())
    await settle()
    const bridges = useBridgesStore()
    expect(bridges.list.map((b) => b.config.id)).toEqual(['b1'])

    client.emit('bridges.status', bridgeStatus({ bridgeId: 'b1', state: 'running' }))
    expect(bridges.get('b1')?.status.state).toBe('running')
    const loads = () => client.calls.filter((c) => c.method === 'bridges.list').length
    expect(loads()).toBe(1)

    // Added elsewhere (CLI, another window): its first status makes the list reload.
    list.push(bridgeView({ id: 'b2' }))
    client.emit('bridges.status', bridgeStatus({ bridgeId: 'b2' }))
    await settle()
    expect(loads()).toBe(2)
    expect(bridges.list.map((b) => b.config.id)).toEqual(['b1', 'b2'])

    // A server list change (a removed server may take its bridges along) reloads too.
    list.pop()
    client.emit('servers.changed', [])
    await settle()
    expect(bridges.list.map((b) => b.config.id)).toEqual(['b1'])
    scope.stop()
  })
})

describe('the Bridges tab', () => {
  it('is a fixed tab: pruning the server tabs keeps it in front', () => {
    localStorage.clear()
    const tabs = useTabsStore()
    tabs.openServer('s1')
    tabs.activate(BRIDGES_TAB)
    tabs.prune([])
    expect(tabs.active).toBe(BRIDGES_TAB)
    expect(tabs.open).toEqual([])
    tabs.activate('gone')
    tabs.prune([])
    expect(tabs.active).toBe(FLEET_TAB)
  })
})
