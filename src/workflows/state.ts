/**
 * The campaign's state: what it decides with, and nothing that grows with its list. The numbers, their
 * schedule and every attempt are in the database; the state holds the agents, the calls in flight,
 * counters, a small hopper of leased numbers and ended attempts not yet written.
 *
 * The reducer changes it in place (copying per event would cost as much as the floor is large); the
 * workflow owns it. What crosses continue-as-new is its compact form (carry.ts).
 */
import type { LeasedNumber } from '../activities/types';
import type {
  AgentCounts,
  AgentStatus,
  CallStatus,
  CampaignSettings,
  CampaignStatus,
  CampaignTiming,
  AttemptOutcome,
  OutcomeCounts,
} from '../shared/types';
import type { AttemptResult, CampaignInput } from './messages';

/** Most agents one campaign takes: its state stays bounded, and so do its agent listings. */
export const MAX_CAMPAIGN_AGENTS = 5_000;

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
  /** How the number's previous attempt ended; null for a first attempt. */
  previousOutcome: AttemptOutcome | null;
  /** Attempts that count against maxAttempts once this one ends (a callback does not count). */
  counted: number;
  /** This dial is a callback a disposition asked for: for that agent, or null for anyone. */
  callbackFor: { agentId: string | null } | null;
  /** A callback asked for while the call was in flight: the number's next dial, at `at`. */
  callback: { at: number; agentId: string | null } | null;
  /** Latest non-terminal status heard, null before any. */
  status: CallStatus | null;
  placedAt: number;
  /** When to ask the provider about this call if nothing is heard before; null while placing. */
  checkDueAt: number | null;
  lookupInFlight: boolean;
  /** Epoch ms of the first of the lookups failing in a row; null while lookups answer. */
  lookupFailingSince: number | null;
}

export interface LeaseState {
  /** Leases asked so far: the next lease's id is `<campaignId>:<seq>`. */
  seq: number;
  inFlight: boolean;
  /** When the earliest queued number in the database falls due, as far as the campaign knows; null: none queued. */
  nextDueAt: number | null;
  /** An addition's reservation lapsed: the database may hold numbers the campaign has not counted. */
  stale: boolean;
}

export interface NumbersAddition {
  batchKey: string;
  expiresAt: number;
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
  /** Numbers of the campaign in the database. */
  total: number;
  finished: number;
  outcomes: OutcomeCounts;
  /** Numbers whose last attempt ended unanswered (or asked a callback) and that wait for the next (in the database), by that outcome. */
  waiting: OutcomeCounts;
  /** Numbers leased for dialling, next first. */
  hopper: LeasedNumber[];
  /** Derived by dispatch: callbacks in the hopper waiting for their own agent, logged in but not free. */
  pinnedWaiting: number;
  lease: LeaseState;
  calls: Map<string, CallState>;
  /** Null until the first agent listing when the campaign was started without agentIds. */
  agentIds: string[] | null;
  agents: Map<string, AgentState>;
  /** Derived from `agents` (kept in step by setAgent): idle agents holding no call, and counts by state. */
  free: Set<string>;
  agentCounts: AgentCounts;
  /** Epoch ms of the last `GET /agents` sent; 0 before the first. */
  lastAgentPollAt: number;
  agentPollInFlight: boolean;
  /** Ended attempts not yet handed to recordAttempts, oldest first. */
  unsent: AttemptResult[];
  recordsInFlight: number;
  /** After a recordAttempts that failed for good: no new one before this (epoch ms). */
  recordRetryAt: number;
  addition: NumbersAddition | null;
  /** The status last handed to recordCampaignStatus (the API records `running` at start), and how many were. */
  recordedStatus: CampaignStatus;
  statusVersion: number;
}

/** What a campaign starts from: its input, less how often it hands over. */
export type CampaignStart = Omit<CampaignInput, 'continueAsNewAfterEvents'>;

export function emptyOutcomes(): OutcomeCounts {
  return { answered: 0, 'no-answer': 0, busy: 0, failed: 0, canceled: 0, 'do-not-call': 0 };
}

export function unknownAgent(): AgentState {
  return { status: 'unknown', reportedAt: 0, callId: null, lastCallEndedAt: 0 };
}

export function initialState(start: CampaignStart, now: number): CampaignState {
  const state: CampaignState = {
    campaignId: start.campaignId,
    name: start.name,
    status: 'running',
    failureReason: null,
    createdAt: start.createdAt,
    completedAt: null,
    settings: start.settings,
    timing: start.timing,
    total: start.total,
    finished: 0,
    outcomes: emptyOutcomes(),
    waiting: emptyOutcomes(),
    hopper: [],
    pinnedWaiting: 0,
    lease: { seq: 0, inFlight: false, nextDueAt: now, stale: false },
    calls: new Map(),
    agentIds: null,
    agents: new Map(),
    free: new Set(),
    agentCounts: { idle: 0, onCall: 0, busy: 0, offline: 0 },
    lastAgentPollAt: 0,
    agentPollInFlight: false,
    unsent: [],
    recordsInFlight: 0,
    recordRetryAt: 0,
    addition: null,
    recordedStatus: 'running',
    statusVersion: 0,
  };
  if (start.agentIds) takeAgents(state, [...new Set(start.agentIds)]);
  return state;
}

/** The campaign's agents, from the start request or its first listing; all unknown until reported. */
export function takeAgents(state: CampaignState, agentIds: string[]): void {
  state.agentIds = agentIds;
  for (const id of agentIds) setAgent(state, id, unknownAgent());
}

/** Where an agent counts: on a call, or by the status reported (`unknown` counts as offline). */
function countOf(agent: AgentState): keyof AgentCounts {
  if (agent.callId !== null) return 'onCall';
  return agent.status === 'unknown' ? 'offline' : agent.status;
}

/** The one way an agent's state changes, so that `free` and `agentCounts` stay in step with it. */
export function setAgent(state: CampaignState, agentId: string, agent: AgentState): void {
  const before = state.agents.get(agentId);
  if (before) state.agentCounts[countOf(before)]--;
  state.agentCounts[countOf(agent)]++;
  state.agents.set(agentId, agent);
  if (agent.status === 'idle' && agent.callId === null) state.free.add(agentId);
  else state.free.delete(agentId);
}

/** True once the campaign has ended and the workflow may return. */
export function isClosed(state: CampaignState): boolean {
  return state.completedAt !== null;
}

export function isEnded(status: CampaignStatus): boolean {
  return status === 'completed' || status === 'cancelled' || status === 'failed';
}

/** Whether a call of this campaign holds the agent: from its placement until the campaign hears it ended. */
export function agentOnCall(state: CampaignState, agentId: string): boolean {
  return (state.agents.get(agentId)?.callId ?? null) !== null;
}

