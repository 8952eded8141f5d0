/**
 * Types shared by the workflow, the activities, the API and the simulator.
 * Plain data only: this module is loaded inside the workflow sandbox.
 */

export const CALL_STATUSES = [
  'initiated',
  'ringing',
  'answered',
  'completed',
  'no-answer',
  'busy',
  'failed',
  'canceled',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export const TERMINAL_CALL_STATUSES = ['completed', 'no-answer', 'busy', 'failed', 'canceled'] as const;
export type TerminalCallStatus = (typeof TERMINAL_CALL_STATUSES)[number];

export function isTerminalCallStatus(status: CallStatus): status is TerminalCallStatus {
  return (TERMINAL_CALL_STATUSES as readonly string[]).includes(status);
}

export const AGENT_STATUSES = ['idle', 'busy', 'offline'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** How an attempt can end: `answered` = answered then completed. */
export const ATTEMPT_OUTCOMES = ['answered', 'no-answer', 'busy', 'failed', 'canceled'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** Outcome of a finished number: its last attempt's, or `do-not-call` when the list stopped it. */
export const OUTCOMES = [...ATTEMPT_OUTCOMES, 'do-not-call'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export function outcomeOf(status: TerminalCallStatus): AttemptOutcome {
  return status === 'completed' ? 'answered' : status;
}

export const CAMPAIGN_STATUSES = ['running', 'paused', 'completed', 'cancelled', 'failed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Local hours of the recipient: start <= time < end ('HH:MM', end up to '24:00'), on these days. */
export interface CallingHours {
  start: string;
  end: string;
  days: Weekday[];
}

/** What follows an attempt that ended so: its own delay and attempt limit. */
export interface RetryRule {
  delaySec: number;
  maxAttempts: number;
}

export interface FrequencyCap {
  calls: number;
  perHours: number;
}

export interface CampaignSettings {
  maxAttempts: number;
  retryDelaySec: number;
  /** null: as many calls as there are free agents. */
  maxConcurrentCalls: number | null;
  /** Per outcome of the attempt that just ended; absent fields come from maxAttempts / retryDelaySec. */
  retry?: Partial<Record<Exclude<AttemptOutcome, 'answered'>, Partial<RetryRule>>>;
  /** Absent in campaigns started before calling rules: dialled at any hour. */
  callingHours?: CallingHours;
  /** The zone of numbers whose own zone is unknown. */
  timeZone?: string;
  frequencyCap?: FrequencyCap | null;
}

/** How often the workflow catches up on its own when webhooks are lost. */
export interface CampaignTiming {
  /** Interval between `GET /agents` reads. */
  agentPollSec: number;
  /** A call silent (no status) this long is looked up with `GET /calls/{callId}`. */
  callSilenceSec: number;
  /** A call whose lookups keep failing this long ends `failed` (final), freeing its agent. */
  lookupGiveUpSec: number;
}

/** The body of the call-status webhook, and what `GET /calls/{callId}` returns. */
export interface CallStatusReport {
  callId: string;
  status: CallStatus;
  durationSec?: number;
  /** ISO time the provider gives; absent for statuses read by polling. */
  timestamp?: string;
}

/** The body of the agent-status webhook. */
export interface AgentStatusReport {
  agentId: string;
  status: AgentStatus;
  timestamp: string;
}

export interface AgentCounts {
  idle: number;
  onCall: number;
  busy: number;
  offline: number;
}

export type OutcomeCounts = Record<Outcome, number>;

/** What `GET /campaigns/:id` returns, and what the workflow's `progress` query answers. */
export interface CampaignProgress {
  campaignId: string;
  name: string;
  workflowId: string;
  status: CampaignStatus;
  total: number;
  pending: number;
  inFlight: number;
  finished: number;
  outcomes: OutcomeCounts;
  agents: AgentCounts;
  /** Parts of `pending`: due but outside their hours, and queued for later; when dialling next resumes. */
  waiting: CampaignWaiting;
  createdAt: string;
  completedAt: string | null;
}

/** An agent as the console's tiles show it: `wrap-up` is busy since a call of this campaign ended. */
export const AGENT_TILE_STATES = ['idle', 'on-call', 'wrap-up', 'busy', 'offline'] as const;
export type AgentTileState = (typeof AGENT_TILE_STATES)[number];

export interface AgentTile {
  agentId: string;
  state: AgentTileState;
}

export interface CampaignWaiting {
  outsideHours: number;
  retryLater: number;
  /** ISO; null while numbers are due now, or when none is queued. */
  nextDialAt: string | null;
}
