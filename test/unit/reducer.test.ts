import type { PlaceCallInput } from '../../src/activities/types';
import type { CampaignSettings } from '../../src/shared/types';
import { progressOf } from '../../src/workflows/progress';
import {
  type CampaignEvent,
  type Command,
  controlRefusal,
  freeAgents,
  nextWakeAt,
  reduce,
} from '../../src/workflows/reducer';
import { type CampaignState, initialState } from '../../src/workflows/state';

const NUMBERS = ['+8613800138000', '+8613800138001', '+8613800138002', '+8613800138003', '+8613800138004'];

/** A campaign driven event by event, with a clock the test moves. */
class Harness {
  state: CampaignState;
  now = 1_000_000;
  placed: PlaceCallInput[] = [];
  commands: Command[] = [];

  constructor(
    opts: { numbers?: string[]; agentIds?: string[]; settings?: Partial<CampaignSettings> } = {},
    readonly numbers = opts.numbers ?? NUMBERS,
  ) {
    this.state = initialState({
      campaignId: 'c1',
      name: 'test',
      total: this.numbers.length,
      agentIds: opts.agentIds,
      settings: { maxAttempts: 1, retryDelaySec: 60, maxConcurrentCalls: null, ...opts.settings },
      timing: { agentPollSec: 5, callSilenceSec: 30 },
      createdAt: new Date(this.now).toISOString(),
    });
  }

  send(event: CampaignEvent, startWork = true): Command[] {
    const result = reduce(this.state, event, { now: this.now, numbers: { inline: this.numbers }, startWork });
    this.state = result.state;
    this.commands = result.commands;
    for (const c of result.commands) if (c.type === 'placeCall') this.placed.push(c.input);
    return result.commands;
  }

  /** The first listing, as the workflow's start tick asks for it. */
  list(agents: Record<string, 'idle' | 'busy' | 'offline'>, at = this.now): Command[] {
    return this.send({
      type: 'agentsListed',
      listing: { agents: Object.entries(agents).map(([id, status]) => ({ id, status })), requestedAt: at },
    });
  }

  advance(ms: number): void {
    this.now += ms;
  }

  calls(commands = this.commands): PlaceCallInput[] {
    return commands.flatMap((c) => (c.type === 'placeCall' ? [c.input] : []));
  }

  callOf(agentId: string): string {
    const call = this.state.agents[agentId]?.callId;
    if (!call) throw new Error(`agent ${agentId} has no call`);
    return call;
  }

  status(callId: string, status: Parameters<typeof statusEvent>[1], at = this.now): Command[] {
    return this.send(statusEvent(callId, status, at));
  }

  agent(agentId: string, status: 'idle' | 'busy' | 'offline', at = this.now): Command[] {
    return this.send({ type: 'agentStatus', agentId, status, at });
  }

  progress() {
    return progressOf(this.state, 'campaign-c1');
  }
}

function statusEvent(
  callId: string,
  status: 'initiated' | 'ringing' | 'answered' | 'completed' | 'no-answer' | 'busy' | 'failed' | 'canceled',
  at: number,
): CampaignEvent {
  return { type: 'callStatus', callId, status, at };
}

function expectCountsAddUp(h: Harness): void {
  const p = h.progress();
  expect(p.pending + p.inFlight + p.finished).toBe(p.total);
  expect(Object.values(p.outcomes).reduce((a, b) => a + b, 0)).toBe(p.finished);
}

