/**
 * What a campaign carries across continue-as-new: its state in a compact form (agents, calls and the
 * hopper as tuples, what can be derived left out), and the bound that form must keep: 32 KiB plus
 * 200 bytes per agent, whatever the list size and retry schedule. Pure functions, unit-tested.
 */
import type { LeasedNumber } from '../activities/types';
import type { AgentStatus, AttemptOutcome, CallStatus } from '../shared/types';
import type { AttemptResult } from './messages';
import { type AgentState, type CallPhase, type CampaignState, emptyOutcomes, setAgent, unknownAgent } from './state';

/** A callback's agent as carried: a string for one agent, 0 for anyone, absent for no callback. */
type CarriedPin = string | 0;
const pinOf = (callback: { agentId: string | null } | null | undefined): CarriedPin | undefined =>
  callback ? (callback.agentId ?? 0) : undefined;
const callbackOf = (pin: CarriedPin | undefined): { agentId: string | null } | undefined =>
  pin === undefined || pin === null ? undefined : { agentId: pin === 0 ? null : pin };

/** [id, status, reportedAt, lastCallEndedAt]; whether the agent holds a call is read from `calls`. */
type CarriedAgent = [string, AgentStatus | 'unknown', number, number];
/**
 * [numberIndex, attempt, agentId, phase, status, placedAt, checkDueAt, previousOutcome, lookupFailingSince,
 * counted, callbackFor, callback ([at, pin] or 0)]; the last three absent in states carried before callbacks.
 */
type CarriedCall = [
  number, number, string, CallPhase, CallStatus | null, number, number | null, AttemptOutcome | null, number | null,
  number?, (CarriedPin | null)?, ([number, CarriedPin] | 0)?,
];
/** [numberIndex, attempt, previousOutcome, counted?, callback pin?]. */
type CarriedNumber = [number, number, AttemptOutcome | null, (number | null)?, CarriedPin?];
/** [numberIndex, attempt, agentId, outcome, final, retryAt, talkSec, dialledAt, endedAt, wasCallback?, callback pin?]. */
type CarriedResult = [number, number, string, AttemptOutcome, boolean, number | null, number | null, number, number, (0 | 1)?, CarriedPin?];

type Core = Omit<CampaignState, 'calls' | 'agentIds' | 'agents' | 'free' | 'agentCounts' | 'hopper' | 'unsent' | 'pinnedWaiting'>;

export interface CarriedState {
  core: Core;
  /** In the campaign's agent order; null until the first listing of a campaign started without agentIds. */
  agents: CarriedAgent[] | null;
  calls: CarriedCall[];
  hopper: CarriedNumber[];
  /** Ended attempts not yet written: those of the calls that ended while the run drained, among others. */
  unsent: CarriedResult[];
}

export const CARRY_BASE_BYTES = 32 * 1024;
export const CARRY_BYTES_PER_AGENT = 200;

/** Taken once the run has drained: no activity is in flight, so no lookup nor poll is either. */
export function packState(state: CampaignState): CarriedState {
  const { calls, agentIds, agents, free: _free, agentCounts: _counts, hopper, unsent, pinnedWaiting: _pinned, ...core } = state;
  return {
    core,
    agents:
      agentIds === null
        ? null
        : agentIds.map((id) => {
            const a = agents.get(id)!;
            return [id, a.status, a.reportedAt, a.lastCallEndedAt];
          }),
    calls: [...calls.values()].map((c) => [
      c.numberIndex,
      c.attempt,
      c.agentId,
      c.phase,
      c.status,
      c.placedAt,
      c.checkDueAt,
      c.previousOutcome,
      c.lookupFailingSince,
      c.counted,
      pinOf(c.callbackFor) ?? null,
      c.callback ? [c.callback.at, pinOf(c.callback)!] : 0,
    ]),
    // The optional tail only when it says something: most numbers and results carry none.
    hopper: hopper.map((n): CarriedNumber => {
      const pin = pinOf(n.callback);
      if (pin !== undefined) return [n.numberIndex, n.attempt, n.previousOutcome, n.counted ?? null, pin];
      if (n.counted !== undefined) return [n.numberIndex, n.attempt, n.previousOutcome, n.counted];
      return [n.numberIndex, n.attempt, n.previousOutcome];
    }),
    unsent: unsent.map((r): CarriedResult => {
      const pin = pinOf(r.callback);
      const wasCallback = r.wasCallback ? 1 : 0;
      const { numberIndex: i, attempt: a, agentId, outcome, final, retryAt, talkSec, dialledAt, endedAt } = r;
      if (pin !== undefined) return [i, a, agentId, outcome, final, retryAt, talkSec, dialledAt, endedAt, wasCallback, pin];
      if (wasCallback) return [i, a, agentId, outcome, final, retryAt, talkSec, dialledAt, endedAt, wasCallback];
      return [i, a, agentId, outcome, final, retryAt, talkSec, dialledAt, endedAt];
    }),
  };
}

