/**
 * The dispatch logic as a reducer: (state, event) -> commands to run, the state changed in place.
 * The workflow feeds it signals, activity results and timer firings and runs the commands; no I/O and
 * no clock here (time comes in `ctx.now`), so every rule is unit-tested without a server. Each event
 * costs what it touches: an agent listing is linear in the agents, nothing is linear in the list.
 */
import type {
  AgentListing,
  CallbackRequest,
  CallbackScheduled,
  CallLocator,
  CallLookup,
  CampaignStatusRecord,
  Lease,
  LeasedNumber,
  LeaseRequest,
  LeaseRules,
  PlaceCallInput,
} from '../activities/types';
import { makeCallId, parseCallId } from '../shared/callId';
import {
  type AgentStatus,
  type AttemptOutcome,
  type CallStatus,
  isTerminalCallStatus,
  type Outcome,
  OUTCOMES,
  outcomeOf,
  type TerminalCallStatus,
} from '../shared/types';
import type { AttemptResult, CallbackSignal } from './messages';
import {
  type CallState,
  type CampaignState,
  emptyOutcomes,
  isClosed,
  isEnded,
  MAX_CAMPAIGN_AGENTS,
  setAgent,
  takeAgents,
} from './state';

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
  /** Checked right before the dial: outside the number's hours (requeued until `nextOpenAt`), or on the do-not-call list. */
  | { type: 'callHeld'; callId: string; held: 'outside_hours'; nextOpenAt: number | null }
  | { type: 'callHeld'; callId: string; held: 'do_not_call' }
  /** A disposition asked to call the number again. */
  | ({ type: 'callback' } & CallbackSignal)
  | { type: 'callbackScheduled'; request: CallbackRequest; result: CallbackScheduled }
  | { type: 'callLookedUp'; callId: string; lookup: CallLookup }
  | { type: 'callLookupFailed'; callId: string }
  | { type: 'numbersLeased'; lease: Lease }
  | { type: 'leaseFailed' }
  | { type: 'attemptsRecorded'; results: AttemptResult[] }
  | { type: 'recordFailed'; results: AttemptResult[] }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'cancel' }
  /** The API is adding numbers: the campaign stays open until it ends the reservation (or it lapses). */
  | { type: 'numbersReserved'; batchKey: string }
  /** The reservation ends; `total` is the campaign's numbers in the database after it (null: none added). */
  | { type: 'numbersAdded'; batchKey: string; total: number | null };

export type Command =
  | { type: 'placeCall'; input: PlaceCallInput }
  | { type: 'lookupCall'; callId: string; locate: CallLocator }
  | { type: 'listAgents' }
  | { type: 'leaseNumbers'; request: LeaseRequest }
  | { type: 'recordAttempts'; campaignId: string; results: AttemptResult[] }
  | { type: 'recordStatus'; record: CampaignStatusRecord }
  | { type: 'scheduleCallback'; request: CallbackRequest };

export interface ReduceContext {
  now: number;
  /** False while the workflow drains before continue-as-new: state changes, but no call, lease, lookup or write starts. */
  startWork: boolean;
}

/** Ended attempts are written this many at a time, or once the oldest is this old. */
export const RESULTS_PER_SEND = 50;
export const RESULTS_MAX_AGE_MS = 10_000;
/** At most this many results in one recordAttempts. */
export const RESULTS_PER_BATCH = 500;
/** The hopper holds at most this many numbers, and a lease takes at most this many. */
export const MAX_HOPPER = 1_000;
export const MAX_LEASE = 500;
/** After a lease that failed for good, the next waits this long. */
export const LEASE_RETRY_MS = 10_000;
/** How long a reservation for added numbers holds when the API that made it never finishes it. */
export const ADDITION_LEASE_MS = 60_000;

export function reduce(state: CampaignState, event: CampaignEvent, ctx: ReduceContext): Command[] {
  if (isClosed(state)) return [];
  const commands: Command[] = [];
  if (event.type === 'callback') callbackAsked(state, event, commands);
  else applyEvent(state, event, ctx.now);
  if (ctx.startWork) {
    if (event.type === 'tick') startDueChecks(state, ctx.now, commands);
    dispatch(state, ctx.now, commands);
    requestLease(state, ctx.now, commands);
  }
  sendResults(state, ctx, commands);
  settle(state, ctx.now);
  recordStatus(state, commands);
  return commands;
}

