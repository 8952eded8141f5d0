/**
 * What one agent listing costs the workflow: the reducer alone (no server), on a floor where every
 * listing changes half the agents' status, timed in this process. The workflow pays this per
 * AGENT_POLL_SEC, and again on every replay.
 */
import { performance } from 'node:perf_hooks';
import type { AgentStatus } from '../shared/types';
import { reduce } from '../workflows/reducer';
import { initialState } from '../workflows/state';

export interface ListingCost {
  agents: number;
  /** Median and slowest over the timed listings, in ms. */
  medianMs: number;
  maxMs: number;
}

const LISTINGS = 40;
const WARM_UP = 5;

export function agentListingCost(agentCount: number): ListingCost {
  const agentIds = Array.from({ length: agentCount }, (_, i) => `agent-${i}`);
  let now = Date.parse('2026-01-05T09:00:00Z');
  const state = initialState(
    {
      campaignId: 'bench-reducer',
      name: 'reducer cost',
      total: 1_000_000,
      agentIds,
      settings: { maxAttempts: 1, retryDelaySec: 300, maxConcurrentCalls: null },
      timing: { agentPollSec: 5, callSilenceSec: 60, lookupGiveUpSec: 900 },
      createdAt: new Date(now).toISOString(),
    },
    now,
  );
  // A lease in flight: the listings dispatch nothing, so only the listing itself is timed.
  reduce(state, { type: 'tick' }, { now, startWork: true });
  const times: number[] = [];
  for (let i = 0; i < WARM_UP + LISTINGS; i++) {
    now += 5_000;
    const agents = agentIds.map((id, k): { id: string; status: AgentStatus } => ({ id, status: (k + i) % 2 === 0 ? 'idle' : 'busy' }));
    const started = performance.now();
    reduce(state, { type: 'agentsListed', listing: { agents, requestedAt: now } }, { now, startWork: true });
    if (i >= WARM_UP) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { agents: agentCount, medianMs: times[Math.floor(times.length / 2)]!, maxMs: times[times.length - 1]! };
}
