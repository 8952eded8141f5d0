/**
 * The webhooks under /webhooks: call status from the provider (the contract's JSON, or Twilio's status
 * callbacks), agent status from the agent system, dispositions from the agent's desktop.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { TWILIO_STATUS_CALLBACK_PATH } from '../activities/twilioStatus';
import { callsEnded, WEBHOOK_ROUTES, type WebhookRoute, webhooksReceived, webhooksRejected } from '../metrics/api';
import { parseCallId, workflowIdFor } from '../shared/callId';
import { type CallStatus, type CallStatusReport, isTerminalCallStatus, outcomeOf } from '../shared/types';
import { agentStatusSignal, callStatusSignal } from '../workflows/messages';
import { agentCampaignLookup } from './agentCampaigns';
import type { AppDeps } from './app';
import { dispositionHandler } from './dispositions';
import { ApiError, errorCodeOf } from './errors';
import { webhookRateLimit } from './rateLimit';
import { agentStatusSchema, callStatusSchema, parseOrThrow } from './schemas';
import { rawBodyOf, requireWebhookSignature } from './signature';
import { unlessNotFound, workflowExists } from './temporal';
import { requireTwilioSignature, twilioCallReport } from './twilioWebhook';

export const WEBHOOK_BODY_LIMIT = '64kb';

/**
 * Progress reports that change no decision of the workflow, so not worth a history event (four, with
 * the workflow task): the agent is reserved until the call ends, and only the end frees them. A call
 * that talks longer than CALL_SILENCE_SEC is looked up once instead.
 */
const INFORMATIONAL: ReadonlySet<CallStatus> = new Set<CallStatus>(['initiated', 'ringing', 'answered']);

function jsonOf(req: Request): unknown {
  try {
    return JSON.parse(rawBodyOf(req.body).toString('utf8'));
  } catch {
    throw new ApiError('invalid_request', 'request body is not valid JSON');
  }
}

/** Twilio's route, within this router. */
const TWILIO_CALL_STATUS = TWILIO_STATUS_CALLBACK_PATH.slice('/webhooks'.length);

/** Twilio's status callbacks are call-status deliveries too, and counted as such. */
function webhookRouteOf(path: string): WebhookRoute | undefined {
  if (path === TWILIO_CALL_STATUS) return 'call-status';
  return WEBHOOK_ROUTES.find((route) => path === `/${route}`);
}

/** Counts each delivery to a known route once it is answered, refused ones by the error code. */
const countDeliveries: RequestHandler = (req, res, next) => {
  const route = webhookRouteOf(req.path);
  if (route !== undefined) {
    // 'close' rather than 'finish': a delivery whose sender hung up was received all the same.
    res.once('close', () => {
      webhooksReceived.inc({ route });
      if (res.statusCode >= 400) webhooksRejected.inc({ route, reason: errorCodeOf(res) ?? 'internal_error' });
    });
  }
  next();
};

export function webhooksRouter(deps: AppDeps): Router {
  const { config, client, pool, logger } = deps;
  const router = express.Router();
  // First, so that deliveries the rate limit or the signature check refuse are counted too.
  router.use(countDeliveries);
  // Its own limit, far above a provider's bursts: never the management routes' (see rateLimit.ts).
  router.use(webhookRateLimit(config, logger));
  // The signature covers the exact bytes sent, so the body is kept raw and parsed after the check.
  const raw = express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT });
  const signed = [raw, requireWebhookSignature(config)];
  const campaignsWithAgent = agentCampaignLookup(pool);

  /** Both call-status routes end here, whoever the sender: `input` is the contract's report. */
  async function deliverCallStatus(input: unknown, res: Response): Promise<void> {
    const body = parseOrThrow(callStatusSchema, input, 'call status');
    const ref = parseCallId(body.callId);
    const unknownCall = new ApiError('call_not_found', `call ${body.callId} belongs to no known campaign`);
    if (ref === undefined) throw unknownCall;
    const workflowId = workflowIdFor(ref.campaignId);
    if (INFORMATIONAL.has(body.status)) {
      if (!(await workflowExists(client, workflowId))) throw unknownCall;
      res.status(204).end();
      return;
    }
    const report: CallStatusReport = {
      callId: body.callId,
      status: body.status,
      timestamp: body.timestamp,
      ...(body.durationSec == null ? {} : { durationSec: body.durationSec }),
    };
    // Once signal() returns, Temporal has the report durably; a report for an ended campaign is a
    // late duplicate and harmless.
    const result = await unlessNotFound(client, workflowId, () =>
      client.workflow.getHandle(workflowId).signal(callStatusSignal, report),
    );
    if (result.outcome === 'unknown') throw unknownCall;
    if (result.outcome === 'done' && isTerminalCallStatus(body.status)) callsEnded.inc({ outcome: outcomeOf(body.status) });
    logger.debug({ callId: body.callId, status: body.status, outcome: result.outcome }, 'call status');
    res.status(204).end();
  }

  router.post('/call-status', ...signed, (req, res) => deliverCallStatus(jsonOf(req), res));

  // Form-encoded, signed by Twilio over the URL and the fields: kept raw until the signature holds.
  router.post(TWILIO_CALL_STATUS, raw, requireTwilioSignature(config), (req, res) =>
    deliverCallStatus(twilioCallReport(req), res),
  );

  const disposition = dispositionHandler(deps);
  router.post('/disposition', ...signed, (req, res) => disposition(jsonOf(req), res));

  router.post('/agent-status', ...signed, async (req, res) => {
    const body = parseOrThrow(agentStatusSchema, jsonOf(req), 'agent status');
    const workflowIds = await campaignsWithAgent(body.agentId);
    const signal = { agentId: body.agentId, status: body.status, at: Date.parse(body.timestamp) };
    // A campaign that ended since the lookup needs the report no more.
    const deliver = (workflowId: string) =>
      unlessNotFound(client, workflowId, () => client.workflow.getHandle(workflowId).signal(agentStatusSignal, signal));
    await Promise.all(workflowIds.map(deliver));
    logger.debug({ agentId: body.agentId, status: body.status, campaigns: workflowIds.length }, 'agent status');
    res.status(204).end();
  });

  return router;
}