describe('start and agent listing', () => {
  it('asks for the agents on the first tick and dials nobody before knowing them', () => {
    const h = new Harness();
    expect(h.send({ type: 'tick' })).toEqual([{ type: 'listAgents' }]);
    expect(h.state.agentPollInFlight).toBe(true);
    expect(h.placed).toHaveLength(0);
  });

  it('takes every listed agent when none were named, and dials one number per idle agent', () => {
    const h = new Harness();
    h.send({ type: 'tick' });
    const cmds = h.list({ a1: 'idle', a2: 'busy', a3: 'idle', a4: 'offline' });
    expect(h.state.agentIds).toEqual(['a1', 'a2', 'a3', 'a4']);
    expect(h.calls(cmds).map((c) => [c.agentId, c.to])).toEqual([
      ['a1', NUMBERS[0]],
      ['a3', NUMBERS[1]],
    ]);
    expect(h.progress().agents).toEqual({ idle: 0, onCall: 2, busy: 1, offline: 1 });
    expectCountsAddUp(h);
  });

  it('only uses the named agents, and counts a named agent the system does not list as offline', () => {
    const h = new Harness({ agentIds: ['a2', 'a9'] });
    const cmds = h.list({ a1: 'idle', a2: 'idle' });
    expect(h.calls(cmds).map((c) => c.agentId)).toEqual(['a2']);
    expect(h.state.agents.a9?.status).toBe('offline');
    expect(h.state.agents.a1).toBeUndefined();
  });

  it('fails the campaign when the agent system lists no agent at all', () => {
    const h = new Harness();
    h.list({});
    expect(h.state.status).toBe('failed');
    expect(h.state.completedAt).not.toBeNull();
    expect(h.state.failureReason).toMatch(/no agents/);
  });

  it('gives call ids that name the campaign, the number and the attempt', () => {
    const h = new Harness();
    const [call] = h.calls(h.list({ a1: 'idle' }));
    expect(call).toEqual({ callId: 'c1.0.1', to: NUMBERS[0], agentId: 'a1', campaignId: 'c1' });
  });

  it('names the number-chunk workflow instead of the number when the batch is held in chunks', () => {
    const h = new Harness();
    const chunks = { total: NUMBERS.length, perChunk: 2, batchKey: 'k' };
    const listing = { agents: ['a1', 'a2', 'a3'].map((id) => ({ id, status: 'idle' as const })), requestedAt: h.now };
    const result = reduce(h.state, { type: 'agentsListed', listing }, { now: h.now, numbers: { chunks }, startWork: true });
    expect(result.commands).toEqual(
      ['c1.0.1', 'c1.1.1', 'c1.2.1'].map((callId, i) => ({
        type: 'placeCall',
        input: {
          callId,
          chunkWorkflowId: `campaign-numbers-c1.k.${Math.floor(i / 2)}`,
          agentId: `a${i + 1}`,
          campaignId: 'c1',
        },
      })),
    );
  });
});