/** Why a control request is refused, or null when it is allowed. */
export function controlRefusal(state: CampaignState): string | null {
  return isEnded(state.status) ? `campaign is ${state.status}` : null;
}

/** Why an addition of numbers is refused (to reserve: `batchKey` absent), or null when allowed. */
export function additionRefusal(state: CampaignState, now: number, batchKey?: string): 'closed' | 'busy' | null {
  if (isEnded(state.status)) return 'closed';
  const reserved = state.addition && state.addition.expiresAt > now ? state.addition : null;
  if (batchKey === undefined) return reserved ? 'busy' : null;
  return reserved?.batchKey === batchKey ? null : 'busy';
}

function applyEvent(state: CampaignState, event: CampaignEvent, now: number): void {
  switch (event.type) {
    case 'tick':
      return;
    case 'agentsListed':
      return applyListing(state, event.listing);
    case 'agentsListFailed':
      state.agentPollInFlight = false;
      return;
    case 'agentStatus':
      return reportAgent(state, event.agentId, event.status, observedAt(event.at, now));
    case 'callStatus':
      return applyCallStatus(state, event, observedAt(event.at, now), now);
    case 'callPlaced': {
      const call = state.calls.get(event.callId);
      if (call?.phase === 'placing') Object.assign(call, { phase: 'placed', checkDueAt: now + silenceMs(state) });
      return;
    }
    case 'callRefused':
      // The provider's final answer for this number: the contract says such an attempt is not retried.
      return endCall(state, event.callId, 'failed', now, { final: true });
    case 'callNotDialled':
      return putBack(state, event.callId, event.agentStatus, observedAt(event.at, now));
    case 'callUnconfirmed': {
      // The provider may or may not have placed it: look it up at once rather than guess.
      const call = state.calls.get(event.callId);
      if (call) Object.assign(call, { phase: 'unconfirmed', checkDueAt: now });
      return;
    }
    case 'callHeld':
      return callHeld(state, event);
    case 'callback':
      return;
    case 'callbackScheduled':
      return callbackScheduled(state, event.request, event.result);
    case 'callLookedUp':
      return applyLookup(state, event.callId, event.lookup, now);
    case 'callLookupFailed':
      return lookupFailed(state, event.callId, now);
    case 'numbersLeased':
      return takeLease(state, event.lease);
    case 'leaseFailed':
      Object.assign(state.lease, { inFlight: false, nextDueAt: now + LEASE_RETRY_MS });
      return;
    case 'attemptsRecorded':
      return attemptsRecorded(state, event.results);
    case 'recordFailed':
      state.recordsInFlight--;
      state.unsent.unshift(...event.results);
      state.recordRetryAt = now + RESULTS_MAX_AGE_MS;
      return;
    case 'pause':
      if (state.status === 'running') state.status = 'paused';
      return;
    case 'resume':
      if (state.status === 'paused') state.status = 'running';
      return;
    case 'cancel':
      if (!isEnded(state.status)) cancel(state);
      return;
    case 'numbersReserved':
      state.addition = { batchKey: event.batchKey, expiresAt: now + ADDITION_LEASE_MS };
      return;
    case 'numbersAdded':
      return numbersAdded(state, event.batchKey, event.total, now);
  }
}

/** A peer's timestamp, trusted only as far as it is not in our future (clock skew) nor garbage. */
function observedAt(at: number | undefined, now: number): number {
  return at === undefined || !Number.isFinite(at) ? now : Math.min(at, now);
}

function silenceMs(state: CampaignState): number {
  return state.timing.callSilenceSec * 1000;
}

