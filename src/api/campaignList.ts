/** GET /campaigns: campaigns as Temporal's visibility store sees them, newest first. */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { workflowIdFor } from '../shared/callId';
import { CAMPAIGN_STATUSES, type CampaignStatus } from '../shared/types';
import { campaignStatusKey, WORKFLOW_TYPE } from '../workflows/definitions';
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

export async function listCampaigns(client: Client): Promise<CampaignSummary[]> {
  // Runs of one workflow id (continue-as-new) are one campaign: its status is the newest run's,
  // its age the first run's.
  const campaigns = new Map<string, { newest: WorkflowExecutionInfo; startedAt: number }>();
  await withDeadline(client, async () => {
    for await (const info of client.workflow.list({ query: `WorkflowType = '${WORKFLOW_TYPE}'` })) {
      if (!info.workflowId.startsWith(WORKFLOW_ID_PREFIX)) continue;
      const known = campaigns.get(info.workflowId);
      const startedAt = info.startTime.getTime();
      if (known === undefined) {
        if (campaigns.size >= MAX_LISTED_CAMPAIGNS) break;
        campaigns.set(info.workflowId, { newest: info, startedAt });
      } else {
        if (known.newest.startTime.getTime() < startedAt) known.newest = info;
        known.startedAt = Math.min(known.startedAt, startedAt);
      }
    }
  });
  return [...campaigns.values()].sort((a, b) => b.startedAt - a.startedAt).map(({ newest }) => summaryOf(newest));
}
