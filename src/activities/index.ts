/**
 * Activities are built by a factory that receives their dependencies, so tests and processes wire
 * them to any provider and agent system. Each is idempotent: placeCall by its Idempotency-Key (or,
 * with Twilio, by finding the call a try may already have placed), the others only read.
 *
 * What every provider shares lives here: reading the number from the database, the late-placement
 * check, and the agent system; and the campaign's reads and writes of its schedule (src/db/schedule.ts).
 * The provider's own HTTP is in httpProvider.ts (the contract) and twilioProvider.ts.
 */
import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import { z } from 'zod';
import { AGENT_STATUSES, type AgentStatus } from '../shared/types';
import { parseCallId } from '../shared/callId';
import type { Pool } from '../db/database';
import { checkBeforeDial, type DialCheck, leaseNumbers, phoneOf, recordAttempts, recordCampaignStatus, scheduleCallback } from '../db/schedule';
import type { Logger } from '../logger';
import { type JsonHttp, jsonHttp } from './http';
import { httpProvider } from './httpProvider';
import { type CallWhereabouts, isRetryableStatus, type PlacementTiming, type TelephonyProvider } from './provider';
import { twilioProvider, type TwilioSettings } from './twilioProvider';
import type { AgentListing, CallLocator, CallLookup, DialerActivities, PlaceCallInput, PlaceCallResult } from './types';

export { isRetryableStatus } from './provider';
export type { TwilioSettings } from './twilioProvider';

interface CommonDeps {
  agentApiBaseUrl: string;
  /** Base of the webhook URLs handed to the provider. */
  publicBaseUrl: string;
  logger: Logger;
  /** Per HTTP request; the activity's own timeout bounds it too. */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
  /** The dialer's database: numbers, their schedule, attempts. */
  database: Pool;
  /** Where agents shared with other campaigns are claimed (see src/worker/agentClaimer.ts). */
  agentClaims?: AgentClaimer;
}

/** TELEPHONY_PROVIDER=http: the contract's provider at telephonyBaseUrl. */
interface HttpProviderDeps {
  telephonyBaseUrl: string;
  telephonyApiKey?: string;
  twilio?: undefined;
}

/** TELEPHONY_PROVIDER=twilio. */
interface TwilioProviderDeps {
  twilio: TwilioSettings;
  telephonyBaseUrl?: undefined;
  telephonyApiKey?: undefined;
}

export type ActivityDeps = CommonDeps & (HttpProviderDeps | TwilioProviderDeps);

export interface AgentClaimer {
  /** Whether the call may take the agent: false while a call of another campaign holds them. */
  claim(request: { agentId: string; callId: string; campaignId: string }): Promise<boolean>;
}

const agentsSchema = z.object({ agents: z.array(z.object({ id: z.string().min(1), status: z.string() })) });

/**
 * A placement that starts this long after the workflow decided on it (a worker died, the queue was
 * backed up) first checks that the agent is still idle: the decision may be older than their status.
 */
export const STALE_PLACEMENT_MS = 1_000;

function isAgentStatus(status: string): status is AgentStatus {
  return (AGENT_STATUSES as readonly string[]).includes(status);
}

function providerOf(deps: ActivityDeps, http: JsonHttp, timeoutMs: number): TelephonyProvider {
  const { publicBaseUrl, logger } = deps;
  if (deps.twilio !== undefined) return twilioProvider({ settings: deps.twilio, publicBaseUrl, timeoutMs, logger });
  return httpProvider({ baseUrl: deps.telephonyBaseUrl, apiKey: deps.telephonyApiKey, publicBaseUrl, http, logger });
}

