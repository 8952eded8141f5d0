/**
 * A campaign's progress as GET /campaigns/:id answers it (and the console's live feed sends it): the
 * workflow's counts, with the database's waiting counts; the database alone once the workflow is gone.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type CampaignRow, findCampaign, finishedByOutcome } from '../db/campaigns';
import { isDatabaseUnavailable, type Pool } from '../db/database';
import { type WaitingCounts, waitingCounts } from '../db/waiting';
import { workflowIdFor } from '../shared/callId';
import { type CampaignProgress, type CampaignStatus, OUTCOMES, type OutcomeCounts } from '../shared/types';
import { progressQuery } from '../workflows/messages';
import { campaignStatusOf } from './campaignList';
import { campaignNotFound } from './campaignUpdates';
import { withDeadline } from './temporal';

/** A campaign whose workflow is gone, as the database tells it: nothing is in flight, no agent is held. */
export async function storedProgress(pool: Pool, row: CampaignRow): Promise<CampaignProgress> {
  const byOutcome = await finishedByOutcome(pool, row.campaignId);
  const outcomes = Object.fromEntries(OUTCOMES.map((o) => [o, byOutcome.get(o) ?? 0])) as OutcomeCounts;
  const finished = OUTCOMES.reduce((sum, o) => sum + outcomes[o], 0);
  return {
    campaignId: row.campaignId,
    name: row.name,
    workflowId: row.workflowId,
    status: row.status as CampaignStatus,
    total: row.total,
    pending: row.total - finished,
    inFlight: 0,
    finished,
    outcomes,
    agents: { idle: 0, onCall: 0, busy: 0, offline: 0 },
    waiting: { outsideHours: 0, retryLater: 0, nextDialAt: null },
    createdAt: row.createdAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}

/**
 * The database's view of what waits (outside hours, for later), over the workflow's; a campaign from
 * before calling rules has no hours. Both are parts of `pending`, so they are kept within it.
 */
async function withWaiting(pool: Pool, progress: CampaignProgress): Promise<CampaignProgress> {
  if (progress.completedAt !== null || progress.pending === 0) return progress;
  let counts: WaitingCounts;
  try {
    const row = await findCampaign(pool, progress.campaignId);
    counts = await waitingCounts(pool, progress.campaignId, row?.input.settings.callingHours, Date.now());
  } catch (err) {
    // The campaign's progress comes from Temporal: a database outage costs only the waiting counts.
    if (!isDatabaseUnavailable(err)) throw err;
    return progress;
  }
  const outsideHours = Math.min(counts.outsideHours, progress.pending);
  const retryLater = Math.min(counts.retryLater, progress.pending - outsideHours);
  return { ...progress, waiting: { ...progress.waiting, outsideHours, retryLater } };
}

/** 404 (campaign_not_found) for a campaign neither Temporal nor the database has. */
export async function campaignProgress({ client, pool }: { client: Client; pool: Pool }, campaignId: string): Promise<CampaignProgress> {
  try {
    const handle = client.workflow.getHandle(workflowIdFor(campaignId));
    // Each RPC tracked on its own, so that stop waits for the second even when the first has failed.
    const [progress, execution] = await Promise.all([
      withDeadline(client, () => handle.query(progressQuery)),
      withDeadline(client, () => handle.describe()),
    ]);
    // Terminated or cancelled from the Temporal UI, the workflow never got to say it has ended.
    const endedOutside = progress.completedAt === null && execution.status.name !== 'RUNNING';
    return endedOutside
      ? { ...progress, status: campaignStatusOf(execution), completedAt: execution.closeTime?.toISOString() ?? null }
      : await withWaiting(pool, progress);
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    // Past the namespace's retention the workflow is gone; the database still has the campaign.
    const row = await findCampaign(pool, campaignId);
    if (!row || row.status === 'imported') throw campaignNotFound(campaignId);
    return storedProgress(pool, row);
  }
}
