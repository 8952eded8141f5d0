/**
 * Phone number normalisation: E.164 via libphonenumber-js (full metadata, so validity is checked
 * against real numbering plans, not just lengths), rejection reasons, de-duplication.
 */
import {
  isSupportedCountry,
  ParseError,
  parsePhoneNumberWithError,
  validatePhoneNumberLength,
  type CountryCode,
} from 'libphonenumber-js/max';

export type { CountryCode };

export const REJECT_REASONS = [
  'empty',
  'not_a_number',
  'missing_region',
  'unknown_country_code',
  'too_short',
  'too_long',
  'invalid_length',
  'invalid_number',
  'extension_not_supported',
  // Calling rules: on the do-not-call list, or no time zone (or window) to dial it in.
  'do_not_call',
  'invalid_time_zone',
  'unknown_time_zone',
  'no_calling_window',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface RejectedNumber {
  /** Position in the request's list (JSON) or data row (CSV, header excluded), from 0. */
  index: number;
  value: string;
  reason: RejectReason;
}

export type NormaliseResult = { ok: true; e164: string } | { ok: false; reason: RejectReason };

/** Longer input is no phone number; refusing it early keeps the parser's work bounded. */
const MAX_INPUT_LENGTH = 64;

export function isKnownRegion(code: string): code is CountryCode {
  return isSupportedCountry(code);
}

function reasonOfParseError(message: string, hasPlus: boolean, hasRegion: boolean): RejectReason {
  switch (message) {
    case 'INVALID_COUNTRY':
      return hasPlus || hasRegion ? 'unknown_country_code' : 'missing_region';
    case 'TOO_SHORT':
      return 'too_short';
    case 'TOO_LONG':
      return 'too_long';
    case 'INVALID_LENGTH':
      return 'invalid_length';
    default:
      return 'not_a_number';
  }
}

export function normaliseNumber(value: string, defaultRegion?: CountryCode): NormaliseResult {
  const text = value.trim();
  if (text === '') return { ok: false, reason: 'empty' };
  if (text.length > MAX_INPUT_LENGTH) return { ok: false, reason: 'too_long' };
  const options = { defaultCountry: defaultRegion, extract: false };
  try {
    const phone = parsePhoneNumberWithError(text, options);
    if (phone.ext !== undefined) return { ok: false, reason: 'extension_not_supported' };
    if (phone.isValid()) return { ok: true, e164: phone.number };
    const lengthProblem = validatePhoneNumberLength(text, options);
    if (lengthProblem === 'TOO_SHORT') return { ok: false, reason: 'too_short' };
    if (lengthProblem === 'TOO_LONG') return { ok: false, reason: 'too_long' };
    if (lengthProblem === 'INVALID_LENGTH') return { ok: false, reason: 'invalid_length' };
    return { ok: false, reason: 'invalid_number' };
  } catch (err) {
    if (err instanceof ParseError) {
      return { ok: false, reason: reasonOfParseError(err.message, text.startsWith('+'), defaultRegion !== undefined) };
    }
    throw err;
  }
}

export interface NormalisedBatch {
  /** Accepted numbers in E.164, first occurrence kept, in input order. */
  numbers: string[];
  /** For each accepted number, its index in the input (to align CSV contact data). */
  sourceIndex: number[];
  /** Valid entries dropped because an earlier entry normalised to the same number. */
  duplicates: number;
  rejected: RejectedNumber[];
}

export function normaliseNumbers(values: readonly string[], defaultRegion?: CountryCode): NormalisedBatch {
  const batch: NormalisedBatch = { numbers: [], sourceIndex: [], duplicates: 0, rejected: [] };
  const seen = new Set<string>();
  values.forEach((value, index) => {
    const result = normaliseNumber(value, defaultRegion);
    if (!result.ok) {
      batch.rejected.push({ index, value, reason: result.reason });
    } else if (seen.has(result.e164)) {
      batch.duplicates++;
    } else {
      seen.add(result.e164);
      batch.numbers.push(result.e164);
      batch.sourceIndex.push(index);
    }
  });
  return batch;
}
