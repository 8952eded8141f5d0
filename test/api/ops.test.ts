/**
 * Operations routes against the run's real Temporal server: liveness, readiness (and why it fails),
 * Prometheus metrics moving with real requests, request ids in headers and logs, and an OpenAPI
 * document that covers every route the app really has.
 */
import { Writable } from 'node:stream';
import type { Connection } from '@temporalio/client';
import type express from 'express';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import type { OpenApiDocument } from '../../src/api/openapi';
import { createApiClient, createApiConnection } from '../../src/api/temporal';
import { loadConfig } from '../../src/config';
import { makeCallId } from '../../src/shared/callId';
import { createDialerWorker } from '../../src/worker/createWorker';
import { eventually } from '../support/eventually';
import { testNativeConnection } from '../support/temporal';
import { postWebhook, silentLogger, testApi, testPool, uniqueCampaignId } from './helpers';

const API_KEY = 'ops-api-key';
const WEBHOOK_SECRET = 'ops-webhook-secret';
const AUTH = { authorization: `Bearer ${API_KEY}` };
/** What the API makes up: never 9 digits in a row, which the logs would mask. */
const GENERATED = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}$/;
/** A provider and agent system that are configured (readiness asks no more), on a closed port. */
const CONFIGURED = {
  API_KEY,
  WEBHOOK_SECRET,
  TELEPHONY_BASE_URL: 'http://127.0.0.1:9',
  AGENT_API_BASE_URL: 'http://127.0.0.1:9',
};

/** A pino logger whose lines the test reads. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** An app whose lazy connection points at a closed port, as `npm run api` would with Temporal down (its database is up). */
async function unreachableTemporal(logger = silentLogger): Promise<{ app: express.Express; connection: Connection }> {
  const config = loadConfig({ ...CONFIGURED, TEMPORAL_ADDRESS: '127.0.0.1:1' });
  const connection = createApiConnection(config.temporal);
  const pool = await testPool();
  return { app: createApp({ config, client: createApiClient(config.temporal, connection), pool, logger }), connection };
}

