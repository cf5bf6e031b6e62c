import { h, type VNode } from 'vue'
import type { MuUserView } from '../../../../../../shared/contract'
import { muQuota } from '../../../../../../shared/mu-users'
import { formatBytes } from '../../../../utils/format'
import { formatShare } from '../shared'
import './mu-cells.css'

/**
 * Cells of the Mu users table as plain elements (see components/common/table-cells.ts: a
 * component per cell makes scrolling thousands of rows janky). Colours come from the table
 * container's `--cell-*` variables.
 */

/** Texts the quota cell needs (already localized). */
export interface QuotaTexts {
  noQuota: string
  noQuotaTip: string
  /** Tooltip of a bar: used, quota and share. */
  tip(used: string, quota: string, share: string): string
}

/**
 * Used bytes against the quota: `12.3 GiB / 50.0 GiB` and the share, over a bar coloured at 80 %
 * (warning) and 100 % (error). A quota of 0 is "no quota" with no bar: never 0 % or ∞.
 */
export function cellQuota(u: MuUserView, texts: QuotaTexts): VNode {
  const q = muQuota(u)
  const used = formatBytes(q.used)
  if (q.fraction === null) {
    return h(
      'div',
      {
        class: 'mu-quota',
        'data-level': 'none',
        'data-testid': 'mu-quota',
        title: texts.noQuotaTip,
      },
      [
        h('div', { class: 'mu-quota__text' }, [
          h('span', { class: 'mu-quota__used' }, used),
          h('span', { class: 'mu-quota__sep' }, '/'),
          h('span', { class: 'mu-quota__none', 'data-testid': 'mu-no-quota' }, texts.noQuota),
        ]),
      ],
    )
  }
  const quota = formatBytes(q.quota)
  const share = formatShare(q.fraction)
  const width = `${Math.min(100, q.fraction * 100)}%`
  return h(
    'div',
    {
      class: 'mu-quota',
      'data-level': q.level,
      'data-testid': 'mu-quota',
      title: texts.tip(used, quota, share),
    },
    [
      h('div', { class: 'mu-quota__text' }, [
        h('span', { class: 'mu-quota__used' }, used),
        h('span', { class: 'mu-quota__sep' }, '/'),
        h('span', { class: 'mu-quota__limit' }, quota),
        h('span', { class: 'mu-quota__share' }, share),
      ]),
      h(
        'div',
        {
          class: 'mu-quota__rail',
          role: 'progressbar',
          'aria-valuenow': Math.round(Math.min(100, q.fraction * 100)),
          'aria-valuemin': 0,
          'aria-valuemax': 100,
        },
        [h('div', { class: `mu-quota__fill mu-quota__fill--${q.level}`, style: { width } })],
      ),
    ],
  )
}

/** The user: email, then the user name dimmed; `#id` when the panel sent neither. */
export function cellUser(u: MuUserView): VNode {
  const main = u.email ?? u.userName
  const second = u.email && u.userName && u.userName !== u.email ? u.userName : null
  const title = [u.email, u.userName].filter(Boolean).join(' · ') || `#${u.id}`
  return h('span', { class: 'mu-user', title }, [
    main
      ? h('span', { class: 'mu-user__main' }, main)
      : h('span', { class: 'mu-user__main cell-dim' }, `#${u.id}`),
    second ? h('span', { class: 'mu-user__second cell-dim' }, second) : null,
  ])
}

/** Monospaced text cut with an ellipsis; the full text in the tooltip. */
export function cellMono(text: string): VNode {
  return h('span', { class: 'mu-mono', title: text }, text)
}
