/** Request shaping, status mapping and error mapping: pure functions, no server. */
import { TypedSearchAttributes } from '@temporalio/common';
import { runningCampaignsQuery, visibilityString } from '../../src/api/agentCampaigns';
import { campaignStatusOf } from '../../src/api/campaignList';
import { campaignFormat, generateCampaignId, prepareCampaign, readCampaignRequest } from '../../src/api/campaignRequest';
import { ApiError, toApiError } from '../../src/api/errors';
import { isCampaignId } from '../../src/api/schemas';
import { CAMPAIGN_ID_PATTERN } from '../../src/shared/callId';
import { ANY_AGENT, campaignAgentsValue, campaignStatusKey } from '../../src/workflows/definitions';

const timing = { agentPollSec: 5, callSilenceSec: 60 };

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

describe('readCampaignRequest + prepareCampaign', () => {
  it('turns a CSV request into the workflow input, contacts aligned with accepted numbers', () => {
    const request = readCampaignRequest('csv', 'phone,name\n13800138000,Li\nbad,X\n13800138001,Wang\n', {
      campaignId: 'c1',
      defaultRegion: 'cn',
      agentIds: 'a1,a2',
    });
    const now = new Date('2030-01-01T00:00:00Z');
    const chunks = { total: 2, perChunk: 5000, batchKey: expect.stringMatching(/^[0-9a-f]{8}$/) };
    expect(prepareCampaign(request, timing, now)).toEqual({
      input: {
        campaignId: 'c1',
        name: 'c1',
        chunks,
        agentIds: ['a1', 'a2'],
        settings: { maxAttempts: 1, retryDelaySec: 300, maxConcurrentCalls: null },
        timing,
        createdAt: '2030-01-01T00:00:00.000Z',
      },
      // The numbers and their contacts go to the number-chunk workflows, not into the input.
      batch: {
        chunks,
        slices: [
          {
            campaignId: 'c1',
            first: 0,
            numbers: ['+8613800138000', '+8613800138001'],
            contacts: [{ name: 'Li' }, { name: 'Wang' }],
          },
        ],
      },
      summary: {
        campaignId: 'c1',
        accepted: 2,
        duplicates: 0,
        rejected: [{ index: 1, value: 'bad', reason: 'not_a_number' }],
      },
    });
  });

  it('accepts agent lists too long for the CampaignAgents search attribute, which then says any agent', () => {
    // Long ids, but no 9-digit run: such ids are refused (they could be phone numbers).
    const agentIds = Array.from({ length: 100 }, (_, i) => `agent-${String(i).padStart(3, '0')}-${'x'.repeat(12)}`);
    const { meta } = readCampaignRequest('json', { numbers: ['+8613800138000'], agentIds }, {});
    expect(meta.agentIds).toEqual(agentIds);
    expect(campaignAgentsValue(agentIds)).toEqual([ANY_AGENT]);
    expect(campaignAgentsValue(agentIds.slice(0, 10))).toEqual(agentIds.slice(0, 10));
    // An agent id from the agent system that looks like a phone number is not published either.
    expect(campaignAgentsValue(['a1', 'ext-13800138000'])).toEqual([ANY_AGENT]);
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

  it('finds running campaigns by agent, and refuses agent ids outside the safe alphabet', () => {
    expect(runningCampaignsQuery('a1')).toBe(
      "ExecutionStatus = 'Running' AND (CampaignAgents = 'a1' OR CampaignAgents = '*')",
    );
    expect(() => runningCampaignsQuery("a' OR '1'='1")).toThrow();
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
