/**
 * Per-number results (GET /campaigns/:id/calls, results.csv) and numbers added to a running campaign,
 * on the real dev server, checked against what the simulated provider saw.
 */
import { parse } from 'csv-parse/sync';
import type { NumberResult } from '../../src/api/numberResults';
import type { CallRecord } from '../../src/simulator/ledger';
import { workflowIdFor } from '../../src/shared/callId';
import { eventually } from '../support/eventually';
import { recordHistories } from '../support/histories';
import { checkLedger, CLEAN } from '../support/ledgerChecks';
import { type InProcessDialer, startInProcessDialer, testNumbers } from '../support/inProcessDialer';

jest.setTimeout(120_000);


const outcomeOf = (call: CallRecord): string => (call.outcome === 'completed' ? 'answered' : String(call.outcome));

describe('per-number results and added numbers', () => {
  let dialer: InProcessDialer;
  beforeAll(async () => {
    dialer = await startInProcessDialer({ simulator: { agents: 5, answerRate: 0.5 } });
  });
  afterAll(() => dialer.stop());

  /** Every page of /calls, following nextCursor. */
  async function allCalls(campaignId: string, query = ''): Promise<{ calls: NumberResult[]; pages: number }> {
    const calls: NumberResult[] = [];
    let pages = 0;
    for (let cursor: string | null = ''; cursor !== null; pages++) {
      const res = await dialer.api('GET', `/campaigns/${campaignId}/calls?limit=7${query}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      calls.push(...(res.body.calls as NumberResult[]));
      cursor = res.body.nextCursor;
    }
    return { calls, pages };
  }

  it('reports every number of a finished campaign as the provider saw it, by page, filtered and as CSV', async () => {
    const numbers = testNumbers(30, '137');
    const csv = ['phone,name,region', ...numbers.map((n, i) => `${n},Client ${i},"North, ${i % 3}"`)].join('\n');
    const created = await fetch(`${dialer.apiUrl}/campaigns?campaignId=results-e2e&maxAttempts=2&retryDelaySec=0`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(created.status).toBe(201);
    const final = await dialer.waitForEnd('results-e2e');
    const ledger = dialer.simulator.ledger();
    expect(checkLedger(ledger, 'results-e2e', numbers, final, 2)).toEqual(CLEAN);

    const { calls, pages } = await allCalls('results-e2e');
    expect(pages).toBe(5);
    expect(calls.map((c) => c.index)).toEqual(numbers.map((_, i) => i));
    const placed = ledger.calls.filter((c) => c.campaignId === 'results-e2e');
    calls.forEach((result, i) => {
      const attempts = placed.filter((c) => c.to === numbers[i]).sort((a, b) => a.placedAt - b.placedAt);
      const last = attempts[attempts.length - 1]!;
      expect(result).toMatchObject({
        number: numbers[i],
        status: 'finished',
        attempts: attempts.length,
        lastOutcome: outcomeOf(last),
        agentId: last.agentId,
        talkSec: last.outcome === 'completed' ? last.durationSec : null,
        contact: { name: `Client ${i}`, region: `North, ${i % 3}` },
      });
      expect(Date.parse(result.firstDialledAt!)).toBeLessThanOrEqual(Date.parse(result.lastDialledAt!));
      expect(Date.parse(result.endedAt!)).toBeGreaterThanOrEqual(Date.parse(result.lastDialledAt!));
    });
    // Some numbers needed a second attempt, so the attempts really come from the calls.
    expect(calls.some((c) => c.attempts === 2)).toBe(true);

    const answered = await allCalls('results-e2e', '&outcome=answered');
    expect(answered.calls).toHaveLength(final.outcomes.answered);
    expect(answered.calls.every((c) => c.lastOutcome === 'answered')).toBe(true);
    expect((await allCalls('results-e2e', '&status=pending')).calls).toEqual([]);

    const exported = await fetch(`${dialer.apiUrl}/campaigns/results-e2e/results.csv`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(exported.headers.get('content-disposition')).toBe("attachment; filename=results-e2e-results.csv");
    const rows = parse(await exported.text(), { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(rows[0]!)).toEqual([
      'phone',
      'status',
      'attempts',
      'last_outcome',
      'agent_id',
      'talk_sec',
      'disposition',
      'first_dialled_at',
      'last_dialled_at',
      'ended_at',
      'name',
      'region',
    ]);
    expect(rows).toEqual(
      calls.map((c) => ({
        phone: c.number,
        status: c.status,
        attempts: String(c.attempts),
        last_outcome: c.lastOutcome ?? '',
        agent_id: c.agentId ?? '',
        talk_sec: c.talkSec === null ? '' : String(c.talkSec),
        disposition: c.disposition ?? '',
        first_dialled_at: c.firstDialledAt ?? '',
        last_dialled_at: c.lastDialledAt ?? '',
        ended_at: c.endedAt ?? '',
        name: c.contact!.name,
        region: c.contact!.region,
      })),
    );
    const busy = await fetch(`${dialer.apiUrl}/campaigns/results-e2e/results.csv?outcome=busy`);
    const busyRows = parse(await busy.text(), { columns: true }) as Array<Record<string, string>>;
    expect(busyRows).toHaveLength(final.outcomes.busy);

    await recordHistories(dialer.client, workflowIdFor('results-e2e'), 'results');
  });

  it('pages and exports a 100,000-number campaign without holding it: the export advances as the client reads', async () => {
    const count = 100_000;
    const numbers = testNumbers(count, '133');
    const note = 'n'.repeat(200); // 28 MB of CSV out: more than the sockets between server and client buffer
    const csv = ['phone,note', ...numbers.map((n) => `${n},${note}`)].join('\n');
    // Its only agent is one the agent system does not list: nothing is dialled, every number stays pending.
    const created = await fetch(`${dialer.apiUrl}/campaigns?campaignId=results-100k&agentIds=ghost`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(await created.json()).toMatchObject({ accepted: count });

    const tail = await dialer.api('GET', '/campaigns/results-100k/calls?cursor=99990&limit=1000');
    expect(tail.body.nextCursor).toBeNull();
    expect(tail.body.calls).toHaveLength(10);
    expect(tail.body.calls[9]).toEqual({
      index: count - 1,
      number: numbers[count - 1],
      status: 'pending',
      attempts: 0,
      lastOutcome: null,
      agentId: null,
      talkSec: null,
      disposition: null,
      firstDialledAt: null,
      lastDialledAt: null,
      endedAt: null,
      contact: { note },
    });
    // A filter nothing matches is answered by the database's index at once: no page, nowhere to go on.
    const none = await dialer.api('GET', '/campaigns/results-100k/calls?status=finished');
    expect(none.body).toEqual({ campaignId: 'results-100k', calls: [], nextCursor: null });

    const exported = async (): Promise<number> => {
      const text = await (await fetch(`${dialer.apiUrl}/metrics`)).text();
      return Number(/^dialer_result_rows_exported_total (\d+)/m.exec(text)?.[1]);
    };
    const before = await exported();
    const res = await fetch(`${dialer.apiUrl}/campaigns/results-100k/results.csv`);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let lines = 0;
    const readSome = async (): Promise<boolean> => {
      const { done, value } = await reader.read();
      if (value) lines += decoder.decode(value, { stream: true }).split('\n').length - 1;
      return !done;
    };
    await readSome();
    // The client stops reading: the server must stop too, well short of the whole campaign.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const whileHeld = (await exported()) - before;
    expect(whileHeld).toBeGreaterThan(0);
    expect(whileHeld).toBeLessThan(count / 2);
    while (await readSome());
    expect(lines).toBe(count + 1);
    expect((await exported()) - before).toBe(count);

    expect((await dialer.api('POST', '/campaigns/results-100k/cancel')).status).toBe(200);
  });

  it('exports a campaign imported from a results file with its columns renamed, not repeated', async () => {
    const [number] = testNumbers(1, '134');
    const csv = `phone,status,attempts,name\n${number},vip,3,Ann\n`;
    const created = await fetch(`${dialer.apiUrl}/campaigns?campaignId=reimported&agentIds=ghost`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(created.status).toBe(201);
    const exported = await (await fetch(`${dialer.apiUrl}/campaigns/reimported/results.csv`)).text();
    const [header, row] = exported.trim().split('\n');
    expect(header!.split(',').slice(-3)).toEqual(['contact_status', 'contact_attempts', 'name']);
    expect(row!.split(',').slice(-3)).toEqual(['vip', '3', 'Ann']);
    expect((await dialer.api('POST', '/campaigns/reimported/cancel')).status).toBe(200);
  });

  it('refuses bad result queries and unknown campaigns', async () => {
    expect((await dialer.api('GET', '/campaigns/results-e2e/calls?status=done')).body.error.code).toBe('invalid_request');
    expect((await dialer.api('GET', '/campaigns/results-e2e/calls?limit=0')).body.error.code).toBe('invalid_request');
    expect((await dialer.api('GET', '/campaigns/results-e2e/calls?cursor=abc')).body.error.code).toBe('invalid_request');
    expect((await dialer.api('GET', '/campaigns/results-e2e/calls?extra=1')).body.error.code).toBe('invalid_request');
    expect((await dialer.api('GET', '/campaigns/nope-1/calls')).status).toBe(404);
    expect((await fetch(`${dialer.apiUrl}/campaigns/nope-1/results.csv`)).status).toBe(404);
  });

  it('adds numbers to a running campaign: new ones are dialled once, those it has are reported and not dialled', async () => {
    const first = testNumbers(6, '135');
    const more = testNumbers(10, '135').slice(4); // two it already has, four new
    // Paused at once: the numbers are added while it is open, then it dials all of them.
    const created = await dialer.api('POST', '/campaigns', {
      campaignId: 'added-e2e',
      numbers: first,
      agentIds: ['a1', 'a2'],
    });
    expect(created.status).toBe(201);
    await dialer.api('POST', '/campaigns/added-e2e/pause');

    const added = await dialer.api('POST', '/campaigns/added-e2e/numbers', {
      numbers: [...more.map((n) => n.replace('+86', '')), more[5], 'garbage'],
      defaultRegion: 'CN',
    });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({
      campaignId: 'added-e2e',
      workflowId: workflowIdFor('added-e2e'),
      accepted: 4,
      duplicates: 1,
      // As the campaign holds them: E.164.
      alreadyInCampaign: [
        { index: 0, value: more[0] },
        { index: 1, value: more[1] },
      ],
      rejected: [{ index: 7, value: 'garbage', reason: 'not_a_number' }],
      total: 10,
    });
    // Nothing valid: refused, nothing changes.
    const none = await dialer.api('POST', '/campaigns/added-e2e/numbers', { numbers: ['x'] });
    expect(none).toMatchObject({ status: 400, body: { error: { code: 'no_valid_numbers' } } });
    // Only numbers it has: accepted 0, total unchanged.
    const again = await dialer.api('POST', '/campaigns/added-e2e/numbers', { numbers: [first[0]] });
    expect(again.body).toMatchObject({ accepted: 0, alreadyInCampaign: [{ index: 0 }], total: 10 });
    // CSV, with contact data for the added numbers.
    const viaCsv = await fetch(`${dialer.apiUrl}/campaigns/added-e2e/numbers`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: `phone,name\n${testNumbers(11, '135')[10]},Late Lucy\n`,
    });
    expect(await viaCsv.json()).toMatchObject({ accepted: 1, total: 11 });

    expect((await dialer.api('GET', '/campaigns/added-e2e')).body).toMatchObject({ total: 11, status: 'paused' });
    await dialer.api('POST', '/campaigns/added-e2e/resume');
    const final = await dialer.waitForEnd('added-e2e');
    const all = testNumbers(11, '135');
    expect(final).toMatchObject({ status: 'completed', total: 11, finished: 11 });
    expect(checkLedger(dialer.simulator.ledger(), 'added-e2e', all, final)).toEqual(CLEAN);
    const dialled = dialer.simulator
      .ledger()
      .calls.filter((c) => c.campaignId === 'added-e2e')
      .map((c) => c.to);
    expect(dialled.sort()).toEqual([...all].sort());

    const { calls } = await allCalls('added-e2e');
    expect(calls.map((c) => c.number)).toEqual(all);
    expect(calls[10]!.contact).toEqual({ name: 'Late Lucy' });

    const closed = await dialer.api('POST', '/campaigns/added-e2e/numbers', { numbers: [testNumbers(12, '135')[11]] });
    expect(closed).toMatchObject({ status: 409, body: { error: { code: 'campaign_closed' } } });
    const unknown = await dialer.api('POST', '/campaigns/nope-2/numbers', { numbers: [first[0]] });
    expect(unknown).toMatchObject({ status: 404, body: { error: { code: 'campaign_not_found' } } });
    const handle = dialer.client.workflow.getHandle(workflowIdFor('added-e2e'));
    expect(await eventually(async () => (await handle.describe()).status.name, (s) => s === 'COMPLETED')).toBe('COMPLETED');
    await recordHistories(dialer.client, handle.workflowId, 'added');
  });
});
