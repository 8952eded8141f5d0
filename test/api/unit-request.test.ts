/** Request reading and shaping, status mapping and error mapping: no server, no database. */
import { TypedSearchAttributes } from '@temporalio/common';
import { visibilityString } from '../../src/api/campaignGauges';
import { campaignStatusOf } from '../../src/api/campaignList';
import { Readable } from 'node:stream';
import type { Request } from 'express';
import {
  campaignFormat,
  campaignInput,
  generateCampaignId,
  keepBodyDigest,
  MAX_NUMBERS,
  type NormalisedCount,
  normalisedNumbers,
  readCampaignRequest,
} from '../../src/api/campaignRequest';
import { ApiError, toApiError } from '../../src/api/errors';
import { type CampaignMeta, isCampaignId } from '../../src/api/schemas';
import type { StagedNumber } from '../../src/db/contacts';
import type { NumberZoneResolver } from '../../src/rules/numberZones';
import { type CallingHours, WEEKDAYS } from '../../src/shared/types';
import { CAMPAIGN_ID_PATTERN } from '../../src/shared/callId';
import { ANY_AGENT, campaignAgentsValue, campaignStatusKey } from '../../src/workflows/searchAttributes';
import { MAX_CAMPAIGN_AGENTS } from '../../src/workflows/state';

const timing = { agentPollSec: 5, callSilenceSec: 60, lookupGiveUpSec: 900 };
const defaultCallingHours: CallingHours = { start: '08:00', end: '21:00', days: [...WEEKDAYS] };
const config = { timing, rules: { defaultCallingHours } };
/** Every number in Shanghai's zone: what zones are found is tested in test/unit/numberZones.test.ts. */
const shanghai: NumberZoneResolver = () => ({ ok: true, zones: ['Asia/Shanghai'] });

describe('campaignFormat', () => {
  it.each([
    ['application/json', 'json'],
    ['application/json; charset=utf-8', 'json'],
    ['Application/JSON', 'json'],
    ['text/csv', 'csv'],
    ['text/csv; charset=utf-8; header=present', 'csv'],
  ])('%s → %s', (type, format) => {
    expect(campaignFormat(type)).toBe(format);
  });

  it.each([undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data'])(
    '415 for %j',
    (type) => {
      expect(() => campaignFormat(type)).toThrow(expect.objectContaining({ code: 'unsupported_media_type' }));
    },
  );
});

describe('generateCampaignId', () => {
  it('is URL-safe, a valid campaign id (no phone-like digit run), dated, and distinct', () => {
    const now = new Date('2030-04-05T06:07:08Z');
    const ids = new Set(Array.from({ length: 100 }, () => generateCampaignId(now)));
    expect(ids.size).toBe(100);
    for (const id of ids) {
      expect(id).toMatch(CAMPAIGN_ID_PATTERN);
      expect(isCampaignId(id)).toBe(true);
      expect(id.startsWith('20300405-')).toBe(true);
      expect(encodeURIComponent(id)).toBe(id);
    }
  });
});

/** Just enough of an Express request for readCampaignRequest: JSON already parsed (with its digest), or CSV as a stream. */
function jsonRequest(body: unknown, raw = JSON.stringify(body)): Request {
  const req = { get: () => 'application/json', body, query: {} } as unknown as Request;
  keepBodyDigest(req, undefined, Buffer.from(raw));
  return req;
}

function csvRequest(csv: string, query: Record<string, string>): Request {
  return Object.assign(Readable.from([Buffer.from(csv)]), { get: () => 'text/csv; charset=utf-8', query }) as unknown as Request;
}

async function readRows<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const read: T[] = [];
  for await (const row of rows) read.push(row);
  return read;
}

const meta = (overrides: Partial<CampaignMeta> = {}): CampaignMeta => ({
  settings: { defaultRegion: 'CN', maxAttempts: 1, retryDelaySec: 300, maxConcurrentCalls: null },
  ...overrides,
});

