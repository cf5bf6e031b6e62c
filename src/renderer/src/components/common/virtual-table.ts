import type { VNodeChild } from 'vue'

/** A column of `VirtualTable.vue`. */
export interface VtColumn<T> {
  key: string
  title: string
  /** Width in px (the minimum when `grow` is set). */
  width: number
  /** Share of the spare width (CSS `fr`); fixed width when absent. */
  grow?: number
  align?: 'left' | 'right' | 'center'
  sortable?: boolean
  /** The cell's content; called on each render of a row in view, so keep it cheap. */
  render(row: T, index: number): VNodeChild
}
