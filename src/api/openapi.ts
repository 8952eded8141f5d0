/**
 * GET /openapi.json: an OpenAPI 3.1 document generated from the zod schemas that validate the
 * requests (schemas.ts) and describe the answers (responses.ts), so it cannot drift from them.
 * OpenAPI 3.1 takes JSON Schema 2020-12 as it is, which is what z.toJSONSchema writes.
 */
import { z } from 'zod';
import { TWILIO_CALL_STATUSES } from '../activities/twilioStatus';
import { type ErrorCode, STATUS_OF_CODE } from './errors';
import { REQUEST_ID_HEADER } from './requestLog';
import {
  callsPageSchema,
  campaignCreatedSchema,
  campaignProgressSchema,
  campaignSummarySchema,
  controlResultSchema,
  dncAddedSchema,
  dncEntrySchema,
  dncPageSchema,
  errorBodySchema,
  healthSchema,
  numbersAddedSchema,
  numberAuditSchema,
  readySchema,
} from './responses';
import {
  agentStatusSchema,
  callsQuerySchema,
  callStatusSchema,
  campaignIdSchema,
  csvNumbersQuerySchema,
  csvQuerySchema,
  dryRunQuerySchema,
  dispositionSchema,
  dncCsvQuerySchema,
  dncJsonSchema,
  dncPageQuerySchema,
  jsonCampaignSchema,
  jsonNumbersSchema,
} from './schemas';
import { MAX_CLOCK_SKEW_SEC, SIGNATURE_HEADER, TIMESTAMP_HEADER } from './signature';
import { TWILIO_SIGNATURE_HEADER } from './twilioWebhook';

type JsonSchema = Record<string, unknown>;

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

interface Content {
  schema: JsonSchema;
}

interface ResponseObject {
  description: string;
  headers?: Record<string, { $ref: string }>;
  content?: Record<string, Content>;
}

interface Operation {
  operationId: string;
  summary: string;
  tags: string[];
  security: Array<Record<string, string[]>>;
  parameters?: Parameter[];
  requestBody?: { required: boolean; description?: string; content: Record<string, Content> };
  responses: Record<string, ResponseObject>;
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, Partial<Record<'get' | 'post' | 'delete', Operation>>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, JsonSchema>;
    headers: Record<string, { description: string; schema: JsonSchema }>;
  };
}

/** Every named schema, by its id in components.schemas. */
const NAMED_SCHEMAS: Record<string, z.ZodType> = {
  CampaignRequest: jsonCampaignSchema,
  NumbersRequest: jsonNumbersSchema,
  NumbersAdded: numbersAddedSchema,
  CallsPage: callsPageSchema,
  CampaignId: campaignIdSchema,
  CallStatusReport: callStatusSchema,
  AgentStatusReport: agentStatusSchema,
  Disposition: dispositionSchema,
  DncRequest: dncJsonSchema,
  DncAdded: dncAddedSchema,
  DncEntry: dncEntrySchema,
  DncPage: dncPageSchema,
  NumberAudit: numberAuditSchema,
  Error: errorBodySchema,
  CampaignCreated: campaignCreatedSchema,
  CampaignProgress: campaignProgressSchema,
  CampaignSummary: campaignSummarySchema,
  ControlResult: controlResultSchema,
  Health: healthSchema,
  Ready: readySchema,
};
type SchemaName = keyof typeof NAMED_SCHEMAS;

const ref = (name: SchemaName): JsonSchema => ({ $ref: `#/components/schemas/${name}` });

/** Drops what JSON Schema documents carry at their root but an embedded schema does not need. */
function embedded(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/** The requests as a client writes them (io: input): defaults are optional, transforms are their input. */
const TO_JSON = { io: 'input', unrepresentable: 'any' } as const;

function componentSchemas(): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(NAMED_SCHEMAS)) registry.add(schema, { id });
  // One call for all, so a schema used inside another (CampaignId) becomes a $ref.
  const { schemas } = z.toJSONSchema(registry, { ...TO_JSON, uri: (id) => `#/components/schemas/${id}` });
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, embedded(schema)]));
}

/** Query parameters, one per field of a query schema. */
function queryParameters(querySchema: z.ZodType, describe: (name: string) => string | undefined): Parameter[] {
  const schema = z.toJSONSchema(querySchema, TO_JSON);
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  return Object.entries(properties).map(([name, property]) => {
    const description = describe(name);
    return { name, in: 'query', required: false, ...(description ? { description } : {}), schema: property };
  });
}