describe('campaignInput', () => {
  it('is the workflow input but the count of numbers: settings without the region, the timing, no number', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const input = campaignInput('c1', meta({ agentIds: ['a1', 'a2'] }), config, now);
    expect(input).toEqual({
      campaignId: 'c1',
      name: 'c1',
      agentIds: ['a1', 'a2'],
      settings: { maxAttempts: 1, retryDelaySec: 300, maxConcurrentCalls: null, callingHours: defaultCallingHours },
      timing,
      createdAt: '2030-01-01T00:00:00.000Z',
    });
    expect(campaignInput('c1', meta({ name: 'Spring' }), config, now)).not.toHaveProperty('agentIds');
    expect(campaignInput('c1', meta({ name: 'Spring' }), config, now).name).toBe('Spring');
  });
});

describe('normalisedNumbers', () => {
  const rowsOf = async function* (values: Array<string | { value: string; contact: Record<string, string> }>) {
    for (const v of values) yield typeof v === 'string' ? { value: v } : v;
  };

  it('yields the valid numbers in E.164 with their request index and contact; notes the invalid ones; leaves duplicates to the database', async () => {
    const count: NormalisedCount = { read: 0, rejected: [] };
    const staged = await readRows(
      normalisedNumbers(rowsOf([{ value: '13800138000', contact: { name: 'Li' } }, 'bad', '+86 138 0013 8000', '13800138001']), 'CN', shanghai, count),
    );
    expect(staged).toEqual([
      { index: 0, phone: '+8613800138000', zones: ['Asia/Shanghai'], contact: { name: 'Li' } },
      { index: 2, phone: '+8613800138000', zones: ['Asia/Shanghai'] },
      { index: 3, phone: '+8613800138001', zones: ['Asia/Shanghai'] },
    ]);
    expect(count).toEqual({ read: 4, rejected: [{ index: 1, value: 'bad', reason: 'not_a_number' }] });
  });

  it(`takes exactly ${MAX_NUMBERS} rows, and refuses the next one with 413 payload_too_large as it streams in`, async () => {
    // Empty values: counted like any row, rejected at once, so a million of them take a moment only.
    async function* empties(n: number) {
      for (let i = 0; i < n; i++) yield { value: '' };
    }
    const atLimit: NormalisedCount = { read: 0, rejected: [] };
    await expect(readRows(normalisedNumbers(empties(MAX_NUMBERS), 'CN', shanghai, atLimit))).resolves.toEqual([]);
    expect(atLimit.read).toBe(MAX_NUMBERS);

    const over: NormalisedCount = { read: 0, rejected: [] };
    let yielded = 0;
    async function* validThenEmpty() {
      yield { value: '13800138000' };
      yielded++;
      for (let i = 1; i <= MAX_NUMBERS; i++) {
        yield { value: '' };
        yielded++;
      }
      throw new Error('read past the row that is over the limit');
    }
    const staged: StagedNumber[] = [];
    const reading = (async () => {
      for await (const number of normalisedNumbers(validThenEmpty(), 'CN', shanghai, over)) staged.push(number);
    })();
    await expect(reading).rejects.toMatchObject({
      code: 'payload_too_large',
      status: 413,
      message: expect.stringContaining(String(MAX_NUMBERS)),
      details: { limit: MAX_NUMBERS, received: MAX_NUMBERS + 1 },
    });
    // Refused at the row past the limit: the ones before it went through.
    expect(staged).toEqual([{ index: 0, phone: '+8613800138000', zones: ['Asia/Shanghai'] }]);
    expect(yielded).toBe(MAX_NUMBERS);
  });
});

