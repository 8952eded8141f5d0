/**
 * The campaign gauges of GET /metrics, read from Temporal when scraped: campaigns by status
 * (visibility counts) and each open campaign's agents by state (its `progress` query). Cached for a
 * few seconds, so scrapers, however many, cost Temporal a handful of RPCs per interval.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger';
import { campaignAgents, campaignsByStatus } from '../metrics/api';
import { type AgentCounts, CAMPAIGN_STATUSES, type CampaignStatus } from '../shared/types';
import { progressQuery, WORKFLOW_TYPE } from '../workflows/messages';
import { cachedFor } from './cachedFor';
import { summaryOf } from './campaignList';
import { withDeadline } from './temporal';

export const CAMPAIGN_GAUGES_TTL_MS = 5_000;

/** A string literal for a visibility query. */
export function visibilityString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Agent gauges for at most this many open campaigns (the newest): it bounds both series and queries. */
export const MAX_CAMPAIGNS_WITH_AGENT_GAUGES = 100;
/** Well inside Prometheus's default 10 s scrape timeout; a campaign that does not answer is left out. */
export const CAMPAIGN_GAUGES_DEADLINE_MS = 3_000;

const AGENT_STATES: ReadonlyArray<keyof AgentCounts> = ['idle', 'onCall', 'busy', 'offline'];

/** Execution statuses that decide a campaign's status whatever it published (as in campaignStatusOf). */
const CLOSED_AS: Partial<Record<CampaignStatus, string[]>> = {
  cancelled: ['Canceled'],
  failed: ['Failed', 'Terminated', 'TimedOut'],
};

/**
 * The visibility query counting campaigns of one status, mirroring campaignStatusOf: a running or
 * completed run counts by the CampaignStatus it published, a run that ended otherwise by how it
 * ended. Runs closed by continue-as-new are left out, so each campaign counts once.
 */
export function campaignStatusQuery(status: CampaignStatus): string {
  const published = `(ExecutionStatus IN ('Running', 'Completed') AND CampaignStatus = ${visibilityString(status)})`;
  const closed = CLOSED_AS[status];
  const endedAs = closed === undefined ? '' : ` OR ExecutionStatus IN (${closed.map(visibilityString).join(', ')})`;
  return `WorkflowType = '${WORKFLOW_TYPE}' AND (${published}${endedAs})`;
}

export const OPEN_CAMPAIGNS_QUERY = `WorkflowType = '${WORKFLOW_TYPE}' AND ExecutionStatus = 'Running'`;

interface Snapshot {
  /** Absent when Temporal could not be asked: no series beats a stale one. */
  byStatus?: Record<CampaignStatus, number>;
  agents: Array<{ campaignId: string; agents: AgentCounts }>;
}

async function countByStatus(client: Client): Promise<Record<CampaignStatus, number>> {
  // allSettled, not all: every RPC must be over before withDeadline returns, or stopping the API
  // could close the connection under a retry still pending (see rpcsSettled).
  const counts = await Promise.allSettled(
    CAMPAIGN_STATUSES.map((status) => client.workflow.count(campaignStatusQuery(status))),
  );
  const byStatus = {} as Record<CampaignStatus, number>;
  counts.forEach((answer, i) => {
    if (answer.status === 'rejected') throw answer.reason;
    byStatus[CAMPAIGN_STATUSES[i]!] = answer.value.count;
  });
  return byStatus;
}

async function agentsOfOpenCampaigns(client: Client): Promise<Snapshot['agents']> {
  const open: Array<{ campaignId: string; workflowId: string }> = [];
  const pageSize = MAX_CAMPAIGNS_WITH_AGENT_GAUGES;
  for await (const info of client.workflow.list({ query: OPEN_CAMPAIGNS_QUERY, pageSize })) {
    open.push({ campaignId: summaryOf(info).campaignId, workflowId: info.workflowId });
    if (open.length >= MAX_CAMPAIGNS_WITH_AGENT_GAUGES) break;
  }
  const answers = await Promise.allSettled(
    open.map(async ({ campaignId, workflowId }) => {
      const progress = await client.workflow.getHandle(workflowId).query(progressQuery);
      return { campaignId, agents: progress.agents };
    }),
  );
  // A campaign whose worker is away (or that just ended) is skipped, not the whole gauge.
  return answers.flatMap((answer) => (answer.status === 'fulfilled' ? [answer.value] : []));
}

async function read(client: Client, logger: Logger): Promise<Snapshot> {
  const [byStatus, agents] = await Promise.allSettled([
    withDeadline(client, () => countByStatus(client), CAMPAIGN_GAUGES_DEADLINE_MS),
    withDeadline(client, () => agentsOfOpenCampaigns(client), CAMPAIGN_GAUGES_DEADLINE_MS),
  ]);
  for (const failed of [byStatus, agents]) {
    if (failed.status === 'rejected') logger.debug({ err: String(failed.reason) }, 'campaign gauges: Temporal did not answer');
  }
  return {
    byStatus: byStatus.status === 'fulfilled' ? byStatus.value : undefined,
    agents: agents.status === 'fulfilled' ? agents.value : [],
  };
}

function apply(snapshot: Snapshot): void {
  campaignsByStatus.reset();
  campaignAgents.reset();
  if (snapshot.byStatus) for (const status of CAMPAIGN_STATUSES) campaignsByStatus.set({ status }, snapshot.byStatus[status]);
  for (const { campaignId, agents } of snapshot.agents) {
    for (const state of AGENT_STATES) campaignAgents.set({ campaign: campaignId, state }, agents[state]);
  }
}

/** Sets the campaign gauges to figures at most CAMPAIGN_GAUGES_TTL_MS old; concurrent scrapes share one read. */
export function campaignGauges(client: Client, logger: Logger, ttlMs = CAMPAIGN_GAUGES_TTL_MS): () => Promise<void> {
  const snapshot = cachedFor(ttlMs, () => read(client, logger));
  return async () => apply(await snapshot());
}
