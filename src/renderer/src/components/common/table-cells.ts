/// <reference types="vite/client" />
import { useThemeVars } from 'naive-ui'
import { computed, h, type ComputedRef, type VNode } from 'vue'
import { UNKNOWN } from '../../utils/format'
import './table-cells.css'

/**
 * Cheap table cells: plain elements styled like naive-ui's tags, tiny buttons and switches.
 * Long tables mount a row's cells every time it scrolls into view, and a naive component per
 * cell (theme, CSS variables, popovers) made scrolling 1,000 rows janky. These take their
 * colours from CSS variables that `useCellTheme()` puts on the table's container.
 */

export type CellTone = 'default' | 'success' | 'warning' | 'error' | 'info'

/** The theme colours the cells read, as CSS variables for the container's `style`. */
export function useCellTheme(): ComputedRef<Record<string, string>> {
  const v = useThemeVars()
  return computed(() => ({
    '--cell-text': v.value.textColor2,
    '--cell-text-base': v.value.textColorBase,
    '--cell-dim': v.value.textColor3,
    '--cell-primary': v.value.primaryColor,
    '--cell-success': v.value.successColor,
    '--cell-warning': v.value.warningColor,
    '--cell-error': v.value.errorColor,
    '--cell-error-hover': v.value.errorColorHover,
    '--cell-info': v.value.infoColor,
    '--cell-button': v.value.buttonColor2,
    '--cell-button-hover': v.value.buttonColor2Hover,
    '--cell-button-pressed': v.value.buttonColor2Pressed,
    '--cell-rail': v.value.progressRailColor,
    '--cell-radius': v.value.borderRadius,
    '--cell-disabled': v.value.opacityDisabled,
  }))
}

/** A value or '—' with an "unknown" tooltip: the same markup as MaybeValue, without a component. */
export function cellMaybe(text: string | null, unknownTitle: string): VNode {
  return text !== null && text !== UNKNOWN
    ? h('span', { class: 'maybe-value cell-maybe' }, text)
    : h(
        'span',
        {
          class: 'maybe-value maybe-value--unknown cell-maybe cell-maybe--unknown',
          'data-unknown': 'true',
          title: unknownTitle,
        },
        UNKNOWN,
      )
}

/** Secondary text (like NText depth 3). */
export function cellDim(text: string, cls?: string): VNode {
  return h('span', { class: cls ? `cell-dim ${cls}` : 'cell-dim' }, text)
}

/** A borderless tag (like NTag `bordered: false`). */
export function cellTag(
  text: string,
  tone: CellTone = 'default',
  opts: { size?: 'tiny' | 'small'; round?: boolean; testid?: string; title?: string } = {},
): VNode {
  return h(
    'span',
    {
      class: [
        'cell-tag',
        `cell-tag--${tone}`,
        `cell-tag--${opts.size ?? 'small'}`,
        opts.round && 'cell-tag--round',
      ],
      'data-testid': opts.testid,
      title: opts.title,
    },
    text,
  )
}

/** A tiny button (like NButton `size: 'tiny'`, secondary or quaternary). */
export function cellButton(
  label: string,
  opts: {
    onClick: (e: MouseEvent) => void
    tone?: 'default' | 'error'
    quaternary?: boolean
    disabled?: boolean
    testid?: string
    title?: string
  },
): VNode {
  return h(
    'button',
    {
      type: 'button',
      class: [
        'cell-button',
        `cell-button--${opts.tone ?? 'default'}`,
        opts.quaternary && 'cell-button--quaternary',
      ],
      disabled: opts.disabled,
      title: opts.title,
      'data-testid': opts.testid,
      onClick: opts.onClick,
    },
    label,
  )
}

/** A small on/off switch (like NSwitch `size: 'small'`); `loading` disables it while busy. */
export function cellSwitch(opts: {
  value: boolean
  onUpdate: (value: boolean) => void
  loading?: boolean
  testid?: string
  label?: string
}): VNode {
  return h(
    'button',
    {
      type: 'button',
      role: 'switch',
      class: [
        'cell-switch',
        opts.value && 'cell-switch--on',
        opts.loading && 'cell-switch--loading',
      ],
      'aria-checked': opts.value,
      'aria-label': opts.label,
      'aria-busy': opts.loading || undefined,
      disabled: opts.loading,
      'data-testid': opts.testid,
      onClick: () => opts.onUpdate(!opts.value),
    },
    [h('span', { class: 'cell-switch__button' })],
  )
}
