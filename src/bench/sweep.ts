/**
 * `--sweep`: the same calls, more and more agents, so the offered call rate rises step by step until
 * p99 dispatch latency passes the knee (or a step does not finish in time; a step over the knee is
 * run again to rule out a one-off stall), then a few steps halve the
 * gap between the last step under the knee and the first over it. The knee is the best achieved rate
 * of a step still under it.
 */
import type { BenchEnvironment } from './environment';
import type { BenchOptions, Scenario } from './options';
import { runScenario, type RunResult } from './runScenario';

export interface SweepResult {
  steps: RunResult[];
  kneeMs: number;
  /** Best achieved calls/s of a step with p99 under the knee; null if even the first step was over. */
  kneeCallsPerSecond: number | null;
  /** Why the sweep stopped. */
  stoppedBecause: string;
}

export async function runSweep(
  env: BenchEnvironment,
  base: Scenario,
  sweep: NonNullable<BenchOptions['sweep']>,
  note: (line: string) => void,
): Promise<SweepResult> {
  const steps: RunResult[] = [];
  let knee: number | null = null;
  let stoppedBecause = `every step stayed under ${sweep.kneeMs} ms`;
  const once = async (agents: number): Promise<{ under: boolean; why: string; completed: boolean }> => {
    const run = await runScenario(env, scenarioFor(base, agents, sweep.callsPerAgent), `sweep-${agents}`, note);
    steps.push(run);
    const { p99 } = run.dispatchLatencyMs;
    note(
      `sweep ${agents} agents: ${run.ledger.callsPerSecond.toFixed(1)} calls/s ` +
        `(offered ${run.offeredCallsPerSecond.toFixed(1)}), p99 dispatch ${p99} ms`,
    );
    const { completed } = run;
    if (!completed) return { under: false, completed, why: `${agents} agents: ${run.statuses.join('; ')}` };
    if (!(p99 <= sweep.kneeMs)) {
      return { under: false, completed, why: `${agents} agents: p99 dispatch ${p99} ms > ${sweep.kneeMs} ms` };
    }
    knee = Math.max(knee ?? 0, run.ledger.callsPerSecond);
    return { under: true, completed, why: '' };
  };
  // p99 of a few hundred hand-overs is a handful of samples: one stall (a GC, a neighbour's burst of
  // CPU) can push a step over. A step counts as over the knee only if its re-runs are over too
  // (one that did not finish in time is not run again: that is no fluke).
  const step = async (agents: number): Promise<{ under: boolean; why: string }> => {
    let result = await once(agents);
    for (let i = 0; i < sweep.confirm && !result.under && result.completed; i++) {
      note(`sweep ${agents} agents: over the knee; running it again to confirm`);
      result = await once(agents);
    }
    return result;
  };

  let lastUnder: number | null = null;
  let firstOver: number | null = null;
  for (const agents of sweep.agents) {
    const { under, why } = await step(agents);
    if (under) {
      lastUnder = agents;
      continue;
    }
    firstOver = agents;
    stoppedBecause = why;
    break;
  }
  // The listed steps are coarse near the knee (40 -> 80 agents doubles the rate): bisect between them.
  for (let i = 0; i < sweep.refine && lastUnder !== null && firstOver !== null; i++) {
    const mid = Math.round((lastUnder + firstOver) / 2);
    if (mid === lastUnder || mid === firstOver) break;
    const { under, why } = await step(mid);
    if (under) lastUnder = mid;
    else [firstOver, stoppedBecause] = [mid, why];
  }
  return { steps, kneeMs: sweep.kneeMs, kneeCallsPerSecond: knee, stoppedBecause };
}

function scenarioFor(base: Scenario, agents: number, callsPerAgent: number): Scenario {
  return { ...base, agents, numbers: agents * callsPerAgent, campaigns: Math.min(base.campaigns, agents) };
}
