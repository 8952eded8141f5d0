/**
 * POST /campaigns/:id/numbers: numbers added to a running or paused campaign. The campaign is
 * reserved first (it cannot complete meanwhile, and one addition runs at a time), the numbers are
 * imported in one transaction under the campaign row's lock (indices follow its total; numbers it
 * already has are left out), and the reservation ends with the new total.
 */
import { randomBytes } from 'node:crypto';
import { completeImport, findCampaign } from '../db/campaigns';
import { insertStaged, stageNumbers } from '../db/contacts';
import { inTransaction } from '../db/database';
import { numberZoneResolver } from '../rules/numberZones';
import { workflowIdFor } from '../shared/callId';
import { addNumbersUpdate, reserveNumbersUpdate } from '../workflows/messages';
import type { CreationDeps } from './campaignCreation';
import { type CampaignCreated, type NormalisedCount, normalisedNumbers, type NumbersRequest, withDoNotCall } from './campaignRequest';
import { campaignNotFound, updateCampaign } from './campaignUpdates';
import { ApiError } from './errors';
import type { CountryCode } from './numbers';

export interface NumbersAdded extends CampaignCreated {
  /** Valid numbers the campaign already had: not dialled again. `index` as in `rejected`, `value` in E.164. */
  alreadyInCampaign: Array<{ index: number; value: string }>;
  /** The campaign's numbers, these included. */
  total: number;
}

export async function addNumbers(
  { client, pool, logger }: CreationDeps,
  campaignId: string,
  request: NumbersRequest<{ defaultRegion?: CountryCode }>,
): Promise<NumbersAdded> {
  const count: NormalisedCount = { read: 0, rejected: [] };
  const known = await findCampaign(pool, campaignId);
  if (!known || known.status === 'imported') throw campaignNotFound(campaignId);
  const zonesOf = numberZoneResolver(known.input.settings, Date.now());
  // Read up to the first valid number before touching the campaign: a request without one changes nothing.
  const numbers = normalisedNumbers(request.source.rows, request.meta.defaultRegion, zonesOf, count);
  const first = await numbers.next();
  if (first.done) throw new ApiError('no_valid_numbers', 'no number in the request is valid', { rejected: count.rejected });
  const batchKey = randomBytes(4).toString('hex');
  await updateCampaign(client, campaignId, reserveNumbersUpdate, { batchKey });
  let added: Omit<NumbersAdded, 'total' | 'rejected'> & { total: number };
  let listed: Array<{ index: number; phone: string }> = [];
  try {
    added = await inTransaction(pool, async (db) => {
      const campaign = await findCampaign(db, campaignId, true);
      if (!campaign) throw campaignNotFound(campaignId);
      const staged = await stageNumbers(db, (async function* all() {
        yield first.value;
        yield* numbers;
      })());
      const { inserted, alreadyHeld, doNotCall } = await insertStaged(db, campaignId, campaign.total, new Date());
      listed = doNotCall;
      const total = campaign.total + inserted;
      await completeImport(db, campaignId, { total, columns: request.source.columns });
      return {
        campaignId,
        workflowId: workflowIdFor(campaignId),
        accepted: inserted,
        duplicates: staged - inserted - alreadyHeld.length - doNotCall.length,
        alreadyInCampaign: alreadyHeld.map(({ index, phone }) => ({ index, value: phone })),
        total,
      };
    });
  } catch (err) {
    // Best effort: a reservation not given back lapses on its own after a minute.
    await updateCampaign(client, campaignId, addNumbersUpdate, { batchKey, total: null }).catch(() => undefined);
    throw err;
  }
  const { total } = await updateCampaign(client, campaignId, addNumbersUpdate, { batchKey, total: added.total });
  logger.info({ campaignId, accepted: added.accepted, alreadyInCampaign: added.alreadyInCampaign.length, total }, 'numbers added');
  return { ...added, rejected: withDoNotCall(count.rejected, listed), total };
}
