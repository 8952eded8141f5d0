/**
 * The do-not-call list: one for the whole dialer, keyed by E.164 number. Bulk additions go through
 * COPY into a staging table and one INSERT, so 100,000 numbers take a moment, not 100,000 round trips.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from as copyFrom } from 'pg-copy-streams';
import QueryStream from 'pg-query-stream';
import { inTransaction, type Pool, type PoolClient } from './database';

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

/** COPY text format: E.164 numbers need no escaping. */
async function* copyLines(entries: AsyncIterable<{ phone: string }> | Iterable<{ phone: string }>): AsyncGenerator<string> {
  let lines: string[] = [];
  for await (const { phone } of entries) {
    lines.push(`${phone}\n`);
    if (lines.length === 2_000) {
      yield lines.join('');
      lines = [];
    }
  }
  if (lines.length > 0) yield lines.join('');
}

/** Adds the numbers (already E.164); those on the list already, or repeated in the request, count as `already`. */
export async function addToDnc(
  db: Pool | PoolClient,
  entries: AsyncIterable<{ phone: string }> | readonly { phone: string }[],
  reason: string | null,
): Promise<{ added: number; already: number }> {
  const add = async (client: PoolClient): Promise<{ added: number; already: number }> => {
    await client.query('CREATE TEMP TABLE dnc_staged (phone text NOT NULL) ON COMMIT DROP');
    await pipeline(Readable.from(copyLines(entries)), client.query(copyFrom('COPY dnc_staged (phone) FROM STDIN')));
    const { rows: [staged] } = await client.query<{ n: number }>('SELECT count(*) AS n FROM dnc_staged');
    const inserted = await client.query(
      'INSERT INTO dnc (phone, reason) SELECT DISTINCT phone, $1::text FROM dnc_staged ON CONFLICT (phone) DO NOTHING',
      [reason],
    );
    const added = inserted.rowCount ?? 0;
    return { added, already: staged!.n - added };
  };
  // A pool gets a transaction of its own; a client is already inside its caller's.
  return 'totalCount' in db ? inTransaction(db, add) : add(db);
}

export async function dncEntry(pool: Pool, phone: string): Promise<DncEntry | undefined> {
  const { rows } = await pool.query<Row>('SELECT phone, reason, added_at FROM dnc WHERE phone = $1', [phone]);
  return rows[0] && entryOf(rows[0]);
}

export async function removeFromDnc(pool: Pool, phone: string): Promise<boolean> {
  return ((await pool.query('DELETE FROM dnc WHERE phone = $1', [phone])).rowCount ?? 0) > 0;
}

/** Where a page ends: the last entry's time added (as PostgreSQL writes it: to the microsecond) and number, opaque to clients. */
export interface DncCursor {
  addedAt: string;
  phone: string;
}

export function encodeCursor(c: DncCursor): string {
  return Buffer.from(JSON.stringify([c.addedAt, c.phone])).toString('base64url');
}

/** A timestamptz as PostgreSQL writes it, e.g. 2026-12-02 21:50:01.123456+00. */
const TIMESTAMP = /^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d{1,6})?([+-]\d\d(:?\d\d)?|Z)$/;

export function decodeCursor(text: string): DncCursor | undefined {
  try {
    const [addedAt, phone] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof addedAt === 'string' && typeof phone === 'string' && TIMESTAMP.test(addedAt)) return { addedAt, phone };
  } catch {
    // not one of ours
  }
  return undefined;
}

/** Entries by time added (then number), after the cursor; keyset paging, so a page costs the same anywhere in the list. */
export async function dncPage(pool: Pool, after: DncCursor | undefined, limit: number): Promise<{ entries: DncEntry[]; nextCursor: string | null }> {
  // added_at::text keeps the microseconds a JS Date would drop: entries added together differ below the millisecond, or not at all.
  const { rows } = await pool.query<Row & { added_text: string }>(
    `SELECT phone, reason, added_at, added_at::text AS added_text FROM dnc
      WHERE $1::timestamptz IS NULL OR (added_at, phone) > ($1::timestamptz, $2::text)
      ORDER BY added_at, phone LIMIT $3`,
    [after?.addedAt ?? null, after?.phone ?? null, limit + 1],
  );
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { entries: page.map(entryOf), nextCursor: rows.length > limit && last ? encodeCursor({ addedAt: last.added_text, phone: last.phone }) : null };
}

/** Every entry, read through a cursor as the consumer pulls. */
export async function* streamDnc(pool: Pool): AsyncGenerator<DncEntry> {
  const client = await pool.connect();
  try {
    const stream = client.query(new QueryStream('SELECT phone, reason, added_at FROM dnc ORDER BY added_at, phone', [], { batchSize: 1000 }));
    try {
      for await (const row of stream) yield entryOf(row as Row);
    } finally {
      stream.destroy();
    }
  } finally {
    client.release();
  }
}
