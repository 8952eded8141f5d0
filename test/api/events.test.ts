/**
 * The console's live feeds on the real stack: Server-Sent Events from one poll loop per thing
 * watched, however many pages watch it; the dry run of a campaign; the console's files and config.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { feedPolls } from '../../src/metrics/api';
import type { CampaignProgress } from '../../src/shared/types';
import { eventually } from '../support/eventually';
import { type InProcessDialer, startInProcessDialer, testNumbers } from '../support/inProcessDialer';

const API_KEY = 'events-test-key';
const AUTH = { authorization: `Bearer ${API_KEY}` };

interface ServerSentEvent {
  event: string;
  data: unknown;
}

/** An open event stream, its events parsed as they arrive. */
interface OpenStream {
  status: number;
  events: ServerSentEvent[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

async function openStream(url: string, headers: Record<string, string> = AUTH): Promise<OpenStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const events: ServerSentEvent[] = [];
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let split: number;
        while ((split = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, split);
          buffer = buffer.slice(split + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  return { status: res.status, events, ended, close: () => abort.abort() };
}

const latest = <T>(stream: OpenStream, event: string): T | undefined =>
  stream.events.filter((e) => e.event === event).at(-1)?.data as T | undefined;

async function pollsOf(feed: 'campaign' | 'campaign-list'): Promise<number> {
  return (await feedPolls.get()).values.find((v) => v.labels.feed === feed)?.value ?? 0;
}

let dialer: InProcessDialer;
let consoleDir: string;
beforeAll(async () => {
  consoleDir = mkdtempSync(path.join(os.tmpdir(), 'console-'));
  writeFileSync(path.join(consoleDir, 'index.html'), '<!doctype html><title>Dialer console</title>');
  dialer = await startInProcessDialer({ env: { API_KEY, CONSOLE_DIR: consoleDir }, simulator: { agents: 3 } });
});
afterAll(() => dialer?.stop());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read reply fields directly
async function post(pathname: string, body: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${dialer.apiUrl}${pathname}`, { method: 'POST', headers: { ...AUTH, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

describe('GET /events/campaigns/:id', () => {
  it('feeds 20 pages of one campaign from one poll loop: progress, agents one by one, and a bounded timeline', async () => {
    const campaignId = 'events-live';
    expect((await post('/campaigns', { campaignId, numbers: testNumbers(30, '151') })).status).toBe(201);
    // Paused, it stays live (its feed keeps polling) while the polls are counted.
    expect((await post(`/campaigns/${campaignId}/pause`, {})).status).toBe(200);
    const streams = await Promise.all(Array.from({ length: 20 }, () => openStream(`${dialer.apiUrl}/events/campaigns/${campaignId}`)));
    expect(streams.map((s) => s.status)).toEqual(Array(20).fill(200));
    await eventually(async () => streams.every((s) => latest<CampaignProgress>(s, 'progress')?.status === 'paused'), (ok) => ok, 10_000);
    const before = await pollsOf('campaign');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    // One loop of about a poll a second, not one per page.
    const polls = (await pollsOf('campaign')) - before;
    expect(polls).toBeGreaterThanOrEqual(2);
    expect(polls).toBeLessThanOrEqual(4);
    expect((await post(`/campaigns/${campaignId}/resume`, {})).status).toBe(200);
    await eventually(
      async () => streams.every((s) => latest<CampaignProgress>(s, 'progress')?.completedAt != null && latest(s, 'timeline') !== undefined),
      (done) => done,
      60_000,
    );

    const api = (await fetch(`${dialer.apiUrl}/campaigns/${campaignId}`, { headers: AUTH }).then((r) => r.json())) as CampaignProgress;
    for (const stream of streams) {
      const progress = latest<CampaignProgress>(stream, 'progress')!;
      expect(progress).toMatchObject({ campaignId, status: 'completed', total: 30, finished: api.finished, outcomes: api.outcomes });
      const { agents } = latest<{ agents: Array<{ agentId: string; state: string }> }>(stream, 'agents')!;
      expect(agents.map((a) => a.agentId)).toEqual(['a1', 'a2', 'a3']);
      for (const a of agents) expect(['idle', 'on-call', 'wrap-up', 'busy', 'offline']).toContain(a.state);
      const timeline = latest<{ bucketSec: number; points: Array<{ at: number; placed: number; answered: number }> }>(stream, 'timeline')!;
      expect(timeline.bucketSec).toBe(10);
      expect(timeline.points.length).toBeLessThanOrEqual(120);
      // Every attempt, by dial time: as many as the database holds.
      const attempts = await dialer.pool.query<{ n: number; answered: number }>(
        `SELECT count(*)::int AS n, (count(*) FILTER (WHERE outcome = 'answered'))::int AS answered FROM attempt WHERE campaign_id = $1`,
        [campaignId],
      );
      // The last timeline (sent once the campaign's last attempts are written) counts them all.
      const sums = async () => {
        const points = latest<typeof timeline>(stream, 'timeline')!.points;
        return [points.reduce((n, p) => n + p.placed, 0), points.reduce((n, p) => n + p.answered, 0)];
      };
      expect(await eventually(sums, ([placed]) => placed === attempts.rows[0]!.n, 10_000)).toEqual([attempts.rows[0]!.n, attempts.rows[0]!.answered]);
      // Each event is sent when its data changes: never the same progress twice in a row.
      const progressJson = stream.events.filter((e) => e.event === 'progress').map((e) => JSON.stringify(e.data));
      expect(progressJson.every((json, i) => i === 0 || json !== progressJson[i - 1])).toBe(true);
    }
    for (const stream of streams) stream.close();
  }, 90_000);

  it('tells a page of an unknown campaign so, and ends its stream', async () => {
    const stream = await openStream(`${dialer.apiUrl}/events/campaigns/no-such-campaign`);
    await stream.ended;
    expect(stream.events).toEqual([{ event: 'problem', data: { error: expect.objectContaining({ code: 'campaign_not_found' }) } }]);
  });

  it('needs the API key, like /campaigns', async () => {
    const res = await fetch(`${dialer.apiUrl}/events/campaigns`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });
});

describe('GET /events/campaigns', () => {
  it('lists the newest campaigns with their counts and answer rate, one poll loop for every page', async () => {
    const campaignId = 'events-list';
    expect((await post('/campaigns', { campaignId, numbers: testNumbers(5, '152') })).status).toBe(201);
    await post(`/campaigns/${campaignId}/pause`, {});
    const streams = await Promise.all(Array.from({ length: 20 }, () => openStream(`${dialer.apiUrl}/events/campaigns`)));
    type Listing = { campaigns: Array<{ campaignId: string; status: string; total: number; answerRate: number | null; createdAt: string }> };
    const listed = (s: OpenStream) => latest<Listing>(s, 'campaigns')?.campaigns.find((c) => c.campaignId === campaignId);
    await eventually(async () => streams.every((s) => listed(s)?.status === 'paused'), (ok) => ok, 20_000);
    const before = await pollsOf('campaign-list');
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    expect((await pollsOf('campaign-list')) - before).toBeLessThanOrEqual(3);
    for (const stream of streams) {
      expect(listed(stream)).toMatchObject({ total: 5, createdAt: expect.stringMatching(/^\d{4}-/) });
      // Newest first, and the ended one of the test above with its answer rate.
      const { campaigns } = latest<Listing>(stream, 'campaigns')!;
      expect(campaigns[0]!.campaignId).toBe(campaignId);
      const ended = campaigns.find((c) => c.campaignId === 'events-live');
      expect(ended?.status).toBe('completed');
      expect(ended?.answerRate).toEqual(expect.any(Number));
      stream.close();
    }
    await post(`/campaigns/${campaignId}/cancel`, {});
  }, 60_000);
});

describe('POST /campaigns?dryRun=true', () => {
  it('answers what a start would accept and reject (do-not-call included), and writes nothing', async () => {
    const numbers = testNumbers(4, '153');
    expect((await post('/dnc', { numbers: [numbers[3]] })).status).toBe(200);
    const preview = await post('/campaigns?dryRun=true', { campaignId: 'events-preview', numbers: [...numbers, numbers[0], 'nope'] });
    expect(preview).toEqual({
      status: 200,
      body: {
        dryRun: true,
        campaignId: 'events-preview',
        accepted: 3,
        duplicates: 1,
        rejected: [
          { index: 3, value: numbers[3], reason: 'do_not_call' },
          { index: 5, value: 'nope', reason: 'not_a_number' },
        ],
      },
    });
    const rows = await dialer.pool.query(`SELECT 1 FROM campaign WHERE campaign_id = 'events-preview'`);
    expect(rows.rowCount).toBe(0);
    // The same as CSV, with the settings as query parameters; bad settings get the usual 400.
    const csv = await fetch(`${dialer.apiUrl}/campaigns?dryRun=true&maxAttempts=2`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'text/csv' },
      body: `phone,name\n${numbers[1]},Ann\n12,Bob\n`,
    });
    expect(await csv.json()).toMatchObject({ dryRun: true, campaignId: null, accepted: 1, rejected: [{ index: 1, value: '12' }] });
    const bad = await post('/campaigns?dryRun=true', { numbers, settings: { maxAttempts: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields[0].field).toBe('settings.maxAttempts');
    expect((await post('/campaigns?dryRun=maybe', { numbers })).body.error.details.fields[0].field).toBe('dryRun');
    // The id stays free for the real start.
    expect((await post('/campaigns', { campaignId: 'events-preview', numbers })).status).toBe(201);
    expect((await post('/campaigns?dryRun=true', { campaignId: 'events-preview', numbers })).body.error.code).toBe('campaign_exists');
    await post('/campaigns/events-preview/cancel', {});
  });
});

describe('the console', () => {
  it('is served at / with its own CSP, and tells the page whether to sign in and where the Temporal UI is', async () => {
    const page = await fetch(`${dialer.apiUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Dialer console');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const config = await fetch(`${dialer.apiUrl}/console/config`).then((r) => r.json());
    expect(config).toEqual({ authRequired: true, namespace: dialer.config.temporal.namespace, temporalUiUrl: null });
    // The API's own answers keep their CSP of nothing at all.
    expect((await fetch(`${dialer.apiUrl}/healthz`)).headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});
