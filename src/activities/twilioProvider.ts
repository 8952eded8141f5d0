/**
 * The Twilio provider (TELEPHONY_PROVIDER=twilio), with the official `twilio` library: calls placed
 * with TwiML that bridges the answered call to the reserved agent, and found again by number and time.
 *
 * Twilio has no idempotency key, so a call is never created twice this way: a placement that may
 * repeat an earlier try (a retry of the activity, or a start later than planned) first lists the
 * calls to the number from TWILIO_FROM created since the dialler decided on the call, and adopts the
 * newest one when there is one. A first prompt try cannot have placed anything before, and creates
 * at once. When that search cannot be made, the placement fails and Temporal retries it: it never
 * creates blind. See docs/twilio.md for what this guarantees and where it stops.
 */
import { ApplicationFailure } from '@temporalio/activity';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type { CallInstance } from 'twilio/lib/rest/api/v2010/account/call';
import { maskPhone, maskPhoneNumbers } from '../shared/mask';
import type { Logger } from '../logger';
import { isRetryableStatus, type Placement, type TelephonyProvider } from './provider';
import { contractStatusOf, twilioStatusCallbackUrl } from './twilioStatus';

export interface TwilioSettings {
  accountSid: string;
  /** Secret: in the worker's and the API's environment only, never in an activity input. */
  authToken: string;
  /** The Twilio number calls come from (E.164). */
  from: string;
  /**
   * How an answered call reaches its agent, `{agentId}` standing for the agent's id:
   * `client:{agentId}` (a Twilio Client identity), `sip:{agentId}@pbx.example.com`, or `tel:+…`.
   */
  agentAddress: string;
  /** Another base URL for Twilio's REST API (https://api.twilio.com): a stand-in, or a proxy. */
  apiBaseUrl?: string;
}

export interface TwilioProviderOptions {
  settings: TwilioSettings;
  /** Base of the status callback URLs handed to Twilio. */
  publicBaseUrl: string;
  /** Per request to Twilio. */
  timeoutMs: number;
  logger: Logger;
}

/**
 * How far before the decision a search for a call reaches: Twilio's timestamps have whole seconds,
 * and its clock and the worker's differ a little.
 */
export const TWILIO_CLOCK_SLACK_MS = 5_000;
/** The newest calls to the number that a search reads. One campaign dials a number once per attempt. */
export const TWILIO_SEARCH_SIZE = 20;

const STATUS_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];

/** The TwiML Twilio runs once the customer answers: dial the agent and bridge the two. */
export function bridgeToAgentTwiml(agentAddress: string, agentId: string): string {
  const address = agentAddress.replaceAll('{agentId}', agentId);
  const response = new twilio.twiml.VoiceResponse();
  const dial = response.dial();
  if (address.startsWith('client:')) dial.client(address.slice('client:'.length));
  else if (/^sips?:/.test(address)) dial.sip(address);
  else dial.number(address.replace(/^tel:/, ''));
  return response.toString();
}

/** The library's HTTP client, sending every request to `apiBaseUrl` instead of Twilio's hosts. */
class RebasedRequestClient extends twilio.RequestClient {
  constructor(
    private readonly apiBaseUrl: string | undefined,
    options: RequestClient.RequestClientOptions,
  ) {
    super(options);
  }

  override request<TData>(options: RequestClient.RequestOptions<TData>) {
    if (this.apiBaseUrl === undefined) return super.request<TData>(options);
    const { pathname, search } = new URL(options.uri);
    return super.request<TData>({ ...options, uri: `${this.apiBaseUrl}${pathname}${search}` });
  }
}

/** Twilio's answer to a failed request: its HTTP status when it answered, and a masked text. */
function failureOf(err: unknown): { status?: number; text: string } {
  if (!(err instanceof Error)) return { text: maskPhoneNumbers(String(err)).slice(0, 300) };
  const { status, code } = err as { status?: unknown; code?: unknown };
  // RestException and TwilioServiceException carry Twilio's HTTP status and error code; a network
  // error or a timeout (axios) has no status, and its config (credentials) is never passed on.
  const answered = typeof status === 'number' ? status : undefined;
  const prefix = `${answered === undefined ? '' : `HTTP ${answered}, `}${typeof code === 'number' ? `Twilio error ${code}: ` : ''}`;
  return { status: answered, text: maskPhoneNumbers(`${prefix}${err.message}`).slice(0, 300) };
}

