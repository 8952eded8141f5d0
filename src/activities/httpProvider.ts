/**
 * The provider of the HTTP contract (TELEPHONY_PROVIDER=http, ../shared/CONTRACT.md): POST /calls with
 * the callId as Idempotency-Key, so a retry re-sends the same key and never places a second call,
 * and GET /calls/{callId}.
 */
import { z } from 'zod';
import { CALL_STATUSES } from '../shared/types';
import { maskPhone, maskPhoneNumbers } from '../shared/mask';
import type { Logger } from '../logger';
import type { JsonHttp } from './http';
import { isRetryableStatus, type TelephonyProvider } from './provider';

export interface HttpProviderOptions {
  baseUrl: string;
  apiKey?: string;
  /** Base of the webhook URLs handed to the provider. */
  publicBaseUrl: string;
  http: JsonHttp;
  logger: Logger;
}

const placedSchema = z.object({ providerCallId: z.string().min(1) });
const callSchema = z.object({
  callId: z.string(),
  status: z.enum(CALL_STATUSES),
  durationSec: z.number().nonnegative().nullish(),
});

export function httpProvider({ baseUrl, apiKey, publicBaseUrl, http, logger }: HttpProviderOptions): TelephonyProvider {
  const providerAuth: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const { request, readJson } = http;

  return {
    // The key makes a retry safe whatever its timing: the provider itself finds the call again.
    async placeCall({ callId, to, agentId, campaignId }) {
      const statusCallbackUrl = `${publicBaseUrl}/webhooks/call-status`;
      const response = await request(`${baseUrl}/calls`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': callId, ...providerAuth },
        body: JSON.stringify({ callId, to, agentId, campaignId, statusCallbackUrl }),
      });
      const log = { callId, agentId, to: maskPhone(to), status: response.status };
      if (response.ok) {
        const { providerCallId } = await readJson(response, placedSchema, 'POST /calls');
        logger.info({ ...log, providerCallId }, 'call placed');
        return { placed: true, providerCallId };
      }
      // It ends up in the workflow history: a provider echoing the number must not put it there.
      const text = maskPhoneNumbers((await response.text().catch(() => '')).slice(0, 300));
      if (isRetryableStatus(response.status)) {
        logger.warn(log, 'provider error, will retry with the same key');
        throw new Error(`POST /calls answered ${response.status}: ${text}`);
      }
      logger.warn(log, 'provider refused the call');
      return { placed: false, httpStatus: response.status, reason: text || `HTTP ${response.status}` };
    },

    // The callId is the provider's key: where the number is does not matter.
    async findCall(callId) {
      const response = await request(`${baseUrl}/calls/${encodeURIComponent(callId)}`, { headers: providerAuth });
      if (response.status === 404) return { found: false };
      if (!response.ok) throw new Error(`GET /calls/${callId} answered ${response.status}`);
      const call = await readJson(response, callSchema, 'GET /calls/{callId}');
      return { found: true, status: call.status, ...(call.durationSec == null ? {} : { durationSec: call.durationSec }) };
    },
  };
}
