/**
 * Twilio's call statuses (the Call resource's, and the CallStatus of its status callbacks) in the
 * contract's terms. Shared by the Twilio provider (lookups) and the API (status callbacks).
 */
import type { CallStatus } from '../shared/types';

const CONTRACT_STATUS_OF = {
  queued: 'initiated',
  initiated: 'initiated',
  ringing: 'ringing',
  'in-progress': 'answered',
  completed: 'completed',
  busy: 'busy',
  'no-answer': 'no-answer',
  failed: 'failed',
  canceled: 'canceled',
} as const satisfies Record<string, CallStatus>;

export type TwilioCallStatus = keyof typeof CONTRACT_STATUS_OF;

export const TWILIO_CALL_STATUSES = Object.keys(CONTRACT_STATUS_OF) as [TwilioCallStatus, ...TwilioCallStatus[]];

/** The contract's status for a Twilio one, or undefined for a status Twilio may add one day. */
export function contractStatusOf(status: string): CallStatus | undefined {
  return Object.hasOwn(CONTRACT_STATUS_OF, status) ? CONTRACT_STATUS_OF[status as TwilioCallStatus] : undefined;
}

/** Where Twilio posts a call's status changes: the callId rides in the query, covered by the signature. */
export const TWILIO_STATUS_CALLBACK_PATH = '/webhooks/twilio/call-status';

export function twilioStatusCallbackUrl(publicBaseUrl: string, callId: string): string {
  return `${publicBaseUrl}${TWILIO_STATUS_CALLBACK_PATH}?callId=${encodeURIComponent(callId)}`;
}
