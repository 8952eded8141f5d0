/**
 * Which call holds an agent, across the campaigns of one task queue. A campaign reserves its own
 * agents in its state, but two campaigns that share an agent cannot see each other's reservations:
 * placeCall claims the agent first, so a ringing call of one campaign keeps the other away.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

/** The call that last claimed an agent. */
export interface AgentClaim {
  callId: string;
  campaignId: string;
}

export interface ClaimRequest extends AgentClaim {
  /** A holder the caller found no longer on a call: taken over only if it still holds the agent. */
  replaces?: string;
}

export type ClaimReply = { granted: true } | { granted: false; holder: AgentClaim };

/**
 * Granted when nobody holds the agent, when the holder is a call of the same campaign (its own state
 * already gives an agent one call at a time), or when the caller found the holder no longer on a call.
 */
export function claimAgent(holder: AgentClaim | null, request: ClaimRequest): { holder: AgentClaim | null; reply: ClaimReply } {
  const { callId, campaignId, replaces } = request;
  if (holder && holder.campaignId !== campaignId && holder.callId !== replaces) {
    return { holder, reply: { granted: false, holder } };
  }
  return { holder: { callId, campaignId }, reply: { granted: true } };
}

/** The agent-claim workflow of an agent on a task queue: which call holds the agent, across campaigns. */
export const AGENT_CLAIM_WORKFLOW_TYPE = 'agentClaimWorkflow';
export const claimAgentUpdate = defineUpdate<ClaimReply, [ClaimRequest]>('claimAgent');
export const agentClaimQuery = defineQuery<AgentClaim | null>('agentClaim');
