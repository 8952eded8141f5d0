/** The management routes under /campaigns. */
import express, { type Request, type Router } from 'express';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import { workflowIdFor } from '../shared/callId';
import type { CampaignProgress } from '../shared/types';
import {
  CAMPAIGN_CLOSED,
  campaignAgentsKey,
  campaignAgentsValue,
  type CampaignInput,
  campaignStatusKey,
  cancelUpdate,
  type ControlResult,
  pauseUpdate,
  progressQuery,
  resumeUpdate,
  WORKFLOW_TYPE,
} from '../workflows/definitions';
import type { AppDeps } from './app';
import { requireApiKey } from './auth';
import { campaignStatusOf, listCampaigns } from './campaignList';
import {
  campaignFormat,
  type CampaignCreated,
  prepareCampaign,
  type PreparedCampaign,
  readCampaignRequest,
} from './campaignRequest';
import { ApiError } from './errors';
import { chunkWorkflowIds, endNumberChunks, startNumberChunks } from './numberChunks';
import { managementRateLimit } from './rateLimit';
import { isCampaignId } from './schemas';
import { executeUpdateResending, unlessNotFound, withDeadline, workflowExists } from './temporal';

export const CAMPAIGNS_BODY_LIMIT = '25mb';

/** The workflow as the client sees it: lets `start` check the argument's type. */
type CampaignWorkflow = (input: CampaignInput) => Promise<CampaignProgress>;

/**
 * Temporal refuses a workflow input above its blob size limit (2 MiB by default, also on Temporal
 * Cloud); checking first spares a doomed RPC. A server configured lower still answers with an error.
 */
export const MAX_INPUT_BYTES = 2_000_000;

function isInputTooLarge(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (/blob data size exceeds limit|received message larger than max/i.test(e.message)) return true;
  }
  return false;
}

const campaignExists = (campaignId: string): ApiError =>
  new ApiError('campaign_exists', `campaign ${campaignId} already exists`);

const inputTooLarge = (): ApiError =>
  new ApiError('payload_too_large', 'the campaign is too large for Temporal: send fewer numbers or CSV columns', {
    limitBytes: MAX_INPUT_BYTES,
  });

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
export function campaignUiMetadata(input: CampaignInput, summary: PreparedCampaign['summary']): CampaignUiMetadata {
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
      'Live counts: *Current details* below, or the `progress` query in the Queries tab.',
    ].join('\n\n'),
  };
}

async function startCampaign(
  client: Client,
  taskQueue: string,
  input: CampaignInput,
  metadata: CampaignUiMetadata,
): Promise<string> {
  const workflowId = workflowIdFor(input.campaignId);
  if (Buffer.byteLength(JSON.stringify(input)) > MAX_INPUT_BYTES) throw inputTooLarge();
  try {
    await withDeadline(client, () =>
      client.workflow.start<CampaignWorkflow>(WORKFLOW_TYPE, {
        workflowId,
        taskQueue,
        args: [input],
        ...metadata,
        // Phone numbers stay in the input: never in the id, memo, search attributes or UI metadata.
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
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw campaignExists(input.campaignId);
    if (isInputTooLarge(err)) throw inputTooLarge();
    throw err;
  }
  return workflowId;
}

/** Ids no campaign can have (outside the pattern, or phone-like): answer 404 without asking Temporal. */
function campaignIdParam(req: Request): string {
  const id = req.params.id;
  if (!isCampaignId(id)) {
    throw new ApiError('campaign_not_found', 'no such campaign');
  }
  return id;
}

const notFound = (campaignId: string): ApiError =>
  new ApiError('campaign_not_found', `campaign ${campaignId} does not exist`);
const closed = (campaignId: string): ApiError =>
  new ApiError('campaign_closed', `campaign ${campaignId} has ended`);

function isCampaignClosedRefusal(err: unknown): boolean {
  return err instanceof WorkflowUpdateFailedError && err.cause?.message === CAMPAIGN_CLOSED;
}

const CONTROLS = { pause: pauseUpdate, resume: resumeUpdate, cancel: cancelUpdate } as const;

export function campaignsRouter({ config, client, logger }: AppDeps): Router {
  const router = express.Router();
  // Limited before the key check, so that guessing keys is limited too.
  router.use(managementRateLimit(config, logger));
  router.use(requireApiKey(config.apiKey));

  router.post(
    '/',
    (req, _res, next) => {
      campaignFormat(req.get('content-type')); // 415 before reading the body
      next();
    },
    express.json({ limit: CAMPAIGNS_BODY_LIMIT }),
    express.text({ type: 'text/csv', limit: CAMPAIGNS_BODY_LIMIT }),
    async (req, res) => {
      const request = readCampaignRequest(campaignFormat(req.get('content-type')), req.body, req.query);
      const { input, batch, summary } = prepareCampaign(request, config.timing, new Date());
      const { taskQueue } = config.temporal;
      // Refused before any chunk starts, so a duplicate request leaves nothing behind; a race past
      // this check is still refused by the campaign's own start, and its chunks are ended.
      if (await workflowExists(client, workflowIdFor(input.campaignId))) throw campaignExists(input.campaignId);
      await startNumberChunks(client, taskQueue, batch);
      const workflowId = await startCampaign(client, taskQueue, input, campaignUiMetadata(input, summary)).catch(
        async (err: unknown) => {
          await endNumberChunks(client, chunkWorkflowIds(batch));
          throw err;
        },
      );
      const { campaignId, accepted, duplicates, rejected } = summary;
      logger.info({ campaignId, workflowId, accepted, duplicates, rejected: rejected.length }, 'campaign started');
      const created: CampaignCreated = { ...summary, workflowId };
      res.status(201).json(created);
    },
  );

  router.get('/', async (_req, res) => {
    res.json(await listCampaigns(client));
  });

  router.get('/:id', async (req, res) => {
    const campaignId = campaignIdParam(req);
    try {
      const handle = client.workflow.getHandle(workflowIdFor(campaignId));
      const [progress, execution] = await withDeadline(client, () =>
        Promise.all([handle.query(progressQuery), handle.describe()]),
      );
      // Terminated or cancelled from the Temporal UI, the workflow never got to say it has ended.
      const endedOutside = progress.completedAt === null && execution.status.name !== 'RUNNING';
      res.json(
        endedOutside
          ? { ...progress, status: campaignStatusOf(execution), completedAt: execution.closeTime?.toISOString() ?? null }
          : progress,
      );
    } catch (err) {
      throw err instanceof WorkflowNotFoundError ? notFound(campaignId) : err;
    }
  });

  for (const [action, update] of Object.entries(CONTROLS)) {
    router.post(`/:id/${action}`, async (req, res) => {
      const campaignId = campaignIdParam(req);
      const workflowId = workflowIdFor(campaignId);
      const handle = client.workflow.getHandle(workflowId);
      const result = await unlessNotFound(client, workflowId, () => executeUpdateResending(handle, update)).catch(
        (err: unknown) => {
          throw isCampaignClosedRefusal(err) ? closed(campaignId) : err;
        },
      );
      if (result.outcome !== 'done') throw result.outcome === 'unknown' ? notFound(campaignId) : closed(campaignId);
      logger.info({ campaignId, action, status: result.value.status }, 'campaign control');
      const body: ControlResult = { status: result.value.status };
      res.json(body);
    });
  }

  return router;
}
