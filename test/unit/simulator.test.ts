/**
 * The built-in simulator, over real HTTP: a local receiver stands in for the dialer's webhooks.
 * A tiny timeScale makes a whole call last about a tenth of a second.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { ConfigError } from '../../src/config';
import type { AgentStatusReport, CallStatus, CallStatusReport } from '../../src/shared/types';
import { loadSimulatorEnv } from '../../src/simulator/env';
import { planCall } from '../../src/simulator/calls';
import { dispositionWebhookUrlOf } from '../../src/simulator/options';
import { mulberry32 } from '../../src/simulator/rng';
import {
  createSimulator,
  SimulatorOptionsError,
  type LedgerSnapshot,
  type Simulator,
  type SimulatorOptions,
} from '../../src/simulator/simulator';

const SECRET = 'test-secret';
const silent = pino({ level: 'silent' });

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  raw: string;
  body: unknown;
  reply: number;
}

/** A stand-in for the dialer's webhook endpoints; `respond` picks each reply's status. */
class Receiver {
  readonly received: Received[] = [];
  /** The reply's status; 0 drops the connection without a reply. */
  respond: (path: string, body: unknown, nth: number) => number = () => 204;
  private server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body: unknown = JSON.parse(raw);
      const reply = this.respond(req.url ?? '', body, this.received.length);
      this.received.push({ path: req.url ?? '', headers: req.headers, raw, body, reply });
      if (reply === 0) return req.socket.destroy(); // a network failure, as the sender sees it
      res.statusCode = reply;
      res.end();
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Accepted call-status webhooks of one call, in arrival order. */
  statuses(callId: string): CallStatus[] {
    return this.accepted('/call-status')
      .map((r) => r.body as CallStatusReport)
      .filter((b) => b.callId === callId)
      .map((b) => b.status);
  }

  agentEvents(agentId: string): AgentStatusReport[] {
    return this.accepted('/agent-status')
      .map((r) => r.body as AgentStatusReport)
      .filter((b) => b.agentId === agentId);
  }

  private accepted(path: string): Received[] {
    return this.received.filter((r) => r.path === path && r.reply >= 200 && r.reply < 300);
  }
}

/** Signed as the contract says, with a timestamp of about now. */
function expectSigned(r: Received): void {
  const ts = String(r.headers['x-dialer-timestamp']);
  expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(5);
  const expected = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${r.raw}`).digest('hex')}`;
  expect(r.headers['x-dialer-signature']).toBe(expected);
  expect(r.headers['content-type']).toBe('application/json');
}

