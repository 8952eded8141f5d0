import type { AgentCounts, CampaignProgress } from '../shared/types';
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