/** The value of one sample in Prometheus text, 0 when absent. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

async function metricsOf(app: express.Express): Promise<string> {
  const res = await request(app).get('/metrics').set(AUTH).expect(200);
  return res.text;
}

describe('liveness', () => {
  it.each(['/healthz', '/health'])('%s answers 200 {"status":"ok"} without the API key', async (path) => {
    const { app } = await testApi(CONFIGURED);
    const res = await request(app).get(path).expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers while Temporal is down', async () => {
    const { app, connection } = await unreachableTemporal();
    try {
      await request(app).get('/healthz').expect(200);
    } finally {
      await connection.close();
    }
  });
});

describe('readiness', () => {
  it('200 when Temporal answers and a provider and agent system are configured, without the API key', async () => {
    const { app } = await testApi(CONFIGURED);
    const res = await request(app).get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ready', checks: { temporal: 'ok', provider: 'ok', agentSystem: 'ok' } });
  });

  it('503 not_ready naming temporal when Temporal cannot be reached, within the probe deadline', async () => {
    const { app, connection } = await unreachableTemporal();
    try {
      const started = Date.now();
      const res = await request(app).get('/readyz').expect(503);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.body).toEqual({
        error: {
          code: 'not_ready',
          message: 'not ready: temporal',
          details: {
            failed: ['temporal'],
            checks: { temporal: expect.stringMatching(/did not answer/), provider: 'ok', agentSystem: 'ok' },
          },
        },
      });
    } finally {
      await connection.close();
    }
  });

  it('503 naming the provider and the agent system when the built-in simulator stands in for them', async () => {
    const { app, config } = await testApi({ API_KEY });
    expect(config.builtInSimulator).toBe(true);
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body.error.code).toBe('not_ready');
    expect(res.body.error.details.failed).toEqual(['provider', 'agentSystem']);
    expect(res.body.error.details.checks).toEqual({
      temporal: 'ok',
      provider: expect.stringMatching(/TELEPHONY_BASE_URL/),
      agentSystem: expect.stringMatching(/AGENT_API_BASE_URL/),
    });
  });

  it('503 naming the agent system alone when only the provider is configured', async () => {
    const { app } = await testApi({ TELEPHONY_BASE_URL: 'http://127.0.0.1:9' });
    const res = await request(app).get('/readyz').expect(503);
    expect(res.body.error.details.failed).toEqual(['agentSystem']);
  });
});

describe('metrics', () => {
  it('needs the API key when there is one, and is Prometheus text with every series of the dialer', async () => {
    const { app } = await testApi(CONFIGURED);
    await request(app).get('/metrics').expect(401);
    const res = await request(app).get('/metrics').set(AUTH).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const name of [
      'dialer_webhooks_received_total',
      'dialer_webhooks_rejected_total',
      'dialer_calls_ended_total',
      'dialer_campaigns',
      'dialer_campaign_agents',
      'dialer_api_process_cpu_user_seconds_total',
      'dialer_api_nodejs_eventloop_lag_seconds',
    ]) {
      expect(res.text).toContain(`# TYPE ${name} `);
    }
    // Campaigns by status, from Temporal: every status has its series.
    for (const status of ['running', 'paused', 'completed', 'cancelled', 'failed']) {
      expect(res.text).toMatch(new RegExp(`^dialer_campaigns\\{status="${status}"\\} \\d+$`, 'm'));
    }
    // No phone number or call id can be a label: no label value holds 9 digits in a row.
    expect(res.text).not.toMatch(/="[^"]*\d{9}/);
  });

  it('counts a refused webhook by route and reason, and a received one', async () => {
    const { app } = await testApi(CONFIGURED);
    const rejected = 'dialer_webhooks_rejected_total{route="call-status",reason="unauthorized"}';
    const received = 'dialer_webhooks_received_total{route="call-status"}';
    const before = await metricsOf(app);
    const body = { callId: 'x.0.1', status: 'completed', timestamp: new Date().toISOString() };
    await postWebhook(app, '/webhooks/call-status', body, { secret: 'not-the-secret' }).expect(401);
    const after = await metricsOf(app);
    expect(sample(after, rejected)).toBe(sample(before, rejected) + 1);
    expect(sample(after, received)).toBe(sample(before, received) + 1);
  });

  it('counts reasons other than the signature, e.g. invalid_request and call_not_found', async () => {
    const { app } = await testApi(CONFIGURED);
    const series = (reason: string) => `dialer_webhooks_rejected_total{route="call-status",reason="${reason}"}`;
    const before = await metricsOf(app);
    await postWebhook(app, '/webhooks/call-status', { callId: '' }, { secret: WEBHOOK_SECRET }).expect(400);
    const unknown = { callId: 'nocampaign', status: 'completed', timestamp: new Date().toISOString() };
    await postWebhook(app, '/webhooks/call-status', unknown, { secret: WEBHOOK_SECRET }).expect(404);
    const after = await metricsOf(app);
    expect(sample(after, series('invalid_request'))).toBe(sample(before, series('invalid_request')) + 1);
    expect(sample(after, series('call_not_found'))).toBe(sample(before, series('call_not_found')) + 1);
  });

  it("counts a call's end by outcome, and shows a running campaign's agents by state", async () => {
    const api = await testApi(CONFIGURED);
    const campaignId = uniqueCampaignId('ops-metrics');
    const agentIds = ['ops-a1', 'ops-a2'];
    await request(api.app)
      .post('/campaigns')
      .set(AUTH)
      .send({ campaignId, agentIds, numbers: ['+8613800138000'] })
      .expect(201);
    // A worker on the campaign's queue answers the progress query; provider and agents are unreachable,
    // so the agents stay unknown (offline) and nothing is dialled.
    const worker = await createDialerWorker({
      connection: await testNativeConnection(),
      namespace: api.config.temporal.namespace,
      taskQueue: api.config.temporal.taskQueue,
      workflowBundlePath: process.env.TEMPORAL_TEST_BUNDLE,
      activities: {
        telephonyBaseUrl: api.config.telephony.baseUrl,
        agentApiBaseUrl: api.config.agentApiBaseUrl,
        publicBaseUrl: api.config.publicBaseUrl,
        logger: silentLogger,
        requestTimeoutMs: 500,
        database: api.pool,
      },
    });
    await worker.runUntil(async () => {
      const ended = 'dialer_calls_ended_total{outcome="no-answer"}';
      const before = sample(await metricsOf(api.app), ended);
      const report = { callId: makeCallId({ campaignId, numberIndex: 0, attempt: 1 }), status: 'no-answer', timestamp: new Date().toISOString() };
      await postWebhook(api.app, '/webhooks/call-status', report, { secret: WEBHOOK_SECRET }).expect(204);
      expect(sample(await metricsOf(api.app), ended)).toBe(before + 1);

      const offline = `dialer_campaign_agents{campaign="${campaignId}",state="offline"}`;
      // Gauges are cached for a few seconds per app, and visibility lags a little: a fresh app each read.
      const text = await eventually(
        async () => metricsOf((await testApi(CONFIGURED)).app),
        (t) => sample(t, offline) === 2,
        20_000,
      );
      expect(sample(text, offline)).toBe(2);
      expect(sample(text, `dialer_campaign_agents{campaign="${campaignId}",state="idle"}`)).toBe(0);
      expect(sample(text, 'dialer_campaigns{status="running"}')).toBeGreaterThanOrEqual(1);
      await request(api.app).post(`/campaigns/${campaignId}/cancel`).set(AUTH).expect(200);
    });
  });

  it('still answers, without the Temporal gauges, when Temporal is down', async () => {
    const { app, connection } = await unreachableTemporal();
    try {
      const text = await metricsOf(app);
      expect(text).toContain('# TYPE dialer_webhooks_received_total counter');
      expect(text).not.toMatch(/^dialer_campaigns\{/m);
    } finally {
      await connection.close();
    }
  });
});

describe('request ids', () => {
  it('echoes a sane X-Request-Id and logs it on the request line', async () => {
    const { logger, lines } = capturingLogger();
    const { app } = await testApi(CONFIGURED, logger);
    const res = await request(app).get('/healthz').set('X-Request-Id', 'req-1.ab_C').expect(200);
    expect(res.headers['x-request-id']).toBe('req-1.ab_C');
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', requestId: 'req-1.ab_C', path: '/healthz' }));
  });

  it.each([
    ['too long', 'a'.repeat(65)],
    ['outside the alphabet', 'id with spaces'],
    ['a log injection attempt', 'x"}\\n{"level":60'],
  ])('replaces one %s with a generated id', async (_why, incoming) => {
    const { app } = await testApi(CONFIGURED);
    const res = await request(app).get('/healthz').set('X-Request-Id', incoming).expect(200);
    expect(res.headers['x-request-id']).toMatch(GENERATED);
  });

  it('gives one to requests without, distinct each time, also on errors', async () => {
    const { app } = await testApi(CONFIGURED);
    const a = await request(app).get('/nowhere').expect(404);
    const b = await request(app).get('/campaigns').expect(401);
    expect(a.headers['x-request-id']).toMatch(GENERATED);
    expect(b.headers['x-request-id']).toMatch(GENERATED);
    expect(a.headers['x-request-id']).not.toBe(b.headers['x-request-id']);
  });

  it('logs a generated id as the client got it: the phone-number masking never touches it', async () => {
    const { logger, lines } = capturingLogger();
    const { app } = await testApi(CONFIGURED, logger);
    const given: string[] = [];
    // A UUID would be masked in about 3% of log lines: 64 requests would most likely show it.
    for (let i = 0; i < 64; i++) given.push((await request(app).get('/healthz')).headers['x-request-id']!);
    expect(lines.filter((l) => l.msg === 'request').map((l) => l.requestId)).toEqual(given);
  });

  it('is on the error line of a failed request', async () => {
    const { logger, lines } = capturingLogger();
    const { app, connection } = await unreachableTemporal(logger);
    try {
      // GET /campaigns reads the database only: a control is sent to Temporal.
      await request(app).post('/campaigns/some-id/pause').set(AUTH).set('X-Request-Id', 'down-1').expect(503);
    } finally {
      await connection.close();
    }
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request failed', requestId: 'down-1', code: 'temporal_unavailable' }));
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request', requestId: 'down-1', status: 503 }));
  });
});

interface RouteEntry {
  method: string;
  path: string;
}

/** Express 5's router stack, read at run time: routes, and routers mounted at a path. */
interface StackLayer {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: StackLayer[] };
}

