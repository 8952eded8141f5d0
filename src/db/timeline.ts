/** A campaign's attempts over time, for the console's charts: placed and answered per bucket of dial time. */
import type { Pool } from './database';

export interface AttemptBucket {
  /** Epoch ms of the bucket's start. */
  at: number;
  placed: number;
  answered: number;
}

/** Buckets from `from` (epoch ms) on, in order; buckets without attempts are left out. Reads the attempt_dialled index range. */
export async function attemptBuckets(pool: Pool, campaignId: string, from: number, bucketSec: number): Promise<AttemptBucket[]> {
  const { rows } = await pool.query<{ bucket: string; placed: number; answered: number }>(
    `SELECT floor(extract(epoch FROM dialled_at) / $3)::bigint AS bucket,
       count(*)::int AS placed, (count(*) FILTER (WHERE outcome = 'answered'))::int AS answered
     FROM attempt WHERE campaign_id = $1 AND dialled_at >= $2
     GROUP BY 1 ORDER BY 1`,
    [campaignId, new Date(from), bucketSec],
  );
  return rows.map((r) => ({ at: Number(r.bucket) * bucketSec * 1000, placed: r.placed, answered: r.answered }));
}