describe('agent rules', () => {
  it('never gives an agent a second call while the first is live, whatever the agent system says', () => {
    const h = new Harness();
    h.list({ a1: 'idle' });
    const callId = h.callOf('a1');
    h.send({ type: 'callPlaced', callId });
    h.advance(10);
    expect(h.calls(h.agent('a1', 'idle'))).toHaveLength(0);
    expect(h.calls(h.list({ a1: 'idle' }))).toHaveLength(0);
    expect(h.calls(h.status(callId, 'ringing'))).toHaveLength(0);
    expect(h.placed).toHaveLength(1);
  });

  it('frees the agent at once when a call ends unanswered', () => {
    const h = new Harness();
    h.list({ a1: 'idle' });
    const first = h.callOf('a1');
    h.advance(100);
    const cmds = h.status(first, 'no-answer');
    expect(h.calls(cmds)).toEqual([expect.objectContaining({ agentId: 'a1', to: NUMBERS[1] })]);
  });

  it.each(['busy', 'offline'] as const)('keeps an agent reported %s during ringing free of new calls', (report) => {
    const h = new Harness();
    h.list({ a1: 'idle' });
    const callId = h.callOf('a1');
    h.advance(10);
    h.agent('a1', report);
    h.advance(10);
    expect(h.calls(h.status(callId, 'busy'))).toHaveLength(0);
    expect(freeAgents(h.state)).toEqual([]);
  });

  it('holds an agent in wrap-up after an answered call until the agent system reports idle after it ended', () => {
    const h = new Harness();
    h.list({ a1: 'idle' });
    const callId = h.callOf('a1');
    h.advance(1000);
    h.status(callId, 'answered');
    h.advance(1000);
    h.agent('a1', 'busy');
    h.advance(5000);
    const endedAt = h.now;
    expect(h.calls(h.status(callId, 'completed', endedAt))).toHaveLength(0);
    expect(h.progress().agents.busy).toBe(1);
    // An idle report from before the call ended (late, or a listing sent earlier) changes nothing.
    h.advance(10);
    expect(h.calls(h.agent('a1', 'idle', endedAt - 1))).toHaveLength(0);
    expect(h.calls(h.list({ a1: 'idle' }, endedAt - 500))).toHaveLength(0);
    h.send({ type: 'agentsListFailed' });
    // Idle reported after the end: dial again.
    h.advance(3000);
    expect(h.calls(h.agent('a1', 'idle', h.now))).toEqual([expect.objectContaining({ agentId: 'a1' })]);
  });

  it('accepts an idle report stamped the very moment the answered call ended, in either order', () => {
    for (const idleFirst of [true, false]) {
      const h = new Harness();
      h.list({ a1: 'idle' });
      const callId = h.callOf('a1');
      h.advance(1000);
      const end = h.now;
      if (idleFirst) h.agent('a1', 'idle', end);
      h.status(callId, 'completed', end);
      if (!idleFirst) h.agent('a1', 'idle', end);
      expect(h.state.agents.a1?.callId).not.toBeNull();
    }
  });

  it('treats an idle report that arrived before the late completed status as the end of wrap-up', () => {
    const h = new Harness();
    h.list({ a1: 'idle' });
    const callId = h.callOf('a1');
    h.advance(1000);
    h.status(callId, 'answered');
    h.agent('a1', 'busy');
    h.advance(5000);
    const ended = h.now;
    h.advance(3000);
    h.agent('a1', 'idle'); // after wrap-up, delivered before the `completed` status
    const cmds = h.status(callId, 'completed', ended);
    expect(h.calls(cmds)).toEqual([expect.objectContaining({ agentId: 'a1' })]);
  });

  it('does not trust a timestamp from its future or one that is not a time', () => {
    const h = new Harness({ numbers: NUMBERS.slice(0, 1), settings: { maxAttempts: 2, retryDelaySec: 10 } });
    h.list({ a1: 'idle' });
    h.status('c1.0.1', 'no-answer', h.now + 3_600_000); // provider clock an hour ahead
    expect(h.state.retries[0]?.dueAt).toBe(h.now + 10_000);
    h.agent('a1', 'busy', Number.NaN);
    expect(h.state.agents.a1).toMatchObject({ status: 'busy', reportedAt: h.now });
    h.advance(10);
    h.agent('a1', 'idle', h.now + 60_000);
    expect(h.state.agents.a1).toMatchObject({ status: 'idle', reportedAt: h.now });
    h.advance(10_000);
    expect(h.calls(h.send({ type: 'tick' }))).toEqual([expect.objectContaining({ callId: 'c1.0.2' })]);
  });

  it('ignores agent reports older than the last one applied', () => {
    const h = new Harness();
    h.list({ a1: 'idle', a2: 'idle' }, h.now);
    h.advance(100);
    h.agent('a2', 'offline', h.now);
    h.agent('a2', 'idle', h.now - 50);
    expect(h.state.agents.a2?.status).toBe('offline');
  });

  it('gives no call to busy or offline agents, and dials when they come back idle', () => {
    const h = new Harness();
    expect(h.calls(h.list({ a1: 'busy', a2: 'offline' }))).toHaveLength(0);
    h.advance(10);
    expect(h.calls(h.agent('a2', 'idle'))).toEqual([expect.objectContaining({ agentId: 'a2' })]);
  });

  it('ignores reports about agents outside the campaign', () => {
    const h = new Harness({ agentIds: ['a1'] });
    h.list({ a1: 'busy' });
    expect(h.calls(h.agent('zz', 'idle'))).toHaveLength(0);
    expect(h.state.agents.zz).toBeUndefined();
  });

  it('prefers the agent that has waited longest', () => {
    const h = new Harness({ numbers: [...NUMBERS, '+8613800138005', '+8613800138006'] });
    h.list({ a1: 'idle', a2: 'idle' });
    const c1 = h.callOf('a1');
    const c2 = h.callOf('a2');
    h.advance(10);
    h.status(c2, 'no-answer', h.now); // a2 free first and dialled at once
    h.advance(10);
    h.status(c1, 'busy', h.now);
    expect(h.placed.map((p) => p.agentId)).toEqual(['a1', 'a2', 'a2', 'a1']);
  });
});