function applyListing(state: CampaignState, listing: AgentListing): void {
  state.agentPollInFlight = false;
  if (state.agentIds === null) {
    const agentIds = [...new Set(listing.agents.map((a) => a.id))].slice(0, MAX_CAMPAIGN_AGENTS);
    if (agentIds.length === 0) {
      state.status = 'failed';
      state.failureReason = 'the agent system lists no agents';
      return;
    }
    takeAgents(state, agentIds);
  }
  const listed = new Map(listing.agents.map((a) => [a.id, a.status]));
  // An agent the agent system no longer lists cannot take calls.
  for (const agentId of state.agentIds!) reportAgent(state, agentId, listed.get(agentId) ?? 'offline', listing.requestedAt);
}

/**
 * Applies a status report unless a newer one was already applied (webhooks arrive out of order).
 * `strictlyNewer` is for the dialer's own wrap-up assumption, which must not override a real report
 * from the same instant.
 */
function reportAgent(state: CampaignState, agentId: string, status: AgentStatus, at: number, strictlyNewer = false): void {
  const agent = state.agents.get(agentId);
  if (!agent) return;
  const stale = strictlyNewer ? at <= agent.reportedAt : at < agent.reportedAt;
  if (stale || (agent.status === status && agent.reportedAt === at)) return;
  setAgent(state, agentId, { ...agent, status, reportedAt: at });
}

function applyCallStatus(
  state: CampaignState,
  { callId, status, durationSec }: { callId: string; status: CallStatus; durationSec?: number },
  at: number,
  now: number,
): void {
  if (isTerminalCallStatus(status)) return endCall(state, callId, status, at, { durationSec });
  const call = state.calls.get(callId);
  if (!call) return; // ended already, or never ours: duplicates and late deliveries are harmless
  if (status === 'answered' || call.status !== 'answered') call.status = status;
  if (call.phase !== 'placing') Object.assign(call, { phase: 'placed', checkDueAt: now + silenceMs(state) });
}

function applyLookup(state: CampaignState, callId: string, lookup: CallLookup, now: number): void {
  const call = state.calls.get(callId);
  if (!call) return;
  Object.assign(call, { lookupInFlight: false, lookupFailingSince: null });
  // Unknown to the provider: the call was never placed (or is gone), so the attempt failed.
  if (!lookup.found) return endCall(state, callId, 'failed', now);
  if (isTerminalCallStatus(lookup.status)) return endCall(state, callId, lookup.status, now, { durationSec: lookup.durationSec });
  Object.assign(call, { phase: 'placed', status: lookup.status, checkDueAt: now + silenceMs(state) });
}

/**
 * A lookup that failed after its retries is tried again later, but not forever: a call nobody can
 * tell anything about for lookupGiveUpSec ends `failed`, final (it may still be live: never dial
 * that number again by accident), and frees its agent.
 */
function lookupFailed(state: CampaignState, callId: string, now: number): void {
  const call = state.calls.get(callId);
  if (!call) return;
  const since = call.lookupFailingSince ?? now;
  if (now - since >= state.timing.lookupGiveUpSec * 1000) return endCall(state, callId, 'failed', now, { final: true });
  Object.assign(call, { lookupInFlight: false, lookupFailingSince: since, checkDueAt: now + silenceMs(state) });
}

/** Ends an attempt: frees (or wraps up) its agent, then schedules its number's next attempt or finishes it. */
function endCall(
  state: CampaignState,
  callId: string,
  status: TerminalCallStatus,
  at: number,
  { final = false, durationSec }: { final?: boolean; durationSec?: number } = {},
): void {
  const call = state.calls.get(callId);
  if (!call) return;
  const freed = releaseCall(state, call, at);
  // After an answered call the agent wraps up: busy until the agent system reports idle after `at`.
  if (freed && status === 'completed') reportAgent(state, call.agentId, 'busy', at, true);

  const outcome = outcomeOf(status);
  const rule = retryRule(state, outcome);
  const open = !final && state.status !== 'cancelled';
  const callback = open ? call.callback : null;
  const retry = callback !== null || (open && rule !== null && call.counted < rule.maxAttempts);
  state.unsent.push({
    callId,
    numberIndex: call.numberIndex,
    attempt: call.attempt,
    agentId: call.agentId,
    outcome,
    final: !retry,
    retryAt: callback ? callback.at : retry ? at + rule!.delaySec * 1000 : null,
    talkSec: outcome === 'answered' && durationSec !== undefined ? durationSec : null,
    dialledAt: call.placedAt,
    endedAt: at,
    ...(call.callbackFor ? { wasCallback: true } : {}),
    ...(callback ? { callback: { agentId: callback.agentId } } : {}),
  });
  if (retry) state.waiting[outcome]++;
  else finish(state, outcome);
}

