/**
 * Secrets and phone numbers stay where they belong. A campaign runs to its end through the API and a
 * real worker (against a fake provider and agent system) with API_KEY, WEBHOOK_SECRET and
 * TELEPHONY_API_KEY set to recognisable random values. Then:
 * - no secret appears anywhere in the workflow history, activity inputs included;
 * - the workflow id, memo and search attributes hold no phone number, and neither does the history
 *   (the numbers live in the dialer's database; placeCall reads them from there);
 * - the database holds the numbers, and no secret;
 * - what the API and the worker logged holds no number unmasked, and no secret.
 * Also: ids, names and agent ids that could be phone numbers are refused before anything starts.
 */
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { createActivities } from '../../src/activities';
import { createLogger } from '../../src/logger';
import { workflowIdFor } from '../../src/shared/callId';
import { containsPhoneNumber, maskPhoneNumbers } from '../../src/shared/mask';
import { eventually } from '../support/eventually';
import { createTestWorker } from '../support/temporal';
import {
  campaignExists,
  campaignRow,
  expectInvalidFields,
  nationalNumber,
  postWebhook,
  testApi,
  type TestApi,
  uniqueCampaignId,
} from './helpers';

const tag = (name: string): string => `${name}-${randomBytes(12).toString('hex')}`;
const SECRETS = {
  API_KEY: tag('apikey'),
  WEBHOOK_SECRET: tag('whsecret'),
  TELEPHONY_API_KEY: tag('telkey'),
};
const AUTH = { authorization: `Bearer ${SECRETS.API_KEY}` };
const NUMBERS = [nationalNumber(4242), nationalNumber(4243)];
/** Every way a number could be written out whole: national, and E.164 digits. */
const NUMBER_FORMS = NUMBERS.flatMap((n) => [n, `86${n}`]);

/** A secret written out as is, or base64-encoded (as bytes in JSON often are). */
function secretForms(secret: string): string[] {
  return [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url')];
}

/**
 * History (or any SDK structure) as JSON text, with every payload (inputs, results, memo, search
 * attributes) decoded: its bytes come as a Uint8Array or as base64 text depending on the call.
 */
function readableJson(value: unknown): string {
  const text = (bytes: unknown): unknown =>
    bytes instanceof Uint8Array
      ? Buffer.from(bytes).toString('utf8')
      : typeof bytes === 'string'
        ? Buffer.from(bytes, 'base64').toString('utf8')
        : bytes;
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Uint8Array) return text(v);
    const payload = v as { metadata?: Record<string, unknown>; data?: unknown } | null;
    if (payload?.metadata === undefined || !('data' in payload)) return v;
    const metadata = Object.fromEntries(Object.entries(payload.metadata).map(([k, m]) => [k, text(m)]));
    return { metadata, data: text(payload.data) };
  });
}