/** The CSV form's query parameters. */
function csvQueryParameters(querySchema: z.ZodType = csvQuerySchema): Parameter[] {
  return queryParameters(querySchema, (name) => `text/csv bodies only${name === 'agentIds' ? ': comma-separated' : ''}`);
}

/** GET /calls's parameters; the export takes the same filters. */
function resultParameters(paged: boolean): Parameter[] {
  const all = queryParameters(callsQuerySchema, (name) =>
    name === 'cursor' ? 'nextCursor of the previous page' : name === 'limit' ? 'calls per page, 1-1000 (default 100)' : undefined,
  );
  return paged ? all : all.filter((p) => p.name === 'status' || p.name === 'outcome');
}

const json = (schema: JsonSchema): Record<string, Content> => ({ 'application/json': { schema } });
const withRequestId = { [REQUEST_ID_HEADER]: { $ref: `#/components/headers/${REQUEST_ID_HEADER}` } };

function ok(description: string, content?: Record<string, Content>): ResponseObject {
  return { description, headers: withRequestId, ...(content === undefined ? {} : { content }) };
}

/** The error answers of an operation, grouped by status (each code has exactly one). */
function errors(codes: readonly ErrorCode[]): Record<string, ResponseObject> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(STATUS_OF_CODE[code], [...(byStatus.get(STATUS_OF_CODE[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      String(status),
      { description: group.join(', '), headers: withRequestId, content: json(ref('Error')) },
    ]),
  );
}

const BEARER = [{ bearerAuth: [] }];
const PUBLIC: Operation['security'] = [];
/** Any route behind the management limit and key, and any route that asks Temporal or the database. */
const MANAGED: ErrorCode[] = ['unauthorized', 'rate_limited', 'internal_error'];
const TEMPORAL: ErrorCode[] = ['temporal_unavailable', 'database_unavailable'];

const idParameter: Parameter = { name: 'id', in: 'path', required: true, description: 'campaign id', schema: ref('CampaignId') };
const phoneParameter: Parameter = {
  name: 'phone',
  in: 'path',
  required: true,
  description: 'E.164 (URL-encoded), or national with ?defaultRegion=',
  schema: { type: 'string' },
};

const signatureHeaders: Parameter[] = [
  {
    name: TIMESTAMP_HEADER,
    in: 'header',
    required: true,
    description: `unix seconds; refused when more than ${MAX_CLOCK_SKEW_SEC} s from the server's clock`,
    schema: { type: 'string', pattern: '^\\d{1,12}$' },
  },
  {
    name: SIGNATURE_HEADER,
    in: 'header',
    required: true,
    description: 'sha256=<hex of HMAC-SHA256(WEBHOOK_SECRET, "<timestamp>.<raw body>")>',
    schema: { type: 'string', pattern: '^sha256=[0-9a-fA-F]{64}$' },
  },
];

function webhook(operationId: string, summary: string, body: SchemaName, codes: ErrorCode[]): Operation {
  return {
    operationId,
    summary,
    tags: ['webhooks'],
    security: PUBLIC,
    parameters: signatureHeaders,
    requestBody: { required: true, content: json(ref(body)) },
    responses: {
      '204': ok('Temporal has durably accepted the report'),
      ...errors(['invalid_request', 'unauthorized', 'payload_too_large', 'rate_limited', ...codes, 'temporal_unavailable', 'internal_error']),
    },
  };
}

function control(action: 'pause' | 'resume' | 'cancel', summary: string): Operation {
  return {
    operationId: `${action}Campaign`,
    summary,
    tags: ['campaigns'],
    security: BEARER,
    parameters: [idParameter],
    responses: {
      '200': ok('the campaign status after the change', json(ref('ControlResult'))),
      ...errors(['campaign_not_found', 'campaign_closed', ...MANAGED, ...TEMPORAL]),
    },
  };
}

function buildDocument(publicBaseUrl: string): OpenApiDocument {
  const numberParameters = [phoneParameter, ...queryParameters(csvNumbersQuerySchema, () => 'the region of a national number')];
  return {
    openapi: '3.1.0',
    info: {
      title: 'Campaign dialer API',
      version: '1',
      description:
        'Outbound campaign dialer on Temporal. Every error has the shape of the Error schema. ' +
        'With API_KEY set, the /campaigns and /dnc routes and /metrics need Authorization: Bearer <API_KEY>.',
    },
    servers: [{ url: publicBaseUrl }],
    tags: [
      { name: 'campaigns', description: 'campaign management' },
      { name: 'webhooks', description: 'status reports from the provider and the agent system, HMAC-signed' },
      { name: 'do-not-call', description: 'the do-not-call list, one for every campaign' },
      { name: 'console', description: "the supervisors' console in the browser, and its live updates" },
      { name: 'operations', description: 'health, readiness, metrics, this document' },
    ],
    paths: {
      '/campaigns': {
        post: {
          operationId: 'createCampaign',
          summary: 'Start a campaign from a batch of numbers',
          tags: ['campaigns'],
          security: BEARER,
          parameters: [...csvQueryParameters(), ...queryParameters(dryRunQuerySchema, () => 'true: validate and count as a start would (in a transaction rolled back), start nothing, answer 200')],
          requestBody: {
            required: true,
            description: 'JSON, or CSV with a header row and a phone column (other fields as query parameters)',
            content: { ...json(ref('CampaignRequest')), 'text/csv': { schema: { type: 'string' } } },
          },
          responses: {
            '200': ok('dryRun=true: what a start would accept and reject; nothing written', json(CAMPAIGN_PREVIEW)),
            '201': ok('started', json(ref('CampaignCreated'))),
            ...errors([
              'invalid_request',
              'no_valid_numbers',
              'campaign_exists',
              'payload_too_large',
              'unsupported_media_type',
              ...MANAGED,
              ...TEMPORAL,
            ]),
          },
        },
        get: {
          operationId: 'listCampaigns',
          summary: 'Campaigns, newest first',
          tags: ['campaigns'],
          security: BEARER,
          responses: {
            '200': ok('campaigns', json({ type: 'array', items: ref('CampaignSummary') })),
            ...errors([...MANAGED, ...TEMPORAL]),
          },
        },
      },
      '/campaigns/{id}': {
        get: {
          operationId: 'getCampaign',
          summary: "A campaign's progress",
          tags: ['campaigns'],
          security: BEARER,
          parameters: [idParameter],
          responses: {
            '200': ok('progress: total = pending + inFlight + finished', json(ref('CampaignProgress'))),
            ...errors(['campaign_not_found', ...MANAGED, ...TEMPORAL]),
          },
        },
      },
      '/campaigns/{id}/numbers': {
        post: {
          operationId: 'addNumbers',
          summary: 'Add numbers to a running or paused campaign; those it already has are reported, not dialled',
          tags: ['campaigns'],
          security: BEARER,
          parameters: [idParameter, ...csvQueryParameters(csvNumbersQuerySchema)],
          requestBody: {
            required: true,
            description: 'JSON, or CSV with a header row and a phone column (defaultRegion as a query parameter)',
            content: { ...json(ref('NumbersRequest')), 'text/csv': { schema: { type: 'string' } } },
          },
          responses: {
            '200': ok('added', json(ref('NumbersAdded'))),
            ...errors([
              'invalid_request',
              'no_valid_numbers',
              'campaign_not_found',
              'campaign_closed',
              'numbers_being_added',
              'payload_too_large',
              'unsupported_media_type',
              ...MANAGED,
              ...TEMPORAL,
            ]),
          },
        },
      },
      '/campaigns/{id}/calls': {
        get: {
          operationId: 'listCalls',
          summary: 'Per-number results, page by page, in number order',
          tags: ['campaigns'],
          security: BEARER,
          parameters: [idParameter, ...resultParameters(true)],
          responses: {
            '200': ok('a page of numbers with their results', json(ref('CallsPage'))),
            ...errors(['invalid_request', 'campaign_not_found', ...MANAGED, ...TEMPORAL]),
          },
        },
      },
      '/campaigns/{id}/results.csv': {
        get: {
          operationId: 'exportResults',
          summary: 'Per-number results as CSV, streamed: phone first, then the results, then the imported columns',
          tags: ['campaigns'],
          security: BEARER,
          parameters: [idParameter, ...resultParameters(false)],
          responses: {
            '200': ok('CSV (attachment)', { 'text/csv': { schema: { type: 'string' } } }),
            ...errors(['invalid_request', 'campaign_not_found', ...MANAGED, ...TEMPORAL]),
          },
        },
      },
      '/campaigns/{id}/pause': { post: control('pause', 'Stop placing new calls; calls in flight end normally') },
      '/campaigns/{id}/resume': { post: control('resume', 'Go on dialling') },
      '/campaigns/{id}/cancel': { post: control('cancel', 'End the campaign once calls in flight have ended') },
      '/webhooks/call-status': {
        post: webhook('callStatusWebhook', 'A call status from the provider', 'CallStatusReport', ['call_not_found']),
      },
      '/webhooks/twilio/call-status': {
        post: {
          operationId: 'twilioCallStatusWebhook',
          summary: "A call's status from Twilio (TELEPHONY_PROVIDER=twilio; refused with 401 otherwise)",
          tags: ['webhooks'],
          security: PUBLIC,
          parameters: [
            {
              name: TWILIO_SIGNATURE_HEADER,
              in: 'header',
              required: true,
              description: "Twilio's signature of PUBLIC_BASE_URL + path and query, and the form fields (TWILIO_AUTH_TOKEN)",
              schema: { type: 'string' },
            },
            { name: 'callId', in: 'query', required: true, description: 'set by the dialler in the callback URL', schema: { type: 'string' } },
          ],
          requestBody: {
            required: true,
            content: {
              'application/x-www-form-urlencoded': {
                schema: {
                  type: 'object',
                  required: ['CallStatus'],
                  properties: {
                    CallStatus: { enum: [...TWILIO_CALL_STATUSES] },
                    Timestamp: { type: 'string', description: 'RFC 2822' },
                    CallDuration: { type: 'string', pattern: '^\\d{1,9}$' },
                  },
                  additionalProperties: true,
                },
              },
            },
          },
          responses: {
            '204': ok('Temporal has durably accepted the report'),
            ...errors(['invalid_request', 'unauthorized', 'payload_too_large', 'rate_limited', 'call_not_found', 'temporal_unavailable', 'internal_error']),
          },
        },
      },
      '/webhooks/agent-status': {
        post: webhook('agentStatusWebhook', 'An agent status from the agent system', 'AgentStatusReport', []),
      },
      '/webhooks/disposition': {
        post: webhook('dispositionWebhook', "How a call went, from the agent's desktop: callback, do-not-call, or any code", 'Disposition', [
          'call_not_found',
          'campaign_closed',
          'database_unavailable',
        ]),
      },
      '/campaigns/{id}/numbers/{phone}': {
        get: {
          operationId: 'auditNumber',
          summary: "One number's attempts, dispositions and holds (outside hours, frequency cap, do-not-call)",
          tags: ['campaigns'],
          security: BEARER,
          parameters: [idParameter, ...numberParameters],
          responses: {
            '200': ok("the number's audit", json(ref('NumberAudit'))),
            ...errors(['invalid_request', 'campaign_not_found', 'not_found', ...MANAGED, ...TEMPORAL]),
          },
        },
      },
      '/dnc': {
        post: {
          operationId: 'addToDoNotCall',
          summary: 'Put numbers on the do-not-call list (JSON, or text/csv with a phone column)',
          tags: ['do-not-call'],
          security: BEARER,
          parameters: queryParameters(dncCsvQuerySchema, () => 'text/csv bodies only'),
          requestBody: {
            required: true,
            content: { ...json(ref('DncRequest')), 'text/csv': { schema: { type: 'string', description: 'a header row with a phone column' } } },
          },
          responses: {
            '200': ok('added', json(ref('DncAdded'))),
            ...errors(['invalid_request', 'payload_too_large', 'unsupported_media_type', ...MANAGED, 'database_unavailable']),
          },
        },
        get: {
          operationId: 'listDoNotCall',
          summary: 'A page of the do-not-call list, by time added',
          tags: ['do-not-call'],
          security: BEARER,
          parameters: queryParameters(dncPageQuerySchema, (name) => (name === 'cursor' ? 'nextCursor of the previous page' : 'entries per page, 1-1000 (default 100)')),
          responses: { '200': ok('a page', json(ref('DncPage'))), ...errors(['invalid_request', ...MANAGED, 'database_unavailable']) },
        },
      },
      '/dnc/{phone}': {
        get: {
          operationId: 'checkDoNotCall',
          summary: 'Whether a number is on the do-not-call list',
          tags: ['do-not-call'],
          security: BEARER,
          parameters: numberParameters,
          responses: { '200': ok('on the list', json(ref('DncEntry'))), ...errors(['invalid_request', 'not_on_list', ...MANAGED, 'database_unavailable']) },
        },
        delete: {
          operationId: 'removeFromDoNotCall',
          summary: 'Take a number off the do-not-call list',
          tags: ['do-not-call'],
          security: BEARER,
          parameters: numberParameters,
          responses: { '204': ok('removed'), ...errors(['invalid_request', 'not_on_list', ...MANAGED, 'database_unavailable']) },
        },
      },
      '/dnc.csv': {
        get: {
          operationId: 'exportDoNotCall',
          summary: 'The whole do-not-call list as CSV (phone, reason, added_at), streamed',
          tags: ['do-not-call'],
          security: BEARER,
          responses: { '200': ok('CSV (attachment)', { 'text/csv': { schema: { type: 'string' } } }), ...errors([...MANAGED, 'database_unavailable']) },
        },
      },
      '/events/campaigns': {
        get: {
          operationId: 'campaignListEvents',
          summary: 'Server-Sent Events for the console: `campaigns` (the newest 200 with counts and answer rate) when it changes; `problem` when a read fails',
          tags: ['console'],
          security: BEARER,
          responses: { '200': ok('text/event-stream', EVENT_STREAM), ...errors([...MANAGED, 'too_many_streams']) },
        },
      },
      '/events/campaigns/{id}': {
        get: {
          operationId: 'campaignEvents',
          summary:
            "Server-Sent Events for the console: `progress` (as GET /campaigns/{id}), `agents` ({agents: [{agentId, state}]}), `timeline` ({bucketSec, points: [{at, placed, answered, busyShare}]}, at most 120 points), each when it changes; `problem` ({error}) when a read fails (the stream ends after campaign_not_found)",
          tags: ['console'],
          security: BEARER,
          parameters: [idParameter],
          responses: { '200': ok('text/event-stream', EVENT_STREAM), ...errors([...MANAGED, 'campaign_not_found', 'too_many_streams']) },
        },
      },
      '/console/config': {
        get: {
          operationId: 'consoleConfig',
          summary: 'What the console needs before signing in: whether a key is needed, the namespace, the Temporal UI',
          tags: ['console'],
          security: PUBLIC,
          responses: { '200': ok('console settings', json(CONSOLE_CONFIG)) },
        },
      },
      '/': {
        get: {
          operationId: 'console',
          summary: "The supervisors' console (HTML; its files are built by npm run build:console)",
          tags: ['console'],
          security: PUBLIC,
          responses: { '200': ok('the page', { 'text/html': { schema: { type: 'string' } } }), ...errors(['not_ready']) },
        },
      },
      '/health': { get: liveness('health', 'Liveness (alias of /healthz)') },
      '/healthz': { get: liveness('healthz', 'Liveness: the process answers') },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'Readiness: Temporal answers, and a provider and an agent system are configured',
          tags: ['operations'],
          security: PUBLIC,
          responses: { '200': ok('ready', json(ref('Ready'))), ...errors(['not_ready']) },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          summary: 'Prometheus metrics',
          tags: ['operations'],
          security: BEARER,
          responses: {
            '200': ok('Prometheus text exposition format', { 'text/plain': { schema: { type: 'string' } } }),
            ...errors(MANAGED),
          },
        },
      },
      '/openapi.json': {
        get: {
          operationId: 'openapi',
          summary: 'This document',
          tags: ['operations'],
          security: PUBLIC,
          responses: { '200': ok('OpenAPI 3.1 document', json({ type: 'object' })) },
        },
      },
    },
    components: {
      schemas: componentSchemas(),
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'API_KEY; needed only when the API has one' },
      },
      headers: {
        [REQUEST_ID_HEADER]: {
          description: 'the request id: the one sent when it matches [A-Za-z0-9._-]{1,64}, else a new one',
          schema: { type: 'string' },
        },
      },
    },
  };
}