describe('numbers and retries', () => {
  it('dials each number once and completes when the last call ends, with counts that add up', () => {
    const h = new Harness({ settings: { maxAttempts: 1 } });
    h.list({ a1: 'idle', a2: 'idle' });
    const outcomes = ['no-answer', 'busy', 'failed', 'canceled', 'no-answer'] as const;
    let i = 0;
    while (h.state.completedAt === null) {
      const callId = Object.keys(h.state.calls)[0]!;
      h.advance(100);
      h.status(callId, outcomes[i++ % outcomes.length]!);
      expectCountsAddUp(h);
    }
    expect(new Set(h.placed.map((p) => p.to))).toEqual(new Set(NUMBERS));
    expect(h.placed).toHaveLength(NUMBERS.length);
    expect(h.progress()).toMatchObject({
      status: 'completed',
      finished: 5,
      pending: 0,
      inFlight: 0,
      outcomes: { answered: 0, 'no-answer': 2, busy: 1, failed: 1, canceled: 1 },
    });
  });

  it('counts a completed call as answered and does not retry it', () => {
    const h = new Harness({ numbers: [NUMBERS[0]!], settings: { maxAttempts: 3 } });
    h.list({ a1: 'idle' });
    h.advance(10);
    h.status(h.callOf('a1'), 'completed');
    expect(h.progress()).toMatchObject({ status: 'completed', outcomes: { answered: 1 } });
  });

  it('retries an unanswered number after retryDelaySec, up to maxAttempts, with a new call id', () => {
    const h = new Harness({ numbers: [NUMBERS[0]!], settings: { maxAttempts: 2, retryDelaySec: 60 } });
    h.list({ a1: 'idle' });
    h.advance(10);
    h.status('c1.0.1', 'no-answer');
    expect(h.progress()).toMatchObject({ pending: 1, finished: 0, status: 'running' });
    expect(h.state.retries).toEqual([{ numberIndex: 0, attemptsMade: 1, lastOutcome: 'no-answer', dueAt: h.now + 60_000 }]);
    expect(nextWakeAt({ ...h.state, agentPollInFlight: true }, h.now)).toBe(h.now + 60_000);
    h.advance(59_000);
    expect(h.calls(h.send({ type: 'tick' }))).toHaveLength(0);
    h.advance(1_000);
    expect(h.calls(h.send({ type: 'tick' }))).toEqual([expect.objectContaining({ callId: 'c1.0.2', to: NUMBERS[0] })]);
    h.advance(10);
    h.status('c1.0.2', 'busy');
    expect(h.progress()).toMatchObject({ status: 'completed', finished: 1, outcomes: { busy: 1 } });
  });

  it('dials a due retry as soon as an agent frees up', () => {
    const h = new Harness({ numbers: NUMBERS.slice(0, 2), settings: { maxAttempts: 2, retryDelaySec: 0 } });
    h.list({ a1: 'idle' });
    h.advance(10);
    const cmds = h.status('c1.0.1', 'no-answer');
    expect(h.calls(cmds).map((c) => c.callId)).toEqual(['c1.0.2']);
  });

  it('respects maxConcurrentCalls', () => {
    const h = new Harness({ settings: { maxConcurrentCalls: 2 } });
    h.list({ a1: 'idle', a2: 'idle', a3: 'idle' });
    expect(h.placed).toHaveLength(2);
    h.advance(10);
    h.status(h.placed[0]!.callId, 'no-answer');
    expect(h.placed).toHaveLength(3);
    expect(Object.keys(h.state.calls)).toHaveLength(2);
  });

  it('finishes a number the provider refused as failed, without a retry, and frees the agent', () => {
    const h = new Harness({ numbers: NUMBERS.slice(0, 2), settings: { maxAttempts: 3, retryDelaySec: 0 } });
    h.list({ a1: 'idle' });
    const cmds = h.send({ type: 'callRefused', callId: 'c1.0.1' });
    expect(h.calls(cmds).map((c) => c.callId)).toEqual(['c1.1.1']);
    expect(h.state.retries).toEqual([]);
    expect(h.progress()).toMatchObject({ finished: 1, outcomes: { failed: 1 } });
  });
});