describe('a campaign run from start to end', () => {
  const apiLog: string[] = [];
  const workerLog: string[] = [];
  const providerAuth: Array<string | null> = [];
  let api: TestApi;
  let campaignId: string;

  /** The provider and the agent system: one idle agent, and every call placed. */
  const placed: string[] = [];
  const fakeFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.pathname === '/agents') return Response.json({ agents: [{ id: 'a1', status: 'idle' }] });
    if (url.pathname === '/calls' && init?.method === 'POST') {
      providerAuth.push(new Headers(init.headers).get('authorization'));
      const { callId } = JSON.parse(String(init.body)) as { callId: string };
      placed.push(callId);
      return Response.json({ providerCallId: `p-${placed.length}` }, { status: 201 });
    }
    return new Response(null, { status: 404 });
  };

  beforeAll(async () => {
    const apiLogger = createLogger('api', 'trace', { write: (line: string) => apiLog.push(line) });
    api = await testApi(
      {
        ...SECRETS,
        TELEPHONY_BASE_URL: 'http://provider.test',
        AGENT_API_BASE_URL: 'http://agents.test',
        AGENT_POLL_SEC: '1',
      },
      apiLogger,
    );
    const { config } = api;
    const worker = await createTestWorker({
      taskQueue: config.temporal.taskQueue,
      activities: createActivities({
        telephonyBaseUrl: config.telephony.baseUrl,
        telephonyApiKey: config.telephony.apiKey,
        agentApiBaseUrl: config.agentApiBaseUrl,
        publicBaseUrl: config.publicBaseUrl,
        logger: createLogger('worker', 'trace', { write: (line: string) => workerLog.push(line) }),
        fetch: fakeFetch,
        database: api.pool,
      }),
    });

    campaignId = uniqueCampaignId('secrets');
    await request(api.app)
      .post('/campaigns')
      .set(AUTH)
      .send({
        campaignId,
        name: 'Privacy check',
        numbers: NUMBERS,
        agentIds: ['a1'],
        settings: { defaultRegion: 'CN' },
      })
      .expect(201);
    // A request whose path holds a number: the request log must mask it.
    await request(api.app).get(`/campaigns/${NUMBERS[0]}`).set(AUTH).expect(404);

    // Each placed call ends unanswered (signed webhook), which frees the agent for the next number.
    await worker.runUntil(async () => {
      for (let i = 0; i < NUMBERS.length; i++) {
        const callId = (await eventually(async () => placed[i], (id) => id !== undefined, 20_000))!;
        const report = { callId, status: 'no-answer', timestamp: new Date().toISOString() };
        await postWebhook(api.app, '/webhooks/call-status', report, { secret: SECRETS.WEBHOOK_SECRET }).expect(204);
      }
      await api.client.workflow.getHandle(workflowIdFor(campaignId)).result();
    });
  });

  it('really ran: both numbers dialled, with the provider key sent to the provider', () => {
    expect(placed).toHaveLength(NUMBERS.length);
    expect(providerAuth).toEqual(NUMBERS.map(() => `Bearer ${SECRETS.TELEPHONY_API_KEY}`));
  });

  it('puts no secret anywhere in the workflow history, activity inputs included', async () => {
    const history = await api.client.workflow.getHandle(workflowIdFor(campaignId)).fetchHistory();
    const text = readableJson(history);
    // The decoding works (the name is readable), and the numbers are not there at all: the
    // database holds them, and placeCall reads them from there.
    expect(text).toContain('Privacy check');
    for (const n of NUMBERS) expect(text).not.toContain(n);
    const activityInputs = (history.events ?? []).flatMap((event) => {
      const scheduled = event.activityTaskScheduledEventAttributes;
      return scheduled ? [{ type: scheduled.activityType?.name, input: readableJson(scheduled.input) }] : [];
    });
    expect(activityInputs.filter((a) => a.type === 'placeCall')).toHaveLength(NUMBERS.length);
    for (const secret of Object.values(SECRETS)) {
      for (const form of secretForms(secret)) {
        expect(text).not.toContain(form);
        for (const activity of activityInputs) expect(activity.input).not.toContain(form);
      }
    }
  });

  it('keeps the numbers and their attempts in the database, with no secret there', async () => {
    const { rows: contacts } = await api.pool.query<{ phone: string; state: string; attempts: number }>(
      'SELECT phone, state, attempts FROM contact WHERE campaign_id = $1 ORDER BY number_index',
      [campaignId],
    );
    expect(contacts).toEqual(NUMBERS.map((n) => ({ phone: `+86${n}`, state: 'finished', attempts: 1 })));
    const { rows: attempts } = await api.pool.query<{ call_id: string; outcome: string }>(
      'SELECT call_id, outcome FROM attempt WHERE campaign_id = $1 ORDER BY number_index',
      [campaignId],
    );
    expect(attempts).toEqual(placed.map((callId) => ({ call_id: callId, outcome: 'no-answer' })));
    const dump = JSON.stringify(
      await Promise.all(
        ['campaign', 'contact', 'attempt'].map(async (table) => (await api.pool.query(`SELECT * FROM ${table}`)).rows),
      ),
    );
    expect(dump).toContain('Privacy check');
    for (const secret of Object.values(SECRETS)) for (const form of secretForms(secret)) expect(dump).not.toContain(form);
  });

  it('keeps phone numbers out of the workflow id, memo and search attributes', async () => {
    const description = await api.client.workflow.getHandle(workflowIdFor(campaignId)).describe();
    expect(description.memo).toEqual({ name: 'Privacy check' });
    // BuildIds is the SDK's hash of the worker's code: hex that can hold 9 digits in a row by chance.
    const notBuildIds = (name: string | undefined): boolean => name !== 'BuildIds';
    const visible = readableJson({
      workflowId: description.workflowId,
      memo: description.memo,
      searchAttributes: Object.entries(description.searchAttributes).filter(([name]) => notBuildIds(name)),
      typed: description.typedSearchAttributes.getAll().filter((pair) => notBuildIds(pair.key.name)),
      raw: Object.entries(description.raw.workflowExecutionInfo?.searchAttributes?.indexedFields ?? {}).filter(([name]) =>
        notBuildIds(name),
      ),
    });
    expect(visible).toContain('CampaignAgents');
    expect(visible).toContain('CampaignStatus');
    expect(containsPhoneNumber(visible)).toBe(false);
    for (const form of NUMBER_FORMS) expect(visible).not.toContain(form);
  });

  it('logs no number unmasked and no secret, in the API and in the worker', () => {
    const apiText = apiLog.join('');
    expect(apiText).toContain('campaign started');
    expect(apiText).toContain(`"path":"/campaigns/${maskPhoneNumbers(NUMBERS[0]!)}"`);
    expect(workerLog.join('')).toContain('call placed');
    for (const text of [apiText, workerLog.join('')]) {
      for (const form of NUMBER_FORMS) expect(text).not.toContain(form);
      for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    }
  });
});