describe('readCampaignRequest', () => {
  it(`JSON: ${MAX_NUMBERS} numbers are taken, one more is refused with 413 before any is read`, async () => {
    const exactly = await readCampaignRequest(jsonRequest({ numbers: Array.from({ length: MAX_NUMBERS }, () => '1') }));
    expect(exactly.meta.settings).toEqual({ maxAttempts: 1, retryDelaySec: 300, maxConcurrentCalls: null });
    await expect(readCampaignRequest(jsonRequest({ numbers: Array.from({ length: MAX_NUMBERS + 1 }, () => '1') }))).rejects.toMatchObject({
      code: 'payload_too_large',
      details: { limit: MAX_NUMBERS, received: MAX_NUMBERS + 1 },
    });
  });

  it('JSON: the numbers as rows, no columns; the digest is that of the raw body', async () => {
    const body = { numbers: ['13800138000', 'x'], settings: { defaultRegion: 'CN' } };
    const request = await readCampaignRequest(jsonRequest(body));
    expect(request.source.columns).toEqual([]);
    expect(await readRows(request.source.rows)).toEqual([{ value: '13800138000' }, { value: 'x' }]);
    expect(request.digest()).toBe((await readCampaignRequest(jsonRequest(body))).digest());
    expect(request.digest()).not.toBe((await readCampaignRequest(jsonRequest(body, `${JSON.stringify(body)} `))).digest());
  });

  it('CSV: settings from the query, rows with their contact data; the digest covers the query and the body', async () => {
    const csv = 'phone,name\n13800138000,Li\nbad,X\n';
    const query = { campaignId: 'c1', defaultRegion: 'cn', agentIds: 'a1,a2', maxAttempts: '2' };
    const digestOf = async (text: string, q: Record<string, string>): Promise<string> => {
      const request = await readCampaignRequest(csvRequest(text, q));
      await readRows(request.source.rows);
      return request.digest();
    };
    const request = await readCampaignRequest(csvRequest(csv, query));
    expect(request.meta).toEqual({
      campaignId: 'c1',
      name: undefined,
      agentIds: ['a1', 'a2'],
      settings: { defaultRegion: 'CN', maxAttempts: 2, retryDelaySec: 300, maxConcurrentCalls: null },
    });
    expect(request.source.columns).toEqual(['name']);
    expect(await readRows(request.source.rows)).toEqual([
      { value: '13800138000', contact: { name: 'Li' } },
      { value: 'bad', contact: { name: 'X' } },
    ]);
    const digest = request.digest();
    expect(await digestOf(csv, query)).toBe(digest);
    expect(await digestOf(csv, { ...query, maxAttempts: '3' })).not.toBe(digest);
    expect(await digestOf(`${csv}13800138001,Wang\n`, query)).not.toBe(digest);
  });

  it('CSV: bad query parameters are refused before the body is read', async () => {
    await expect(readCampaignRequest(csvRequest('phone\n13800138000\n', { maxAttempts: 'two' }))).rejects.toMatchObject({
      code: 'invalid_request',
      details: { fields: [expect.objectContaining({ field: 'maxAttempts' })] },
    });
  });

  it('accepts agent lists too long for the CampaignAgents search attribute, which then says any agent', async () => {
    // Long ids, but no 9-digit run: such ids are refused (they could be phone numbers).
    const agentIds = Array.from({ length: 100 }, (_, i) => `agent-${String(i).padStart(3, '0')}-${'x'.repeat(12)}`);
    const { meta: read } = await readCampaignRequest(jsonRequest({ numbers: ['+8613800138000'], agentIds }));
    expect(read.agentIds).toEqual(agentIds);
    expect(campaignAgentsValue(agentIds)).toEqual([ANY_AGENT]);
    expect(campaignAgentsValue(agentIds.slice(0, 10))).toEqual(agentIds.slice(0, 10));
    // An agent id from the agent system that looks like a phone number is not published either.
    expect(campaignAgentsValue(['a1', 'ext-13800138000'])).toEqual([ANY_AGENT]);
  });

  it(`refuses more than ${MAX_CAMPAIGN_AGENTS} agents, naming agentIds`, async () => {
    const agentIds = Array.from({ length: MAX_CAMPAIGN_AGENTS + 1 }, (_, i) => `agent-${i}`);
    await expect(readCampaignRequest(jsonRequest({ numbers: ['+8613800138000'], agentIds }))).rejects.toMatchObject({
      code: 'invalid_request',
      details: { fields: [expect.objectContaining({ field: 'agentIds', message: expect.stringContaining(String(MAX_CAMPAIGN_AGENTS)) })] },
    });
    const { meta: read } = await readCampaignRequest(jsonRequest({ numbers: ['+8613800138000'], agentIds: agentIds.slice(1) }));
    expect(read.agentIds).toHaveLength(MAX_CAMPAIGN_AGENTS);
  });
});

