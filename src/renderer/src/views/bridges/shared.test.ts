import { describe, expect, it } from 'vitest'
import { serverView } from '../../testing/fixtures'
import {
  bridgesOfServer,
  errorLine,
  expectedChange,
  journalBytes,
  observedChange,
  sourceEligibility,
  unmatchedTotals,
} from './shared'
import { bridgeStatus, bridgeView } from './test-utils'

describe('bridges shared helpers', () => {
  it('accepts Hysteria 2 and HY2 SCALE sources, but not one read with clear-on-read', () => {
    expect(sourceEligibility(serverView())).toEqual({ ok: true })
    expect(sourceEligibility(serverView({ kind: 'hy2scale' }))).toEqual({ ok: true })
    expect(sourceEligibility(serverView({ options: { clearOnRead: true } }))).toEqual({
      ok: false,
      reason: 'clearOnRead',
    })
    expect(sourceEligibility(serverView({ kind: 'pasarguard' }))).toEqual({
      ok: false,
      reason: 'kind',
    })
  })

  it('adds up what the journal holds (pending, unmatched, in flight)', () => {
    const s = bridgeStatus({
      pending: { users: 1, u: 1, d: 2 },
      unmatched: [
        { name: 'a', u: 10, d: 20 },
        { name: 'b', u: 100, d: 200 },
      ],
      inflight: { id: 1, attempts: 1, outcome: 'sending', users: 1, u: 1000, d: 2000 },
    })
    expect(unmatchedTotals(s)).toEqual({ names: 2, u: 110, d: 220 })
    expect(journalBytes(s)).toBe(3333)
    expect(journalBytes(bridgeStatus({ pending: { users: 0, u: 0, d: 0 }, unmatched: [] }))).toBe(0)
  })

  it('lists a server’s bridges as source or panel, worst state first', () => {
    const list = [
      bridgeView({ id: 'ok', sourceId: 'a', panelId: 'p' }),
      bridgeView({ id: 'bad', sourceId: 'b', panelId: 'a' }, { state: 'needs_attention' }),
      bridgeView({ id: 'other', sourceId: 'c', panelId: 'p' }),
    ]
    expect(bridgesOfServer(list, 'a').map((x) => [x.view.config.id, x.role])).toEqual([
      ['bad', 'panel'],
      ['ok', 'source'],
    ])
    expect(bridgesOfServer(list, 'zzz')).toEqual([])
  })

  it('computes the expected (rounded down, as the core does) and the observed change', () => {
    expect(expectedChange({ u: 3, d: 5 }, 0.5)).toEqual({ u: 1, d: 2 })
    expect(observedChange({ u: 1, d: 1 }, { u: 4, d: 0 })).toEqual({ u: 3, d: -1 })
    expect(observedChange(null, { u: 4, d: 0 })).toBeNull()
  })

  it('names the server of an error', () => {
    const nameOf = (id: string) => (id === 'mu' ? 'Shanghai-Mu' : id)
    expect(
      errorLine({ code: 'auth', message: 'Bad key.', retryable: false, serverId: 'mu' }, nameOf),
    ).toBe('Shanghai-Mu: Bad key.')
    expect(errorLine({ code: 'internal', message: 'Oops.', retryable: false }, nameOf)).toBe(
      'Oops.',
    )
  })
})
