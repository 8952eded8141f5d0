/**
 * A whole campaign with TELEPHONY_PROVIDER=twilio on the real Temporal dev server: the real API and a
 * real worker, wired from the configuration as the processes wire them, against the local stand-in
 * for Twilio's REST API, which places the calls, runs their TwiML and posts signed status callbacks.
 * One create answer is lost (the retry must adopt the call) and one final callback is lost (the
 * campaign must look the call up by number and time).
 */
import { ANY_HOUR_ENV } from '../support/anyHour';
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import type { Worker } from '@temporalio/worker';
import pino from 'pino';
import { bridgeToAgentTwiml } from '../../src/activities/twilioProvider';
import type { PlaceCallInput } from '../../src/activities/types';
import { type RunningApi, startApi } from '../../src/api/main';
import { type Config, loadConfig } from '../../src/config';
import { type Database, openDatabase } from '../../src/db/database';
import { freshDatabaseUrl } from '../support/database';
import { workflowIdFor } from '../../src/shared/callId';
import type { CampaignProgress } from '../../src/shared/types';
import { freePort } from '../../src/temporal/devServer';
import { activityDepsFrom, createDialerWorker } from '../../src/worker/createWorker';
import { eventually } from '../support/eventually';
import { testNumbers } from '../support/inProcessDialer';
import { testAddress, testConnection, testNamespace, testNativeConnection, uniqueTaskQueue } from '../support/temporal';
import { type StandInCall, startTwilioStandIn, type TwilioEnd, type TwilioStandIn } from './standIn';

jest.setTimeout(60_000);

const silent = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
const ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
const AUTH_TOKEN = randomBytes(16).toString('hex');
const FROM = '+14155550100';
const AGENTS = ['a1', 'a2', 'a3'];
const numbers = testNumbers(9, '137');
/** How each number's call ends at the stand-in. */
const ENDS: TwilioEnd[] = ['completed', 'busy', 'no-answer', 'completed', 'busy', 'failed', 'completed', 'completed', 'completed'];
const endOf = (to: string): TwilioEnd => ENDS[numbers.indexOf(to)] ?? 'completed';
/** This number's final status callback is lost: only a lookup tells the campaign how it ended. */
const SILENT_NUMBER = numbers[3]!;

let standIn: TwilioStandIn;
let config: Config;
let api: RunningApi;
let worker: Worker;
let running: Promise<void>;
let database: Database;

beforeAll(async () => {
  standIn = await startTwilioStandIn({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    from: FROM,
    agents: AGENTS,
    endOf,
    ringMs: 150,
    talkMs: 300,
    loseFinalCallbackOf: (to) => to === SILENT_NUMBER,
  });
  const port = await freePort();
  config = loadConfig({
    ...ANY_HOUR_ENV,
    TEMPORAL_ADDRESS: testAddress(),
    TEMPORAL_NAMESPACE: testNamespace(),
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('twilio'),
    PORT: String(port),
    PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
    WEBHOOK_SECRET: randomBytes(16).toString('hex'),
    TELEPHONY_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: ACCOUNT_SID,
    TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    TWILIO_FROM: FROM,
    TWILIO_API_BASE_URL: standIn.url,
    AGENT_API_BASE_URL: standIn.url,
    AGENT_POLL_SEC: '1',
    CALL_SILENCE_SEC: '2',
    DATABASE_URL: await freshDatabaseUrl(),
  });
  database = openDatabase(config.database.url!, silent);
  api = await startApi(config, silent);
  worker = await createDialerWorker({
    connection: await testNativeConnection(),
    namespace: testNamespace(),
    taskQueue: config.temporal.taskQueue,
    workflowBundlePath: process.env.TEMPORAL_TEST_BUNDLE!,
    activities: activityDepsFrom(config, silent, database.pool),
  });
  running = worker.run();
});

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await running;
  await api?.stop();
  await database?.close();
  await standIn?.stop();
});

async function progressOf(campaignId: string): Promise<{ status: number; body: CampaignProgress }> {
  const res = await fetch(`${config.publicBaseUrl}/campaigns/${campaignId}`);
  return { status: res.status, body: (await res.json()) as CampaignProgress };
}