describe('a placement that started late and found the agent no longer idle', () => {
  it('dials nothing, takes the status found, and dials the number again with the same call id', () => {
    const h = new Harness({ numbers: NUMBERS.slice(0, 2) });
    h.list({ a1: 'idle', a2: 'offline' });
    expect(h.placed.map((c) => [c.callId, c.agentId])).toEqual([['c1.0.1', 'a1']]);
    h.advance(10);
    const cmds = h.send({ type: 'callNotDialled', callId: 'c1.0.1', agentStatus: 'offline', at: h.now - 5 });
    expect(h.calls(cmds)).toEqual([]);
    expect(h.state.agents.a1).toMatchObject({ status: 'offline', callId: null });
    expect(h.progress()).toMatchObject({ pending: 2, inFlight: 0, finished: 0, status: 'running' });
    expectCountsAddUp(h);
    // The number goes first to the next free agent, under the same key.
    expect(h.calls(h.agent('a2', 'idle')).map((c) => [c.callId, c.agentId])).toEqual([['c1.0.1', 'a2']]);
  });

  it('keeps the outcome of the attempt before, so a cancel finishes that number and leaves a never-dialled one pending', () => {
    const h = new Harness({ numbers: NUMBERS.slice(0, 2), settings: { maxAttempts: 2, retryDelaySec: 0 } });
    h.list({ a1: 'idle', a2: 'idle' });
    h.advance(10);
    h.status('c1.0.1', 'busy'); // a1 is free again and takes the retry at once
    expect(h.placed.map((c) => c.callId)).toEqual(['c1.0.1', 'c1.1.1', 'c1.0.2']);
    h.send({ type: 'callNotDialled', callId: 'c1.0.2', agentStatus: 'busy', at: h.now });
    h.send({ type: 'callNotDialled', callId: 'c1.1.1', agentStatus: 'offline', at: h.now });
    expect(h.state.retries.map((r) => [r.numberIndex, r.attemptsMade, r.lastOutcome])).toEqual([
      [0, 1, 'busy'],
      [1, 0, null],
    ]);
    h.send({ type: 'cancel' });
    expect(h.progress()).toMatchObject({ status: 'cancelled', finished: 1, pending: 1, outcomes: { busy: 1 } });
    expect(h.progress().completedAt).not.toBeNull();
    expectCountsAddUp(h);
  });

  it('ignores a late result for a call that is no longer in flight', () => {
    const h = new Harness({ numbers: NUMBERS.slice(0, 2) });
    h.list({ a1: 'idle' });
    h.advance(10);
    h.status('c1.0.1', 'no-answer');
    expect(h.callOf('a1')).toBe('c1.1.1');
    const before = h.state;
    h.send({ type: 'callNotDialled', callId: 'c1.0.1', agentStatus: 'offline', at: h.now });
    expect(h.state).toBe(before);
  });
});

