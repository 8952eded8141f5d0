/**
 * The numbers' schedule in the database, as the campaign's activities read and write it: leases into
 * the hopper, ended attempts with each number's next due time, the campaign's status. Every write is
 * idempotent: a retried lease returns the rows it took, a result already written (by callId) is skipped.
 */
import type { CampaignStatusRecord, Lease, LeasedNumber, LeaseRequest } from '../activities/types';
import type { Outcome } from '../shared/types';
import type { AttemptResult } from '../workflows/messages';
import { inTransaction, type Pool, type PoolClient } from './database';

interface LeasedRow {
  number_index: number;
  attempts: number;
  last_outcome: Outcome | null;
  due_at: Date;
}

/** Due retries first (by due time), then numbers never dialled (in import order). */
function leasedNumbers(rows: LeasedRow[]): LeasedNumber[] {
  return rows
    .sort((a, b) => Number(b.attempts > 0) - Number(a.attempts > 0) || a.due_at.getTime() - b.due_at.getTime() || a.number_index - b.number_index)
    .map((r) => ({ numberIndex: r.number_index, attempt: r.attempts + 1, previousOutcome: r.last_outcome }));
}

async function takeDue(db: PoolClient, { campaignId, leaseId, count, now }: LeaseRequest): Promise<LeasedRow[]> {
  const { rows } = await db.query<LeasedRow>(
    `WITH retries AS (
       SELECT number_index FROM contact
        WHERE campaign_id = $1 AND state = 'queued' AND attempts > 0 AND due_at <= $2
        ORDER BY due_at, number_index LIMIT $3 FOR UPDATE SKIP LOCKED),
     fresh AS (
       SELECT number_index FROM contact
        WHERE campaign_id = $1 AND state = 'queued' AND attempts = 0
        ORDER BY number_index LIMIT $3 FOR UPDATE SKIP LOCKED),
     picked AS (SELECT number_index FROM retries UNION ALL SELECT number_index FROM fresh LIMIT $3)
     UPDATE contact c SET state = 'leased', lease_id = $4
       FROM picked WHERE c.campaign_id = $1 AND c.number_index = picked.number_index
     RETURNING c.number_index, c.attempts, c.last_outcome, c.due_at`,
    [campaignId, new Date(now), count, leaseId],
  );
  return rows;
}

export async function leaseNumbers(pool: Pool, request: LeaseRequest): Promise<Lease> {
  const { campaignId, leaseId } = request;
  return inTransaction(pool, async (db) => {
    const again = await db.query<LeasedRow>(
      `SELECT number_index, attempts, last_outcome, due_at FROM contact WHERE campaign_id = $1 AND state = 'leased' AND lease_id = $2`,
      [campaignId, leaseId],
    );
    const rows = again.rows.length > 0 || request.count === 0 ? again.rows : await takeDue(db, request);
    const { rows: [next] } = await db.query<{ next_due_at: Date | null; total: number | null }>(
      `SELECT LEAST(
         (SELECT min(due_at) FROM contact WHERE campaign_id = $1 AND state = 'queued' AND attempts > 0),
         (SELECT to_timestamp(0) WHERE EXISTS
            (SELECT 1 FROM contact WHERE campaign_id = $1 AND state = 'queued' AND attempts = 0))
       ) AS next_due_at,
       (SELECT total FROM campaign WHERE campaign_id = $1) AS total`,
      [campaignId],
    );
    if (next?.total == null) throw new Error(`campaign ${campaignId} is not in the database`);
    return { numbers: leasedNumbers(rows), nextDueAt: next.next_due_at?.getTime() ?? null, total: next.total };
  });
}

const ms = (epochMs: number | null): Date | null => (epochMs === null ? null : new Date(epochMs));

/** One statement: the attempts not yet written are inserted, and only their numbers are updated. */
export async function recordAttempts(pool: Pool, campaignId: string, results: readonly AttemptResult[]): Promise<void> {
  if (results.length === 0) return;
  const column = <T>(pick: (r: AttemptResult) => T): T[] => results.map(pick);
  await pool.query(
    `WITH r AS (
       SELECT * FROM unnest($2::text[], $3::int[], $4::int[], $5::text[], $6::text[], $7::bool[], $8::int[],
                            $9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
         AS r(call_id, number_index, attempt, agent_id, outcome, final, talk_sec, dialled_at, ended_at, retry_at)),
     written AS (
       INSERT INTO attempt (call_id, campaign_id, number_index, attempt, agent_id, outcome, final, talk_sec, dialled_at, ended_at)
       SELECT call_id, $1, number_index, attempt, agent_id, outcome, final, talk_sec, dialled_at, ended_at FROM r
       ON CONFLICT (call_id) DO NOTHING
       RETURNING call_id)
     UPDATE contact c
        SET state = CASE WHEN r.final THEN 'finished' ELSE 'queued' END,
            attempts = r.attempt, last_outcome = r.outcome, due_at = COALESCE(r.retry_at, c.due_at), lease_id = NULL
       FROM r JOIN written USING (call_id)
      WHERE c.campaign_id = $1 AND c.number_index = r.number_index AND c.attempts <= r.attempt`,
    [
      campaignId,
      column((r) => r.callId),
      column((r) => r.numberIndex),
      column((r) => r.attempt),
      column((r) => r.agentId),
      column((r) => r.outcome),
      column((r) => r.final),
      column((r) => r.talkSec === null ? null : Math.round(r.talkSec)),
      column((r) => new Date(r.dialledAt)),
      column((r) => new Date(r.endedAt)),
      column((r) => ms(r.retryAt)),
    ],
  );
}

/**
 * The status GET /campaigns lists. A cancelled campaign's end also finishes the numbers that waited
 * for a retry (the campaign counted them finished when it was cancelled).
 */
export async function recordCampaignStatus(pool: Pool, { campaignId, status, completedAt, version }: CampaignStatusRecord): Promise<void> {
  await inTransaction(pool, async (db) => {
    const updated = await db.query(
      `UPDATE campaign SET status = $2, completed_at = $3, status_version = $4
        WHERE campaign_id = $1 AND status_version < $4`,
      [campaignId, status, completedAt === null ? null : new Date(completedAt), version],
    );
    if (updated.rowCount === 1 && status === 'cancelled' && completedAt !== null) {
      await db.query(
        `UPDATE contact SET state = 'finished', lease_id = NULL
          WHERE campaign_id = $1 AND state IN ('queued', 'leased') AND attempts > 0`,
        [campaignId],
      );
    }
  });
}

/** The E.164 number a call dials: its campaign and index are in the callId. */
export async function phoneOf(pool: Pool, campaignId: string, numberIndex: number): Promise<string | undefined> {
  const { rows } = await pool.query<{ phone: string }>(
    'SELECT phone FROM contact WHERE campaign_id = $1 AND number_index = $2',
    [campaignId, numberIndex],
  );
  return rows[0]?.phone;
}
