/**
 * The signed webhooks against the run's real Temporal server. No worker runs the campaigns, so the
 * workflow history shows exactly which reports Temporal accepted.
 */
import request from 'supertest';
import { MAX_CLOCK_SKEW_SEC, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../../src/api/signature';
import { makeCallId, workflowIdFor } from '../../src/shared/callId';
import { postWebhook, receivedSignals, type ReceivedSignal, testApi, type TestApi, uniqueCampaignId } from './helpers';

const secret = 'webhook-secret-for-tests';
let api: TestApi;

beforeAll(async () => {
  // TELEPHONY_BASE_URL set: an external provider, so unsigned webhooks are never acceptable.
  api = await testApi({ WEBHOOK_SECRET: secret, TELEPHONY_BASE_URL: 'http://provider.invalid' });
});

async function startCampaign(agentIds?: string[]): Promise<string> {
  const campaignId = uniqueCampaignId('wh');
  await request(api.app)
    .post('/campaigns')
    .send({ campaignId, numbers: ['+8613800138000', '+8613800138001'], ...(agentIds ? { agentIds } : {}) })
    .expect(201);
  return campaignId;
}

const signals = (campaignId: string): Promise<ReceivedSignal[]> =>
  receivedSignals(api.client, workflowIdFor(campaignId));

function callReport(campaignId: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    callId: makeCallId({ campaignId, numberIndex: 0, attempt: 1 }),
    status,
    timestamp: new Date().toISOString(),
    ...extra,
  };
}

