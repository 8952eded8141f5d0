/** API_KEY guards every /campaigns route (and only those). */
import request from 'supertest';
import { workflowIdFor } from '../../src/shared/callId';
import { campaignExists, testApi, type TestApi, uniqueCampaignId } from './helpers';

const API_KEY = 'k3y-for-tests';

describe('with API_KEY set', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi({ API_KEY, WEBHOOK_SECRET: 'whsec' });
  });

  const routes: Array<[string, string]> = [
    ['post', '/campaigns'],
    ['get', '/campaigns'],
    ['get', '/campaigns/some-id'],
    ['post', '/campaigns/some-id/pause'],
    ['post', '/campaigns/some-id/resume'],
    ['post', '/campaigns/some-id/cancel'],
  ];

  it.each(routes)('401 unauthorized for %s %s without a key', async (method, path) => {
    const res = await request(api.app)[method as 'get' | 'post'](path);
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String), details: null } });
  });

  it.each([
    ['a wrong key', `Bearer ${API_KEY}x`],
    ['a prefix of the key', `Bearer ${API_KEY.slice(0, -1)}`],
    ['another scheme', `Basic ${Buffer.from(`u:${API_KEY}`).toString('base64')}`],
    ['the bare key', API_KEY],
  ])('401 unauthorized with %s, and starts nothing', async (_what, authorization) => {
    const campaignId = uniqueCampaignId('auth');
    const res = await request(api.app)
      .post('/campaigns')
      .set('authorization', authorization)
      .send({ campaignId, numbers: ['+8613800138000'] });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthorized');
    expect(await campaignExists(api.client, campaignId)).toBe(false);
  });

  it('answers a request with the right key (any case of "Bearer")', async () => {
    const campaignId = uniqueCampaignId('auth-ok');
    const res = await request(api.app)
      .post('/campaigns')
      .set('authorization', `bearer ${API_KEY}`)
      .send({ campaignId, numbers: ['+8613800138000'] });
    expect(res.status).toBe(201);
    expect(res.body.workflowId).toBe(workflowIdFor(campaignId));
    await request(api.app).get('/campaigns').set('authorization', `Bearer ${API_KEY}`).expect(200);
  });

  it('does not ask webhooks for the API key: they are signed instead', async () => {
    const res = await request(api.app).post('/webhooks/call-status').send({});
    expect(res.status).toBe(401);
    expect(res.headers['www-authenticate']).toBeUndefined();
  });
});

describe('without API_KEY', () => {
  it('answers /campaigns without credentials', async () => {
    const api = await testApi();
    await request(api.app).get('/campaigns').expect(200);
  });
});
