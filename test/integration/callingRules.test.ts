/**
 * The calling rules on the real stack (dev server, PostgreSQL, the simulator over HTTP), judged by the
 * simulator's ledger: hours in the recipient's zones, the do-not-call list, retries by outcome, the
 * frequency cap across campaigns, and a same-agent callback. Windows are short and taken from the real
 * clock (they close within a minute); daylight-saving changes are covered with fixed clocks in
 * test/unit/callingWindow.test.ts and test/db/schedule.test.ts.
 */
import { signWebhook } from '../../src/api/signature';
import { isOpenAt, nextOpenAt } from '../../src/rules/callingWindow';
import type { CallRecord } from '../../src/simulator/ledger';
import { type CallingHours, type CampaignProgress, WEEKDAYS } from '../../src/shared/types';
import { workflowIdFor } from '../../src/shared/callId';
import { eventually } from '../support/eventually';
import { recordHistories } from '../support/histories';
import { type InProcessDialer, startInProcessDialer, testNumbers } from '../support/inProcessDialer';

jest.setTimeout(240_000);

const ZONES = ['Asia/Shanghai', 'Europe/London', 'America/New_York'] as const;
/** Calls are checked when the dialer decides; the provider hears of them a few ms later. */
const PLACEMENT_SLACK_MS = 1_000;

const callsOf = (dialer: InProcessDialer, campaignId: string): CallRecord[] =>
  dialer.simulator.ledger().calls.filter((c) => c.campaignId === campaignId);

async function progress(dialer: InProcessDialer, campaignId: string): Promise<CampaignProgress> {
  const res = await dialer.api('GET', `/campaigns/${campaignId}`);
  expect(res.status).toBe(200);
  return res.body as CampaignProgress;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read reply fields directly
async function postCsv(dialer: InProcessDialer, query: string, csv: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${dialer.apiUrl}/campaigns?${query}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv });
  return { status: res.status, body: await res.json() };
}

const clock = (d: Date, zone: string): string =>
  new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);

describe('calling hours in the recipient zones', () => {
  let dialer: InProcessDialer;
  beforeAll(async () => {
    dialer = await startInProcessDialer({ simulator: { agents: 2, answerRate: 1, busyRate: 0, failRate: 0, timeScale: 0.01 } });
  });
  afterAll(() => dialer.stop());

  it('dials each number only inside its own window, and waits with the rest when the window closes', async () => {
    // A window open now in Shanghai that closes at a minute boundary 25-85 s away; London and New York
    // reach the same local hours 8 and 13 hours later, so their numbers must wait.
    const closeAt = new Date(Math.ceil((Date.now() + 25_000) / 60_000) * 60_000);
    const hours: CallingHours = { start: clock(new Date(Date.now() - 60_000), 'Asia/Shanghai'), end: clock(closeAt, 'Asia/Shanghai'), days: [...WEEKDAYS] };
    if (hours.start >= hours.end) return; // the run straddles Shanghai's midnight: no such window today
    const numbers = testNumbers(600, '135');
    const zoneOf = (i: number): string => ZONES[i % 3]!;
    const csv = ['phone,timezone', ...numbers.map((n, i) => `${n},${zoneOf(i)}`)].join('\n');
    const created = await postCsv(dialer, `campaignId=hours-3z&callingHours=${hours.start}-${hours.end}`, csv);
    expect(created.status).toBe(201);
    expect(created.body.accepted).toBe(600);

    await eventually(() => Promise.resolve(Date.now()), (now) => now > closeAt.getTime() + 5_000, 120_000);
    const atClose = callsOf(dialer, 'hours-3z');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const calls = callsOf(dialer, 'hours-3z');
    expect(calls.length).toBe(atClose.length); // nothing dialled once closed
    expect(calls.length).toBeGreaterThan(0);
    const zoneOfNumber = new Map(numbers.map((n, i) => [n, zoneOf(i)]));
    const outside = calls.filter((c) => !isOpenAt([zoneOfNumber.get(c.to)!], hours, c.placedAt - PLACEMENT_SLACK_MS) && !isOpenAt([zoneOfNumber.get(c.to)!], hours, c.placedAt));
    expect(outside).toEqual([]);
    expect(new Set(calls.map((c) => zoneOfNumber.get(c.to)))).toEqual(new Set(['Asia/Shanghai']));

    const now = await progress(dialer, 'hours-3z');
    expect(now.status).toBe('running');
    expect(now.waiting.outsideHours).toBe(now.pending);
    expect(now.waiting.outsideHours).toBeGreaterThanOrEqual(400); // London's and New York's at least
    const londonOpens = nextOpenAt(['Europe/London'], hours, Date.now())!;
    expect(Date.parse(now.waiting.nextDialAt!)).toBe(londonOpens);

    // The audit of a New York number tells why it was never dialled.
    const audit = await dialer.api('GET', `/campaigns/hours-3z/numbers/${encodeURIComponent(numbers[2]!)}`);
    expect(audit.status).toBe(200);
    expect(audit.body).toMatchObject({ timeZones: ['America/New_York'], attempts: [], state: 'queued' });
    expect(audit.body.holds.map((h: { reason: string }) => h.reason)).toContain('outside_hours');
    expect((await dialer.api('POST', '/campaigns/hours-3z/cancel')).status).toBe(200);
  });
});