export function twilioProvider({ settings, publicBaseUrl, timeoutMs, logger }: TwilioProviderOptions): TelephonyProvider {
  const client = twilio(settings.accountSid, settings.authToken, {
    httpClient: new RebasedRequestClient(settings.apiBaseUrl, { timeout: timeoutMs }),
    // TWILIO_LOG_LEVEL=debug would print every request, numbers included, to stdout.
    logLevel: 'info',
  });

  /** The newest call to `to` from our number created since `decidedAt`; throws when Twilio cannot say. */
  async function newestCallSince(to: string, decidedAt: number): Promise<CallInstance | undefined> {
    let calls: CallInstance[];
    try {
      calls = await client.calls.list({ to, from: settings.from, pageSize: TWILIO_SEARCH_SIZE, limit: TWILIO_SEARCH_SIZE });
    } catch (err) {
      // eslint-disable-next-line preserve-caught-error -- the library's error holds the request: credentials, the number
      throw new Error(`Twilio calls.list failed: ${failureOf(err).text}`);
    }
    // Not a StartTime filter: a call still queued has no start time, and Twilio filters by date only.
    const since = decidedAt - TWILIO_CLOCK_SLACK_MS;
    const recent = calls.filter((call) => call.dateCreated.getTime() >= since);
    return recent.sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime())[0];
  }

  async function create(to: string, callId: string, agentId: string): Promise<CallInstance> {
    return client.calls.create({
      to,
      from: settings.from,
      twiml: bridgeToAgentTwiml(settings.agentAddress, agentId),
      statusCallback: twilioStatusCallbackUrl(publicBaseUrl, callId),
      statusCallbackEvent: STATUS_EVENTS,
      statusCallbackMethod: 'POST',
    });
  }

  return {
    async placeCall({ callId, to, agentId }, { late, decidedAt }): Promise<Placement> {
      const log = { callId, agentId, to: maskPhone(to) };
      if (late) {
        const existing = await newestCallSince(to, decidedAt);
        if (existing) {
          logger.info({ ...log, providerCallId: existing.sid, twilioStatus: existing.status }, 'call already placed: adopted');
          return { placed: true, providerCallId: existing.sid };
        }
      }
      try {
        const call = await create(to, callId, agentId);
        logger.info({ ...log, providerCallId: call.sid, twilioStatus: call.status }, 'call placed');
        return { placed: true, providerCallId: call.sid };
      } catch (err) {
        const { status, text } = failureOf(err);
        if (status !== undefined && !isRetryableStatus(status)) {
          logger.warn({ ...log, status }, 'provider refused the call');
          return { placed: false, httpStatus: status, reason: text };
        }
        logger.warn({ ...log, status: status ?? null }, 'provider error: the retry looks for the call before creating one');
        // eslint-disable-next-line preserve-caught-error -- the library's error holds the request: credentials, the number
        throw new Error(`Twilio calls.create failed: ${text}`);
      }
    },

    async findCall(callId, where) {
      if (where === undefined) {
        throw ApplicationFailure.nonRetryable(`call ${callId}: Twilio calls are found by number and time`, 'NoCallLocator');
      }
      const call = await newestCallSince(await where.number(), where.decidedAt);
      if (call === undefined) return { found: false };
      const status = contractStatusOf(call.status);
      if (status === undefined) throw new Error(`Twilio call ${call.sid} has the unknown status ${call.status}`);
      const durationSec = call.duration == null ? NaN : Number(call.duration);
      return { found: true, status, ...(Number.isFinite(durationSec) && durationSec >= 0 ? { durationSec } : {}) };
    },
  };
}
