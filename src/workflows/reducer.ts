/**
 * The dispatch logic as a pure reducer: (state, event) -> (new state, commands to run).
 * The workflow feeds it signals, activity results and timer firings and runs the commands; no I/O and
 * no clock here (time comes in `ctx.now`), so every rule is unit-tested without a server.
 */
import type { AgentListing, CallLocator, CallLookup, PlaceCallInput } from '../activities/types';
import { makeCallId } from '../shared/callId';
import {
  type AgentStatus,
  type CallStatus,
  type CampaignStatus,
  isTerminalCallStatus,
  type Outcome,
  outcomeOf,
  type TerminalCallStatus,
} from '../shared/types';
import { type AgentState, agentsFor, type CallState, type CampaignState, isClosed } from './state';

export type CampaignEvent =
  | { type: 'tick' }
  | { type: 'agentsListed'; listing: AgentListing }
  | { type: 'agentsListFailed' }
  | { type: 'agentStatus'; agentId: string; status: AgentStatus; at: number }
  /** `at`: the provider's timestamp of the status, when it gave one. */
  | { type: 'callStatus'; callId: string; status: CallStatus; at?: number }
  | { type: 'callPlaced'; callId: string }
  | { type: 'callRefused'; callId: string }
  /** The placement started late and found the agent no longer idle: nothing was dialled. */
  | { type: 'callNotDialled'; callId: string; agentStatus: AgentStatus; at: number }
  | { type: 'callUnconfirmed'; callId: string }
  | { type: 'callLookedUp'; callId: string; lookup: CallLookup }
  | { type: 'callLookupFailed'; callId: string }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'cancel' };

export type Command =
  | { type: 'placeCall'; input: PlaceCallInput }
  | { type: 'lookupCall'; callId: string; locate: CallLocator }
  | { type: 'listAgents' };

export interface ReduceContext {
  now: number;
  /**
   * Where placeCall finds the number: in the inline batch of a campaign started before number
   * chunks (put into the call's input), or in the number-chunk workflow holding it (read by the activity).
   */
  numbers: { inline: readonly string[] } | { chunkWorkflowId: (numberIndex: number) => string };
  /** False while the workflow drains before continue-as-new: state changes, but no new work starts. */
  startWork: boolean;
}

export interface ReduceResult {
  state: CampaignState;
  commands: Command[];
}

export function reduce(state: CampaignState, event: CampaignEvent, ctx: ReduceContext): ReduceResult {
  if (isClosed(state)) return { state, commands: [] };
  let next = applyEvent(state, event, ctx.now);
  const commands: Command[] = [];
  if (ctx.startWork) {
    if (event.type === 'tick') next = startDueChecks(next, ctx, commands);
    next = dispatch(next, ctx, commands);
  }
  return { state: settle(next, ctx.now), commands };
}

/** Why a control request is refused, or null when it is allowed. */
export function controlRefusal(state: CampaignState): string | null {
  return isEnded(state.status) ? `campaign is ${state.status}` : null;
}

function isEnded(status: CampaignStatus): boolean {
  return status === 'completed' || status === 'cancelled' || status === 'failed';
}

function applyEvent(state: CampaignState, event: CampaignEvent, now: number): CampaignState {
  switch (event.type) {
    case 'tick':
      return state;
    case 'agentsListed':
      return applyListing(state, event.listing);
    case 'agentsListFailed':
      return { ...state, agentPollInFlight: false };
    case 'agentStatus':
      return reportAgent(state, event.agentId, event.status, observedAt(event.at, now));
    case 'callStatus':
      return applyCallStatus(state, event.callId, event.status, observedAt(event.at, now), now);
    case 'callPlaced':
      return updateCall(state, event.callId, (call) =>
        call.phase === 'placing' ? { ...call, phase: 'placed', checkDueAt: now + silenceMs(state) } : call,
      );
    case 'callRefused':
      // The provider's final answer for this number: the contract says such an attempt is not retried.
      return endCall(state, event.callId, 'failed', now, { final: true });
    case 'callNotDialled':
      return putBack(state, event.callId, event.agentStatus, observedAt(event.at, now), now);
    case 'callUnconfirmed':
      // The provider may or may not have placed it: look it up at once rather than guess.
      return updateCall(state, event.callId, (call) => ({ ...call, phase: 'unconfirmed', checkDueAt: now }));
    case 'callLookedUp':
      return applyLookup(state, event.callId, event.lookup, now);
    case 'callLookupFailed':
      return updateCall(state, event.callId, (call) => ({
        ...call,
        lookupInFlight: false,
        checkDueAt: now + silenceMs(state),
      }));
    case 'pause':
      return state.status === 'running' ? { ...state, status: 'paused' } : state;
    case 'resume':
      return state.status === 'paused' ? { ...state, status: 'running' } : state;
    case 'cancel':
      return isEnded(state.status) ? state : cancel(state);
  }
}