/** What follows an attempt that ended so (settings.retry over the campaign's defaults); null: nothing, it was answered. */
export function retryRule(state: CampaignState, outcome: AttemptOutcome): { delaySec: number; maxAttempts: number } | null {
  if (outcome === 'answered') return null;
  const own = state.settings.retry?.[outcome];
  return { delaySec: own?.delaySec ?? state.settings.retryDelaySec, maxAttempts: own?.maxAttempts ?? state.settings.maxAttempts };
}

/**
 * A checked dial that dialled nothing frees its agent at once. The activity has already requeued the
 * number (outside its hours) or finished it (do-not-call) in the database.
 */
function callHeld(state: CampaignState, event: Extract<CampaignEvent, { type: 'callHeld' }>): void {
  const call = state.calls.get(event.callId);
  if (!call) return;
  releaseCall(state, call);
  if (event.held === 'do_not_call') return finish(state, 'do-not-call');
  if (call.previousOutcome !== null) state.waiting[call.previousOutcome]++;
  const { lease } = state;
  if (event.nextOpenAt !== null && (lease.nextDueAt === null || event.nextOpenAt < lease.nextDueAt)) lease.nextDueAt = event.nextOpenAt;
}

/**
 * A disposition's callback: kept with a call still in flight, set on a result not yet written, or
 * asked of the database for an attempt already written. Repeated deliveries change nothing.
 */
function callbackAsked(state: CampaignState, { callId, at, agentId }: CallbackSignal, commands: Command[]): void {
  if (isEnded(state.status)) return;
  const call = state.calls.get(callId);
  if (call) {
    call.callback = { at, agentId };
    return;
  }
  const result = state.unsent.find((r) => r.callId === callId);
  if (result) {
    if (result.callback) return;
    if (result.final) {
      // Finished when it ended: pending again.
      state.finished--;
      state.outcomes[result.outcome]--;
      state.waiting[result.outcome]++;
    }
    Object.assign(result, { final: false, retryAt: at, callback: { agentId } });
    return;
  }
  const ref = parseCallId(callId);
  if (ref?.campaignId !== state.campaignId) return;
  const { numberIndex, attempt } = ref;
  commands.push({ type: 'scheduleCallback', request: { campaignId: state.campaignId, callId, numberIndex, attempt, at, agentId } });
}

function callbackScheduled(state: CampaignState, request: CallbackRequest, result: CallbackScheduled): void {
  if (result.change === 'none') return;
  if (result.change === 'reopened') {
    state.finished--;
    state.outcomes[result.outcome]--;
    state.waiting[result.outcome]++;
  }
  const { lease } = state;
  if (lease.nextDueAt === null || request.at < lease.nextDueAt) lease.nextDueAt = request.at;
}

/**
 * Undoes a dispatch that dialled nothing: the agent takes the status found, and the number goes back
 * to the front of the hopper with the same attempt, hence the same callId and Idempotency-Key (an
 * earlier request that reached the provider after all cannot become a second call).
 */
function putBack(state: CampaignState, callId: string, agentStatus: AgentStatus, at: number): void {
  const call = state.calls.get(callId);
  if (!call) return;
  releaseCall(state, call);
  reportAgent(state, call.agentId, agentStatus, at);
  const number = leasedAgain(call);
  if (state.status !== 'cancelled') state.hopper.unshift(number);
  // A cancelled campaign dials no more: a retry has had its last attempt, a first attempt stays pending.
  else if (number.previousOutcome !== null) finish(state, number.previousOutcome);
}

/** The number of a call that dialled nothing, as it was leased. */
function leasedAgain(call: CallState): LeasedNumber {
  const { numberIndex, attempt, previousOutcome, callbackFor } = call;
  const counted = callbackFor ? call.counted : call.counted - 1;
  return {
    numberIndex,
    attempt,
    previousOutcome,
    ...(counted === attempt - 1 ? {} : { counted }),
    ...(callbackFor ? { callback: callbackFor } : {}),
  };
}

