/** CSV batches, read as a stream: a header row, a `phone` column, every other named column kept as the contact's data. */
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { ApiError } from './errors';

export const PHONE_COLUMN = 'phone';

/** One number as sent, with the other columns of its row (absent when the CSV has none). */
export interface NumberRow {
  value: string;
  contact?: Record<string, string>;
}

export interface NumberSource {
  /** Names of the columns kept in each row's contact, in header order. */
  columns: string[];
  rows: AsyncIterable<NumberRow>;
}

function unreadable(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError('invalid_request', `CSV cannot be parsed: ${err instanceof Error ? err.message : String(err)}`);
}

function headerOf(header: string[] | undefined): { names: string[]; phoneAt: number; contactAt: number[] } {
  if (header === undefined) throw new ApiError('invalid_request', 'CSV is empty: a header row is required');
  const names = header.map((name) => name.trim());
  const phoneAt = names.findIndex((name) => name.toLowerCase() === PHONE_COLUMN);
  if (phoneAt < 0) throw new ApiError('invalid_request', `CSV header has no "${PHONE_COLUMN}" column`, { header: names });
  const named = names.filter((name) => name !== '');
  const duplicated = named.filter((name, i) => named.indexOf(name) !== i);
  if (duplicated.length > 0) {
    throw new ApiError('invalid_request', 'CSV header repeats column names', { columns: [...new Set(duplicated)] });
  }
  // Unnamed columns (e.g. from a trailing comma) carry nothing an operator could refer to.
  return { names, phoneAt, contactAt: names.flatMap((name, i) => (i === phoneAt || name === '' ? [] : [i])) };
}

/** Reads the header at once (a bad one is refused before any row), then the rows as they arrive. */
export async function readNumbersCsv(input: Readable | string): Promise<NumberSource> {
  const parser = parse({ bom: true, skip_empty_lines: true, trim: true });
  if (typeof input === 'string') parser.end(input);
  else input.on('error', (err) => parser.destroy(err)).pipe(parser);
  const records: AsyncIterator<string[]> = parser[Symbol.asyncIterator]();
  const next = async (): Promise<IteratorResult<string[]>> => records.next().catch((err: unknown) => Promise.reject(unreadable(err)));
  const first = await next();
  const { names, phoneAt, contactAt } = headerOf(first.done ? undefined : first.value);
  async function* rows(): AsyncGenerator<NumberRow> {
    for (let record = await next(); !record.done; record = await next()) {
      const row = record.value;
      yield {
        value: row[phoneAt] ?? '',
        ...(contactAt.length > 0 ? { contact: Object.fromEntries(contactAt.map((i) => [names[i]!, row[i] ?? ''])) } : {}),
      };
    }
  }
  return { columns: contactAt.map((i) => names[i]!), rows: rows() };
}
