/**
 * Per-number results: each number's row from the database, brought up to date with what the
 * campaign has not written yet (calls in flight, the last ended attempts). The overlay is small (a
 * call per agent, a batch of results), so it is read once per request and merged row by row.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Pool } from '../db/database';
import { storedNumbers, type StoredFilter, type StoredNumber, streamStoredNumbers } from '../db/results';
import { workflowIdFor } from '../shared/callId';
import type { Outcome } from '../shared/types';
import { type AttemptResult, type LiveCall, numberActivityQuery } from '../workflows/messages';
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
  /** The agent's disposition code for the last attempt written. */
  disposition: string | null;
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

/** What the campaign knows beyond the database, by number index; empty once its workflow has closed. */
export interface Overlay {
  live: Map<number, LiveCall>;
  unsent: Map<number, AttemptResult>;
}

export async function overlayOf(client: Client, campaignId: string): Promise<Overlay> {
  const overlay: Overlay = { live: new Map(), unsent: new Map() };
  try {
    const handle = client.workflow.getHandle(workflowIdFor(campaignId));
    const { live, unsent } = await withDeadline(client, () => handle.query(numberActivityQuery));
    for (const call of live) overlay.live.set(call.numberIndex, call);
    for (const result of unsent) {
      const known = overlay.unsent.get(result.numberIndex);
      if (!known || known.attempt < result.attempt) overlay.unsent.set(result.numberIndex, result);
    }
  } catch (err) {
    // Gone from Temporal (past its retention): the database has it all.
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  return overlay;
}

const iso = (at: Date | number | null | undefined): string | null => (at == null ? null : new Date(at).toISOString());

export function resultOf(stored: StoredNumber, overlay: Overlay): NumberResult {
  const ended = overlay.unsent.get(stored.index);
  const live = overlay.live.get(stored.index);
  const latest = ended && ended.attempt > stored.attempts ? ended : undefined;
  const status: NumberStatus = live ? 'in-flight' : latest ? (latest.final ? 'finished' : 'pending') : stored.finished ? 'finished' : 'pending';
  return {
    index: stored.index,
    number: stored.number,
    status,
    attempts: live?.attempt ?? latest?.attempt ?? stored.attempts,
    lastOutcome: latest?.outcome ?? stored.lastOutcome,
    agentId: live?.agentId ?? latest?.agentId ?? stored.agentId,
    talkSec: latest ? latest.talkSec : stored.talkSec,
    disposition: latest || live ? null : stored.disposition,
    firstDialledAt: iso(stored.firstDialledAt ?? latest?.dialledAt ?? live?.placedAt),
    lastDialledAt: iso(live?.placedAt ?? latest?.dialledAt ?? stored.lastDialledAt),
    endedAt: live ? null : iso(latest?.endedAt ?? stored.endedAt),
    ...(stored.contact ? { contact: stored.contact } : {}),
  };
}

export function matches(result: NumberResult, filter: ResultFilter): boolean {
  return (
    (filter.status === undefined || result.status === filter.status) &&
    (filter.outcome === undefined || result.lastOutcome === filter.outcome)
  );
}

/** The filter as SQL can apply it: numbers the overlay changes are read whatever their stored state. */
function storedFilter(filter: ResultFilter, overlay: Overlay): StoredFilter {
  return {
    ...(filter.status === 'finished' ? { finished: true } : filter.status === undefined ? {} : { finished: false }),
    ...(filter.outcome === undefined ? {} : { outcome: filter.outcome }),
    alwaysInclude: [...new Set([...overlay.live.keys(), ...overlay.unsent.keys()])],
  };
}

export async function resultPage(
  pool: Pool,
  overlay: Overlay,
  campaignId: string,
  { cursor, limit, ...filter }: ResultFilter & { cursor?: number; limit: number },
): Promise<CallsPage> {
  const calls: NumberResult[] = [];
  const sqlFilter = storedFilter(filter, overlay);
  let from = cursor ?? 0;
  // Numbers the overlay moves out of the filter leave a read short: read on until the page is full or the list ends.
  for (;;) {
    // One more than the page holds tells whether a next page exists.
    const wanted = limit + 1 - calls.length;
    const stored = await storedNumbers(pool, campaignId, from, sqlFilter, wanted);
    for (const row of stored) {
      const result = resultOf(row, overlay);
      if (matches(result, filter)) {
        if (calls.length === limit) return { campaignId, calls, nextCursor: String(row.index) };
        calls.push(result);
      }
      from = row.index + 1;
    }
    if (stored.length < wanted) return { campaignId, calls, nextCursor: null };
  }
}

/** Every result matching the filter, in index order, read as the consumer pulls. */
export async function* streamResults(pool: Pool, overlay: Overlay, campaignId: string, filter: ResultFilter): AsyncGenerator<NumberResult> {
  for await (const stored of streamStoredNumbers(pool, campaignId, storedFilter(filter, overlay))) {
    const result = resultOf(stored, overlay);
    if (matches(result, filter)) yield result;
  }
}
