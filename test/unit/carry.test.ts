/**
 * What a campaign carries across continue-as-new: packState/unpackState give back the state the run
 * had (derived views included), and the carried form keeps its bound of carryBound(agents) bytes.
 */
import type { LeasedNumber, LeaseRequest, PlaceCallInput } from '../../src/activities/types';
import { makeCallId } from '../../src/shared/callId';
import type { AgentStatus, CallStatus, CampaignSettings, CampaignTiming } from '../../src/shared/types';
import { CARRY_BASE_BYTES, carriedBytes, carryBound, type CarriedState, packState, unpackState } from '../../src/workflows/carry';
import { type CampaignEvent, type Command, hopperTarget, reduce, RESULTS_PER_SEND } from '../../src/workflows/reducer';
import { type CampaignState, initialState } from '../../src/workflows/state';

const T0 = 1_700_000_000_000;
const TIMING: CampaignTiming = { agentPollSec: 5, callSilenceSec: 30, lookupGiveUpSec: 300 };
/** A realistic campaign id: 20 characters. */
const CAMPAIGN_ID = 'spring-renewals-2025';

/** A campaign driven event by event that answers its own activities when told to. */
class Run {
  now = T0;
  readonly placements: PlaceCallInput[] = [];
  leases: LeaseRequest[] = [];
  lookups: string[] = [];
  records: Array<Extract<Command, { type: 'recordAttempts' }>['results']> = [];
  listing = false;
  private nextIndex = 1_000_000;

  constructor(readonly state: CampaignState) {}

  send(event: CampaignEvent, startWork = true): Command[] {
    const commands = reduce(this.state, event, { now: this.now, startWork });
    for (const c of commands) {
      if (c.type === 'placeCall') this.placements.push(c.input);
      if (c.type === 'leaseNumbers') this.leases.push(c.request);
      if (c.type === 'lookupCall') this.lookups.push(c.callId);
      if (c.type === 'recordAttempts') this.records.push(c.results);
      if (c.type === 'listAgents') this.listing = true;
    }
    return commands;
  }

  list(statusOf: (agentId: string, i: number) => AgentStatus): void {
    this.listing = false;
    const agents = this.state.agentIds!.map((id, i) => ({ id, status: statusOf(id, i) }));
    this.send({ type: 'agentsListed', listing: { agents, requestedAt: this.now } });
  }

  /** Answers the lease in flight with retries of seven-digit numbers (the longest form a number takes). */
  answerLease(): void {
    const request = this.leases.pop()!;
    const numbers: LeasedNumber[] = Array.from({ length: request.count }, () => ({
      numberIndex: this.nextIndex++,
      attempt: 2,
      previousOutcome: 'no-answer',
    }));
    this.send({ type: 'numbersLeased', lease: { numbers, nextDueAt: 0, total: this.state.total } });
  }

  /** Every call placed is accepted by the provider and rings. */
  confirmPlacements(): void {
    for (const { callId } of this.placements.splice(0)) {
      this.send({ type: 'callPlaced', callId });
      this.send({ type: 'callStatus', callId, status: 'ringing', at: this.now });
    }
  }

  /** Leases until every agent is on a call and the hopper is full. */
  fill(): void {
    while (this.state.lease.inFlight) {
      this.answerLease();
      this.confirmPlacements();
    }
  }

  end(callId: string, status: CallStatus): void {
    this.send({ type: 'callStatus', callId, status, at: this.now, ...(status === 'completed' ? { durationSec: 187 } : {}) });
  }
}

function agentIdsOf(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `agent-${String(i).padStart(4, '0')}`);
}

function campaign(agentIds: string[] | null, settings: Partial<CampaignSettings> = {}, total = 2_000_000): CampaignState {
  return initialState(
    {
      campaignId: CAMPAIGN_ID,
      name: 'Spring renewals 2025: lapsed customers, second pass',
      total,
      ...(agentIds === null ? {} : { agentIds }),
      settings: { maxAttempts: 3, retryDelaySec: 3600, maxConcurrentCalls: null, ...settings },
      timing: TIMING,
      createdAt: new Date(T0).toISOString(),
    },
    T0,
  );
}

const callIdOf = (numberIndex: number, attempt: number): string => makeCallId({ campaignId: CAMPAIGN_ID, numberIndex, attempt });

/** As Temporal hands it to the next run: through JSON. */
function carriedThroughJson(state: CampaignState): CarriedState {
  return JSON.parse(JSON.stringify(packState(state))) as CarriedState;
}

function roundTrip(state: CampaignState): CampaignState {
  return unpackState(carriedThroughJson(state), callIdOf);
}

