/** The CLI's HTTP client for the management API: one error type per exit code the CLI promises. */
import type { NumbersAdded } from '../api/addNumbers';
import type { CampaignCreated } from '../api/campaignRequest';
import type { CallsPage, NumberResult } from '../api/numberResults';
import type { DncEntry } from '../db/dnc';
import type { RejectedNumber } from '../api/numbers';
import type { NumberStatus, ResultFilter } from '../api/schemas';
import type { CampaignProgress, CampaignStatus } from '../shared/types';

export const DEFAULT_DIALER_URL = 'http://localhost:3000';

/** Exit codes scripts can rely on (documented in docs/cli.md). */
export const EXIT = { ok: 0, failure: 1, usage: 2, refused: 3, unavailable: 4, interrupted: 130 } as const;

/** Bad input found before any request: a usage error (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The API answered 4xx: the request itself is wrong (exit 3); retrying the same thing will not help. */
export class ApiRefused extends Error {
  override name = 'ApiRefused';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(message);
  }
}

/** The API (or Temporal behind it) could not serve the request: 5xx or no answer (exit 4); a retry may work. */
export class ApiUnavailable extends Error {
  override name = 'ApiUnavailable';
  constructor(
    message: string,
    readonly status: number | null,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Ctrl-C while a request or a transfer was under way (exit 130). */
export class Interrupted extends Error {
  override name = 'Interrupted';
}

/** A row of the request the API did not take, with its reason code (`not_a_number`, `too_short`, …). */
export type RejectedRow = RejectedNumber;

export type CampaignCreatedReply = CampaignCreated;

export interface DncAddedReply {
  added: number;
  already: number;
  rejected: RejectedRow[];
}

export type DncEntryReply = DncEntry;

/** `POST /campaigns/:id/numbers`: `duplicates` repeat inside the request, `alreadyInCampaign` are not dialled again. */
export type NumbersAddedReply = NumbersAdded;

/**
 * The API's number states: NUMBER_STATUSES of src/api/schemas.ts, which the CLI does not load (it
 * pulls in zod and libphonenumber). A Record keyed by the API's type keeps the two sets equal.
 */
const NUMBER_STATES: Record<NumberStatus, true> = { pending: true, 'in-flight': true, finished: true };
export const CALL_RESULT_STATUSES = Object.keys(NUMBER_STATES) as NumberStatus[];

/** Filters of `GET /campaigns/:id/calls` and `results.csv`. */
export type ResultsFilter = ResultFilter;

/** One number of a campaign, as `GET /campaigns/:id/calls` lists it. */
export type CallResult = NumberResult;

export interface CampaignListItem {
  campaignId: string;
  name: string;
  status: CampaignStatus | string;
  workflowId: string;
}

export type ControlAction = 'pause' | 'resume' | 'cancel';

/** Parses DIALER_URL up front, so a typo is one clear message rather than a confusing fetch error. */
export function parseDialerUrl(raw: string | undefined): string {
  const value = raw === undefined || raw.trim() === '' ? DEFAULT_DIALER_URL : raw.trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`DIALER_URL must be an http(s) URL such as ${DEFAULT_DIALER_URL}, got ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`DIALER_URL must use http or https, got ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new UsageError('DIALER_URL must not carry credentials, a query or a fragment (use API_KEY for the key)');
  }
  // A path prefix is kept (an API behind a reverse proxy under /dialer); only the trailing slash goes.
  return url.href.replace(/\/+$/, '');
}

interface ErrorReply {
  error?: { code?: unknown; message?: unknown; details?: unknown };
}

/** Longest wait for an answer; for a streamed download, the longest silence. */
export const REQUEST_TIMEOUT_MS = 30_000;

export class DialerClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {}

  createFromCsv(csv: string, query: Record<string, string | undefined>): Promise<CampaignCreatedReply> {
    return this.request<CampaignCreatedReply>('POST', `/campaigns${queryString(query)}`, { contentType: 'text/csv', body: csv });
  }

  /** Adds the numbers of a CSV (a `phone` column) to a running or paused campaign. */
  addNumbersCsv(campaignId: string, csv: string, defaultRegion: string | undefined): Promise<NumbersAddedReply> {
    const path = `${campaignPath(campaignId)}/numbers${queryString({ defaultRegion })}`;
    return this.request<NumbersAddedReply>('POST', path, { contentType: 'text/csv', body: csv });
  }

  /** Puts numbers on the do-not-call list: a CSV file's (a `phone` column), or the ones given. */
  dncAdd(numbers: { csv: string } | { list: string[] }, query: { reason?: string; defaultRegion?: string }): Promise<DncAddedReply> {
    if ('csv' in numbers) return this.request<DncAddedReply>('POST', `/dnc${queryString(query)}`, { contentType: 'text/csv', body: numbers.csv });
    const body = JSON.stringify({ numbers: numbers.list, ...query });
    return this.request<DncAddedReply>('POST', '/dnc', { contentType: 'application/json', body });
  }

