/** Judges a campaign by the simulator's ledger, the ground truth of what was dialled. */
import type { CallRecord, LedgerSnapshot } from '../../src/simulator/simulator';
import { parseCallId } from '../../src/shared/callId';
import { OUTCOMES, type CampaignProgress } from '../../src/shared/types';

export interface LedgerFigures {
  /** Accepted numbers never dialled, in a campaign that completed. */
  lost: number;
  /**
   * Numbers dialled by accident: more calls than `maxAttempts`, two calls for one attempt, or a
   * new attempt placed before the previous one ended or after it was answered.
   */
  overDialled: number;
  /** Calls placed for an agent while another call of theirs had not ended. */
  doubleBooked: number;
  /** Everything the simulator flagged at placement (double booking, busy/offline/unknown agent, key reuse). */
  violations: number;
}

export const CLEAN: LedgerFigures = { lost: 0, overDialled: 0, doubleBooked: 0, violations: 0 };

export function checkLedger(
  ledger: LedgerSnapshot,
  campaignId: string,
  numbers: readonly string[],
  progress: CampaignProgress,
  maxAttempts = 1,
): LedgerFigures {
  const calls = ledger.calls.filter((c) => c.campaignId === campaignId);
  const byNumber = groupBy(calls, (c) => c.to);
  const lost = progress.status === 'completed' ? numbers.filter((n) => !byNumber.has(n)).length : 0;
  const overDialled = [...byNumber.values()].filter((dials) => !isOrderlyRetrySequence(dials, maxAttempts)).length;

  // Across every campaign in the ledger: an agent is one person, whichever campaign dialled for them.
  let doubleBooked = 0;
  for (const dials of groupBy(ledger.calls, (c) => c.agentId).values()) {
    const ordered = [...dials].sort((a, b) => a.placedAt - b.placedAt);
    ordered.forEach((c, i) => {
      if (i > 0 && (ordered[i - 1]!.endedAt ?? Infinity) > c.placedAt) doubleBooked++;
    });
  }

  // The campaign's counts equal the ledger's: every finished number's last call ended with that outcome.
  const ledgerOutcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<string, number>;
  for (const dials of byNumber.values()) {
    const last = dials.reduce((a, b) => (b.placedAt > a.placedAt ? b : a));
    if (last.outcome) ledgerOutcomes[last.outcome === 'completed' ? 'answered' : last.outcome]!++;
  }
  if (progress.status === 'completed') {
    expect(progress.outcomes).toEqual(ledgerOutcomes);
    expect(progress).toMatchObject({ finished: numbers.length, pending: 0, inFlight: 0 });
  }
  expect(progress.total).toBe(progress.pending + progress.inFlight + progress.finished);
  return { lost, overDialled, doubleBooked, violations: ledger.violations.length };
}

/** Attempts 1..k, k <= maxAttempts, each placed after the previous ended unanswered. */
function isOrderlyRetrySequence(dials: readonly CallRecord[], maxAttempts: number): boolean {
  const ordered = [...dials].sort((a, b) => a.placedAt - b.placedAt);
  if (ordered.length > maxAttempts) return false;
  return ordered.every((c, i) => {
    if (parseCallId(c.callId)?.attempt !== i + 1) return false;
    const previous = ordered[i - 1];
    return !previous || (previous.outcome !== 'completed' && (previous.endedAt ?? Infinity) <= c.placedAt);
  });
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}
