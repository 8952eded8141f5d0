/** The do-not-call list's routes on a real PostgreSQL (no worker needed), and the disposition webhook's do-not-call code. */
import { parse } from 'csv-parse/sync';
import request from 'supertest';
import { MAX_NUMBERS } from '../../src/api/campaignRequest';
import { inTransaction } from '../../src/db/database';
import { addToDnc } from '../../src/db/dnc';
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

  it('adds the numbers of a CSV (a phone column among others), with the reason and region of the query', async () => {
    const csv = ['name,Phone', `ann,${number(10)}`, 'bob,13920000011', `ann again,${number(10)}`, 'carl,12'].join('\n');
    const res = await request(api.app).post('/dnc?reason=complaint&defaultRegion=CN').set('content-type', 'text/csv').send(csv).expect(200);
    expect(res.body).toEqual({ added: 2, already: 1, rejected: [{ index: 3, value: '12', reason: expect.any(String) }] });
    expect((await request(api.app).get(`/dnc/${encodeURIComponent(number(11))}`).expect(200)).body.reason).toBe('complaint');
  });

  it('refuses bad requests with 400 naming the field (or 415), and changes nothing', async () => {
    const bad = await request(api.app).post('/dnc').send({ numbers: [number(3)], reason: '', colour: 'red' }).expect(400);
    expect(bad.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['(body)', 'reason']);
    const empty = await request(api.app).post('/dnc').send({ numbers: [] }).expect(400);
    expect(empty.body.error.details.fields[0].field).toBe('numbers');
    const region = await request(api.app).post(`/dnc?defaultRegion=XX`).set('content-type', 'text/csv').send(`phone\n${number(3)}`).expect(400);
    expect(region.body.error.details.fields[0].field).toBe('defaultRegion');
    const noPhone = await request(api.app).post('/dnc').set('content-type', 'text/csv').send(`number\n${number(3)}`).expect(400);
    expect(noPhone.body.error.message).toContain('phone');
    expect((await request(api.app).post('/dnc').set('content-type', 'text/csv').expect(400)).body.error.code).toBe('invalid_request');
    expect((await request(api.app).post('/dnc').set('content-type', 'text/plain').send(number(3)).expect(415)).body.error.code).toBe('unsupported_media_type');
    expect((await request(api.app).get('/dnc/notanumber').expect(400)).body.error.details.fields).toEqual([{ field: 'phone', message: 'not_a_number' }]);
    expect((await request(api.app).delete('/dnc/13920000003').expect(400)).body.error.details.fields[0].field).toBe('phone');
    await request(api.app).get(`/dnc/${encodeURIComponent(number(3))}`).expect(404);
    expect((await request(api.app).get('/dnc?cursor=garbage').expect(400)).body.error.details.fields[0].field).toBe('cursor');
    for (const limit of ['0', '1001', 'ten']) {
      expect((await request(api.app).get(`/dnc?limit=${limit}`).expect(400)).body.error.details.fields[0].field).toBe('limit');
    }
  });

  it(`413 above ${MAX_NUMBERS} numbers: JSON before any is read, CSV as the rows stream in, and adds none`, async () => {
    // Short entries keep the body small: they are counted like any.
    const json = await request(api.app).post('/dnc').send({ numbers: Array.from({ length: MAX_NUMBERS + 1 }, () => '1') }).expect(413);
    expect(json.body.error).toMatchObject({ code: 'payload_too_large', details: { limit: MAX_NUMBERS, received: MAX_NUMBERS + 1 } });
    // Valid numbers first (staged when the limit is hit), then rows with an empty phone cell (an empty line would be skipped).
    const valid = Array.from({ length: 1_000 }, (_, i) => number(300_000 + i));
    const csv = ['phone,note', ...valid.map((n) => `${n},v`), ...Array.from({ length: MAX_NUMBERS + 1 - valid.length }, () => ',')].join('\n');
    const res = await request(api.app).post('/dnc').set('content-type', 'text/csv').send(csv).expect(413);
    expect(res.body.error).toMatchObject({ code: 'payload_too_large', details: { limit: MAX_NUMBERS, received: MAX_NUMBERS + 1 } });
    await request(api.app).get(`/dnc/${encodeURIComponent(valid[0]!)}`).expect(404);
  }, 120_000);

  it('adds 100,000 numbers from one CSV, and exports them all', async () => {
    const many = Array.from({ length: 100_000 }, (_, i) => number(100_000 + i));
    const csv = ['phone,name', ...many.map((n, i) => `${n},person ${i}`)].join('\n');
    const added = await request(api.app).post('/dnc?reason=registry').set('content-type', 'text/csv').send(csv).expect(200);
    expect(added.body).toEqual({ added: 100_000, already: 0, rejected: [] });
    const { rows } = await api.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM dnc WHERE reason = 'registry'");
    expect(rows[0]!.n).toBe(100_000);
    // Sent again, they are all on the list already.
    expect((await request(api.app).post('/dnc').set('content-type', 'text/csv').send(csv).expect(200)).body).toEqual({ added: 0, already: 100_000, rejected: [] });

    const exported = await request(api.app).get('/dnc.csv').expect(200).expect('content-type', /text\/csv/);
    const records = parse(exported.text, { columns: true }) as Array<{ phone: string; reason: string }>;
    expect(records.filter((r) => r.reason === 'registry').map((r) => r.phone).sort()).toEqual(many);
  }, 60_000);

  it('needs the API key when API_KEY is set', async () => {
    const locked = await testApi({ API_KEY: 'k-dnc' });
    expect((await request(locked.app).get('/dnc').expect(401)).body.error.code).toBe('unauthorized');
    await request(locked.app).post('/dnc').send({ numbers: [number(4)] }).expect(401);
    await request(locked.app).get(`/dnc/${encodeURIComponent(number(4))}`).expect(401);
    await request(locked.app).delete(`/dnc/${encodeURIComponent(number(4))}`).expect(401);
    await request(locked.app).get('/dnc.csv').expect(401);
    await request(locked.app).get('/dnc').set('authorization', 'Bearer wrong').expect(401);
    await request(locked.app).get('/dnc').set('authorization', 'Bearer k-dnc').expect(200);
    await request(locked.app).get('/dnc.csv').set('authorization', 'Bearer k-dnc').expect(200);
  });
});

