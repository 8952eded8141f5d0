/**
 * `--dump FILE`: every hand-over with its timestamps and the runs of each campaign, as JSON, so a
 * latency tail can be traced to its moment (a continue-as-new, a stalled webhook) after the run.
 * Times are ms after `t0`; `signalAt` is when the signal that freed the agent was recorded.
 */
import { writeFile } from 'node:fs/promises';
import { signalOf } from './latencyBreakdown';
import type { RunResult } from './runScenario';

export async function dumpRun(file: string, runs: readonly RunResult[]): Promise<void> {
  const data = runs.map((run) => {
    const { history } = run;
    const base = run.ledger.samples.reduce((min, s) => Math.min(min, s.previous.firstRequestedAt), Infinity);
    const rel = (at: number | null | undefined): number | null => (at == null ? null : at - base);
    return {
      scenario: run.scenario,
      /** Epoch ms that the relative times below count from. */
      t0: base,
      runs: history.runList.map((r) => ({ ...r, startedAt: rel(r.startedAt), closedAt: rel(r.closedAt) })),
      handOvers: run.ledger.samples.map((s) => {
        const placement = history.placements.get(s.next.callId);
        return {
          agentId: s.agentId,
          previous: s.previous.callId,
          previousOutcome: s.previous.outcome,
          next: s.next.callId,
          latencyMs: s.latencyMs,
          previousEndedAt: rel(s.previous.endedAt),
          freeAt: rel(s.freeAt),
          signalAt: rel(signalOf(s, history)),
          scheduledAt: rel(placement?.scheduledAt),
          startedAt: rel(placement?.startedAt),
          requestedAt: rel(s.requestedAt),
        };
      }),
    };
  });
  await writeFile(file, JSON.stringify(data, null, 1));
}