async function waitFor(check: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

let receiver: Receiver;
let sim: Simulator | undefined;
let base = '';

async function startSim(options: SimulatorOptions = {}): Promise<Simulator> {
  sim = createSimulator({
    timeScale: 0.001,
    seed: 42,
    agents: 3,
    webhookSecret: SECRET,
    agentWebhookUrl: `${receiver.url}/agent-status`,
    webhookRetry: { minDelayMs: 5, maxDelayMs: 20 },
    logger: silent,
    ...options,
  });
  base = (await sim.start(0)).url;
  return sim;
}

function callBody(callId: string, agentId = 'a1') {
  const statusCallbackUrl = `${receiver.url}/call-status`;
  return { callId, to: '+8613800138000', agentId, campaignId: 'camp', statusCallbackUrl };
}

async function placeCall(
  body: object,
  headers: Record<string, string> = { 'Idempotency-Key': (body as { callId: string }).callId },
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${base}/calls`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

beforeEach(async () => {
  receiver = new Receiver();
  await receiver.start();
});

afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  await receiver.stop();
});

describe('POST /calls', () => {
  it('places a call once per Idempotency-Key and answers replays with the same providerCallId', async () => {
    await startSim({ answerRate: 0, busyRate: 1, failRate: 0 });
    const first = await placeCall(callBody('camp.0.1'));
    const again = await placeCall(callBody('camp.0.1'));
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    const ledger = sim!.ledger();
    expect(ledger.calls).toHaveLength(1);
    expect(ledger.replays).toBe(1);
    expect(ledger.violations).toEqual([]);
  });

  it('refuses a missing or mismatched Idempotency-Key and a bad body with 400', async () => {
    await startSim();
    expect((await placeCall(callBody('camp.0.1'), {})).status).toBe(400);
    expect((await placeCall(callBody('camp.0.1'), { 'Idempotency-Key': 'other' })).status).toBe(400);
    expect((await placeCall({ ...callBody('camp.0.1'), to: 'not a phone' })).status).toBe(400);
    expect((await placeCall({ callId: 'camp.0.1' })).status).toBe(400);
    const malformed = await fetch(`${base}/calls`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'x' },
      body: '{not json',
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'invalid_request' } });
    expect(sim!.ledger().calls).toEqual([]);
  });

  it('records double booking, a busy or offline agent and an unknown agent, and still places the calls', async () => {
    // rings ~60 s, so camp.0.1 still holds a1 however slowly the next request arrives
    await startSim({ answerRate: 0, busyRate: 0, failRate: 0, ringSec: [60_000, 60_000] });
    expect((await placeCall(callBody('camp.0.1', 'a1'))).status).toBe(201);
    expect((await placeCall(callBody('camp.1.1', 'a1'))).status).toBe(201);
    sim!.setAgentStatus('a2', 'offline');
    await sim!.webhooksIdle(); // the dialer has been told
    expect((await placeCall(callBody('camp.2.1', 'a2'))).status).toBe(201);
    expect((await placeCall(callBody('camp.3.1', 'ghost'))).status).toBe(201);

    const { calls, violations } = sim!.ledger();
    expect(calls).toHaveLength(4);
    expect(violations.map((v) => [v.type, v.callId, v.agentId])).toEqual([
      ['agent-double-booked', 'camp.1.1', 'a1'],
      ['agent-not-idle', 'camp.2.1', 'a2'],
      ['unknown-agent', 'camp.3.1', 'ghost'],
    ]);
    expect(violations[0]!.detail).toContain('camp.0.1');
  });

  it('excuses a busy or offline agent only while the dialer cannot know, or within the grace', async () => {
    const listAgents = () => fetch(`${base}/agents`).then((r) => r.json());
    await startSim({ agentWebhookUrl: undefined, answerRate: 0, busyRate: 0, failRate: 0, ringSec: [100, 100] });
    sim!.setAgentStatus('a1', 'offline');
    sim!.setAgentStatus('a2', 'busy');
    expect((await placeCall(callBody('camp.0.1', 'a1'))).status).toBe(201); // never told: excused
    await listAgents(); // told now
    expect((await placeCall(callBody('camp.1.1', 'a2'))).status).toBe(201);
    expect(sim!.ledger().violations.map((v) => [v.type, v.callId])).toEqual([['agent-not-idle', 'camp.1.1']]);
    await sim!.stop();

    await startSim({ agentWebhookUrl: undefined, agentReportGraceMs: 60_000, answerRate: 0, busyRate: 0, failRate: 0 });
    sim!.setAgentStatus('a1', 'offline');
    await listAgents();
    await placeCall(callBody('camp.0.1', 'a1'));
    expect(sim!.ledger().violations).toEqual([]);
  });
});

describe('injected faults', () => {
  const noOutcome = { answerRate: 0, busyRate: 0, failRate: 0, ringSec: [100, 100] as [number, number] };

  it('answers 503 without placing, or places and drops the connection; a retry finds the same call', async () => {
    await startSim({ ...noOutcome, faults: { callErrorRate: 1 } });
    expect((await placeCall(callBody('camp.0.1'))).status).toBe(503);
    expect(sim!.ledger().calls).toEqual([]);

    sim!.setFaults({ callErrorRate: 0, callLostResponseRate: 1 });
    await expect(placeCall(callBody('camp.0.1'))).rejects.toThrow();
    expect(sim!.ledger().calls.map((c) => c.callId)).toEqual(['camp.0.1']);

    sim!.setFaults({ callLostResponseRate: 0 });
    const retry = await placeCall(callBody('camp.0.1'));
    expect(retry).toEqual({ status: 200, json: { providerCallId: sim!.ledger().calls[0]!.providerCallId } });
    expect(sim!.ledger()).toMatchObject({ replays: 1, violations: [] });
    expect(sim!.faults().injected).toMatchObject({ callErrors: 1, callLostResponses: 1 });
  });

  it('leaves a hung POST /calls unanswered and unplaced', async () => {
    await startSim({ ...noOutcome, faults: { callHangRate: 1 } });
    const hung = fetch(`${base}/calls`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': 'camp.0.1' },
      body: JSON.stringify(callBody('camp.0.1')),
      signal: AbortSignal.timeout(200),
    });
    await expect(hung).rejects.toThrow();
    expect(sim!.ledger().calls).toEqual([]);
    expect(sim!.faults().injected.callHangs).toBe(1);
  });

  it('refuses the agent listing and loses agent changes while the agent system is down', async () => {
    await startSim({ faults: { agentSystemDown: true } });
    const listing = await fetch(`${base}/agents`);
    expect(listing.status).toBe(503);
    sim!.setAgentStatus('a1', 'offline');
    sim!.setFaults({ agentSystemDown: false });
    sim!.setAgentStatus('a2', 'busy');
    await sim!.webhooksIdle();
    expect(receiver.agentEvents('a1')).toEqual([]);
    expect(receiver.agentEvents('a2').map((e) => e.status)).toEqual(['busy']);
    expect((await fetch(`${base}/agents`)).status).toBe(200);
    expect(sim!.faults().injected).toMatchObject({ agentListingsRefused: 1, agentWebhooksLost: 1 });
  });

  it('delays webhooks and sends some out of their order', async () => {
    await startSim({ agents: 1, faults: { webhookDelayMs: [5, 10], webhookReorderRate: 1 } });
    for (const status of ['busy', 'offline', 'idle', 'busy', 'offline', 'idle'] as const) sim!.setAgentStatus('a1', status);
    await sim!.webhooksIdle();
    const arrived = receiver.agentEvents('a1').map((e) => e.status);
    expect([...arrived].sort()).toEqual(['busy', 'busy', 'idle', 'idle', 'offline', 'offline']);
    expect(sim!.faults().injected).toMatchObject({ webhooksReordered: 6, webhooksDelayed: 6 });
  });

  it('refuses a bad fault setting over HTTP, alone or with the faults already set', async () => {
    await startSim({ faults: { callErrorRate: 0.6 } });
    const post = (body: unknown) =>
      fetch(`${base}/_sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post({ callErrorRate: 2 })).status).toBe(400);
    expect((await post({ unknownFault: 1 })).status).toBe(400);
    expect((await post({ callHangRate: 0.5 })).status).toBe(400);
    const ok = await post({ callHangRate: 0.4, webhookDelayMs: [0, 50] });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { faults: object }).faults).toMatchObject({ callErrorRate: 0.6, callHangRate: 0.4 });
  });
});

