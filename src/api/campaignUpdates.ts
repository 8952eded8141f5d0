/**
 * Updates sent to a campaign by the API (pause, resume, cancel, adding numbers), and the answers
 * for the refusals they share: unknown campaign, ended campaign, and the validators' own reasons.
 */
import { type Client, WorkflowUpdateFailedError } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { workflowIdFor } from '../shared/callId';
import { CAMPAIGN_CLOSED, NUMBERS_BEING_ADDED } from '../workflows/messages';
import { ApiError } from './errors';
import { executeUpdateResending, unlessNotFound } from './temporal';

export const campaignNotFound = (campaignId: string): ApiError =>
  new ApiError('campaign_not_found', `campaign ${campaignId} does not exist`);
export const campaignClosed = (campaignId: string): ApiError =>
  new ApiError('campaign_closed', `campaign ${campaignId} has ended`);

/** The API's answer to a validator's refusal, by the message the workflow refused with. */
function refusalOf(err: unknown, campaignId: string): unknown {
  if (!(err instanceof WorkflowUpdateFailedError)) return err;
  switch (err.cause?.message) {
    case CAMPAIGN_CLOSED:
      return campaignClosed(campaignId);
    case NUMBERS_BEING_ADDED:
      return new ApiError('numbers_being_added', `numbers are being added to campaign ${campaignId}: try again shortly`);
    default:
      return err;
  }
}

/** Runs the update on the campaign, or throws the ApiError for why it could not. */
export async function updateCampaign<Ret, Args extends unknown[]>(
  client: Client,
  campaignId: string,
  update: UpdateDefinition<Ret, Args>,
  ...args: Args
): Promise<Ret> {
  const workflowId = workflowIdFor(campaignId);
  const handle = client.workflow.getHandle(workflowId);
  const result = await unlessNotFound(client, workflowId, () => executeUpdateResending(handle, update, ...args)).catch(
    (err: unknown) => {
      throw refusalOf(err, campaignId);
    },
  );
  if (result.outcome !== 'done') throw result.outcome === 'unknown' ? campaignNotFound(campaignId) : campaignClosed(campaignId);
  return result.value;
}
