/** Which live campaigns include an agent, from the database (one indexed read), cached briefly. */
import { liveCampaignsWithAgent } from '../db/campaigns';
import type { Pool } from '../db/database';

/** Long enough to absorb a burst of reports, short next to the workflows' own GET /agents polling. */
export const AGENT_CAMPAIGNS_TTL_MS = 1000;

export type AgentCampaignLookup = (agentId: string) => Promise<string[]>;

/** Workflow ids of the live campaigns that include the agent; concurrent callers share one read. */
export function agentCampaignLookup(pool: Pool, ttlMs = AGENT_CAMPAIGNS_TTL_MS): AgentCampaignLookup {
  const cache = new Map<string, { expires: number; workflowIds: Promise<string[]> }>();
  return (agentId) => {
    const now = Date.now();
    for (const [key, entry] of cache) if (entry.expires <= now) cache.delete(key);
    const hit = cache.get(agentId);
    if (hit !== undefined) return hit.workflowIds;
    const workflowIds = liveCampaignsWithAgent(pool, agentId);
    cache.set(agentId, { expires: now + ttlMs, workflowIds });
    // A failed lookup is not remembered: the sender's retry must ask again.
    workflowIds.catch(() => cache.delete(agentId));
    return workflowIds;
  };
}