describe('call lifecycle', () => {
  it('posts signed status webhooks per call in order, ending in one terminal status', async () => {
    await startSim({ answerRate: 0.4, busyRate: 0.2, failRate: 0.2, agents: 10 });
    const ids = Array.from({ length: 10 }, (_, i) => `camp.${i}.1`);
    await Promise.all(ids.map((id, i) => placeCall(callBody(id, `a${i + 1}`))));
    await waitFor(() => sim!.ledger().calls.every((c) => c.outcome !== null));
    await sim!.webhooksIdle();

    const allowed: Record<string, CallStatus[]> = {
      completed: ['initiated', 'ringing', 'answered', 'completed'],
      busy: ['initiated', 'ringing', 'busy'],
      failed: ['initiated', 'ringing', 'failed'],
      'no-answer': ['initiated', 'ringing', 'no-answer'],
    };
    for (const call of sim!.ledger().calls) {
      expect(receiver.statuses(call.callId)).toEqual(allowed[call.outcome!]);
      expect(call.endedAt).not.toBeNull();
    }
    for (const r of receiver.received) expectSigned(r);
  });

  it('makes the agent busy from answer through wrap-up, then idle, and reports the duration', async () => {
    await startSim({ answerRate: 1, busyRate: 0, failRate: 0, talkSec: [30, 30], wrapUpSec: [80, 80] });
    await placeCall(callBody('camp.0.1', 'a1'));
    await waitFor(() => receiver.statuses('camp.0.1').includes('completed'));
    // Completed, but wrap-up (~80 ms) keeps the agent busy.
    const during = (await (await fetch(`${base}/agents`)).json()) as { agents: Array<{ id: string; status: string }> };
    expect(during.agents.find((a) => a.id === 'a1')?.status).toBe('busy');
    await placeCall(callBody('camp.1.1', 'a1'));
    expect(sim!.ledger().violations.map((v) => v.type)).toEqual(['agent-not-idle']);

    await waitFor(() => receiver.agentEvents('a1').some((e) => e.status === 'idle'));
    expect(receiver.agentEvents('a1').map((e) => e.status)).toEqual(['busy', 'idle']);
    const completed = receiver.received.find(
      (r) => (r.body as CallStatusReport).status === 'completed',
    )!.body as CallStatusReport;
    expect(completed).toMatchObject({ callId: 'camp.0.1', durationSec: 30 });
    expect(new Date(completed.timestamp!).toISOString()).toBe(completed.timestamp);
    const record = sim!.ledger().calls.find((c) => c.callId === 'camp.0.1')!;
    expect(record).toMatchObject({ status: 'completed', outcome: 'completed', durationSec: 30 });
    expect(record.answeredAt).toBeGreaterThanOrEqual(record.placedAt);
    expect(record.endedAt).toBeGreaterThanOrEqual(record.answeredAt!);
    // The call that freed the agent (camp.1.1 took a1 over during camp.0.1's wrap-up) ended its wrap-up ~80 ms after it.
    const freeing = sim!.ledger().calls.filter((c) => c.wrapUpEndedAt !== null);
    expect(freeing.map((c) => c.callId)).toEqual(['camp.1.1']);
    expect(freeing[0]!.wrapUpEndedAt! - freeing[0]!.endedAt!).toBeGreaterThanOrEqual(60);
  });

  it('leaves the agent untouched by an unanswered call', async () => {
    await startSim({ answerRate: 0, busyRate: 1, failRate: 0 });
    await placeCall(callBody('camp.0.1', 'a1'));
    await waitFor(() => receiver.statuses('camp.0.1').includes('busy'));
    expect(receiver.agentEvents('a1')).toEqual([]);
  });

  it('keeps an agent set offline during the call offline after wrap-up', async () => {
    await startSim({ answerRate: 1, busyRate: 0, failRate: 0, talkSec: [30, 30], wrapUpSec: [5, 5] });
    await placeCall(callBody('camp.0.1', 'a1'));
    await waitFor(() => receiver.statuses('camp.0.1').includes('answered'));
    sim!.setAgentStatus('a1', 'offline');
    await waitFor(() => receiver.statuses('camp.0.1').includes('completed'));
    await new Promise((r) => setTimeout(r, 30));
    await sim!.webhooksIdle();
    expect(receiver.agentEvents('a1').map((e) => e.status)).toEqual(['busy', 'offline']);
  });

  it('is deterministic for a seed, whatever the order calls arrive in', () => {
    const profile = {
      answerRate: 0.6,
      busyRate: 0.15,
      failRate: 0.05,
      ringSec: [3, 15],
      talkSec: [20, 90],
      wrapUpSec: [3, 10],
    } as const;
    const a = Array.from({ length: 5 }, () => planCall(mulberry32(7), profile));
    expect(new Set(a.map((p) => JSON.stringify(p))).size).toBe(1);
    const rng = mulberry32(1);
    const outcomes = Array.from({ length: 2000 }, () => planCall(rng, profile).outcome);
    const share = outcomes.filter((o) => o === 'answered').length / outcomes.length;
    expect(share).toBeGreaterThan(0.55);
    expect(share).toBeLessThan(0.65);
  });
});

