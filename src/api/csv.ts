/** CSV batches: a header row, a `phone` column, every other named column kept as the contact's data. */
import { parse } from 'csv-parse/sync';
import { ApiError } from './errors';

export const PHONE_COLUMN = 'phone';

export interface CsvBatch {
  /** The phone cell of each data row, as written. */
  phones: string[];
  /** The other columns of each data row, aligned with `phones`; empty objects when there are none. */
  contacts: Array<Record<string, string>>;
  /** Names of the columns kept in `contacts`. */
  contactColumns: string[];
}

function parseRows(text: string): string[][] {
  try {
    return parse(text, { bom: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (err) {
    throw new ApiError('invalid_request', `CSV cannot be parsed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export function parseCampaignCsv(text: string): CsvBatch {
  const [header, ...rows] = parseRows(text);
  if (header === undefined) throw new ApiError('invalid_request', 'CSV is empty: a header row is required');
  const names = header.map((name) => name.trim());
  const phoneAt = names.findIndex((name) => name.toLowerCase() === PHONE_COLUMN);
  if (phoneAt < 0) {
    throw new ApiError('invalid_request', `CSV header has no "${PHONE_COLUMN}" column`, { header: names });
  }
  const named = names.filter((name) => name !== '');
  const duplicated = named.filter((name, i) => named.indexOf(name) !== i);
  if (duplicated.length > 0) {
    throw new ApiError('invalid_request', 'CSV header repeats column names', { columns: [...new Set(duplicated)] });
  }
  // Unnamed columns (e.g. from a trailing comma) carry nothing an operator could refer to.
  const contactAt = names.flatMap((name, i) => (i === phoneAt || name === '' ? [] : [i]));
  return {
    phones: rows.map((row) => row[phoneAt] ?? ''),
    contacts: rows.map((row) => Object.fromEntries(contactAt.map((i) => [names[i]!, row[i] ?? '']))),
    contactColumns: contactAt.map((i) => names[i]!),
  };
}
