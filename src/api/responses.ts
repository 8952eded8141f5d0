/**
 * The API's answers as zod schemas, for the OpenAPI document. The handlers answer with TypeScript
 * types defined elsewhere; the checks at the bottom fail to compile when a schema and its type part.
 */
import type { NumberAudit } from '../db/audit';
import type { DncEntry } from '../db/dnc';
import { z } from 'zod';
import type { ControlResult } from '../workflows/messages';
import { CAMPAIGN_STATUSES, type CampaignProgress, OUTCOMES } from '../shared/types';
import type { NumbersAdded } from './addNumbers';
import type { CampaignCreated } from './campaignRequest';
import type { CampaignSummary } from './campaignList';
import { type ErrorBody, type ErrorCode, STATUS_OF_CODE } from './errors';
import type { CallsPage } from './numberResults';
import { REJECT_REASONS } from './numbers';
import { NUMBER_STATUSES } from './schemas';
import { type CheckResults, READINESS_CHECKS, type Ready } from './readiness';

const count = z.int().min(0);
const campaignStatus = z.enum(CAMPAIGN_STATUSES);

export const errorBodySchema = z.object({
  error: z.object({
    code: z.enum(Object.keys(STATUS_OF_CODE) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    details: z.unknown().describe('null, or what the code needs: failing fields, limits, failed checks'),
  }),
});

export const campaignCreatedSchema = z.object({
  campaignId: z.string(),
  workflowId: z.string(),
  accepted: count,
  duplicates: count,
  rejected: z.array(z.object({ index: count, value: z.string(), reason: z.enum(REJECT_REASONS) })),
});

export const numbersAddedSchema = campaignCreatedSchema.extend({
  alreadyInCampaign: z
    .array(z.object({ index: count, value: z.string() }))
    .describe('valid numbers the campaign already had: not dialled again'),
  total: count.describe("the campaign's numbers, these included"),
});

const isoOrNull = z.string().nullable();

export const callsPageSchema = z.object({
  campaignId: z.string(),
  calls: z.array(
    z.object({
      index: count.describe("the number's position in the campaign, from 0"),
      number: z.string().describe('E.164'),
      status: z.enum(NUMBER_STATUSES).describe('pending (incl. waiting for a retry), in-flight, or finished'),
      attempts: count,
      lastOutcome: z.enum(OUTCOMES).nullable(),
      agentId: z.string().nullable().describe('the agent of the last (or current) attempt'),
      talkSec: count.nullable().describe("the provider's duration of an answered call"),
      disposition: z.string().nullable().describe("the code the agent reported after the last attempt written"),
      firstDialledAt: isoOrNull,
      lastDialledAt: isoOrNull,
      endedAt: isoOrNull,
      contact: z.record(z.string(), z.string()).optional().describe("the imported CSV's other columns"),
    }),
  ),
  nextCursor: z
    .string()
    .nullable()
    .describe('for the next page; null at the end. A page may hold fewer than `limit` calls before the end'),
});

export const campaignProgressSchema = z.object({
  campaignId: z.string(),
  name: z.string(),
  workflowId: z.string(),
  status: campaignStatus,
  total: count,
  pending: count,
  inFlight: count,
  finished: count,
  outcomes: z.record(z.enum(OUTCOMES), count),
  agents: z.object({ idle: count, onCall: count, busy: count, offline: count }),
  waiting: z
    .object({
      outsideHours: count.describe('due, but outside their calling hours'),
      retryLater: count.describe('queued for a later time: a retry, a callback, or held by the frequency cap'),
      nextDialAt: z.string().nullable().describe('when dialling resumes, while every remaining number waits; null otherwise'),
    })
    .describe('parts of pending'),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});

export const campaignSummarySchema = z.object({
  campaignId: z.string(),
  name: z.string(),
  status: campaignStatus,
  workflowId: z.string(),
});

const rejectedNumber = z.object({ index: count, value: z.string(), reason: z.string() });
export const dncAddedSchema = z.object({ added: count, already: count.describe('on the list already, or repeated'), rejected: z.array(rejectedNumber) });
export const dncEntrySchema = z.object({ phone: z.string().describe('E.164'), reason: z.string().nullable(), addedAt: z.string() });
export const dncPageSchema = z.object({ entries: z.array(dncEntrySchema), nextCursor: z.string().nullable() });

export const numberAuditSchema = z.object({
  campaignId: z.string(),
  phone: z.string(),
  index: count,
  timeZones: z.array(z.string()).describe('the zones its calling hours were kept in'),
  state: z.enum(['queued', 'leased', 'finished']),
  dueAt: isoOrNull.describe('when a queued number is next due'),
  attempts: z.array(
    z.object({
      callId: z.string(),
      attempt: count,
      agentId: z.string(),
      outcome: z.string(),
      dialledAt: z.string(),
      endedAt: z.string(),
      talkSec: count.nullable(),
      disposition: z.object({ code: z.string(), note: z.string().nullable(), callbackAt: isoOrNull, sameAgent: z.boolean() }).nullable(),
    }),
  ),
  holds: z.array(z.object({ reason: z.enum(['outside_hours', 'frequency_cap', 'do_not_call']), at: z.string(), until: isoOrNull })),
  doNotCall: z.object({ reason: z.string().nullable(), addedAt: z.string() }).nullable(),
});

export const controlResultSchema = z.object({ status: campaignStatus });

export const healthSchema = z.object({ status: z.literal('ok') });

export const readySchema = z.object({
  status: z.literal('ready'),
  checks: z.record(z.enum(READINESS_CHECKS), z.string()).describe("'ok', or why the check failed"),
});

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Holds<T extends true> = T;

/** Compile-time only: each schema describes exactly what its route answers. */
export type ResponseSchemasMatch = [
  Holds<Equal<z.output<typeof errorBodySchema>, ErrorBody>>,
  Holds<Equal<z.output<typeof campaignCreatedSchema>, CampaignCreated>>,
  Holds<Equal<z.output<typeof numbersAddedSchema>, NumbersAdded>>,
  Holds<Equal<z.output<typeof callsPageSchema>, CallsPage>>,
  Holds<Equal<z.output<typeof campaignProgressSchema>, CampaignProgress>>,
  Holds<Equal<z.output<typeof campaignSummarySchema>, CampaignSummary>>,
  Holds<Equal<z.output<typeof controlResultSchema>, ControlResult>>,
  Holds<Equal<z.output<typeof readySchema>, Ready>>,
  Holds<Equal<z.output<typeof readySchema>['checks'], CheckResults>>,
  Holds<Equal<z.output<typeof dncEntrySchema>, DncEntry>>,
  Holds<Equal<z.output<typeof numberAuditSchema>, NumberAudit>>,
];