/** callId → the agent the campaign reserved for it, from the placeCall inputs in the workflow history. */
async function reservedAgents(campaignId: string): Promise<{ agentOf: Map<string, string>; historyText: string }> {
  const { client } = await testConnection();
  const history = await client.workflow.getHandle(workflowIdFor(campaignId)).fetchHistory();
  const agentOf = new Map<string, string>();
  for (const event of history.events ?? []) {
    const scheduled = event.activityTaskScheduledEventAttributes;
    if (scheduled?.activityType?.name !== 'placeCall') continue;
    const input = defaultPayloadConverter.fromPayload<PlaceCallInput>(scheduled.input!.payloads![0]!);
    agentOf.set(input.callId, input.agentId);
  }
  return { agentOf, historyText: JSON.stringify(history) };
}

const callIdOf = (call: StandInCall) => new URL(call.statusCallback).searchParams.get('callId')!;

it('dials every number exactly once through Twilio, bridges each answered call to its reserved agent, and completes', async () => {
  // The answer to the very first create is lost: the retry must find that call, not place another.
  standIn.loseNextCreateAnswer();
  const campaignId = `twilio-${randomBytes(3).toString('hex')}`;
  const created = await fetch(`${config.publicBaseUrl}/campaigns`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ campaignId, numbers, agentIds: AGENTS }),
  });
  expect(created.status).toBe(201);

  const ended = (r: { status: number; body: CampaignProgress }) => r.status === 200 && r.body.completedAt !== null;
  const final = (await eventually(() => progressOf(campaignId), ended, 45_000)).body;
  expect(final).toMatchObject({
    status: 'completed',
    total: 9,
    finished: 9,
    pending: 0,
    inFlight: 0,
    outcomes: { answered: 5, busy: 2, 'no-answer': 1, failed: 1, canceled: 0 },
  });

  // Exactly one call per number, each from TWILIO_FROM: the lost answer was adopted, not redialled.
  expect(numbers.map((n) => standIn.calls.filter((c) => c.to === n).length)).toEqual(numbers.map(() => 1));
  expect(standIn.calls.every((c) => c.from === FROM)).toBe(true);
  expect(standIn.requests.filter((r) => r.startsWith('POST /2010-04-01/'))).toHaveLength(9);

  // Each call's TwiML dials the agent the campaign reserved for that call; answered calls were bridged there.
  const { agentOf, historyText } = await reservedAgents(campaignId);
  expect(agentOf.size).toBe(9);
  for (const call of standIn.calls) {
    const agentId = agentOf.get(callIdOf(call));
    expect(agentId).toBeDefined();
    expect(call.twiml).toBe(bridgeToAgentTwiml('client:{agentId}', agentId!));
    if (call.status === 'completed') expect(call.bridgedTo).toEqual({ kind: 'Client', target: agentId });
  }
  // No agent had two calls at once.
  for (const agentId of AGENTS) {
    const theirs = standIn.calls.filter((c) => agentOf.get(callIdOf(c)) === agentId);
    theirs.sort((a, b) => a.dateCreated.getTime() - b.dateCreated.getTime());
    theirs.forEach((c, i) => {
      if (i > 0) expect(theirs[i - 1]!.endTime!.getTime()).toBeLessThanOrEqual(c.dateCreated.getTime());
    });
  }

  // Every status callback was signed and accepted; the silent number's end was found by a lookup.
  const callbacks = standIn.calls.flatMap((c) => c.callbacks);
  expect(callbacks.length).toBeGreaterThan(20);
  expect(callbacks.filter((c) => c.answer !== 204)).toEqual([]);
  const silent = standIn.calls.find((c) => c.to === SILENT_NUMBER)!;
  expect(silent.callbacks.map((c) => c.callStatus)).not.toContain('completed');
  expect(standIn.requests.some((r) => r.startsWith('GET ') && r.includes(`To=${encodeURIComponent(SILENT_NUMBER)}`))).toBe(true);

  // The auth token never reached Temporal.
  expect(historyText).not.toContain(AUTH_TOKEN);
});
