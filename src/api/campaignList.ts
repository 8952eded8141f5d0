/** GET /campaigns from the database, newest first; and a campaign's status as Temporal shows an execution. */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import type { Pool } from '../db/database';
import { listCampaigns as listStoredCampaigns } from '../db/campaigns';
import { workflowIdFor } from '../shared/callId';
import { CAMPAIGN_STATUSES, type CampaignStatus } from '../shared/types';
import { campaignStatusKey } from '../workflows/searchAttributes';

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

export function listCampaigns(pool: Pool): Promise<CampaignSummary[]> {
  return listStoredCampaigns(pool, MAX_LISTED_CAMPAIGNS);
}