/** A peer's timestamp, trusted only as far as it is not in our future (clock skew) nor garbage. */
function observedAt(at: number | undefined, now: number): number {
  return at === undefined || !Number.isFinite(at) ? now : Math.min(at, now);
}

function silenceMs(state: CampaignState): number {
  return state.timing.callSilenceSec * 1000;
}

function applyListing(state: CampaignState, listing: AgentListing): CampaignState {
  let next: CampaignState = { ...state, agentPollInFlight: false };
  if (next.agentIds === null) {
    const agentIds = listing.agents.map((a) => a.id);
    if (agentIds.length === 0) {
      return { ...next, status: 'failed', failureReason: 'the agent system lists no agents' };
    }
    next = { ...next, agentIds, agents: agentsFor(agentIds) };
  }
  const listed = new Map(listing.agents.map((a) => [a.id, a.status]));
  for (const agentId of next.agentIds ?? []) {
    // An agent the agent system no longer lists cannot take calls.
    next = reportAgent(next, agentId, listed.get(agentId) ?? 'offline', listing.requestedAt);
  }
  return next;
}

/**
 * Applies a status report unless a newer one was already applied (webhooks arrive out of order).
 * `strictlyNewer` is for the dialer's own wrap-up assumption, which must not override a real report
 * from the same instant.
 */
function reportAgent(
  state: CampaignState,
  agentId: string,
  status: AgentStatus,
  at: number,
  strictlyNewer = false,
): CampaignState {
  const agent = state.agents[agentId];
  if (!agent) return state;
  const stale = strictlyNewer ? at <= agent.reportedAt : at < agent.reportedAt;
  if (stale) return state;
  return withAgent(state, agentId, { ...agent, status, reportedAt: at });
}

function withAgent(state: CampaignState, agentId: string, agent: AgentState): CampaignState {
  return { ...state, agents: { ...state.agents, [agentId]: agent } };
}

function updateCall(state: CampaignState, callId: string, change: (call: CallState) => CallState): CampaignState {
  const call = state.calls[callId];
  if (!call) return state; // ended already, or never ours: duplicates and late deliveries are harmless
  return { ...state, calls: { ...state.calls, [callId]: change(call) } };
}

function applyCallStatus(
  state: CampaignState,
  callId: string,
  status: CallStatus,
  at: number,
  now: number,
): CampaignState {
  if (isTerminalCallStatus(status)) return endCall(state, callId, status, at);
  return updateCall(state, callId, (call) => ({
    ...call,
    phase: call.phase === 'placing' ? 'placing' : 'placed',
    status: status === 'answered' || call.status !== 'answered' ? status : call.status,
    checkDueAt: call.phase === 'placing' ? null : now + silenceMs(state),
  }));
}

function applyLookup(state: CampaignState, callId: string, lookup: CallLookup, now: number): CampaignState {
  const call = state.calls[callId];
  if (!call) return state;
  const looked = updateCall(state, callId, (c) => ({ ...c, lookupInFlight: false }));
  // Unknown to the provider: the call was never placed (or is gone), so the attempt failed.
  if (!lookup.found) return endCall(looked, callId, 'failed', now);
  if (isTerminalCallStatus(lookup.status)) return endCall(looked, callId, lookup.status, now);
  return updateCall(looked, callId, (c) => ({
    ...c,
    phase: 'placed',
    status: lookup.status,
    checkDueAt: now + silenceMs(state),
  }));
}

