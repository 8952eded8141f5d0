/**
 * 503 temporal_unavailable when Temporal cannot be reached: the API's own lazy connection (the one
 * `npm run api` uses) pointed at a closed port. The API itself keeps answering, and what the database
 * alone answers (the campaign list) still works. Then 503 database_unavailable when the database
 * cannot be reached, with Temporal up.
 */
import type { Client, Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { signWebhook } from '../../src/api/signature';
import { createApiClient, createApiConnection, rpcsSettled } from '../../src/api/temporal';
import { loadConfig } from '../../src/config';
import type { Pool } from '../../src/db/database';
import { makeCallId, workflowIdFor } from '../../src/shared/callId';
import { seedCampaign } from '../support/seedCampaign';
import { testConnection } from '../support/temporal';
import { campaignExists, silentLogger, testApi, testPool, uniqueCampaignId } from './helpers';

const secret = 'webhook-secret';
const config = loadConfig({ TEMPORAL_ADDRESS: '127.0.0.1:1', WEBHOOK_SECRET: secret });
let connection: Connection;
let client: Client;
let app: ReturnType<typeof createApp>;
/** The database of `app`: up. */
let pool: Pool;

beforeAll(async () => {
  connection = createApiConnection(config.temporal);
  pool = await testPool();
  client = createApiClient(config.temporal, connection);
  app = createApp({ config, client, pool, logger: silentLogger });
});

afterAll(async () => {
  await rpcsSettled(client);
  await connection.close();
});

function expectUnavailable(res: request.Response, code = 'temporal_unavailable'): void {
  expect(res.status).toBe(503);
  expect(res.body).toEqual({ error: { code, message: expect.any(String), details: null } });
  expect(res.headers['retry-after']).toBeDefined();
}

function signedPost(path: string, body: unknown): request.Test {
  const raw = JSON.stringify(body);
  return request(app).post(path).set('content-type', 'application/json').set(signWebhook(secret, raw)).send(raw);
}

it('answers fast: few retries instead of the SDK default of ~20 s', async () => {
  const started = Date.now();
  expectUnavailable(await request(app).get('/campaigns/some-id'));
  expect(Date.now() - started).toBeLessThan(5_000);
});

it('503 for POST /campaigns, and nothing was started on the real server nor imported', async () => {
  const ids = [uniqueCampaignId('down')];
  for (const body of [{ campaignId: ids[0], numbers: ['+8613800138000'] }, { numbers: ['+8613800138000'] }]) {
    expectUnavailable(await request(app).post('/campaigns').send(body));
  }
  const { client: real } = await testApi();
  // Refused before the import: Temporal is asked first whether it has a workflow under the id.
  const { rows } = await pool.query('SELECT campaign_id FROM campaign');
  expect(rows).toEqual([]);
  const { rows: contacts } = await pool.query('SELECT campaign_id FROM contact');
  expect(contacts).toEqual([]);
  expect(await campaignExists(real, ids[0]!)).toBe(false);
});

it('stop can wait for every RPC: once rpcsSettled resolves after a 503 of GET /campaigns/:id, none is left retrying', async () => {
  // GET /campaigns/:id asks two things at once (progress and describe): the 503 goes out when the first fails.
  const own = createApiConnection(config.temporal);
  const ownClient = createApiClient(config.temporal, own);
  const ownApp = createApp({ config, client: ownClient, pool, logger: silentLogger });
  expectUnavailable(await request(ownApp).get('/campaigns/some-id'));
  await rpcsSettled(ownClient);
  // What RunningApi.stop does next. A retry still pending would now throw "Channel has been shut down" from its timer.
  const thrown: unknown[] = [];
  const onError = (err: unknown): void => void thrown.push(err);
  process.on('uncaughtException', onError);
  try {
    await own.close();
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  } finally {
    process.off('uncaughtException', onError);
  }
  expect(thrown.map(String)).toEqual([]);
});

it('200 for GET /campaigns: the list is read from the database alone', async () => {
  const campaignId = uniqueCampaignId('listed');
  const input = {
    campaignId,
    name: 'Listed while Temporal is down',
    total: 1,
    settings: { maxAttempts: 1, retryDelaySec: 300, maxConcurrentCalls: null },
    timing: config.timing,
    createdAt: new Date().toISOString(),
  };
  await seedCampaign(pool, input, ['+8613800138000']);
  const res = await request(app).get('/campaigns').expect(200);
  expect(res.body).toEqual([{ campaignId, name: input.name, status: 'running', workflowId: workflowIdFor(campaignId) }]);
});

it.each([
  ['get', '/campaigns/some-id'],
  ['post', '/campaigns/some-id/pause'],
  ['post', '/campaigns/some-id/resume'],
  ['post', '/campaigns/some-id/cancel'],
])('503 for %s %s', async (method, path) => {
  expectUnavailable(await request(app)[method as 'get' | 'post'](path));
});

it.each(['completed', 'ringing'])('503 for a call-status webhook (%s), so the sender retries', async (status) => {
  const callId = makeCallId({ campaignId: 'some-id', numberIndex: 0, attempt: 1 });
  expectUnavailable(await signedPost('/webhooks/call-status', { callId, status, timestamp: new Date().toISOString() }));
});

it('503 for an agent-status webhook', async () => {
  const report = { agentId: 'a1', status: 'idle', timestamp: new Date().toISOString() };
  expectUnavailable(await signedPost('/webhooks/agent-status', report));
});

it('still validates before reaching Temporal: 400, 401, 404, 415 come first', async () => {
  await request(app).post('/campaigns').send({ numbers: 'nope' }).expect(400);
  await request(app).post('/campaigns').set('content-type', 'text/plain').send('x').expect(415);
  await request(app).post('/webhooks/call-status').send({}).expect(401);
  const badCallId = { callId: 'bad', status: 'completed', timestamp: new Date().toISOString() };
  await signedPost('/webhooks/call-status', badCallId).expect(404);
  await request(app).get('/health').expect(200);
});

describe('the database unavailable (Temporal up)', () => {
  let down: ReturnType<typeof createApp>;
  beforeAll(async () => {
    const { client } = await testConnection();
    const { config: upConfig } = await testApi();
    // Nothing listens on port 1: every connection is refused.
    const unreachable = await testPool('postgres://dialer@127.0.0.1:1/dialer');
    down = createApp({ config: upConfig, client, pool: unreachable, logger: silentLogger });
  });

  it('503 database_unavailable for POST /campaigns, with or without an id, and nothing started', async () => {
    const campaignId = uniqueCampaignId('nodb');
    expectUnavailable(await request(down).post('/campaigns').send({ campaignId, numbers: ['+8613800138000'] }), 'database_unavailable');
    const csv = await request(down).post('/campaigns').query({ campaignId }).set('content-type', 'text/csv').send('phone\n+8613800138000\n');
    expectUnavailable(csv, 'database_unavailable');
    expectUnavailable(await request(down).post('/campaigns').send({ numbers: ['+8613800138000'] }), 'database_unavailable');
    const { client } = await testConnection();
    expect(await campaignExists(client, campaignId)).toBe(false);
  });

  it.each(['/campaigns', '/campaigns/some-id/calls', '/campaigns/some-id/results.csv'])(
    '503 database_unavailable for GET %s',
    async (path) => {
      expectUnavailable(await request(down).get(path), 'database_unavailable');
    },
  );

  it('still validates first: 400 and 415 before the database is asked', async () => {
    await request(down).post('/campaigns').send({ numbers: 'nope' }).expect(400);
    await request(down).post('/campaigns').set('content-type', 'text/plain').send('x').expect(415);
  });
});
