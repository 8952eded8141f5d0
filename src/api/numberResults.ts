/**
 * Per-number results: each number's row read from its chunk workflow, brought up to date with what
 * the campaign has not sent the chunks yet (calls in flight, the last results). Read page by page,
 * so a 100,000-number campaign is never held in memory at once.
 */
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { workflowIdFor } from '../shared/callId';
import type { Outcome } from '../shared/types';
import {
  type AttemptResult,
  batchHolding,
  chunkWorkflowIdsOf,
  chunkPageQuery,
  type ChunkRow,
  type LiveCall,
  type NumberActivity,
  numberActivityQuery,
  type NumberRecord,
  numbersWorkflowId,
} from '../workflows/definitions';
import { MAX_PAGE_ROWS, recordAttempt } from '../workflows/numberRecords';
import { campaignNotFound } from './campaignUpdates';
import { ApiError } from './errors';
import type { NumberStatus, ResultFilter } from './schemas';
import { withDeadline } from './temporal';

/** One number as GET /campaigns/:id/calls and results.csv show it. */
export interface NumberResult {
  index: number;
  number: string;
  status: NumberStatus;
  attempts: number;
  lastOutcome: Outcome | null;
  agentId: string | null;
  talkSec: number | null;
  firstDialledAt: string | null;
  lastDialledAt: string | null;
  endedAt: string | null;
  contact?: Record<string, string>;
}

/** GET /campaigns/:id/calls */
export interface CallsPage {
  campaignId: string;
  calls: NumberResult[];
  nextCursor: string | null;
}

/** What the campaign knows beyond its chunks, indexed for the rows. */
export interface ResultSource {
  campaignId: string;
  activity: NumberActivity;
  live: Map<number, LiveCall>;
  unsent: Map<number, AttemptResult[]>;
}

const ENDED = new Set(['completed', 'cancelled', 'failed']);

export async function resultSource(client: Client, campaignId: string): Promise<ResultSource> {
  let activity: NumberActivity;
  try {
    const handle = client.workflow.getHandle(workflowIdFor(campaignId));
    activity = await withDeadline(client, () => handle.query(numberActivityQuery));
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw campaignNotFound(campaignId);
    throw err;
  }
  if (activity.batches.length === 0) {
    throw new ApiError('results_not_kept', `campaign ${campaignId} was started before per-number results were kept`);
  }
  const unsent = new Map<number, AttemptResult[]>();
  for (const result of activity.unsent) unsent.set(result.numberIndex, [...(unsent.get(result.numberIndex) ?? []), result]);
  return { campaignId, activity, live: new Map(activity.live.map((call) => [call.numberIndex, call])), unsent };
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

function resultOf(row: ChunkRow, source: ResultSource): NumberResult {
  // The chunk's record, with the attempts it has not been sent yet.
  const record = (source.unsent.get(row.index) ?? []).reduce<NumberRecord | undefined>(recordAttempt, row.record);
  const live = source.live.get(row.index);
  const ended = ENDED.has(source.activity.status);
  const status: NumberStatus = live ? 'in-flight' : record && (record.final || ended) ? 'finished' : 'pending';
  return {
    index: row.index,
    number: row.number,
    status,
    attempts: live?.attempt ?? record?.attempts ?? 0,
    lastOutcome: record?.lastOutcome ?? null,
    agentId: live?.agentId ?? record?.agentId ?? null,
    talkSec: record?.talkSec ?? null,
    firstDialledAt: iso(record?.firstDialledAt ?? live?.placedAt),
    lastDialledAt: iso(live?.placedAt ?? record?.lastDialledAt),
    endedAt: live ? null : iso(record?.endedAt),
    ...(row.contact ? { contact: row.contact } : {}),
  };
}

export function matches(result: NumberResult, filter: ResultFilter): boolean {
  return (
    (filter.status === undefined || result.status === filter.status) &&
    (filter.outcome === undefined || result.lastOutcome === filter.outcome)
  );
}

export interface ResultPage {
  results: NumberResult[];
  /** Index of the first number not read yet; `total` at the end. */
  next: number;
  /** The extra CSV columns of the chunk read. */
  columns: string[];
}

/** Reads up to `maxRows` (at most MAX_PAGE_ROWS) numbers from `from` on, all from the one chunk holding `from`. */
export async function readResultPage(
  client: Client,
  source: ResultSource,
  from: number,
  maxRows = MAX_PAGE_ROWS,
): Promise<ResultPage> {
  const { campaignId, activity } = source;
  const batch = batchHolding(activity.batches, from);
  if (!batch) return { results: [], next: activity.total, columns: [] };
  const first = batch.first ?? 0;
  const chunkEnd = Math.min(first + batch.total, first + (Math.floor((from - first) / batch.perChunk) + 1) * batch.perChunk);
  const handle = client.workflow.getHandle(numbersWorkflowId(campaignId, batch, from));
  const page = await withDeadline(client, () =>
    handle.query(chunkPageQuery, { from, count: Math.min(maxRows, MAX_PAGE_ROWS, chunkEnd - from) }),
  );
  return { results: page.rows.map((row) => resultOf(row, source)), next: from + page.rows.length, columns: page.columns };
}

/** Every page from `from` to the end, one at a time. */
export async function* resultPages(client: Client, source: ResultSource, from = 0): AsyncGenerator<ResultPage> {
  for (let next = from; next < source.activity.total; ) {
    const page = await readResultPage(client, source, next);
    if (page.results.length === 0) return; // a chunk answered short: nothing further can be read
    yield page;
    next = page.next;
  }
}

/** The extra CSV columns of every chunk, in order of first appearance: the export's header needs them first. */
export async function resultColumns(client: Client, source: ResultSource): Promise<string[]> {
  const columns = new Set<string>();
  for (const workflowId of chunkWorkflowIdsOf(source.campaignId, source.activity.batches)) {
    const handle = client.workflow.getHandle(workflowId);
    const page = await withDeadline(client, () => handle.query(chunkPageQuery, { from: 0, count: 0 }));
    for (const column of page.columns) columns.add(column);
  }
  return [...columns];
}
