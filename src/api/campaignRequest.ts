/**
 * Turns a POST /campaigns request (JSON body, or CSV body + query parameters) into the workflow's
 * input: validation, numbers normalised and de-duplicated, CSV contact data aligned with them.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config';
import type { CampaignInput } from '../workflows/definitions';
import { parseCampaignCsv } from './csv';
import { ApiError } from './errors';
import { type ChunkedBatch, chunkBatch } from './numberChunks';
import { type CountryCode, normaliseNumbers, type RejectedNumber } from './numbers';
import {
  type CampaignMeta,
  csvNumbersQuerySchema,
  csvQuerySchema,
  jsonCampaignSchema,
  jsonNumbersSchema,
  parseOrThrow,
} from './schemas';

/** Most numbers one request may carry (entries before normalisation). */
export const MAX_NUMBERS = 100_000;

export type CampaignFormat = 'json' | 'csv';

export function campaignFormat(contentType: string | undefined): CampaignFormat {
  const mediaType = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType === 'application/json') return 'json';
  if (mediaType === 'text/csv') return 'csv';
  throw new ApiError(
    'unsupported_media_type',
    `Content-Type must be application/json or text/csv, not ${mediaType === '' ? 'absent' : mediaType}`,
  );
}

export interface CampaignRequest {
  meta: CampaignMeta;
  /** Phone numbers as sent. */
  values: string[];
  /** CSV only: the other columns of each row, aligned with `values`. */
  contacts?: Array<Record<string, string>>;
}

function checkCount(count: number): void {
  if (count > MAX_NUMBERS) {
    const message = `a request takes at most ${MAX_NUMBERS} numbers, got ${count}`;
    throw new ApiError('payload_too_large', message, { limit: MAX_NUMBERS, received: count });
  }
}

export function readCampaignRequest(format: CampaignFormat, body: unknown, query: unknown): CampaignRequest {
  if (format === 'json') {
    const { numbers, ...meta } = parseOrThrow(jsonCampaignSchema, body, 'campaign');
    checkCount(numbers.length);
    return { meta, values: numbers };
  }
  const meta = parseOrThrow(csvQuerySchema, query, 'query parameters');
  const csv = parseCampaignCsv(typeof body === 'string' ? body : '');
  checkCount(csv.phones.length);
  return { meta, values: csv.phones, contacts: csv.contactColumns.length > 0 ? csv.contacts : undefined };
}

/** A POST /campaigns/:id/numbers request: the numbers (and CSV contact data) in the same forms as a new campaign's. */
export interface NumbersRequest {
  values: string[];
  contacts?: Array<Record<string, string>>;
  defaultRegion?: CountryCode;
}

export function readNumbersRequest(format: CampaignFormat, body: unknown, query: unknown): NumbersRequest {
  if (format === 'json') {
    const { numbers, defaultRegion } = parseOrThrow(jsonNumbersSchema, body, 'numbers');
    checkCount(numbers.length);
    return { values: numbers, defaultRegion };
  }
  const { defaultRegion } = parseOrThrow(csvNumbersQuerySchema, query, 'query parameters');
  const csv = parseCampaignCsv(typeof body === 'string' ? body : '');
  checkCount(csv.phones.length);
  return { values: csv.phones, contacts: csv.contactColumns.length > 0 ? csv.contacts : undefined, defaultRegion };
}

/** Sortable by day, unguessable, within CAMPAIGN_ID_PATTERN, and with no 9-digit run (8 + '-' + 8). */
export function generateCampaignId(now: Date): string {
  const day = now.toISOString().slice(0, 10).replace(/-/g, '');
  return `${day}-${randomBytes(6).toString('base64url')}`;
}

export interface CampaignCreated {
  campaignId: string;
  workflowId: string;
  accepted: number;
  duplicates: number;
  rejected: RejectedNumber[];
}

export interface PreparedCampaign {
  input: CampaignInput;
  /** The numbers, for the number-chunk workflows that hold them (the input only refers to them). */
  batch: ChunkedBatch;
  summary: Omit<CampaignCreated, 'workflowId'>;
}

export function prepareCampaign(request: CampaignRequest, timing: Config['timing'], now: Date): PreparedCampaign {
  const { meta } = request;
  const { defaultRegion, ...settings } = meta.settings;
  const batch = normaliseNumbers(request.values, defaultRegion);
  if (batch.numbers.length === 0) {
    throw new ApiError('no_valid_numbers', 'no number in the request is valid', { rejected: batch.rejected });
  }
  const campaignId = meta.campaignId ?? generateCampaignId(now);
  const contacts = request.contacts;
  const chunked = chunkBatch(campaignId, batch.numbers, contacts && batch.sourceIndex.map((i) => contacts[i]!));
  const input: CampaignInput = {
    campaignId,
    name: meta.name ?? campaignId,
    chunks: chunked.chunks,
    ...(meta.agentIds === undefined ? {} : { agentIds: meta.agentIds }),
    settings,
    timing: { agentPollSec: timing.agentPollSec, callSilenceSec: timing.callSilenceSec },
    createdAt: now.toISOString(),
  };
  return {
    input,
    batch: chunked,
    summary: { campaignId, accepted: batch.numbers.length, duplicates: batch.duplicates, rejected: batch.rejected },
  };
}
