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
import { type AttemptResult, batchHolding, type NumberChunks, numbersWorkflowId } from './definitions';
import { type AgentState, agentsFor, type CallState, type CampaignState, isClosed, numberBatches } from './state';

export type CampaignEvent =
  | { type: 'tick' }
  | { type: 'agentsListed'; listing: AgentListing }
  | { type: 'agentsListFailed' }
  | { type: 'agentStatus'; agentId: string; status: AgentStatus; at: number }
  /** `at`: the provider's timestamp of the status, when it gave one. */
  | { type: 'callStatus'; callId: string; status: CallStatus; at?: number; durationSec?: number }
  | { type: 'callPlaced'; callId: string }
  | { type: 'callRefused'; callId: string }
  /** The placement started late and found the agent no longer idle: nothing was dialled. */
  | { type: 'callNotDialled'; callId: string; agentStatus: AgentStatus; at: number }
  | { type: 'callUnconfirmed'; callId: string }
  | { type: 'callLookedUp'; callId: string; lookup: CallLookup }
  | { type: 'callLookupFailed'; callId: string }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'cancel' }
  /** Indices from the current total on are reserved for numbers an operator is adding. */
  | { type: 'numbersReserved'; batchKey: string }
  /** The reservation ends: with the batch of chunks started for it, or with none (nothing to add). */
  | { type: 'numbersAdded'; batchKey: string; batch: NumberChunks | null };

export type Command =
  | { type: 'placeCall'; input: PlaceCallInput }
  | { type: 'lookupCall'; callId: string; locate: CallLocator }
  | { type: 'listAgents' }
  | { type: 'recordResults'; chunkWorkflowId: string; results: AttemptResult[] };

export interface ReduceContext {
  now: number;
  /**
   * Where placeCall finds the number: in the inline batch of a campaign started before number
   * chunks (put into the call's input), or in the number-chunk workflow holding it (read by the
   * activity): those of the input's batch, then those of the batches added since.
   */
  numbers: { inline: readonly string[] } | { chunks: NumberChunks };
  /** False while the workflow drains before continue-as-new: state changes, but no new work starts. */
  startWork: boolean;
  /** Whether ended attempts are sent to their chunks (false in runs from before results were kept). */
  recordResults?: boolean;
}

/** Ended attempts are sent to their chunks this many at a time, or once the oldest is this old. */
export const RESULTS_PER_SEND = 50;
export const RESULTS_MAX_AGE_MS = 10_000;
/** How long a reservation for added numbers holds when the API that made it never finishes it. */
export const ADDITION_LEASE_MS = 60_000;

export interface ReduceResult {
  state: CampaignState;
  commands: Command[];
}

export function reduce(state: CampaignState, event: CampaignEvent, ctx: ReduceContext): ReduceResult {
  if (isClosed(state)) return { state, commands: [] };
  let next = applyEvent(state, event, ctx);
  const commands: Command[] = [];
  if (ctx.startWork) {
    if (event.type === 'tick') next = startDueChecks(next, ctx, commands);
    next = dispatch(next, ctx, commands);
  }
  next = settle(next, ctx.now);
  return { state: sendResults(next, ctx, commands), commands };
}

/** Why a control request is refused, or null when it is allowed. */
export function controlRefusal(state: CampaignState): string | null {
  return isEnded(state.status) ? `campaign is ${state.status}` : null;
}

function isEnded(status: CampaignStatus): boolean {
  return status === 'completed' || status === 'cancelled' || status === 'failed';
}

function applyEvent(state: CampaignState, event: CampaignEvent, ctx: ReduceContext): CampaignState {
  const { now } = ctx;
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
      return applyCallStatus(state, event, observedAt(event.at, now), ctx);
    case 'callPlaced':
      return updateCall(state, event.callId, (call) =>
        call.phase === 'placing' ? { ...call, phase: 'placed', checkDueAt: now + silenceMs(state) } : call,
      );
    case 'callRefused':
      // The provider's final answer for this number: the contract says such an attempt is not retried.
      return endCall(state, event.callId, 'failed', now, ctx, { final: true });
    case 'callNotDialled':
      return putBack(state, event.callId, event.agentStatus, observedAt(event.at, now), now);
    case 'callUnconfirmed':
      // The provider may or may not have placed it: look it up at once rather than guess.
      return updateCall(state, event.callId, (call) => ({ ...call, phase: 'unconfirmed', checkDueAt: now }));
    case 'callLookedUp':
      return applyLookup(state, event.callId, event.lookup, ctx);
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
    case 'numbersReserved':
      return { ...state, addition: { batchKey: event.batchKey, first: state.total, expiresAt: now + ADDITION_LEASE_MS } };
    case 'numbersAdded':
      return addNumbers(state, event.batchKey, event.batch);
  }
}

/** Why an addition of numbers is refused (to reserve: `batchKey` absent), or null when allowed. */
export function additionRefusal(state: CampaignState, now: number, batchKey?: string): 'closed' | 'busy' | null {
  if (isEnded(state.status)) return 'closed';
  const reserved = state.addition && state.addition.expiresAt > now ? state.addition : null;
  if (batchKey === undefined) return reserved ? 'busy' : null;
  return reserved?.batchKey === batchKey ? null : 'busy';
}