describe('ids, names and agent ids that could be phone numbers', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
  });

  const postJson = (body: Record<string, unknown>) => request(api.app).post('/campaigns').send(body);
  const postCsv = (query: Record<string, string>) =>
    request(api.app).post('/campaigns').query(query).set('content-type', 'text/csv').send('phone\n+8613800138000\n');

  it.each([
    ['a campaignId (it becomes the workflow id)', { campaignId: 'promo-13800138000' }, 'campaignId'],
    ['a name (it is kept in the memo)', { name: 'Call back 13800138000' }, 'name'],
    ['a name in full-width digits', { name: '回拨 １３８００１３８０００' }, 'name'],
    ['an agent id (it becomes a search attribute)', { agentIds: ['a1', 'sip-8613800138000'] }, 'agentIds.1'],
  ])('400 invalid_request for %s holding 9+ digits in a row, and nothing starts', async (_what, fields, failing) => {
    const campaignId = uniqueCampaignId('phone-like');
    const res = await postJson({ campaignId, numbers: ['+8613800138000'], ...fields }).expect(400);
    expectInvalidFields(res, [failing]);
    const problems = res.body.error.details.fields as Array<{ field: string; message: string }>;
    const problem = problems.find((f) => f.field === failing);
    expect(problem?.message).toMatch(/9 or more digits in a row, which could be a phone number/);
    expect(await campaignExists(api.client, campaignId)).toBe(false);
    expect(await campaignExists(api.client, 'promo-13800138000')).toBe(false);
    expect(await campaignRow(api.pool, campaignId)).toBeUndefined();
    expect(await campaignRow(api.pool, 'promo-13800138000')).toBeUndefined();
  });

  it('400 for the same in CSV query parameters', async () => {
    expectInvalidFields(await postCsv({ campaignId: 'list-138001380001' }).expect(400), ['campaignId']);
    expectInvalidFields(await postCsv({ name: 'list 138001380001' }).expect(400), ['name']);
    expectInvalidFields(await postCsv({ agentIds: 'a1,138001380001' }).expect(400), ['agentIds.1']);
  });

  it('accepts shorter runs: dates, counts, 8-digit ids', async () => {
    const campaignId = `d20240601-${randomBytes(3).toString('hex')}`;
    await postJson({
      campaignId,
      name: 'Renewals 2024-06-01, batch 12345678',
      agentIds: ['agent-12345678'],
      numbers: ['+8613800138000'],
    }).expect(201);
  });

  it('404 campaign_not_found for such an id in a path: no campaign can have it', async () => {
    const res = await request(api.app).get('/campaigns/13800138000').expect(404);
    expect(res.body.error.code).toBe('campaign_not_found');
    expect(res.body.error.message).not.toContain('13800138000');
  });
});

describe('log masking (createLogger)', () => {
  it('masks 9+ digit runs in messages, fields, nested values and errors; leaves the rest alone', () => {
    const lines: string[] = [];
    const logger = createLogger('test', 'trace', { write: (line: string) => lines.push(line) });
    const fields = { path: '/campaigns/13800138000', nested: { list: ['+8613800138000'] }, count: 123456789012 };
    logger.info({ ...fields, day: '20240601' }, 'call 13800138000');
    logger.error(new TypeError('provider refused +8613800138000'));
    logger.warn({ to: '+8613800138000' }, 'redacted by path');
    const text = lines.join('');
    expect(text).not.toMatch(/13800138000/);
    expect(text).toContain('"path":"/campaigns/13*******00"');
    expect(text).toContain('"list":["+86*********00"]');
    expect(text).toContain('"msg":"call 13*******00"');
    expect(text).toContain('provider refused +86*********00');
    expect(text).toContain('"to":"[masked]"');
    // Numbers (not text) and short runs are not phone numbers.
    expect(text).toContain('"count":123456789012');
    expect(text).toContain('"day":"20240601"');
    const error = JSON.parse(lines[1]!) as { err: { type: string; stack: string }; msg: string };
    expect(error.err.type).toBe('TypeError');
    expect(error.msg).toBe('provider refused +86*********00');
    expect(error.err.stack).not.toMatch(/13800138000/);
  });
});
