/** How a chunk folds attempt results into per-number records, and pages through them: pure functions. */
import type { AttemptResult, ChunkPage, ChunkPageRequest, NumberChunk, NumberRecord } from './definitions';

/** Most rows one page may hold: some 300 KB of JSON with contact data, well under a query's limits. */
export const MAX_PAGE_ROWS = 1000;

/** Results may arrive more than once and out of order (a resent batch): the latest attempt wins. */
export function recordAttempt(record: NumberRecord | undefined, result: AttemptResult): NumberRecord {
  const latest = !record || result.attempt >= record.attempts;
  const base = latest
    ? {
        attempts: result.attempt,
        lastOutcome: result.outcome,
        final: result.final,
        agentId: result.agentId,
        talkSec: result.talkSec,
        lastDialledAt: result.dialledAt,
        endedAt: result.endedAt,
      }
    : record;
  return { ...base, firstDialledAt: Math.min(record?.firstDialledAt ?? Infinity, result.dialledAt) };
}

export function chunkPage(
  chunk: NumberChunk,
  records: Readonly<Record<number, NumberRecord>>,
  { from, count }: ChunkPageRequest,
): ChunkPage {
  const size = chunk.numbers.length;
  const start = Math.max(0, Math.min(size, from - chunk.first));
  const end = Math.min(size, start + Math.max(0, Math.min(MAX_PAGE_ROWS, count)));
  const rows = [];
  for (let i = start; i < end; i++) {
    const index = chunk.first + i;
    const contact = chunk.contacts?.[i];
    const record = records[index];
    rows.push({ index, number: chunk.numbers[i]!, ...(contact ? { contact } : {}), ...(record ? { record } : {}) });
  }
  return { first: chunk.first, size, columns: Object.keys(chunk.contacts?.[0] ?? {}), rows };
}
