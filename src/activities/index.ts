/**
 * Activities are built by a factory that receives their dependencies, so tests and processes wire
 * them to any provider and agent system. Each is idempotent: placeCall by its Idempotency-Key,
 * the others only read.
 */
import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { AGENT_STATUSES, type AgentStatus, CALL_STATUSES } from '../shared/types';
import { parseCallId } from '../shared/callId';
import { maskPhone, maskPhoneNumbers } from '../shared/mask';
import type { Logger } from '../logger';
import type { AgentListing, CallLookup, DialerActivities, PlaceCallInput, PlaceCallResult } from './types';

export interface ActivityDeps {
  telephonyBaseUrl: string;
  telephonyApiKey?: string;
  agentApiBaseUrl: string;
  /** Base of the webhook URLs handed to the provider. */
  publicBaseUrl: string;
  logger: Logger;
  /** Per HTTP request; the activity's own timeout bounds it too. */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  /** Where the numbers of chunked batches are read (see src/worker/numberDirectory.ts). */
  numbers?: NumberDirectory;
}

export interface NumberDirectory {
  /** The E.164 number at `numberIndex` of a campaign's batch, held by that number-chunk workflow. */
  numberAt(chunkWorkflowId: string, numberIndex: number): Promise<string>;
}

const placedSchema = z.object({ providerCallId: z.string().min(1) });
const callSchema = z.object({
  callId: z.string(),
  status: z.enum(CALL_STATUSES),
  durationSec: z.number().nonnegative().nullish(),
});
const agentsSchema = z.object({ agents: z.array(z.object({ id: z.string().min(1), status: z.string() })) });

/**
 * A placement that starts this long after the workflow decided on it (a worker died, the queue was
 * backed up) first checks that the agent is still idle: the decision may be older than their status.
 */
export const STALE_PLACEMENT_MS = 1_000;

/** 408, 429 and 5xx are worth another try with the same key; other 4xx are the provider's final no. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

function isAgentStatus(status: string): status is AgentStatus {
  return (AGENT_STATUSES as readonly string[]).includes(status);
}

export function createActivities(deps: ActivityDeps): DialerActivities {
  const doFetch = deps.fetch ?? fetch;
  const timeoutMs = deps.requestTimeoutMs ?? 8000;
  const providerAuth: Record<string, string> = deps.telephonyApiKey
    ? { authorization: `Bearer ${deps.telephonyApiKey}` }
    : {};

  async function request(url: string, init: RequestInit = {}): Promise<Response> {
    return doFetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  }

  async function readJson<T>(response: Response, schema: z.ZodType<T>, what: string): Promise<T> {
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    // A malformed answer may be a passing fault of the peer: let Temporal retry.
    if (!parsed.success) throw new Error(`${what}: unexpected response body (${parsed.error.issues[0]?.message})`);
    return parsed.data;
  }

  async function placeCall(input: PlaceCallInput): Promise<PlaceCallResult> {
    const unavailable = await agentUnavailableForLatePlacement(input);
    if (unavailable) {
      const { callId, agentId } = input;
      deps.logger.info({ callId, agentId, agentStatus: unavailable.status }, 'late placement: agent not idle, not dialled');
      return { placed: false, agentUnavailable: unavailable };
    }
    const { callId, agentId, campaignId } = input;
    const to = input.to ?? (await numberOf(input));
    const statusCallbackUrl = `${deps.publicBaseUrl}/webhooks/call-status`;
    const response = await request(`${deps.telephonyBaseUrl}/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': callId, ...providerAuth },
      body: JSON.stringify({ callId, to, agentId, campaignId, statusCallbackUrl }),
    });
    const log = { callId, agentId, to: maskPhone(to), status: response.status };
    if (response.ok) {
      const { providerCallId } = await readJson(response, placedSchema, 'POST /calls');
      deps.logger.info({ ...log, providerCallId }, 'call placed');
      return { placed: true, providerCallId };
    }
    // It ends up in the workflow history: a provider echoing the number must not put it there.
    const text = maskPhoneNumbers((await response.text().catch(() => '')).slice(0, 300));
    if (isRetryableStatus(response.status)) {
      deps.logger.warn(log, 'provider error, will retry with the same key');
      throw new Error(`POST /calls answered ${response.status}: ${text}`);
    }
    deps.logger.warn(log, 'provider refused the call');
    return { placed: false, httpStatus: response.status, reason: text || `HTTP ${response.status}` };
  }

  async function numberOf({ callId, chunkWorkflowId }: PlaceCallInput): Promise<string> {
    const ref = parseCallId(callId);
    if (chunkWorkflowId === undefined || ref === undefined || !deps.numbers) {
      throw ApplicationFailure.nonRetryable(`no number for call ${callId}`, 'NumberUnavailable');
    }
    return deps.numbers.numberAt(chunkWorkflowId, ref.numberIndex);
  }

  /**
   * For a retry or a late start: the agent's status when it is no longer idle, else undefined. A retry
   * whose call the provider already has goes on, so the same key finds that call. Without an answer
   * from the agent system the workflow's decision stands: an outage there must not stop dialling.
   */
  async function agentUnavailableForLatePlacement(
    input: PlaceCallInput,
  ): Promise<{ status: AgentStatus; observedAt: number } | undefined> {
    const info = activityInfo();
    const late = info.attempt > 1 || Date.now() - info.currentAttemptScheduledTimestampMs > STALE_PLACEMENT_MS;
    if (!late) return undefined;
    try {
      if (info.attempt > 1 && (await getCallStatus(input.callId)).found) return undefined;
      const listing = await listAgents();
      const status = listing.agents.find((a) => a.id === input.agentId)?.status ?? 'offline';
      return status === 'idle' ? undefined : { status, observedAt: listing.requestedAt };
    } catch (err) {
      deps.logger.warn({ callId: input.callId, err: String(err) }, 'late placement: cannot check the agent, dialling');
      return undefined;
    }
  }

  async function getCallStatus(callId: string): Promise<CallLookup> {
    const response = await request(`${deps.telephonyBaseUrl}/calls/${encodeURIComponent(callId)}`, {
      headers: providerAuth,
    });
    if (response.status === 404) return { found: false };
    if (!response.ok) throw new Error(`GET /calls/${callId} answered ${response.status}`);
    const call = await readJson(response, callSchema, 'GET /calls/{callId}');
    return { found: true, status: call.status, ...(call.durationSec == null ? {} : { durationSec: call.durationSec }) };
  }

  async function listAgents(): Promise<AgentListing> {
    const requestedAt = Date.now();
    const response = await request(`${deps.agentApiBaseUrl}/agents`);
    if (!response.ok) {
      const failure = `GET /agents answered ${response.status}`;
      if (isRetryableStatus(response.status)) throw new Error(failure);
      throw ApplicationFailure.nonRetryable(failure, 'AgentSystemRefused');
    }
    const { agents } = await readJson(response, agentsSchema, 'GET /agents');
    // One agent in a state outside the contract must not blind the campaign to all the others.
    return {
      agents: agents.map(({ id, status }) => {
        if (isAgentStatus(status)) return { id, status };
        deps.logger.warn({ agentId: id, status }, 'agent status outside the contract: taken as offline');
        return { id, status: 'offline' as const };
      }),
      requestedAt,
    };
  }

  return { placeCall, getCallStatus, listAgents };
}
