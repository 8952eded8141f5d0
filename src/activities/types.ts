/** The activities' contract with the workflow: inputs and results are plain JSON, and hold no secret nor phone number. */
import type { AgentStatus, CallStatus, CampaignStatus, Outcome } from '../shared/types';
import type { AttemptResult } from '../workflows/messages';

/** The number is read from the database by the activity: its campaign and index are in the callId. */
export interface PlaceCallInput {
  callId: string;
  agentId: string;
  campaignId: string;
}

/**
 * `placed: false` is either the provider refusing the call (a 4xx other than 408/429: the attempt ends
 * `failed`), or, for a placement that started late, the agent no longer idle: nothing was dialled and
 * the number waits for another agent.
 */
export type PlaceCallResult =
  | { placed: true; providerCallId: string }
  | { placed: false; httpStatus: number; reason: string }
  | { placed: false; agentUnavailable: { status: AgentStatus; observedAt: number } };

/**
 * Where to find a call whose provider has no idempotency key to look it up by (Twilio): when the
 * dialler decided on the call (epoch ms); the number is read from the database.
 */
export interface CallLocator {
  placedAt: number;
}

export type CallLookup = { found: false } | { found: true; status: CallStatus; durationSec?: number };

export interface AgentListing {
  agents: Array<{ id: string; status: AgentStatus }>;
  /** Epoch ms when the request was sent: the listing reflects the agents at or after this moment. */
  requestedAt: number;
}

/** Takes up to `count` numbers due at `now` into the campaign's hopper; a retried lease (same id) returns the same rows. */
export interface LeaseRequest {
  campaignId: string;
  leaseId: string;
  count: number;
  now: number;
}

export interface LeasedNumber {
  numberIndex: number;
  /** The attempt to make: attempts made so far + 1. */
  attempt: number;
  /** How the number's last attempt ended; null for a number never dialled. */
  previousOutcome: Outcome | null;
}

export interface Lease {
  numbers: LeasedNumber[];
  /** Epoch ms when the earliest number still queued falls due (at or before `now`: more are due); null when none is queued. */
  nextDueAt: number | null;
  /** The campaign's numbers in the database: additions included. */
  total: number;
}

export interface CampaignStatusRecord {
  campaignId: string;
  status: CampaignStatus;
  completedAt: string | null;
  /** Grows with every change: a write older than the one recorded is ignored. */
  version: number;
}

export interface DialerActivities {
  placeCall(input: PlaceCallInput): Promise<PlaceCallResult>;
  getCallStatus(callId: string, locate?: CallLocator): Promise<CallLookup>;
  listAgents(): Promise<AgentListing>;
  leaseNumbers(request: LeaseRequest): Promise<Lease>;
  /** Writes ended attempts and each number's next due time; a result already written (same callId) is skipped. */
  recordAttempts(campaignId: string, results: AttemptResult[]): Promise<void>;
  /** The campaign's status for GET /campaigns; a closed cancelled campaign's waiting numbers are finished too. */
  recordCampaignStatus(record: CampaignStatusRecord): Promise<void>;
}