describe('GET /dnc and GET /dnc.csv on a list of 250', () => {
  let list: TestApi;
  // Two additions: the first 100 share a time added (one transaction), so the numbers break the tie.
  const first = Array.from({ length: 100 }, (_, i) => number(5_000 + ((i * 37) % 100)));
  const second = Array.from({ length: 150 }, (_, i) => number(6_000 + ((i * 71) % 150)));
  const expected = [...[...first].sort(), ...[...second].sort()];
  beforeAll(async () => {
    list = await testApi();
    await request(list.app).post('/dnc').send({ numbers: first }).expect(200);
    await request(list.app).post('/dnc?reason=second').set('content-type', 'text/csv').send(['phone', ...second].join('\n')).expect(200);
  });

  it('pages by time added, then number, until nextCursor is null', async () => {
    const pages: Array<{ entries: Array<{ phone: string; reason: string | null; addedAt: string }>; nextCursor: string | null }> = [];
    let cursor: string | null = null;
    do {
      const page: request.Response = await request(list.app).get(`/dnc?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`).expect(200);
      pages.push(page.body);
      cursor = page.body.nextCursor;
    } while (cursor !== null && pages.length < 10);
    expect(pages.map((p) => p.entries.length)).toEqual([100, 100, 50]);
    const entries = pages.flatMap((p) => p.entries);
    expect(entries.map((e) => e.phone)).toEqual(expected);
    expect(entries[0]).toEqual({ phone: expected[0], reason: null, addedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(entries.at(-1)!.reason).toBe('second');
    // 100 by default; a page that holds the rest exactly has no next one.
    expect((await request(list.app).get('/dnc').expect(200)).body.entries).toHaveLength(100);
    expect((await request(list.app).get('/dnc?limit=250').expect(200)).body.nextCursor).toBeNull();
  });

  it('exports every entry as CSV, in the same order, with the same fields', async () => {
    const exported = await request(list.app).get('/dnc.csv').expect(200).expect('content-type', /text\/csv/).expect('content-disposition', /do-not-call\.csv/);
    expect(exported.text.split('\n')[0]).toBe('phone,reason,added_at');
    const records = parse(exported.text, { columns: true }) as Array<{ phone: string; reason: string; added_at: string }>;
    const { entries } = (await request(list.app).get('/dnc?limit=1000').expect(200)).body as { entries: Array<{ phone: string; reason: string | null; addedAt: string }> };
    expect(records).toEqual(entries.map((e) => ({ phone: e.phone, reason: e.reason ?? '', added_at: e.addedAt })));
  });
});

describe('addToDnc', () => {
  it("runs inside a caller's transaction: twice in one, and nothing left when it rolls back", async () => {
    const counts = await inTransaction(api.pool, async (client) => [
      await addToDnc(client, [{ phone: number(70) }, { phone: number(71) }], 'first'),
      await addToDnc(client, (async function* entries() {
        yield* [{ phone: number(71) }, { phone: number(72) }, { phone: number(72) }];
      })(), 'second'),
    ]);
    expect(counts).toEqual([{ added: 2, already: 0 }, { added: 1, already: 2 }]);
    const failing = inTransaction(api.pool, async (client) => {
      await addToDnc(client, [{ phone: number(73) }], null);
      throw new Error('the caller fails');
    });
    await expect(failing).rejects.toThrow('the caller fails');
    expect((await api.pool.query('SELECT phone, reason FROM dnc WHERE phone = ANY($1) ORDER BY phone', [[70, 71, 72, 73].map(number)])).rows).toEqual([
      { phone: number(70), reason: 'first' },
      { phone: number(71), reason: 'first' },
      { phone: number(72), reason: 'second' },
    ]);
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
