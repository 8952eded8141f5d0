/** The schedule's SQL on a real PostgreSQL: leases, attempts and statuses are idempotent, and retries wait in the database. */
import pg from 'pg';
import { completeImport, findCampaign, insertCampaign, listCampaigns, liveCampaignsWithAgent, markStarted } from '../../src/db/campaigns';
import { insertStaged, stageNumbers, type StagedNumber } from '../../src/db/contacts';
import { inTransaction, type Pool } from '../../src/db/database';
import { checkBeforeDial, leaseNumbers, phoneOf, recordAttempts, recordCampaignStatus, scheduleCallback } from '../../src/db/schedule';
import type { LeaseRules } from '../../src/activities/types';
import { WEEKDAYS } from '../../src/shared/types';
import type { CampaignInput, AttemptResult } from '../../src/workflows/messages';
import { freshDatabaseUrl } from '../support/database';

let pool: Pool;
beforeAll(async () => {
  pool = new pg.Pool({ connectionString: await freshDatabaseUrl() });
});
afterAll(() => pool.end());

const T0 = Date.parse('2030-01-01T00:00:00Z');

const input = (campaignId: string): CampaignInput => ({
  campaignId,
  name: campaignId,
  total: 0,
  settings: { maxAttempts: 3, retryDelaySec: 60, maxConcurrentCalls: null },
  timing: { agentPollSec: 5, callSilenceSec: 60, lookupGiveUpSec: 900 },
  createdAt: new Date(T0).toISOString(),
});

async function* numbers(list: StagedNumber[]): AsyncGenerator<StagedNumber> {
  yield* list;
}

const phone = (i: number): string => `+86139${String(10_000_000 + i).slice(-8)}`;

/** A campaign with `count` numbers (and the repeats and held numbers `extra` brings), as the API imports it. */
/** Numbers without zones get Shanghai's (their campaigns here keep no hours unless a test says so). */
async function importNumbers(
  campaignId: string,
  list: Array<Omit<StagedNumber, 'zones'> & { zones?: string[] }>,
  first = 0,
  agentIds?: string[],
  settings?: Partial<CampaignInput['settings']>,
) {
  const withZones: StagedNumber[] = list.map((n) => ({ zones: ['Asia/Shanghai'], ...n }));
  return inTransaction(pool, async (db) => {
    if (first === 0) {
      await insertCampaign(db, {
        campaignId,
        name: campaignId,
        workflowId: `campaign-${campaignId}`,
        requestHash: 'h',
        input: { ...input(campaignId), ...(agentIds ? { agentIds } : {}), ...(settings ? { settings: { ...input(campaignId).settings, ...settings } } : {}) },
        summary: { accepted: 0, duplicates: 0, rejected: [] },
        createdAt: new Date(T0),
      });
    }
    const staged = await stageNumbers(db, numbers(withZones));
    const inserted = await insertStaged(db, campaignId, first, new Date(T0));
    await completeImport(db, campaignId, { total: first + inserted.inserted, columns: ['name'] });
    return { staged, ...inserted };
  });
}

const result = (campaignId: string, numberIndex: number, attempt: number, over: Partial<AttemptResult> = {}): AttemptResult => ({
  callId: `${campaignId}.${numberIndex}.${attempt}`,
  numberIndex,
  attempt,
  agentId: 'a1',
  outcome: 'no-answer',
  final: false,
  retryAt: T0 + 60_000,
  talkSec: null,
  dialledAt: T0,
  endedAt: T0 + 1_000,
  ...over,
});

describe('importing', () => {
  it('keeps the first of repeated numbers, in request order, and leaves out numbers the campaign has', async () => {
    const list = [0, 1, 0, 2, 1].map((n, index) => ({ index, phone: phone(n), contact: { name: `n${index}` } }));
    expect(await importNumbers('imp', list)).toMatchObject({ staged: 5, inserted: 3, alreadyHeld: [] });
    const more = [3, 1, 3].map((n, index) => ({ index, phone: phone(n) }));
    expect(await importNumbers('imp', more, 3)).toMatchObject({ staged: 3, inserted: 1, alreadyHeld: [{ index: 1, phone: phone(1) }] });
    expect(await Promise.all([0, 1, 2, 3].map((i) => phoneOf(pool, 'imp', i)))).toEqual([phone(0), phone(1), phone(2), phone(3)]);
    expect((await findCampaign(pool, 'imp'))?.total).toBe(4);
  });

  it('lists a campaign only once it has started, newest first', async () => {
    await importNumbers('listed', [{ index: 0, phone: phone(0) }]);
    expect((await listCampaigns(pool, 100)).map((c) => c.campaignId)).not.toContain('listed');
    await markStarted(pool, 'listed');
    expect(await listCampaigns(pool, 100)).toContainEqual({ campaignId: 'listed', name: 'listed', status: 'running', workflowId: 'campaign-listed' });
  });
});

