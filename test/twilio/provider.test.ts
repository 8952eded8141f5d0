/**
 * The activities with TELEPHONY_PROVIDER=twilio against a local stand-in for Twilio's REST API,
 * through the official library: what a placement sends, how Twilio's answers are classified, that a
 * retry adopts the call an earlier try placed instead of placing a second one, and call lookups.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createActivities, type TwilioSettings } from '../../src/activities';
import { openDatabase, type Database } from '../../src/db/database';
import { freshDatabaseUrl } from '../support/database';
import { seedCampaign } from '../support/seedCampaign';
import { bridgeToAgentTwiml, TWILIO_CLOCK_SLACK_MS } from '../../src/activities/twilioProvider';
import { contractStatusOf, TWILIO_CALL_STATUSES } from '../../src/activities/twilioStatus';
import type { DialerActivities } from '../../src/activities/types';
import { type StandInCall, startTwilioStandIn, type TwilioStandIn } from './standIn';

const settings = {
  accountSid: `AC${'1f'.repeat(16)}`,
  authToken: 'twilio-auth-token-for-tests',
  from: '+14155550100',
  agentAddress: 'client:{agentId}',
};
const to = '+8613800138000';
const input = { callId: 'c1.0.1', agentId: 'a1', campaignId: 'c1' };

let standIn: TwilioStandIn;
let logLines: string[] = [];
const logger = pino(
  { level: 'debug' },
  { write: (line: string) => void logLines.push(line) },
);

let database: Database;

function activitiesWith(overrides: Partial<TwilioSettings> = {}): DialerActivities {
  return createActivities({
    twilio: { ...settings, apiBaseUrl: standIn.url, ...overrides },
    agentApiBaseUrl: standIn.url,
    // Nobody listens there: the callbacks of these calls go nowhere (the webhook tests cover them).
    publicBaseUrl: 'http://127.0.0.1:9',
    logger,
    requestTimeoutMs: 2000,
    database: database.pool,
  });
}

let activities: DialerActivities;

/** A campaign `campaignId` whose number `index` is `number` (the others are fillers). */
async function seed(campaignId: string, index: number, number: string): Promise<void> {
  const numbers = Array.from({ length: index + 1 }, (_, i) => (i === index ? number : `+8613900000${String(i).padStart(3, '0')}`));
  const timing = { agentPollSec: 5, callSilenceSec: 60, lookupGiveUpSec: 900 };
  const settings = { maxAttempts: 1, retryDelaySec: 0, maxConcurrentCalls: null };
  await seedCampaign(database.pool, { campaignId, name: campaignId, total: numbers.length, settings, timing, createdAt: new Date().toISOString() }, numbers);
}

beforeAll(async () => {
  // The numbers calls dial are read from the database.
  database = openDatabase(await freshDatabaseUrl(), pino({ level: 'silent' }));
  await seed('c1', 0, to);
  await seed('c7', 7, to);
  // A number Twilio refuses (the API would have, but the provider is tested on its own).
  await seed('bad', 0, '+861380013800099999');
  // Calls ring for a minute: long enough for every test to see them live.
  standIn = await startTwilioStandIn({ ...settings, agents: ['a1'], ringMs: 60_000 });
  activities = activitiesWith();
});
afterAll(async () => {
  await standIn.stop();
  await database.close();
});
beforeEach(() => {
  standIn.calls.length = 0;
  standIn.requests.length = 0;
  logLines = [];
});

/** Runs placeCall as Temporal runs attempt `attempt`, the first of them scheduled `firstScheduledMsAgo` ago. */
function placeCall(attempt = 1, firstScheduledMsAgo = 0, call = input, acts = activities) {
  const first = Date.now() - firstScheduledMsAgo;
  const env = new MockActivityEnvironment({
    attempt,
    scheduledTimestampMs: first,
    // A retry is scheduled now; a late first attempt was scheduled when the call was decided.
    currentAttemptScheduledTimestampMs: attempt > 1 ? Date.now() : first,
  });
  return env.run(acts.placeCall, call);
}

const callsTo = (number: string): StandInCall[] => standIn.calls.filter((c) => c.to === number);
const twilioRequests = () => standIn.requests.map((r) => r.replace(/\?.*$/, '').replace(/Accounts\/AC\w+/, 'Accounts/{Sid}'));
const CREATE = 'POST /2010-04-01/Accounts/{Sid}/Calls.json';
const LIST = 'GET /2010-04-01/Accounts/{Sid}/Calls.json';

