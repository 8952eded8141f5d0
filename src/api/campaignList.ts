/** GET /campaigns from the database, newest first; and a campaign's status as Temporal shows an execution. */
import { type Client, type WorkflowExecutionInfo, WorkflowNotFoundError } from '@temporalio/client';
import type { Pool } from '../db/database';
import { listCampaigns as listStoredCampaigns } from '../db/campaigns';
import { workflowIdFor } from '../shared/callId';
import { CAMPAIGN_STATUSES, type CampaignStatus } from '../shared/types';
import { campaignStatusKey } from '../workflows/searchAttributes';
import { isTemporalUnavailable } from './errors';
import { withDeadline } from './temporal';

/** The list answers with at most this many campaigns (the newest). */
export const MAX_LISTED_CAMPAIGNS = 1000;

export interface CampaignSummary {
  campaignId: string;
  name: string;
  status: CampaignStatus;
  workflowId: string;
}

const WORKFLOW_ID_PREFIX = workflowIdFor('');

function isCampaignStatus(value: unknown): value is CampaignStatus {
  return (CAMPAIGN_STATUSES as readonly unknown[]).includes(value);
}

/**
 * The workflow keeps CampaignStatus up to date, but a run that was terminated, timed out or crashed
 * could not: then the execution status says more.
 */
export function campaignStatusOf(
  info: Pick<WorkflowExecutionInfo, 'status' | 'typedSearchAttributes'>,
): CampaignStatus {
  switch (info.status.name) {
    case 'FAILED':
    case 'TERMINATED':
    case 'TIMED_OUT':
      return 'failed';
    case 'CANCELLED':
      return 'cancelled';
  }
  const published = info.typedSearchAttributes.get(campaignStatusKey);
  if (isCampaignStatus(published)) return published;
  return info.status.name === 'COMPLETED' ? 'completed' : 'running';
}

export function summaryOf(info: WorkflowExecutionInfo): CampaignSummary {
  const campaignId = info.workflowId.slice(WORKFLOW_ID_PREFIX.length);
  const name = info.memo?.name;
  return {
    campaignId,
    name: typeof name === 'string' ? name : campaignId,
    status: campaignStatusOf(info),
    workflowId: info.workflowId,
  };
}

/**
 * The database's list; a campaign it shows live is checked against Temporal, since one terminated
 * from the Temporal UI never got to write its end (those only: ended campaigns need no RPC). With
 * Temporal down, the list still answers from the database.
 */
export async function listCampaigns(pool: Pool, client: Client): Promise<CampaignSummary[]> {
  const stored = await listStoredCampaigns(pool, MAX_LISTED_CAMPAIGNS);
  return Promise.all(
    stored.map(async (campaign) => {
      if (campaign.status !== 'running' && campaign.status !== 'paused') return campaign;
      try {
        const execution = await withDeadline(client, () => client.workflow.getHandle(campaign.workflowId).describe());
        return execution.status.name === 'RUNNING' ? campaign : { ...campaign, status: campaignStatusOf(execution) };
      } catch (err) {
        // Gone from Temporal (past its retention), or Temporal down: the database's word stands.
        if (err instanceof WorkflowNotFoundError || isTemporalUnavailable(err)) return campaign;
        throw err;
      }
    }),
  );
}
