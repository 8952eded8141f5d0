/** The activities' contract with the workflow: inputs and results are plain JSON, and hold no secret nor phone number. */
import type { AgentStatus, AttemptOutcome, CallingHours, CallStatus, CampaignStatus, FrequencyCap } from '../shared/types';
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
  /**
   * Checked right before the dial, nothing dialled: the number went back to the queue until its window
   * opens (`nextOpenAt`), or finished `do-not-call`.
   */
  | { placed: false; held: 'outside_hours'; nextOpenAt: number | null }
  | { placed: false; held: 'do_not_call' }
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

/** The calling rules a lease keeps (absent: a campaign from before them, dialled at any hour, uncapped). */
export interface LeaseRules {
  callingHours?: CallingHours;
  frequencyCap?: FrequencyCap | null;
}

/** Takes up to `count` numbers due at `now` into the campaign's hopper; a retried lease (same id) returns the same rows. */
export interface LeaseRequest {
  campaignId: string;
  leaseId: string;
  count: number;
  now: number;
  rules?: LeaseRules;
}

export interface LeasedNumber {
  numberIndex: number;
  /** The dial to make: dials made so far + 1 (it names the callId). */
  attempt: number;
  /** How the number's last attempt ended; null for a number never dialled. */
  previousOutcome: AttemptOutcome | null;
  /** Dials that count against maxAttempts so far (callbacks do not); absent: attempt - 1. */
  counted?: number;
  /** A callback an agent promised: for that agent only (while logged in), or null for anyone. */
  callback?: { agentId: string | null };
}

export interface Lease {
  numbers: LeasedNumber[];
  /** Numbers the lease found on the do-not-call list: finished `do-not-call`, never dialled. */
  doNotCall?: Array<{ numberIndex: number; previousOutcome: AttemptOutcome | null }>;
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

/** A callback asked for a call whose attempt is already written: the number is queued again at `at`. */
export interface CallbackRequest {
  campaignId: string;
  callId: string;
  numberIndex: number;
  attempt: number;
  at: number;
  agentId: string | null;
}

/**
 * What scheduling it changed: `reopened` with the outcome a finished number had (it is pending again),
 * `rescheduled` for a number that was waiting for a retry, `none` when nothing changed (a repeated
 * request, or a later attempt exists).
 */
export type CallbackScheduled = { change: 'reopened'; outcome: AttemptOutcome } | { change: 'rescheduled' | 'none' };

export interface DialerActivities {
  placeCall(input: PlaceCallInput): Promise<PlaceCallResult>;
  getCallStatus(callId: string, locate?: CallLocator): Promise<CallLookup>;
  listAgents(): Promise<AgentListing>;
  leaseNumbers(request: LeaseRequest): Promise<Lease>;
  /** Writes ended attempts and each number's next due time; a result already written (same callId) is skipped. */
  recordAttempts(campaignId: string, results: AttemptResult[]): Promise<void>;
  /** The campaign's status for GET /campaigns; a closed cancelled campaign's waiting numbers are finished too. */
  recordCampaignStatus(record: CampaignStatusRecord): Promise<void>;
  scheduleCallback(request: CallbackRequest): Promise<CallbackScheduled>;
}