describe('leases', () => {
  beforeAll(() => importNumbers('lease', [0, 1, 2, 3, 4].map((n) => ({ index: n, phone: phone(n) }))));

  it('take numbers never dialled in import order; a retried lease returns the same rows', async () => {
    const first = await leaseNumbers(pool, { campaignId: 'lease', leaseId: 'lease:1', count: 3, now: T0 });
    expect(first.numbers).toEqual([0, 1, 2].map((numberIndex) => ({ numberIndex, attempt: 1, previousOutcome: null })));
    expect(first.nextDueAt).toBe(T0); // more never-dialled numbers are due (since their import)
    expect(first.total).toBe(5);
    expect(await leaseNumbers(pool, { campaignId: 'lease', leaseId: 'lease:1', count: 3, now: T0 })).toEqual(first);
    const rest = await leaseNumbers(pool, { campaignId: 'lease', leaseId: 'lease:2', count: 10, now: T0 });
    expect(rest.numbers.map((n) => n.numberIndex)).toEqual([3, 4]);
    expect(rest.nextDueAt).toBeNull();
  });

  it('written attempts schedule retries in the database, idempotently; a retry is leased once due', async () => {
    const ended = [result('lease', 0, 1), result('lease', 1, 1, { outcome: 'answered', final: true, retryAt: null, talkSec: 42 })];
    await recordAttempts(pool, 'lease', ended);
    await recordAttempts(pool, 'lease', ended);
    const { rows } = await pool.query('SELECT call_id, talk_sec FROM attempt WHERE campaign_id = $1 ORDER BY call_id', ['lease']);
    expect(rows).toEqual([
      { call_id: 'lease.0.1', talk_sec: null },
      { call_id: 'lease.1.1', talk_sec: 42 },
    ]);
    const early = await leaseNumbers(pool, { campaignId: 'lease', leaseId: 'lease:3', count: 10, now: T0 + 59_999 });
    expect(early).toEqual({ numbers: [], nextDueAt: T0 + 60_000, total: 5 });
    const due = await leaseNumbers(pool, { campaignId: 'lease', leaseId: 'lease:4', count: 10, now: T0 + 60_000 });
    expect(due.numbers).toEqual([{ numberIndex: 0, attempt: 2, previousOutcome: 'no-answer' }]);
  });

  it('a count-0 lease only reads the total and the next due time', async () => {
    expect(await leaseNumbers(pool, { campaignId: 'lease', leaseId: 'lease:5', count: 0, now: T0 })).toEqual({
      numbers: [],
      nextDueAt: null,
      total: 5,
    });
  });
});

describe('campaign status', () => {
  it('is written in version order (a late write never undoes a newer one); a cancelled end finishes waiting numbers', async () => {
    await importNumbers('st', [0, 1, 2].map((n) => ({ index: n, phone: phone(n) })));
    await leaseNumbers(pool, { campaignId: 'st', leaseId: 'st:1', count: 2, now: T0 });
    await recordAttempts(pool, 'st', [result('st', 0, 1)]);
    await recordCampaignStatus(pool, { campaignId: 'st', status: 'paused', completedAt: null, version: 2 });
    await recordCampaignStatus(pool, { campaignId: 'st', status: 'running', completedAt: null, version: 1 });
    expect((await findCampaign(pool, 'st'))?.status).toBe('paused');
    const end = new Date(T0 + 5_000).toISOString();
    await recordCampaignStatus(pool, { campaignId: 'st', status: 'cancelled', completedAt: end, version: 3 });
    const campaign = await findCampaign(pool, 'st');
    expect({ status: campaign?.status, completedAt: campaign?.completedAt?.toISOString() }).toEqual({ status: 'cancelled', completedAt: end });
    const { rows } = await pool.query('SELECT number_index, state FROM contact WHERE campaign_id = $1 ORDER BY 1', ['st']);
    // Number 0 waited for a retry: finished; 1 was leased, never dialled, and 2 never leased: both stay pending.
    expect(rows.map((r: { state: string }) => r.state)).toEqual(['finished', 'leased', 'queued']);
  });
});