describe('placeCall', () => {
  it('creates the call: from TWILIO_FROM, TwiML that bridges to the agent, the status callback with the callId', async () => {
    const result = await placeCall();
    expect(result).toEqual({ placed: true, providerCallId: expect.stringMatching(/^CA[0-9a-f]{32}$/) });
    expect(standIn.calls).toHaveLength(1);
    expect(standIn.calls[0]).toMatchObject({
      sid: (result as { providerCallId: string }).providerCallId,
      to,
      from: settings.from,
      twiml: '<?xml version="1.0" encoding="UTF-8"?><Response><Dial><Client>a1</Client></Dial></Response>',
      statusCallback: 'http://127.0.0.1:9/webhooks/twilio/call-status?callId=c1.0.1',
      statusCallbackEvents: ['initiated', 'ringing', 'answered', 'completed'],
      statusCallbackMethod: 'POST',
    });
    // A prompt first attempt cannot have placed anything before: no search.
    expect(twilioRequests()).toEqual([CREATE]);
  });

  it.each([
    ['sip:{agentId}@pbx.example.com', '<Sip>sip:a1@pbx.example.com</Sip>'],
    ['sips:{agentId}@pbx.example.com;transport=tls', '<Sip>sips:a1@pbx.example.com;transport=tls</Sip>'],
    ['tel:+1415555{agentId}', '<Number>+1415555a1</Number>'],
    ['client:agent-{agentId}', '<Client>agent-a1</Client>'],
  ])('reaches the agent at %s with %s', async (agentAddress, dialled) => {
    await placeCall(1, 0, input, activitiesWith({ agentAddress }));
    expect(standIn.calls[0]!.twiml).toBe(`<?xml version="1.0" encoding="UTF-8"?><Response><Dial>${dialled}</Dial></Response>`);
  });

  it('escapes what it puts in TwiML (built by the library, never by concatenation)', () => {
    expect(bridgeToAgentTwiml('client:{agentId}', 'a<b&c')).toContain('<Client>a&lt;b&amp;c</Client>');
  });

  it("takes a 4xx as Twilio refusing the call, with a masked reason (it goes into the workflow history)", async () => {
    const result = await placeCall(1, 0, { ...input, callId: 'bad.0.1', campaignId: 'bad' });
    expect(result).toEqual({ placed: false, httpStatus: 400, reason: expect.stringContaining('Twilio error 21211') });
    expect(JSON.stringify(result)).not.toContain('1380013800099999');
    expect((result as { reason: string }).reason).toContain('86**************99');
    expect(standIn.calls).toHaveLength(0);
  });

  it('takes wrong credentials (401) as a refusal too', async () => {
    const result = await placeCall(1, 0, input, activitiesWith({ authToken: 'not-the-token' }));
    expect(result).toMatchObject({ placed: false, httpStatus: 401 });
    expect(standIn.calls).toHaveLength(0);
  });

  it.each([429, 500, 503])('throws on %i so that Temporal retries, having created nothing', async (status) => {
    standIn.failCreates(1, status);
    await expect(placeCall()).rejects.toThrow(/Twilio calls.create failed/);
    expect(standIn.calls).toHaveLength(0);
  });

  it('throws when Twilio cannot be reached', async () => {
    const unreachable = createActivities({
      twilio: { ...settings, apiBaseUrl: 'http://127.0.0.1:9' },
      agentApiBaseUrl: standIn.url,
      publicBaseUrl: 'http://127.0.0.1:9',
      logger,
      database: database.pool,
    });
    await expect(placeCall(1, 0, input, unreachable)).rejects.toThrow(/Twilio calls.create failed/);
  });

  it('after a lost answer, the retry adopts the call the first try placed: exactly one call', async () => {
    // a9 is no agent the agent system lists: only finding the call first lets the retry go on.
    const call = { ...input, agentId: 'a9' };
    standIn.loseNextCreateAnswer();
    await expect(placeCall(1, 0, call)).rejects.toThrow(/Twilio calls.create failed/);
    expect(standIn.calls).toHaveLength(1);
    const retried = await placeCall(2, 1500, call);
    expect(retried).toEqual({ placed: true, providerCallId: standIn.calls[0]!.sid });
    expect(standIn.calls).toHaveLength(1);
    expect(twilioRequests()).toEqual([CREATE, LIST, LIST]);
    expect(logLines.join('\n')).toContain('call already placed: adopted');
  });

  it('a retry whose first try placed nothing checks the agent, then creates the call once', async () => {
    standIn.failCreates(1, 503);
    await expect(placeCall()).rejects.toThrow('503');
    await expect(placeCall(2, 1500)).resolves.toMatchObject({ placed: true });
    expect(callsTo(to)).toHaveLength(1);
    expect(twilioRequests()).toEqual([CREATE, LIST, 'GET /agents', LIST, CREATE]);
  });

  it("does not adopt an earlier attempt's call, created before this one was decided", async () => {
    const earlier = standIn.addCall({ to, status: 'no-answer', dateCreated: new Date(Date.now() - 60_000) });
    const result = await placeCall(2, 1000);
    expect(result).toMatchObject({ placed: true });
    expect((result as { providerCallId: string }).providerCallId).not.toBe(earlier.sid);
    expect(callsTo(to)).toHaveLength(2);
  });

  it('never creates blind: when the search fails, the retry fails and places nothing', async () => {
    standIn.failLists(2, 500);
    await expect(placeCall(2, 1000)).rejects.toThrow(/Twilio calls.list failed/);
    expect(standIn.calls).toHaveLength(0);
  });

  it('a first attempt that started late searches too, after checking the agent', async () => {
    await expect(placeCall(1, 5000)).resolves.toMatchObject({ placed: true });
    expect(twilioRequests()).toEqual(['GET /agents', LIST, CREATE]);
  });

  it('logs no phone number whole', async () => {
    standIn.loseNextCreateAnswer();
    await expect(placeCall()).rejects.toThrow();
    await placeCall(2, 1000);
    await placeCall(1, 0, { ...input, callId: 'bad.0.1', campaignId: 'bad' });
    expect(logLines.length).toBeGreaterThanOrEqual(3);
    expect(logLines.join('\n')).not.toMatch(/13800138000|1380013800099999/);
  });
});