describe('webhook delivery', () => {
  it('retries 5xx and network-level failures in order, and drops a 4xx refusal', async () => {
    let failuresLeft = 3;
    receiver.respond = (path, body) => {
      if (path === '/call-status' && (body as CallStatusReport).status === 'ringing' && failuresLeft > 0) {
        failuresLeft--;
        return failuresLeft === 1 ? 0 : 503;
      }
      if (path === '/agent-status') return 400;
      return 204;
    };
    await startSim({ answerRate: 1, busyRate: 0, failRate: 0 });
    await placeCall(callBody('camp.0.1', 'a1'));
    await waitFor(() => receiver.statuses('camp.0.1').includes('completed'));
    expect(receiver.statuses('camp.0.1')).toEqual(['initiated', 'ringing', 'answered', 'completed']);
    expect(receiver.received.filter((r) => r.reply === 503 || r.reply === 0)).toHaveLength(3);
    const agentPosts = () => receiver.received.filter((r) => r.path === '/agent-status');
    await waitFor(() => agentPosts().length >= 2);
    await new Promise((r) => setTimeout(r, 30)); // time enough for a wrongful resend
    await sim!.webhooksIdle();
    // busy then idle, each refused once and never resent.
    expect(agentPosts().map((r) => (r.body as AgentStatusReport).status)).toEqual(['busy', 'idle']);
  });

  it('sends no signature header without a secret', async () => {
    await startSim({ webhookSecret: undefined, answerRate: 0, busyRate: 0, failRate: 1 });
    await placeCall(callBody('camp.0.1'));
    await waitFor(() => receiver.statuses('camp.0.1').includes('failed'));
    expect(receiver.received[0]!.headers['x-dialer-signature']).toBeUndefined();
    expect(receiver.received[0]!.headers['x-dialer-timestamp']).toMatch(/^\d+$/);
  });
});