/** The call is no longer in flight; its agent, if still reserved for it, is released. True if so. */
function releaseCall(state: CampaignState, call: CallState, endedAt?: number): boolean {
  state.calls.delete(call.callId);
  const agent = state.agents.get(call.agentId);
  if (!agent || agent.callId !== call.callId) return false;
  setAgent(state, call.agentId, { ...agent, callId: null, lastCallEndedAt: endedAt ?? agent.lastCallEndedAt });
  return true;
}

function finish(state: CampaignState, outcome: Outcome, count = 1): void {
  state.finished += count;
  state.outcomes[outcome] += count;
}

/** No new attempt after a cancel: a number waiting for a retry, or leased for one, has had its last attempt. */
function cancel(state: CampaignState): void {
  state.status = 'cancelled';
  for (const outcome of OUTCOMES) finish(state, outcome, state.waiting[outcome]);
  state.waiting = emptyOutcomes();
  // A number leased for its first attempt was never dialled: it stays pending.
  for (const number of state.hopper) if (number.previousOutcome !== null) finish(state, number.previousOutcome);
  state.hopper = [];
}

function takeLease(state: CampaignState, lease: Lease): void {
  Object.assign(state.lease, { inFlight: false, nextDueAt: lease.nextDueAt, stale: false });
  state.total = Math.max(state.total, lease.total);
  for (const { previousOutcome } of lease.doNotCall ?? []) {
    // Counted waiting for a retry until now, unless a cancel has finished it already.
    if (previousOutcome !== null && state.status === 'cancelled') continue;
    if (previousOutcome !== null) state.waiting[previousOutcome]--;
    finish(state, 'do-not-call');
  }
  // Leased as the cancel came: a retry was finished by it (with the waiting), a first attempt stays pending.
  if (state.status === 'cancelled') return;
  for (const number of lease.numbers) {
    if (number.previousOutcome !== null) state.waiting[number.previousOutcome]--;
    state.hopper.push(number);
  }
}

function attemptsRecorded(state: CampaignState, results: readonly AttemptResult[]): void {
  state.recordsInFlight--;
  // The retries just written are in the database now: the next lease may take them when due.
  for (const { retryAt } of results) {
    if (retryAt !== null && (state.lease.nextDueAt === null || retryAt < state.lease.nextDueAt)) state.lease.nextDueAt = retryAt;
  }
}

function numbersAdded(state: CampaignState, batchKey: string, total: number | null, now: number): void {
  if (state.addition?.batchKey === batchKey) state.addition = null;
  if (total === null || total <= state.total) return;
  state.total = total;
  state.lease.nextDueAt = Math.min(state.lease.nextDueAt ?? now, now);
}

function startDueChecks(state: CampaignState, now: number, commands: Command[]): void {
  const pollDue = now - state.lastAgentPollAt >= state.timing.agentPollSec * 1000;
  if (!state.agentPollInFlight && pollDue) {
    Object.assign(state, { agentPollInFlight: true, lastAgentPollAt: now });
    commands.push({ type: 'listAgents' });
  }
  for (const call of state.calls.values()) {
    if (call.lookupInFlight || call.checkDueAt === null || call.checkDueAt > now) continue;
    call.lookupInFlight = true;
    commands.push({ type: 'lookupCall', callId: call.callId, locate: { placedAt: call.placedAt } });
  }
}

/**
 * Pairs free agents (longest-waiting first) with the hopper's numbers, within maxConcurrentCalls. A
 * callback for one agent waits for that agent while they are logged in; once they are not, anyone takes it.
 */
