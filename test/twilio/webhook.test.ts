/**
 * Twilio's status callbacks (POST /webhooks/twilio/call-status) against the run's real Temporal
 * server, signed the way Twilio signs them. No worker runs the campaigns, so the workflow history
 * shows exactly which reports Temporal accepted: the same ones /webhooks/call-status hands on.
 */
import request from 'supertest';
import { makeCallId, workflowIdFor } from '../../src/shared/callId';
import { receivedSignals, type ReceivedSignal, testApi, type TestApi, uniqueCampaignId } from '../api/helpers';
import { rfc2822, signedTwilioForm } from './standIn';

const PUBLIC_BASE_URL = 'https://dialer.example.com';
const AUTH_TOKEN = 'twilio-auth-token-for-tests';
const TWILIO_ENV = {
  TELEPHONY_PROVIDER: 'twilio',
  TWILIO_ACCOUNT_SID: `AC${'2e'.repeat(16)}`,
  TWILIO_AUTH_TOKEN: AUTH_TOKEN,
  TWILIO_FROM: '+14155550100',
  PUBLIC_BASE_URL,
  WEBHOOK_SECRET: 'webhook-secret-for-tests',
  AGENT_API_BASE_URL: 'http://agents.invalid',
};
const PATH = '/webhooks/twilio/call-status';

let api: TestApi;
let campaignId: string;
let callId: string;

beforeAll(async () => {
  api = await testApi(TWILIO_ENV);
  campaignId = uniqueCampaignId('tw');
  await request(api.app).post('/campaigns').send({ campaignId, numbers: ['+8613800138000'] }).expect(201);
  callId = makeCallId({ campaignId, numberIndex: 0, attempt: 1 });
});

const signals = (): Promise<ReceivedSignal[]> => receivedSignals(api.client, workflowIdFor(campaignId));

function fieldsOf(callStatus: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AccountSid: TWILIO_ENV.TWILIO_ACCOUNT_SID,
    ApiVersion: '2010-04-01',
    CallSid: `CA${'ab'.repeat(16)}`,
    CallStatus: callStatus,
    Direction: 'outbound-api',
    From: TWILIO_ENV.TWILIO_FROM,
    To: '+8613800138000',
    Timestamp: rfc2822(new Date()),
    ...extra,
  };
}

/**
 * A delivery to `path` (with its query), signed as Twilio signs it: over `signedUrl` (by default the
 * URL the dialler handed to Twilio) and `signedFields` (by default the fields sent).
 */
function deliver(
  path: string,
  fields: Record<string, string>,
  options: { token?: string; signedUrl?: string; signedFields?: Record<string, string>; signature?: string | null } = {},
) {
  const signedUrl = options.signedUrl ?? `${PUBLIC_BASE_URL}${path}`;
  const { body } = signedTwilioForm(AUTH_TOKEN, signedUrl, fields);
  const { signature } = signedTwilioForm(options.token ?? AUTH_TOKEN, signedUrl, options.signedFields ?? fields);
  const req = request(api.app).post(path).set('content-type', 'application/x-www-form-urlencoded');
  const chosen = options.signature === undefined ? signature : options.signature;
  if (chosen !== null) req.set('X-Twilio-Signature', chosen);
  return req.send(body);
}

const callPath = (id: string) => `${PATH}?callId=${encodeURIComponent(id)}`;

describe('a signed Twilio status callback', () => {
  it('204: a completed call reaches the campaign as the contract report, with its duration and time', async () => {
    const sentAt = new Date('2026-03-02T10:15:30Z');
    await deliver(callPath(callId), fieldsOf('completed', { CallDuration: '42', Timestamp: rfc2822(sentAt) })).expect(204);
    expect(await signals()).toContainEqual({
      name: 'callStatus',
      arg: { callId, status: 'completed', durationSec: 42, timestamp: sentAt.toISOString() },
    });
  });

  it.each(['busy', 'no-answer', 'failed', 'canceled'])('204: %s ends the call, and the campaign is told', async (status) => {
    const before = (await signals()).length;
    await deliver(callPath(callId), fieldsOf(status, { CallDuration: '0' })).expect(204);
    const after = await signals();
    expect(after).toHaveLength(before + 1);
    expect(after.at(-1)).toMatchObject({ name: 'callStatus', arg: { callId, status, durationSec: 0 } });
  });

  it('204 without a signal for queued, initiated, ringing and in-progress (they change no decision)', async () => {
    const before = await signals();
    for (const status of ['queued', 'initiated', 'ringing', 'in-progress']) {
      await deliver(callPath(callId), fieldsOf(status)).expect(204);
    }
    expect(await signals()).toEqual(before);
  });

  it('takes a delivery without Timestamp as sent now', async () => {
    const { Timestamp: _dropped, ...fields } = fieldsOf('busy');
    const sent = Date.now();
    await deliver(callPath(callId), fields).expect(204);
    const last = (await signals()).at(-1)!.arg as { timestamp: string };
    expect(Date.parse(last.timestamp)).toBeGreaterThanOrEqual(sent - 1000);
  });

  it('is counted with the call-status deliveries', async () => {
    const metrics = async () => (await request(api.app).get('/metrics').expect(200)).text;
    const received = (text: string) => Number(/^dialer_webhooks_received_total\{route="call-status"\} (\d+)/m.exec(text)?.[1]);
    const before = received(await metrics());
    await deliver(callPath(callId), fieldsOf('ringing')).expect(204);
    await deliver(callPath(callId), fieldsOf('ringing'), { token: 'wrong' }).expect(401);
    expect(received(await metrics())).toBe(before + 2);
  });
});

