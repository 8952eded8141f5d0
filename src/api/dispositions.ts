/**
 * POST /webhooks/disposition: how a call went, as the agent's desktop reports it. The code is kept with
 * the attempt; `callback` asks the campaign to dial the number again at callbackAt, `do-not-call` puts
 * the number on the list. A repeated delivery changes nothing more.
 */
import type { Response } from 'express';
import { saveDisposition } from '../db/dispositions';
import { addToDnc } from '../db/dnc';
import { phoneOf } from '../db/schedule';
import { maskPhone } from '../shared/mask';
import { parseCallId, workflowIdFor } from '../shared/callId';
import { callbackSignal } from '../workflows/messages';
import type { AppDeps } from './app';
import { ApiError } from './errors';
import { CALLBACK_CODE, DO_NOT_CALL_CODE, dispositionSchema, MAX_CALLBACK_DAYS, parseOrThrow } from './schemas';
import { unlessNotFound } from './temporal';

const DAY_MS = 86_400_000;

function callbackTime(callbackAt: string | undefined, now: number): number | null {
  if (callbackAt === undefined) return null;
  const at = Date.parse(callbackAt);
  const problem = at <= now ? 'must be in the future' : at > now + MAX_CALLBACK_DAYS * DAY_MS ? `must be within ${MAX_CALLBACK_DAYS} days` : null;
  if (problem) throw new ApiError('invalid_request', 'invalid disposition', { fields: [{ field: 'callbackAt', message: problem }] });
  return at;
}

export function dispositionHandler({ client, pool, logger }: AppDeps) {
  return async (body: unknown, res: Response): Promise<void> => {
    const d = parseOrThrow(dispositionSchema, body, 'disposition');
    const now = Date.now();
    const callbackAt = callbackTime(d.callbackAt, now);
    const ref = parseCallId(d.callId);
    const phone = ref && (await phoneOf(pool, ref.campaignId, ref.numberIndex));
    if (ref === undefined || phone === undefined) throw new ApiError('call_not_found', `call ${d.callId} belongs to no known campaign`);
    if (d.code === CALLBACK_CODE) {
      const workflowId = workflowIdFor(ref.campaignId);
      const signal = { callId: d.callId, at: callbackAt!, agentId: d.sameAgent ? d.agentId : null };
      const sent = await unlessNotFound(client, workflowId, () => client.workflow.getHandle(workflowId).signal(callbackSignal, signal));
      if (sent.outcome === 'unknown') throw new ApiError('call_not_found', `call ${d.callId} belongs to no known campaign`);
      if (sent.outcome === 'closed') throw new ApiError('campaign_closed', `campaign ${ref.campaignId} has ended: no callback can be dialled`);
    }
    await saveDisposition(pool, {
      callId: d.callId,
      campaignId: ref.campaignId,
      numberIndex: ref.numberIndex,
      agentId: d.agentId,
      code: d.code,
      callbackAt: callbackAt === null ? null : new Date(callbackAt),
      sameAgent: d.sameAgent,
      note: d.note ?? null,
      receivedAt: new Date(now),
    });
    if (d.code === DO_NOT_CALL_CODE) await addToDnc(pool, [{ phone }], `disposition of call ${d.callId} by agent ${d.agentId}`);
    logger.info({ callId: d.callId, agentId: d.agentId, code: d.code, phone: maskPhone(phone) }, 'disposition');
    res.status(204).end();
  };
}
