/**
 * placeCall's claim on an agent, through the agent's claim workflow on the worker's task queue
 * (started by the first claim). A holder from another campaign is asked whether the agent is still
 * on its call: only if not is the claim taken over, so a stale claim never blocks an agent for long.
 */
import { createHash } from 'node:crypto';
import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import type { AgentClaimer } from '../activities';
import { workflowIdFor } from '../shared/callId';
import { containsPhoneNumber } from '../shared/mask';
import {
  AGENT_CLAIM_WORKFLOW_TYPE,
  type AgentClaim,
  claimAgentUpdate,
  type ClaimReply,
  type ClaimRequest,
} from '../workflows/agentClaims';
import { agentOnCallQuery } from '../workflows/messages';

/** Takeovers tried in a row: a holder found gone may have been replaced meanwhile by one on a call. */
const MAX_TAKEOVERS = 2;
/**
 * A claim answers in milliseconds; one caught in its workflow's hand-over to a new run can wait far
 * longer. It is sent again (the same claim is granted twice) rather than hold the activity.
 */
const CLAIM_DEADLINE_MS = 2_000;
const CLAIM_SENDS = 3;

/** How an agent is named where the UI shows it: an id that looks like a phone number is hashed (letters only). */
function agentKey(agentId: string): string {
  return containsPhoneNumber(agentId)
    ? createHash('sha256').update(agentId).digest('hex').slice(0, 24).replace(/\d/g, (d) => 'ghijklmnop'[Number(d)]!)
    : agentId;
}

export function agentClaimWorkflowId(taskQueue: string, agentId: string): string {
  return `agent-${agentKey(agentId)}-on-${taskQueue}`;
}

export function agentClaimer(client: Client, taskQueue: string): AgentClaimer {
  async function claimOnce(agentId: string, request: ClaimRequest): Promise<ClaimReply> {
    const workflowId = agentClaimWorkflowId(taskQueue, agentId);
    for (let send = 1; ; send++) {
      const startWorkflowOperation = new WithStartWorkflowOperation(AGENT_CLAIM_WORKFLOW_TYPE, {
        workflowId,
        taskQueue,
        args: [{ holder: null }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `Which call holds agent ${agentKey(agentId)}, across the campaigns of task queue ${taskQueue}`,
      });
      try {
        return await client.connection.withDeadline(Date.now() + CLAIM_DEADLINE_MS, () =>
          client.workflow.executeUpdateWithStart(claimAgentUpdate, { args: [request], startWorkflowOperation }),
        );
      } catch (err) {
        if (send >= CLAIM_SENDS) throw err;
      }
    }
  }

  async function onCall(holder: AgentClaim, agentId: string): Promise<boolean> {
    const campaign = client.workflow.getHandle(workflowIdFor(holder.campaignId));
    try {
      // An ended campaign holds nothing, and a query would replay its whole last run.
      if ((await campaign.describe()).status.name !== 'RUNNING') return false;
      return await campaign.query(agentOnCallQuery, agentId);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  return {
    async claim({ agentId, callId, campaignId }) {
      let reply = await claimOnce(agentId, { callId, campaignId });
      for (let takeovers = 0; !reply.granted && takeovers < MAX_TAKEOVERS; takeovers++) {
        if (await onCall(reply.holder, agentId)) return false;
        reply = await claimOnce(agentId, { callId, campaignId, replaces: reply.holder.callId });
      }
      return reply.granted;
    },
  };
}
