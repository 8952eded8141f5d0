/** Which running campaigns include an agent, from Temporal's visibility store, cached briefly. */
import type { Client } from '@temporalio/client';
import { ANY_AGENT } from '../workflows/searchAttributes';
import { AGENT_ID_PATTERN } from './schemas';
import { withDeadline } from './temporal';

/** Long enough to absorb a burst of reports, short next to the workflows' own GET /agents polling. */
export const AGENT_CAMPAIGNS_TTL_MS = 1000;

/** A string literal for a visibility query. */
export function visibilityString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function runningCampaignsQuery(agentId: string): string {
  // The pattern keeps quotes out already; escaping as well costs nothing.
  if (!AGENT_ID_PATTERN.test(agentId)) throw new Error(`agent id outside ${AGENT_ID_PATTERN}`);
  return `ExecutionStatus = 'Running' AND (CampaignAgents = ${visibilityString(agentId)} OR CampaignAgents = '${ANY_AGENT}')`;
}

export type AgentCampaignLookup = (agentId: string) => Promise<string[]>;

/** Workflow ids of the running campaigns that include the agent; concurrent callers share one query. */
export function agentCampaignLookup(client: Client, ttlMs = AGENT_CAMPAIGNS_TTL_MS): AgentCampaignLookup {
  const cache = new Map<string, { expires: number; workflowIds: Promise<string[]> }>();
  const fetch = (agentId: string): Promise<string[]> =>
    withDeadline(client, async () => {
      const ids: string[] = [];
      const query = runningCampaignsQuery(agentId);
      for await (const info of client.workflow.list({ query })) ids.push(info.workflowId);
      return ids;
    });
  return (agentId) => {
    const now = Date.now();
    for (const [key, entry] of cache) if (entry.expires <= now) cache.delete(key);
    const hit = cache.get(agentId);
    if (hit !== undefined) return hit.workflowIds;
    const workflowIds = fetch(agentId);
    cache.set(agentId, { expires: now + ttlMs, workflowIds });
    // A failed lookup is not remembered: the sender's retry must ask again.
    workflowIds.catch(() => cache.delete(agentId));
    return workflowIds;
  };
}
