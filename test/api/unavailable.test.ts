/**
 * 503 temporal_unavailable when Temporal cannot be reached: the API's own lazy connection (the one
 * `npm run api` uses) pointed at a closed port. The API itself keeps answering.
 */
import type { Connection } from '@temporalio/client';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { signWebhook } from '../../src/api/signature';
import { createApiClient, createApiConnection } from '../../src/api/temporal';
import { loadConfig } from '../../src/config';
import { makeCallId } from '../../src/shared/callId';
import { campaignExists, silentLogger, testApi, uniqueCampaignId } from './helpers';

const secret = 'webhook-secret';
const config = loadConfig({ TEMPORAL_ADDRESS: '127.0.0.1:1', WEBHOOK_SECRET: secret });
let connection: Connection;
let app: ReturnType<typeof createApp>;

beforeAll(() => {
  connection = createApiConnection(config.temporal);
  app = createApp({ config, client: createApiClient(config.temporal, connection), logger: silentLogger });
});

afterAll(async () => {
  await connection.close();
});

function expectUnavailable(res: request.Response): void {
  expect(res.status).toBe(503);
  expect(res.body).toEqual({ error: { code: 'temporal_unavailable', message: expect.any(String), details: null } });
  expect(res.headers['retry-after']).toBeDefined();
}

function signedPost(path: string, body: unknown): request.Test {
  const raw = JSON.stringify(body);
  return request(app).post(path).set('content-type', 'application/json').set(signWebhook(secret, raw)).send(raw);
}

it('answers fast: few retries instead of the SDK default of ~20 s', async () => {
  const started = Date.now();
  expectUnavailable(await request(app).get('/campaigns'));
  expect(Date.now() - started).toBeLessThan(5_000);
});

it('503 for POST /campaigns, and nothing was started on the real server', async () => {
  const campaignId = uniqueCampaignId('down');
  expectUnavailable(await request(app).post('/campaigns').send({ campaignId, numbers: ['+8613800138000'] }));
  const { client } = await testApi();
  expect(await campaignExists(client, campaignId)).toBe(false);
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
