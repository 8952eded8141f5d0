/** The management routes under /campaigns. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import express, { type Request, type RequestHandler, type Router } from 'express';
import { stringify } from 'csv-stringify';
import { findCampaign } from '../db/campaigns';
import { numberAudit } from '../db/audit';
import { resultRowsExported } from '../metrics/api';
import { cancelUpdate, type ControlResult, pauseUpdate, resumeUpdate } from '../workflows/messages';
import { addNumbers } from './addNumbers';
import type { AppDeps } from './app';
import { requireApiKey } from './auth';
import { createCampaign, previewCampaign } from './campaignCreation';
import { listCampaigns } from './campaignList';
import { campaignProgress } from './campaignProgress';
import { campaignFormat, isDryRun, JSON_BODY_LIMIT, keepBodyDigest, readAddedNumbersRequest, readCampaignRequest } from './campaignRequest';
import { campaignNotFound, updateCampaign } from './campaignUpdates';
import { ApiError } from './errors';
import { namespaceGuard } from './namespaceGuard';
import { type NumberResult, overlayOf, resultPage, streamResults } from './numberResults';
import { managementRateLimit } from './rateLimit';
import { normaliseNumber } from './numbers';
import { callsQuerySchema, csvNumbersQuerySchema, isCampaignId, parseOrThrow, resultsQuerySchema } from './schemas';

/** Ids no campaign can have (outside the pattern, or phone-like): answer 404 without asking Temporal. */
function campaignIdParam(req: Request): string {
  const id = req.params.id;
  if (!isCampaignId(id)) {
    throw new ApiError('campaign_not_found', 'no such campaign');
  }
  return id;
}

const CONTROLS = { pause: pauseUpdate, resume: resumeUpdate, cancel: cancelUpdate } as const;

/** The export's columns: `phone` first, so the file can be imported again as is. */
const RESULT_COLUMNS = [
  'phone',
  'status',
  'attempts',
  'last_outcome',
  'agent_id',
  'talk_sec',
  'disposition',
  'first_dialled_at',
  'last_dialled_at',
  'ended_at',
];

/** An imported column named like a result column (a results file imported again) is renamed, not repeated. */
function exportedColumnName(column: string): string {
  return RESULT_COLUMNS.includes(column) ? `contact_${column}` : column;
}

function resultRow(result: NumberResult, columns: readonly string[]): Array<string | number> {
  const { number, status, attempts, lastOutcome, agentId, talkSec, disposition, firstDialledAt, lastDialledAt, endedAt } = result;
  return [
    ...[number, status, attempts, lastOutcome, agentId, talkSec, disposition, firstDialledAt, lastDialledAt, endedAt].map((v) => v ?? ''),
    ...columns.map((column) => result.contact?.[column] ?? ''),
  ];
}

/** 415 before the body is read; JSON is parsed (and its digest kept), CSV is left to stream. */
const numbersBody: RequestHandler[] = [
  (req, _res, next) => {
    campaignFormat(req.get('content-type'));
    next();
  },
  express.json({ limit: JSON_BODY_LIMIT, verify: keepBodyDigest }),
];

/** 404 for a campaign the database does not have. */
async function requireCampaign(pool: AppDeps['pool'], campaignId: string): Promise<{ columns: string[] }> {
  const campaign = await findCampaign(pool, campaignId);
  if (!campaign || campaign.status === 'imported') throw campaignNotFound(campaignId);
  return campaign;
}

export function campaignsRouter(deps: AppDeps): Router {
  const { config, client, pool, logger } = deps;
  const router = express.Router();
  // Limited before the key check, so that guessing keys is limited too.
  router.use(managementRateLimit(config, logger));
  router.use(requireApiKey(config.apiKey));

  const namespaceSetUp = namespaceGuard(client, config.temporal.namespace);
  router.post('/', ...numbersBody, async (req, res) => {
    const dryRun = isDryRun(req);
    const campaign = await readCampaignRequest(req);
    if (dryRun) {
      res.json(await previewCampaign(deps, campaign));
      return;
    }
    // After validation, before anything is written: a campaign Temporal cannot start is refused whole.
    await namespaceSetUp();
    res.status(201).json(await createCampaign(deps, campaign));
  });

  router.get('/', async (_req, res) => {
    res.json(await listCampaigns(pool, client));
  });

  router.get('/:id', async (req, res) => {
    res.json(await campaignProgress(deps, campaignIdParam(req)));
  });

  router.post('/:id/numbers', ...numbersBody, async (req, res) => {
    const campaignId = campaignIdParam(req);
    res.json(await addNumbers(deps, campaignId, await readAddedNumbersRequest(req)));
  });

  router.get('/:id/calls', async (req, res) => {
    const campaignId = campaignIdParam(req);
    const query = parseOrThrow(callsQuerySchema, req.query, 'query parameters');
    await requireCampaign(pool, campaignId);
    res.json(await resultPage(pool, await overlayOf(client, campaignId), campaignId, query));
  });

  // One number's attempts, dispositions and holds (outside hours, cap, do-not-call): an operator's answer to a complaint.
  router.get('/:id/numbers/:phone', async (req, res) => {
    const campaignId = campaignIdParam(req);
    const { defaultRegion } = parseOrThrow(csvNumbersQuerySchema, req.query, 'query parameters');
    const normalised = normaliseNumber(String(req.params.phone), defaultRegion);
    if (!normalised.ok) {
      throw new ApiError('invalid_request', 'invalid phone number', { fields: [{ field: 'phone', message: normalised.reason }] });
    }
    await requireCampaign(pool, campaignId);
    const audit = await numberAudit(pool, campaignId, normalised.e164);
    if (!audit) throw new ApiError('not_found', `campaign ${campaignId} has no such number`);
    res.json(audit);
  });

  router.get('/:id/results.csv', async (req, res) => {
    const campaignId = campaignIdParam(req);
    const filter = parseOrThrow(resultsQuerySchema, req.query, 'query parameters');
    const { columns } = await requireCampaign(pool, campaignId);
    const overlay = await overlayOf(client, campaignId);
    async function* rows(): AsyncGenerator<Array<string | number>> {
      for await (const result of streamResults(pool, overlay, campaignId, filter)) {
        resultRowsExported.inc();
        yield resultRow(result, columns);
      }
    }
    res.status(200).type('text/csv').attachment(`${campaignId}-results.csv`);
    // Streamed through a cursor: the response's backpressure paces the reads from the database.
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