describe('campaignStatusOf', () => {
  const withStatus = (name: string, published?: string) => ({
    status: { code: 0, name: name as never },
    typedSearchAttributes: new TypedSearchAttributes(
      published === undefined ? [] : [{ key: campaignStatusKey, value: published }],
    ),
  });

  it.each([
    ['RUNNING', 'paused', 'paused'],
    ['RUNNING', undefined, 'running'],
    ['COMPLETED', 'cancelled', 'cancelled'],
    ['COMPLETED', undefined, 'completed'],
    ['TERMINATED', 'running', 'failed'],
    ['TIMED_OUT', 'running', 'failed'],
    ['FAILED', 'running', 'failed'],
    ['CANCELLED', 'running', 'cancelled'],
    ['RUNNING', 'bogus', 'running'],
  ])('execution %s with CampaignStatus %s → %s', (execution, published, expected) => {
    expect(campaignStatusOf(withStatus(execution, published))).toBe(expected);
  });
});

describe('visibility queries', () => {
  it('quotes and escapes strings', () => {
    expect(visibilityString("it's")).toBe("'it\\'s'");
    expect(visibilityString('back\\slash')).toBe("'back\\\\slash'");
  });

});

describe('toApiError', () => {
  const bodyParserError = (type: string, status: number) => Object.assign(new Error(type), { type, status });

  it.each([
    ['entity.too.large', 413, 'payload_too_large'],
    ['entity.parse.failed', 400, 'invalid_request'],
    ['charset.unsupported', 415, 'unsupported_media_type'],
    ['request.aborted', 400, 'invalid_request'],
  ])('maps the body parser error %s to %s %s', (type, status, code) => {
    const err = toApiError(bodyParserError(type, status));
    expect([err.status, err.code]).toEqual([status, code]);
  });

  it('maps an unreachable Temporal (UNAVAILABLE, DEADLINE_EXCEEDED along the cause chain) to 503', () => {
    for (const code of [14, 4]) {
      const grpc = Object.assign(new Error('grpc'), { code, details: '', metadata: {} });
      const wrapped = new Error('Failed to start Workflow', { cause: grpc });
      expect(toApiError(wrapped)).toMatchObject({ status: 503, code: 'temporal_unavailable' });
    }
  });

  it.each([
    ['a connection failure (class 08)', { code: '08006' }],
    ['a server shutting down (57P01)', { code: '57P01' }],
    ['too many connections (53300)', { code: '53300' }],
    ['a refused socket', { code: 'ECONNREFUSED' }],
    ['a pool that found no connection in time', { message: 'timeout exceeded when trying to connect' }],
  ])('maps an unreachable database (%s), also along the cause chain, to 503 database_unavailable', (_what, fields: { code?: string; message?: string }) => {
    const pgError = Object.assign(new Error(fields.message ?? 'database'), fields);
    expect(toApiError(pgError)).toMatchObject({ status: 503, code: 'database_unavailable' });
    expect(toApiError(new Error('import failed', { cause: pgError }))).toMatchObject({ status: 503, code: 'database_unavailable' });
  });

  it('keeps other database errors (a unique violation, a syntax error) behind 500 internal_error', () => {
    for (const code of ['23505', '42601']) {
      expect(toApiError(Object.assign(new Error('database'), { code }))).toMatchObject({ status: 500, code: 'internal_error' });
    }
  });

  it("maps Express's other client errors (bad percent-encoding in a path, a gzip body that is not gzip)", () => {
    const uriError = Object.assign(new URIError("Failed to decode param '%'"), { status: 400 });
    expect(toApiError(uriError)).toMatchObject({ status: 400, code: 'invalid_request' });
    const zlib = Object.assign(new Error('incorrect header check'), { status: 400, code: 'Z_DATA_ERROR' });
    expect(toApiError(zlib)).toMatchObject({ status: 400, code: 'invalid_request' });
    const tooLarge = Object.assign(new Error('too big'), { status: 413 });
    expect(toApiError(tooLarge)).toMatchObject({ status: 413, code: 'payload_too_large' });
  });

  it('keeps ApiErrors, and hides anything else behind 500 internal_error', () => {
    const own = new ApiError('campaign_exists', 'taken');
    expect(toApiError(own)).toBe(own);
    expect(toApiError(new Error('secret detail'))).toMatchObject({ status: 500, message: 'internal error' });
  });
});