describe('the live campaigns of an agent', () => {
  it('are those running or paused that name the agent or take every agent; not those imported only, nor ended', async () => {
    const one = [{ index: 0, phone: phone(0) }];
    await importNumbers('ag-named', one, 0, ['x1', 'x2']);
    await importNumbers('ag-every', one);
    await importNumbers('ag-other', one, 0, ['x3']);
    await importNumbers('ag-paused', one, 0, ['x1']);
    await importNumbers('ag-ended', one, 0, ['x1']);
    await importNumbers('ag-imported', one, 0, ['x1']);
    for (const id of ['ag-named', 'ag-every', 'ag-other', 'ag-paused', 'ag-ended']) await markStarted(pool, id);
    await recordCampaignStatus(pool, { campaignId: 'ag-paused', status: 'paused', completedAt: null, version: 1 });
    await recordCampaignStatus(pool, { campaignId: 'ag-ended', status: 'completed', completedAt: new Date(T0).toISOString(), version: 1 });
    const ours = (ids: string[]) => ids.filter((id) => id.startsWith('campaign-ag-')).sort();
    expect(ours(await liveCampaignsWithAgent(pool, 'x1'))).toEqual(['campaign-ag-every', 'campaign-ag-named', 'campaign-ag-paused']);
    expect(ours(await liveCampaignsWithAgent(pool, 'x3'))).toEqual(['campaign-ag-every', 'campaign-ag-other']);
    expect(ours(await liveCampaignsWithAgent(pool, 'nobody'))).toEqual(['campaign-ag-every']);
  });
});

