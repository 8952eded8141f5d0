/**
 * What the console's campaign list polls: the newest campaigns with their counts. Live ones are
 * asked for their progress (one query each); an ended one's counts never change, so they are read
 * from the database once and kept.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { findCampaign } from '../db/campaigns';
import type { Pool } from '../db/database';
import type { CampaignProgress, CampaignStatus, OutcomeCounts } from '../shared/types';
import { progressQuery } from '../workflows/messages';
import { type CampaignSummary, listCampaigns } from './campaignList';
import { storedProgress } from './campaignProgress';
import { isTemporalUnavailable } from './errors';
import type { FeedSource } from './sharedFeeds';
import { withDeadline } from './temporal';

/** The list's feed carries the newest campaigns only: its cost is bounded whatever the history. */
export const LIST_FEED_CAMPAIGNS = 200;

export interface CampaignListEntry {
  campaignId: string;
  name: string;
  status: CampaignStatus;
  workflowId: string;
  total: number;
  pending: number;
  inFlight: number;
  finished: number;
  outcomes: OutcomeCounts;
  /** Answered among the finished numbers; null before any has finished. */
  answerRate: number | null;
  createdAt: string;
  completedAt: string | null;
}

export function listEntryOf(summary: CampaignSummary, p: CampaignProgress): CampaignListEntry {
  return {
    ...summary,
    total: p.total,
    pending: p.pending,
    inFlight: p.inFlight,
    finished: p.finished,
    outcomes: p.outcomes,
    answerRate: p.finished === 0 ? null : p.outcomes.answered / p.finished,
    createdAt: p.createdAt,
    completedAt: p.completedAt,
  };
}

const isLive = (status: CampaignStatus): boolean => status === 'running' || status === 'paused';

export function campaignListFeedSource({ client, pool }: { client: Client; pool: Pool }): FeedSource {
  const ended = new Map<string, CampaignListEntry>();

  async function fromDatabase(summary: CampaignSummary): Promise<CampaignListEntry | null> {
    const row = await findCampaign(pool, summary.campaignId);
    return row ? listEntryOf(summary, await storedProgress(pool, row)) : null;
  }

  async function entryOf(summary: CampaignSummary): Promise<CampaignListEntry | null> {
    if (!isLive(summary.status)) {
      const kept = ended.get(summary.campaignId);
      if (kept) return kept;
      const entry = await fromDatabase(summary);
      if (entry) ended.set(summary.campaignId, entry);
      return entry;
    }
    try {
      const progress = await withDeadline(client, () => client.workflow.getHandle(summary.workflowId).query(progressQuery));
      return listEntryOf(summary, progress);
    } catch (err) {
      // Gone from Temporal, or Temporal down: the database's counts, as far as they go.
      if (err instanceof WorkflowNotFoundError || isTemporalUnavailable(err)) return fromDatabase(summary);
      throw err;
    }
  }

  return {
    async poll(emit) {
      const summaries = (await listCampaigns(pool, client)).slice(0, LIST_FEED_CAMPAIGNS);
      const entries = await Promise.all(summaries.map(entryOf));
      // Kept for the campaigns still listed only.
      const listed = new Set(summaries.map((s) => s.campaignId));
      for (const id of ended.keys()) if (!listed.has(id)) ended.delete(id);
      emit('campaigns', { campaigns: entries.filter((e): e is CampaignListEntry => e !== null) });
      return 'more';
    },
  };
}
