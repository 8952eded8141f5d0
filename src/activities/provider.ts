/**
 * What the activities need of a telephony provider: place a call, and find it again. The activities
 * keep what every provider shares (reading the number, the late-placement check); each provider
 * speaks its own HTTP: the contract's (httpProvider.ts) or Twilio's REST API (twilioProvider.ts).
 */
import type { CallLookup } from './types';

export interface CallToPlace {
  callId: string;
  /** E.164. */
  to: string;
  agentId: string;
  campaignId: string;
}

/**
 * When and how the placement runs. `late` is a retry of the activity or a first attempt that started
 * late: a provider without an idempotency key must then look for a call it may already have placed.
 */
export interface PlacementTiming {
  late: boolean;
  /** Epoch ms when the dialler decided on the call (the activity's first schedule): no call of it is older. */
  decidedAt: number;
}

/** A provider's answer to a placement; a passing failure (worth a retry) is thrown instead. */
export type Placement = { placed: true; providerCallId: string } | { placed: false; httpStatus: number; reason: string };

/**
 * Where a call can be found by a provider that cannot look it up by its callId: the number dialled,
 * read only when needed, and the moment the dialler decided on the call.
 */
export interface CallWhereabouts {
  number(): Promise<string>;
  decidedAt: number;
}

export interface TelephonyProvider {
  placeCall(call: CallToPlace, timing: PlacementTiming): Promise<Placement>;
  /** `where` is absent for lookups from workflow runs older than the call locator. */
  findCall(callId: string, where: CallWhereabouts | undefined): Promise<CallLookup>;
}

/** 408, 429 and 5xx are worth another try with the same key; other 4xx are the provider's final no. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}
