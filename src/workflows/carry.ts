/**
 * What a campaign carries across continue-as-new: its state in a compact form (agents, calls and the
 * hopper as tuples, what can be derived left out), and the bound that form must keep: 32 KiB plus
 * 200 bytes per agent, whatever the list size and retry schedule. Pure functions, unit-tested.
 */
import type { LeasedNumber } from '../activities/types';
import type { AgentStatus, CallStatus, Outcome } from '../shared/types';
import type { AttemptResult } from './messages';
import { type AgentState, type CallPhase, type CampaignState, setAgent, unknownAgent } from './state';

/** [id, status, reportedAt, lastCallEndedAt]; whether the agent holds a call is read from `calls`. */
type CarriedAgent = [string, AgentStatus | 'unknown', number, number];
/** [numberIndex, attempt, agentId, phase, status, placedAt, checkDueAt, previousOutcome, lookupFailingSince]. */
type CarriedCall = [number, number, string, CallPhase, CallStatus | null, number, number | null, Outcome | null, number | null];
/** [numberIndex, attempt, previousOutcome]. */
type CarriedNumber = [number, number, Outcome | null];
/** [numberIndex, attempt, agentId, outcome, final, retryAt, talkSec, dialledAt, endedAt]. */
type CarriedResult = [number, number, string, Outcome, boolean, number | null, number | null, number, number];

type Core = Omit<CampaignState, 'calls' | 'agentIds' | 'agents' | 'free' | 'agentCounts' | 'hopper' | 'unsent'>;

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
  const { calls, agentIds, agents, free: _free, agentCounts: _counts, hopper, unsent, ...core } = state;
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
    ]),
    hopper: hopper.map((n) => [n.numberIndex, n.attempt, n.previousOutcome]),
    unsent: unsent.map((r) => [r.numberIndex, r.attempt, r.agentId, r.outcome, r.final, r.retryAt, r.talkSec, r.dialledAt, r.endedAt]),
  };
}

export function unpackState(carried: CarriedState, callIdOf: (numberIndex: number, attempt: number) => string): CampaignState {
  const state: CampaignState = {
    ...carried.core,
    agentIds: carried.agents?.map(([id]) => id) ?? null,
    agents: new Map(),
    free: new Set(),
    agentCounts: { idle: 0, onCall: 0, busy: 0, offline: 0 },
    calls: new Map(),
    hopper: carried.hopper.map(([numberIndex, attempt, previousOutcome]): LeasedNumber => ({ numberIndex, attempt, previousOutcome })),
    unsent: carried.unsent.map(
      ([numberIndex, attempt, agentId, outcome, final, retryAt, talkSec, dialledAt, endedAt]): AttemptResult => ({
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
      }),
    ),
  };
  const holding = new Map<string, string>();
  for (const [numberIndex, attempt, agentId, phase, status, placedAt, checkDueAt, previousOutcome, lookupFailingSince] of carried.calls) {
    const callId = callIdOf(numberIndex, attempt);
    const call = { callId, numberIndex, attempt, agentId, phase, status, placedAt, checkDueAt, previousOutcome, lookupFailingSince };
    state.calls.set(callId, { ...call, lookupInFlight: false });
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
