/** A campaign's attempts over time, for the console's charts: placed and answered per bucket of dial time. */
import type { Pool } from './database';

export interface AttemptBucket {
  /** Epoch ms of the bucket's start. */
  at: number;
  placed: number;
  answered: number;
}

/** An attempt the attempt table may not have yet: a call in flight (no callId needed: it has not ended), or one ended but not yet written. */
export interface UnwrittenAttempt {
  callId: string | null;
  /** Epoch ms of the dial. */
  dialledAt: number;
  answered: boolean;
}

/**
 * Buckets from `from` (epoch ms) on, in order; buckets without attempts are left out. Reads the
 * attempt_dialled index range, and adds the unwritten attempts the table does not have, in one
 * statement (one snapshot), so an attempt written meanwhile counts once.
 */
export async function attemptBuckets(
  pool: Pool,
  campaignId: string,
  from: number,
  bucketSec: number,
  unwritten: readonly UnwrittenAttempt[],
): Promise<AttemptBucket[]> {
  const { rows } = await pool.query<{ bucket: string; placed: number; answered: number }>(
    `WITH unwritten (call_id, dialled_at, answered) AS (
       SELECT * FROM unnest($4::text[], $5::timestamptz[], $6::boolean[])
     ), dials AS (
       SELECT dialled_at, outcome = 'answered' AS answered FROM attempt WHERE campaign_id = $1 AND dialled_at >= $2
       UNION ALL
       SELECT u.dialled_at, u.answered FROM unwritten u
       WHERE u.dialled_at >= $2 AND (u.call_id IS NULL OR NOT EXISTS (SELECT 1 FROM attempt a WHERE a.call_id = u.call_id))
     )
     SELECT floor(extract(epoch FROM dialled_at) / $3)::bigint AS bucket,
       count(*)::int AS placed, (count(*) FILTER (WHERE answered))::int AS answered
     FROM dials GROUP BY 1 ORDER BY 1`,
    [
      campaignId,
      new Date(from),
      bucketSec,
      unwritten.map((u) => u.callId),
      unwritten.map((u) => new Date(u.dialledAt)),
      unwritten.map((u) => u.answered),
    ],
  );
  return rows.map((r) => ({ at: Number(r.bucket) * bucketSec * 1000, placed: r.placed, answered: r.answered }));
}
