/**
 * A number-chunk workflow: holds one slice of a campaign's batch in its input, answers the
 * `numberChunk` query until the campaign releases it, and keeps the results of its numbers, which
 * the campaign sends in batches and the `chunkPage` query pages through (also once it has ended).
 */
import { condition, setHandler } from '@temporalio/workflow';
import {
  chunkPageQuery,
  numberChunkQuery,
  type NumberChunk,
  type NumberRecord,
  recordResultsSignal,
  releaseNumbersSignal,
} from './definitions';
import { chunkPage, recordAttempt } from './numberRecords';

export async function campaignNumbersWorkflow(chunk: NumberChunk): Promise<void> {
  let released = false;
  const records: Record<number, NumberRecord> = {};
  setHandler(numberChunkQuery, () => chunk);
  setHandler(releaseNumbersSignal, () => {
    released = true;
  });
  setHandler(recordResultsSignal, (results) => {
    for (const result of results) records[result.numberIndex] = recordAttempt(records[result.numberIndex], result);
  });
  setHandler(chunkPageQuery, (request) => chunkPage(chunk, records, request), {
    description: 'Numbers of this chunk with their results: { from: number index, count: at most 1000 }.',
  });
  await condition(() => released);
}
