import type { DataTableColumns } from 'naive-ui'
import { cellMaybe, cellTag } from '../../../../components/common/table-cells'
import { compareNullable, formatBytes, formatRate } from '../../../../utils/format'

/** What a row needs for the traffic columns (users and inbound/outbound counters alike). */
export interface TrafficCells {
  name: string
  up: number | null
  down: number | null
  upRate: number | null
  downRate: number | null
  reset: boolean
}

/**
 * The up/down totals, up/down rates and reset-mark columns of the PasarGuard traffic tables
 * (unknown values shown as unknown, never 0). `sortReset` makes the reset mark sortable;
 * `resetTestid` tags each row's mark.
 */
export function trafficColumns<R extends TrafficCells>(
  t: (key: string) => string,
  opts: { sortReset?: boolean; resetTestid?: (row: R) => string } = {},
): DataTableColumns<R> {
  const unknown = (text: string | null) => cellMaybe(text, t('common.unknown'))
  return [
    {
      key: 'up',
      title: t('pasarguard.traffic.columns.up'),
      align: 'right',
      sorter: (a, b) => compareNullable(a.up, b.up),
      render: (row) => unknown(formatBytes(row.up)),
    },
    {
      key: 'down',
      title: t('pasarguard.traffic.columns.down'),
      align: 'right',
      sorter: (a, b) => compareNullable(a.down, b.down),
      render: (row) => unknown(formatBytes(row.down)),
    },
    {
      key: 'upRate',
      title: t('pasarguard.traffic.columns.upRate'),
      align: 'right',
      sorter: (a, b) => compareNullable(a.upRate, b.upRate),
      render: (row) => unknown(formatRate(row.upRate)),
    },
    {
      key: 'downRate',
      title: t('pasarguard.traffic.columns.downRate'),
      align: 'right',
      sorter: (a, b) => compareNullable(a.downRate, b.downRate),
      render: (row) => unknown(formatRate(row.downRate)),
    },
    {
      key: 'reset',
      title: t('pasarguard.traffic.columns.reset'),
      width: 80,
      ...(opts.sortReset ? { sorter: (a: R, b: R) => Number(a.reset) - Number(b.reset) } : {}),
      render: (row) =>
        row.reset
          ? cellTag(t('pasarguard.traffic.reset'), 'warning', {
              size: 'tiny',
              title: t('pasarguard.traffic.resetTip'),
              testid: opts.resetTestid?.(row),
            })
          : null,
    },
  ]
}