/**
 * A floor of `agentCount` agents all on calls whose lookups are failing, a full hopper of retries and
 * a full batch of results put back by a failed write: the most a drained run carries in the usual course.
 */
function busyFloor(agentCount: number): CampaignState {
  const state = campaign(agentIdsOf(agentCount));
  // Counters of a campaign well into a long list, carried from earlier runs.
  Object.assign(state, { finished: 987_654, statusVersion: 1234 });
  Object.assign(state.outcomes, { answered: 400_000, 'no-answer': 300_000, busy: 200_000, failed: 87_000, canceled: 654 });
  Object.assign(state.waiting, { 'no-answer': 900_000, busy: 50_000 });
  state.lease.seq = 123_456;
  const run = new Run(state);
  run.send({ type: 'tick' });
  run.list(() => 'idle');
  run.fill();
  // The results of one batch: each ended call's agent takes the next number at once.
  for (let i = 0; i < RESULTS_PER_SEND; i++) {
    run.end(state.calls.keys().next().value!, 'no-answer');
    run.fill();
  }
  const [batch] = run.records.splice(0);
  expect(batch).toHaveLength(RESULTS_PER_SEND);
  run.send({ type: 'recordFailed', results: batch! });
  // Silent calls whose lookups fail, and a last listing: the run has drained.
  run.now += TIMING.callSilenceSec * 1000;
  run.send({ type: 'tick' });
  for (const callId of run.lookups.splice(0)) run.send({ type: 'callLookupFailed', callId });
  run.list(() => 'idle');
  // The batch was sent again once its back-off passed, and failed again: it is carried.
  for (const results of run.records.splice(0)) run.send({ type: 'recordFailed', results });
  expect(state.unsent).toHaveLength(RESULTS_PER_SEND);
  expect(run.leases).toEqual([]);
  // The hopper refills once half empty; the worst case carries it full, of retries.
  for (let i = 0; state.hopper.length < hopperTarget(state); i++) {
    state.hopper.push({ numberIndex: 1_900_000 + i, attempt: 3, previousOutcome: 'no-answer' });
  }
  expect(state).toMatchObject({ agentPollInFlight: false, recordsInFlight: 0 });
  return state;
}

