// @vitest-environment happy-dom
import { enableAutoUnmount, flushPromises, mount } from '@vue/test-utils'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAppI18n } from '../../locales'
import LogViewer from './LogViewer.vue'
import { LogStore } from './log-store'

import { access, count, err, frame, info, installLogTestApi, rows, settle } from './test-utils'

enableAutoUnmount(afterEach)

beforeEach(() => {
  installLogTestApi()
})

function mountViewer(store: LogStore) {
  return mount(LogViewer, {
    props: { store, fileName: 'node 1' },
    global: { plugins: [createAppI18n('en-US')] },
    attachTo: document.body,
  })
}

describe('LogViewer', () => {
  it('renders only a window of rows and follows the tail', async () => {
    const store = new LogStore()
    mountViewer(store)
    store.append(Array.from({ length: 5000 }, (_, i) => info(i)))
    await frame()
    const r = rows()
    expect(r.length).toBeGreaterThan(10)
    expect(r.length).toBeLessThan(80)
    expect(r[r.length - 1]?.seq).toBe(4999) // the newest line is shown
  })

  it('scrolling up stops following and offers a jump to the latest lines', async () => {
    const store = new LogStore()
    const w = mountViewer(store)
    store.append(Array.from({ length: 1000 }, (_, i) => info(i)))
    await frame()
    const list = w.find('[data-testid="log-list"]')
    expect(list.attributes('data-following')).toBe('true')
    const el = list.element as HTMLElement
    el.dispatchEvent(new WheelEvent('wheel', { deltaY: -200 }))
    el.scrollTop = 0
    el.dispatchEvent(new Event('scroll'))
    await frame()
    expect(list.attributes('data-following')).toBe('false')
    expect(rows()[0]?.seq).toBe(0)
    store.append([info(1000), info(1001), info(1002)])
    await frame()
    expect(rows()[0]?.seq).toBe(0) // stays where the user is
    expect(w.find('[data-testid="log-jump"]').text()).toBe('3 new lines — jump to latest')
    await w.find('[data-testid="log-jump"]').trigger('click')
    await frame()
    expect(list.attributes('data-following')).toBe('true')
    expect(rows().at(-1)?.seq).toBe(1002)
    expect(w.find('[data-testid="log-jump"]').exists()).toBe(false)
  })

  it('filters by level and text, counts matches, highlights, reports bad regexes', async () => {
    const store = new LogStore()
    const w = mountViewer(store)
    store.append([info(1), err(2), access(3), err(4), 'wg0: handshake'])
    await frame()
    expect(rows()).toHaveLength(5)

    // Untick "Error" and "Other".
    const boxes = w.findAll('[data-testid="log-levels"] .n-checkbox')
    const byLevel = (l: string) =>
      boxes.find((b) => b.find(`[data-level="${l}"]`).exists()) ?? boxes[0]!
    await byLevel('error').trigger('click')
    await byLevel('other').trigger('click')
    await settle()
    expect(rows().map((r) => r.seq)).toEqual([0, 2])
    expect(w.find('[data-testid="log-matching"]').text()).toContain('2 matching')
    await byLevel('error').trigger('click')
    await byLevel('other').trigger('click')

    // Plain search, only matching.
    await w.find('[data-testid="log-search"] input').setValue('CONNECTION ENDS')
    await settle()
    expect(rows().map((r) => r.seq)).toEqual([1, 3])
    expect(w.find('[data-testid="log-matching"]').text()).toContain('2 matching')
    expect(document.querySelectorAll('.nd-log-row mark')).toHaveLength(2)

    // New lines are tested as they arrive.
    store.append([err(5), info(6)])
    await settle()
    expect(rows().map((r) => r.seq)).toEqual([1, 3, 5])

    // Highlight mode: every line, matches marked.
    await w.findAll('[data-testid="log-mode"] input')[1]!.setValue(true)
    await settle()
    expect(rows()).toHaveLength(7)
    expect(
      rows()
        .filter((r) => r.cls.includes('is-hit'))
        .map((r) => r.seq),
    ).toEqual([1, 3, 5])
    expect(w.find('[data-testid="log-matching"]').text()).toContain('3 matching')

    // An invalid regex says so and filters nothing.
    await w.find('[data-testid="log-regex"]').trigger('click')
    await w.find('[data-testid="log-search"] input').setValue('(connection')
    await settle()
    expect(w.find('[data-testid="log-regex-error"]').text()).toMatch(/Invalid regular expression/)
    expect(rows()).toHaveLength(7)
    await w.find('[data-testid="log-search"] input').setValue('\\[(Error)\\].*ends [45]')
    await settle()
    expect(w.find('[data-testid="log-regex-error"]').exists()).toBe(false)
    expect(
      rows()
        .filter((r) => r.cls.includes('is-hit'))
        .map((r) => r.seq),
    ).toEqual([3, 5])
  })

  it('steps through highlighted matches with the arrows and Enter', async () => {
    const store = new LogStore()
    const w = mountViewer(store)
    store.append([info(0), err(1), info(2), err(3), info(4)])
    await frame()
    await w.findAll('[data-testid="log-mode"] input')[1]!.setValue(true)
    const input = w.find('[data-testid="log-search"] input')
    await input.setValue('[error]')
    await input.trigger('keydown', { key: 'Enter' }) // applies at once, then steps
    await frame()
    const detail = () => w.find('[data-testid="log-detail-text"]').text()
    expect(detail()).toBe(err(1))
    await w.find('[data-testid="log-next"]').trigger('click')
    expect(detail()).toBe(err(3))
    await w.find('[data-testid="log-next"]').trigger('click')
    expect(detail()).toBe(err(3)) // no further match
    await w.find('[data-testid="log-prev"]').trigger('click')
    expect(detail()).toBe(err(1))
  })

  it('pause freezes the rows while lines keep buffering and are counted', async () => {
    const store = new LogStore()
    const w = mountViewer(store)
    store.append([info(0), info(1)])
    await frame()
    await w.find('[data-testid="log-pause"]').trigger('click')
    expect(w.find('[data-testid="log-pause"]').attributes('aria-pressed')).toBe('true')
    store.append([info(2), info(3), info(4)])
    await settle()
    expect(rows().map((r) => r.seq)).toEqual([0, 1])
    expect(count('log-new-while-paused')).toBe(3)
    expect(store.buffer.size).toBe(5)
    await w.find('[data-testid="log-pause"]').trigger('click')
    await settle()
    expect(rows().map((r) => r.seq)).toEqual([0, 1, 2, 3, 4])
    expect(w.find('[data-testid="log-new-while-paused"]').exists()).toBe(false)
  })

  it('counts lines dropped by the core apart from lines the full buffer discarded', async () => {
    const store = new LogStore({ capacity: 10 })
    const w = mountViewer(store)
    store.append(
      Array.from({ length: 25 }, (_, i) => info(i)),
      4,
    )
    await settle()
    expect(count('log-dropped')).toBe(4)
    expect(count('log-discarded')).toBe(15)
    expect(w.find('[data-testid="log-discarded"]').text()).toContain(
      'Older lines discarded: 15 (buffer full)',
    )
    expect(rows().map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 15 + i))
    await w.find('[data-testid="log-clear"]').trigger('click')
    await settle()
    expect(rows()).toHaveLength(0)
    expect([count('log-dropped'), count('log-discarded')]).toEqual([0, 0])
    expect(w.find('[data-testid="log-empty"]').exists()).toBe(true)
  })

  it('selects a line, shows it in full and copies it', async () => {
    const store = new LogStore()
    const w = mountViewer(store)
    const long = `${err(1)} ${'x'.repeat(3000)}`
    store.append([info(0), long])
    await frame()
    const row = document.querySelector<HTMLElement>('.nd-log-row[data-seq="1"]')!
    row.click()
    await frame()
    expect(w.find('[data-testid="log-detail-text"]').text()).toBe(long)
    expect(document.querySelector('.nd-log-row[data-seq="1"]')?.className).toContain('is-selected')
    const writeText = vi.fn(async () => undefined)
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true })
    await w.find('[data-testid="log-copy"]').trigger('click')
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith(long)
  })

  it('saves all or only the matching lines as <name>-<stamp>.log', async () => {
    const store = new LogStore()
    const w = mountViewer(store)
    store.append([info(0), err(1), info(2)])
    await frame()
    const blobs: Blob[] = []
    const names: string[] = []
    URL.createObjectURL = vi.fn((b: Blob) => {
      blobs.push(b)
      return 'blob:x'
    })
    URL.revokeObjectURL = vi.fn()
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      names.push(this.download)
    })
    expect(w.find('[data-testid="log-save-matching"]').attributes('disabled')).toBeDefined()
    await w.find('[data-testid="log-save-all"]').trigger('click')
    await w.find('[data-testid="log-search"] input').setValue('error')
    await settle()
    await w.find('[data-testid="log-save-matching"]').trigger('click')
    click.mockRestore()
    expect(names[0]).toMatch(/^node_1-\d{8}-\d{6}\.log$/)
    expect(await blobs[0]!.text()).toBe(`${info(0)}\n${err(1)}\n${info(2)}\n`)
    expect(await blobs[1]!.text()).toBe(`${err(1)}\n`)
  })
})
