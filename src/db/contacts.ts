/**
 * Importing numbers: streamed into a staging table with COPY, then inserted into the campaign's
 * contacts in one statement that drops duplicates (the first occurrence wins) and numbers the
 * campaign already has. Runs inside the caller's transaction, so a half-imported batch never exists.
 */
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from './database';

/** A valid number of the request: its position in the request, E.164, and the imported columns. */
export interface StagedNumber {
  index: number;
  phone: string;
  contact?: Record<string, string>;
}

/** COPY's text format: tab-separated, `\N` for null, backslashes doubled (JSON has no raw tab or newline). */
function copyLine({ index, phone, contact }: StagedNumber): string {
  const data = contact === undefined ? '\\N' : JSON.stringify(contact).replace(/\\/g, '\\\\');
  return `${index}\t${phone}\t${data}\n`;
}

/** Streams the numbers into a temporary table dropped at commit; returns how many were staged. */
export async function stageNumbers(db: PoolClient, numbers: AsyncIterable<StagedNumber>): Promise<number> {
  await db.query('CREATE TEMP TABLE staged (index integer NOT NULL, phone text NOT NULL, data jsonb) ON COMMIT DROP');
  let staged = 0;
  const lines = new Transform({
    writableObjectMode: true,
    transform(number: StagedNumber, _encoding, done) {
      staged++;
      done(null, copyLine(number));
    },
  });
  await pipeline(Readable.from(numbers), lines, db.query(copyFrom('COPY staged (index, phone, data) FROM STDIN')));
  return staged;
}

export interface InsertedNumbers {
  inserted: number;
  /** Distinct numbers staged: the rest were repeats within the request. */
  distinct: number;
  /** Numbers the campaign already had (their first occurrence in the request), in request order. */
  alreadyHeld: Array<{ index: number; phone: string }>;
}

/** Adds the staged numbers the campaign does not have yet, indexed from `first` in request order, all due at once. */
export async function insertStaged(db: PoolClient, campaignId: string, first: number, dueAt: Date): Promise<InsertedNumbers> {
  await db.query(
    `CREATE TEMP TABLE distinct_staged ON COMMIT DROP AS
       SELECT DISTINCT ON (phone) index, phone, data,
              EXISTS (SELECT 1 FROM contact c WHERE c.campaign_id = $1 AND c.phone = staged.phone) AS held
         FROM staged ORDER BY phone, index`,
    [campaignId],
  );
  const inserted = await db.query(
    `INSERT INTO contact (campaign_id, number_index, phone, data, due_at)
     SELECT $1, $2 + row_number() OVER (ORDER BY index) - 1, phone, data, $3
       FROM distinct_staged WHERE NOT held`,
    [campaignId, first, dueAt],
  );
  const held = await db.query<{ index: number; phone: string }>('SELECT index, phone FROM distinct_staged WHERE held ORDER BY index');
  const { rows: [count] } = await db.query<{ n: number }>('SELECT count(*) AS n FROM distinct_staged');
  return { inserted: inserted.rowCount ?? 0, distinct: count!.n, alreadyHeld: held.rows };
}
