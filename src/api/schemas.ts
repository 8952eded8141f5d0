/** Request schemas (zod). Management bodies are strict, so a misspelt field is an error, not a silent default. */
import { z } from 'zod';
import { CAMPAIGN_ID_PATTERN } from '../shared/callId';
import { containsPhoneNumber, PHONE_DIGITS_MIN } from '../shared/mask';
import { AGENT_STATUSES, CALL_STATUSES, type CampaignSettings, OUTCOMES } from '../shared/types';
import { MAX_CAMPAIGN_AGENTS } from '../workflows/state';
import { ApiError } from './errors';
import { type CountryCode, isKnownRegion } from './numbers';

/** Agent ids go into visibility queries, so their alphabet is kept free of quotes and spaces. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9_.:@+-]{1,128}$/;

/**
 * Text that Temporal shows to anyone who can see the namespace (workflow ids, memo, search
 * attributes) must hold no phone number. A run of 9+ digits may be one, so it is refused, not
 * masked: the operator sees why, and what Temporal shows is exactly what was sent.
 */
function noPhoneNumber(where: string) {
  return [
    (value: string) => !containsPhoneNumber(value),
    `must not contain ${PHONE_DIGITS_MIN} or more digits in a row, which could be a phone number: ` +
      `${where}, visible to anyone who can see Temporal`,
  ] as const;
}

export const campaignIdSchema = z
  .string()
  .regex(CAMPAIGN_ID_PATTERN, 'expected 1-64 characters of [A-Za-z0-9_-]')
  .refine(...noPhoneNumber('the id becomes the workflow id campaign-<id>'));
export const agentIdSchema = z.string().regex(AGENT_ID_PATTERN, 'expected 1-128 characters of [A-Za-z0-9_.:@+-]');

/** Whether an id can name a campaign at all: the others are unknown without asking Temporal. */
export function isCampaignId(id: unknown): id is string {
  return campaignIdSchema.safeParse(id).success;
}

const agentIdsSchema = z
  .array(agentIdSchema.refine(...noPhoneNumber('agent ids become the CampaignAgents search attribute')))
  .min(1, 'omit agentIds to use every agent')
  .max(MAX_CAMPAIGN_AGENTS, `a campaign takes at most ${MAX_CAMPAIGN_AGENTS} agents: split the floor into several campaigns`)
  .refine((ids) => new Set(ids).size === ids.length, 'agent ids must be unique');

const regionSchema = z.string().transform((code, ctx): CountryCode => {
  const upper = code.toUpperCase();
  if (isKnownRegion(upper)) return upper;
  ctx.issues.push({ code: 'custom', input: code, message: 'expected an ISO 3166 alpha-2 region, e.g. CN' });
  return z.NEVER;
});

const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine(...noPhoneNumber('the name is kept in the workflow memo'));
const maxAttempts = z.int().min(1).max(10);
const retryDelaySec = z.int().min(0).max(86_400);
const concurrency = z.int().min(1);

export const DEFAULT_SETTINGS: CampaignSettings = { maxAttempts: 1, retryDelaySec: 300, maxConcurrentCalls: null };

const settingsSchema = z.strictObject({
  defaultRegion: regionSchema.optional(),
  maxAttempts: maxAttempts.default(DEFAULT_SETTINGS.maxAttempts),
  retryDelaySec: retryDelaySec.default(DEFAULT_SETTINGS.retryDelaySec),
  maxConcurrentCalls: concurrency.nullable().default(DEFAULT_SETTINGS.maxConcurrentCalls),
});

/** What both request forms (JSON body, CSV query) say about a campaign besides its numbers. */
const campaignMetaShape = {
  campaignId: campaignIdSchema.optional(),
  name: nameSchema.optional(),
  agentIds: agentIdsSchema.optional(),
  settings: settingsSchema.prefault({}),
};

export const jsonCampaignSchema = z.strictObject({
  ...campaignMetaShape,
  numbers: z.array(z.string()),
});

export type CampaignMeta = Omit<z.infer<typeof jsonCampaignSchema>, 'numbers'>;

// Query strings carry only text: numbers are coerced, lists are comma-separated, "null" is null.
const queryInt = (schema: z.ZodInt) =>
  z.string().trim().regex(/^-?\d+$/, 'expected an integer').transform(Number).pipe(schema);

export const csvQuerySchema = z
  .strictObject({
    campaignId: campaignIdSchema.optional(),
    name: nameSchema.optional(),
    agentIds: z
      .string()
      .transform((list) => list.split(',').map((id) => id.trim()))
      .pipe(agentIdsSchema)
      .optional(),
    defaultRegion: regionSchema.optional(),
    maxAttempts: queryInt(maxAttempts).optional(),
    retryDelaySec: queryInt(retryDelaySec).optional(),
    maxConcurrentCalls: z
      .union([z.literal(['', 'null']).transform(() => null), queryInt(concurrency)])
      .optional(),
  })
  .transform(
    (q): CampaignMeta => ({
      campaignId: q.campaignId,
      name: q.name,
      agentIds: q.agentIds,
      settings: {
        defaultRegion: q.defaultRegion,
        maxAttempts: q.maxAttempts ?? DEFAULT_SETTINGS.maxAttempts,
        retryDelaySec: q.retryDelaySec ?? DEFAULT_SETTINGS.retryDelaySec,
        maxConcurrentCalls: q.maxConcurrentCalls ?? DEFAULT_SETTINGS.maxConcurrentCalls,
      },
    }),
  );

/** POST /campaigns/:id/numbers: the numbers, and the region national numbers belong to. */
export const jsonNumbersSchema = z.strictObject({
  numbers: z.array(z.string()),
  defaultRegion: regionSchema.optional(),
});
export const csvNumbersQuerySchema = z.strictObject({ defaultRegion: regionSchema.optional() });

export const NUMBER_STATUSES = ['pending', 'in-flight', 'finished'] as const;
export type NumberStatus = (typeof NUMBER_STATUSES)[number];

/** Filters of GET /campaigns/:id/calls and results.csv. */
const resultFilterShape = {
  status: z.enum(NUMBER_STATUSES).optional(),
  outcome: z.enum(OUTCOMES).optional(),
};
export const resultsQuerySchema = z.strictObject(resultFilterShape);
export const callsQuerySchema = z.strictObject({
  ...resultFilterShape,
  cursor: z.string().regex(/^\d{1,9}$/, 'expected the nextCursor of a previous page').transform(Number).optional(),
  limit: queryInt(z.int().min(1).max(1000)).default(100),
});
export type ResultFilter = z.infer<typeof resultsQuerySchema>;

const isoTimestamp = z.iso.datetime({ offset: true });

/** Webhook bodies are not strict: providers add fields of their own. */
export const callStatusSchema = z.object({
  callId: z.string().min(1).max(256),
  status: z.enum(CALL_STATUSES),
  durationSec: z.number().min(0).nullish(),
  timestamp: isoTimestamp,
});

export const agentStatusSchema = z.object({
  agentId: agentIdSchema,
  status: z.enum(AGENT_STATUSES),
  timestamp: isoTimestamp,
});

export interface FieldProblem {
  field: string;
  message: string;
}

export function fieldProblems(error: z.ZodError): FieldProblem[] {
  return error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}

/** Parses `input`, or throws 400 `invalid_request` naming every failing field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw new ApiError('invalid_request', `invalid ${what}`, { fields: fieldProblems(result.error) });
  }
  return result.data;
}
