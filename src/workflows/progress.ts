import type { AgentCounts, CampaignProgress } from '../shared/types';
import type { NumberActivity, NumberChunks } from './definitions';
import type { CampaignState } from './state';

/** The campaign as `GET /campaigns/:id` shows it: total = pending + inFlight + finished, always. */
export function progressOf(state: CampaignState, workflowId: string): CampaignProgress {
  const inFlight = Object.keys(state.calls).length;
  return {
    campaignId: state.campaignId,
    name: state.name,
    workflowId,
    status: state.status,
    total: state.total,
    pending: state.total - inFlight - state.finished,
    inFlight,
    finished: state.finished,
    outcomes: { ...state.outcomes },
    agents: agentCounts(state),
    createdAt: state.createdAt,
    completedAt: state.completedAt,
  };
}

function agentCounts(state: CampaignState): AgentCounts {
  const counts: AgentCounts = { idle: 0, onCall: 0, busy: 0, offline: 0 };
  for (const agent of Object.values(state.agents)) {
    if (agent.callId !== null) counts.onCall++;
    else if (agent.status === 'unknown') counts.offline++;
    else counts[agent.status]++;
  }
  return counts;
}

/** What per-number results need from the campaign itself: where the numbers are, and what the chunks do not know yet. */
export function numberActivityOf(state: CampaignState, batches: NumberChunks[]): NumberActivity {
  return {
    status: state.status,
    closed: state.completedAt !== null,
    total: state.total,
    batches,
    live: Object.values(state.calls).map(({ numberIndex, attempt, agentId, placedAt }) => ({
      numberIndex,
      attempt,
      agentId,
      placedAt,
    })),
    unsent: state.unsentResults ?? [],
  };
}