describe('dispositions', () => {
  type Body = { callId: string; agentId: string; code: string; callbackAt?: string; sameAgent?: boolean; note?: string };
  const answered = { answerRate: 1, busyRate: 0, failRate: 0 };
  const posts = (path = '/disposition') => receiver.received.filter((r) => r.path === path);

  /** Places `n` calls, one per agent, and waits until every one has ended and every webhook is delivered. */
  async function callAll(n: number): Promise<void> {
    await Promise.all(Array.from({ length: n }, (_, i) => placeCall(callBody(`camp.${i}.1`, `a${i + 1}`))));
    await waitFor(() => sim!.ledger().calls.every((c) => c.endedAt !== null), 5_000);
    await sim!.webhooksIdle();
  }

  function postDisposition(body: unknown): Promise<Response> {
    return fetch(`${base}/_sim/dispositions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  it("are sent signed after answered calls, to the agent webhook's sibling URL, and kept in the ledger", async () => {
    const dispositions = { rate: 1, callbackRate: 0.5, callbackAfterSec: [60, 60] as [number, number] };
    await startSim({ ...answered, agents: 6, dispositions });
    await callAll(6);
    expect(posts()).toHaveLength(6);
    const { calls, dispositions: recorded } = sim!.ledger();
    expect(sim!.dispositions()).toEqual(recorded);
    for (const post of posts()) {
      expectSigned(post);
      const body = post.body as Body;
      const call = calls.find((c) => c.callId === body.callId)!;
      const record = recorded.find((d) => d.callId === body.callId)!;
      // Sent by the call's agent as its wrap-up starts.
      expect(body.agentId).toBe(call.agentId);
      expect(record.sentAt).toBeGreaterThanOrEqual(call.endedAt!);
      if (body.code === 'callback') {
        expect(Object.keys(body).sort()).toEqual(['agentId', 'callId', 'callbackAt', 'code', 'sameAgent']);
        expect(body.sameAgent).toBe(true);
        // 60 simulated seconds at timeScale 0.001: 60 ms after it was sent.
        expect(Date.parse(body.callbackAt!) - record.sentAt).toBeGreaterThan(50);
        expect(Date.parse(body.callbackAt!) - record.sentAt).toBeLessThanOrEqual(60);
      } else {
        expect(Object.keys(body).sort()).toEqual(['agentId', 'callId', 'code']);
        expect(['sale', 'not-interested', 'wrong-person']).toContain(body.code);
      }
      expect(record).toEqual({
        callId: body.callId,
        agentId: body.agentId,
        code: body.code,
        callbackAt: body.callbackAt === undefined ? null : Date.parse(body.callbackAt),
        sameAgent: body.sameAgent ?? null,
        note: null,
        sentAt: record.sentAt,
      });
    }
    expect(new Set(recorded.map((d) => d.code === 'callback'))).toEqual(new Set([true, false]));
  });

  it('follow the configured rates and codes, the same for the same seed', async () => {
    const dispositions = { rate: 0.5, callbackRate: 0.3, doNotCallRate: 0.3, sameAgentRate: 0, codes: ['sold'] };
    const run = async () => {
      await startSim({ ...answered, agents: 40, dispositions });
      await callAll(40);
      const sent = sim!.ledger().dispositions;
      await sim!.stop();
      return sent.map((d) => [d.callId, d.code, d.sameAgent]).sort();
    };
    const first = await run();
    expect(first.length).toBeGreaterThan(10);
    expect(first.length).toBeLessThan(30);
    expect(new Set(first.map(([, code]) => code))).toEqual(new Set(['callback', 'do-not-call', 'sold']));
    expect(first.filter(([, code]) => code === 'callback').every(([, , same]) => same === false)).toBe(true);
    expect(await run()).toEqual(first);
  });

  it('go to dispositionWebhookUrl when given, and nowhere when no URL can be derived', async () => {
    const dispositions = { rate: 1 };
    await startSim({ ...answered, dispositions, dispositionWebhookUrl: `${receiver.url}/desk/dispositions` });
    await callAll(2);
    expect(posts('/desk/dispositions')).toHaveLength(2);
    await sim!.stop();

    await startSim({ ...answered, dispositions, agentWebhookUrl: `${receiver.url}/agents-changed` });
    await callAll(2);
    expect(posts('/agents-changed').every((r) => 'status' in (r.body as object))).toBe(true);
    expect(sim!.ledger().dispositions).toEqual([]);
    const refused = await postDisposition({ callId: 'camp.0.1', code: 'sale' });
    expect(refused.status).toBe(409);
  });

  it('derive their URL from the agent webhook by its trailing /agent-status only', () => {
    const agentWebhookUrl = 'https://d.example/webhooks/agent-status?tenant=agent-status';
    expect(dispositionWebhookUrlOf({ agentWebhookUrl })).toBe('https://d.example/webhooks/disposition?tenant=agent-status');
    expect(dispositionWebhookUrlOf({ agentWebhookUrl, dispositionWebhookUrl: 'http://x/d' })).toBe('http://x/d');
    expect(dispositionWebhookUrlOf({ agentWebhookUrl: 'https://d.example/agent-status/v2' })).toBeUndefined();
    expect(dispositionWebhookUrlOf({})).toBeUndefined();
  });

  it('are sent exactly as asked by POST /_sim/dispositions, by the call\'s agent', async () => {
    await startSim({ answerRate: 0, busyRate: 1, failRate: 0 });
    await placeCall(callBody('camp.0.1', 'a2'));
    const asked = { callId: 'camp.0.1', code: 'callback', callbackAt: '2030-01-02T03:04:05.678Z', sameAgent: true, note: 'after lunch' };
    const res = await postDisposition(asked);
    expect(res.status).toBe(202);
    const record = (await res.json()) as { sentAt: number };
    await sim!.webhooksIdle();
    expect(posts().map((r) => r.body)).toEqual([{ ...asked, agentId: 'a2' }]);
    expectSigned(posts()[0]!);

    const ledger = (await (await fetch(`${base}/_sim/ledger`)).json()) as LedgerSnapshot;
    const expected = { ...asked, agentId: 'a2', callbackAt: Date.parse(asked.callbackAt), sentAt: record.sentAt };
    expect(ledger.dispositions).toEqual([expected]);
    expect(record).toEqual(expected);
    // What a callback check needs of the call it follows.
    expect(ledger.calls[0]).toMatchObject({ callId: 'camp.0.1', to: '+8613800138000', agentId: 'a2' });
    expect(ledger.calls[0]!.placedAt).toBeLessThanOrEqual(record.sentAt);

    expect((await postDisposition({ callId: 'nope.0.1', code: 'sale' })).status).toBe(404);
    for (const bad of [{ callId: 'camp.0.1' }, { ...asked, callbackAt: 'tomorrow' }, { ...asked, agentId: 'a1' }]) {
      expect((await postDisposition(bad)).status).toBe(400);
    }
    expect(sim!.ledger().dispositions).toHaveLength(1);
  });

  it('are none by default', async () => {
    await startSim(answered);
    await callAll(1);
    expect(posts()).toEqual([]);
    expect(sim!.ledger().dispositions).toEqual([]);
  });
});

describe('reads and admin routes', () => {
  it('answers GET /calls/:callId, 404 for an unknown call', async () => {
    await startSim({ answerRate: 0, busyRate: 0, failRate: 1 });
    await placeCall(callBody('camp.0.1'));
    const live = await fetch(`${base}/calls/camp.0.1`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ callId: 'camp.0.1', durationSec: 0 });
    await waitFor(() => sim!.ledger().calls[0]!.status === 'failed');
    const ended = await fetch(`${base}/calls/camp.0.1`);
    expect(await ended.json()).toEqual({ callId: 'camp.0.1', status: 'failed', durationSec: 0 });
    const missing = await fetch(`${base}/calls/nope.0.1`);
    expect(missing.status).toBe(404);
  });

  it('requires the bearer token on /calls and /agents when apiKey is set', async () => {
    await startSim({ apiKey: 'k3y' });
    expect((await placeCall(callBody('camp.0.1'))).status).toBe(401);
    expect((await fetch(`${base}/agents`)).status).toBe(401);
    expect((await fetch(`${base}/calls/camp.0.1`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    const ok = await placeCall(callBody('camp.0.1'), { 'Idempotency-Key': 'camp.0.1', Authorization: 'Bearer k3y' });
    expect(ok.status).toBe(201);
    const agents = await fetch(`${base}/agents`, { headers: { Authorization: 'Bearer k3y' } });
    expect(await agents.json()).toEqual({
      agents: [
        { id: 'a1', status: 'idle' },
        { id: 'a2', status: 'idle' },
        { id: 'a3', status: 'idle' },
      ],
    });
    expect((await fetch(`${base}/_sim/health`)).status).toBe(200);
  });

  it('serves the ledger and sets agent statuses under /_sim', async () => {
    await startSim();
    const set = await fetch(`${base}/_sim/agents/a2`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 'offline' }),
    });
    expect(set.status).toBe(200);
    await waitFor(() => receiver.agentEvents('a2').length === 1);
    expect(receiver.agentEvents('a2')[0]).toMatchObject({ agentId: 'a2', status: 'offline' });
    const bad = await fetch(`${base}/_sim/agents/a2`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 'sleeping' }),
    });
    expect(bad.status).toBe(400);
    const unknown = await fetch(`${base}/_sim/agents/zz`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ status: 'idle' }),
    });
    expect(unknown.status).toBe(404);
    expect(await (await fetch(`${base}/_sim/ledger`)).json()).toEqual({ calls: [], violations: [], replays: 0, dispositions: [] });
    expect(await (await fetch(`${base}/_sim/health`)).json()).toMatchObject({ ok: true, seed: 42 });
  });
});

describe('lifecycle of the simulator itself', () => {
  /** Timers and TCP handles, counted by kind. */
  function handles(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const r of process.getActiveResourcesInfo()) {
      if (r === 'Timeout' || r.startsWith('TCP')) counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    return counts;
  }

  function noMoreThan(baseline: Map<string, number>): boolean {
    return [...handles()].every(([kind, n]) => n <= (baseline.get(kind) ?? 0));
  }

  it('stop() leaves no timer, socket or server behind, even with calls and retries in flight', async () => {
    await receiver.stop();
    await new Promise((r) => setTimeout(r, 20)); // let earlier tests' sockets finish closing
    const before = handles();
    receiver = new Receiver();
    receiver.respond = () => 503; // every delivery keeps retrying
    await receiver.start();
    // Calls in a ~1 s talk, and each call's first webhook waiting ~1 s for its retry, when stop() comes.
    await startSim({
      answerRate: 1,
      busyRate: 0,
      failRate: 0,
      agents: 5,
      ringSec: [1, 1],
      talkSec: [1000, 1000],
      webhookRetry: { minDelayMs: 1000, maxDelayMs: 1000 },
    });
    await Promise.all([1, 2, 3, 4, 5].map((i) => placeCall(callBody(`camp.${i}.1`, `a${i}`))));
    await waitFor(() => receiver.received.length >= 5);
    await waitFor(() => sim!.ledger().calls.every((c) => c.status === 'answered'));
    await sim!.stop();
    await sim!.stop(); // idempotent
    sim = undefined;
    await receiver.stop();
    await waitFor(() => noMoreThan(before), 100);
    expect(noMoreThan(before)).toBe(true);
    receiver = new Receiver();
    await receiver.start(); // for afterEach
  });

  it('rejects bad options naming the option', () => {
    expect(() => createSimulator({ answerRate: 0.9, busyRate: 0.2, logger: silent })).toThrow(SimulatorOptionsError);
    expect(() => createSimulator({ ringSec: [5, 1], logger: silent })).toThrow(/ringSec/);
    expect(() => createSimulator({ timeScale: 0, logger: silent })).toThrow(/timeScale/);
  });
});

describe('environment of main.ts', () => {
  it('reads defaults and ranges', () => {
    const env = loadSimulatorEnv({ SIM_RING_SEC: '2-4', SIM_TALK_SEC: '10', SIM_AGENTS: 'x1, x2', PORT: '4000' });
    expect(env.port).toBe(3100);
    expect(env.options).toMatchObject({
      ringSec: [2, 4],
      talkSec: [10, 10],
      agents: ['x1', 'x2'],
      agentWebhookUrl: 'http://localhost:4000/webhooks/agent-status',
    });
    expect(loadSimulatorEnv({ PUBLIC_BASE_URL: 'https://d.example/' }).options.agentWebhookUrl).toBe(
      'https://d.example/webhooks/agent-status',
    );
    expect(loadSimulatorEnv({ SIM_AGENT_WEBHOOK_URL: 'off' }).options.agentWebhookUrl).toBeUndefined();
    const counted = loadSimulatorEnv({ SIM_AGENTS: '4', TELEPHONY_API_KEY: 'k' });
    expect(counted.options).toMatchObject({ agents: 4, apiKey: 'k' });
    const faulty = loadSimulatorEnv({ SIM_FAULTS: '{"callHangRate":0.1,"webhookDelayMs":[0,50]}', SIM_WEBHOOK_DUP_RATE: '0.25' });
    expect(faulty.options.faults).toEqual({ callHangRate: 0.1, webhookDelayMs: [0, 50], webhookDuplicateRate: 0.25 });
  });

  it.each([
    ['SIMULATOR_PORT', '70000'],
    ['SIM_ANSWER_RATE', '1.5'],
    ['SIM_RING_SEC', '9-3'],
    ['SIM_TALK_SEC', 'long'],
    ['SIM_TIME_SCALE', '0'],
    ['SIM_SEED', '1.5'],
    ['SIM_AGENTS', 'a b'],
    ['SIM_AGENT_WEBHOOK_URL', 'ftp://x'],
    ['SIM_FAULTS', '{"callHangRate":'],
    ['SIM_FAULTS', '{"callErrorRate":0.7,"callHangRate":0.7}'],
  ])('refuses a bad %s', (variable, value) => {
    expect(() => loadSimulatorEnv({ [variable]: value })).toThrow(ConfigError);
    try {
      loadSimulatorEnv({ [variable]: value });
    } catch (err) {
      expect((err as ConfigError).variable).toBe(variable);
    }
  });
});