describe('refused', () => {
  const completed = () => fieldsOf('completed', { CallDuration: '7' });
  const otherCall = () => makeCallId({ campaignId, numberIndex: 0, attempt: 2 });

  it.each<[string, () => ReturnType<typeof deliver>]>([
    ['no X-Twilio-Signature', () => deliver(callPath(callId), completed(), { signature: null })],
    ['a signature that is no signature', () => deliver(callPath(callId), completed(), { signature: 'not-base64!' })],
    ['a signature made with another auth token', () => deliver(callPath(callId), completed(), { token: 'another-token' })],
    [
      'a signature of other fields (CallStatus changed on the way)',
      () => deliver(callPath(callId), completed(), { signedFields: fieldsOf('busy') }),
    ],
    [
      "a genuine signature moved to another call's URL",
      () => deliver(callPath(otherCall()), completed(), { signedUrl: `${PUBLIC_BASE_URL}${callPath(callId)}` }),
    ],
    [
      'a signature over another base URL',
      () => deliver(callPath(callId), completed(), { signedUrl: `https://attacker.example.com${callPath(callId)}` }),
    ],
  ])('401 unauthorized for %s, and nothing reaches the campaign', async (_what, send) => {
    const before = await signals();
    const res = await send().expect(401);
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String), details: null } });
    expect(await signals()).toEqual(before);
  });

  it.each([
    ['an unknown CallStatus', fieldsOf('exploded'), 'CallStatus'],
    ['a Timestamp that is no date', fieldsOf('completed', { Timestamp: 'yesterday' }), 'Timestamp'],
    ['a CallDuration that is no whole number', fieldsOf('completed', { CallDuration: '-3' }), 'CallDuration'],
  ])('400 invalid_request for %s, naming the field', async (_what, fields, field) => {
    const before = await signals();
    const res = await deliver(callPath(callId), fields).expect(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details.fields).toEqual([expect.objectContaining({ field })]);
    expect(await signals()).toEqual(before);
  });

  it('400 invalid_request for a URL without callId', async () => {
    const res = await deliver(PATH, completed()).expect(400);
    expect(res.body.error.details.fields).toEqual([expect.objectContaining({ field: 'callId' })]);
  });

  it('404 call_not_found for a call of no known campaign', async () => {
    const unknown = makeCallId({ campaignId: 'never-started', numberIndex: 0, attempt: 1 });
    const res = await deliver(callPath(unknown), completed()).expect(404);
    expect(res.body.error.code).toBe('call_not_found');
  });

  it('413 payload_too_large above 64 KB, before any signature check', async () => {
    const res = await deliver(callPath(callId), fieldsOf('completed', { Padding: 'x'.repeat(65 * 1024) })).expect(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it.each([
    ['a query that is not valid percent-encoding', `${PATH}?callId=%E0%A4%A`],
    ['a body that is not a form', PATH],
  ])('401 in the error shape for %s', async (_what, path) => {
    const res = await request(api.app)
      .post(path)
      .set('content-type', 'application/json')
      .set('X-Twilio-Signature', 'AAAA')
      .send('{"CallStatus": "completed"}')
      .expect(401);
    expect(res.body.error.code).toBe('unauthorized');
  });

  it('401 for every delivery when the provider is not Twilio', async () => {
    const http = await testApi({ WEBHOOK_SECRET: 'secret', TELEPHONY_BASE_URL: 'http://provider.invalid' });
    const { body, signature } = signedTwilioForm(AUTH_TOKEN, `http://localhost:3000${callPath(callId)}`, completed());
    const res = await request(http.app)
      .post(callPath(callId))
      .set('content-type', 'application/x-www-form-urlencoded')
      .set('X-Twilio-Signature', signature)
      .send(body)
      .expect(401);
    expect(res.body.error.message).toMatch(/TELEPHONY_PROVIDER is not twilio/);
  });
});

it('/readyz counts Twilio as a configured provider', async () => {
  const res = await request(api.app).get('/readyz');
  expect(res.body.checks?.provider ?? res.body.error.details.checks.provider).toBe('ok');
});
