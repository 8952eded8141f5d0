/**
 * What the console's live view of one campaign polls: its progress (as GET /campaigns/:id), its
 * agents one by one, and a timeline of attempts with the share of agents busy. The timeline is
 * bounded: at most TIMELINE_POINTS buckets, of 10 s for a young campaign and of a minute after.
 */
import { type QueryDefinition, WorkflowNotFoundError } from '@temporalio/client';
import { attemptBuckets, type AttemptBucket, type UnwrittenAttempt } from '../db/timeline';
import { workflowIdFor } from '../shared/callId';
import type { AgentCounts, AgentTile, CampaignProgress } from '../shared/types';
import { agentTilesQuery, numberActivityQuery } from '../workflows/messages';
import type { AppDeps } from './app';
import { campaignProgress } from './campaignProgress';
import type { FeedSource } from './sharedFeeds';
import { withDeadline } from './temporal';

export const TIMELINE_POINTS = 120;
/** The timeline is read again this often (in polls); progress and agents every poll. */
const TIMELINE_EVERY_POLLS = 5;
/** Polls after the campaign has ended: its last attempts reach the database a moment after it ends. */
const POLLS_AFTER_END = 3;
/** Young campaigns get 10 s buckets (20 minutes in all), older ones a minute (the last two hours). */
const SHORT_BUCKET_SEC = 10;
const LONG_BUCKET_SEC = 60;

export interface TimelinePoint {
  /** Epoch ms of the bucket's start. */
  at: number;
  placed: number;
  answered: number;
  /** Mean share of logged-in agents on a call or busy, as sampled while the feed ran; null when not sampled. */
  busyShare: number | null;
}

export interface Timeline {
  bucketSec: number;
  points: TimelinePoint[];
}

export function bucketSecFor(createdAt: number, to: number): number {
  return to - createdAt <= TIMELINE_POINTS * SHORT_BUCKET_SEC * 1000 ? SHORT_BUCKET_SEC : LONG_BUCKET_SEC;
}

/** The window of buckets ending with the one holding `to`, never before the one holding `createdAt`. */
export function timelineWindow(createdAt: number, to: number, bucketSec: number): { from: number; to: number } {
  const size = bucketSec * 1000;
  const last = Math.floor(to / size) * size;
  return { from: Math.max(Math.floor(createdAt / size) * size, last - (TIMELINE_POINTS - 1) * size), to: last };
}

/** Every bucket of the window, empty ones included, so the charts' x axis is time. */
export function timelinePoints(
  window: { from: number; to: number },
  bucketSec: number,
  attempts: readonly AttemptBucket[],
  busy: ReadonlyMap<number, { sum: number; n: number }>,
): TimelinePoint[] {
  const byStart = new Map(attempts.map((b) => [b.at, b]));
  const points: TimelinePoint[] = [];
  for (let at = window.from; at <= window.to; at += bucketSec * 1000) {
    const sample = busy.get(at);
    points.push({
      at,
      placed: byStart.get(at)?.placed ?? 0,
      answered: byStart.get(at)?.answered ?? 0,
      busyShare: sample ? sample.sum / sample.n : null,
    });
  }
  return points;
}

/** Agents on a call or busy among those logged in; null when nobody is. */
export function busyShareOf(agents: AgentCounts): number | null {
  const loggedIn = agents.idle + agents.onCall + agents.busy;
  return loggedIn === 0 ? null : (agents.onCall + agents.busy) / loggedIn;
}

export function campaignFeedSource(deps: Pick<AppDeps, 'client' | 'pool'>, campaignId: string): FeedSource {
  const { client, pool } = deps;
  let polls = 0;
  let pollsAfterEnd = 0;
  let bucketSec = SHORT_BUCKET_SEC;
  const busy = new Map<number, { sum: number; n: number }>();

  /** A query of the workflow; past the namespace's retention, `gone` (the database has the rest). */
  async function ask<T>(query: QueryDefinition<T, []>, gone: T): Promise<T> {
    try {
      return await withDeadline(client, () => client.workflow.getHandle(workflowIdFor(campaignId)).query(query));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return gone;
      throw err;
    }
  }
  const agentTiles = (): Promise<AgentTile[]> => ask(agentTilesQuery, []);

  /** Calls in flight and ended attempts not yet written: the charts' newest buckets would read low without them. */
  async function unwritten(): Promise<UnwrittenAttempt[]> {
    const { live, unsent } = await ask(numberActivityQuery, { status: 'completed', live: [], unsent: [] });
    return [
      ...live.map((call) => ({ callId: null, dialledAt: call.placedAt, answered: false })),
      ...unsent.map((r) => ({ callId: r.callId, dialledAt: r.dialledAt, answered: r.outcome === 'answered' })),
    ];
  }

  function sampleBusy(progress: CampaignProgress, now: number): void {
    const share = busyShareOf(progress.agents);
    if (share === null || progress.completedAt !== null) return;
    const at = Math.floor(now / (bucketSec * 1000)) * bucketSec * 1000;
    const sample = busy.get(at) ?? { sum: 0, n: 0 };
    busy.set(at, { sum: sample.sum + share, n: sample.n + 1 });
  }

  async function timeline(progress: CampaignProgress, now: number): Promise<Timeline> {
    const createdAt = Date.parse(progress.createdAt);
    const to = progress.completedAt === null ? now : Date.parse(progress.completedAt);
    const size = bucketSecFor(createdAt, to);
    // Samples of the other bucket size cannot be merged: start over.
    if (size !== bucketSec) busy.clear();
    bucketSec = size;
    const window = timelineWindow(createdAt, to, bucketSec);
    for (const at of busy.keys()) if (at < window.from) busy.delete(at);
    const attempts = await attemptBuckets(pool, campaignId, window.from, bucketSec, await unwritten());
    return { bucketSec, points: timelinePoints(window, bucketSec, attempts, busy) };
  }

  return {
    async poll(emit) {
      const now = Date.now();
      const progress = await campaignProgress(deps, campaignId);
      const ended = progress.completedAt !== null;
      sampleBusy(progress, now);
      emit('progress', progress);
      emit('agents', { agents: await agentTiles() });
      if (ended || polls % TIMELINE_EVERY_POLLS === 0) emit('timeline', await timeline(progress, now));
      polls++;
      if (ended) pollsAfterEnd++;
      return pollsAfterEnd > POLLS_AFTER_END ? 'done' : 'more';
    },
  };
}
