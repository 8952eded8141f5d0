/**
 * What surrounds the routes: helmet's headers, the rate limits (management per client, webhooks on
 * their own much higher limit), and requests Node itself refuses, all in the contract's error shape.
 */
import type { Server } from 'node:http';
import request from 'supertest';
import { createApiServer } from '../../src/api/main';
import { ConfigError, loadConfig } from '../../src/config';
import { makeCallId } from '../../src/shared/callId';
import { campaignExists, postWebhook, testApi, uniqueCampaignId } from './helpers';

const WEBHOOK_SECRET = 'edge-webhook-secret';
const API_KEY = 'edge-api-key';

async function listening(app: Parameters<typeof createApiServer>[0]): Promise<Server> {
  const server = createApiServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

const unknownCampaign = (): string => `/campaigns/${uniqueCampaignId('edge-unknown')}`;

describe('helmet', () => {
  it('sets its security headers on every answer (success, 404, 415), which stay JSON', async () => {
    const api = await testApi();
    const answers = [
      await request(api.app).get('/health').expect(200),
      await request(api.app).get('/nowhere').expect(404),
      await request(api.app).post('/campaigns').set('content-type', 'text/plain').send('x').expect(415),
    ];
    for (const res of answers) {
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'content-security-policy': "default-src 'none';frame-ancestors 'none'",
        'x-frame-options': 'SAMEORIGIN',
        'cross-origin-resource-policy': 'same-origin',
        'referrer-policy': 'no-referrer',
        'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
      });
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
  });
});

describe('management rate limit (RATE_LIMIT_PER_MIN)', () => {
  it('429 rate_limited with Retry-After once a client is over the limit, and starts nothing', async () => {
    const api = await testApi({ RATE_LIMIT_PER_MIN: '5' });
    for (let i = 0; i < 5; i++) await request(api.app).get(unknownCampaign()).expect(404);
    const campaignId = uniqueCampaignId('edge-limited');
    const res = await request(api.app).post('/campaigns').send({ campaignId, numbers: ['+8613800138000'] });
    expect(res.status).toBe(429);
    expect(res.body).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringContaining('more than 5 management requests per minute'),
        details: { limit: 5, windowSec: 60, retryAfterSec: expect.any(Number) },
      },
    });
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.body.error.details.retryAfterSec).toBe(retryAfter);
    expect(res.headers['ratelimit-policy']).toBe('5;w=60');
    expect(await campaignExists(api.client, campaignId)).toBe(false);
  });

  it("counts the API key's requests apart: guessing keys cannot use up the key holder's budget", async () => {
    const api = await testApi({ API_KEY, RATE_LIMIT_PER_MIN: '3' });
    // Wrong or missing keys count against the caller's IP, and run out...
    for (let i = 0; i < 3; i++) {
      await request(api.app).get('/campaigns').set('authorization', `Bearer guess-${i}`).expect(401);
    }
    await request(api.app).get('/campaigns').set('authorization', 'Bearer guess-4').expect(429);
    await request(api.app).get('/campaigns').expect(429);
    // ...while the key holder, from the same address, still has all of theirs.
    const withKey = () => request(api.app).get(unknownCampaign()).set('authorization', `Bearer ${API_KEY}`);
    for (let i = 0; i < 3; i++) await withKey().expect(404);
    const res = await withKey().expect(429);
    expect(res.body.error.code).toBe('rate_limited');
  });

  it('0 turns it off', async () => {
    const api = await testApi({ RATE_LIMIT_PER_MIN: '0' });
    for (let i = 0; i < 30; i++) await request(api.app).get(unknownCampaign()).expect(404);
  });

  it('defaults to 600 a minute (webhooks 300,000); a bad value names its variable', () => {
    expect(loadConfig({}).rateLimit).toEqual({ perMinute: 600, webhooksPerMinute: 300_000 });
    for (const [variable, value] of [
      ['RATE_LIMIT_PER_MIN', '-1'],
      ['RATE_LIMIT_PER_MIN', '1.5'],
      ['WEBHOOK_RATE_LIMIT_PER_MIN', 'lots'],
    ] as const) {
      expect(() => loadConfig({ [variable]: value })).toThrow(ConfigError);
      expect(() => loadConfig({ [variable]: value })).toThrow(new RegExp(`^${variable}:`));
    }
  });
});

describe('webhooks are never starved', () => {
  it('2000 signed status webhooks in a burst all get 204, with the management limit used up', async () => {
    const api = await testApi({
      WEBHOOK_SECRET,
      TELEPHONY_BASE_URL: 'http://provider.invalid',
      RATE_LIMIT_PER_MIN: '2',
    });
    const campaignId = uniqueCampaignId('edge-burst');
    await request(api.app).post('/campaigns').send({ campaignId, numbers: ['+8613800138000'] }).expect(201);
    await request(api.app).get('/campaigns').expect(200);
    await request(api.app).get('/campaigns').expect(429);

    const server = await listening(api.app);
    try {
      const BURST = 2000;
      const CONCURRENCY = 100;
      const statuses = new Map<number, number>();
      let next = 0;
      const started = Date.now();
      // `ringing` is checked against Temporal (the campaign must exist) but adds no history event.
      const sender = async () => {
        while (next < BURST) {
          const callId = makeCallId({ campaignId, numberIndex: next++, attempt: 1 });
          const res = await postWebhook(
            server,
            '/webhooks/call-status',
            { callId, status: 'ringing', timestamp: new Date().toISOString() },
            { secret: WEBHOOK_SECRET },
          );
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, sender));
      const seconds = (Date.now() - started) / 1000;
      expect(Object.fromEntries(statuses)).toEqual({ 204: BURST });
      // "In a few seconds": a burst far above any management limit, within one rate-limit window.
      expect(seconds).toBeLessThan(30);
    } finally {
      await close(server);
    }
  });

  it('WEBHOOK_RATE_LIMIT_PER_MIN caps one sender, in the error shape, before its body is read', async () => {
    const api = await testApi({ WEBHOOK_SECRET, WEBHOOK_RATE_LIMIT_PER_MIN: '3' });
    for (let i = 0; i < 3; i++) await postWebhook(api.app, '/webhooks/agent-status', {}).expect(401);
    const res = await postWebhook(api.app, '/webhooks/agent-status', 'x'.repeat(100 * 1024));
    expect(res.status).toBe(429);
    expect(res.body).toEqual({
      error: { code: 'rate_limited', message: expect.stringContaining('webhook'), details: expect.any(Object) },
    });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });
});

describe('requests Node refuses before Express', () => {
  it('431 headers_too_large in the error shape for a request line and headers over 16 KB', async () => {
    const api = await testApi();
    const server = await listening(api.app);
    try {
      const res = await request(server).get(`/campaigns?pad=${'x'.repeat(20_000)}`);
      expect(res.status).toBe(431);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ error: { code: 'headers_too_large', message: expect.any(String), details: null } });
    } finally {
      await close(server);
    }
  });
});
