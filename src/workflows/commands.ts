/**
 * Runs the reducer's commands as activities and turns each outcome (a failure after all retries
 * too) back into an event. Counts what is in flight, so the workflow knows when it has drained.
 */
import { log, proxyActivities } from '@temporalio/workflow';
import type { DialerActivities, PlaceCallResult } from '../activities/types';
import { failureFields } from './failures';
import type { CampaignEvent, Command } from './reducer';

// The key is the callId, so every retry re-sends the same Idempotency-Key and never makes a second call.
// After ~5 minutes of failures the workflow asks the provider whether the call exists instead.
const { placeCall } = proxyActivities<DialerActivities>({
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 12 },
});

const { getCallStatus, listAgents } = proxyActivities<DialerActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '500 milliseconds', maximumInterval: '5 seconds', maximumAttempts: 3 },
});

// The database is the system of record: while it is down the campaign waits for it, retrying without end.
const { leaseNumbers, recordAttempts, recordCampaignStatus } = proxyActivities<DialerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '15 seconds' },
});

// Waits for the attempt's own write (under way), but not without end: a callback for an attempt that
// never comes (a bogus callId) must not hold a drain before continue-as-new.
const { scheduleCallback } = proxyActivities<DialerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 8 },
});

export interface CommandRunner {
  run(command: Command): void;
  /** No activity is in flight. */
  idle(): boolean;
}

export function commandRunner(onEvent: (event: CampaignEvent) => void): CommandRunner {
  let inFlight = 0;

  /** Feeds an activity's outcome back as an event (none for `null`); a failure is logged with its cause. */
  function track<T>(activity: string, running: Promise<T>, onResult: (result: T) => CampaignEvent | null, onFailure: CampaignEvent | null): void {
    inFlight++;
    void running
      .then(onResult, (err: unknown) => {
        log.warn('activity failed after its retries', { activity, error: failureFields(err) });
        return onFailure;
      })
      .then((event) => {
        inFlight--;
        if (event) onEvent(event);
      });
  }

  return {
    idle: () => inFlight === 0,
    run(command) {
      switch (command.type) {
        case 'placeCall': {
          const { callId } = command.input;
          return track('placeCall', placeCall(command.input), (result) => placementEvent(callId, result), {
            type: 'callUnconfirmed',
            callId,
          });
        }
        case 'lookupCall': {
          const { callId, locate } = command;
          return track('getCallStatus', getCallStatus(callId, locate), (lookup) => ({ type: 'callLookedUp', callId, lookup }), {
            type: 'callLookupFailed',
            callId,
          });
        }
        case 'listAgents':
          return track('listAgents', listAgents(), (listing) => ({ type: 'agentsListed', listing }), { type: 'agentsListFailed' });
        case 'leaseNumbers':
          return track('leaseNumbers', leaseNumbers(command.request), (lease) => ({ type: 'numbersLeased', lease }), {
            type: 'leaseFailed',
          });
        case 'recordAttempts': {
          const { campaignId, results } = command;
          return track('recordAttempts', recordAttempts(campaignId, results), () => ({ type: 'attemptsRecorded', results }), {
            type: 'recordFailed',
            results,
          });
        }
        case 'scheduleCallback': {
          const { request } = command;
          return track('scheduleCallback', scheduleCallback(request), (result) => ({ type: 'callbackScheduled', request, result }), null);
        }
        case 'recordStatus':
          // Only GET /campaigns reads it, and the next change writes it again: nothing to feed back.
          return track('recordCampaignStatus', recordCampaignStatus(command.record), () => null, null);
      }
    },
  };
}

function placementEvent(callId: string, result: PlaceCallResult): CampaignEvent {
  if (result.placed) return { type: 'callPlaced', callId };
  if ('held' in result) {
    return result.held === 'do_not_call'
      ? { type: 'callHeld', callId, held: 'do_not_call' }
      : { type: 'callHeld', callId, held: 'outside_hours', nextOpenAt: result.nextOpenAt };
  }
  if ('agentUnavailable' in result) {
    const { status, observedAt } = result.agentUnavailable;
    return { type: 'callNotDialled', callId, agentStatus: status, at: observedAt };
  }
  return { type: 'callRefused', callId };
}
