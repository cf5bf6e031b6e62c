import type { AttentionItem, BatchItem, Bytes } from './journal'

/**
 * Deciding what became of a batch whose answer was lost (timeout, dropped connection, crash
 * mid-send). Mu API has no idempotency and no report log a client can read, so the only evidence
 * is each user's counters on the panel: read right before the send (`before`, journaled) and now
 * (`after`). ss-panel adds `item × rate` to a user's `u` and `d` (`rate` = the node's
 * `traffic_rate`, rounded by MySQL when stored), one item after the other, in the batch's order;
 * a PHP error stops the loop, leaving the items before it applied.
 *
 * Per item (`expected` = ⌊bytes × rate⌋ per direction):
 * - `applied`: both counters rose by at least the expected bytes (more is allowed: another node
 *   may have reported the same user meanwhile, which cannot be told apart);
 * - `unchanged`: neither counter moved;
 * - `either`: the expected rise is 0 in both directions (a few bytes on a node with a rate < 1):
 *   the panel counts the same whether it was applied or not;
 * - `unclear`: anything else (a rise smaller than expected, a counter that went down — a traffic
 *   reset on the panel —, a user that appeared): a person must decide.
 *
 * Per batch: all applied → `applied`; none applied → `not_applied` (sent again as is); the first
 * items applied and the rest unchanged → `partial` (the applied ones are acknowledged, the others
 * go back to pending); anything else (an unclear item, an applied item after an unchanged one,
 * which PHP's loop cannot produce) → `attention`.
 *
 * A user the panel no longer has (`after` missing) cannot be counted any more either way: `either`.
 */
export type BatchVerdict =
  | { kind: 'applied'; items: AttentionItem[] }
  | { kind: 'not_applied'; items: AttentionItem[] }
  | { kind: 'partial'; applied: number[]; items: AttentionItem[] }
  | { kind: 'attention'; reason: string; items: AttentionItem[] }

/** Per-item and per-batch verdict; see the module comment. */
export function judgeBatch(
  items: readonly BatchItem[],
  before: Readonly<Record<string, Bytes>>,
  after: ReadonlyMap<number, Bytes>,
  rate: number,
): BatchVerdict {
  const judged: AttentionItem[] = items.map((it) => {
    const b = before[it.userId] ?? null
    const a = after.get(it.userId) ?? null
    const base = { ...it, before: b ? { ...b } : null, after: a ? { ...a } : null }
    if (b === null) return { ...base, verdict: 'unclear' }
    if (a === null) return { ...base, verdict: 'either' }
    const eu = Math.floor(it.u * rate)
    const ed = Math.floor(it.d * rate)
    const du = a.u - b.u
    const dd = a.d - b.d
    if (eu === 0 && ed === 0) return { ...base, verdict: du >= 0 && dd >= 0 ? 'either' : 'unclear' }
    if (du >= eu && dd >= ed) return { ...base, verdict: 'applied' }
    if (du === 0 && dd === 0) return { ...base, verdict: 'unchanged' }
    return { ...base, verdict: 'unclear' }
  })
  const unclear = judged.find((j) => j.verdict === 'unclear')
  if (unclear) {
    const what =
      unclear.before === null
        ? 'its counters before the send are not known'
        : unclear.after === null
          ? 'it is gone from the panel'
          : `its counters moved by u ${signed(unclear.after.u - unclear.before.u)}, d ${signed(unclear.after.d - unclear.before.d)} where ${Math.floor(unclear.u * rate)} and ${Math.floor(unclear.d * rate)} (bytes × rate ${rate}) were expected if applied, 0 if not`
    return {
      kind: 'attention',
      reason: `The panel's counters do not tell whether the batch was applied: for user ${unclear.userId}, ${what}. Another node may report the same users, the panel's traffic may have been reset, or the bridge's traffic rate may differ from the node's.`,
      items: judged,
    }
  }
  const lastApplied = judged.map((j) => j.verdict).lastIndexOf('applied')
  if (lastApplied < 0) return { kind: 'not_applied', items: judged }
  const firstUnchanged = judged.findIndex((j) => j.verdict === 'unchanged')
  if (firstUnchanged < 0) return { kind: 'applied', items: judged }
  if (firstUnchanged < lastApplied) {
    return {
      kind: 'attention',
      reason: `The panel applied user ${judged[lastApplied]?.userId} but not user ${judged[firstUnchanged]?.userId}, which comes before it in the batch; ss-panel applies a batch in order, so another node may report the same users.`,
      items: judged,
    }
  }
  return {
    kind: 'partial',
    applied: judged.slice(0, lastApplied + 1).map((j) => j.userId),
    items: judged,
  }
}

function signed(n: number): string {
  return n >= 0 ? `+${n}` : String(n)
}