/** Every method and path the app answers, in OpenAPI's form (`/campaigns/{id}`). */
function appRoutes(app: express.Express): RouteEntry[] {
  const walk = (stack: StackLayer[], prefix: string): RouteEntry[] =>
    stack.flatMap((layer) => {
      if (layer.route !== undefined) {
        const path = `${prefix}${String(layer.route.path)}`.replace(/\/$/, '').replace(/:(\w+)/g, '{$1}') || '/';
        return Object.keys(layer.route.methods)
          .filter((method) => layer.route!.methods[method])
          .map((method) => ({ method, path }));
      }
      const inner = layer.handle?.stack;
      if (inner === undefined) return [];
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      return walk(inner, `${prefix}${mount}`);
    });
  return walk((app.router as unknown as { stack: StackLayer[] }).stack, '');
}

describe('OpenAPI', () => {
  let document: OpenApiDocument;
  let routes: RouteEntry[];

  beforeAll(async () => {
    const { app } = await testApi(CONFIGURED);
    // Open like the health checks: a client generator needs no key.
    document = (await request(app).get('/openapi.json').expect(200)).body as OpenApiDocument;
    routes = appRoutes(app);
  });

  it('is an OpenAPI 3.x document with paths, components, the error shape and the bearer scheme', () => {
    expect(document.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(document.info).toEqual(expect.objectContaining({ title: expect.any(String), version: expect.any(String) }));
    expect(Object.keys(document.paths).length).toBeGreaterThan(0);
    expect(document.components.securitySchemes.bearerAuth).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(document.components.schemas.Error).toEqual(
      expect.objectContaining({ type: 'object', required: ['error'] }),
    );
  });

  it('documents every route the app has, and no route it lacks', () => {
    // The walk itself must see the app: the routes of each router, and the ops routes.
    expect(routes).toEqual(expect.arrayContaining([{ method: 'post', path: '/campaigns/{id}/pause' }, { method: 'get', path: '/readyz' }]));
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => ({ method, path })),
    );
    const key = (r: RouteEntry): string => `${r.method.toUpperCase()} ${r.path}`;
    expect(routes.map(key).sort()).toEqual([...new Set(documented.map(key))].sort());
  });

  it('takes its request schemas from the validating zod schemas', () => {
    const campaign = document.components.schemas.CampaignRequest as { properties: Record<string, unknown>; required: string[] };
    expect(Object.keys(campaign.properties).sort()).toEqual(['agentIds', 'campaignId', 'name', 'numbers', 'settings']);
    expect(campaign.required).toEqual(['numbers']);
    const createParams = document.paths['/campaigns']!.post!.parameters!.map((p) => p.name).sort();
    expect(createParams).toEqual([
      'agentIds', 'callingDays', 'callingHours', 'campaignId', 'defaultRegion', 'dryRun', 'frequencyCap', 'maxAttempts', 'maxConcurrentCalls', 'name',
      'retry', 'retryDelaySec', 'timeZone',
    ]);
    const webhook = document.paths['/webhooks/call-status']!.post!;
    expect(webhook.parameters!.map((p) => `${p.in}:${p.name}`)).toEqual(['header:X-Dialer-Timestamp', 'header:X-Dialer-Signature']);
    expect(webhook.security).toEqual([]);
    expect(document.paths['/campaigns/{id}']!.get!.security).toEqual([{ bearerAuth: [] }]);
  });

  it('has every $ref resolve, and every error answer in the error shape', () => {
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(0);
    for (const found of new Set(refs)) {
      const [, section, name] = /#\/components\/(\w+)\/([^"]+)/.exec(found) ?? [];
      const components = document.components as unknown as Record<string, Record<string, unknown>>;
      expect({ found, resolved: components[section!]?.[name!] !== undefined }).toEqual({ found, resolved: true });
    }
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (Number(status) < 400) continue;
          expect({ at: `${method} ${path} ${status}`, schema: response.content?.['application/json']?.schema }).toEqual({
            at: `${method} ${path} ${status}`,
            schema: { $ref: '#/components/schemas/Error' },
          });
        }
      }
    }
  });
});
