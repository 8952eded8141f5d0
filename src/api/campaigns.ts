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
import { campaignFormat, type CampaignCreated, prepareCampaign, readCampaignRequest } from './campaignRequest';
import { ApiError } from './errors';
import { managementRateLimit } from './rateLimit';
import { isCampaignId } from './schemas';
import { executeUpdateResending, unlessNotFound, withDeadline } from './temporal';

export const CAMPAIGNS_BODY_LIMIT = '10mb';

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

const inputTooLarge = (): ApiError =>
  new ApiError('payload_too_large', 'the campaign is too large for Temporal: send fewer numbers or CSV columns', {
    limitBytes: MAX_INPUT_BYTES,
  });

async function startCampaign(client: Client, taskQueue: string, input: CampaignInput): Promise<string> {
  const workflowId = workflowIdFor(input.campaignId);
  if (Buffer.byteLength(JSON.stringify(input)) > MAX_INPUT_BYTES) throw inputTooLarge();
  try {
    await withDeadline(client, () =>
      client.workflow.start<CampaignWorkflow>(WORKFLOW_TYPE, {
        workflowId,
        taskQueue,
        args: [input],
        // Phone numbers stay in the input: never in the id, memo or search attributes.
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
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new ApiError('campaign_exists', `campaign ${input.campaignId} already exists`);
    }
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
      const { input, summary } = prepareCampaign(request, config.timing, new Date());
      const workflowId = await startCampaign(client, config.temporal.taskQueue, input);
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
