/**
 * POST /campaigns/:id/numbers: numbers added to a running or paused campaign. The campaign reserves
 * the next indices (one addition at a time, so two additions cannot both miss each other's numbers),
 * the numbers it already has are left out, the rest go into new chunk workflows, and the campaign
 * then takes them. A failure on the way gives the reservation back and leaves no chunk running.
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Logger } from '../logger';
import { workflowIdFor } from '../shared/callId';
import {
  addNumbersUpdate,
  chunkWorkflowIdsOf,
  numberChunkQuery,
  type NumberChunks,
  reserveNumbersUpdate,
} from '../workflows/definitions';
import type { CampaignCreated, NumbersRequest } from './campaignRequest';
import { ApiError } from './errors';
import { chunkBatch, chunkWorkflowIds, endNumberChunks, MAX_CHUNKS, startNumberChunks } from './numberChunks';
import { normaliseNumbers } from './numbers';
import { updateCampaign } from './campaignUpdates';
import { withDeadline } from './temporal';

export interface NumbersAdded extends CampaignCreated {
  /** Valid numbers the campaign already had: not dialled again. `index` as in `rejected`. */
  alreadyInCampaign: Array<{ index: number; value: string }>;
  /** The campaign's numbers, these included. */
  total: number;
}

/** The numbers among `candidates` that the campaign's chunks already hold, one chunk in memory at a time. */
async function numbersHeld(
  client: Client,
  campaignId: string,
  batches: readonly NumberChunks[],
  candidates: ReadonlySet<string>,
): Promise<Set<string>> {
  const held = new Set<string>();
  for (const workflowId of chunkWorkflowIdsOf(campaignId, batches)) {
    const chunk = await withDeadline(client, () => client.workflow.getHandle(workflowId).query(numberChunkQuery));
    for (const number of chunk.numbers) if (candidates.has(number)) held.add(number);
  }
  return held;
}

export async function addNumbers(
  client: Client,
  taskQueue: string,
  campaignId: string,
  request: NumbersRequest,
  logger: Logger,
): Promise<NumbersAdded> {
  const normalised = normaliseNumbers(request.values, request.defaultRegion);
  if (normalised.numbers.length === 0) {
    throw new ApiError('no_valid_numbers', 'no number in the request is valid', { rejected: normalised.rejected });
  }
  const batchKey = randomBytes(4).toString('hex');
  const { first, batches } = await updateCampaign(client, campaignId, reserveNumbersUpdate, { batchKey });
  const finishAddition = (batch: NumberChunks | null) => updateCampaign(client, campaignId, addNumbersUpdate, { batchKey, batch });

  try {
    const held = await numbersHeld(client, campaignId, batches, new Set(normalised.numbers));
    const keep = normalised.numbers.flatMap((number, i) => (held.has(number) ? [] : [i]));
    const alreadyInCampaign = normalised.numbers.flatMap((number, i) =>
      held.has(number) ? [{ index: normalised.sourceIndex[i]!, value: request.values[normalised.sourceIndex[i]!]! }] : [],
    );
    const summary = {
      campaignId,
      workflowId: workflowIdFor(campaignId),
      accepted: keep.length,
      duplicates: normalised.duplicates,
      alreadyInCampaign,
      rejected: normalised.rejected,
    };
    if (keep.length === 0) return { ...summary, total: (await finishAddition(null)).total };

    const { contacts } = request;
    const batch = chunkBatch(
      campaignId,
      keep.map((i) => normalised.numbers[i]!),
      contacts && keep.map((i) => contacts[normalised.sourceIndex[i]!]!),
      { first, batchKey },
    );
    const chunkCount = chunkWorkflowIdsOf(campaignId, batches).length + batch.slices.length;
    if (chunkCount > MAX_CHUNKS) {
      const message = `the campaign would need ${chunkCount} number chunks, more than ${MAX_CHUNKS}: add fewer numbers`;
      throw new ApiError('payload_too_large', message, { limitChunks: MAX_CHUNKS });
    }
    await startNumberChunks(client, taskQueue, batch);
    const { total } = await finishAddition(batch.chunks).catch(async (err: unknown) => {
      await endNumberChunks(client, chunkWorkflowIds(batch));
      throw err;
    });
    logger.info({ campaignId, accepted: keep.length, alreadyInCampaign: alreadyInCampaign.length, total }, 'numbers added');
    return { ...summary, total };
  } catch (err) {
    // Best effort: a reservation not given back lapses on its own after a minute.
    await finishAddition(null).catch(() => undefined);
    throw err;
  }
}