describe('duplicates, reordering and lost webhooks', () => {
  it('ignores duplicate and late statuses for a call that already ended', () => {
    const h = new Harness();
    h.list({ a1: 'idle' });
    h.advance(10);
    h.status('c1.0.1', 'no-answer');
    const before = h.state;
    h.status('c1.0.1', 'no-answer');
    h.status('c1.0.1', 'answered');
    h.status('c1.0.1', 'completed');
    expect(h.state.finished).toBe(before.finished);
    expect(h.state.outcomes).toEqual(before.outcomes);
    expect(h.placed).toHaveLength(2);
  });

  it('ignores statuses of calls it never placed', () => {
    const h = new Harness();
    h.list({ a1: 'idle' });
    h.status('c1.4.1', 'completed');
    h.status('other.0.1', 'completed');
    expect(h.state.finished).toBe(0);
  });

  it('does not let a late ringing hide that the call was answered', () => {
    const h = new Harness();
    h.list({ a1: 'idle' });
    h.send({ type: 'callPlaced', callId: 'c1.0.1' });
    h.status('c1.0.1', 'answered');
    h.status('c1.0.1', 'ringing');
    expect(h.state.calls['c1.0.1']?.status).toBe('answered');
  });

  it('a status arriving before the placeCall result is applied, and the late result is harmless', () => {
    const h = new Harness({ numbers: NUMBERS.slice(0, 1) });
    h.list({ a1: 'idle' });
    h.advance(10);
    h.status('c1.0.1', 'busy');
    h.send({ type: 'callPlaced', callId: 'c1.0.1' });
    expect(h.progress()).toMatchObject({ status: 'completed', finished: 1 });
  });

  it('looks up a call that stayed silent too long, and ends it from the lookup', () => {
    const h = new Harness();
    h.send({ type: 'tick' });
    h.list({ a1: 'idle' });
    h.send({ type: 'callPlaced', callId: 'c1.0.1' });
    expect(nextWakeAt(h.state, h.now)).toBe(h.now + 5_000); // the agent poll comes first
    h.advance(30_000);
    const cmds = h.send({ type: 'tick' });
    expect(cmds).toContainEqual({
      type: 'lookupCall',
      callId: 'c1.0.1',
      locate: { to: NUMBERS[0], placedAt: h.state.calls['c1.0.1']?.placedAt },
    });
    // Not asked twice while the lookup runs.
    expect(h.send({ type: 'tick' })).not.toContainEqual(expect.objectContaining({ type: 'lookupCall' }));
    h.send({ type: 'callLookedUp', callId: 'c1.0.1', lookup: { found: true, status: 'ringing' } });
    expect(h.state.calls['c1.0.1']?.checkDueAt).toBe(h.now + 30_000);
    h.advance(30_000);
    h.send({ type: 'tick' });
    const next = h.send({
      type: 'callLookedUp',
      callId: 'c1.0.1',
      lookup: { found: true, status: 'no-answer' },
    });
    expect(h.calls(next)).toEqual([expect.objectContaining({ callId: 'c1.1.1' })]);
  });

  it('polls the agent system at the configured interval, one request at a time', () => {
    const h = new Harness();
    h.send({ type: 'tick' });
    h.list({ a1: 'busy' });
    h.advance(4_999);
    expect(h.send({ type: 'tick' })).toEqual([]);
    h.advance(1);
    expect(h.send({ type: 'tick' })).toEqual([{ type: 'listAgents' }]);
    h.advance(10_000);
    expect(h.send({ type: 'tick' })).toEqual([]);
    h.send({ type: 'agentsListFailed' });
    expect(h.send({ type: 'tick' })).toEqual([{ type: 'listAgents' }]);
  });

  it('asks the provider about a call whose placement stayed unconfirmed, and fails it if unknown', () => {
    const h = new Harness({ numbers: NUMBERS.slice(0, 1) });
    h.list({ a1: 'idle' });
    h.send({ type: 'callUnconfirmed', callId: 'c1.0.1' });
    expect(h.send({ type: 'tick' })).toContainEqual(expect.objectContaining({ type: 'lookupCall', callId: 'c1.0.1' }));
    h.send({ type: 'callLookedUp', callId: 'c1.0.1', lookup: { found: false } });
    expect(h.progress()).toMatchObject({ status: 'completed', outcomes: { failed: 1 } });
  });

  it('keeps an unconfirmed call that the provider knows, and tries a failed lookup again later', () => {
    const h = new Harness();
    h.list({ a1: 'idle' });
    h.send({ type: 'callUnconfirmed', callId: 'c1.0.1' });
    h.send({ type: 'tick' });
    h.send({ type: 'callLookupFailed', callId: 'c1.0.1' });
    expect(h.state.calls['c1.0.1']?.checkDueAt).toBe(h.now + 30_000);
    h.advance(30_000);
    h.send({ type: 'tick' });
    h.send({ type: 'callLookedUp', callId: 'c1.0.1', lookup: { found: true, status: 'answered' } });
    expect(h.state.calls['c1.0.1']).toMatchObject({ phase: 'placed', status: 'answered' });
  });
});

