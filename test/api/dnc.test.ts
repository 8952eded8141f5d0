/** The do-not-call list's routes on a real PostgreSQL (no worker needed), and the disposition webhook's do-not-call code. */
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { makeCallId } from '../../src/shared/callId';
import { postWebhook, testApi, type TestApi, uniqueCampaignId } from './helpers';

const secret = 'webhook-secret-for-dnc';
let api: TestApi;
beforeAll(async () => {
  api = await testApi({ WEBHOOK_SECRET: secret, TELEPHONY_BASE_URL: 'http://provider.invalid' });
});

const number = (i: number): string => `+86139${String(20_000_000 + i).slice(-8)}`;

describe('POST /dnc, GET and DELETE /dnc/:phone', () => {
  it('adds numbers (JSON), counts repeats and those listed already, rejects invalid ones, and finds them', async () => {
    const first = await request(api.app)
      .post('/dnc')
      .send({ numbers: [number(1), '13920000002', number(1), 'nope'], reason: 'asked on the phone', defaultRegion: 'CN' })
      .expect(200);
    expect(first.body).toEqual({ added: 2, already: 1, rejected: [{ index: 3, value: 'nope', reason: 'not_a_number' }] });
    expect((await request(api.app).post('/dnc').send({ numbers: [number(2)] }).expect(200)).body).toMatchObject({ added: 0, already: 1 });
    const entry = await request(api.app).get(`/dnc/${encodeURIComponent(number(1))}`).expect(200);
    expect(entry.body).toEqual({ phone: number(1), reason: 'asked on the phone', addedAt: expect.stringMatching(/^\d{4}-/) });
    // A national number with its region finds the same entry.
    expect((await request(api.app).get('/dnc/13920000002?defaultRegion=CN').expect(200)).body.phone).toBe(number(2));
    await request(api.app).delete(`/dnc/${encodeURIComponent(number(2))}`).expect(204);
    const gone = await request(api.app).get(`/dnc/${encodeURIComponent(number(2))}`).expect(404);
    expect(gone.body.error.code).toBe('not_on_list');
    expect((await request(api.app).delete(`/dnc/${encodeURIComponent(number(2))}`).expect(404)).body.error.code).toBe('not_on_list');
  });

  it('refuses bad requests with 400 naming the field, and changes nothing', async () => {
    const bad = await request(api.app).post('/dnc').send({ numbers: [number(3)], reason: '', colour: 'red' }).expect(400);
    expect(bad.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['(body)', 'reason']);
    expect((await request(api.app).get('/dnc/notanumber').expect(400)).body.error.details.fields).toEqual([{ field: 'phone', message: 'not_a_number' }]);
    await request(api.app).get(`/dnc/${encodeURIComponent(number(3))}`).expect(404);
    expect((await request(api.app).get('/dnc?cursor=garbage').expect(400)).body.error.details.fields[0].field).toBe('cursor');
  });

  it('adds 100,000 numbers from one CSV, and pages through the list and exports it whole', async () => {
    const many = Array.from({ length: 100_000 }, (_, i) => number(100_000 + i));
    const csv = ['phone,name', ...many.map((n, i) => `${n},person ${i}`)].join('\n');
    const added = await request(api.app).post('/dnc?reason=registry').set('content-type', 'text/csv').send(csv).expect(200);
    expect(added.body).toEqual({ added: 100_000, already: 0, rejected: [] });
    const { rows } = await api.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM dnc WHERE reason = 'registry'");
    expect(rows[0]!.n).toBe(100_000);

    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: request.Response = await request(api.app).get(`/dnc?limit=1000${cursor ? `&cursor=${cursor}` : ''}`).expect(200);
      for (const e of page.body.entries as Array<{ phone: string }>) seen.add(e.phone);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 200);
    expect(seen.size).toBe(100_001); // number(1) from the first test as well
    const exported = await request(api.app).get('/dnc.csv').expect(200).expect('content-type', /text\/csv/);
    const records = parse(exported.text, { columns: true }) as Array<{ phone: string; reason: string }>;
    expect(records).toHaveLength(100_001);
    expect(records.filter((r) => r.reason === 'registry')).toHaveLength(100_000);
  });

  it('needs the API key when API_KEY is set', async () => {
    const locked = await testApi({ API_KEY: 'k-dnc' });
    expect((await request(locked.app).get('/dnc').expect(401)).body.error.code).toBe('unauthorized');
    await request(locked.app).get('/dnc.csv').expect(401);
    await request(locked.app).get('/dnc').set('authorization', 'Bearer k-dnc').expect(200);
  });
});

describe('numbers on the list at import', () => {
  it('are rejected with reason do_not_call, and not imported', async () => {
    await request(api.app).post('/dnc').send({ numbers: [number(50)] }).expect(200);
    const campaignId = uniqueCampaignId('dnci');
    const created = await request(api.app).post('/campaigns').send({ campaignId, numbers: [number(51), number(50)] }).expect(201);
    expect(created.body).toMatchObject({ accepted: 1, duplicates: 0, rejected: [{ index: 1, value: number(50), reason: 'do_not_call' }] });
    const only = await request(api.app).post('/campaigns').send({ numbers: [number(50)] }).expect(400);
    expect(only.body.error).toMatchObject({ code: 'no_valid_numbers', details: { rejected: [{ index: 0, reason: 'do_not_call' }] } });
  });
});

describe('POST /webhooks/disposition', () => {
  it("keeps the code, puts a do-not-call number on the list, and refuses a callback without callbackAt or in the past", async () => {
    const campaignId = uniqueCampaignId('disp');
    await request(api.app).post('/campaigns').send({ campaignId, numbers: [number(60)] }).expect(201);
    const callId = makeCallId({ campaignId, numberIndex: 0, attempt: 1 });
    await postWebhook(api.app, '/webhooks/disposition', { callId, agentId: 'a1', code: 'do-not-call', note: 'rude' }, { secret: secret }).expect(204);
    await postWebhook(api.app, '/webhooks/disposition', { callId, agentId: 'a1', code: 'do-not-call', note: 'rude' }, { secret: secret }).expect(204);
    expect((await request(api.app).get(`/dnc/${encodeURIComponent(number(60))}`).expect(200)).body.reason).toMatch(/disposition/);
    const { rows } = await api.pool.query('SELECT code, note FROM disposition WHERE call_id = $1', [callId]);
    expect(rows).toEqual([{ code: 'do-not-call', note: 'rude' }]);
    const noTime = await postWebhook(api.app, '/webhooks/disposition', { callId, agentId: 'a1', code: 'callback' }, { secret: secret }).expect(400);
    expect(noTime.body.error.details.fields).toEqual([{ field: 'callbackAt', message: 'a callback needs callbackAt' }]);
    const past = { callId, agentId: 'a1', code: 'callback', callbackAt: new Date(Date.now() - 1000).toISOString() };
    expect((await postWebhook(api.app, '/webhooks/disposition', past, { secret: secret }).expect(400)).body.error.details.fields[0].field).toBe('callbackAt');
    const unknown = { callId: makeCallId({ campaignId: 'nobody-here', numberIndex: 0, attempt: 1 }), agentId: 'a1', code: 'sale' };
    expect((await postWebhook(api.app, '/webhooks/disposition', unknown, { secret: secret }).expect(404)).body.error.code).toBe('call_not_found');
    await postWebhook(api.app, '/webhooks/disposition', { callId, agentId: 'a1', code: 'sale' }, { secret: 'wrong-secret' }).expect(401);
  });
});