describe('calling rules at the lease', () => {
  const everyDay = (start: string, end: string) => ({ start, end, days: [...WEEKDAYS] });
  const lease = (campaignId: string, seq: number, now: number, rules: LeaseRules, count = 10) =>
    leaseNumbers(pool, { campaignId, leaseId: `${campaignId}:${seq}`, count, now, rules });

  it('leases a number only inside its window, across a daylight-saving change (New York, 2030-03-10)', async () => {
    const hours = everyDay('09:00', '10:00');
    await importNumbers('dst', [{ index: 0, phone: phone(0), zones: ['America/New_York'] }], 0, undefined, { callingHours: hours });
    // Saturday 08:30 EST: closed; it opens at 09:00 EST = 14:00Z.
    expect(await lease('dst', 1, Date.parse('2030-03-09T13:30:00Z'), { callingHours: hours })).toEqual({
      numbers: [],
      nextDueAt: Date.parse('2030-03-09T14:00:00Z'),
      total: 1,
    });
    // Sunday, after the change: 09:00 EDT is 13:00Z, an hour earlier in UTC than the day before.
    const sunday = await lease('dst', 2, Date.parse('2030-03-10T13:00:00Z'), { callingHours: hours });
    expect(sunday.numbers).toEqual([{ numberIndex: 0, attempt: 1, previousOutcome: null }]);
    const { rows } = await pool.query("SELECT reason, until FROM hold WHERE campaign_id = 'dst'");
    expect(rows).toEqual([{ reason: 'outside_hours', until: new Date('2030-03-09T14:00:00Z') }]);
  });

  it('leases a number that may lie in several zones only while the hours hold in all of them', async () => {
    const hours = everyDay('09:00', '20:00');
    await importNumbers('multi', [{ index: 0, phone: phone(0), zones: ['America/Los_Angeles', 'America/New_York'] }], 0, undefined, { callingHours: hours });
    // 10:00 in New York is 07:00 in Los Angeles: closed until 09:00 there (16:00Z).
    const early = await lease('multi', 1, Date.parse('2030-06-03T14:00:00Z'), { callingHours: hours });
    expect(early).toMatchObject({ numbers: [], nextDueAt: Date.parse('2030-06-03T16:00:00Z') });
    expect((await lease('multi', 2, Date.parse('2030-06-03T16:00:00Z'), { callingHours: hours })).numbers).toHaveLength(1);
  });

  it('finishes the numbers on the do-not-call list as do-not-call, and a retried lease says so again', async () => {
    await importNumbers('dncl', [0, 1].map((n) => ({ index: n, phone: phone(100 + n) })));
    await pool.query('INSERT INTO dnc (phone, reason) VALUES ($1, $2)', [phone(100), 'test']);
    const first = await lease('dncl', 1, T0, {});
    expect(first.numbers.map((n) => n.numberIndex)).toEqual([1]);
    expect(first.doNotCall).toEqual([{ numberIndex: 0, previousOutcome: null }]);
    expect(await lease('dncl', 1, T0, {})).toEqual(first);
    const { rows } = await pool.query("SELECT state, last_outcome FROM contact WHERE campaign_id = 'dncl' AND number_index = 0");
    expect(rows).toEqual([{ state: 'finished', last_outcome: 'do-not-call' }]);
  });

  it('holds a number back while the calls to it in any campaign fill its frequency cap', async () => {
    const shared = phone(200);
    await importNumbers('capx', [{ index: 0, phone: shared }]);
    await importNumbers('capy', [{ index: 0, phone: shared }]);
    await lease('capy', 1, T0, {});
    await recordAttempts(pool, 'capy', [result('capy', 0, 1, { dialledAt: T0, endedAt: T0 + 1_000 })]);
    const cap = { frequencyCap: { calls: 1, perHours: 1 } };
    const held = await lease('capx', 1, T0 + 600_000, cap);
    expect(held).toMatchObject({ numbers: [], nextDueAt: T0 + 3_600_000 });
    const { rows } = await pool.query("SELECT reason, until FROM hold WHERE campaign_id = 'capx'");
    expect(rows).toEqual([{ reason: 'frequency_cap', until: new Date(T0 + 3_600_000) }]);
    expect((await lease('capx', 2, T0 + 3_600_000, cap)).numbers).toEqual([{ numberIndex: 0, attempt: 1, previousOutcome: null }]);
    // While capx has it leased, that counts too (capy's own call has left the hour): capy's retry waits.
    expect((await lease('capy', 2, T0 + 3_600_000, cap)).numbers).toEqual([]);
  });

  it('queues a callback for an attempt already written, once; the lease gives it with its agent', async () => {
    await importNumbers('cbk', [{ index: 0, phone: phone(300) }]);
    await lease('cbk', 1, T0, {});
    await recordAttempts(pool, 'cbk', [result('cbk', 0, 1, { outcome: 'answered', final: true, retryAt: null })]);
    const request = { campaignId: 'cbk', callId: 'cbk.0.1', numberIndex: 0, attempt: 1, at: T0 + 60_000, agentId: 'a7' };
    expect(await scheduleCallback(pool, request)).toEqual({ change: 'reopened', outcome: 'answered' });
    expect(await scheduleCallback(pool, request)).toEqual({ change: 'none' });
    expect((await lease('cbk', 2, T0 + 59_999, {})).numbers).toEqual([]);
    expect((await lease('cbk', 3, T0 + 60_000, {})).numbers).toEqual([{ numberIndex: 0, attempt: 2, previousOutcome: 'answered', callback: { agentId: 'a7' } }]);
    // The callback's own end counts it, so the next lease knows the attempts that count.
    await recordAttempts(pool, 'cbk', [result('cbk', 0, 2, { wasCallback: true, retryAt: T0 + 120_000 })]);
    expect((await lease('cbk', 4, T0 + 120_000, {})).numbers).toEqual([{ numberIndex: 0, attempt: 3, previousOutcome: 'no-answer', counted: 1 }]);
  });

  it('checks a leased number right before its dial: listed since, or out of its hours since', async () => {
    const hours = everyDay('09:00', '10:00');
    await importNumbers('chk', [0, 1, 2].map((n) => ({ index: n, phone: phone(400 + n), zones: ['Europe/London'] })), 0, undefined, { callingHours: hours });
    const open = Date.parse('2030-01-07T09:59:00Z');
    await lease('chk', 1, open, { callingHours: hours });
    await pool.query('INSERT INTO dnc (phone) VALUES ($1)', [phone(400)]);
    expect(await checkBeforeDial(pool, 'chk', 0, open)).toEqual({ dial: false, held: 'do_not_call' });
    expect(await checkBeforeDial(pool, 'chk', 1, open)).toEqual({ dial: true, phone: phone(401) });
    const closed = Date.parse('2030-01-07T10:00:00Z');
    expect(await checkBeforeDial(pool, 'chk', 2, closed)).toEqual({ dial: false, held: 'outside_hours', nextOpenAt: Date.parse('2030-01-08T09:00:00Z') });
    const { rows } = await pool.query("SELECT number_index, state, last_outcome, due_at FROM contact WHERE campaign_id = 'chk' ORDER BY 1");
    expect(rows.map((r: { state: string; last_outcome: string | null }) => [r.state, r.last_outcome])).toEqual([
      ['finished', 'do-not-call'],
      ['leased', null],
      ['queued', null],
    ]);
    expect(rows[2].due_at).toEqual(new Date(T0)); // still due: it waits for its hours, not for a later time
  });
});