describe('pause, resume, cancel', () => {
  it('pause stops new calls, calls in flight end normally, resume dials again', () => {
    const h = new Harness();
    h.list({ a1: 'idle', a2: 'idle' });
    h.send({ type: 'pause' });
    expect(h.state.status).toBe('paused');
    h.advance(10);
    expect(h.calls(h.status('c1.0.1', 'no-answer'))).toHaveLength(0);
    expect(h.progress()).toMatchObject({ inFlight: 1, finished: 1 });
    const cmds = h.send({ type: 'resume' });
    expect(h.calls(cmds)).toEqual([expect.objectContaining({ agentId: 'a1', callId: 'c1.2.1' })]);
    expect(h.state.status).toBe('running');
  });

  it('a paused campaign whose last calls end is complete', () => {
    const h = new Harness({ numbers: NUMBERS.slice(0, 1) });
    h.list({ a1: 'idle' });
    h.send({ type: 'pause' });
    h.status('c1.0.1', 'completed');
    expect(h.state.status).toBe('completed');
  });

  it('cancel stops new calls and ends the campaign cancelled once calls in flight end', () => {
    const h = new Harness({ settings: { maxAttempts: 3, retryDelaySec: 600 } });
    h.list({ a1: 'idle', a2: 'idle' });
    h.advance(10);
    h.status('c1.0.1', 'no-answer'); // waits for a retry
    const c2 = h.callOf('a1');
    h.send({ type: 'cancel' });
    expect(h.state).toMatchObject({ status: 'cancelled', completedAt: null });
    expect(controlRefusal(h.state)).toMatch(/cancelled/);
    h.advance(10);
    expect(h.calls(h.status(c2, 'no-answer'))).toHaveLength(0);
    expect(h.calls(h.status('c1.1.1', 'completed'))).toHaveLength(0);
    const p = h.progress();
    expect(p.status).toBe('cancelled');
    expect(p.completedAt).not.toBeNull();
    // Numbers never dialled stay pending; dialled ones are finished with their last outcome.
    expect(p).toMatchObject({ finished: 3, inFlight: 0, pending: 2, outcomes: { 'no-answer': 2, answered: 1 } });
    expectCountsAddUp(h);
  });

  it('refuses control once the campaign has ended and stays closed', () => {
    const h = new Harness({ numbers: NUMBERS.slice(0, 1) });
    h.list({ a1: 'idle' });
    expect(controlRefusal(h.state)).toBeNull();
    h.status('c1.0.1', 'completed');
    expect(controlRefusal(h.state)).toMatch(/completed/);
    const closed = h.state;
    expect(h.send({ type: 'resume' })).toEqual([]);
    expect(h.state).toBe(closed);
  });
});

describe('draining before continue-as-new', () => {
  it('applies events but starts no work, and the next run picks up where it stopped', () => {
    const h = new Harness();
    h.list({ a1: 'idle', a2: 'idle' });
    h.advance(10);
    expect(h.send(statusEvent('c1.0.1', 'no-answer', h.now), false)).toEqual([]);
    expect(h.state.agents.a1?.callId).toBeNull();
    h.advance(10_000);
    expect(h.send({ type: 'tick' }, false)).toEqual([]);
    const carried: CampaignState = JSON.parse(JSON.stringify(h.state));
    h.state = carried;
    const cmds = h.send({ type: 'tick' });
    expect(cmds).toContainEqual({ type: 'listAgents' });
    expect(h.calls(cmds)).toEqual([expect.objectContaining({ agentId: 'a1', callId: 'c1.2.1' })]);
  });
});
