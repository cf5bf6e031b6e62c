import { useI18n } from 'vue-i18n'
import type { HealthState, Notice } from '../../../../shared/contract'

/** The group title key of a grouped notice's state (a mix of down states is "down"). */
function groupKey(
  state: HealthState | undefined,
): 'offline' | 'auth_failed' | 'tls_failed' | 'down' | 'up' {
  if (state === 'online' || state === 'degraded') return 'up'
  if (state === 'offline' || state === 'auth_failed' || state === 'tls_failed') return state
  return 'down'
}

/**
 * Localized title and body of a notice, from its kind and fields (the core's `title`/`body` are
 * English). A single server's body is the core's reason; a grouped or quiet-hours notice lists
 * its servers ("… and N more" beyond the names it carries).
 */
export function useNoticeText() {
  const { t } = useI18n()

  function title(n: Notice): string {
    switch (n.kind) {
      case 'group': {
        const base = t(`alerts.group.${groupKey(n.state)}`, { n: n.count ?? 0 })
        return n.group
          ? t('alerts.group.inGroup', { title: base, count: n.groupCount ?? 0, group: n.group })
          : base
      }
      case 'flapping':
        return t('alerts.kinds.flapping', {
          server: n.serverName,
          n: n.count ?? 0,
          min: n.windowMin ?? 10,
          state: t(`state.${n.state ?? 'unknown'}`),
        })
      case 'quiet_summary':
        return t('alerts.kinds.quiet_summary', { n: n.count ?? 0 }, n.count ?? 0)
      default:
        return t(`alerts.kinds.${n.kind}`, { server: n.serverName })
    }
  }

  function body(n: Notice): string {
    if (n.kind === 'group' || n.kind === 'quiet_summary') {
      const names = n.serverNames ?? []
      const rest = (n.count ?? names.length) - names.length
      const list = names.join(', ')
      return rest > 0 ? `${list} ${t('alerts.more', { n: rest })}` : list
    }
    if (n.kind === 'flapping') {
      return t('alerts.flapBody', { limit: n.limit ?? 2, min: n.windowMin ?? 10 })
    }
    return n.body
  }

  return { title, body }
}
