// @vitest-environment happy-dom
import { mount } from '@vue/test-utils'
import { describe, expect, it } from 'vitest'
import { h, nextTick } from 'vue'
import VirtualTable from './VirtualTable.vue'
import type { VtColumn } from './virtual-table'

interface Row {
  id: number
  name: string
}

const ROWS: Row[] = Array.from({ length: 100_000 }, (_, i) => ({ id: i, name: `row ${i}` }))
const COLUMNS: VtColumn<Row>[] = [
  { key: 'id', title: 'Id', width: 80, sortable: true, render: (r) => String(r.id) },
  { key: 'name', title: 'Name', width: 200, grow: 1, render: (r) => h('b', r.name) },
]

/** happy-dom has no layout: the scroll box reports the height we give it. */
function mountTable(props: Record<string, unknown> = {}) {
  return mount(VirtualTable, {
    props: {
      rows: ROWS,
      columns: COLUMNS,
      rowHeight: 30,
      rowKey: (r: Row) => String(r.id),
      overscan: 2,
      ...props,
    },
    attachTo: document.body,
  })
}

async function scrollTo(wrapper: ReturnType<typeof mountTable>, top: number, height = 300) {
  const box = wrapper.get('.vt').element as HTMLElement
  Object.defineProperty(box, 'clientHeight', { value: height, configurable: true })
  box.scrollTop = top
  await wrapper.get('.vt').trigger('scroll')
  await nextTick()
}

describe('VirtualTable', () => {
  it('renders only a window of rows, however many there are', async () => {
    const w = mountTable()
    await scrollTo(w, 0)
    const rows = w.findAll('.vt__row')
    expect(rows.length).toBeLessThan(40)
    expect(rows[0]?.text()).toContain('row 0')
    expect(w.get('.vt__space').attributes('style')).toContain(`height: ${100_000 * 30}px`)
    w.unmount()
  })

  it('moves the window with the scroll position', async () => {
    const w = mountTable()
    await scrollTo(w, 30 * 50_000)
    const rows = w.findAll('.vt__row')
    expect(rows.length).toBeLessThan(40)
    const texts = rows.map((r) => r.text())
    expect(texts.some((t) => t.includes('row 50000'))).toBe(true)
    expect(texts.some((t) => t.includes('row 0'))).toBe(false)
    expect(w.emitted('range')?.at(-1)?.[0]).toBeGreaterThan(49_990)
    w.unmount()
  })

  it('sorts by header click, shows placeholders for rows not loaded and group rows', async () => {
    const rows: (Row | null)[] = [{ id: -1, name: 'group A' }, { id: 1, name: 'x' }, null]
    const w = mountTable({
      rows,
      isGroup: (r: Row) => r.id < 0,
      sortKey: 'id',
      sortOrder: 'desc',
    })
    await scrollTo(w, 0)
    expect(w.findAll('.vt__row--group')).toHaveLength(1)
    expect(w.findAll('.vt__row--loading')).toHaveLength(1)
    await w.get('[data-testid=vt-sort-id]').trigger('click')
    expect(w.emitted('sort')?.[0]).toEqual(['id'])
    expect(w.get('[data-testid=vt-sort-id]').attributes('aria-sort')).toBe('descending')
    // Not sortable: no event.
    await w.get('[data-testid=vt-sort-name]').trigger('click')
    expect(w.emitted('sort')).toHaveLength(1)
    w.unmount()
  })
})
