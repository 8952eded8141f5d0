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

/** Outcome of a finished number, i.e. of its last attempt. `answered` = answered then completed. */
export const OUTCOMES = ['answered', 'no-answer', 'busy', 'failed', 'canceled'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export function outcomeOf(status: TerminalCallStatus): Outcome {
  return status === 'completed' ? 'answered' : status;
}

export const CAMPAIGN_STATUSES = ['running', 'paused', 'completed', 'cancelled', 'failed'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export interface CampaignSettings {
  maxAttempts: number;
  retryDelaySec: number;
  /** null: as many calls as there are free agents. */
  maxConcurrentCalls: number | null;
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
  createdAt: string;
  completedAt: string | null;
}
