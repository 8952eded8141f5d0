/**
 * A number-chunk workflow: holds one slice of a campaign's batch in its input and answers the
 * `numberChunk` query until the campaign releases it. Its history is two workflow tasks long.
 */
import { condition, setHandler } from '@temporalio/workflow';
import { numberChunkQuery, type NumberChunk, releaseNumbersSignal } from './definitions';

export async function campaignNumbersWorkflow(chunk: NumberChunk): Promise<void> {
  let released = false;
  setHandler(numberChunkQuery, () => chunk);
  setHandler(releaseNumbersSignal, () => {
    released = true;
  });
  await condition(() => released);
}