  dncCheck(phone: string, defaultRegion?: string): Promise<DncEntryReply> {
    return this.request<DncEntryReply>('GET', `/dnc/${encodeURIComponent(phone)}${queryString({ defaultRegion })}`);
  }

  async dncRemove(phone: string, defaultRegion?: string): Promise<void> {
    const res = await this.send('DELETE', `/dnc/${encodeURIComponent(phone)}${queryString({ defaultRegion })}`, {});
    await res.body?.cancel();
  }

  list(): Promise<CampaignListItem[]> {
    return this.request<CampaignListItem[]>('GET', '/campaigns');
  }

  progress(campaignId: string): Promise<CampaignProgress> {
    return this.request<CampaignProgress>('GET', campaignPath(campaignId));
  }

  control(campaignId: string, action: ControlAction): Promise<{ status: CampaignStatus }> {
    return this.request<{ status: CampaignStatus }>('POST', `${campaignPath(campaignId)}/${action}`);
  }

  /** One page of per-number results; `cursor` is the previous page's `nextCursor`. */
  callsPage(
    campaignId: string,
    query: ResultsFilter & { cursor?: string; limit?: number },
    signal?: AbortSignal,
  ): Promise<CallsPage> {
    const qs = queryString({ ...query, limit: query.limit === undefined ? undefined : String(query.limit) });
    return this.request<CallsPage>('GET', `${campaignPath(campaignId)}/calls${qs}`, undefined, signal);
  }

  /**
   * `results.csv` as a stream: resolves once the headers are in (API errors are thrown then), and
   * the caller reads the body. `deadline` replaces the whole-request timeout, which a long export would
   * outlive: the caller aborts it when the data stops coming.
   */
  async resultsCsv(campaignId: string, filter: ResultsFilter, deadline: AbortSignal, signal?: AbortSignal): Promise<Response> {
    const path = `${campaignPath(campaignId)}/results.csv${queryString({ ...filter })}`;
    const res = await this.send('GET', path, { accept: 'text/csv', deadline, signal });
    if (res.body === null || !(res.headers.get('content-type') ?? '').startsWith('text/csv')) {
      await res.body?.cancel();
      throw new ApiUnavailable(`GET ${path}: the reply is not CSV`, res.status, 'bad_reply');
    }
    return res;
  }

  private async request<T>(
    method: string,
    path: string,
    body?: { contentType: string; body: string },
    signal?: AbortSignal,
  ): Promise<T> {
    const res = await this.send(method, path, { body, signal });
    const text = await res.text().catch(() => {
      if (signal?.aborted) throw new Interrupted('interrupted');
      return '';
    });
    const parsed = parseJson(text);
    if (parsed === undefined) throw new ApiUnavailable(`${method} ${path}: the reply is not JSON`, res.status, 'bad_reply');
    return parsed as T;
  }

  /** Sends one request; resolves with a 2xx response, throws the error the CLI reports for anything else. */
  private async send(
    method: string,
    path: string,
    options: {
      body?: { contentType: string; body: string };
      accept?: string;
      /** Ctrl-C: throws Interrupted. */
      signal?: AbortSignal;
      /** Default: REQUEST_TIMEOUT_MS for the whole request, body included. */
      deadline?: AbortSignal;
    },
  ): Promise<Response> {
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (options.body) headers['content-type'] = options.body.contentType;
    const deadline = options.deadline ?? AbortSignal.timeout(REQUEST_TIMEOUT_MS);
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: options.body?.body,
        signal: options.signal ? AbortSignal.any([options.signal, deadline]) : deadline,
      });
    } catch (err) {
      if (options.signal?.aborted) throw new Interrupted('interrupted');
      throw new ApiUnavailable(`cannot reach the dialer API at ${this.baseUrl}: ${networkReason(err)}`, null, 'unreachable');
    }
    if (res.ok) return res;
    const text = await res.text().catch(() => '');
    const error = (parseJson(text) as ErrorReply | undefined)?.error;
    const code = typeof error?.code === 'string' ? error.code : `http_${res.status}`;
    // A proxy in front may answer with HTML: fall back to the status line.
    const message = typeof error?.message === 'string' ? error.message : `HTTP ${res.status} ${res.statusText}`.trim();
    if (res.status >= 400 && res.status < 500) throw new ApiRefused(res.status, code, message, error?.details ?? null);
    throw new ApiUnavailable(message, res.status, code);
  }
}

const campaignPath = (campaignId: string): string => `/campaigns/${encodeURIComponent(campaignId)}`;

/** `?a=1&b=2` of the defined values, or '' when there are none. */
function queryString(query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
  return params.size > 0 ? `?${params.toString()}` : '';
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Node's fetch hides the useful part (ECONNREFUSED, ENOTFOUND) in `cause`. */
function networkReason(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause instanceof Error) {
    const code = (cause as NodeJS.ErrnoException).code;
    return code ? `${code} (${cause.message})` : cause.message;
  }
  return err instanceof Error ? err.message : String(err);
}
