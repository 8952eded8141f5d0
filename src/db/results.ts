/**
 * Per-number results read from the database: each number with its last attempt (the call detail
 * records are in `attempt`), by index, filtered in SQL; a page at a time, or streamed through a
 * cursor for the export, so memory stays bounded whatever the campaign's size.
 */
import type { Outcome } from '../shared/types';
import { type Pool, streamRows } from './database';

/** A number as the database holds it. */
export interface StoredNumber {
  index: number;
  number: string;
  contact: Record<string, string> | null;
  finished: boolean;
  attempts: number;
  lastOutcome: Outcome | null;
  agentId: string | null;
  talkSec: number | null;
  /** The disposition code the agent reported for the last attempt. */
  disposition: string | null;
  firstDialledAt: Date | null;
  lastDialledAt: Date | null;
  endedAt: Date | null;
}

export interface StoredFilter {
  finished?: boolean;
  outcome?: Outcome;
  /** Numbers that match whatever the filter says (their state is changing: the caller filters them itself). */
  alwaysInclude: number[];
}

interface Row {
  number_index: number;
  phone: string;
  data: Record<string, string> | null;
  state: string;
  attempts: number;
  last_outcome: Outcome | null;
  agent_id: string | null;
  talk_sec: number | null;
  disposition: string | null;
  first_dialled_at: Date | null;
  last_dialled_at: Date | null;
  ended_at: Date | null;
}

function storedNumber(r: Row): StoredNumber {
  return {
    index: r.number_index,
    number: r.phone,
    contact: r.data,
    finished: r.state === 'finished',
    attempts: r.attempts,
    lastOutcome: r.last_outcome,
    agentId: r.agent_id,
    talkSec: r.talk_sec,
    disposition: r.disposition,
    firstDialledAt: r.first_dialled_at,
    lastDialledAt: r.last_dialled_at,
    endedAt: r.ended_at,
  };
}

function resultsQuery(campaignId: string, from: number, filter: StoredFilter, limit: number | null): { text: string; values: unknown[] } {
  const values: unknown[] = [campaignId, from];
  const conditions: string[] = [];
  if (filter.finished !== undefined) conditions.push(filter.finished ? "c.state = 'finished'" : "c.state <> 'finished'");
  if (filter.outcome !== undefined) {
    values.push(filter.outcome);
    conditions.push(`c.last_outcome = $${values.length}`);
  }
  if (conditions.length > 0) values.push(filter.alwaysInclude);
  const filtered = conditions.length === 0 ? '' : `AND ((${conditions.join(' AND ')}) OR c.number_index = ANY($${values.length}::int[]))`;
  if (limit !== null) values.push(limit);
  return {
    text: `SELECT c.number_index, c.phone, c.data, c.state, c.attempts, c.last_outcome,
                  last.agent_id, last.talk_sec, d.code AS disposition, first.dialled_at AS first_dialled_at,
                  last.dialled_at AS last_dialled_at, last.ended_at
             FROM contact c
             LEFT JOIN LATERAL (SELECT call_id, agent_id, talk_sec, dialled_at, ended_at FROM attempt a
                                 WHERE a.campaign_id = c.campaign_id AND a.number_index = c.number_index
                                 ORDER BY a.attempt DESC LIMIT 1) last ON true
             LEFT JOIN disposition d ON d.call_id = last.call_id
             LEFT JOIN LATERAL (SELECT dialled_at FROM attempt a
                                 WHERE a.campaign_id = c.campaign_id AND a.number_index = c.number_index
                                 ORDER BY a.attempt LIMIT 1) first ON true
            WHERE c.campaign_id = $1 AND c.number_index >= $2 ${filtered}
            ORDER BY c.number_index${limit === null ? '' : ` LIMIT $${values.length}`}`,
    values,
  };
}

/** Up to `limit` numbers from index `from` on that match the filter, in index order. */
export async function storedNumbers(pool: Pool, campaignId: string, from: number, filter: StoredFilter, limit: number): Promise<StoredNumber[]> {
  const { text, values } = resultsQuery(campaignId, from, filter, limit);
  const { rows } = await pool.query<Row>(text, values);
  return rows.map(storedNumber);
}

/** Every number matching the filter, in index order, read through a cursor as the consumer pulls. */
export async function* streamStoredNumbers(pool: Pool, campaignId: string, filter: StoredFilter): AsyncGenerator<StoredNumber> {
  const { text, values } = resultsQuery(campaignId, 0, filter, null);
  for await (const row of streamRows<Row>(pool, text, values, 500)) yield storedNumber(row);
}