export function createActivities(deps: ActivityDeps): DialerActivities {
  const timeoutMs = deps.requestTimeoutMs ?? 8000;
  const http = jsonHttp(deps.fetch ?? fetch, timeoutMs);
  const { request, readJson } = http;
  const provider = providerOf(deps, http, timeoutMs);

  async function placeCall(input: PlaceCallInput): Promise<PlaceCallResult> {
    const info = activityInfo();
    const timing: PlacementTiming = {
      late: info.attempt > 1 || Date.now() - info.currentAttemptScheduledTimestampMs > STALE_PLACEMENT_MS,
      decidedAt: info.scheduledTimestampMs,
    };
    // Read once, and only by whoever needs it first (the check before the dial, the late check, or the placement).
    let number: Promise<string> | undefined;
    // Checked only before anything may have been sent: a retry may follow a request the provider took.
    if (info.attempt === 1) {
      const check = await checkRules(input);
      if (!check.dial) {
        return check.held === 'do_not_call' ? { placed: false, held: check.held } : { placed: false, held: check.held, nextOpenAt: check.nextOpenAt };
      }
      number = Promise.resolve(check.phone);
    }
    const where: CallWhereabouts = { number: () => (number ??= numberOf(input.callId)), decidedAt: timing.decidedAt };
    const unavailable = await agentUnavailableForLatePlacement(input, timing, info.attempt, where);
    if (unavailable) {
      const { callId, agentId } = input;
      deps.logger.info({ callId, agentId, agentStatus: unavailable.status }, 'late placement: agent not idle, not dialled');
      return { placed: false, agentUnavailable: unavailable };
    }
    const { callId, agentId, campaignId } = input;
    if (deps.agentClaims && !(await deps.agentClaims.claim({ agentId, callId, campaignId }))) {
      deps.logger.info({ callId, agentId }, 'agent on a call of another campaign: not dialled');
      return { placed: false, agentUnavailable: { status: 'busy', observedAt: Date.now() } };
    }
    return provider.placeCall({ callId, to: await where.number(), agentId, campaignId }, timing);
  }

  /** The calling rules right before the dial: the number may have gone on the do-not-call list, or out of its hours. */
  async function checkRules({ callId, campaignId }: PlaceCallInput): Promise<DialCheck> {
    const ref = parseCallId(callId);
    const check = ref && (await checkBeforeDial(deps.database, campaignId, ref.numberIndex, Date.now()));
    if (check === undefined) throw ApplicationFailure.nonRetryable(`no number for call ${callId}`, 'NumberUnavailable');
    if (!check.dial) deps.logger.info({ callId, held: check.held }, 'number held back right before the dial, not dialled');
    return check;
  }

  async function numberOf(callId: string): Promise<string> {
    const ref = parseCallId(callId);
    const number = ref && (await phoneOf(deps.database, ref.campaignId, ref.numberIndex));
    if (number === undefined) throw ApplicationFailure.nonRetryable(`no number for call ${callId}`, 'NumberUnavailable');
    return number;
  }

  /**
   * For a retry or a late start: the agent's status when it is no longer idle, else undefined. A retry
   * whose call the provider already has goes on, so the placement finds that call again (by its key,
   * or by a search). Without an answer from the agent system the workflow's decision stands: an
   * outage there must not stop dialling.
   */
  async function agentUnavailableForLatePlacement(
    input: PlaceCallInput,
    timing: PlacementTiming,
    attempt: number,
    where: CallWhereabouts,
  ): Promise<{ status: AgentStatus; observedAt: number } | undefined> {
    if (!timing.late) return undefined;
    try {
      if (attempt > 1 && (await provider.findCall(input.callId, where)).found) return undefined;
      const listing = await listAgents();
      const status = listing.agents.find((a) => a.id === input.agentId)?.status ?? 'offline';
      return status === 'idle' ? undefined : { status, observedAt: listing.requestedAt };
    } catch (err) {
      deps.logger.warn({ callId: input.callId, err: String(err) }, 'late placement: cannot check the agent, dialling');
      return undefined;
    }
  }

  async function getCallStatus(callId: string, locate?: CallLocator): Promise<CallLookup> {
    const where = locate && { number: () => numberOf(callId), decidedAt: locate.placedAt };
    return provider.findCall(callId, where);
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

  const { database } = deps;
  return {
    placeCall,
    getCallStatus,
    listAgents,
    leaseNumbers: (request) => leaseNumbers(database, request),
    recordAttempts: (campaignId, results) => recordAttempts(database, campaignId, results),
    recordCampaignStatus: (record) => recordCampaignStatus(database, record),
    scheduleCallback: (request) => scheduleCallback(database, request),
  };
}
