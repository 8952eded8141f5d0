/**
 * POST /campaigns and GET /campaigns against the run's real Temporal server. No worker polls the
 * task queues used here, so started campaigns stay as they were started; rejected requests are
 * checked to have started nothing.
 */
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { MAX_NUMBERS } from '../../src/api/campaignRequest';
import { CAMPAIGN_ID_PATTERN, workflowIdFor } from '../../src/shared/callId';
import { campaignAgentsKey, campaignStatusKey } from '../../src/workflows/definitions';
import {
  batchOf,
  campaignExists,
  expectInvalidFields,
  nationalNumber,
  startInput,
  testApi,
  type TestApi,
  uniqueCampaignId,
  workflowsOnQueue,
} from './helpers';
import { eventually } from '../support/eventually';

let api: TestApi;
/** Every campaign a test in this file expects to exist: checked against visibility at the end. */
const started: string[] = [];

beforeAll(async () => {
  api = await testApi({ AGENT_POLL_SEC: '7', CALL_SILENCE_SEC: '90' });
});


function postJson(body: unknown): request.Test {
  return request(api.app).post('/campaigns').set('content-type', 'application/json').send(JSON.stringify(body));
}

function postCsv(csv: string, query: Record<string, string> = {}): request.Test {
  return request(api.app).post('/campaigns').query(query).set('content-type', 'text/csv').send(csv);
}

async function expectNotStarted(campaignId: string): Promise<void> {
  expect(await campaignExists(api.client, campaignId)).toBe(false);
}

