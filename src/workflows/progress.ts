/** What the campaign answers about itself: its progress (GET /campaigns/:id) and what the database does not know yet. */
import type { AgentTile, AgentTileState, CampaignProgress } from '../shared/types';
import type { NumberActivity } from './messages';
import { type AgentState, type CampaignState, isEnded } from './state';

/** The campaign as `GET /campaigns/:id` shows it: total = pending + inFlight + finished, always. */
export function progressOf(state: CampaignState, workflowId: string, now: number): CampaignProgress {
  const inFlight = state.calls.size;
  const { nextDueAt } = state.lease;
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
    agents: { ...state.agentCounts },
    // The workflow knows the numbers waiting for a retry or callback; the API counts, from the database,
    // those that are due but outside their hours.
    waiting: {
      outsideHours: 0,
      retryLater: Object.values(state.waiting).reduce((sum, n) => sum + n, 0),
      nextDialAt: nextDueAt !== null && nextDueAt > now && !isEnded(state.status) ? new Date(nextDueAt).toISOString() : null,
    },
    createdAt: state.createdAt,
    completedAt: state.completedAt,
  };
}

/** Each of the campaign's agents by state, in id order (bounded by MAX_CAMPAIGN_AGENTS). */
export function agentTilesOf(state: CampaignState): AgentTile[] {
  return [...state.agents.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([agentId, agent]) => ({ agentId, state: tileStateOf(agent) }));
}

function tileStateOf(agent: AgentState): AgentTileState {
  if (agent.callId !== null) return 'on-call';
  switch (agent.status) {
    case 'idle':
      return 'idle';
    case 'busy':
      // Busy since one of this campaign's calls ended (the dialer's own wrap-up assumption, or a later report).
      return agent.lastCallEndedAt > 0 && agent.reportedAt >= agent.lastCallEndedAt ? 'wrap-up' : 'busy';
    default:
      return 'offline';
  }
}

/** Calls in flight and ended attempts not yet written: per-number results merge them over the database's rows. */
export function numberActivityOf(state: CampaignState): NumberActivity {
  return {
    status: state.status,
    live: [...state.calls.values()].map(({ numberIndex, attempt, agentId, placedAt }) => ({ numberIndex, attempt, agentId, placedAt })),
    unsent: [...state.unsent],
  };
}

/** The Temporal UI's "Current details" of the run: the counts operators watch, as markdown. */
export function currentDetails(p: CampaignProgress): string {
  const outcomes = Object.entries(p.outcomes)
    .map(([outcome, n]) => `${outcome} ${n}`)
    .join(' · ');
  return [
    `**${p.status}**: ${p.finished} of ${p.total} finished, ${p.inFlight} in flight, ${p.pending} pending`,
    `Outcomes: ${outcomes}`,
    `Agents: ${p.agents.idle} idle, ${p.agents.onCall} on a call, ${p.agents.busy} busy, ${p.agents.offline} offline`,
    // Why a running campaign dials nothing: its numbers wait for their hours, a retry or a callback.
    ...(p.waiting.nextDialAt === null ? [] : [`Dialling resumes at ${p.waiting.nextDialAt}: the numbers left wait for their calling hours, a retry or a callback (${p.waiting.retryLater} for a retry or callback)`]),
  ].join('\n\n');
}
