import type { DataTableColumns } from 'naive-ui'
import { h } from 'vue'
import type { WgMonEventView } from '../../../../../../shared/contract'
import { cellDim, cellMaybe, cellTag } from '../../../../components/common/table-cells'
import { formatBytes } from '../../../../utils/format'
import {
  durationParts,
  sessionSeconds,
  shortKeyPrefix,
  timeAfter,
  type SessionChange,
} from '../shared'

type T = (key: string, values?: Record<string, unknown>) => string

/** A duration as "1 h 2 min 3 s" / "2 min 3 s" / "3 s" in the UI language. */
export function durationText(t: T, seconds: number | null): string | null {
  if (seconds === null) return null
  const { h, m, s } = durationParts(seconds)
  if (h > 0) return t('wgmon.events.durationH', { h, m, s })
  if (m > 0) return t('wgmon.events.durationM', { m, s })
  return t('wgmon.events.durationS', { s })
}

/**
 * The columns of a session list (live and history): who, state, start, end, duration, bytes from
 * the user's side (`up` = what the device sent = the monitor's `session_rx`), endpoint. Cells are
 * plain elements (table-cells).
 */
export function eventColumns(
  t: T,
  changeOf: (e: WgMonEventView) => SessionChange | null = () => null,
): DataTableColumns<WgMonEventView> {
  const unknown = t('common.unknown')
  return [
    {
      key: 'user',
      title: t('wgmon.events.columns.user'),
      width: 170,
      render: (e) =>
        h('div', { class: 'wg-ev__stack' }, [
          h(
            'span',
            { class: 'wg-ev__name' },
            e.nickname || (e.userId !== null ? `User_${e.userId}` : unknown),
          ),
          cellDim(
            [e.userId !== null ? `#${e.userId}` : null, shortKeyPrefix(e.publicKeyShort)]
              .filter(Boolean)
              .join(' · '),
            'wg-ev__small',
          ),
        ]),
    },
    {
      key: 'state',
      title: t('wgmon.events.columns.state'),
      width: 150,
      render: (e) => {
        const change = changeOf(e)
        return h('span', { class: 'wg-ev__tags', 'data-change': change ?? undefined }, [
          e.online === null
            ? cellMaybe(null, unknown)
            : cellTag(
                e.online ? t('wgmon.events.online') : t('wgmon.events.offline'),
                e.online ? 'success' : 'default',
                { size: 'tiny' },
              ),
          change
            ? cellTag(
                change === 'began' ? t('wgmon.events.began') : t('wgmon.events.ended'),
                change === 'began' ? 'info' : 'warning',
                { size: 'tiny', testid: 'wg-ev-change' },
              )
            : null,
        ])
      },
    },
    {
      key: 'start',
      title: t('wgmon.events.columns.start'),
      width: 150,
      render: (e) => h('span', { class: 'wg-ev__small' }, [cellMaybe(e.startTime, unknown)]),
    },
    {
      key: 'end',
      title: t('wgmon.events.columns.end'),
      width: 150,
      render: (e) => {
        if (e.online === true || e.endTime === null) {
          const seen = timeAfter(e.startTime, e.lastUpdate)
          return cellDim(seen ? t('wgmon.events.lastUpdate', { t: seen }) : '—', 'wg-ev__small')
        }
        return h('span', { class: 'wg-ev__small' }, timeAfter(e.startTime, e.endTime) ?? '')
      },
    },
    {
      key: 'duration',
      title: t('wgmon.events.columns.duration'),
      width: 150,
      render: (e) => {
        const text = durationText(t, sessionSeconds(e))
        const open = e.online === true || e.endTime === null
        return text !== null && open
          ? cellDim(t('wgmon.events.openFor', { t: text }), 'wg-ev__nowrap')
          : cellMaybe(text, unknown)
      },
    },
    {
      key: 'up',
      title: t('wgmon.events.columns.up'),
      width: 95,
      align: 'right',
      render: (e) => cellMaybe(e.up === null ? null : formatBytes(e.up), unknown),
    },
    {
      key: 'down',
      title: t('wgmon.events.columns.down'),
      width: 95,
      align: 'right',
      render: (e) => cellMaybe(e.down === null ? null : formatBytes(e.down), unknown),
    },
    {
      key: 'endpoint',
      title: t('wgmon.events.columns.endpoint'),
      minWidth: 160,
      render: (e) =>
        h('span', { class: 'wg-ev__small wg-ev__mono' }, [cellMaybe(e.endpoint, unknown)]),
    },
  ]
}