describe('do-not-call list, retry rules and the frequency cap', () => {
  let dialer: InProcessDialer;
  beforeAll(async () => {
    // Every call is busy: each number is retried until its rules stop it.
    dialer = await startInProcessDialer({ simulator: { agents: 4, answerRate: 0, busyRate: 1, failRate: 0, timeScale: 0.005 } });
  });
  afterAll(() => dialer.stop());

  it('refuses listed numbers at import and finishes a number listed mid-campaign as do-not-call', async () => {
    const [listed, later, ...others] = testNumbers(5, '136');
    expect((await dialer.api('POST', '/dnc', { numbers: [listed], reason: 'asked by phone' })).status).toBe(200);
    const created = await dialer.api('POST', '/campaigns', {
      campaignId: 'dnc-mid',
      numbers: [listed, later, ...others],
      agentIds: ['a1'],
      settings: { maxAttempts: 5, retry: { busy: { delaySec: 2 } } },
    });
    expect(created.status).toBe(201);
    expect(created.body.rejected).toEqual([{ index: 0, value: listed, reason: 'do_not_call' }]);
    await eventually(() => Promise.resolve(callsOf(dialer, 'dnc-mid')), (calls) => calls.some((c) => c.to === later && c.outcome !== null), 30_000);
    expect((await dialer.api('POST', '/dnc', { numbers: [later] })).status).toBe(200);
    const dialledBefore = callsOf(dialer, 'dnc-mid').filter((c) => c.to === later).length;
    const final = await dialer.waitForEnd('dnc-mid', 90_000);
    expect(callsOf(dialer, 'dnc-mid').filter((c) => c.to === listed)).toEqual([]);
    // One more dial at most: one already leased may have passed its check just before the listing.
    expect(callsOf(dialer, 'dnc-mid').filter((c) => c.to === later).length).toBeLessThanOrEqual(dialledBefore + 1);
    expect(final.outcomes['do-not-call']).toBe(1);
    expect(final).toMatchObject({ status: 'completed', total: 4, finished: 4 });
    const audit = await dialer.api('GET', `/campaigns/dnc-mid/numbers/${encodeURIComponent(later!)}`);
    expect(audit.body.doNotCall).not.toBeNull();
    await recordHistories(dialer.client, workflowIdFor('dnc-mid'), 'do-not-call');
  });

  it('keeps each campaign\'s retry rule by outcome, and the frequency cap counts the calls of both', async () => {
    const shared = testNumbers(3, '158');
    const [onlyA] = testNumbers(1, '159');
    const [onlyB] = testNumbers(1, '150');
    const capped = await dialer.api('POST', '/campaigns', {
      campaignId: 'cap-a',
      numbers: [...shared, onlyA],
      agentIds: ['a2', 'a3'],
      settings: { maxAttempts: 5, retry: { busy: { delaySec: 1 } }, frequencyCap: { calls: 2, perHours: 1 } },
    });
    const uncapped = await dialer.api('POST', '/campaigns', {
      campaignId: 'cap-b',
      numbers: [...shared, onlyB],
      agentIds: ['a4'],
      settings: { maxAttempts: 5, retry: { busy: { delaySec: 1, maxAttempts: 2 } } },
    });
    expect([capped.status, uncapped.status]).toEqual([201, 201]);
    const finalB = await dialer.waitForEnd('cap-b', 90_000);
    expect(finalB.outcomes.busy).toBe(4);
    // A stops at its cap: two calls to its own number, then it waits.
    await eventually(() => progress(dialer, 'cap-a'), (p) => p.inFlight === 0 && p.waiting.retryLater === p.pending && p.pending === 4, 60_000);
    const callsB = callsOf(dialer, 'cap-b');
    const callsA = callsOf(dialer, 'cap-a');
    for (const n of [...shared, onlyB]) expect(callsB.filter((c) => c.to === n)).toHaveLength(2); // busy: at most 2 attempts
    expect(callsA.filter((c) => c.to === onlyA)).toHaveLength(2);
    // Every call A placed found fewer than 2 calls to that number (either campaign) in the hour before it.
    const all = [...callsA, ...callsB];
    for (const call of callsA) {
      const before = all.filter((c) => c.to === call.to && c.placedAt < call.placedAt && c.placedAt > call.placedAt - 3_600_000);
      expect(before.length).toBeLessThan(2);
    }
    // A's retries are at least its busy delay apart.
    for (const n of [...shared, onlyA]) {
      const times = callsA.filter((c) => c.to === n).map((c) => c.placedAt).sort((x, y) => x - y);
      times.slice(1).forEach((t, i) => expect(t - times[i]!).toBeGreaterThanOrEqual(1_000));
    }
    // Its third attempt falls due a second after the second ended: the lease holds it back, and says so.
    const held = (r: { body: { holds: Array<{ reason: string }> } }) => r.body.holds.some((h) => h.reason === 'frequency_cap');
    const audit = await eventually(() => dialer.api('GET', `/campaigns/cap-a/numbers/${encodeURIComponent(onlyA!)}`), held, 20_000);
    expect(held(audit)).toBe(true);
    expect(callsOf(dialer, 'cap-a').filter((c) => c.to === onlyA)).toHaveLength(2);
    expect((await dialer.api('POST', '/campaigns/cap-a/cancel')).status).toBe(200);
  });
});