/** Ends an attempt: frees (or wraps up) its agent, then retries or finishes its number. */
function endCall(
  state: CampaignState,
  callId: string,
  status: TerminalCallStatus,
  at: number,
  { final = false } = {},
): CampaignState {
  const call = state.calls[callId];
  if (!call) return state;
  const released = releaseCall(state, call, { lastCallEndedAt: at });
  // After an answered call the agent wraps up: busy until the agent system reports idle after `at`.
  const wrapUp = released.freed && status === 'completed';
  const next = wrapUp ? reportAgent(released.state, call.agentId, 'busy', at, true) : released.state;

  const outcome = outcomeOf(status);
  const retry =
    !final && outcome !== 'answered' && call.attempt < next.settings.maxAttempts && next.status !== 'cancelled';
  if (retry) {
    const dueAt = at + next.settings.retryDelaySec * 1000;
    return {
      ...next,
      retries: [...next.retries, { numberIndex: call.numberIndex, attemptsMade: call.attempt, lastOutcome: outcome, dueAt }],
    };
  }
  return finish(next, outcome, 1);
}

/**
 * Undoes a dispatch that dialled nothing: the agent takes the status found, and the number is due
 * again at once with the same attempt, hence the same callId and Idempotency-Key (an earlier request
 * that reached the provider after all cannot become a second call).
 */
function putBack(state: CampaignState, callId: string, agentStatus: AgentStatus, at: number, now: number): CampaignState {
  const call = state.calls[callId];
  if (!call) return state;
  const next = reportAgent(releaseCall(state, call).state, call.agentId, agentStatus, at);
  const retry = {
    numberIndex: call.numberIndex,
    attemptsMade: call.attempt - 1,
    lastOutcome: call.previousOutcome ?? null,
    dueAt: now,
  };
  return { ...next, retries: [...next.retries, retry] };
}

/** The call is no longer in flight, and its agent (if still reserved for it) no longer reserved. */
function releaseCall(
  state: CampaignState,
  call: CallState,
  agentChange: Partial<AgentState> = {},
): { state: CampaignState; freed: boolean } {
  const calls = { ...state.calls };
  delete calls[call.callId];
  const next: CampaignState = { ...state, calls };
  const agent = next.agents[call.agentId];
  if (!agent || agent.callId !== call.callId) return { state: next, freed: false };
  return { state: withAgent(next, call.agentId, { ...agent, ...agentChange, callId: null }), freed: true };
}

function finish(state: CampaignState, outcome: Outcome, count: number): CampaignState {
  return {
    ...state,
    finished: state.finished + count,
    outcomes: { ...state.outcomes, [outcome]: state.outcomes[outcome] + count },
  };
}

/** No new attempt after a cancel: a number waiting for a retry has had its last attempt. */
function cancel(state: CampaignState): CampaignState {
  let next: CampaignState = { ...state, status: 'cancelled', retries: [] };
  // A number put back before any attempt ended was never dialled: it stays pending.
  for (const retry of state.retries) if (retry.lastOutcome !== null) next = finish(next, retry.lastOutcome, 1);
  return next;
}

function startDueChecks(state: CampaignState, ctx: ReduceContext, commands: Command[]): CampaignState {
  const { now } = ctx;
  let next = state;
  const pollDue = now - state.lastAgentPollAt >= state.timing.agentPollSec * 1000;
  if (!state.agentPollInFlight && pollDue) {
    next = { ...next, agentPollInFlight: true, lastAgentPollAt: now };
    commands.push({ type: 'listAgents' });
  }
  for (const call of Object.values(state.calls)) {
    if (call.lookupInFlight || call.checkDueAt === null || call.checkDueAt > now) continue;
    next = updateCall(next, call.callId, (c) => ({ ...c, lookupInFlight: true }));
    const locate = { ...numberLocation(ctx, call.numberIndex), placedAt: call.placedAt };
    commands.push({ type: 'lookupCall', callId: call.callId, locate });
  }
  return next;
}