function dispatch(state: CampaignState, now: number, commands: Command[]): void {
  if (state.status !== 'running' || state.hopper.length === 0 || state.free.size === 0) return;
  const cap = state.settings.maxConcurrentCalls;
  const slots = Math.min(state.free.size, state.hopper.length, cap === null ? Infinity : cap - state.calls.size);
  if (slots <= 0) return;
  const agents = [...state.free].sort(
    (a, b) => state.agents.get(a)!.lastCallEndedAt - state.agents.get(b)!.lastCallEndedAt || (a < b ? -1 : 1),
  );
  const taken = new Set<string>();
  const kept: LeasedNumber[] = [];
  let nextAgent = 0;
  let pinnedWaiting = 0;
  let i = 0;
  for (; i < state.hopper.length && taken.size < slots; i++) {
    const number = state.hopper[i]!;
    const pin = number.callback?.agentId ?? null;
    let agentId: string | undefined;
    if (pin !== null && loggedIn(state, pin)) {
      if (state.free.has(pin) && !taken.has(pin)) agentId = pin;
      else pinnedWaiting++;
    } else {
      while (nextAgent < agents.length && taken.has(agents[nextAgent]!)) nextAgent++;
      agentId = agents[nextAgent++];
    }
    if (agentId === undefined) {
      kept.push(number);
      continue;
    }
    taken.add(agentId);
    place(state, number, agentId, now, commands);
  }
  for (const { callback } of state.hopper.slice(i)) {
    const pin = callback?.agentId ?? null;
    if (pin !== null && loggedIn(state, pin) && !state.free.has(pin)) pinnedWaiting++;
  }
  state.hopper = kept.concat(state.hopper.slice(i));
  state.pinnedWaiting = pinnedWaiting;
}

/** Whether an agent of the campaign is logged in: on a call, idle or busy (offline and unknown are not). */
function loggedIn(state: CampaignState, agentId: string): boolean {
  const agent = state.agents.get(agentId);
  return agent !== undefined && (agent.callId !== null || agent.status === 'idle' || agent.status === 'busy');
}

function place(state: CampaignState, number: LeasedNumber, agentId: string, now: number, commands: Command[]): void {
  const { numberIndex, attempt, previousOutcome } = number;
  const callId = makeCallId({ campaignId: state.campaignId, numberIndex, attempt });
  const before = number.counted ?? attempt - 1;
  state.calls.set(callId, {
    callId,
    numberIndex,
    attempt,
    agentId,
    phase: 'placing',
    previousOutcome,
    counted: number.callback ? before : before + 1,
    callbackFor: number.callback ?? null,
    callback: null,
    status: null,
    placedAt: now,
    checkDueAt: null,
    lookupInFlight: false,
    lookupFailingSince: null,
  });
  setAgent(state, agentId, { ...state.agents.get(agentId)!, callId });
  commands.push({ type: 'placeCall', input: { callId, agentId, campaignId: state.campaignId } });
}

/** As many numbers as the campaign's agents can take at once (and maxConcurrentCalls allows), up to MAX_HOPPER. */
export function hopperTarget(state: CampaignState): number {
  const cap = state.settings.maxConcurrentCalls;
  return Math.min(state.agentIds?.length ?? 0, cap === null ? Infinity : cap, MAX_HOPPER);
}

/** Numbers in the database the campaign may still lease: never dialled, or waiting for a retry. */
function leasable(state: CampaignState): number {
  return state.total - state.finished - state.calls.size - state.hopper.length;
}

/**
 * Refills the hopper when it runs short: below the free agents, or half empty. Also refreshes the
 * total after a lapsed addition, which may have added numbers the campaign was never told of.
 */
function requestLease(state: CampaignState, now: number, commands: Command[]): void {
  const { lease } = state;
  if (lease.inFlight || state.agentIds === null) return;
  const target = hopperTarget(state);
  // Callbacks waiting for their own agent do not serve the others.
  const ready = state.hopper.length - state.pinnedWaiting;
  const short = ready < state.free.size || ready * 2 <= target;
  const due = lease.nextDueAt !== null && lease.nextDueAt <= now;
  const room = Math.min(target - ready, MAX_HOPPER - state.hopper.length);
  const wanted = state.status === 'running' && short && due && leasable(state) > 0 && room > 0;
  if (!wanted && !lease.stale) return;
  const count = wanted ? Math.min(MAX_LEASE, room) : 0;
  Object.assign(lease, { inFlight: true, seq: lease.seq + 1 });
  commands.push({
    type: 'leaseNumbers',
    request: { campaignId: state.campaignId, leaseId: `${state.campaignId}:${lease.seq}`, count, now, ...leaseRules(state) },
  });
}

