/** The activities' contract with the workflow: inputs and results are plain JSON, and hold no secret. */
import type { AgentStatus, CallStatus } from '../shared/types';

export interface PlaceCallInput {
  callId: string;
  /** Inline batches (campaigns started before number chunks). */
  to?: string;
  /** Chunked batches: the number-chunk workflow holding the number (its index is in the callId). */
  chunkWorkflowId?: string;
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
 * Where to find a call whose provider has no idempotency key to look it up by (Twilio): the
 * number dialled (as in PlaceCallInput) and when the dialler decided on the call (epoch ms).
 * Absent in workflow runs before it existed.
 */
export interface CallLocator {
  to?: string;
  chunkWorkflowId?: string;
  placedAt: number;
}

export type CallLookup = { found: false } | { found: true; status: CallStatus; durationSec?: number };

export interface AgentListing {
  agents: Array<{ id: string; status: AgentStatus }>;
  /** Epoch ms when the request was sent: the listing reflects the agents at or after this moment. */
  requestedAt: number;
}

export interface DialerActivities {
  placeCall(input: PlaceCallInput): Promise<PlaceCallResult>;
  getCallStatus(callId: string, locate?: CallLocator): Promise<CallLookup>;
  listAgents(): Promise<AgentListing>;
}