describe('POST /webhooks/call-status', () => {
  let campaignId: string;
  beforeAll(async () => {
    campaignId = await startCampaign();
  });

  it('204 once Temporal holds the report: it is in the workflow history', async () => {
    const report = callReport(campaignId, 'completed', { durationSec: 42 });
    const withExtra = { ...report, provider: 'extra fields are dropped' };
    await postWebhook(api.app, '/webhooks/call-status', withExtra, { secret }).expect(204);
    expect(await signals(campaignId)).toContainEqual({ name: 'callStatus', arg: report });
  });

  it('204 for every status that changes a decision', async () => {
    const before = (await signals(campaignId)).length;
    for (const status of ['completed', 'no-answer', 'busy', 'failed', 'canceled']) {
      await postWebhook(api.app, '/webhooks/call-status', callReport(campaignId, status), { secret }).expect(204);
    }
    expect((await signals(campaignId)).length).toBe(before + 5);
  });

  it('204 without a signal for initiated, ringing and answered (they change no decision)', async () => {
    const before = await signals(campaignId);
    for (const status of ['initiated', 'ringing', 'answered']) {
      await postWebhook(api.app, '/webhooks/call-status', callReport(campaignId, status), { secret }).expect(204);
    }
    expect(await signals(campaignId)).toEqual(before);
  });

  it('204 for a duplicate delivery (at least once: the workflow sees it again, harmlessly)', async () => {
    const report = callReport(campaignId, 'busy');
    await postWebhook(api.app, '/webhooks/call-status', report, { secret }).expect(204);
    await postWebhook(api.app, '/webhooks/call-status', report, { secret }).expect(204);
  });

  it('204 for a late report on a campaign that has ended, without touching it', async () => {
    const ended = await startCampaign();
    await api.client.workflow.getHandle(workflowIdFor(ended)).terminate('test');
    const before = await signals(ended);
    await postWebhook(api.app, '/webhooks/call-status', callReport(ended, 'completed'), { secret }).expect(204);
    await postWebhook(api.app, '/webhooks/call-status', callReport(ended, 'ringing'), { secret }).expect(204);
    expect(await signals(ended)).toEqual(before);
  });

  const unknownCampaignCall = makeCallId({ campaignId: 'never-started', numberIndex: 0, attempt: 1 });
  it.each([
    ['a call id that names no campaign', 'not-a-call-id', 'completed'],
    ['a call id of an unknown campaign', unknownCampaignCall, 'completed'],
    ['a ringing call of an unknown campaign', unknownCampaignCall, 'ringing'],
  ])('404 call_not_found for %s', async (_what, callId, status) => {
    const res = await postWebhook(
      api.app,
      '/webhooks/call-status',
      { callId, status, timestamp: new Date().toISOString() },
      { secret },
    ).expect(404);
    expect(res.body.error.code).toBe('call_not_found');
  });

  it.each([
    ['an unknown status', { status: 'exploded' }, 'status'],
    ['a negative duration', { durationSec: -1 }, 'durationSec'],
    ['a duration that is no number', { durationSec: '42' }, 'durationSec'],
    ['a timestamp that is not ISO', { timestamp: 'yesterday' }, 'timestamp'],
    ['no call id', { callId: undefined }, 'callId'],
  ])('400 invalid_request for %s, and no signal', async (_what, change, field) => {
    const before = await signals(campaignId);
    const body = { ...callReport(campaignId, 'completed'), ...change };
    const res = await postWebhook(api.app, '/webhooks/call-status', body, { secret }).expect(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    expect(await signals(campaignId)).toEqual(before);
  });

  it('400 invalid_request for a body that is not JSON', async () => {
    const res = await postWebhook(api.app, '/webhooks/call-status', '{"callId":', { secret }).expect(400);
    expect(res.body.error.code).toBe('invalid_request');
  });

  it('413 payload_too_large above 64 KB', async () => {
    const body = { ...callReport(campaignId, 'completed'), padding: 'x'.repeat(65 * 1024) };
    const res = await postWebhook(api.app, '/webhooks/call-status', body, { secret }).expect(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  describe('401, changing nothing', () => {
    const nowSec = () => Math.floor(Date.now() / 1000);
    const cases: Array<[string, (raw: string) => Record<string, string>]> = [
      ['no signature headers', () => ({})],
      ['no timestamp', (raw) => ({ [SIGNATURE_HEADER]: signWebhook(secret, raw)[SIGNATURE_HEADER] })],
      ['a signature made with another secret', (raw) => signWebhook('not-the-secret', raw)],
      ['a timestamp more than 300 s old', (raw) => signWebhook(secret, raw, nowSec() - MAX_CLOCK_SKEW_SEC - 5)],
      ['a timestamp more than 300 s ahead', (raw) => signWebhook(secret, raw, nowSec() + MAX_CLOCK_SKEW_SEC + 5)],
      ['a signature of another body', () => signWebhook(secret, '{"callId":"other"}')],
      [
        'a replaced timestamp',
        (raw) => ({ ...signWebhook(secret, raw, nowSec() - 10), [TIMESTAMP_HEADER]: String(nowSec()) }),
      ],
    ];

    it.each(cases)('call-status with %s', async (_what, headersFor) => {
      const raw = JSON.stringify(callReport(campaignId, 'completed'));
      const before = await signals(campaignId);
      const res = await postWebhook(api.app, '/webhooks/call-status', raw, { headers: headersFor(raw) }).expect(401);
      expect(res.body.error.code).toBe('unauthorized');
      expect(await signals(campaignId)).toEqual(before);
    });

    it.each(cases)('agent-status with %s', async (_what, headersFor) => {
      const agentCampaign = await startCampaign(['agent-401']);
      const raw = JSON.stringify({ agentId: 'agent-401', status: 'idle', timestamp: new Date().toISOString() });
      const res = await postWebhook(api.app, '/webhooks/agent-status', raw, { headers: headersFor(raw) }).expect(401);
      expect(res.body.error.code).toBe('unauthorized');
      expect(await signals(agentCampaign)).toEqual([]);
    });

    it('every webhook when WEBHOOK_SECRET is unset and a real provider is configured', async () => {
      const open = await testApi({ TELEPHONY_BASE_URL: 'http://provider.invalid' });
      const res = await postWebhook(open.app, '/webhooks/call-status', callReport(campaignId, 'completed')).expect(401);
      expect(res.body.error.message).toMatch(/WEBHOOK_SECRET/);
      const agent = { agentId: 'a1', status: 'idle', timestamp: new Date().toISOString() };
      await postWebhook(open.app, '/webhooks/agent-status', agent).expect(401);
    });
  });

  it('204 unsigned when WEBHOOK_SECRET is unset and the built-in simulator is the sender', async () => {
    const local = await testApi(); // no TELEPHONY_BASE_URL: the built-in simulator
    const before = (await signals(campaignId)).length;
    await postWebhook(local.app, '/webhooks/call-status', callReport(campaignId, 'no-answer')).expect(204);
    expect((await signals(campaignId)).length).toBe(before + 1);
  });
});

describe('POST /webhooks/agent-status', () => {
  const agentReport = (agentId: string, status = 'busy', timestamp = new Date().toISOString()) => ({
    agentId,
    status,
    timestamp,
  });

  it('204 and reaches every running campaign that includes the agent, and no other', async () => {
    const agent = `agent-${uniqueCampaignId('x')}`;
    const withAgent = [await startCampaign([agent, 'a2']), await startCampaign([agent])];
    const without = await startCampaign(['a2']);
    const ended = await startCampaign([agent]);
    // Ended from outside (the Temporal UI): the database still calls it running, its signal finds no workflow.
    await api.client.workflow.getHandle(workflowIdFor(ended)).terminate('test');
    // No visibility to wait for: the API reads the campaigns' agents from the database.

    const timestamp = '2030-01-02T03:04:05.678Z';
    await postWebhook(api.app, '/webhooks/agent-status', agentReport(agent, 'busy', timestamp), { secret }).expect(204);
    const expected = { name: 'agentStatus', arg: { agentId: agent, status: 'busy', at: Date.parse(timestamp) } };
    for (const campaignId of withAgent) expect(await signals(campaignId)).toEqual([expected]);
    expect(await signals(without)).toEqual([]);
    expect(await signals(ended)).toEqual([]);
  });

  it('204 for an agent in no running campaign', async () => {
    await postWebhook(api.app, '/webhooks/agent-status', agentReport('nobody-has-me'), { secret }).expect(204);
  });

  it.each([
    ['an unknown status', { status: 'sleeping' }, 'status'],
    ['an agent id with a quote', { agentId: "a1' OR '1'='1" }, 'agentId'],
    ['an empty agent id', { agentId: '' }, 'agentId'],
    ['a timestamp without a zone', { timestamp: '2030-01-02T03:04:05' }, 'timestamp'],
  ])('400 invalid_request for %s', async (_what, change, field) => {
    const body = { ...agentReport('a1'), ...change };
    const res = await postWebhook(api.app, '/webhooks/agent-status', body, { secret }).expect(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });
});

describe('routing', () => {
  it('404 not_found for an unknown route, in the error shape', async () => {
    const res = await request(api.app).post('/webhooks/unknown').expect(404);
    expect(res.body).toEqual({ error: { code: 'not_found', message: expect.any(String), details: null } });
  });
});
