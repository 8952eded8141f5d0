/**
 * POST /campaigns: the numbers are imported in one transaction (a half-imported campaign never
 * exists, so never dials), then the workflow is started. If the API dies between the two, the same
 * request sent again with the same campaignId finds the import done and starts the workflow.
 */
import { type Client, isGrpcServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { Config } from '../config';
import { type CampaignRow, completeImport, findCampaign, type ImportSummary, insertCampaign, markStarted } from '../db/campaigns';
import { insertStaged, stageNumbers } from '../db/contacts';
import { numberZoneResolver } from '../rules/numberZones';
import { inTransaction, type Pool } from '../db/database';
import type { Logger } from '../logger';
import { workflowIdFor } from '../shared/callId';
import type { CampaignProgress } from '../shared/types';
import { type CampaignInput, WORKFLOW_TYPE } from '../workflows/messages';
import { campaignAgentsKey, campaignAgentsValue, campaignStatusKey } from '../workflows/searchAttributes';
import {
  type CampaignCreated,
  campaignInput,
  generateCampaignId,
  type NormalisedCount,
  normalisedNumbers,
  type NumbersRequest,
  withDoNotCall,
} from './campaignRequest';
import { ApiError } from './errors';
import type { CampaignMeta } from './schemas';
import { withDeadline, workflowExists } from './temporal';

export interface CreationDeps {
  client: Client;
  pool: Pool;
  config: Config;
  logger: Logger;
}

/** The workflow as the client sees it: lets `start` check the argument's type. */
type CampaignWorkflow = (input: CampaignInput) => Promise<CampaignProgress>;

export const campaignExists = (campaignId: string): ApiError =>
  new ApiError('campaign_exists', `campaign ${campaignId} already exists`);

const UNIQUE_VIOLATION = '23505';

/** What the Temporal UI shows for the run: a one-line summary and details, never a phone number. */
export interface CampaignUiMetadata {
  staticSummary: string;
  staticDetails: string;
}

const MAX_AGENTS_LISTED = 20;
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Built from the name, the counts, the agent ids and the settings only: the API refuses names and
 * agent ids with phone-like digit runs, so nothing here can carry a number.
 */
export function campaignUiMetadata(input: CampaignInput, summary: ImportSummary): CampaignUiMetadata {
  const { agentIds, settings } = input;
  const agents = agentIds === undefined ? 'every listed agent' : plural(agentIds.length, 'agent');
  const agentList =
    agentIds === undefined
      ? 'every agent the agent system lists at start'
      : agentIds.slice(0, MAX_AGENTS_LISTED).join(', ') +
        (agentIds.length > MAX_AGENTS_LISTED ? `, and ${agentIds.length - MAX_AGENTS_LISTED} more` : '');
  const concurrency =
    settings.maxConcurrentCalls === null ? 'one call per free agent' : `at most ${settings.maxConcurrentCalls} calls at once`;
  return {
    // One line, whatever whitespace the name has.
    staticSummary: `${input.name.replace(/\s+/g, ' ')}: ${plural(summary.accepted, 'number')}, ${agents}`,
    staticDetails: [
      `**Campaign** \`${input.campaignId}\`, created ${input.createdAt}`,
      `**Numbers**: ${summary.accepted} accepted, ${summary.duplicates} duplicates dropped, ${summary.rejected.length} rejected`,
      `**Agents**: ${agentList}`,
      `**Settings**: up to ${plural(settings.maxAttempts, 'attempt')} per number, ${settings.retryDelaySec} s apart; ${concurrency}`,
      'Numbers and results: the dialer database (GET /campaigns/:id/calls). Live counts: *Current details* below, or the `progress` query.',
    ].join('\n\n'),
  };
}

/** Starts the workflow of an imported campaign; one already started (by an earlier try of the same request) is fine. */
const GRPC_INVALID_ARGUMENT = 3;

/**
 * "Namespace x has no mapping defined for search attribute CampaignAgents", as the frontend words it
 * (the client wraps it in a ServiceError: it is the cause).
 */
function isSearchAttributeUnknown(err: unknown): err is Error {
  const grpc = err instanceof Error && isGrpcServiceError(err.cause) ? err.cause : err;
  return isGrpcServiceError(grpc) && grpc.code === GRPC_INVALID_ARGUMENT && /search attribute/i.test(grpc.details);
}

async function startWorkflow(client: Client, taskQueue: string, row: Pick<CampaignRow, 'input' | 'summary'>): Promise<string> {
  const { input } = row;
  const workflowId = workflowIdFor(input.campaignId);
  try {
    await withDeadline(client, () =>
      client.workflow.start<CampaignWorkflow>(WORKFLOW_TYPE, {
        workflowId,
        taskQueue,
        args: [input],
        ...campaignUiMetadata(input, row.summary),
        // Phone numbers stay in the database: never in the id, memo, search attributes or UI metadata.
        memo: { name: input.name },
        typedSearchAttributes: [
          { key: campaignStatusKey, value: 'running' },
          // Set now (not by the workflow later) so agent webhooks reach the campaign from its first moment.
          ...(input.agentIds === undefined ? [] : [{ key: campaignAgentsKey, value: campaignAgentsValue(input.agentIds) }]),
        ],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        workflowIdConflictPolicy: 'FAIL',
      }),
    );
  } catch (err) {
    if (isSearchAttributeUnknown(err)) {
      // Attributes registered a moment ago, or never: the import stays, a retry with the same campaignId starts it.
      throw new ApiError('temporal_not_set_up', `Temporal refused the campaign's search attributes: ${err.message}`, {
        campaignId: input.campaignId,
      });
    }
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return workflowId;
}

/** Thrown inside a preview's transaction to roll it back with what the import found. */
class PreviewRollback extends Error {
  constructor(readonly summary: ImportSummary) {
    super('preview rolled back');
  }
}

async function importCampaign(
  { pool, config }: CreationDeps,
  request: NumbersRequest<CampaignMeta>,
  campaignId: string,
  now: Date,
  { preview = false } = {},
): Promise<Pick<CampaignRow, 'input' | 'summary'>> {
  const { meta, source } = request;
  const input = campaignInput(campaignId, meta, config, now);
  const zonesOf = numberZoneResolver(input.settings, now.getTime());
  const count: NormalisedCount = { read: 0, rejected: [] };
  return inTransaction(pool, async (db) => {
    const placeholder: ImportSummary = { accepted: 0, duplicates: 0, rejected: [] };
    const row = { campaignId, name: input.name, workflowId: workflowIdFor(campaignId), createdAt: now };
    await insertCampaign(db, { ...row, requestHash: '', input: { ...input, total: 0 }, summary: placeholder }).catch((err: unknown) => {
      throw (err as { code?: string }).code === UNIQUE_VIOLATION ? campaignExists(campaignId) : err;
    });
    const staged = await stageNumbers(db, normalisedNumbers(source.rows, meta.settings.defaultRegion, zonesOf, count));
    const { inserted, doNotCall } = staged === 0 ? { inserted: 0, doNotCall: [] } : await insertStaged(db, campaignId, 0, now);
    const rejected = withDoNotCall(count.rejected, doNotCall);
    if (inserted === 0) throw new ApiError('no_valid_numbers', 'no number in the request can be dialled', { rejected });
    const summary: ImportSummary = { accepted: inserted, duplicates: staged - inserted - doNotCall.length, rejected };
    if (preview) throw new PreviewRollback(summary);
    const full: CampaignInput = { ...input, total: inserted };
    await completeImport(db, campaignId, { total: inserted, columns: source.columns, input: full, summary, requestHash: request.digest() });
    return { input: full, summary };
  });
}

/** The same request again for a campaign imported but not started: read it through, compare, then start. */
async function resumeImport(existing: CampaignRow, request: NumbersRequest<CampaignMeta>): Promise<CampaignRow> {
  if (existing.status !== 'imported') throw campaignExists(existing.campaignId);
  for await (const _row of request.source.rows); // the digest covers the whole body
  if (request.digest() !== existing.requestHash) throw campaignExists(existing.campaignId);
  return existing;
}

export async function createCampaign(deps: CreationDeps, request: NumbersRequest<CampaignMeta>): Promise<CampaignCreated> {
  const { client, pool, config, logger } = deps;
  const now = new Date();
  const campaignId = request.meta.campaignId ?? generateCampaignId(now);
  const existing = request.meta.campaignId === undefined ? undefined : await findCampaign(pool, campaignId);
  // Refused before anything is written: a campaign Temporal has that the database lost, or never had.
  if (!existing && (await workflowExists(client, workflowIdFor(campaignId)))) throw campaignExists(campaignId);
  const imported = existing ? await resumeImport(existing, request) : await importCampaign(deps, request, campaignId, now);
  const workflowId = await startWorkflow(client, config.temporal.taskQueue, imported);
  await markStarted(pool, campaignId);
  const { accepted, duplicates, rejected } = imported.summary;
  logger.info({ campaignId, workflowId, accepted, duplicates, rejected: rejected.length, resumed: existing !== undefined }, 'campaign started');
  return { campaignId, workflowId, accepted, duplicates, rejected: rejected as CampaignCreated['rejected'] };
}

/** What POST /campaigns?dryRun=true answers: creation's counts, with nothing written. */
export interface CampaignPreview extends Omit<CampaignCreated, 'campaignId' | 'workflowId'> {
  dryRun: true;
  /** The id asked for; null when the API would make one up. */
  campaignId: string | null;
}

/**
 * The import run to its end (the do-not-call list and duplicates included) inside a transaction that
 * is rolled back: the same answers as a real start, and nothing changes.
 */
export async function previewCampaign(deps: CreationDeps, request: NumbersRequest<CampaignMeta>): Promise<CampaignPreview> {
  const now = new Date();
  const asked = request.meta.campaignId;
  if (asked !== undefined && ((await findCampaign(deps.pool, asked)) || (await workflowExists(deps.client, workflowIdFor(asked))))) {
    throw campaignExists(asked);
  }
  try {
    await importCampaign(deps, request, asked ?? generateCampaignId(now), now, { preview: true });
  } catch (err) {
    if (!(err instanceof PreviewRollback)) throw err;
    const { accepted, duplicates, rejected } = err.summary;
    return { dryRun: true, campaignId: asked ?? null, accepted, duplicates, rejected: rejected as CampaignCreated['rejected'] };
  }
  throw new Error('a preview import must roll back');
}
