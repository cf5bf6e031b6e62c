// @vitest-environment happy-dom
import { enableAutoUnmount, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { createAppI18n } from '../../../../locales'
import { userRow, usersSnapshot } from '../../../../testing/fixtures'
import { appError } from '../../../../../../shared/contract'
import UsersTable from './UsersTable.vue'
import UsersTotals from './UsersTotals.vue'

enableAutoUnmount(afterEach)

function mountTable(props: InstanceType<typeof UsersTable>['$props']) {
  return mount(UsersTable, {
    props,
    global: { plugins: [createAppI18n('en-US')] },
    attachTo: document.body,
  })
}

describe('UsersTable', () => {
  it('shows unknown values as "—", never 0, and known ones in binary units', async () => {
    const wrapper = mountTable({
      canKick: true,
      snapshot: usersSnapshot({
        users: [
          userRow({ name: 'alice', up: 1_048_576, down: 5_242_880, upRate: 2048, downRate: null }),
          userRow({
            name: 'bob',
            online: false,
            devices: null,
            up: null,
            down: null,
            upRate: null,
            downRate: null,
          }),
        ],
      }),
    })
    await wrapper.vm.$nextTick()
    const alice = wrapper.find('[data-user="alice"]')
    expect(alice.exists()).toBe(true)
    expect(alice.text()).toContain('1.0 MiB')
    expect(alice.text()).toContain('5.0 MiB')
    expect(alice.text()).toContain('2.0 KiB/s')
    expect(alice.findAll('[data-unknown="true"]')).toHaveLength(1)

    const bob = wrapper.find('[data-user="bob"]')
    // devices, up, down, up rate, down rate: all unknown.
    expect(bob.findAll('[data-unknown="true"]')).toHaveLength(5)
    expect(bob.text()).not.toMatch(/\b0 B\b/)
    expect(bob.text()).toContain('—')
    expect(wrapper.find('[data-testid="kick-alice"]').exists()).toBe(true)
  })

  it('shows the stale note with the error message, and the reset and clear-on-read notes', async () => {
    const wrapper = mountTable({
      snapshot: usersSnapshot({
        at: Date.now() - 30_000,
        stale: true,
        error: appError('timeout', 'Tokyo 1 did not answer within 10 s.'),
        serverReset: true,
        clearOnRead: true,
        countingSince: Date.UTC(2026, 0, 1),
        users: [userRow({ reset: true })],
      }),
    })
    await wrapper.vm.$nextTick()
    const stale = wrapper.find('[data-testid="users-stale"]')
    expect(stale.exists()).toBe(true)
    expect(stale.text()).toMatch(/Stale — last reading 30 s ago/)
    expect(stale.text()).toContain('Tokyo 1 did not answer within 10 s.')
    expect(wrapper.find('[data-testid="users-server-reset"]').text()).toContain(
      'Counters were reset',
    )
    expect(wrapper.find('[data-testid="users-counting-since"]').text()).toContain('Counting since')
    expect(wrapper.find('[data-testid="reset-alice"]').exists()).toBe(true)
    // No kick column unless the kind can kick.
    expect(wrapper.find('[data-testid="kick-alice"]').exists()).toBe(false)
  })

  it('emits kick for the selected users', async () => {
    const wrapper = mountTable({
      canKick: true,
      snapshot: usersSnapshot({ users: [userRow({ name: 'alice' }), userRow({ name: 'carol' })] }),
    })
    await wrapper.vm.$nextTick()
    await wrapper.find('[data-testid="kick-carol"]').trigger('click')
    expect(wrapper.emitted('kick')).toEqual([[['carol']]])
  })
})

describe('UsersTotals', () => {
  it('shows "—" for totals nobody knows', () => {
    const wrapper = mount(UsersTotals, {
      props: {
        snapshot: usersSnapshot({
          users: [userRow({ up: null, down: null, upRate: null, downRate: null, devices: null })],
        }),
      },
      global: { plugins: [createAppI18n('en-US')] },
    })
    expect(wrapper.find('[data-testid="total-online-users"]').text()).toContain('1')
    expect(wrapper.find('[data-testid="total-total-up"]').text()).toContain('—')
    expect(wrapper.find('[data-testid="total-down-rate"]').text()).toContain('—')
    expect(wrapper.find('[data-testid="total-devices"]').text()).toContain('—')
  })
})