function addNumbers(state: CampaignState, batchKey: string, batch: NumberChunks | null): CampaignState {
  const { addition } = state;
  if (!addition || addition.batchKey !== batchKey) return state;
  if (!batch || batch.total === 0) return { ...state, addition: null };
  return {
    ...state,
    addition: null,
    total: state.total + batch.total,
    addedBatches: [...(state.addedBatches ?? []), { ...batch, first: addition.first }],
  };
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
  { callId, status, durationSec }: { callId: string; status: CallStatus; durationSec?: number },
  at: number,
  ctx: ReduceContext,
): CampaignState {
  const { now } = ctx;
  if (isTerminalCallStatus(status)) return endCall(state, callId, status, at, ctx, { durationSec });
  return updateCall(state, callId, (call) => ({
    ...call,
    phase: call.phase === 'placing' ? 'placing' : 'placed',
    status: status === 'answered' || call.status !== 'answered' ? status : call.status,
    checkDueAt: call.phase === 'placing' ? null : now + silenceMs(state),
  }));
}

function applyLookup(state: CampaignState, callId: string, lookup: CallLookup, ctx: ReduceContext): CampaignState {
  const { now } = ctx;
  const call = state.calls[callId];
  if (!call) return state;
  const looked = updateCall(state, callId, (c) => ({ ...c, lookupInFlight: false }));
  // Unknown to the provider: the call was never placed (or is gone), so the attempt failed.
  if (!lookup.found) return endCall(looked, callId, 'failed', now, ctx);
  if (isTerminalCallStatus(lookup.status)) {
    return endCall(looked, callId, lookup.status, now, ctx, { durationSec: lookup.durationSec });
  }
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
  ctx: ReduceContext,
  { final = false, durationSec }: { final?: boolean; durationSec?: number } = {},
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
  const result: AttemptResult = {
    numberIndex: call.numberIndex,
    attempt: call.attempt,
    agentId: call.agentId,
    outcome,
    final: !retry,
    talkSec: outcome === 'answered' && durationSec !== undefined ? durationSec : null,
    dialledAt: call.placedAt,
    endedAt: at,
  };
  const recorded = ctx.recordResults ? { ...next, unsentResults: [...(next.unsentResults ?? []), result] } : next;
  if (retry) {
    const dueAt = at + next.settings.retryDelaySec * 1000;
    return {
      ...recorded,
      retries: [...next.retries, { numberIndex: call.numberIndex, attemptsMade: call.attempt, lastOutcome: outcome, dueAt }],
    };
  }
  return finish(recorded, outcome, 1);
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
    const locate = { ...numberLocation(next, ctx, call.numberIndex), placedAt: call.placedAt };
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
        ...numberLocation(next, ctx, picked.numberIndex),
        agentId,
        campaignId: next.campaignId,
      },
    });
  }
  return next;
}

function numberLocation(
  state: CampaignState,
  ctx: ReduceContext,
  numberIndex: number,
): { to: string } | { chunkWorkflowId: string } {
  return 'inline' in ctx.numbers
    ? { to: ctx.numbers.inline[numberIndex]! }
    : { chunkWorkflowId: chunkWorkflowIdOf(state, ctx.numbers.chunks, numberIndex) };
}

function chunkWorkflowIdOf(state: CampaignState, chunks: NumberChunks, numberIndex: number): string {
  const batch = batchHolding(numberBatches(chunks, state), numberIndex);
  if (!batch) throw new Error(`number ${numberIndex} is in no batch of campaign ${state.campaignId}`);
  return numbersWorkflowId(state.campaignId, batch, numberIndex);
}

/**
 * Sends ended attempts to their chunks in batches (a signal is two history events): when enough
 * have gathered, when the oldest has waited long enough, and all that is left when the campaign ends.
 */
function sendResults(state: CampaignState, ctx: ReduceContext, commands: Command[]): CampaignState {
  const unsent = state.unsentResults ?? [];
  if (unsent.length === 0 || 'inline' in ctx.numbers) return state;
  const due =
    isClosed(state) || unsent.length >= RESULTS_PER_SEND || ctx.now - unsent[0]!.endedAt >= RESULTS_MAX_AGE_MS;
  if (!due) return state;
  const byChunk = new Map<string, AttemptResult[]>();
  for (const result of unsent) {
    const chunkWorkflowId = chunkWorkflowIdOf(state, ctx.numbers.chunks, result.numberIndex);
    byChunk.set(chunkWorkflowId, [...(byChunk.get(chunkWorkflowId) ?? []), result]);
  }
  for (const [chunkWorkflowId, results] of byChunk) commands.push({ type: 'recordResults', chunkWorkflowId, results });
  return { ...state, unsentResults: [] };
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
  // A reservation nobody finished in time lapses, so it cannot hold the campaign open.
  const next = state.addition && state.addition.expiresAt <= now ? { ...state, addition: null } : state;
  if (Object.keys(next.calls).length > 0) return next;
  if (isEnded(next.status)) return { ...next, completedAt: new Date(now).toISOString() };
  // Paused or not, a batch with nothing left to dial (nor being added to) is complete.
  const exhausted = next.nextIndex >= next.total && next.retries.length === 0 && !next.addition;
  return exhausted ? { ...next, status: 'completed', completedAt: new Date(now).toISOString() } : next;
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
  if (state.addition) times.push(state.addition.expiresAt);
  return times.length === 0 ? null : Math.min(...times);
}
