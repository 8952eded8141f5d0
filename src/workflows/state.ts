/**
 * The campaign's state: plain JSON (no Map/Set, no Infinity) so that continue-as-new can carry it.
 * The numbers themselves live in the workflow input, not here, so they are never copied per event.
 */
import type {
  AgentStatus,
  CallStatus,
  CampaignSettings,
  CampaignStatus,
  CampaignTiming,
  Outcome,
  OutcomeCounts,
} from '../shared/types';
import type { AttemptResult, NumberChunks } from './definitions';

export interface AgentState {
  /** Last status the agent system reported; `unknown` until the first report or listing. */
  status: AgentStatus | 'unknown';
  /** Epoch ms of that report: an older report arriving later is stale and ignored. */
  reportedAt: number;
  /** The call this agent is reserved for, from the moment it is placed until it ends. */
  callId: string | null;
  /** Epoch ms the agent's last call ended: agents waiting longest get the next call. */
  lastCallEndedAt: number;
}

export type CallPhase =
  /** The placeCall activity is running (and may be retrying with the same idempotency key). */
  | 'placing'
  /** The provider accepted the call, or a status for it arrived. */
  | 'placed'
  /** The placeCall activity gave up: whether the provider placed the call is found out by a lookup. */
  | 'unconfirmed';

export interface CallState {
  callId: string;
  numberIndex: number;
  attempt: number;
  agentId: string;
  phase: CallPhase;
  /** For attempt 2 and up: how the number's previous attempt ended. Absent in runs before it existed. */
  previousOutcome?: Outcome;
  /** Latest non-terminal status heard, null before any. */
  status: CallStatus | null;
  placedAt: number;
  /** When to ask the provider about this call if nothing is heard before; null while placing. */
  checkDueAt: number | null;
  lookupInFlight: boolean;
}

/**
 * A number to dial again: its last attempt ended unanswered, or a late placement found the agent no
 * longer idle and dialled nothing (then `lastOutcome` is that of the attempt before, null if none).
 */
export interface RetryState {
  numberIndex: number;
  attemptsMade: number;
  lastOutcome: Outcome | null;
  dueAt: number;
}

export interface CampaignState {
  campaignId: string;
  name: string;
  status: CampaignStatus;
  failureReason: string | null;
  createdAt: string;
  completedAt: string | null;
  settings: CampaignSettings;
  timing: CampaignTiming;
  total: number;
  /** Numbers [0, nextIndex) have been dialled at least once. */
  nextIndex: number;
  retries: RetryState[];
  calls: Record<string, CallState>;
  /** Null until the first agent listing when the campaign was started without agentIds. */
  agentIds: string[] | null;
  agents: Record<string, AgentState>;
  finished: number;
  outcomes: OutcomeCounts;
  /** Epoch ms of the last `GET /agents` sent; 0 before the first. */
  lastAgentPollAt: number;
  agentPollInFlight: boolean;
  /** Ended attempts not yet sent to their numbers' chunks. Absent in runs before results were kept. */
  unsentResults?: AttemptResult[];
  /** Numbers added after the start, after those of the input, in order. */
  addedBatches?: NumberChunks[];
  /** Indices from `first` on are reserved for numbers being added, until `expiresAt` (epoch ms). */
  addition?: NumbersAddition | null;
}

export interface NumbersAddition {
  batchKey: string;
  first: number;
  expiresAt: number;
}

export interface CampaignStart {
  campaignId: string;
  name: string;
  total: number;
  agentIds?: string[];
  settings: CampaignSettings;
  timing: CampaignTiming;
  createdAt: string;
}

export function emptyOutcomes(): OutcomeCounts {
  return { answered: 0, 'no-answer': 0, busy: 0, failed: 0, canceled: 0 };
}

function unknownAgent(): AgentState {
  return { status: 'unknown', reportedAt: 0, callId: null, lastCallEndedAt: 0 };
}

export function agentsFor(ids: readonly string[]): Record<string, AgentState> {
  return Object.fromEntries(ids.map((id) => [id, unknownAgent()]));
}

export function initialState(start: CampaignStart): CampaignState {
  const agentIds = start.agentIds ? [...new Set(start.agentIds)] : null;
  return {
    campaignId: start.campaignId,
    name: start.name,
    status: 'running',
    failureReason: null,
    createdAt: start.createdAt,
    completedAt: null,
    settings: start.settings,
    timing: start.timing,
    total: start.total,
    nextIndex: 0,
    retries: [],
    calls: {},
    agentIds,
    agents: agentIds ? agentsFor(agentIds) : {},
    finished: 0,
    outcomes: emptyOutcomes(),
    lastAgentPollAt: 0,
    agentPollInFlight: false,
  };
}

/** Where the campaign's numbers are: the batch it started with, then those added since, in order. */
export function numberBatches(chunks: NumberChunks, state: CampaignState): NumberChunks[] {
  return [chunks, ...(state.addedBatches ?? [])];
}

/** True once the campaign has ended and the workflow may return. */
export function isClosed(state: CampaignState): boolean {
  return state.completedAt !== null;
}

/** Whether a call of this campaign holds the agent: from its placement until the campaign hears it ended. */
export function agentOnCall(state: CampaignState, agentId: string): boolean {
  return (state.agents[agentId]?.callId ?? null) !== null;
}
