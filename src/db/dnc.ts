/**
 * The do-not-call list: one for the whole dialer, keyed by E.164 number. Bulk additions go through
 * COPY into a staging table and one INSERT, so 100,000 numbers take a moment, not 100,000 round trips.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import { inTransaction, type Pool, type PoolClient, streamRows } from './database';

export interface DncEntry {
  phone: string;
  reason: string | null;
  addedAt: string;
}

interface Row {
  phone: string;
  reason: string | null;
  added_at: Date;
}

const entryOf = (r: Row): DncEntry => ({ phone: r.phone, reason: r.reason, addedAt: r.added_at.toISOString() });

/** Lines are sent to COPY this many at a time: one write per number would cost more than the number. */
const LINES_PER_WRITE = 2_000;

/**
 * Adds the numbers (already E.164); those on the list already, or repeated in the request, count as
 * `already`. A pool runs it in a transaction of its own; a client must be inside its caller's (the
 * staging table lives until commit).
 */
export async function addToDnc(
  db: Pool | PoolClient,
  entries: AsyncIterable<{ phone: string }> | readonly { phone: string }[],
  reason: string | null,
): Promise<{ added: number; already: number }> {
  const add = async (client: PoolClient): Promise<{ added: number; already: number }> => {
    let staged = 0;
    // COPY's text format: E.164 numbers need no escaping.
    async function* batches(): AsyncGenerator<string> {
      let lines: string[] = [];
      for await (const { phone } of entries) {
        staged++;
        lines.push(`${phone}\n`);
        if (lines.length === LINES_PER_WRITE) {
          yield lines.join('');
          lines = [];
        }
      }
      if (lines.length > 0) yield lines.join('');
    }
    await client.query('CREATE TEMP TABLE dnc_staged (phone text NOT NULL) ON COMMIT DROP');
    await pipeline(Readable.from(batches()), client.query(copyFrom('COPY dnc_staged (phone) FROM STDIN')));
    // In number order, so that two imports of overlapping lists take their keys in the same order and cannot deadlock.
    const inserted = await client.query(
      'INSERT INTO dnc (phone, reason) SELECT DISTINCT phone, $1::text FROM dnc_staged ORDER BY phone ON CONFLICT (phone) DO NOTHING',
      [reason],
    );
    // Dropped now rather than at commit, so that one transaction may add twice.
    await client.query('DROP TABLE dnc_staged');
    const added = inserted.rowCount ?? 0;
    return { added, already: staged - added };
  };
  return 'release' in db ? add(db) : inTransaction(db, add);
}

export async function dncEntry(pool: Pool, phone: string): Promise<DncEntry | undefined> {
  const { rows } = await pool.query<Row>('SELECT phone, reason, added_at FROM dnc WHERE phone = $1', [phone]);
  return rows[0] && entryOf(rows[0]);
}

export async function removeFromDnc(pool: Pool, phone: string): Promise<boolean> {
  return ((await pool.query('DELETE FROM dnc WHERE phone = $1', [phone])).rowCount ?? 0) > 0;
}

/** Where a page ends: the last entry's time added, to the microsecond (UTC), and its number. */
export interface DncCursor {
  addedAt: string;
  phone: string;
}

/** Opaque to clients: base64url of the position. */
export function encodeCursor(c: DncCursor): string {
  return Buffer.from(JSON.stringify([c.addedAt, c.phone])).toString('base64url');
}

/** The form `ADDED_AT_TEXT` writes: a JS Date would drop the microseconds, and entries added together differ below the millisecond, or not at all. */
const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
const ADDED_AT_TEXT = `to_char(added_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The position a cursor names, or undefined when the text is not one of ours. */
export function decodeCursor(text: string): DncCursor | undefined {
  try {
    const [addedAt, phone] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof addedAt === 'string' && typeof phone === 'string' && TIMESTAMP.test(addedAt)) return { addedAt, phone };
  } catch {
    // not JSON: not one of ours either
  }
  return undefined;
}

/** Entries by time added (then number), after the cursor; keyset paging on dnc_added, so a page costs the same anywhere in the list. */
export async function dncPage(
  pool: Pool,
  { cursor, limit }: { cursor: DncCursor | undefined; limit: number },
): Promise<{ entries: DncEntry[]; nextCursor: string | null }> {
  const after = cursor === undefined ? '' : 'WHERE (added_at, phone) > ($2::timestamptz, $3::text)';
  const { rows } = await pool.query<Row & { added_text: string }>(
    `SELECT phone, reason, added_at, ${ADDED_AT_TEXT} AS added_text FROM dnc ${after} ORDER BY added_at, phone LIMIT $1`,
    cursor === undefined ? [limit + 1] : [limit + 1, cursor.addedAt, cursor.phone],
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    entries: page.map(entryOf),
    nextCursor: rows.length > limit && last ? encodeCursor({ addedAt: last.added_text, phone: last.phone }) : null,
  };
}

/** Every entry, read through a cursor as the consumer pulls. */
export async function* streamDnc(pool: Pool): AsyncGenerator<DncEntry> {
  for await (const row of streamRows<Row>(pool, 'SELECT phone, reason, added_at FROM dnc ORDER BY added_at, phone', [], 1000)) yield entryOf(row);
}
