/**
 * Counts each placeCall attempt by result and times dispatch, around the activity rather than in it:
 * the activity stays about the provider, and the figures cover every attempt Temporal runs.
 */
import { activityInfo } from '@temporalio/activity';
import type { DialerActivities, PlaceCallResult } from '../activities/types';
import { callsPlaced, dispatchLatency, type PlaceCallResultLabel } from '../metrics/worker';

export function placeCallResultLabel(result: PlaceCallResult): PlaceCallResultLabel {
  if (result.placed) return 'placed';
  return 'agentUnavailable' in result ? 'not_dialled' : 'refused';
}

type PlaceCall = DialerActivities['placeCall'];

export function withPlaceCallMetrics(placeCall: PlaceCall): PlaceCall {
  return async (input) => {
    // The attempt's own schedule time: a retry is timed from when it was scheduled, not the first try.
    const scheduledAt = activityInfo().currentAttemptScheduledTimestampMs;
    let result: PlaceCallResult;
    try {
      result = await placeCall(input);
    } catch (err) {
      callsPlaced.inc({ result: 'error' });
      throw err;
    }
    const label = placeCallResultLabel(result);
    callsPlaced.inc({ result: label });
    // Only when the provider answered POST /calls: a call not dialled never asked it.
    if (label !== 'not_dialled') dispatchLatency.observe(Math.max(0, Date.now() - scheduledAt) / 1000);
    return result;
  };
}
