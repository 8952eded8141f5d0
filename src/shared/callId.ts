/**
 * Call ids name their campaign, the number's position in the batch and the attempt, so a webhook
 * reaches its workflow without a lookup table and a retried dial re-sends the same idempotency key.
 * Campaign ids are [A-Za-z0-9_-], so '.' separates unambiguously and the id stays URL-safe.
 */

export interface CallRef {
  campaignId: string;
  numberIndex: number;
  attempt: number;
}

export const CAMPAIGN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function makeCallId(ref: CallRef): string {
  return `${ref.campaignId}.${ref.numberIndex}.${ref.attempt}`;
}

export function parseCallId(callId: string): CallRef | undefined {
  const parts = callId.split('.');
  if (parts.length !== 3) return undefined;
  const [campaignId, index, attempt] = parts as [string, string, string];
  if (!CAMPAIGN_ID_PATTERN.test(campaignId) || !/^\d{1,9}$/.test(index) || !/^[1-9]\d{0,3}$/.test(attempt)) {
    return undefined;
  }
  return { campaignId, numberIndex: Number(index), attempt: Number(attempt) };
}

export function workflowIdFor(campaignId: string): string {
  return `campaign-${campaignId}`;
}
