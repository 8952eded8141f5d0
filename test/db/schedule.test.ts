/** The schedule's SQL on a real PostgreSQL: leases, attempts and statuses are idempotent, and retries wait in the database. */
import pg from 'pg';
import { completeImport, findCampaign, insertCampaign, listCampaigns, liveCampaignsWithAgent, markStarted } from '../../src/db/campaigns';
import { insertStaged, stageNumbers, type StagedNumber } from '../../src/db/contacts';
import { inTransaction, type Pool } from '../../src/db/database';
import { leaseNumbers, phoneOf, recordAttempts, recordCampaignStatus } from '../../src/db/schedule';
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
async function importNumbers(campaignId: string, list: StagedNumber[], first = 0, agentIds?: string[]) {
  return inTransaction(pool, async (db) => {
    if (first === 0) {
      await insertCampaign(db, {
        campaignId,
        name: campaignId,
        workflowId: `campaign-${campaignId}`,
        requestHash: 'h',
        input: { ...input(campaignId), ...(agentIds ? { agentIds } : {}) },
        summary: { accepted: 0, duplicates: 0, rejected: [] },
        createdAt: new Date(T0),
      });
    }
    const staged = await stageNumbers(db, numbers(list));
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
    expect(first.nextDueAt).toBe(0); // more never-dialled numbers are due
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