/** The calling rules the lease keeps; none for a campaign started before them. */
function leaseRules(state: CampaignState): { rules?: LeaseRules } {
  const { callingHours, frequencyCap } = state.settings;
  if (callingHours === undefined && !frequencyCap) return {};
  return { rules: { ...(callingHours ? { callingHours } : {}), ...(frequencyCap ? { frequencyCap } : {}) } };
}

/**
 * Hands ended attempts to recordAttempts in batches (an activity is three history events): when
 * enough have gathered, when the oldest has waited long enough, when a retry among them falls due
 * soon, and whenever nothing else is under way (no call in flight, the campaign ended).
 * While the run drains they wait and are carried (at most one per call): a write started for each call
 * ending during the drain would keep an activity in flight as long as calls end, and the drain going.
 */
function sendResults(state: CampaignState, ctx: ReduceContext, commands: Command[]): void {
  const { unsent } = state;
  if (unsent.length === 0 || ctx.now < state.recordRetryAt) return;
  if (!ctx.startWork && !isEnded(state.status)) return;
  const due =
    unsent.length >= RESULTS_PER_SEND ||
    ctx.now - unsent[0]!.endedAt >= RESULTS_MAX_AGE_MS ||
    state.calls.size === 0 ||
    isEnded(state.status) ||
    unsent.some((r) => r.retryAt !== null && r.retryAt - ctx.now <= RESULTS_MAX_AGE_MS);
  if (!due) return;
  while (unsent.length > 0) {
    state.recordsInFlight++;
    commands.push({ type: 'recordAttempts', campaignId: state.campaignId, results: unsent.splice(0, RESULTS_PER_BATCH) });
  }
}

/** Closes the campaign once nothing is left to dial, to wait for or to write. */
function settle(state: CampaignState, now: number): void {
  if (state.addition && state.addition.expiresAt <= now) {
    // A reservation nobody finished in time lapses, so it cannot hold the campaign open; the API
    // may have written numbers under it all the same: the next lease reads the total again.
    state.addition = null;
    state.lease.stale = true;
  }
  const quiet = state.calls.size === 0 && !state.lease.inFlight && state.unsent.length === 0 && state.recordsInFlight === 0;
  if (!quiet) return;
  if (isEnded(state.status)) {
    state.completedAt = new Date(now).toISOString();
    return;
  }
  // Paused or not, a batch with every number finished (and none being added) is complete.
  if (state.finished >= state.total && !state.addition && !state.lease.stale) {
    Object.assign(state, { status: 'completed', completedAt: new Date(now).toISOString() });
  }
}

/** The status for GET /campaigns, written when it changes, and once more with the end. */
function recordStatus(state: CampaignState, commands: Command[]): void {
  if (state.status === state.recordedStatus && state.completedAt === null) return;
  state.recordedStatus = state.status;
  state.statusVersion++;
  const { campaignId, status, completedAt, statusVersion: version } = state;
  commands.push({ type: 'recordStatus', record: { campaignId, status, completedAt, version } });
}

/**
 * The next moment a tick has work to do (a poll, a lookup, a retry falling due, results to write),
 * or null if none is planned. Numbers already due wait for an agent to free up, an event of its own.
 */
export function nextWakeAt(state: CampaignState, now: number): number | null {
  if (isClosed(state)) return null;
  let next = Infinity;
  const at = (time: number): void => {
    if (time < next) next = time;
  };
  if (!state.agentPollInFlight) at(state.lastAgentPollAt + state.timing.agentPollSec * 1000);
  for (const call of state.calls.values()) if (!call.lookupInFlight && call.checkDueAt !== null) at(call.checkDueAt);
  const { nextDueAt, inFlight } = state.lease;
  if (state.status === 'running' && !inFlight && nextDueAt !== null && nextDueAt > now && leasable(state) > 0) at(nextDueAt);
  if (state.unsent.length > 0) at(Math.max(state.unsent[0]!.endedAt + RESULTS_MAX_AGE_MS, state.recordRetryAt));
  if (state.addition) at(state.addition.expiresAt);
  return next === Infinity ? null : next;
}