describe('callbacks', () => {
  let dialer: InProcessDialer;
  beforeAll(async () => {
    dialer = await startInProcessDialer({ simulator: { agents: 3, answerRate: 1, busyRate: 0, failRate: 0, timeScale: 0.02 } });
  });
  afterAll(() => dialer.stop());

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read reply fields directly
  async function disposition(body: Record<string, unknown>): Promise<{ status: number; body: any }> {
    const raw = JSON.stringify(body);
    const res = await fetch(`${dialer.apiUrl}/webhooks/disposition`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook(dialer.config.webhookSecret!, raw) },
      body: raw,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it('dials a same-agent callback at its time, to that agent only, without using an attempt', async () => {
    const numbers = testNumbers(30, '131');
    const created = await dialer.api('POST', '/campaigns', { campaignId: 'cb', numbers, settings: { maxAttempts: 1 } });
    expect(created.status).toBe(201);
    const [first] = await eventually(
      () => Promise.resolve(callsOf(dialer, 'cb').filter((c) => c.outcome === 'completed')),
      (done) => done.length > 0,
      30_000,
    );
    const callbackAt = Date.now() + 5_000;
    const sent = { callId: first!.callId, agentId: first!.agentId, code: 'callback', callbackAt: new Date(callbackAt).toISOString(), sameAgent: true, note: 'after lunch' };
    expect(await disposition(sent)).toEqual({ status: 204, body: undefined });
    expect((await disposition(sent)).status).toBe(204); // a repeated delivery is harmless
    expect((await disposition({ ...sent, callbackAt: new Date(Date.now() - 60_000).toISOString() })).body.error.details.fields).toEqual([
      { field: 'callbackAt', message: 'must be in the future' },
    ]);

    const final = await dialer.waitForEnd('cb', 120_000);
    expect(final).toMatchObject({ status: 'completed', total: 30, finished: 30 });
    const again = callsOf(dialer, 'cb').filter((c) => c.to === first!.to && c.callId !== first!.callId);
    expect(again).toHaveLength(1);
    expect(again[0]!.agentId).toBe(first!.agentId);
    expect(again[0]!.placedAt).toBeGreaterThanOrEqual(callbackAt);
    const audit = await dialer.api('GET', `/campaigns/cb/numbers/${encodeURIComponent(first!.to)}`);
    expect(audit.body.attempts).toHaveLength(2);
    expect(audit.body.attempts[0].disposition).toMatchObject({ code: 'callback', note: 'after lunch', sameAgent: true });
    await recordHistories(dialer.client, workflowIdFor('cb'), 'callback');
  });

  it('refuses bad calling rules with 400, naming the field', async () => {
    const numbers = testNumbers(1, '132');
    const refused = async (settings: Record<string, unknown>): Promise<string[]> => {
      const res = await dialer.api('POST', '/campaigns', { numbers, settings });
      expect(res.status).toBe(400);
      return res.body.error.details.fields.map((f: { field: string }) => f.field);
    };
    expect(await refused({ timeZone: 'Mars/Olympus_Mons' })).toEqual(['settings.timeZone']);
    expect(await refused({ callingHours: { start: '25:00', end: '26:00' } })).toEqual(['settings.callingHours.start', 'settings.callingHours.end']);
    expect(await refused({ callingHours: { start: '09:00', end: '20:00', days: [] } })).toEqual(['settings.callingHours.days']);
    expect(await refused({ callingHours: { start: '20:00', end: '09:00' } })).toEqual(['settings.callingHours.end']);
    expect(await refused({ frequencyCap: { calls: 0, perHours: 24 } })).toEqual(['settings.frequencyCap.calls']);
    expect(await refused({ retry: { answered: { delaySec: 1 } } })).toEqual(['settings.retry']);
    const csv = await postCsv(dialer, 'callingHours=25:00-26:00', `phone\n${numbers[0]}`);
    expect(csv.status).toBe(400);
    expect(csv.body.error.details.fields.map((f: { field: string }) => f.field)).toContain('callingHours');
    expect((await dialer.api('GET', '/campaigns')).body.map((c: { campaignId: string }) => c.campaignId)).toEqual(['cb']);
  });
});