export function unpackState(carried: CarriedState, callIdOf: (numberIndex: number, attempt: number) => string): CampaignState {
  const state: CampaignState = {
    ...carried.core,
    // States carried before `do-not-call` existed lack its counts.
    outcomes: { ...emptyOutcomes(), ...carried.core.outcomes },
    waiting: { ...emptyOutcomes(), ...carried.core.waiting },
    pinnedWaiting: 0,
    agentIds: carried.agents?.map(([id]) => id) ?? null,
    agents: new Map(),
    free: new Set(),
    agentCounts: { idle: 0, onCall: 0, busy: 0, offline: 0 },
    calls: new Map(),
    hopper: carried.hopper.map(([numberIndex, attempt, previousOutcome, counted, pin]): LeasedNumber => {
      const callback = callbackOf(pin);
      return { numberIndex, attempt, previousOutcome, ...(counted == null ? {} : { counted }), ...(callback ? { callback } : {}) };
    }),
    unsent: carried.unsent.map(
      ([numberIndex, attempt, agentId, outcome, final, retryAt, talkSec, dialledAt, endedAt, wasCallback, pin]): AttemptResult => ({
        callId: callIdOf(numberIndex, attempt),
        numberIndex,
        attempt,
        agentId,
        outcome,
        final,
        retryAt,
        talkSec,
        dialledAt,
        endedAt,
        ...(wasCallback === 1 ? { wasCallback: true } : {}),
        ...(pin === undefined ? {} : { callback: callbackOf(pin)! }),
      }),
    ),
  };
  const holding = new Map<string, string>();
  for (const carriedCall of carried.calls) {
    const [numberIndex, attempt, agentId, phase, status, placedAt, checkDueAt, previousOutcome, lookupFailingSince] = carriedCall;
    const [counted = attempt, pinFor, asked] = carriedCall.slice(9) as [number?, (CarriedPin | null)?, ([number, CarriedPin] | 0)?];
    const callId = callIdOf(numberIndex, attempt);
    const call = { callId, numberIndex, attempt, agentId, phase, status, placedAt, checkDueAt, previousOutcome, lookupFailingSince };
    const callback = asked ? { at: asked[0], agentId: asked[1] === 0 ? null : asked[1] } : null;
    state.calls.set(callId, { ...call, counted, callbackFor: callbackOf(pinFor ?? undefined) ?? null, callback, lookupInFlight: false });
    holding.set(agentId, callId);
  }
  for (const [id, status, reportedAt, lastCallEndedAt] of carried.agents ?? []) {
    const agent: AgentState = { ...unknownAgent(), status, reportedAt, lastCallEndedAt, callId: holding.get(id) ?? null };
    setAgent(state, id, agent);
  }
  return state;
}

export function carriedBytes(carried: CarriedState): number {
  return new TextEncoder().encode(JSON.stringify(carried)).length;
}

export function carryBound(agentCount: number): number {
  return CARRY_BASE_BYTES + CARRY_BYTES_PER_AGENT * agentCount;
}
