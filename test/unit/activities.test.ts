/** The activities against a scripted HTTP peer: what they send, and how they classify answers. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createActivities, isRetryableStatus } from '../../src/activities';
import type { DialerActivities } from '../../src/activities/types';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let seen: Seen[] = [];
let reply: { status: number; body: unknown } = { status: 200, body: {} };
let activities: DialerActivities;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  activities = createActivities({
    telephonyBaseUrl: url,
    telephonyApiKey: 'provider-key',
    agentApiBaseUrl: `${url}/agent-system`,
    publicBaseUrl: 'https://dialer.example.com',
    logger: pino({ level: 'silent' }),
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  seen = [];
});

const input = { callId: 'c1.0.1', to: '+8613800138000', agentId: 'a1', campaignId: 'c1' };

describe('placeCall', () => {
  it('posts the call with its id as Idempotency-Key, the bearer key and the webhook URL', async () => {
    reply = { status: 201, body: { providerCallId: 'p-1' } };
    await expect(activities.placeCall(input)).resolves.toEqual({ placed: true, providerCallId: 'p-1' });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/calls' });
    expect(seen[0]!.headers['idempotency-key']).toBe('c1.0.1');
    expect(seen[0]!.headers.authorization).toBe('Bearer provider-key');
    expect(JSON.parse(seen[0]!.body)).toEqual({
      ...input,
      statusCallbackUrl: 'https://dialer.example.com/webhooks/call-status',
    });
  });

  it('sends the same key every time it is retried', async () => {
    reply = { status: 200, body: { providerCallId: 'p-1' } };
    await activities.placeCall(input);
    await activities.placeCall(input);
    expect(seen.map((s) => s.headers['idempotency-key'])).toEqual(['c1.0.1', 'c1.0.1']);
  });

  it.each([400, 403, 404, 409, 422])('treats %i as the provider refusing the call', async (status) => {
    reply = { status, body: { error: 'no' } };
    await expect(activities.placeCall(input)).resolves.toMatchObject({ placed: false, httpStatus: status });
  });

  it.each([408, 429, 500, 502, 503])('throws on %i so that Temporal retries with the same key', async (status) => {
    reply = { status, body: {} };
    await expect(activities.placeCall(input)).rejects.toThrow(String(status));
  });

  it('throws on a success without a providerCallId (a passing fault of the peer)', async () => {
    reply = { status: 201, body: 'not json' };
    await expect(activities.placeCall(input)).rejects.toThrow(/unexpected response body/);
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
