/** The API's codes in plain words. */
import type { AgentTileState, CampaignStatus, Outcome } from '../shared/types';

export const STATUS_WORDS: Record<CampaignStatus, string> = {
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

export const OUTCOME_WORDS: Record<Outcome, string> = {
  answered: 'Answered',
  'no-answer': 'No answer',
  busy: 'Line busy',
  failed: 'Failed',
  canceled: 'Cancelled before answer',
  'do-not-call': 'Do not call',
};

export const NUMBER_STATUS_WORDS = { pending: 'Waiting', 'in-flight': 'On a call now', finished: 'Done' } as const;

export const AGENT_STATE_WORDS: Record<AgentTileState, string> = {
  idle: 'Free',
  'on-call': 'On a call',
  'wrap-up': 'Wrap-up',
  busy: 'Busy elsewhere',
  offline: 'Offline',
};

/** Why a number was refused at import (src/api/numbers.ts REJECT_REASONS, src/rules/numberZones.ts). */
const REASON_WORDS: Record<string, string> = {
  empty: 'empty',
  not_a_number: 'not a phone number',
  missing_region: 'no country code (set a default region)',
  unknown_country_code: 'unknown country code',
  too_short: 'too short',
  too_long: 'too long',
  invalid_length: 'wrong number of digits',
  invalid_number: 'not a valid number in its country',
  extension_not_supported: 'has an extension (not supported)',
  do_not_call: 'on the do-not-call list',
  invalid_time_zone: 'the timezone column names no known time zone',
  unknown_time_zone: 'its time zone is unknown (add a timezone column or set a time zone)',
  no_calling_window: 'its local time is never inside the calling hours',
};

export const reasonWords = (reason: string): string => REASON_WORDS[reason] ?? reason.replace(/_/g, ' ');

/** A field message that is a bare reason code (e.g. `phone: not_a_number`) reads as its words. */
export const messageWords = (message: string): string => REASON_WORDS[message] ?? message;

export const HOLD_WORDS = {
  outside_hours: 'Outside calling hours',
  frequency_cap: 'Called too often recently',
  do_not_call: 'On the do-not-call list',
} as const;
