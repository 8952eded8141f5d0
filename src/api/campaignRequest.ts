/**
 * Reads a POST /campaigns or POST /campaigns/:id/numbers request: the settings (JSON body, or CSV
 * query parameters) validated before any number is read, and the numbers as a stream, normalised
 * and counted as they pass on their way to the database.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import type { Request } from 'express';
import type { Config } from '../config';
import type { StagedNumber } from '../db/contacts';
import type { CampaignInput } from '../workflows/messages';
import { type NumberRow, type NumberSource, readNumbersCsv } from './csv';
import { ApiError } from './errors';
import type { NumberZoneResolver } from '../rules/numberZones';
import { type CountryCode, normaliseNumber, type RejectedNumber } from './numbers';
import {
  type CampaignMeta,
  csvNumbersQuerySchema,
  csvQuerySchema,
  dryRunQuerySchema,
  jsonCampaignSchema,
  jsonNumbersSchema,
  parseOrThrow,
} from './schemas';

/** Most numbers one request may carry (entries before normalisation). */
export const MAX_NUMBERS = 1_000_000;
/** Bodies: a million numbers of JSON are some 17 MB; CSV rows carry contact columns too. */
export const JSON_BODY_LIMIT = '64mb';
export const CSV_BODY_LIMIT_BYTES = 512 * 1024 * 1024;

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

/** What the request says, its numbers still to be read, and a digest of it all (a retry sends the same). */
export interface NumbersRequest<Meta> {
  meta: Meta;
  source: NumberSource;
  digest(): string;
}

/** express.json's `verify` hook: the digest of a JSON body, taken from its raw bytes. */
export function keepBodyDigest(req: Request, _res: unknown, body: Buffer): void {
  (req as Request & { bodyDigest?: string }).bodyDigest = createHash('sha256').update(body).digest('hex');
}

function jsonNumbers(values: readonly string[]): NumberSource {
  return { columns: [], rows: (async function* rows() {
    for (const value of values) yield { value };
  })() };
}

/** The CSV body as it streams in, hashed (with the query) on the way and refused past its byte limit. */
async function csvBody(req: Request): Promise<{ source: NumberSource; digest: () => string }> {
  const hash = createHash('sha256').update(new URLSearchParams(req.query as Record<string, string>).toString());
  let bytes = 0;
  const counted = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      if (bytes > CSV_BODY_LIMIT_BYTES) {
        done(new ApiError('payload_too_large', `request body is larger than the limit of ${CSV_BODY_LIMIT_BYTES} bytes`));
        return;
      }
      hash.update(chunk);
      done(null, chunk);
    },
  });
  req.on('error', (err) => counted.destroy(err));
  const source = await readNumbersCsv(req.pipe(counted));
  return { source, digest: () => hash.digest('hex') };
}

function bodyDigest(req: Request): string {
  return (req as Request & { bodyDigest?: string }).bodyDigest ?? '';
}

export async function readCampaignRequest(req: Request): Promise<NumbersRequest<CampaignMeta>> {
  if (campaignFormat(req.get('content-type')) === 'json') {
    const { numbers, ...meta } = parseOrThrow(jsonCampaignSchema, req.body, 'campaign');
    checkCount(numbers.length);
    return { meta, source: jsonNumbers(numbers), digest: () => bodyDigest(req) };
  }
  // dryRun is the route's own parameter, not part of the campaign.
  const { dryRun: _dryRun, ...query } = req.query;
  const meta = parseOrThrow(csvQuerySchema, query, 'query parameters');
  return { meta, ...(await csvBody(req)) };
}

/** POST /campaigns?dryRun=true: validate and count, start nothing. */
export function isDryRun(req: Request): boolean {
  return parseOrThrow(dryRunQuerySchema, { dryRun: req.query.dryRun }, 'query parameters').dryRun === 'true';
}

export async function readAddedNumbersRequest(req: Request): Promise<NumbersRequest<{ defaultRegion?: CountryCode }>> {
  if (campaignFormat(req.get('content-type')) === 'json') {
    const { numbers, defaultRegion } = parseOrThrow(jsonNumbersSchema, req.body, 'numbers');
    checkCount(numbers.length);
    return { meta: { defaultRegion }, source: jsonNumbers(numbers), digest: () => bodyDigest(req) };
  }
  const meta = parseOrThrow(csvNumbersQuerySchema, req.query, 'query parameters');
  return { meta, ...(await csvBody(req)) };
}

function checkCount(count: number): void {
  if (count > MAX_NUMBERS) {
    const message = `a request takes at most ${MAX_NUMBERS} numbers, got ${count}`;
    throw new ApiError('payload_too_large', message, { limit: MAX_NUMBERS, received: count });
  }
}

/** What normalising a request's numbers found, filled in as they stream through. */
export interface NormalisedCount {
  /** Entries read (valid or not). */
  read: number;
  rejected: RejectedNumber[];
}

/** The valid numbers of the rows, in E.164; the invalid ones are noted with their reason. Past MAX_NUMBERS: 413. */
export async function* normalisedNumbers(
  rows: AsyncIterable<NumberRow>,
  defaultRegion: CountryCode | undefined,
  zonesOf: NumberZoneResolver,
  count: NormalisedCount,
): AsyncGenerator<StagedNumber> {
  for await (const { value, contact } of rows) {
    const index = count.read++;
    checkCount(count.read);
    const result = normaliseNumber(value, defaultRegion);
    const zones = result.ok ? zonesOf(result.e164, contact) : result;
    if (result.ok && zones.ok) yield { index, phone: result.e164, zones: zones.zones, ...(contact ? { contact } : {}) };
    else count.rejected.push({ index, value, reason: zones.ok ? 'not_a_number' : zones.reason });
  }
}

/** The rejected numbers with those the do-not-call list refused, in request order (their value in E.164). */
export function withDoNotCall(rejected: RejectedNumber[], doNotCall: ReadonlyArray<{ index: number; phone: string }>): RejectedNumber[] {
  if (doNotCall.length === 0) return rejected;
  const listed = doNotCall.map(({ index, phone }): RejectedNumber => ({ index, value: phone, reason: 'do_not_call' }));
  return [...rejected, ...listed].sort((a, b) => a.index - b.index);
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

/** The workflow's input, all but the count of numbers (known once they are imported); calling hours default to the dialer's. */
export function campaignInput(campaignId: string, meta: CampaignMeta, config: Pick<Config, 'timing' | 'rules'>, now: Date): Omit<CampaignInput, 'total'> {
  const { defaultRegion: _region, ...settings } = meta.settings;
  const { timing } = config;
  return {
    campaignId,
    name: meta.name ?? campaignId,
    ...(meta.agentIds === undefined ? {} : { agentIds: meta.agentIds }),
    settings: { ...settings, callingHours: settings.callingHours ?? config.rules.defaultCallingHours },
    timing: { agentPollSec: timing.agentPollSec, callSilenceSec: timing.callSilenceSec, lookupGiveUpSec: timing.lookupGiveUpSec },
    createdAt: now.toISOString(),
  };
}