const EVENT_STREAM: Record<string, Content> = { 'text/event-stream': { schema: { type: 'string' } } };

const CAMPAIGN_PREVIEW: JsonSchema = {
  type: 'object',
  required: ['dryRun', 'campaignId', 'accepted', 'duplicates', 'rejected'],
  properties: {
    dryRun: { const: true },
    campaignId: { type: ['string', 'null'], description: 'the id asked for; null when the API would make one up' },
    accepted: { type: 'integer' },
    duplicates: { type: 'integer' },
    rejected: { type: 'array', items: { type: 'object', properties: { index: { type: 'integer' }, value: { type: 'string' }, reason: { type: 'string' } } } },
  },
};

const CONSOLE_CONFIG: JsonSchema = {
  type: 'object',
  required: ['authRequired', 'namespace', 'temporalUiUrl'],
  properties: { authRequired: { type: 'boolean' }, namespace: { type: 'string' }, temporalUiUrl: { type: ['string', 'null'] } },
};

function liveness(operationId: string, summary: string): Operation {
  return { operationId, summary, tags: ['operations'], security: PUBLIC, responses: { '200': ok('alive', json(ref('Health'))) } };
}

/** Built once per base URL: the schemas never change while the process runs. */
const documents = new Map<string, OpenApiDocument>();

export function openApiDocument(publicBaseUrl: string): OpenApiDocument {
  let document = documents.get(publicBaseUrl);
  if (document === undefined) documents.set(publicBaseUrl, (document = buildDocument(publicBaseUrl)));
  return document;
}
