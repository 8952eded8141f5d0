/**
 * Importing numbers: streamed into a staging table with COPY, then inserted into the campaign's
 * contacts in one statement that drops duplicates (the first occurrence wins) and numbers the
 * campaign already has. Runs inside the caller's transaction, so a half-imported batch never exists.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import type { PoolClient } from './database';

/** A valid number of the request: its position in the request, E.164, and the imported columns. */
export interface StagedNumber {
  index: number;
  phone: string;
  /** The IANA zones it may lie in (src/rules/numberZones.ts). */
  zones: string[];
  contact?: Record<string, string>;
}

/** COPY's text format: tab-separated, `\N` for null, backslashes doubled (JSON has no raw tab or newline). */
function copyLine({ index, phone, zones, contact }: StagedNumber): string {
  const data = contact === undefined ? '\\N' : JSON.stringify(contact).replace(/\\/g, '\\\\');
  // Zone names are [A-Za-z0-9/_+-]: joined by commas, they need no escaping.
  return `${index}\t${phone}\t${zones.join(',')}\t${data}\n`;
}

/** Lines are sent to COPY this many at a time: one write per row would cost more than the row. */
const LINES_PER_WRITE = 2_000;

/** Streams the numbers into a temporary table dropped at commit; returns how many were staged. */
export async function stageNumbers(db: PoolClient, numbers: AsyncIterable<StagedNumber>): Promise<number> {
  // The de-duplicating sorts of a big batch stay in memory rather than spill to disk.
  await db.query("SET LOCAL work_mem = '256MB'");
  await db.query('CREATE TEMP TABLE staged (index integer NOT NULL, phone text NOT NULL, zones text NOT NULL, data jsonb) ON COMMIT DROP');
  let staged = 0;
  async function* batches(): AsyncGenerator<string> {
    let lines: string[] = [];
    for await (const number of numbers) {
      staged++;
      lines.push(copyLine(number));
      if (lines.length === LINES_PER_WRITE) {
        yield lines.join('');
        lines = [];
      }
    }
    if (lines.length > 0) yield lines.join('');
  }
  await pipeline(Readable.from(batches()), db.query(copyFrom('COPY staged (index, phone, zones, data) FROM STDIN')));
  return staged;
}

export interface InsertedNumbers {
  inserted: number;
  /** Numbers the campaign already had (their first occurrence in the request), in request order. */
  alreadyHeld: Array<{ index: number; phone: string }>;
  /** Numbers on the do-not-call list (their first occurrence), in request order: not imported. */
  doNotCall: Array<{ index: number; phone: string }>;
}

/**
 * Adds the staged numbers the campaign does not have yet, indexed from `first` in request order, all
 * due at once. A campaign's first batch (`first` 0) has nothing to compare with.
 */
export async function insertStaged(db: PoolClient, campaignId: string, first: number, dueAt: Date): Promise<InsertedNumbers> {
  const held =
    first === 0
      ? []
      : (
          await db.query<{ index: number; phone: string }>(
            `SELECT DISTINCT ON (phone) index, phone FROM staged s
              WHERE EXISTS (SELECT 1 FROM contact c WHERE c.campaign_id = $1 AND c.phone = s.phone)
              ORDER BY phone, index`,
            [campaignId],
          )
        ).rows.sort((a, b) => a.index - b.index);
  const { rows: listed } = await db.query<{ index: number; phone: string }>(
    `SELECT DISTINCT ON (phone) index, phone FROM staged s WHERE EXISTS (SELECT 1 FROM dnc WHERE dnc.phone = s.phone)
      ORDER BY phone, index`,
  );
  // The zone sets first (few: one per distinct list of zones), then each contact refers to its set.
  await db.query(
    `WITH sets AS (SELECT DISTINCT zones FROM staged)
     INSERT INTO zone_set (zones) SELECT string_to_array(zones, ',') FROM sets ON CONFLICT (zones) DO NOTHING`,
  );
  const inserted = await db.query(
    `INSERT INTO contact (campaign_id, number_index, phone, data, due_at, zone_set)
     SELECT $1, $2 + row_number() OVER (ORDER BY index) - 1, phone, data, $3, z.id
       FROM (SELECT DISTINCT ON (phone) index, phone, zones, data FROM staged ORDER BY phone, index) d
       JOIN zone_set z ON z.zones = string_to_array(d.zones, ',')
      WHERE ($2 = 0 OR NOT EXISTS (SELECT 1 FROM contact c WHERE c.campaign_id = $1 AND c.phone = d.phone))
        AND NOT EXISTS (SELECT 1 FROM dnc WHERE dnc.phone = d.phone)`,
    [campaignId, first, dueAt],
  );
  await db.query(
    `INSERT INTO campaign_zone_set (campaign_id, zone_set)
     SELECT $1, z.id FROM (SELECT DISTINCT zones FROM staged) s JOIN zone_set z ON z.zones = string_to_array(s.zones, ',')
     ON CONFLICT DO NOTHING`,
    [campaignId],
  );
  return { inserted: inserted.rowCount ?? 0, alreadyHeld: held, doNotCall: listed.sort((a, b) => a.index - b.index) };
}