describe('packState and unpackState', () => {
  it('give back the state after a realistic sequence of events, derived views and reservations included', () => {
    const state = campaign(agentIdsOf(6), { maxAttempts: 2, retryDelaySec: 300, maxConcurrentCalls: 5 }, 40);
    const run = new Run(state);
    run.send({ type: 'tick' });
    run.list((_, i) => (['idle', 'idle', 'idle', 'idle', 'busy', 'offline'] as const)[i]!);
    run.fill();
    const [first, second, third, fourth] = [...state.calls.keys()];
    run.now += 2_000;
    run.end(first!, 'no-answer'); // a retry, agent free again and on its next call
    run.send({ type: 'callStatus', callId: second!, status: 'answered', at: run.now });
    run.now += 60_000;
    run.end(second!, 'completed'); // wrap-up: busy, lastCallEndedAt set
    run.send({ type: 'callNotDialled', callId: third!, agentStatus: 'offline', at: run.now }); // back to the hopper
    run.send({ type: 'callUnconfirmed', callId: fourth! });
    run.send({ type: 'agentStatus', agentId: 'agent-0004', status: 'idle', at: run.now });
    run.fill();
    run.confirmPlacements();
    run.send({ type: 'tick' });
    for (const callId of run.lookups.splice(0)) run.send({ type: 'callLookupFailed', callId });
    run.list((_, i) => (i % 2 === 0 ? 'idle' : 'busy'));
    run.send({ type: 'numbersReserved', batchKey: 'batch-7' });
    run.send({ type: 'pause' });
    for (const results of run.records.splice(0)) run.send({ type: 'recordFailed', results });
    run.fill();

    // Drained, with something in every part of the state.
    expect(state).toMatchObject({ status: 'paused', agentPollInFlight: false, recordsInFlight: 0, addition: { batchKey: 'batch-7' } });
    expect(state.lease.inFlight).toBe(false);
    expect(state.calls.size).toBeGreaterThan(0);
    expect(state.hopper.length).toBeGreaterThan(0);
    expect(state.unsent.length).toBeGreaterThan(0);
    expect([...state.calls.values()].map((c) => c.phase)).toContain('unconfirmed');
    expect([...state.calls.values()].some((c) => c.lookupFailingSince !== null)).toBe(true);
    expect(state.agentCounts.busy + state.agentCounts.onCall).toBeGreaterThan(0);

    const unpacked = roundTrip(state);
    expect(unpacked).toEqual(state);
    expect(unpacked.free).toEqual(state.free);
    expect(unpacked.agentCounts).toEqual(state.agentCounts);
    for (const [id, agent] of state.agents) expect(unpacked.agents.get(id)?.callId).toBe(agent.callId);
    expect(unpacked.hopper).toEqual(state.hopper); // in order: the put-back number first
  });

  it('give back a state that goes on deciding as the original does', () => {
    const state = busyFloor(10);
    const unpacked = roundTrip(state);
    const events: CampaignEvent[] = [
      { type: 'resume' },
      { type: 'callStatus', callId: [...state.calls.keys()][3]!, status: 'busy', at: T0 + 100_000 },
      { type: 'agentStatus', agentId: 'agent-0003', status: 'offline', at: T0 + 100_000 },
      { type: 'tick' },
    ];
    for (const event of events) {
      const ctx = { now: T0 + 100_000, startWork: true };
      expect(reduce(unpacked, event, ctx)).toEqual(reduce(state, event, ctx));
      expect(unpacked).toEqual(state);
    }
  });

  it('give back callbacks: pinned numbers in the hopper, calls that are one or asked one, results that ask one', () => {
    const state = campaign(agentIdsOf(3), { maxAttempts: 2, retryDelaySec: 60, maxConcurrentCalls: null }, 10);
    const run = new Run(state);
    run.send({ type: 'tick' });
    run.list(() => 'idle');
    run.fill();
    const [first, second] = [...state.calls.keys()];
    run.send({ type: 'callback', callId: first!, at: T0 + 600_000, agentId: 'agent-0001' });
    run.now += 1_000;
    run.end(second!, 'completed');
    run.send({ type: 'callback', callId: second!, at: T0 + 900_000, agentId: null });
    state.hopper.unshift(
      { numberIndex: 7, attempt: 3, previousOutcome: 'answered', counted: 1, callback: { agentId: 'agent-0002' } },
      { numberIndex: 8, attempt: 2, previousOutcome: 'busy', callback: { agentId: null } },
      { numberIndex: 9, attempt: 4, previousOutcome: 'no-answer', counted: 2 },
    );
    const call = state.calls.get(first!)!;
    Object.assign(call, { callbackFor: { agentId: 'agent-0001' }, counted: 1 });
    expect(state.unsent.find((r) => r.callId === second)).toMatchObject({ callback: { agentId: null }, final: false });
    expect(roundTrip(state)).toEqual(state);
  });

  it('give back a campaign that has not listed its agents yet', () => {
    const state = campaign(null);
    new Run(state).send({ type: 'agentsListFailed' });
    expect(carriedThroughJson(state).agents).toBeNull();
    expect(roundTrip(state)).toEqual(state);
  });

  it('carry no lookup as in flight: the next run asks again', () => {
    const state = busyFloor(3);
    for (const call of state.calls.values()) call.lookupInFlight = true;
    expect([...roundTrip(state).calls.values()].every((c) => !c.lookupInFlight)).toBe(true);
  });
});

describe('the carried bound', () => {
  it.each([1, 10, 200, 1_000, 5_000])('a floor of %i agents on calls, a full hopper and a full unsent batch stays under carryBound', (agentCount) => {
    const state = busyFloor(agentCount);
    expect(state.calls.size).toBe(agentCount);
    expect(state.hopper).toHaveLength(hopperTarget(state));
    expect(state.unsent).toHaveLength(RESULTS_PER_SEND);
    const bytes = carriedBytes(packState(state));
    expect(bytes).toBeLessThan(carryBound(agentCount));
    // What the floor costs per agent stays within the share the bound gives it.
    expect((bytes - CARRY_BASE_BYTES) / agentCount).toBeLessThan(200);
  });

  it.each([10, 200, 5_000])('a floor of %i agents whose every call ended while the run drained stays under carryBound', (agentCount) => {
    const state = busyFloor(agentCount);
    const run = new Run(state);
    for (const callId of [...state.calls.keys()]) run.send({ type: 'callStatus', callId, status: 'no-answer', at: run.now }, false);
    expect(run.records).toEqual([]);
    expect(state.calls.size).toBe(0);
    expect(state.unsent).toHaveLength(RESULTS_PER_SEND + agentCount);
    expect(roundTrip(state)).toEqual(state);
    expect((carriedBytes(packState(state)) - CARRY_BASE_BYTES) / agentCount).toBeLessThan(200);
  });

  it('carriedBytes counts UTF-8 bytes, not characters', () => {
    const state = campaign(['agent-0000']);
    const ascii = carriedBytes(packState(state));
    state.name = state.name.replace('Spring', 'Frühling');
    expect(carriedBytes(packState(state))).toBe(ascii + 3);
  });
});