describe('POST /campaigns (JSON)', () => {
  it('201: normalises, drops duplicates, rejects invalid numbers with reasons, starts the workflow', async () => {
    const campaignId = uniqueCampaignId('json');
    const res = await postJson({
      campaignId,
      name: 'Spring renewals',
      numbers: ['+8613800138000', '13800138001', '+86 138 0013 8000', 'abc', '12', '138-0013-8001', ''],
      agentIds: ['a1', 'a2'],
      settings: { defaultRegion: 'cn', maxAttempts: 3, retryDelaySec: 60, maxConcurrentCalls: 2 },
    }).expect(201);
    started.push(campaignId);
    expect(res.body).toEqual({
      campaignId,
      workflowId: workflowIdFor(campaignId),
      accepted: 2,
      duplicates: 2,
      rejected: [
        { index: 3, value: 'abc', reason: 'not_a_number' },
        { index: 4, value: '12', reason: 'too_short' },
        { index: 6, value: '', reason: 'empty' },
      ],
    });

    const input = await startInput(api.client, campaignId);
    expect(input).toEqual({
      campaignId,
      name: 'Spring renewals',
      chunks: { total: 2, perChunk: 5000, batchKey: expect.stringMatching(/^[0-9a-f]{8}$/) },
      agentIds: ['a1', 'a2'],
      settings: { maxAttempts: 3, retryDelaySec: 60, maxConcurrentCalls: 2 },
      timing: { agentPollSec: 7, callSilenceSec: 90 },
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    // The numbers live in the chunk workflows, not in the campaign's input.
    expect(await batchOf(api.client, input)).toMatchObject({ numbers: ['+8613800138000', '+8613800138001'] });
    const description = await api.client.workflow.getHandle(workflowIdFor(campaignId)).describe();
    expect(description.type).toBe('campaignWorkflow');
    expect(description.taskQueue).toBe(api.config.temporal.taskQueue);
    expect(description.memo).toEqual({ name: 'Spring renewals' });
    expect(description.typedSearchAttributes.get(campaignStatusKey)).toBe('running');
    expect(description.typedSearchAttributes.get(campaignAgentsKey)).toEqual(['a1', 'a2']);
    // Phone numbers stay out of everything visible outside the workflow input.
    const visible = JSON.stringify([description.workflowId, description.memo, description.searchAttributes]);
    for (const digits of ['13800138000', '13800138001']) expect(visible).not.toContain(digits);
  });

  it('201 with defaults: a generated URL-safe id, name = id, default settings, every agent', async () => {
    const res = await postJson({ numbers: ['+8613800138000'] }).expect(201);
    const { campaignId } = res.body as { campaignId: string };
    started.push(campaignId);
    expect(campaignId).toMatch(CAMPAIGN_ID_PATTERN);
    expect(encodeURIComponent(campaignId)).toBe(campaignId);
    const input = await startInput(api.client, campaignId);
    expect(input.name).toBe(campaignId);
    expect(input.settings).toEqual({ maxAttempts: 1, retryDelaySec: 300, maxConcurrentCalls: null });
    expect(input).not.toHaveProperty('agentIds');
    expect(input).not.toHaveProperty('contacts');
    const description = await api.client.workflow.getHandle(workflowIdFor(campaignId)).describe();
    expect(description.typedSearchAttributes.get(campaignAgentsKey)).toBeUndefined();
  });

  it('400 invalid_request names every failing field, and starts nothing', async () => {
    const campaignId = uniqueCampaignId('bad');
    const res = await postJson({
      campaignId,
      name: '',
      numbers: ['+8613800138000', 42],
      agentIds: ['a1', 'a1', "o'brien"],
      settings: { defaultRegion: 'XX', maxAttempts: 11, retryDelaySec: -1, maxConcurrentCalls: 0, speed: 'fast' },
      extra: true,
    }).expect(400);
    expectInvalidFields(res, [
      'name',
      'numbers.1',
      'agentIds',
      'agentIds.2',
      'settings.defaultRegion',
      'settings.maxAttempts',
      'settings.retryDelaySec',
      'settings.maxConcurrentCalls',
      'settings',
      '(body)',
    ]);
    await expectNotStarted(campaignId);
  });

  it.each([
    ['a campaign id outside the pattern', { campaignId: 'has space', numbers: ['+8613800138000'] }, 'campaignId'],
    ['a campaign id over 64 characters', { campaignId: 'x'.repeat(65), numbers: ['+8613800138000'] }, 'campaignId'],
    ['no numbers field', { campaignId: 'x' }, 'numbers'],
    ['an empty agent list', { numbers: ['+8613800138000'], agentIds: [] }, 'agentIds'],
    [
      'a fractional maxAttempts',
      { numbers: ['+8613800138000'], settings: { maxAttempts: 1.5 } },
      'settings.maxAttempts',
    ],
    ['an array body', [], '(body)'],
  ])('400 invalid_request for %s', async (_what, body, field) => {
    const res = await postJson(body).expect(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.body.error.details.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });

  it('400 invalid_request for malformed JSON, and starts nothing', async () => {
    const campaignId = uniqueCampaignId('malformed');
    const res = await request(api.app)
      .post('/campaigns')
      .set('content-type', 'application/json')
      .send(`{"campaignId":"${campaignId}","numbers":[`)
      .expect(400);
    expect(res.body).toEqual({
      error: { code: 'invalid_request', message: 'request body is not valid JSON', details: null },
    });
    await expectNotStarted(campaignId);
  });

  it('400 no_valid_numbers lists the rejected numbers, and starts nothing', async () => {
    const campaignId = uniqueCampaignId('none');
    const res = await postJson({ campaignId, numbers: ['abc', '13800138000'] }).expect(400);
    expect(res.body.error).toEqual({
      code: 'no_valid_numbers',
      message: expect.any(String),
      details: {
        rejected: [
          { index: 0, value: 'abc', reason: 'not_a_number' },
          { index: 1, value: '13800138000', reason: 'missing_region' },
        ],
      },
    });
    await expectNotStarted(campaignId);
  });

  it('400 no_valid_numbers for an empty list', async () => {
    const campaignId = uniqueCampaignId('empty');
    const res = await postJson({ campaignId, numbers: [] }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'no_valid_numbers', details: { rejected: [] } });
    await expectNotStarted(campaignId);
  });

  it('409 campaign_exists when the id is taken, and the first campaign is left as it was', async () => {
    const campaignId = uniqueCampaignId('dup');
    await postJson({ campaignId, name: 'first', numbers: ['+8613800138000'] }).expect(201);
    started.push(campaignId);
    const first = await api.client.workflow.getHandle(workflowIdFor(campaignId)).describe();
    const res = await postJson({ campaignId, name: 'second', numbers: ['+8613800138009'] }).expect(409);
    expect(res.body.error.code).toBe('campaign_exists');
    const after = await api.client.workflow.getHandle(workflowIdFor(campaignId)).describe();
    expect(after.runId).toBe(first.runId);
    expect((await startInput(api.client, campaignId)).name).toBe('first');
  });

  it('409 campaign_exists also once the campaign with that id has ended', async () => {
    const campaignId = uniqueCampaignId('ended');
    await postJson({ campaignId, numbers: ['+8613800138000'] }).expect(201);
    started.push(campaignId);
    await api.client.workflow.getHandle(workflowIdFor(campaignId)).terminate('test');
    const res = await postJson({ campaignId, numbers: ['+8613800138000'] }).expect(409);
    expect(res.body.error.code).toBe('campaign_exists');
  });

  it(`413 payload_too_large above ${MAX_NUMBERS} numbers, with the limit in the message`, async () => {
    const campaignId = uniqueCampaignId('many');
    const numbers = Array.from({ length: MAX_NUMBERS + 1 }, (_, i) => `+86${nationalNumber(i)}`);
    const res = await postJson({ campaignId, numbers }).expect(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(res.body.error.message).toContain(String(MAX_NUMBERS));
    await expectNotStarted(campaignId);
  });

  it(`201 with exactly ${MAX_NUMBERS} numbers, held in chunks of at most 512 KiB; the campaign input stays small`, async () => {
    const campaignId = uniqueCampaignId('max');
    const numbers = Array.from({ length: MAX_NUMBERS }, (_, i) => nationalNumber(i));
    const res = await postJson({ campaignId, numbers, settings: { defaultRegion: 'CN' } }).expect(201);
    started.push(campaignId);
    expect(res.body).toMatchObject({ accepted: MAX_NUMBERS, duplicates: 0, rejected: [] });
    const input = await startInput(api.client, campaignId);
    expect(Buffer.byteLength(JSON.stringify(input))).toBeLessThan(2_000);
    const batch = await batchOf(api.client, input);
    expect(batch.numbers).toEqual(numbers.map((n) => `+86${n}`));
    for (const chunk of batch.chunks) expect(Buffer.byteLength(JSON.stringify(chunk))).toBeLessThan(512 * 1024);
  });

  it('413 payload_too_large for a body over 25 MB, and starts nothing', async () => {
    const campaignId = uniqueCampaignId('huge');
    const res = await postJson({ campaignId, name: 'x'.repeat(25 * 1024 * 1024), numbers: ['+8613800138000'] }).expect(
      413,
    );
    expect(res.body.error.code).toBe('payload_too_large');
    await expectNotStarted(campaignId);
  });

  it.each([
    ['text/plain', 'phone\n+8613800138000'],
    ['application/x-www-form-urlencoded', 'numbers=%2B8613800138000'],
  ])('415 unsupported_media_type for %s, and starts nothing', async (type, body) => {
    const campaignId = uniqueCampaignId('media');
    const res = await request(api.app).post('/campaigns').query({ campaignId }).set('content-type', type).send(body);
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    await expectNotStarted(campaignId);
  });

  it('415 unsupported_media_type without a Content-Type', async () => {
    const res = await request(api.app).post('/campaigns').send(Buffer.from('{"numbers":["+8613800138000"]}'));
    expect(res.status).toBe(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });
});

describe('POST /campaigns (CSV)', () => {
  it('201: settings from the query, contacts kept and aligned with the accepted numbers', async () => {
    const campaignId = uniqueCampaignId('csv');
    const csv = [
      'name,phone,plan',
      'Li,13800138000,gold',
      'Wang,+86 138 0013 8000,silver', // duplicate of row 0
      'Zhao,not a phone,bronze',
      'Qian,13800138001,"platinum, annual"',
    ].join('\n');
    const res = await postCsv(csv, {
      campaignId,
      name: 'CSV import',
      agentIds: 'a1, a2',
      defaultRegion: 'CN',
      maxAttempts: '2',
      retryDelaySec: '0',
      maxConcurrentCalls: '5',
    }).expect(201);
    started.push(campaignId);
    expect(res.body).toEqual({
      campaignId,
      workflowId: workflowIdFor(campaignId),
      accepted: 2,
      duplicates: 1,
      rejected: [{ index: 2, value: 'not a phone', reason: 'not_a_number' }],
    });
    const input = await startInput(api.client, campaignId);
    expect(input).toMatchObject({
      name: 'CSV import',
      agentIds: ['a1', 'a2'],
      settings: { maxAttempts: 2, retryDelaySec: 0, maxConcurrentCalls: 5 },
    });
    expect(await batchOf(api.client, input)).toMatchObject({
      numbers: ['+8613800138000', '+8613800138001'],
      contacts: [
        { name: 'Li', plan: 'gold' },
        { name: 'Qian', plan: 'platinum, annual' },
      ],
    });
  });

  it('201 with defaults, "null" concurrency, and no contacts when phone is the only column', async () => {
    const campaignId = uniqueCampaignId('csvmin');
    await postCsv('phone\n+8613800138000\n', { campaignId, maxConcurrentCalls: 'null' }).expect(201);
    started.push(campaignId);
    const input = await startInput(api.client, campaignId);
    expect(input.name).toBe(campaignId);
    expect(input.settings).toEqual({ maxAttempts: 1, retryDelaySec: 300, maxConcurrentCalls: null });
    expect((await batchOf(api.client, input)).contacts).toBeUndefined();
  });

  it('400 invalid_request for bad query parameters, and starts nothing', async () => {
    const campaignId = uniqueCampaignId('csvbad');
    const res = await postCsv('phone\n+8613800138000\n', {
      campaignId,
      maxAttempts: 'two',
      retryDelaySec: '1.5',
      maxConcurrentCalls: '0',
      defaultRegion: 'Atlantis',
      agentIds: 'a1,,a2',
      colour: 'blue',
    }).expect(400);
    expectInvalidFields(res, [
      'maxAttempts',
      'retryDelaySec',
      'maxConcurrentCalls',
      'defaultRegion',
      'agentIds.1',
      '(body)',
    ]);
    await expectNotStarted(campaignId);
  });

  it('400 invalid_request for a CSV without a phone column, and starts nothing', async () => {
    const campaignId = uniqueCampaignId('csvnophone');
    const res = await postCsv('name,mobile\nLi,+8613800138000\n', { campaignId }).expect(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', details: { header: ['name', 'mobile'] } });
    await expectNotStarted(campaignId);
  });

  it('400 no_valid_numbers for a CSV of invalid numbers, and starts nothing', async () => {
    const campaignId = uniqueCampaignId('csvnone');
    const res = await postCsv('phone,name\n123,Li\n,Wang\n', { campaignId, defaultRegion: 'CN' }).expect(400);
    expect(res.body.error).toMatchObject({
      code: 'no_valid_numbers',
      details: {
        rejected: [
          { index: 0, value: '123', reason: 'too_short' },
          { index: 1, value: '', reason: 'empty' },
        ],
      },
    });
    await expectNotStarted(campaignId);
  });

  it(`413 payload_too_large above ${MAX_NUMBERS} rows`, async () => {
    const campaignId = uniqueCampaignId('csvmany');
    const rows = Array.from({ length: MAX_NUMBERS + 1 }, (_, i) => nationalNumber(i));
    const res = await postCsv(['phone', ...rows].join('\n'), { campaignId, defaultRegion: 'CN' }).expect(413);
    expect(res.body.error.message).toContain(String(MAX_NUMBERS));
    await expectNotStarted(campaignId);
  });

  it('201 with contact data larger than one payload: smaller chunks, each under 512 KiB', async () => {
    const campaignId = uniqueCampaignId('csvfat');
    const note = 'n'.repeat(2_000);
    const rows = Array.from({ length: 1_500 }, (_, i) => `${nationalNumber(i)},${note}`);
    await postCsv(['phone,note', ...rows].join('\n'), { campaignId, defaultRegion: 'CN' }).expect(201);
    started.push(campaignId);
    const batch = await batchOf(api.client, await startInput(api.client, campaignId));
    expect(batch.chunks.length).toBeGreaterThan(1);
    expect(batch.contacts).toHaveLength(1_500);
    for (const chunk of batch.chunks) expect(Buffer.byteLength(JSON.stringify(chunk))).toBeLessThan(512 * 1024);
  });

  it('413 payload_too_large when one row carries more contact data than a chunk holds', async () => {
    const campaignId = uniqueCampaignId('csvwide');
    const note = 'n'.repeat(300_000);
    const res = await postCsv(`phone,note\n${nationalNumber(1)},${note}`, { campaignId, defaultRegion: 'CN' }).expect(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', details: { limitBytes: 262_144 } });
    await expectNotStarted(campaignId);
  });
});

describe('GET /campaigns', () => {
  it('lists campaigns newest first with id, name, status and workflow id; ended runs show their end', async () => {
    const older = uniqueCampaignId('older');
    const newer = uniqueCampaignId('newer');
    await postJson({ campaignId: older, name: 'Older', numbers: ['+8613800138000'] }).expect(201);
    await postJson({ campaignId: newer, name: 'Newer', numbers: ['+8613800138000'] }).expect(201);
    started.push(older, newer);
    await api.client.workflow.getHandle(workflowIdFor(older)).terminate('test');

    const listed = async () => {
      const res = await request(api.app).get('/campaigns').expect(200);
      return (res.body as Array<{ campaignId: string; status: string }>).filter((c) =>
        [older, newer].includes(c.campaignId),
      );
    };
    const ours = await eventually(listed, (c) => c.length === 2 && c.some((x) => x.status === 'failed'));
    expect(ours).toEqual([
      { campaignId: newer, name: 'Newer', status: 'running', workflowId: workflowIdFor(newer) },
      { campaignId: older, name: 'Older', status: 'failed', workflowId: workflowIdFor(older) },
    ]);
  });
});

describe('GET /campaigns/:id and the controls, where no worker is needed', () => {
  it.each(['get', 'pause', 'resume', 'cancel'])('404 campaign_not_found: %s of an unknown campaign', async (action) => {
    const path = `/campaigns/${uniqueCampaignId('unknown')}`;
    const res = action === 'get' ? await request(api.app).get(path) : await request(api.app).post(`${path}/${action}`);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('campaign_not_found');
  });

  it('404 campaign_not_found for an id no campaign can have', async () => {
    const res = await request(api.app).get(`/campaigns/${'x'.repeat(65)}`).expect(404);
    expect(res.body.error.code).toBe('campaign_not_found');
    await request(api.app).post('/campaigns/has.dot/pause').expect(404);
  });

  it.each(['pause', 'resume', 'cancel'])('409 campaign_closed: %s of a campaign that has ended', async (action) => {
    const campaignId = uniqueCampaignId('closed');
    await postJson({ campaignId, numbers: ['+8613800138000'] }).expect(201);
    started.push(campaignId);
    const handle = api.client.workflow.getHandle(workflowIdFor(campaignId));
    await handle.terminate('test');
    const res = await request(api.app).post(`/campaigns/${campaignId}/${action}`).expect(409);
    expect(res.body.error.code).toBe('campaign_closed');
    expect((await handle.describe()).status.name).toBe('TERMINATED');
  });

  it('404 not_found for a route that does not exist', async () => {
    const res = await request(api.app).delete('/campaigns/x').expect(404);
    expect(res.body.error.code).toBe('not_found');
  });
});

describe('phone numbers in logs', () => {
  it('never logs a number whole (a masked form at most)', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'trace' }, { write: (line: string) => lines.push(line) });
    const app = createApp({ config: api.config, client: api.client, logger });
    const campaignId = uniqueCampaignId('logs');
    await request(app)
      .post('/campaigns')
      .query({ campaignId, defaultRegion: 'CN' })
      .set('content-type', 'text/csv')
      .send('phone\n13800138000\nnot-a-number\n')
      .expect(201);
    started.push(campaignId);
    await request(app)
      .post('/campaigns')
      .set('content-type', 'application/json')
      .send('{"numbers":["13800138000"]}')
      .expect(400);
    expect(lines.length).toBeGreaterThan(0);
    const text = lines.join('');
    expect(text).not.toContain('13800138000');
  });
});

// Last in the file: the rejected requests above each checked their own id; this catches anything else.
describe('changes nothing', () => {
  it('only the 201s started workflows on this file\'s task queue: their campaigns and number chunks', async () => {
    const expected = started.map(workflowIdFor).sort();
    const all = await eventually(
      () => workflowsOnQueue(api.client, api.config.temporal.taskQueue),
      (ids) => ids.filter((id) => !id.startsWith('campaign-numbers-')).length >= expected.length,
    );
    expect(all.filter((id) => !id.startsWith('campaign-numbers-'))).toEqual(expected);
    const chunkOwners = all.filter((id) => id.startsWith('campaign-numbers-')).map((id) => id.slice(17).split('.')[0]!);
    for (const owner of new Set(chunkOwners)) expect(started).toContain(owner);
  });
});