describe('getCallStatus (a call found by its number and the time it was decided)', () => {
  const at = (call: StandInCall) => call.dateCreated.getTime();

  it.each([
    ['queued', 'initiated'],
    ['ringing', 'ringing'],
    ['in-progress', 'answered'],
    ['completed', 'completed'],
    ['busy', 'busy'],
    ['no-answer', 'no-answer'],
    ['failed', 'failed'],
    ['canceled', 'canceled'],
  ] as const)('maps Twilio %s to %s', async (twilioStatus, status) => {
    const call = standIn.addCall({ to, status: twilioStatus });
    await expect(activities.getCallStatus('c1.0.1', { placedAt: at(call) })).resolves.toEqual({ found: true, status });
  });

  it('gives the duration of an ended call, and finds the newest call of the attempt', async () => {
    standIn.addCall({ to, status: 'no-answer', duration: 0, dateCreated: new Date(Date.now() - 120_000) });
    const call = standIn.addCall({ to, status: 'completed', duration: 42 });
    const found = await activities.getCallStatus('c1.0.2', { placedAt: at(call) });
    expect(found).toEqual({ found: true, status: 'completed', durationSec: 42 });
  });

  it('reads the number of the call from the database', async () => {
    const call = standIn.addCall({ to, status: 'busy', duration: 0 });
    await expect(activities.getCallStatus('c7.7.1', { placedAt: at(call) })).resolves.toEqual({
      found: true,
      status: 'busy',
      durationSec: 0,
    });
  });

  it('is not found when Twilio has no call to the number since the decision (beyond the clock slack)', async () => {
    standIn.addCall({ to, status: 'completed', dateCreated: new Date(Date.now() - TWILIO_CLOCK_SLACK_MS - 2000) });
    standIn.addCall({ to: '+8613800138999', status: 'ringing' });
    await expect(activities.getCallStatus('c1.0.1', { placedAt: Date.now() })).resolves.toEqual({ found: false });
  });

  it('cannot look a call up without its locator, and says so without a retry', async () => {
    await expect(activities.getCallStatus('c1.0.1')).rejects.toMatchObject({ type: 'NoCallLocator', nonRetryable: true });
  });

  it('throws when Twilio answers with an error, so that the lookup is retried', async () => {
    standIn.failLists(1, 503);
    await expect(activities.getCallStatus('c1.0.1', { placedAt: Date.now() })).rejects.toThrow(/calls.list failed/);
  });
});

it("maps every Twilio status to the contract's, and nothing else", () => {
  expect(Object.fromEntries(TWILIO_CALL_STATUSES.map((s) => [s, contractStatusOf(s)]))).toEqual({
    queued: 'initiated',
    initiated: 'initiated',
    ringing: 'ringing',
    'in-progress': 'answered',
    completed: 'completed',
    busy: 'busy',
    'no-answer': 'no-answer',
    failed: 'failed',
    canceled: 'canceled',
  });
  expect(contractStatusOf('toString')).toBeUndefined();
  expect(contractStatusOf('answered')).toBeUndefined();
});
