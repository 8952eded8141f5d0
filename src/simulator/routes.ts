/** The simulator's HTTP: the provider's `/calls`, the agent system's `/agents`, and `/_sim` for tests. */
import { timingSafeEqual } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../logger';
import { AGENT_STATUSES } from '../shared/types';
import { UnknownAgentError, type AgentDirectory } from './agents';
import type { CallEngine } from './calls';
import type { DispositionDesk } from './dispositions';
import { type FaultSwitch, faultsPatchSchema } from './faults';
import type { Ledger } from './ledger';

export interface RouteDeps {
  engine: CallEngine;
  agents: AgentDirectory;
  ledger: Ledger;
  desk: DispositionDesk;
  faults: FaultSwitch;
  apiKey?: string;
  health: () => Record<string, unknown>;
  logger: Logger;
}

const placeCallBody = z.object({
  callId: z.string().min(1).max(200),
  to: z.string().regex(/^\+[1-9]\d{1,14}$/, 'expected E.164'),
  agentId: z.string().min(1).max(64),
  campaignId: z.string().min(1).max(64),
  statusCallbackUrl: z.url({ protocol: /^https?$/ }),
});

const agentStatusBody = z.object({ status: z.enum(AGENT_STATUSES) });

/** The contract's disposition without agentId: the call's own agent reports it. Strict, so a typo is not silently dropped. */
const dispositionBody = z
  .object({
    callId: z.string().min(1).max(200),
    code: z.string().min(1).max(64),
    callbackAt: z.iso.datetime({ offset: true }).optional(),
    sameAgent: z.boolean().optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

function sendError(res: Response, status: number, code: string, message: string, details?: unknown): void {
  res.status(status).json({ error: details === undefined ? { code, message } : { code, message, details } });
}

function issuesOf(err: z.ZodError): Array<{ path: string; message: string }> {
  return err.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

function bearerAuth(apiKey: string | undefined): RequestHandler {
  const expected = apiKey === undefined ? undefined : Buffer.from(`Bearer ${apiKey}`);
  return (req, res, next) => {
    if (expected === undefined) return next();
    const given = Buffer.from(req.get('authorization') ?? '');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return next();
    res.set('WWW-Authenticate', 'Bearer');
    sendError(res, 401, 'unauthorized', 'missing or wrong bearer token');
  };
}

export function createApp(deps: RouteDeps): express.Express {
  const { engine, agents, ledger, desk, faults, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.use(express.json({ limit: '100kb' }));
  const auth = bearerAuth(deps.apiKey);

  app.post('/calls', auth, (req, res) => {
    const body = placeCallBody.safeParse(req.body);
    if (!body.success) return sendError(res, 400, 'invalid_request', 'invalid call request', issuesOf(body.error));
    const key = req.get('idempotency-key');
    if (!key) return sendError(res, 400, 'invalid_request', 'Idempotency-Key header is required');
    if (key !== body.data.callId) return sendError(res, 400, 'invalid_request', 'Idempotency-Key must equal callId');
    ledger.requested(key);
    const fault = faults.callFault();
    if (fault === 'error') return sendError(res, 503, 'unavailable', 'injected fault: provider error');
    // Never answered: the caller times out; its connection is closed when the simulator stops.
    if (fault === 'hang') return;
    const { providerCallId, replay } = engine.place(body.data);
    if (fault === 'lost-response') {
      req.socket.destroy();
      return;
    }
    res.status(replay ? 200 : 201).json({ providerCallId });
  });

  app.get('/calls/:callId', auth, (req, res) => {
    const callId = String(req.params.callId);
    const call = engine.lookup(callId);
    if (!call) return sendError(res, 404, 'call_not_found', `no call ${callId}`);
    res.json(call);
  });

  app.get('/agents', auth, (_req, res) => {
    if (faults.refuseAgentListing()) return sendError(res, 503, 'unavailable', 'injected fault: agent system down');
    res.json({ agents: agents.list() });
  });

  app.get('/_sim/ledger', (_req, res) => {
    res.json(ledger.snapshot());
  });

  app.post('/_sim/agents/:id', (req, res) => {
    const body = agentStatusBody.safeParse(req.body);
    if (!body.success) return sendError(res, 400, 'invalid_request', 'invalid agent status', issuesOf(body.error));
    try {
      agents.set(String(req.params.id), body.data.status);
    } catch (err) {
      if (err instanceof UnknownAgentError) return sendError(res, 404, 'agent_not_found', err.message);
      throw err;
    }
    res.json({ id: String(req.params.id), status: body.data.status });
  });

  // A test's precise disposition (a callback at a set time, say), sent now by the call's agent.
  app.post('/_sim/dispositions', (req, res) => {
    const body = dispositionBody.safeParse(req.body);
    if (!body.success) return sendError(res, 400, 'invalid_request', 'invalid disposition', issuesOf(body.error));
    const { callId, ...rest } = body.data;
    const call = ledger.get(callId);
    if (!call) return sendError(res, 404, 'call_not_found', `no call ${callId}`);
    const sent = desk.send({ callId, agentId: call.agentId, ...rest });
    if (!sent) return sendError(res, 409, 'no_disposition_url', 'no disposition webhook URL is configured');
    res.status(202).json(sent);
  });

  app.get('/_sim/faults', (_req, res) => {
    res.json({ faults: faults.current, injected: faults.injected });
  });

  app.post('/_sim/faults', (req, res) => {
    const patch = faultsPatchSchema.safeParse(req.body);
    if (!patch.success) return sendError(res, 400, 'invalid_request', 'invalid faults', issuesOf(patch.error));
    try {
      res.json({ faults: faults.update(patch.data), injected: faults.injected });
    } catch (err) {
      // The patch is valid alone but not with the faults already set (call fault rates over 1).
      if (err instanceof z.ZodError) return sendError(res, 400, 'invalid_request', 'invalid faults', issuesOf(err));
      throw err;
    }
  });

  app.get('/_sim/health', (_req, res) => {
    res.json({ ok: true, ...deps.health() });
  });

  app.use((req, res) => sendError(res, 404, 'not_found', `no route ${req.method} ${req.path}`));

  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    const status = (err as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // body-parser's errors: malformed JSON, body too large, bad charset.
      const code = status === 413 ? 'payload_too_large' : 'invalid_request';
      return sendError(res, status, code, err instanceof Error ? err.message : 'bad request');
    }
    logger.error({ err }, 'simulator route failed');
    sendError(res, 500, 'internal', 'internal error');
  };
  app.use(onError);
  return app;
}
