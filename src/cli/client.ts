/** The CLI's HTTP client for the management API: one error type per exit code the CLI promises. */
import type { CampaignProgress, CampaignStatus } from '../shared/types';

export const DEFAULT_DIALER_URL = 'http://localhost:3000';

/** Exit codes scripts can rely on (documented in README "Command line (dialer)"). */
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

export interface CampaignCreatedReply {
  campaignId: string;
  workflowId: string;
  accepted: number;
  duplicates: number;
  rejected: Array<{ index: number; value: string; reason: string }>;
}

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

const REQUEST_TIMEOUT_MS = 30_000;

export class DialerClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {}

  createFromCsv(csv: string, query: Record<string, string | undefined>): Promise<CampaignCreatedReply> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, value);
    const qs = params.size > 0 ? `?${params.toString()}` : '';
    return this.request<CampaignCreatedReply>('POST', `/campaigns${qs}`, { contentType: 'text/csv', body: csv });
  }

  list(): Promise<CampaignListItem[]> {
    return this.request<CampaignListItem[]>('GET', '/campaigns');
  }

  progress(campaignId: string): Promise<CampaignProgress> {
    return this.request<CampaignProgress>('GET', `/campaigns/${encodeURIComponent(campaignId)}`);
  }

  control(campaignId: string, action: ControlAction): Promise<{ status: CampaignStatus }> {
    return this.request<{ status: CampaignStatus }>('POST', `/campaigns/${encodeURIComponent(campaignId)}/${action}`);
  }

  private async request<T>(method: string, path: string, send?: { contentType: string; body: string }): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (send) headers['content-type'] = send.contentType;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: send?.body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw new ApiUnavailable(`cannot reach the dialer API at ${this.baseUrl}: ${networkReason(err)}`, null, 'unreachable');
    }
    const text = await res.text().catch(() => '');
    const body = parseJson(text);
    if (res.ok) {
      if (body === undefined) throw new ApiUnavailable(`${method} ${path}: the reply is not JSON`, res.status, 'bad_reply');
      return body as T;
    }
    const error = (body as ErrorReply | undefined)?.error;
    const code = typeof error?.code === 'string' ? error.code : `http_${res.status}`;
    // A proxy in front may answer with HTML: fall back to the status line.
    const message = typeof error?.message === 'string' ? error.message : `HTTP ${res.status} ${res.statusText}`.trim();
    if (res.status >= 400 && res.status < 500) throw new ApiRefused(res.status, code, message, error?.details ?? null);
    throw new ApiUnavailable(message, res.status, code);
  }
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
