/** The activities against a scripted HTTP peer: what they send, and how they classify answers. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { type ActivityDeps, createActivities, isRetryableStatus, STALE_PLACEMENT_MS } from '../../src/activities';
import type { DialerActivities } from '../../src/activities/types';
import { openDatabase, type Database } from '../../src/db/database';
import { freshDatabaseUrl } from '../support/database';
import { seedCampaign } from '../support/seedCampaign';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let seen: Seen[] = [];
let reply: { status: number; body: unknown } = { status: 200, body: {} };
/** Replies by path, for the few tests that need the agent system and the provider to differ. */
let replyByPath: Record<string, { status: number; body: unknown }> = {};
let activities: DialerActivities;
let database: Database;
const TO = '+8613800138000';

beforeAll(async () => {
  // The number a call dials is read from the database: campaign c1 holds TO at index 0.
  database = openDatabase(await freshDatabaseUrl(), pino({ level: 'silent' }));
  await seedCampaign(
    database.pool,
    {
      campaignId: 'c1',
      name: 'c1',
      total: 1,
      settings: { maxAttempts: 1, retryDelaySec: 0, maxConcurrentCalls: null },
      timing: { agentPollSec: 5, callSilenceSec: 60, lookupGiveUpSec: 900 },
      createdAt: new Date().toISOString(),
    },
    [TO],
  );
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const r = replyByPath[req.url!] ?? reply;
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  activities = activitiesWith({});
});

/** The activities against the scripted peer, with extra dependencies. */
function activitiesWith(extra: Pick<ActivityDeps, 'agentClaims'>): DialerActivities {
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return createActivities({
    telephonyBaseUrl: url,
    telephonyApiKey: 'provider-key',
    agentApiBaseUrl: `${url}/agent-system`,
    publicBaseUrl: 'https://dialer.example.com',
    logger: pino({ level: 'silent' }),
    database: database.pool,
    ...extra,
  });
}
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await database.close();
});
beforeEach(() => {
  seen = [];
  replyByPath = {};
});

const input = { callId: 'c1.0.1', agentId: 'a1', campaignId: 'c1' };

/** Runs placeCall as Temporal would: a prompt first attempt unless the test says otherwise. */
function placeCall(attempt = 1, scheduledMsAgo = 0, from: DialerActivities = activities) {
  const scheduledAt = Date.now() - scheduledMsAgo;
  const env = new MockActivityEnvironment({
    attempt,
    scheduledTimestampMs: scheduledAt,
    currentAttemptScheduledTimestampMs: scheduledAt,
  });
  return env.run(from.placeCall, input);
}

