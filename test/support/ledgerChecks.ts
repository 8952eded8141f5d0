/** Judges a finished campaign by the simulator's ledger, the ground truth of what was dialled. */
import type { LedgerSnapshot } from '../../src/simulator/simulator';
import { OUTCOMES, type CampaignProgress } from '../../src/shared/types';

export interface LedgerFigures {
  /** Accepted numbers never dialled, in a campaign that completed. */
  lost: number;
  /** Numbers dialled more often than allowed. */
  overDialled: number;
  violations: number;
}

export function checkLedger(
  ledger: LedgerSnapshot,
  campaignId: string,
  numbers: readonly string[],
  progress: CampaignProgress,
  maxAttempts = 1,
): LedgerFigures {
  const calls = ledger.calls.filter((c) => c.campaignId === campaignId);
  const dials = new Map<string, number>();
  for (const c of calls) dials.set(c.to, (dials.get(c.to) ?? 0) + 1);
  const lost = progress.status === 'completed' ? numbers.filter((n) => !dials.has(n)).length : 0;
  const overDialled = [...dials.values()].filter((n) => n > maxAttempts).length;

  // The campaign's counts equal the ledger's: every finished number's last call ended with that outcome.
  const lastCall = new Map<string, (typeof calls)[number]>();
  for (const c of calls) {
    const prev = lastCall.get(c.to);
    if (!prev || prev.placedAt < c.placedAt) lastCall.set(c.to, c);
  }
  const ledgerOutcomes = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<string, number>;
  for (const c of lastCall.values()) {
    if (c.outcome) ledgerOutcomes[c.outcome === 'completed' ? 'answered' : c.outcome]!++;
  }
  if (progress.status === 'completed') expect(progress.outcomes).toEqual(ledgerOutcomes);
  expect(progress.total).toBe(progress.pending + progress.inFlight + progress.finished);
  return { lost, overDialled, violations: ledger.violations.length };
}