/** Pairs free agents with the next numbers: due retries first, then numbers never dialled. */
function dispatch(state: CampaignState, ctx: ReduceContext, commands: Command[]): CampaignState {
  if (state.status !== 'running') return state;
  const free = freeAgents(state);
  const inFlight = Object.keys(state.calls).length;
  const cap = state.settings.maxConcurrentCalls;
  const slots = Math.min(free.length, cap === null ? Infinity : Math.max(0, cap - inFlight));
  let next = state;
  for (let i = 0; i < slots; i++) {
    const picked = takeNextNumber(next, ctx.now);
    if (!picked) break;
    next = picked.state;
    const agentId = free[i]!;
    const callId = makeCallId({ campaignId: next.campaignId, numberIndex: picked.numberIndex, attempt: picked.attempt });
    const call: CallState = {
      callId,
      numberIndex: picked.numberIndex,
      attempt: picked.attempt,
      agentId,
      phase: 'placing',
      ...(picked.previousOutcome ? { previousOutcome: picked.previousOutcome } : {}),
      status: null,
      placedAt: ctx.now,
      checkDueAt: null,
      lookupInFlight: false,
    };
    next = withAgent({ ...next, calls: { ...next.calls, [callId]: call } }, agentId, {
      ...next.agents[agentId]!,
      callId,
    });
    commands.push({
      type: 'placeCall',
      input: {
        callId,
        ...numberLocation(ctx, picked.numberIndex),
        agentId,
        campaignId: next.campaignId,
      },
    });
  }
  return next;
}

function numberLocation(ctx: ReduceContext, numberIndex: number): { to: string } | { chunkWorkflowId: string } {
  return 'inline' in ctx.numbers
    ? { to: ctx.numbers.inline[numberIndex]! }
    : { chunkWorkflowId: ctx.numbers.chunkWorkflowId(numberIndex) };
}

/** Agents the agent system reports idle, holding no call and not wrapping up; longest-waiting first. */
export function freeAgents(state: CampaignState): string[] {
  return (state.agentIds ?? [])
    .filter((id) => {
      const agent = state.agents[id];
      return agent !== undefined && agent.status === 'idle' && agent.callId === null;
    })
    .sort((a, b) => state.agents[a]!.lastCallEndedAt - state.agents[b]!.lastCallEndedAt || (a < b ? -1 : 1));
}

function takeNextNumber(
  state: CampaignState,
  now: number,
): { state: CampaignState; numberIndex: number; attempt: number; previousOutcome?: Outcome } | undefined {
  let due = -1;
  state.retries.forEach((r, i) => {
    if (r.dueAt <= now && (due < 0 || r.dueAt < state.retries[due]!.dueAt)) due = i;
  });
  if (due >= 0) {
    const retry = state.retries[due]!;
    const retries = state.retries.filter((_, i) => i !== due);
    const { numberIndex, attemptsMade, lastOutcome } = retry;
    return {
      state: { ...state, retries },
      numberIndex,
      attempt: attemptsMade + 1,
      ...(lastOutcome === null ? {} : { previousOutcome: lastOutcome }),
    };
  }
  if (state.nextIndex < state.total) {
    return { state: { ...state, nextIndex: state.nextIndex + 1 }, numberIndex: state.nextIndex, attempt: 1 };
  }
  return undefined;
}

/** Closes the campaign once nothing is left to dial or to wait for. */
function settle(state: CampaignState, now: number): CampaignState {
  if (Object.keys(state.calls).length > 0) return state;
  if (isEnded(state.status)) return { ...state, completedAt: new Date(now).toISOString() };
  // Paused or not, a batch with nothing left to dial is complete.
  const exhausted = state.nextIndex >= state.total && state.retries.length === 0;
  return exhausted ? { ...state, status: 'completed', completedAt: new Date(now).toISOString() } : state;
}

/**
 * The next moment a tick has work to do (a poll, a lookup, a retry falling due), or null if none is
 * planned. Retries already due wait for an agent to free up, which is an event of its own.
 */
export function nextWakeAt(state: CampaignState, now: number): number | null {
  if (isClosed(state)) return null;
  const times: number[] = [];
  if (!state.agentPollInFlight) times.push(state.lastAgentPollAt + state.timing.agentPollSec * 1000);
  for (const call of Object.values(state.calls)) {
    if (!call.lookupInFlight && call.checkDueAt !== null) times.push(call.checkDueAt);
  }
  if (state.status === 'running') {
    for (const retry of state.retries) if (retry.dueAt > now) times.push(retry.dueAt);
  }
  return times.length === 0 ? null : Math.min(...times);
}
