/** The management routes under /campaigns. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type RequestHandler, type Router } from 'express';
import { stringify } from 'csv-stringify';
import {
  type Client,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { resultRowsExported } from '../metrics/api';
import { workflowIdFor } from '../shared/callId';
import type { CampaignProgress } from '../shared/types';
import {
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
  readNumbersRequest,
} from './campaignRequest';
import { addNumbers } from './addNumbers';
import { campaignNotFound, updateCampaign } from './campaignUpdates';
import { type CallsPage, matches, type NumberResult, readResultPage, resultColumns, resultPages, resultSource } from './numberResults';
import { ApiError } from './errors';
import { chunkWorkflowIds, endNumberChunks, startNumberChunks } from './numberChunks';
import { managementRateLimit } from './rateLimit';
import { callsQuerySchema, isCampaignId, parseOrThrow, resultsQuerySchema } from './schemas';
import { withDeadline, workflowExists } from './temporal';

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

const CONTROLS = { pause: pauseUpdate, resume: resumeUpdate, cancel: cancelUpdate } as const;

/** Numbers one GET /calls request reads at most, whatever its filters: the rest is for the next page. */
const MAX_SCANNED_PER_PAGE = 10_000;

/** The export's columns: `phone` first, so the file can be imported again as is. */
const RESULT_COLUMNS = [
  'phone',
  'status',
  'attempts',
  'last_outcome',
  'agent_id',
  'talk_sec',
  'first_dialled_at',
  'last_dialled_at',
  'ended_at',
];

/** An imported column named like a result column (a results file imported again) is renamed, not repeated. */
function exportedColumnName(column: string): string {
  return RESULT_COLUMNS.includes(column) ? `contact_${column}` : column;
}

function resultRow(result: NumberResult, columns: readonly string[]): Array<string | number> {
  const { number, status, attempts, lastOutcome, agentId, talkSec, firstDialledAt, lastDialledAt, endedAt } = result;
  return [
    ...[number, status, attempts, lastOutcome, agentId, talkSec, firstDialledAt, lastDialledAt, endedAt].map((v) => v ?? ''),
    ...columns.map((column) => result.contact?.[column] ?? ''),
  ];
}

/** 415 before the body is read; then JSON or CSV, as for a new campaign. */
const numbersBody: RequestHandler[] = [
  (req, _res, next) => {
    campaignFormat(req.get('content-type'));
    next();
  },
  express.json({ limit: CAMPAIGNS_BODY_LIMIT }),
  express.text({ type: 'text/csv', limit: CAMPAIGNS_BODY_LIMIT }),
];

export function campaignsRouter({ config, client, logger }: AppDeps): Router {
  const router = express.Router();
  // Limited before the key check, so that guessing keys is limited too.
  router.use(managementRateLimit(config, logger));
  router.use(requireApiKey(config.apiKey));

  router.post(
    '/',
    ...numbersBody,
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
      throw err instanceof WorkflowNotFoundError ? campaignNotFound(campaignId) : err;
    }
  });

  router.post('/:id/numbers', ...numbersBody, async (req, res) => {
    const campaignId = campaignIdParam(req);
    const request = readNumbersRequest(campaignFormat(req.get('content-type')), req.body, req.query);
    res.json(await addNumbers(client, config.temporal.taskQueue, campaignId, request, logger));
  });

  router.get('/:id/calls', async (req, res) => {
    const campaignId = campaignIdParam(req);
    const { limit, cursor, ...filter } = parseOrThrow(callsQuerySchema, req.query, 'query parameters');
    const source = await resultSource(client, campaignId);
    const calls: NumberResult[] = [];
    let next = cursor ?? 0;
    for (let scanned = 0; next < source.activity.total && calls.length < limit && scanned < MAX_SCANNED_PER_PAGE; ) {
      const page = await readResultPage(client, source, next, MAX_SCANNED_PER_PAGE - scanned);
      if (page.results.length === 0) break;
      for (const result of page.results) {
        if (calls.length === limit) break;
        next = result.index + 1;
        scanned++;
        if (matches(result, filter)) calls.push(result);
      }
    }
    const page: CallsPage = { campaignId, calls, nextCursor: next < source.activity.total ? String(next) : null };
    res.json(page);
  });

  router.get('/:id/results.csv', async (req, res) => {
    const campaignId = campaignIdParam(req);
    const filter = parseOrThrow(resultsQuerySchema, req.query, 'query parameters');
    const source = await resultSource(client, campaignId);
    const columns = await resultColumns(client, source);
    async function* rows(): AsyncGenerator<Array<string | number>> {
      for await (const page of resultPages(client, source)) {
        for (const result of page.results) {
          if (!matches(result, filter)) continue;
          resultRowsExported.inc();
          yield resultRow(result, columns);
        }
      }
    }
    res.status(200).type('text/csv').attachment(`${campaignId}-results.csv`);
    // Streamed page by page: the response's backpressure paces the reads from the chunks.
    await pipeline(Readable.from(rows()), stringify({ header: true, columns: [...RESULT_COLUMNS, ...columns.map(exportedColumnName)] }), res).catch(
      (err: unknown) => {
        // The status line has gone out: all that is left is to cut the response short.
        logger.warn({ campaignId, err: String(err) }, 'results export cut short');
        res.destroy();
      },
    );
  });

  for (const [action, update] of Object.entries(CONTROLS)) {
    router.post(`/:id/${action}`, async (req, res) => {
      const campaignId = campaignIdParam(req);
      const { status } = await updateCampaign(client, campaignId, update);
      logger.info({ campaignId, action, status }, 'campaign control');
      const body: ControlResult = { status };
      res.json(body);
    });
  }

  return router;
}
