import type { HTMLAttributes } from 'vue'

/**
 * `data-*` attributes (test hooks) for props typed as HTMLAttributes, such as NDataTable's
 * `row-props`: Vue's attribute types do not list `data-*`, though the DOM accepts them.
 */
export function dataAttrs(attrs: Record<`data-${string}`, string>): HTMLAttributes {
  return attrs as HTMLAttributes
}