describe('placeCall', () => {
  it('posts the call with its id as Idempotency-Key, the bearer key and the webhook URL', async () => {
    reply = { status: 201, body: { providerCallId: 'p-1' } };
    await expect(placeCall()).resolves.toEqual({ placed: true, providerCallId: 'p-1' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/calls' });
    expect(seen[0]!.headers['idempotency-key']).toBe('c1.0.1');
    expect(seen[0]!.headers.authorization).toBe('Bearer provider-key');
    expect(JSON.parse(seen[0]!.body)).toEqual({
      ...input,
      to: TO,
      statusCallbackUrl: 'https://dialer.example.com/webhooks/call-status',
    });
  });

  it('sends the same key every time it is retried', async () => {
    reply = { status: 200, body: { providerCallId: 'p-1' } };
    await placeCall();
    await placeCall();
    expect(seen.map((s) => s.headers['idempotency-key'])).toEqual(['c1.0.1', 'c1.0.1']);
  });

  it.each([400, 403, 404, 409, 422])('treats %i as the provider refusing the call', async (status) => {
    reply = { status, body: { error: 'no' } };
    await expect(placeCall()).resolves.toMatchObject({ placed: false, httpStatus: status });
  });

  it('masks a number the provider echoes, since the reason goes into the workflow history', async () => {
    reply = { status: 422, body: { error: 'cannot call +8613800138000' } };
    const result = await placeCall();
    expect(JSON.stringify(result)).not.toContain('13800138000');
    expect(result).toMatchObject({ reason: expect.stringContaining('86*********00') });
  });

  it.each([408, 429, 500, 502, 503])('throws on %i so that Temporal retries with the same key', async (status) => {
    reply = { status, body: {} };
    await expect(placeCall()).rejects.toThrow(String(status));
  });

  it('throws on a success without a providerCallId (a passing fault of the peer)', async () => {
    reply = { status: 201, body: 'not json' };
    await expect(placeCall()).rejects.toThrow(/unexpected response body/);
  });
});

describe('placeCall started late (a retry, or scheduled over STALE_PLACEMENT_MS ago)', () => {
  const agents = (status: string) => ({ status: 200, body: { agents: [{ id: 'a1', status }] } });

  it('asks the agent system first, and dials nothing for an agent no longer idle', async () => {
    replyByPath = { '/agent-system/agents': agents('offline') };
    const result = await placeCall(1, STALE_PLACEMENT_MS + 500);
    expect(result).toEqual({ placed: false, agentUnavailable: { status: 'offline', observedAt: expect.any(Number) } });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /agent-system/agents']);
  });

  it('dials when the agent is still idle, and a prompt first attempt asks nobody', async () => {
    replyByPath = { '/agent-system/agents': agents('idle'), '/calls': { status: 201, body: { providerCallId: 'p-1' } } };
    await expect(placeCall(1, STALE_PLACEMENT_MS + 500)).resolves.toEqual({ placed: true, providerCallId: 'p-1' });
    await placeCall();
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /agent-system/agents', 'POST /calls', 'POST /calls']);
  });

  it('on a retry, re-sends the key without asking the agent system when the provider has the call', async () => {
    replyByPath = {
      '/calls/c1.0.1': { status: 200, body: { callId: 'c1.0.1', status: 'ringing' } },
      '/agent-system/agents': agents('busy'),
      '/calls': { status: 200, body: { providerCallId: 'p-1' } },
    };
    await expect(placeCall(2)).resolves.toEqual({ placed: true, providerCallId: 'p-1' });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /calls/c1.0.1', 'POST /calls']);
  });

  it('on a retry the provider knows nothing of, checks the agent; an agent system that cannot answer does not stop the call', async () => {
    replyByPath = {
      '/calls/c1.0.1': { status: 404, body: {} },
      '/agent-system/agents': { status: 503, body: {} },
      '/calls': { status: 201, body: { providerCallId: 'p-2' } },
    };
    await expect(placeCall(3)).resolves.toEqual({ placed: true, providerCallId: 'p-2' });
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(['GET /calls/c1.0.1', 'GET /agent-system/agents', 'POST /calls']);
  });
});

describe('placeCall with agent claims (agents shared with other campaigns)', () => {
  const claims: Array<{ agentId: string; callId: string; campaignId: string }> = [];
  let granted = true;
  let claiming: DialerActivities;
  beforeAll(() => {
    claiming = activitiesWith({ agentClaims: { claim: async (request) => (claims.push(request), granted) } });
  });

  it('claims the agent for the call, then dials', async () => {
    granted = true;
    replyByPath = { '/calls': { status: 201, body: { providerCallId: 'p-1' } } };
    await expect(placeCall(1, 0, claiming)).resolves.toEqual({ placed: true, providerCallId: 'p-1' });
    expect(claims).toEqual([{ agentId: 'a1', callId: 'c1.0.1', campaignId: 'c1' }]);
  });

  it('dials nothing, and reports the agent busy, while a call of another campaign holds them', async () => {
    granted = false;
    const before = Date.now();
    const result = await placeCall(1, 0, claiming);
    expect(result).toEqual({ placed: false, agentUnavailable: { status: 'busy', observedAt: expect.any(Number) } });
    expect((result as { agentUnavailable: { observedAt: number } }).agentUnavailable.observedAt).toBeGreaterThanOrEqual(before);
    expect(seen).toEqual([]);
  });
});

describe('getCallStatus', () => {
  it('reads the call, and reports a 404 as not found', async () => {
    reply = { status: 200, body: { callId: 'c1.0.1', status: 'completed', durationSec: 42 } };
    await expect(activities.getCallStatus('c1.0.1')).resolves.toEqual({ found: true, status: 'completed', durationSec: 42 });
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/calls/c1.0.1' });
    reply = { status: 404, body: {} };
    await expect(activities.getCallStatus('c1.0.1')).resolves.toEqual({ found: false });
    reply = { status: 503, body: {} };
    await expect(activities.getCallStatus('c1.0.1')).rejects.toThrow('503');
  });
});

describe('listAgents', () => {
  it('returns the agents with the moment the request was sent', async () => {
    reply = { status: 200, body: { agents: [{ id: 'a1', status: 'idle' }, { id: 'a2', status: 'offline' }] } };
    const before = Date.now();
    const listing = await activities.listAgents();
    expect(listing.agents).toEqual([
      { id: 'a1', status: 'idle' },
      { id: 'a2', status: 'offline' },
    ]);
    expect(listing.requestedAt).toBeGreaterThanOrEqual(before);
    expect(listing.requestedAt).toBeLessThanOrEqual(Date.now());
    expect(seen[0]).toMatchObject({ method: 'GET', url: '/agent-system/agents' });
  });

  it('takes an agent in a status outside the contract as offline, and keeps the others', async () => {
    reply = { status: 200, body: { agents: [{ id: 'a1', status: 'lunch' }, { id: 'a2', status: 'idle' }] } };
    await expect(activities.listAgents()).resolves.toMatchObject({
      agents: [
        { id: 'a1', status: 'offline' },
        { id: 'a2', status: 'idle' },
      ],
    });
  });

  it('throws on a listing that is not one', async () => {
    reply = { status: 200, body: { agents: 'none' } };
    await expect(activities.listAgents()).rejects.toThrow(/unexpected response body/);
  });
});

it('retries exactly 408, 429 and 5xx', () => {
  expect([200, 400, 401, 404, 408, 429, 500, 503].filter(isRetryableStatus)).toEqual([408, 429, 500, 503]);
});
