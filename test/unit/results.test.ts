/** Per-number results sent to the chunks, and numbers added to a running campaign: reducer rules, no server. */
import type { NumberChunks } from '../../src/workflows/definitions';
import { numberActivityOf } from '../../src/workflows/progress';
import {
  ADDITION_LEASE_MS,
  additionRefusal,
  type CampaignEvent,
  type Command,
  nextWakeAt,
  reduce,
  RESULTS_MAX_AGE_MS,
  RESULTS_PER_SEND,
} from '../../src/workflows/reducer';
import { type CampaignState, initialState } from '../../src/workflows/state';

const CHUNKS: NumberChunks = { total: 4, perChunk: 2, batchKey: 'k0' };

class Campaign {
  now = 1_000_000;
  commands: Command[] = [];
  state: CampaignState;

  constructor(
    total = CHUNKS.total,
    readonly recordResults = true,
    maxAttempts = 1,
  ) {
    this.state = initialState({
      campaignId: 'c1',
      name: 'test',
      total,
      settings: { maxAttempts, retryDelaySec: 60, maxConcurrentCalls: null },
      timing: { agentPollSec: 5, callSilenceSec: 30 },
      createdAt: new Date(this.now).toISOString(),
    });
  }

  send(event: CampaignEvent): Command[] {
    const chunks = { ...CHUNKS, total: this.state.total - (this.state.addedBatches ?? []).reduce((n, b) => n + b.total, 0) };
    const ctx = { now: this.now, numbers: { chunks }, startWork: true, recordResults: this.recordResults };
    const result = reduce(this.state, event, ctx);
    this.state = result.state;
    this.commands = result.commands;
    return result.commands;
  }

  agents(ids: string[]): Command[] {
    return this.send({ type: 'agentsListed', listing: { agents: ids.map((id) => ({ id, status: 'idle' })), requestedAt: this.now } });
  }

  end(callId: string, status: 'completed' | 'no-answer' | 'busy', durationSec?: number): Command[] {
    return this.send({ type: 'callStatus', callId, status, at: this.now, ...(durationSec === undefined ? {} : { durationSec }) });
  }

  sent(commands = this.commands) {
    return commands.flatMap((c) => (c.type === 'recordResults' ? [c] : []));
  }

  placed(commands = this.commands) {
    return commands.flatMap((c) => (c.type === 'placeCall' ? [c.input] : []));
  }
}

describe('per-number results', () => {
  it('sends every ended attempt to its chunk, with agent, outcome and talk seconds, by the end of the campaign', () => {
    const c = new Campaign(2);
    c.agents(['a1', 'a2']);
    const placedAt = c.now;
    c.now += 5_000;
    expect(c.sent(c.end('c1.0.1', 'completed', 42))).toEqual([]); // one result: kept until more gather
    c.now += 1_000;
    const last = c.sent(c.end('c1.1.1', 'no-answer'));
    expect(c.state.status).toBe('completed');
    expect(last).toEqual([
      {
        type: 'recordResults',
        chunkWorkflowId: 'campaign-numbers-c1.k0.0',
        results: [
          { numberIndex: 0, attempt: 1, agentId: 'a1', outcome: 'answered', final: true, talkSec: 42, dialledAt: placedAt, endedAt: placedAt + 5_000 },
          { numberIndex: 1, attempt: 1, agentId: 'a2', outcome: 'no-answer', final: true, talkSec: null, dialledAt: placedAt, endedAt: placedAt + 6_000 },
        ],
      },
    ]);
    expect(c.state.unsentResults).toEqual([]);
  });

  it('groups results by chunk, and sends once the oldest has waited long enough', () => {
    const c = new Campaign(4);
    c.agents(['a1', 'a2', 'a3', 'a4']);
    c.end('c1.0.1', 'busy');
    c.end('c1.3.1', 'busy');
    expect(c.state.unsentResults).toHaveLength(2);
    c.now += RESULTS_MAX_AGE_MS;
    const sent = c.sent(c.send({ type: 'tick' }));
    expect(sent.map((s) => [s.chunkWorkflowId, s.results.map((r) => r.numberIndex)])).toEqual([
      ['campaign-numbers-c1.k0.0', [0]],
      ['campaign-numbers-c1.k0.1', [3]],
    ]);
  });

  it('sends as soon as a batch is full', () => {
    const n = RESULTS_PER_SEND;
    const c = new Campaign(n + 1);
    const agents = Array.from({ length: n + 1 }, (_, i) => `a${i}`);
    c.agents(agents);
    for (let i = 0; i < n - 1; i++) expect(c.sent(c.end(`c1.${i}.1`, 'busy'))).toEqual([]);
    const sent = c.sent(c.end(`c1.${n - 1}.1`, 'busy'));
    expect(sent.flatMap((s) => s.results)).toHaveLength(n);
  });

  it('marks an attempt that will be retried as not final', () => {
    const c = new Campaign(1, true, 2);
    c.agents(['a1']);
    c.end('c1.0.1', 'no-answer');
    expect(c.state.unsentResults).toEqual([expect.objectContaining({ attempt: 1, final: false })]);
  });

  it('keeps nothing in runs recorded before results were kept', () => {
    const c = new Campaign(1, false);
    c.agents(['a1']);
    expect(c.sent(c.end('c1.0.1', 'completed'))).toEqual([]);
    expect(c.state.unsentResults).toBeUndefined();
  });

  it('tells the API which calls are in flight and what is not sent yet', () => {
    const c = new Campaign(2);
    c.agents(['a1', 'a2']);
    c.end('c1.0.1', 'busy');
    const activity = numberActivityOf(c.state, [CHUNKS]);
    expect(activity).toMatchObject({ status: 'running', closed: false, total: 2, batches: [CHUNKS] });
    expect(activity.live).toEqual([{ numberIndex: 1, attempt: 1, agentId: 'a2', placedAt: c.now }]);
    expect(activity.unsent.map((r) => r.numberIndex)).toEqual([0]);
  });
});

