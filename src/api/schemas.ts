/** Request schemas (zod). Management bodies are strict, so a misspelt field is an error, not a silent default. */
import { z } from 'zod';
import { CAMPAIGN_ID_PATTERN } from '../shared/callId';
import { containsPhoneNumber, PHONE_DIGITS_MIN } from '../shared/mask';
import { CLOCK_PATTERN, parseClock } from '../rules/callingWindow';
import { isTimeZone } from '../rules/timeZones';
import { AGENT_STATUSES, CALL_STATUSES, type CampaignSettings, OUTCOMES, WEEKDAYS } from '../shared/types';
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

const clock = z.string().regex(CLOCK_PATTERN, 'expected HH:MM, 00:00 to 23:59 (24:00 for the end of the day)');
const weekdays = z
  .array(z.enum(WEEKDAYS))
  .min(1, 'expected at least one day: a campaign that may never call is a mistake')
  .refine((days) => new Set(days).size === days.length, 'days must be unique');
export const callingHoursSchema = z
  .strictObject({ start: clock, end: clock, days: weekdays.default([...WEEKDAYS]) })
  .refine((h) => parseClock(h.start) < parseClock(h.end), {
    message: 'start must be before end (a window does not cross midnight)',
    path: ['end'],
  });
export const timeZoneSchema = z.string().refine(isTimeZone, 'expected an IANA time zone name, e.g. Asia/Shanghai');
const retryRule = z.strictObject({ delaySec: retryDelaySec.optional(), maxAttempts: maxAttempts.optional() });
const retrySchema = z.strictObject({
  busy: retryRule.optional(),
  'no-answer': retryRule.optional(),
  failed: retryRule.optional(),
  canceled: retryRule.optional(),
});
const frequencyCapSchema = z.strictObject({
  calls: z.int().min(1).max(100),
  perHours: z.number().positive().max(24 * 31),
});

/** The calling rules' fields, shared by both request forms (CSV gives them as query parameters). */
const rulesShape = {
  retry: retrySchema.optional(),
  callingHours: callingHoursSchema.optional(),
  timeZone: timeZoneSchema.optional(),
  frequencyCap: frequencyCapSchema.nullable().optional(),
};

const settingsSchema = z.strictObject({
  defaultRegion: regionSchema.optional(),
  maxAttempts: maxAttempts.default(DEFAULT_SETTINGS.maxAttempts),
  retryDelaySec: retryDelaySec.default(DEFAULT_SETTINGS.retryDelaySec),
  maxConcurrentCalls: concurrency.nullable().default(DEFAULT_SETTINGS.maxConcurrentCalls),
  ...rulesShape,
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
/** Nested settings (retry, frequencyCap) come as JSON text in a query parameter. */
const queryJson = <S extends z.ZodType>(schema: S) =>
  z
    .string()
    .transform((text, ctx): unknown => {
      try {
        return JSON.parse(text);
      } catch {
        ctx.issues.push({ code: 'custom', input: text, message: 'expected JSON, e.g. {"calls":3,"perHours":24}' });
        return z.NEVER;
      }
    })
    .pipe(schema);
const commaList = z.string().transform((list) => list.split(',').map((item) => item.trim()));

/** `callingHours=09:00-20:00&callingDays=mon,tue` as the JSON form's callingHours. */
function queryHours(range: [string, string] | undefined, days: string[] | undefined) {
  return range && callingHoursSchema.safeParse({ start: range[0], end: range[1], ...(days ? { days } : {}) });
}

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
    callingHours: z
      .string()
      .regex(/^[^-]+-[^-]+$/, 'expected start-end, e.g. 09:00-20:00')
      .transform((text) => text.split('-').map((t) => t.trim()) as [string, string])
      .optional(),
    callingDays: commaList.pipe(weekdays).optional(),
    timeZone: rulesShape.timeZone,
    retry: queryJson(retrySchema).optional(),
    frequencyCap: queryJson(frequencyCapSchema.nullable()).optional(),
  })
  .superRefine((q, ctx) => {
    if (q.callingDays !== undefined && q.callingHours === undefined) {
      ctx.addIssue({ code: 'custom', path: ['callingDays'], message: 'give callingHours too' });
    }
    const hours = queryHours(q.callingHours, q.callingDays);
    if (hours && !hours.success) {
      for (const issue of hours.error.issues) ctx.addIssue({ code: 'custom', path: ['callingHours'], message: issue.message });
    }
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
        ...(q.callingHours ? { callingHours: queryHours(q.callingHours, q.callingDays)!.data! } : {}),
        ...(q.timeZone === undefined ? {} : { timeZone: q.timeZone }),
        ...(q.retry === undefined ? {} : { retry: q.retry }),
        ...(q.frequencyCap === undefined ? {} : { frequencyCap: q.frequencyCap }),
      },
    }),
  );

/** POST /campaigns?dryRun=true answers what the import would do, and changes nothing. */
export const dryRunQuerySchema = z.object({ dryRun: z.enum(['true', 'false']).optional() });

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

/** POST /dnc: JSON, or CSV with these query parameters. */
const dncReason = z.string().trim().min(1).max(500);
export const dncJsonSchema = z.strictObject({
  numbers: z.array(z.string()).min(1, 'expected at least one number'),
  reason: dncReason.optional(),
  defaultRegion: regionSchema.optional(),
});
export const dncCsvQuerySchema = z.strictObject({ reason: dncReason.optional(), defaultRegion: regionSchema.optional() });
export const dncPageQuerySchema = z.strictObject({
  cursor: z.string().min(1).max(200).optional(),
  limit: queryInt(z.int().min(1).max(1000)).default(100),
});

/** Codes with an effect; any other code (up to 64 characters) is only kept with the attempt. */
export const CALLBACK_CODE = 'callback';
export const DO_NOT_CALL_CODE = 'do-not-call';
/** A callback further out than this is a typo more often than a plan. */
export const MAX_CALLBACK_DAYS = 90;

export const dispositionSchema = z
  .object({
    callId: z.string().min(1).max(256),
    agentId: agentIdSchema,
    code: z.string().trim().min(1).max(64),
    callbackAt: isoTimestamp.optional(),
    sameAgent: z.boolean().default(false),
    note: z.string().max(2000).optional(),
  })
  .superRefine((d, ctx) => {
    if (d.code === CALLBACK_CODE && d.callbackAt === undefined) {
      ctx.addIssue({ code: 'custom', path: ['callbackAt'], message: 'a callback needs callbackAt' });
    }
    if (d.code !== CALLBACK_CODE && d.callbackAt !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['callbackAt'], message: `only code "${CALLBACK_CODE}" takes callbackAt` });
    }
  });
export type Disposition = z.output<typeof dispositionSchema>;

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
