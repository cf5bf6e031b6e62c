import { NButton } from 'naive-ui'
import { h, type VNode } from 'vue'

/**
 * The Edit / Remove buttons of a network table row (peer links, proxies, rules): one renderer
 * instead of a copy per pane. Test ids are `hy2net-<kind>-edit-<key>` / `-remove-<key>`.
 */
export function editRemoveActions(o: {
  kind: string
  key: string
  editLabel: string
  removeLabel: string
  onEdit(): void
  onRemove(): void
}): VNode {
  return h('div', { class: 'net__actions' }, [
    h(
      NButton,
      {
        size: 'tiny',
        secondary: true,
        'data-testid': `hy2net-${o.kind}-edit-${o.key}`,
        onClick: o.onEdit,
      },
      () => o.editLabel,
    ),
    h(
      NButton,
      {
        size: 'tiny',
        type: 'error',
        secondary: true,
        'data-testid': `hy2net-${o.kind}-remove-${o.key}`,
        onClick: o.onRemove,
      },
      () => o.removeLabel,
    ),
  ])
}