describe('adding numbers', () => {
  it('reserves the next indices, then dials the added numbers from their own chunks', () => {
    const c = new Campaign(1);
    c.agents(['a1']);
    expect(additionRefusal(c.state, c.now)).toBeNull();
    c.send({ type: 'numbersReserved', batchKey: 'k1' });
    expect(c.state.addition).toEqual({ batchKey: 'k1', first: 1, expiresAt: c.now + ADDITION_LEASE_MS });
    expect(additionRefusal(c.state, c.now)).toBe('busy'); // one addition at a time
    expect(additionRefusal(c.state, c.now, 'other')).toBe('busy');
    expect(additionRefusal(c.state, c.now, 'k1')).toBeNull();

    // The only number ends while the addition is under way: the campaign waits for it.
    c.end('c1.0.1', 'busy');
    expect(c.state.status).toBe('running');

    const placed = c.placed(c.send({ type: 'numbersAdded', batchKey: 'k1', batch: { total: 3, perChunk: 2, batchKey: 'k1' } }));
    expect(c.state.total).toBe(4);
    expect(c.state.addition).toBeNull();
    expect(c.state.addedBatches).toEqual([{ first: 1, total: 3, perChunk: 2, batchKey: 'k1' }]);
    expect(placed).toEqual([expect.objectContaining({ callId: 'c1.1.1', chunkWorkflowId: 'campaign-numbers-c1.k1.0' })]);
    c.end('c1.1.1', 'busy');
    c.end('c1.2.1', 'busy');
    expect(c.placed()).toEqual([expect.objectContaining({ callId: 'c1.3.1', chunkWorkflowId: 'campaign-numbers-c1.k1.1' })]);
    c.end('c1.3.1', 'busy');
    expect(c.state).toMatchObject({ status: 'completed', finished: 4 });
  });

  it('gives up a reservation with nothing to add, and a lapsed one lets the campaign complete', () => {
    const c = new Campaign(1);
    c.agents(['a1']);
    c.send({ type: 'numbersReserved', batchKey: 'k1' });
    c.send({ type: 'numbersAdded', batchKey: 'k1', batch: null });
    expect(c.state).toMatchObject({ addition: null, total: 1 });

    c.send({ type: 'numbersReserved', batchKey: 'k2' });
    c.end('c1.0.1', 'busy');
    expect(c.state.status).toBe('running');
    expect(nextWakeAt(c.state, c.now)).toBeLessThanOrEqual(c.now + ADDITION_LEASE_MS);
    c.now += ADDITION_LEASE_MS;
    expect(additionRefusal(c.state, c.now, 'k2')).toBe('busy');
    c.send({ type: 'tick' });
    expect(c.state).toMatchObject({ status: 'completed', addition: null });
    // Too late: the campaign has ended.
    expect(additionRefusal(c.state, c.now)).toBe('closed');
    c.send({ type: 'numbersAdded', batchKey: 'k2', batch: { total: 1, perChunk: 1, batchKey: 'k2' } });
    expect(c.state.total).toBe(1);
  });

  it('ignores an addition whose reservation is not the one held', () => {
    const c = new Campaign(1);
    c.send({ type: 'numbersReserved', batchKey: 'k1' });
    c.send({ type: 'numbersAdded', batchKey: 'zz', batch: { total: 2, perChunk: 2, batchKey: 'zz' } });
    expect(c.state).toMatchObject({ total: 1, addition: { batchKey: 'k1' } });
  });
});
